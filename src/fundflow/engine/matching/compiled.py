"""Matching and error tolerance in the compiled engine: the tranche at each
milestone (cut by the cap), the compensation of a diligent failure and the
claw-back, which waits until the route's tranches are paid (the rules:
:mod:`fundflow.engine.matching.rules`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.budget.compiled import GPAID, NOT_TRANCHE, TDUE, TRANCHE, WAIT, commit
from fundflow.engine.core.flat_plan import PH_TR
from fundflow.engine.core.state import (
    COST,
    DEMP,
    EVENTS,
    ROUTE_FLOATS,
    ROUTE_INTS,
    URGENT,
    State,
    add,
    kind_codes,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import P
from fundflow.engine.matching.rules import clawback, compensation, tranche_after_cap
from fundflow.engine.reserve.compiled import solver_pays
from fundflow.engine.tax.compiled import book_match

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_CLAW", "EV_CLAW_INIT", "MISC", "at_milestone", "claw_back", "compensate",
    "on_claw", "plan_section", "start", "start_claw",
]  # fmt: skip

SOL, DEM, GOV = party_codes("solver", "demander", "government")
K_MATCHING, K_COMP, K_CLAW = kind_codes("matching", "compensation", "clawback")
#: matching earned (committed) for the route; the share of it to claw back
GEARN, CLAWSH = ROUTE_FLOATS.take("matching_earned", "claw_share")
(MISC,) = ROUTE_INTS.take("misconduct")
EV_CLAW_INIT, EV_CLAW = EVENTS.take("claw_init", "claw")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """Matching's and tolerance's terms in the flat plan."""
    gov = plan.scenario.government
    tol = gov.error_tolerance
    return {
        "lag": float(gov.matching.payment_lag),
        "cap": math.inf if gov.matching.cap is None else float(gov.matching.cap),
        "tol_enabled": bool(tol.enabled),
        "tol_unrecovered": tol.base == "unrecovered_cost",
        "tol_rate": float(tol.rate),
        "tol_cap": math.inf if tol.cap is None else float(tol.cap),
        "misconduct_p": float(tol.misconduct_probability),
        "clawback_share": float(gov.clawback_without_tolerance),
        "match_payee": P["solver"] if gov.matching.payee == "solver" else P["demander"],
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """Every challenge's cap is whole."""
    for ch in range(p.cfl.shape[0]):
        s.cf[ch] = p.cap


@njit(cache=CACHE)
def at_milestone(s: State, p: FlatPlan, r: int, m: int) -> None:
    """Milestone ``m`` reached: the government's tranche, cut by the cap, committed."""
    ch = p.route_ch[r]
    tranche = tranche_after_cap(p.ph[PH_TR, ch, m], s.cf[ch])
    if tranche > 0.0:
        s.cf[ch] -= tranche
        s.rf[r, GEARN] += tranche
        commit(s, p, p.lag, p.match_payee, tranche, K_MATCHING, r, TRANCHE)


@njit(cache=CACHE)
def compensate(s: State, p: FlatPlan, r: int) -> None:
    amount = compensation(
        p.tol_rate, p.tol_cap, s.rf[r, COST], s.rf[r, DEMP], s.rf[r, GEARN],
        p.tol_unrecovered, p.match_payee == SOL,
    )  # fmt: skip
    commit(s, p, p.lag, SOL, amount, K_COMP, r, NOT_TRANCHE)


@njit(cache=CACHE)
def claw_back(s: State, p: FlatPlan, r: int) -> None:
    """Recover the route's share of its paid tranches from their payee."""
    amount = clawback(s.rf[r, CLAWSH], s.rf[r, GPAID])
    if p.match_payee == SOL:
        solver_pays(s, p, r, GOV, amount, K_CLAW)
    else:
        add(s, DEM, GOV, amount, K_CLAW, p.route_ch[r], r)
    book_match(s, p, r, -amount)


@njit(cache=CACHE)
def start_claw(s: State, r: int, share: float) -> None:
    s.rf[r, CLAWSH] = share
    push(s, 0.0, URGENT, EV_CLAW_INIT, r)  # a process starts


@njit(cache=CACHE)
def on_claw(s: State, p: FlatPlan, r: int) -> None:
    """The claw-back's lag is over: recover now, or wait until the tranches are paid."""
    if s.ri[r, TDUE] > 0:
        s.ri[r, WAIT] = 1
    else:
        claw_back(s, p, r)
