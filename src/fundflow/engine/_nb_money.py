"""Compiled money movements: the solver's payments with the reserve check, the
government's payments committed, falling due and paid within the annual budget,
and the selection of a race (the rules of :mod:`fundflow.engine._state`,
:mod:`fundflow.engine._payments` and :mod:`fundflow.engine._race`)."""

from __future__ import annotations

from numba import njit

from fundflow.engine._nb_plan import (
    C_FIRST,
    C_KEEP,
    C_SOLVERS,
    FlatPlan,
)
from fundflow.engine._nb_state import (
    BYEAR,
    CAP_DUES,
    COST,
    D_KIND,
    D_PAYEE,
    D_QUEUE,
    D_REM,
    D_ROUTE,
    D_TIME,
    D_TRANCHE,
    DELAYED,
    DR_RACE,
    EV_BUDGET,
    EV_DUE,
    EV_RACE,
    EV_SETTLED,
    FIRST,
    GPAID,
    HEARD,
    KEPT,
    ND,
    NET,
    NORMAL,
    NOW,
    OUTSTANDING,
    PASSED,
    QH,
    QT,
    SORT,
    STATUS,
    TDUE,
    TOTAL_DELAY,
    UNPAID,
    WAIT,
    State,
    add,
    kind_codes,
    overflow,
    party_codes,
    push,
)
from fundflow.engine.budget.rules import room
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import EPS
from fundflow.engine.outcome import RUNNING
from fundflow.engine.reserve.rules import exceeds

SOL, GOV, EXT = party_codes("solver", "government", "external")
(K_MATCHING,) = kind_codes("matching")
(K_RD,) = kind_codes("rd_spending")

__all__ = ["EPS", "budget_tick", "commit", "fall_due", "race_report", "race_withdraw"]


@njit(cache=CACHE)
def solver_receives(s: State, p: FlatPlan, r: int, payer: int, amount: float, kind: int) -> None:
    add(s, payer, SOL, amount, kind, p.route_ch[r], r)
    s.rf[r, NET] -= amount


@njit(cache=CACHE)
def solver_pays(s: State, p: FlatPlan, r: int, payee: int, amount: float, kind: int) -> bool:
    """The solver pays; False, and nothing paid, if a running route's cumulative net
    outflow would exceed its reserve."""
    if (
        p.has_reserve
        and s.ri[r, STATUS] == RUNNING
        and s.sf[NOW] < p.horizon
        and exceeds(s.rf[r, NET], amount, p.reserve)
    ):
        return False
    add(s, SOL, payee, amount, kind, p.route_ch[r], r)
    s.rf[r, NET] += amount
    return True


@njit(cache=CACHE)
def own_funding_changes(s: State, p: FlatPlan, r: int, amount: float) -> None:
    if p.tax_on:
        y = int(s.sf[NOW])
        s.yr[y, r] += amount
        s.yi[y, r] = 1
        s.yi[y, 2 * s.rf.shape[0]] = 1


@njit(cache=CACHE)
def spend(s: State, p: FlatPlan, r: int, amount: float) -> bool:
    if not solver_pays(s, p, r, EXT, amount, K_RD):
        return False
    s.rf[r, COST] += amount
    own_funding_changes(s, p, r, amount)
    return True


# --- the government's payments -------------------------------------------------------


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
    return room(p.budget, s.yr[int(s.sf[NOW]), 2 * s.rf.shape[0]])


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
            own_funding_changes(s, p, r, -amount)
    s.yr[int(s.sf[NOW]), 2 * s.rf.shape[0]] += amount
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


# --- the race ----------------------------------------------------------------------------


@njit(cache=CACHE)
def race_done(s: State, p: FlatPlan, r: int) -> None:
    """Route ``r`` passed the selection review or ended before it; once every racing
    route is heard, the passers are ranked by (priority, route) and told if kept."""
    ch = p.route_ch[r]
    s.ri[r, HEARD] = 1
    s.ci[ch, OUTSTANDING] -= 1
    if s.ci[ch, OUTSTANDING] != 0:
        return
    n = 0
    x = s.x
    lo = p.cin[ch, C_FIRST]
    for y in range(lo, lo + p.cin[ch, C_SOLVERS]):  # insertion sort, routes ascending
        if not s.ri[y, PASSED]:
            continue
        k = n
        while k > 0 and x[int(s.ri[k - 1, SORT]), DR_RACE] > x[y, DR_RACE]:
            s.ri[k, SORT] = s.ri[k - 1, SORT]
            k -= 1
        s.ri[k, SORT] = y
        n += 1
    for rank in range(n):
        y = s.ri[rank, SORT]
        s.ri[y, KEPT] = rank < p.cin[ch, C_KEEP]
        push(s, 0.0, NORMAL, EV_RACE, y)


@njit(cache=CACHE)
def race_report(s: State, p: FlatPlan, r: int) -> None:
    s.ri[r, PASSED] = 1
    race_done(s, p, r)


@njit(cache=CACHE)
def race_withdraw(s: State, p: FlatPlan, r: int) -> None:
    """A route ended before the selection: it no longer counts or takes a place."""
    if not s.ri[r, HEARD]:
        race_done(s, p, r)
    elif s.ci[p.route_ch[r], OUTSTANDING] > 0:
        s.ri[r, PASSED] = 0
