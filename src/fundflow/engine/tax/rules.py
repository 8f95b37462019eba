"""The tax bases, written once for both engines (leaf functions compiled with numba;
the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = ["demander_tax", "solver_tax"]


@rule
def solver_tax(rate: float, own_funding: float, recognised: float) -> tuple[float, float]:
    """``(amount, change)``: the solver's eligible cost is its cumulative own funding,
    never below zero; ``change`` is its move since what was ``recognised``, and
    ``rate × |change|`` is tax forgone paid to it (an increase) or paid back (a
    decrease)."""
    change = max(0.0, own_funding) - recognised
    return rate * abs(change), change


@rule
def demander_tax(rate: float, installments: float) -> float:
    """The demander's tax forgone on the installments it paid in a year."""
    return rate * installments
