"""The reserve's rule, written once for both engines (a leaf function compiled with
numba; the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule
from fundflow.engine.ledger import EPS

__all__ = ["exceeds"]


@rule
def exceeds(net_outflow: float, amount: float, reserve: float) -> bool:
    """Paying ``amount`` would take the route's cumulative net outflow above its reserve."""
    return net_outflow + amount > reserve + EPS
