"""The budget's rule, written once for both engines (a leaf function compiled with
numba; the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = ["room"]


@rule
def room(budget: float, spent_in_year: float) -> float:
    """What the year's budget still has room for."""
    return max(0.0, budget - spent_in_year)
