"""The compiled event loop: one replication, and a block of them in one call.

Events are taken in SimPy's order, ``(time, priority, event id)``; see
:mod:`fundflow.engine.compiled` for the ordering rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fundflow.engine._nb_borrow import borrow
from fundflow.engine._nb_ends import claw_back
from fundflow.engine._nb_fund import fund_reset, on_exit, on_fee, on_invest, on_sell, wind_up
from fundflow.engine._nb_money import budget_tick, fall_due, solver_receives
from fundflow.engine._nb_plan import (
    C_SELECT,
    C_SOLVERS,
    C_START,
    FlatPlan,
    plan_ref,
)
from fundflow.engine._nb_route import (
    on_credit,
    on_credit_init,
    on_phase,
    on_race,
    on_start,
    on_tax,
    settle_tax,
)
from fundflow.engine._nb_state import (
    BAD,
    BYEAR,
    DEFAULTED,
    DELAYED,
    DR_SVALUE,
    END_TIME,
    EV_BUDGET,
    EV_CLAW,
    EV_CLAW_INIT,
    EV_CREDIT,
    EV_CREDIT_INIT,
    EV_DUE,
    EV_EXIT,
    EV_FEE,
    EV_INVEST,
    EV_PHASE,
    EV_RACE,
    EV_SELL,
    EV_SETTLED,
    EV_START,
    EV_SVALUE,
    EV_TAX,
    EV_VALUE,
    EV_WINDUP,
    F_INVESTMENTS,
    F_WOUND,
    FIRST,
    HA,
    HN,
    HTY,
    L_AMOUNT,
    L_CH,
    L_KIND,
    L_PAYEE,
    L_PAYER,
    L_ROUTE,
    L_TIME,
    LN,
    LOAN,
    MISC,
    N_CAP,
    NONE,
    NORMAL,
    NOW,
    OUTSTANDING,
    OVF,
    PRINC,
    REVIEW,
    STATUS,
    TDUE,
    TOTAL_DELAY,
    UNPAID,
    WAIT,
    State,
    add,
    hold,
    kind_codes,
    new_state,
    party_codes,
    push,
    release,
    reset,
)
from fundflow.engine.kernel_cache import CACHE

__all__ = ["run_block_nb"]

EXT, DEM = party_codes("external", "demander")
#: A capacity above this many rows is refused (``ERR_TOO_LARGE``), not grown: about
#: 2 GB of ledger for one replication.
MAX_CAPACITY = 1 << 25
#: Error codes of run_block_nb beyond the state's own (``si[BAD]``: 2, a negative
#: amount).
ERR_TOO_LARGE = 3
K_VALUE, K_SVALUE = kind_codes("commercial_value", "solver_value")


@njit(cache=CACHE)
def _schedule_start(s: State, p: FlatPlan) -> None:
    """What the processes started at time 0 wait for first, in their start order:
    the routes, the budget clock, the tax process, the fund's processes."""
    for r in range(p.route_ch.shape[0]):
        push(s, p.cfl[p.route_ch[r], C_START], NORMAL, EV_START, r)
    for ch in range(p.cfl.shape[0]):
        if p.cin[ch, C_SELECT] > 0:
            s.ci[ch, OUTSTANDING] = p.cin[ch, C_SOLVERS]
        s.cf[ch] = p.cap
    if p.has_budget:
        s.si[BYEAR] = 1
        push(s, 1.0, NORMAL, EV_BUDGET, FIRST)
    if p.tax_on and 1 < p.horizon:
        push(s, 1.0, NORMAL, EV_TAX, FIRST)
    if p.fund_on:
        fund_reset(s, p)
        if p.f_fee_years > 0:
            push(s, p.f_start, NORMAL, EV_FEE, FIRST)
        if p.f_early:
            push(s, p.f_early_year, NORMAL, EV_SELL, FIRST)
        push(s, p.f_end, NORMAL, EV_WINDUP, FIRST)


@njit(cache=CACHE)
def _dispatch_route(s: State, p: FlatPlan, kind: int, a: int) -> None:
    if kind == EV_PHASE:
        on_phase(s, p, a)
    elif kind == EV_DUE:
        fall_due(s, p, a)
    elif kind == EV_START:
        on_start(s, p, a)
    elif kind == EV_RACE:
        on_race(s, p, a)
    elif kind == EV_CLAW_INIT:
        push(s, p.lag, NORMAL, EV_CLAW, a)
    elif kind == EV_CLAW:
        if s.ri[a, TDUE] > 0:
            s.ri[a, WAIT] = 1
        else:
            claw_back(s, p, a)
    elif kind == EV_SETTLED:
        claw_back(s, p, a)
    elif kind == EV_VALUE:
        add(s, EXT, DEM, s.value[a], K_VALUE, a, NONE)
    elif kind == EV_SVALUE:
        solver_receives(s, p, a, EXT, s.x[a, DR_SVALUE], K_SVALUE)


@njit(cache=CACHE)
def _dispatch(s: State, p: FlatPlan, kind: int, a: int) -> None:
    if kind <= EV_SVALUE:
        _dispatch_route(s, p, kind, a)
    elif kind == EV_BUDGET:
        budget_tick(s, p)
    elif kind == EV_TAX:
        on_tax(s, p)
    elif kind == EV_CREDIT_INIT:
        on_credit_init(s, p, a)
    elif kind == EV_CREDIT:
        on_credit(s, p, a)
    elif kind == EV_FEE:
        on_fee(s, p)
    elif kind == EV_SELL:
        on_sell(s, p)
    elif kind == EV_WINDUP:
        wind_up(s, p)
    elif kind == EV_INVEST:
        on_invest(s, p, a)
    elif kind == EV_EXIT:
        on_exit(s, p, a)


@njit(cache=CACHE)
def run_one(s: State, p: FlatPlan, seen: np.ndarray) -> None:
    """One replication: events before the horizon, then the fund's wind-up and the
    tax of the years not yet settled, at the horizon. ``seen[kind]`` counts the
    events handled, by kind."""
    reset(s)
    _schedule_start(s, p)
    horizon = p.horizon
    while s.si[HN] > 0:
        t = s.hf[0]
        if t >= horizon:  # SimPy stops at its URGENT until-event at the horizon
            break
        kind, a = s.hi[0, HTY], s.hi[0, HA]
        hold(s)  # the event's first push takes its slot in the heap
        s.sf[NOW] = t
        seen[kind] += 1
        _dispatch(s, p, kind, a)
        if s.si[OVF]:  # a capacity was too small: the block loop runs it again
            return
        release(s)
    s.sf[NOW] = horizon
    if p.fund_on and not s.si[F_WOUND] and p.f_end <= horizon + 1e-9:
        wind_up(s, p)
    if p.tax_on:
        for y in range(s.yi.shape[0]):
            settle_tax(s, p, y)


@njit(cache=CACHE)
def _keep(owned: tuple) -> int:
    """A use of ``owned``, so that numba keeps it alive until this point."""
    return len(owned)


@njit(cache=CACHE)
def _columns(size: int) -> tuple:
    """Empty ledger columns for ``size`` rows, in the ledger's dtypes (COLUMNS order)."""
    return (
        np.empty(size), np.empty(size, np.int8), np.empty(size, np.int8), np.empty(size),
        np.empty(size, np.int8), np.empty(size, np.int32), np.empty(size, np.int32),
    )  # fmt: skip


@njit(cache=CACHE)
def _grow(cols: tuple, used: int, need: int) -> tuple:
    """Ledger columns with room for ``need`` rows, the first ``used`` rows kept."""
    size = max(cols[0].shape[0], 1024)
    while size < need:
        size *= 2
    if size == cols[0].shape[0]:
        return cols
    out = _columns(size)
    out[0][:used], out[1][:used], out[2][:used] = cols[0][:used], cols[1][:used], cols[2][:used]
    out[3][:used], out[4][:used] = cols[3][:used], cols[4][:used]
    out[5][:used], out[6][:used] = cols[5][:used], cols[6][:used]
    return out


@njit(cache=CACHE)
def _append(cols: tuple, at: int, led: np.ndarray, m: int) -> None:
    """The replication's ``m`` ledger rows ``led`` (float64, row-major) into the
    columns from row ``at``; codes are small integers, exact in float64."""
    time, payer, payee, amount, kind, ch, route = cols
    for j in range(m):
        row = at + j
        time[row] = led[j, L_TIME]
        payer[row] = np.int8(led[j, L_PAYER])
        payee[row] = np.int8(led[j, L_PAYEE])
        amount[row] = led[j, L_AMOUNT]
        kind[row] = np.int8(led[j, L_KIND])
        ch[row] = np.int32(led[j, L_CH])
        route[row] = np.int32(led[j, L_ROUTE])


@njit(cache=CACHE)
def run_block_nb(flat: FlatPlan, draws: tuple, per_route: tuple, per_run: tuple,
                 offsets: np.ndarray, caps: np.ndarray, seen: np.ndarray
                 ) -> tuple[tuple, int, int, int]:  # fmt: skip
    """Every replication of the block; fills ``per_route`` (status, end_time,
    end_review, misconduct, defaulted) and ``per_run`` (committed_unpaid, delayed,
    total_delay, loans_outstanding, fund_investments) and returns the stacked
    ledger's columns (in the ledger's dtypes, with room to spare), its number of
    rows, an error code (0: none) and the replication it concerns.

    ``caps`` are the capacities to start with (``CAP_*`` order); a replication that
    outgrows one runs again, from its own draws, with that capacity doubled, and
    ``caps`` keeps the larger value for the rest of the block. ``seen`` counts the
    events handled by kind (``EV_*``), then the growths by capacity."""
    plan = plan_ref(flat)
    p = borrow(plan)  # plan stays referenced (and alive) until the _keep below
    xs, values = draws
    n, n_r = xs.shape[0], xs.shape[1]
    n_c = p.cfl.shape[0]
    owned, s = new_state(n_r, n_c, p.horizon, caps)
    cols = _columns(FIRST)
    total = FIRST  # no rows yet (an int64 constant: a literal 0 would compile twice)
    n_ev = seen.shape[0] - N_CAP
    for i in range(n):
        s.x = borrow(xs[i])  # the replication's draws (xs outlives them)
        s.value = borrow(values[i])
        run_one(s, p, seen)
        while s.si[OVF]:
            flags = s.si[OVF]
            for c in range(N_CAP):
                if flags & (np.int64(1) << np.int64(c)):
                    if caps[c] > MAX_CAPACITY:
                        _keep((owned, plan))
                        return cols, 0, ERR_TOO_LARGE, i
                    caps[c] *= 2
                    seen[n_ev + c] += 1
            owned, s = new_state(n_r, n_c, p.horizon, caps)
            s.x = borrow(xs[i])  # the same replication, from its own draws
            s.value = borrow(values[i])
            run_one(s, p, seen)
        bad = s.si[BAD]
        if bad:
            _keep((owned, plan))
            return cols, 0, bad, i
        m = s.si[LN]
        if total + m > cols[0].shape[0]:  # room for the block at the rows seen so far
            cols = _grow(cols, total, (total + m) * n // (i + 1) * 9 // 8 + 1024)
        _append(cols, total, s.led, m)
        total += m
        offsets[i + 1] = total
        _facts(s, i, per_route, per_run)
    _keep((owned, plan))  # they live until here: s and p are borrowed from them
    return cols, total, 0, -1


@njit(cache=CACHE)
def _facts(s: State, i: int, per_route: tuple, per_run: tuple) -> None:
    status, end_time, end_review, misconduct, defaulted = per_route
    committed, delayed, total_delay, loans, investments = per_run
    for r in range(s.ri.shape[0]):
        status[i, r] = s.ri[r, STATUS]
        end_time[i, r] = s.rf[r, END_TIME]
        end_review[i, r] = s.ri[r, REVIEW]
        misconduct[i, r] = s.ri[r, MISC] != 0
        defaulted[i, r] = s.ri[r, DEFAULTED] != 0
    unpaid = s.sf[UNPAID]
    committed[i] = unpaid if unpaid > 1e-9 else 0.0
    delayed[i] = s.si[DELAYED]
    total_delay[i] = s.sf[TOTAL_DELAY]
    lent = 0.0
    for r in range(s.ri.shape[0]):
        if s.ri[r, LOAN]:
            lent += s.rf[r, PRINC]
    loans[i] = lent
    investments[i] = s.si[F_INVESTMENTS]
