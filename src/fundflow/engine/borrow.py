"""Borrowed arrays for compiled code, for the layers above the engine.

The public face of ``fundflow.engine._nb_borrow`` (see its docstring): ``borrow(x)``
gives ``x`` without reference counting in numba-compiled code; the caller keeps the
owner alive. The results layer's compiled measures use it.
"""

from __future__ import annotations

from fundflow.engine._nb_borrow import BorrowedRef, borrow

__all__ = ["BorrowedRef", "borrow"]
