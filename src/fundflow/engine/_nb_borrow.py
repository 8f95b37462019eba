"""Borrowed arrays: views that compiled code can pass around without reference counts.

numba counts references to every array it passes or reads from a struct: an atomic
increment and decrement in the library's ``NRT_incref``/``NRT_decref`` for each
argument of each call and each field read. In the compiled engine, where a handler
of a few lines reads a dozen arrays, these atomics took about 40% of the time.

``borrow(x)`` returns ``x`` (an array, or a tuple whose arrays are replaced) with its
memory-manager pointer set to NULL, as numba gives arrays that view foreign memory
(``numba.carray``): reference counts on it are skipped. A borrowed array does not
keep its memory alive, so the caller must keep the owning array alive (referenced
by a live variable) for as long as any borrowed view of it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["borrow"]


def _borrow_value(context: Any, builder: Any, typ: Any, value: Any) -> Any:
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

    return x(x), codegen


#: ``borrow(x)``: for compiled code only (an array or a tuple in, the same type out).
borrow = cast(Callable[[Any], Any], _borrow)
