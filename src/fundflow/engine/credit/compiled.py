"""Shared-risk credit in the compiled engine: the loan at the route's start, its
service (the guarantee fee now and yearly, interest yearly), and its repayment or
default when the route ends (the rules: :mod:`fundflow.engine.credit.rules`).
A fee or interest the solver cannot pay within its reserve abandons the route: the
service handlers return False and the engine's dispatch abandons it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from fundflow.engine.core.flat_plan import C_INST_TOTAL, C_INV
from fundflow.engine.core.state import (
    DR_DEFAULT,
    EVENTS,
    NORMAL,
    NOW,
    REVIEW,
    ROUTE_FLOATS,
    ROUTE_INTS,
    STATUS,
    URGENT,
    State,
    add,
    kind_codes,
    party_codes,
    push,
    status_codes,
)  # fmt: skip
from fundflow.engine.credit.rules import (
    accrued_interest,
    default_split,
    ip_recovery,
    link_split,
    loan_amount,
    loss_share,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import P
from fundflow.engine.pool.compiled import cover, government_loss
from fundflow.engine.pool.rules import lender_part
from fundflow.engine.pool.weights import lender_weights
from fundflow.engine.reserve.compiled import solver_pays, solver_receives

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "DEFAULTED", "EV_CREDIT", "EV_CREDIT_INIT", "LOAN", "PRINC", "close", "link", "on_credit",
    "on_credit_init", "open_loan", "plan_section",
]  # fmt: skip

SOL, BANK, GUAR, GOV, EXT = party_codes("solver", "bank", "guarantor", "government", "external")
(FAILED,) = status_codes("failed")
K_LOAN, K_FEE, K_INTEREST = kind_codes("loan", "guarantee_fee", "interest")
K_REPAY, K_PAYOUT, K_IP = kind_codes("repayment", "guarantee_payout", "ip_recovery")
(K_LINK,) = kind_codes("bank_link_income")
#: the principal lent and the time interest runs from; a loan is open; it defaulted
PRINC, INTFROM = ROUTE_FLOATS.take("principal", "interest_from")
LOAN, DEFAULTED = ROUTE_INTS.take("loan_open", "defaulted")
#: the bank lent to the route (for the investment-loan link)
(LENT,) = ROUTE_INTS.take("lent")
EV_CREDIT_INIT, EV_CREDIT = EVENTS.take("credit_init", "credit")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """Credit's terms in the flat plan (neutral values without credit)."""
    cr = plan.scenario.credit
    if cr is None:
        z = {k: 0.0 for k in ("loan_share", "interest_rate", "guarantee_fee")}
        z.update(pd_success=0.0, pd_failure=0.0, lgd=0.0, ip_uplift=1.0, link_share=0.0)
        return {
            "credit_on": False,
            "link_on": False,
            "ip_pledge": False,
            **z,
            "rs_party": np.zeros(0, np.int64),
            "rs_share": np.zeros(0),
            "rs_passed_on": np.zeros(0),
        }
    others = [(P[k], float(v)) for k, v in cr.risk_sharing.items() if k != "bank"]
    return {
        "credit_on": True,
        "ip_pledge": cr.kind == "ip_pledge",
        "link_on": cr.equity_link is not None,
        "link_share": 0.0 if cr.equity_link is None else float(cr.equity_link.share),
        "ip_uplift": float(cr.ip_uplift),
        "loan_share": float(cr.loan_share),
        "interest_rate": float(cr.interest_rate),
        "guarantee_fee": float(cr.guarantee_fee),
        "pd_success": float(cr.default_probability_on_success),
        "pd_failure": float(cr.default_probability_on_failure),
        "lgd": float(cr.loss_given_default),
        "rs_party": np.array([p for p, _ in others], dtype=np.int64),
        "rs_share": np.array([s for _, s in others], dtype=np.float64),
        "rs_passed_on": np.array(
            [lender_weights(cr).get(k, 0.0) for k in cr.risk_sharing if k != "bank"],
            dtype=np.float64,
        ),
    }


@njit(cache=CACHE)
def open_loan(s: State, p: FlatPlan, r: int) -> None:
    """The solver of route ``r`` borrows at its start; the service process starts."""
    ch = p.route_ch[r]
    amount = loan_amount(p.loan_share, p.cfl[ch, C_INV], p.cfl[ch, C_INST_TOTAL])
    if amount <= 0.0:
        return
    s.ri[r, LOAN] = 1
    s.ri[r, LENT] = 1
    s.rf[r, PRINC] = amount
    s.rf[r, INTFROM] = s.sf[NOW]
    solver_receives(s, p, r, BANK, amount, K_LOAN)
    push(s, 0.0, URGENT, EV_CREDIT_INIT, r)


@njit(cache=CACHE)
def on_credit_init(s: State, p: FlatPlan, r: int) -> bool:
    """The guarantee fee now, then wait a year (while the loan is open); False if the
    solver cannot pay it (the route must be abandoned)."""
    if not s.ri[r, LOAN]:
        return True
    if not solver_pays(s, p, r, GUAR, p.guarantee_fee * s.rf[r, PRINC], K_FEE):
        return False
    push(s, 1.0, NORMAL, EV_CREDIT, r)
    return True


@njit(cache=CACHE)
def on_credit(s: State, p: FlatPlan, r: int) -> bool:
    """A loan's anniversary: the year's interest, then the next fee; False if the
    solver cannot pay (the route must be abandoned)."""
    if not s.ri[r, LOAN]:
        return True
    if not solver_pays(s, p, r, BANK, p.interest_rate * s.rf[r, PRINC], K_INTEREST):
        return False
    s.rf[r, INTFROM] = s.sf[NOW]
    return on_credit_init(s, p, r)


@njit(cache=CACHE)
def link(s: State, p: FlatPlan, r: int, value: float) -> float:
    """The investment-loan link on route ``r``'s follow-on value: the bank's share
    paid to it (``external -> bank``); returns what is left for the solver."""
    if not (p.link_on and s.ri[r, LENT]):
        return value
    bank, solver = link_split(p.link_share, value)
    add(s, EXT, BANK, bank, K_LINK, p.route_ch[r], r)
    return solver


@njit(cache=CACHE)
def _recover(s: State, p: FlatPlan, r: int, principal: float) -> float:
    """What a defaulted loan recovers (the solver's repayment, or the pledged IP sold,
    ``external -> bank``, with the reviews passed when it ended); returns the loss."""
    if not p.ip_pledge:
        repaid, loss = default_split(p.lgd, principal)
        solver_pays(s, p, r, BANK, repaid, K_REPAY)
        return loss
    passed = s.ri[r, REVIEW]  # the reviews passed: those before the one it failed
    if s.ri[r, STATUS] == FAILED:
        passed -= 1
    ip_value = s.x[r, s.x.shape[1] - 2]  # before the entry flag, the last of the draws
    recovery = ip_recovery(principal, ip_value, p.ip_uplift, passed)
    add(s, EXT, BANK, recovery, K_IP, p.route_ch[r], r)
    return principal - recovery


@njit(cache=CACHE)
def close(s: State, p: FlatPlan, r: int, succeeded: bool) -> None:
    """Repay, or default, when route ``r`` ends (the route no longer runs: no reserve
    check can fail)."""
    if not s.ri[r, LOAN]:
        return
    s.ri[r, LOAN] = 0
    principal = s.rf[r, PRINC]
    s.rf[r, PRINC] = 0.0
    if principal <= 0.0:
        return
    prob = p.pd_success if succeeded else p.pd_failure
    if s.x[r, DR_DEFAULT] < prob:
        loss = _recover(s, p, r, principal)
        covered = cover(s, p, r, loss) if p.pool_on else 0.0  # the pool's cover first
        rest = loss - covered
        for k in range(p.rs_party.shape[0]):
            share = loss_share(p.rs_share[k], rest)
            if p.pool_on and p.rs_party[k] == GOV:
                government_loss(s, p, r, share)
            else:  # its share of the rest, and the pool's cover passed on to the bank
                share += lender_part(p.rs_passed_on[k], covered)
                add(s, p.rs_party[k], BANK, share, K_PAYOUT, p.route_ch[r], r)
        s.ri[r, DEFAULTED] = 1
        return
    accrued = accrued_interest(p.interest_rate, principal, s.sf[NOW] - s.rf[r, INTFROM])
    solver_pays(s, p, r, BANK, accrued, K_INTEREST)
    solver_pays(s, p, r, BANK, principal, K_REPAY)
