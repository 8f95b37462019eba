"""The extension's amount rule, written once for both engines (a leaf function
compiled with numba; the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = ["extension_cost"]


@rule
def extension_cost(investment: float, overrun: float, cost_share: float) -> float:
    """The extension's extra R&D cost: ``cost_share × I × overrun``."""
    return investment * overrun * cost_share
