"""Borrowed arrays: views that compiled code can pass around without reference counts.

numba counts references to every array it passes or reads from a struct: an atomic
increment and decrement in the library's ``NRT_incref``/``NRT_decref`` for each
argument of each call and each field read. In the compiled engine, where a handler
of a few lines reads a dozen arrays, these atomics took about 40% of the time.

``borrow(x)`` returns ``x`` (an array, or a tuple whose arrays are replaced) with its
memory-manager pointer set to NULL, as numba gives arrays that view foreign memory
(``numba.carray``): reference counts on it are skipped. A StructRef is returned as a
:class:`BorrowedRef` on the same payload, a type whose data model holds a plain
pointer, so that numba emits no reference counting for it at all. Neither keeps its
memory alive: the caller must keep the owner alive (referenced by a live variable)
for as long as anything borrowed from it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from numba.core import cgutils, types
from numba.core.datamodel import models, register_default
from numba.experimental import structref
from numba.extending import intrinsic

__all__ = ["BorrowedRef", "borrow"]


class BorrowedRef(types.StructRef):
    """A StructRef held without a reference: the same fields, read and written as
    the owner's, and no reference counting when it is passed or read."""


@register_default(BorrowedRef)
class _BorrowedRefModel(models.StructModel):
    """The StructRef's one member, its memory-manager pointer, as a plain pointer."""

    def __init__(self, dmm: Any, fe_type: Any) -> None:
        super().__init__(dmm, fe_type, [("meminfo", types.voidptr)])


structref.define_attributes(BorrowedRef)


def _borrowed_type(typ: Any) -> Any:
    if isinstance(typ, types.StructRef) and not isinstance(typ, BorrowedRef):
        return BorrowedRef(typ.field_dict.items())
    return typ


def _borrow_value(context: Any, builder: Any, typ: Any, value: Any) -> Any:
    # a StructRef's value is the same {i8*} struct as its borrowed type's
    if isinstance(typ, types.Array):
        ary = context.make_array(typ)(context, builder, value=value)
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        ary.parent = cgutils.get_null_value(ary.parent.type)
        return ary._getvalue()
    if isinstance(typ, types.BaseTuple):
        for k, member in enumerate(cast(Any, typ)):
            item = builder.extract_value(value, k)
            value = builder.insert_value(value, _borrow_value(context, builder, member, item), k)
        return value
    return value


@intrinsic
def _borrow(typingctx: Any, x: types.Type) -> Any:
    """``x`` with every array in it borrowed (no reference counting; see the module)."""
    del typingctx

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return _borrow_value(context, builder, signature.args[0], args[0])

    return _borrowed_type(x)(x), codegen


#: ``borrow(x)``: for compiled code only (an array or a tuple in, the same type out).
borrow = cast(Callable[[Any], Any], _borrow)
