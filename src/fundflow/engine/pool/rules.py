"""The pool's amount rules, written once for both engines (leaf functions compiled
with numba; the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = ["lender_part", "pool_cover"]


@rule
def pool_cover(balance: float, share: float, loss: float) -> float:
    """What the pool pays of ``loss``: ``min(balance, share × loss)``."""
    return min(balance, share * loss)


@rule
def lender_part(weight: float, cover: float) -> float:
    """One lender's part of the pool's cover, by its normalised risk-sharing share."""
    return weight * cover
