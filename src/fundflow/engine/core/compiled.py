"""The route life cycle in the compiled engine: a route's SimPy process
(``run_route``) as a handler per event it waits for: its start, the end of a phase
or of a booking period (``EV_PHASE``; the route's phase and payment index say where
it resumes), the race's answer; its R&D spending, milestones and reviews; and its
ends (success, failure, elimination, financing failure), which call on the
mechanisms: the tranche, compensation and claw-back, the race, the loan's close,
the fund's investment and the values on success."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.budget.compiled import NOT_TRANCHE, commit
from fundflow.engine.core.flat_plan import (
    C_AWARD,
    C_BOOKING,
    C_COMP_ELIM,
    C_INV,
    C_NPH,
    C_SELECT,
    C_VALUE_LAG,
    PH_COST,
    PH_INST,
    PH_PASS,
)
from fundflow.engine.core.state import (
    COST,
    DEMP,
    DR_DURATION,
    DR_MISC,
    DR_OVERRUN,
    DR_SVALUE,
    END_TIME,
    EVENTS,
    FIRST,
    NONE,
    NORMAL,
    NOW,
    NPAY,
    PHASE,
    REVIEW,
    STATUS,
    VALUE_PAID,
    Q,
    State,
    add,
    kind_codes,
    party_codes,
    push,
    status_codes,
)  # fmt: skip
from fundflow.engine.credit.compiled import close, link, open_loan
from fundflow.engine.extension.compiled import extended, pay_step
from fundflow.engine.fund.compiled import EV_INVEST
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.matching.compiled import MISC, at_milestone, compensate, start_claw
from fundflow.engine.outcome import RUNNING
from fundflow.engine.race.compiled import KEPT, race_report, race_withdraw
from fundflow.engine.reserve.compiled import solver_pays, solver_receives
from fundflow.engine.tax.compiled import book_installment, own_funding_changes

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan

__all__ = [
    "EV_PHASE", "EV_START", "EV_SVALUE", "EV_VALUE", "abandon", "fail", "on_phase",
    "on_race", "on_start", "on_svalue", "on_value", "passed",
]  # fmt: skip

ELIMINATED, FAILED, FINANCING, SUCCEEDED = status_codes(
    "eliminated", "failed", "financing_failure", "succeeded"
)
SOL, DEM, EXT = party_codes("solver", "demander", "external")
K_RD, K_INST, K_AWARD = kind_codes("rd_spending", "demander_installment", "success_award")
K_VALUE, K_SVALUE = kind_codes("commercial_value", "solver_value")
EV_START, EV_PHASE, EV_VALUE, EV_SVALUE = EVENTS.take("start", "phase", "value", "solver_value")


@njit(cache=CACHE)
def spend(s: State, p: FlatPlan, r: int, amount: float) -> bool:
    if not solver_pays(s, p, r, EXT, amount, K_RD):
        return False
    s.rf[r, COST] += amount
    own_funding_changes(s, p, r, amount)
    return True


@njit(cache=CACHE)
def milestone(s: State, p: FlatPlan, r: int, m: int) -> None:
    """Milestone ``m`` reached: the demander's installment, the government's tranche."""
    ch = p.route_ch[r]
    amount = p.ph[PH_INST, ch, m]
    if amount > 0.0:
        solver_receives(s, p, r, DEM, amount, K_INST)
        s.rf[r, DEMP] += amount
        own_funding_changes(s, p, r, -amount)
        book_installment(s, p, r, amount)
    at_milestone(s, p, r, m)


@njit(cache=CACHE)
def end(s: State, p: FlatPlan, r: int, status: int, review: int) -> None:
    s.ri[r, STATUS] = status
    s.rf[r, END_TIME] = s.sf[NOW]
    s.ri[r, REVIEW] = review
    if p.cin[p.route_ch[r], C_SELECT] > 0 and status != ELIMINATED:
        race_withdraw(s, p, r)
    if p.credit_on:
        close(s, p, r, status == SUCCEEDED)


@njit(cache=CACHE)
def fail(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, FAILED, review)
    if p.tol_enabled:
        if s.x[r, DR_MISC] < p.misconduct_p:
            s.ri[r, MISC] = 1
            start_claw(s, r, 1.0)
        else:
            compensate(s, p, r)
    elif p.clawback_share > 0.0:
        start_claw(s, r, p.clawback_share)


@njit(cache=CACHE)
def abandon(s: State, p: FlatPlan, r: int, review: int) -> None:
    """Financing failure (``review < 0``: the phase reached)."""
    end(s, p, r, FINANCING, s.ri[r, PHASE] if review < 0 else review)
    if p.clawback_share > 0.0:
        start_claw(s, r, p.clawback_share)


@njit(cache=CACHE)
def eliminate(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, ELIMINATED, review)
    if p.cin[p.route_ch[r], C_COMP_ELIM]:
        compensate(s, p, r)


@njit(cache=CACHE)
def succeed(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, SUCCEEDED, review)
    ch = p.route_ch[r]
    if p.fund_on:
        push(s, p.f_invest_lag, NORMAL, EV_INVEST, r)
    if not s.ci[ch, VALUE_PAID]:
        s.ci[ch, VALUE_PAID] = 1
        if s.value[ch] != 0.0:
            push(s, p.cfl[ch, C_VALUE_LAG], NORMAL, EV_VALUE, ch)
    if s.x[r, DR_SVALUE] > 0.0:
        push(s, p.cfl[ch, C_VALUE_LAG], NORMAL, EV_SVALUE, r)
    commit(s, p, p.lag, SOL, p.cfl[ch, C_AWARD], K_AWARD, r, NOT_TRANCHE)


@njit(cache=CACHE)
def _phase_cost(s: State, p: FlatPlan, r: int, j: int) -> float:
    ch = p.route_ch[r]
    return p.cfl[ch, C_INV] * s.x[r, DR_OVERRUN] * p.ph[PH_COST, ch, j]


@njit(cache=CACHE)
def _pay_step(s: State, p: FlatPlan, r: int) -> None:
    """One booking period's payment, then wait for the period's end."""
    j, q, n_pay = s.ri[r, PHASE], s.ri[r, Q], s.ri[r, NPAY]
    if not spend(s, p, r, _phase_cost(s, p, r, j) / n_pay):
        abandon(s, p, r, j)
        return
    period = p.cfl[p.route_ch[r], C_BOOKING]
    push(s, min(period, s.x[r, DR_DURATION + j] - q * period), NORMAL, EV_PHASE, r)


@njit(cache=CACHE)
def _begin_phase(s: State, p: FlatPlan, r: int, j: int) -> None:
    s.ri[r, PHASE] = j
    period = p.cfl[p.route_ch[r], C_BOOKING]
    duration = s.x[r, DR_DURATION + j]
    if period != period:  # no booking period: one payment at the phase's start
        if not spend(s, p, r, _phase_cost(s, p, r, j)):
            abandon(s, p, r, j)
            return
        push(s, duration, NORMAL, EV_PHASE, r)
        return
    s.ri[r, NPAY] = max(1, math.ceil(duration / period - 1e-9))
    s.ri[r, Q] = 0
    _pay_step(s, p, r)


@njit(cache=CACHE)
def _next_phase(s: State, p: FlatPlan, r: int) -> None:
    j = s.ri[r, PHASE] + 1
    if j < p.cin[p.route_ch[r], C_NPH]:
        _begin_phase(s, p, r, j)
    else:
        succeed(s, p, r, j)


@njit(cache=CACHE)
def on_start(s: State, p: FlatPlan, r: int) -> None:
    s.ri[r, STATUS] = RUNNING
    milestone(s, p, r, FIRST)
    if p.credit_on:
        open_loan(s, p, r)
    _begin_phase(s, p, r, FIRST)


@njit(cache=CACHE)
def on_phase(s: State, p: FlatPlan, r: int) -> None:
    """A phase (or one of its booking periods) has ended: pay on, or the review."""
    if s.ri[r, STATUS] != RUNNING:
        return
    ch = p.route_ch[r]
    if p.cfl[ch, C_BOOKING] == p.cfl[ch, C_BOOKING]:
        s.ri[r, Q] += 1
        if s.ri[r, Q] < s.ri[r, NPAY]:
            _pay_step(s, p, r)
            return
    j = s.ri[r, PHASE]
    review = j + 1
    if s.x[r, DR_DURATION + p.ph.shape[2] - 1 + j] >= p.ph[PH_PASS, ch, j]:
        if p.ext_on and extended(s, p, r, j):  # extended instead: reviewed again later
            if not pay_step(s, p, r, j):
                abandon(s, p, r, j)
            return
        fail(s, p, r, review)
        return
    passed(s, p, r, review)


@njit(cache=CACHE)
def passed(s: State, p: FlatPlan, r: int, review: int) -> None:
    """Route ``r`` passed review ``review`` (after an extension too): the milestone,
    then the race's selection or the next phase."""
    milestone(s, p, r, review)
    if review == p.cin[p.route_ch[r], C_SELECT]:
        race_report(s, p, r)
        return
    _next_phase(s, p, r)


@njit(cache=CACHE)
def on_race(s: State, p: FlatPlan, r: int) -> None:
    """The race's answer: kept routes go on, the others are eliminated."""
    if s.ri[r, STATUS] != RUNNING:
        return
    if not s.ri[r, KEPT]:
        eliminate(s, p, r, s.ri[r, PHASE] + 1)
        return
    _next_phase(s, p, r)


@njit(cache=CACHE)
def on_value(s: State, p: FlatPlan, ch: int) -> None:
    """The value on success reaches the demander (``value_lag`` after acceptance)."""
    add(s, EXT, DEM, s.value[ch], K_VALUE, ch, NONE)


@njit(cache=CACHE)
def on_svalue(s: State, p: FlatPlan, r: int) -> None:
    """The solver's follow-on value reaches it (``value_lag`` after acceptance), less
    the bank's share under an investment-loan link."""
    value = s.x[r, DR_SVALUE]
    if p.credit_on:
        value = link(s, p, r, value)
    solver_receives(s, p, r, EXT, value, K_SVALUE)
