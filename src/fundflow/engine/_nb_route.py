"""Compiled route processes as state machines, the loan's service and the yearly tax.

A route's SimPy process (``_Run.run_route``) becomes a handler per event it waits
for: its start, the end of a phase or of a booking period (``EV_PHASE``; the
route's phase and payment index say where it resumes) and the race's answer
(``EV_RACE``). The loan's service process and the tax process likewise.
"""

from __future__ import annotations

import math

from numba import njit

from fundflow.engine._nb_ends import abandon, eliminate, fail, milestone, succeed
from fundflow.engine._nb_money import race_report, solver_pays, solver_receives, spend
from fundflow.engine._nb_plan import (
    C_BOOKING,
    C_INST_TOTAL,
    C_INV,
    C_NPH,
    C_SELECT,
    PH_COST,
    PH_PASS,
    FlatPlan,
)
from fundflow.engine._nb_state import (
    DR_DURATION,
    DR_OVERRUN,
    EV_CREDIT,
    EV_CREDIT_INIT,
    EV_PHASE,
    EV_TAX,
    FIRST,
    INTFROM,
    KEPT,
    LOAN,
    NONE,
    NORMAL,
    NOW,
    NPAY,
    OWNF,
    PHASE,
    PRINC,
    RECOG,
    STATUS,
    TYEAR,
    URGENT,
    Q,
    State,
    add,
    kind_codes,
    party_codes,
    push,
)
from fundflow.engine.credit.rules import loan_amount
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.outcome import RUNNING
from fundflow.engine.tax.rules import demander_tax, solver_tax

__all__ = ["on_credit", "on_credit_init", "on_phase", "on_race", "on_start", "on_tax"]

SOL, DEM, GOV, BANK, GUAR = party_codes("solver", "demander", "government", "bank", "guarantor")
K_LOAN, K_FEE, K_INTEREST = kind_codes("loan", "guarantee_fee", "interest")
K_TAX, K_RECAPTURE = kind_codes("tax_expenditure", "tax_recapture")


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
        _credit_open(s, p, r)
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
        fail(s, p, r, review)
        return
    milestone(s, p, r, review)
    if review == p.cin[ch, C_SELECT]:
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


# --- credit ------------------------------------------------------------------------------


@njit(cache=CACHE)
def _credit_open(s: State, p: FlatPlan, r: int) -> None:
    ch = p.route_ch[r]
    amount = loan_amount(p.loan_share, p.cfl[ch, C_INV], p.cfl[ch, C_INST_TOTAL])
    if amount <= 0.0:
        return
    s.ri[r, LOAN] = 1
    s.rf[r, PRINC] = amount
    s.rf[r, INTFROM] = s.sf[NOW]
    solver_receives(s, p, r, BANK, amount, K_LOAN)
    push(s, 0.0, URGENT, EV_CREDIT_INIT, r)  # the loan's service process starts


@njit(cache=CACHE)
def _credit_pay(s: State, p: FlatPlan, r: int, payee: int, amount: float,
                kind: int) -> None:  # fmt: skip
    if not solver_pays(s, p, r, payee, amount, kind):
        abandon(s, p, r, NONE)


@njit(cache=CACHE)
def on_credit_init(s: State, p: FlatPlan, r: int) -> None:
    """The guarantee fee now, then wait a year (while the loan is open)."""
    if not s.ri[r, LOAN]:
        return
    _credit_pay(s, p, r, GUAR, p.guarantee_fee * s.rf[r, PRINC], K_FEE)
    if not s.ri[r, LOAN]:
        return
    push(s, 1.0, NORMAL, EV_CREDIT, r)


@njit(cache=CACHE)
def on_credit(s: State, p: FlatPlan, r: int) -> None:
    """A loan's anniversary: the year's interest, then the next fee."""
    if not s.ri[r, LOAN]:
        return
    _credit_pay(s, p, r, BANK, p.interest_rate * s.rf[r, PRINC], K_INTEREST)
    s.rf[r, INTFROM] = s.sf[NOW]
    on_credit_init(s, p, r)


# --- tax ----------------------------------------------------------------------------------


@njit(cache=CACHE)
def settle_tax(s: State, p: FlatPlan, y: int) -> None:
    """Recognise budget year ``y``'s eligible R&D cost, route by route."""
    if not s.yi[y, 2 * s.rf.shape[0]]:
        return
    s.yi[y, 2 * s.rf.shape[0]] = 0
    for r in range(s.ri.shape[0]):
        if s.yi[y, r]:
            s.rf[r, OWNF] += s.yr[y, r]
            amount, change = solver_tax(p.solver_tax_rate, s.rf[r, OWNF], s.rf[r, RECOG])
            if change > 0.0 and amount > 0.0:
                solver_receives(s, p, r, GOV, amount, K_TAX)
                s.rf[r, RECOG] += change
            elif change < 0.0 and amount > 0.0:
                if solver_pays(s, p, r, GOV, amount, K_RECAPTURE):
                    s.rf[r, RECOG] += change
                else:
                    abandon(s, p, r, NONE)
        if s.yi[y, s.rf.shape[0] + r] and p.demander_tax_rate > 0.0:
            add(
                s,
                GOV,
                DEM,
                demander_tax(p.demander_tax_rate, s.yr[y, s.rf.shape[0] + r]),
                K_TAX,
                p.route_ch[r],
                r,
            )


@njit(cache=CACHE)
def on_tax(s: State, p: FlatPlan) -> None:
    """The end of budget year ``TYEAR``: settle it, wait for the next year's end."""
    settle_tax(s, p, s.si[TYEAR])
    s.si[TYEAR] += 1
    year = s.si[TYEAR]
    if year + 1 < p.horizon:
        push(s, year + 1 - s.sf[NOW], NORMAL, EV_TAX, FIRST)
