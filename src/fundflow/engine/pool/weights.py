"""The lenders the risk pool pays and their weights, for both engines' books and
plans (plain Python, read once per scenario)."""

from __future__ import annotations

from fundflow.scenario.config import Credit

__all__ = ["LENDERS", "lender_weights"]

#: The lenders the pool pays, in this order.
LENDERS = ("bank", "guarantor", "reguarantor")


def lender_weights(credit: Credit) -> dict[str, float]:
    """The lenders' (:data:`LENDERS`) risk-sharing shares normalised over the three,
    by name (all 0 when they bear none, or without a pool: the pool then pays them
    nothing)."""
    shares = [float(credit.risk_sharing.get(x, 0.0)) for x in LENDERS]
    total = shares[0] + shares[1] + shares[2]
    on = credit.risk_pool is not None and total > 0.0
    return {x: s / total if on else 0.0 for x, s in zip(LENDERS, shares, strict=True)}
