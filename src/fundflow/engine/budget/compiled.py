"""The annual budget in the compiled engine: government payments committed now,
falling due later, paid within the year's budget, the rest queued FIFO and paid at
the start of the next budget years (the rule: :func:`fundflow.engine.budget.rules.room`).
A route's tranches due are counted, so that a claw-back can wait for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
from numba import njit

from fundflow.engine.budget.rules import room
from fundflow.engine.core.state import (
    CAP_DUES,
    D_KIND,
    D_PAYEE,
    D_QUEUE,
    D_REM,
    D_ROUTE,
    D_TIME,
    D_TRANCHE,
    EVENTS,
    FIRST,
    NORMAL,
    NOW,
    ROUTE_FLOATS,
    ROUTE_INTS,
    SCALAR_FLOATS,
    SCALAR_INTS,
    State,
    add,
    kind_codes,
    overflow,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.layout import budget_years
from fundflow.engine.ledger import EPS
from fundflow.engine.reserve.compiled import NET
from fundflow.engine.tax.compiled import book_match

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_BUDGET", "EV_DUE", "EV_SETTLED", "GPAID", "NOT_TRANCHE", "TDUE", "TRANCHE", "WAIT",
    "budget_tick", "close_years", "commit", "fall_due", "plan_section", "start", "year_ends",
]  # fmt: skip

SOL, GOV = party_codes("solver", "government")
(K_MATCHING,) = kind_codes("matching")
#: a government payment that is (not) a matching tranche
TRANCHE, NOT_TRANCHE = cast(bool, np.bool_(True)), cast(bool, np.bool_(False))
UNPAID, TOTAL_DELAY = SCALAR_FLOATS.take("unpaid", "total_delay")
DELAYED, QH, QT, ND, BYEAR, YEND = SCALAR_INTS.take(
    "delayed", "queue_head", "queue_tail", "dues", "budget_year", "years_closed"
)
#: tranches paid for the route; tranches due and not fully paid; a claw-back waits
(GPAID,) = ROUTE_FLOATS.take("tranches_paid")
TDUE, WAIT = ROUTE_INTS.take("tranches_due", "claw_waits")
EV_DUE, EV_BUDGET, EV_SETTLED = EVENTS.take("due", "budget", "settled")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The budget's terms in the flat plan."""
    budget = plan.scenario.government.annual_budget
    return {
        "has_budget": budget is not None,
        "budget": 0.0 if budget is None else float(budget),
        "n_years": budget_years(plan.scenario.horizon),
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """The budget clock: the start of the first budget year after 0."""
    if p.has_budget:
        s.si[BYEAR] = 1
        push(s, 1.0, NORMAL, EV_BUDGET, FIRST)


@njit(cache=CACHE)
def commit(s: State, p: FlatPlan, delay: float, payee: int, amount: float, kind: int, r: int,
           tranche: bool) -> None:  # fmt: skip
    """Commit a government payment falling due ``delay`` years from now."""
    if amount <= 0.0:
        return
    d = s.si[ND]
    if d >= s.df.shape[0]:
        overflow(s, CAP_DUES)
        return
    s.si[ND] = d + 1
    s.di[d, D_PAYEE] = payee
    s.df[d, D_REM] = amount
    s.di[d, D_KIND] = kind
    s.di[d, D_ROUTE] = r
    s.df[d, D_TIME] = s.sf[NOW] + delay
    s.di[d, D_TRANCHE] = tranche
    s.sf[UNPAID] += amount
    if tranche:
        s.ri[r, TDUE] += 1
    push(s, delay, NORMAL, EV_DUE, d)


@njit(cache=CACHE)
def _room(s: State, p: FlatPlan) -> float:
    return room(p.budget, s.yr[int(s.sf[NOW]), 3 * s.rf.shape[0]])


@njit(cache=CACHE)
def fall_due(s: State, p: FlatPlan, d: int) -> None:
    if not p.has_budget:
        pay_part(s, p, d, s.df[d, D_REM])
    elif s.si[QT] > s.si[QH]:
        s.di[s.si[QT], D_QUEUE] = d
        s.si[QT] += 1
    else:
        pay_part(s, p, d, min(s.df[d, D_REM], _room(s, p)))
        if s.df[d, D_REM] > EPS:
            s.di[s.si[QT], D_QUEUE] = d
            s.si[QT] += 1


@njit(cache=CACHE)
def _settle_due(s: State, d: int, amount: float) -> None:
    """The payment ``d`` is fully paid: count its delay, settle a tranche."""
    now = s.sf[NOW]
    s.sf[UNPAID] -= s.df[d, D_REM]
    s.df[d, D_REM] = 0.0
    if now > s.df[d, D_TIME] + EPS:
        s.si[DELAYED] += 1
        s.sf[TOTAL_DELAY] += now - s.df[d, D_TIME]
    if s.di[d, D_TRANCHE]:
        r = s.di[d, D_ROUTE]
        s.ri[r, TDUE] -= 1
        if s.ri[r, TDUE] == 0 and s.ri[r, WAIT]:
            s.ri[r, WAIT] = 0
            push(s, 0.0, NORMAL, EV_SETTLED, r)


@njit(cache=CACHE)
def pay_part(s: State, p: FlatPlan, d: int, amount: float) -> None:
    if amount <= EPS * max(1.0, s.df[d, D_REM]):
        return
    r = s.di[d, D_ROUTE]
    payee = s.di[d, D_PAYEE]
    add(s, GOV, payee, amount, s.di[d, D_KIND], p.route_ch[r], r)
    if payee == SOL:
        s.rf[r, NET] -= amount
    if s.di[d, D_KIND] == K_MATCHING:
        book_match(s, p, r, amount)
    s.yr[int(s.sf[NOW]), 3 * s.rf.shape[0]] += amount
    s.df[d, D_REM] -= amount
    s.sf[UNPAID] -= amount
    if s.di[d, D_TRANCHE]:
        s.rf[r, GPAID] += amount
    if s.df[d, D_REM] <= EPS * max(1.0, amount):
        _settle_due(s, d, amount)


@njit(cache=CACHE)
def budget_tick(s: State, p: FlatPlan) -> None:
    """The start of a budget year: pay waiting payments FIFO, then wait for the next."""
    while s.si[QT] > s.si[QH]:
        room = _room(s, p)
        if room <= EPS:
            break
        head = s.di[s.si[QH], D_QUEUE]
        pay_part(s, p, head, min(s.df[head, D_REM], room))
        if s.df[head, D_REM] <= EPS:
            s.si[QH] += 1
    s.si[BYEAR] += 1
    push(s, s.si[BYEAR] - s.sf[NOW], NORMAL, EV_BUDGET, FIRST)


@njit(cache=CACHE)
def _close_year(s: State) -> None:
    """Budget year ``YEND`` ends now: what is committed and unpaid, and whether a
    payment due by now waits (it fell due and the year's budget had no room)."""
    y, c = s.si[YEND], 3 * s.rf.shape[0]
    unpaid = s.sf[UNPAID]
    s.yr[y, c + 1] = unpaid if unpaid > 1e-9 else 0.0
    s.yr[y, c + 2] = 1.0 if s.si[QT] > s.si[QH] else 0.0
    s.si[YEND] = y + 1


@njit(cache=CACHE)
def year_ends(s: State, p: FlatPlan, t: float) -> None:
    """Before the events at time ``t``: close every budget year that ended by ``t``
    (the last year, which the horizon ends, is closed by :func:`close_years`)."""
    while s.si[YEND] + 1 <= t and s.si[YEND] + 1 < p.n_years:
        _close_year(s)


@njit(cache=CACHE)
def close_years(s: State, p: FlatPlan) -> None:
    """At the horizon: close the budget years not closed yet, the last one included."""
    while s.si[YEND] < p.n_years:
        _close_year(s)
