"""The amount rules of matching and error tolerance, written once for both engines.

Each rule is a leaf function declared with :func:`~fundflow.engine.kernel_cache.rule`:
the compiled engine calls it compiled, the SimPy engine its Python original
(``rule.py_func``).
"""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule
from fundflow.engine.ledger import EPS

__all__ = ["clawback", "compensation", "demander_total", "tranche_after_cap"]


@rule
def tranche_after_cap(planned: float, cap_left: float) -> float:
    """The tranche paid of ``planned`` when the challenge's cap has ``cap_left`` left
    (``inf`` without a cap); 0 when only the cap's rounding residue is left."""
    tranche = min(planned, cap_left)
    if tranche > EPS * max(1.0, planned):
        return tranche
    return 0.0


@rule
def compensation(rate: float, cap: float, spent: float, demander_paid: float,
                 matched: float, unrecovered: bool, to_solver: bool) -> float:  # fmt: skip
    """Error-tolerance compensation of a failed (or eliminated) route: ``rate`` of its
    cost ``spent`` (``unrecovered``: less what the demander paid and, when the match
    goes to the solver, the match it earned), at most ``cap`` (``inf`` for none)."""
    base = spent
    if unrecovered:
        base -= demander_paid
        if to_solver:
            base -= matched
    return min(rate * max(0.0, base), cap)


@rule
def clawback(share: float, paid: float) -> float:
    """What is recovered of the route's paid tranches."""
    return share * paid


@rule
def demander_total(share: float, investment: float, price: float, priced: bool) -> float:
    """``D``, what the demander pays per route in its installments: the contract
    price when the challenge has one (``priced``), else ``share`` of the planned
    investment. The solver funds whatever of its cost ``D`` does not cover and keeps
    what ``D`` pays above it."""
    if priced:
        return price
    return share * investment
