"""The tax bases, written once for both engines (leaf functions compiled with numba;
the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = ["demander_tax", "recognise"]


@rule
def recognise(rate: float, base: float, recognised: float) -> tuple[float, float]:
    """``(amount, change)`` of a base recognised at a budget year's end: the base
    (the solver's cumulative own funding; the demander's installments less the match
    it received; the net match received, where it is taxable) counts never below
    zero; ``change`` is its move since what was ``recognised``, and ``rate × |change|``
    is paid one way for an increase and the other for a decrease."""
    change = max(0.0, base) - recognised
    return rate * abs(change), change


@rule
def demander_tax(rate: float, installments: float) -> float:
    """The demander's tax forgone on the installments it paid in a year."""
    return rate * installments
