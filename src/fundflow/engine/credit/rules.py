"""The amount rules of credit, written once for both engines (leaf functions compiled
with numba; the SimPy engine calls ``rule.py_func``)."""

from __future__ import annotations

from fundflow.engine.kernel_cache import rule

__all__ = [
    "accrued_interest", "default_split", "ip_recovery", "link_split", "loan_amount", "loss_share",
]  # fmt: skip


@rule
def loan_amount(loan_share: float, investment: float, installments_total: float) -> float:
    """The loan at the route's start: ``loan_share`` of the solver's own funding need,
    the planned investment less the demander's contribution."""
    return loan_share * max(0.0, investment - installments_total)


@rule
def default_split(loss_given_default: float, principal: float) -> tuple[float, float]:
    """``(repaid, loss)`` of a defaulted loan."""
    loss = loss_given_default * principal
    return principal - loss, loss


@rule
def loss_share(share: float, loss: float) -> float:
    """What one risk-sharing party pays the bank of a default's loss."""
    return share * loss


@rule
def accrued_interest(rate: float, principal: float, years: float) -> float:
    """Interest accrued since the last anniversary, paid with the repayment."""
    return rate * principal * years


@rule
def ip_recovery(principal: float, ip_value: float, uplift: float, passed: int) -> float:
    """What the pledged IP recovers on a default: ``min(principal, ip_value ×
    principal × uplift^passed)``, the uplift applied once per review passed (a product,
    the same in both engines)."""
    value = ip_value * principal
    for _ in range(passed):
        value *= uplift
    return min(principal, value)


@rule
def link_split(share: float, value: float) -> tuple[float, float]:
    """``(bank, solver)``: the follow-on value ``value`` of a succeeded route the bank
    lent to, split by the investment-loan link, ``share × v`` and ``(1 − share) × v``."""
    return share * value, (1.0 - share) * value
