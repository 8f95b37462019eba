"""The compiled engine's event loop: one replication, and a block of them in one call.

Events are taken in SimPy's order, ``(time, priority, event id)``; see
:mod:`fundflow.engine.compiled` for the ordering rule. Each mechanism owns its
event kinds and handlers (``engine/<mechanism>/compiled.py``); numba cannot
dispatch through a runtime registry, so the one dispatch of event kinds is here,
with the two places where a mechanism's handler must end a route (a loan's fee or
interest, a tax recapture the solver cannot pay within its reserve).
"""

from __future__ import annotations

import weakref

import numpy as np
from numba import njit

from fundflow.engine._nb_borrow import borrow
from fundflow.engine.budget import compiled as budget
from fundflow.engine.core import compiled as core
from fundflow.engine.core.flat_plan import C_START, FlatPlan, core_section, plan_ref
from fundflow.engine.core.state import (
    BAD,
    END_TIME,
    EVENTS,
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
    N_CAP,
    NONE,
    NORMAL,
    NOW,
    OVF,
    PHASE,
    REVIEW,
    STATUS,
    State,
    entered,
    hold,
    new_state,
    push,
    release,
    reset,
    slot_sizes,
)  # fmt: skip
from fundflow.engine.credit import compiled as credit
from fundflow.engine.extension import compiled as extension
from fundflow.engine.fund import compiled as fund
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.matching import compiled as matching
from fundflow.engine.plan import EnginePlan
from fundflow.engine.pool import compiled as pool
from fundflow.engine.race import compiled as race
from fundflow.engine.reserve import compiled as reserve
from fundflow.engine.tax import compiled as tax

__all__ = ["EVENT_KINDS", "SIZES", "flat_plan", "run_block_nb"]

#: The mechanisms' plan sections.
SECTIONS = (matching, budget, reserve, tax, credit, fund, extension, pool)
#: The state's slots, once every mechanism has taken its own.
SIZES = slot_sizes()
#: The event kinds, in code order (counted by ``run_block_nb``'s ``seen``).
EVENT_KINDS: tuple[str, ...] = tuple(EVENTS.names)

#: A capacity above this many rows is refused (``ERR_TOO_LARGE``), not grown: about
#: 2 GB of ledger for one replication.
MAX_CAPACITY = 1 << 25
#: Error codes of run_block_nb beyond the state's own (``si[BAD]``: 2, a negative
#: amount).
ERR_TOO_LARGE = 3


_CACHE: weakref.WeakKeyDictionary[EnginePlan, FlatPlan] = weakref.WeakKeyDictionary()


def flat_plan(plan: EnginePlan) -> FlatPlan:
    """The plan's terms as a :class:`~fundflow.engine.core.flat_plan.FlatPlan`: the
    core's section and each mechanism's, built once per plan object."""
    flat = _CACHE.get(plan)
    if flat is None:
        fields = core_section(plan)
        for section in SECTIONS:
            part = section.plan_section(plan)
            assert not part.keys() & fields.keys(), part.keys() & fields.keys()
            fields |= part
        flat = FlatPlan(**fields)  # type: ignore[arg-type]
        _CACHE[plan] = flat
    return flat


@njit(cache=CACHE)
def _schedule_start(s: State, p: FlatPlan) -> None:
    """What the processes started at time 0 wait for first, in their start order:
    the pool's endowment and top-ups, the routes, the budget clock, the tax process,
    the fund's processes."""
    pool.start(s, p)
    for r in range(p.route_ch.shape[0]):
        if entered(s, r):  # a route nobody entered never starts
            push(s, p.cfl[p.route_ch[r], C_START], NORMAL, core.EV_START, r)
    race.start(s, p)
    matching.start(s, p)
    budget.start(s, p)
    tax.start(s, p)
    fund.start(s, p)


@njit(cache=CACHE)
def settle_tax(s: State, p: FlatPlan, y: int) -> None:
    """Budget year ``y``'s tax, route by route; a route whose solver cannot pay a
    recapture within its reserve is abandoned there, before the next route."""
    if not tax.open_year(s, y):
        return
    for r in range(s.ri.shape[0]):
        if not tax.settle_solver(s, p, y, r):
            core.abandon(s, p, r, NONE)
        tax.settle_demander(s, p, y, r)


@njit(cache=CACHE)
def _dispatch_route(s: State, p: FlatPlan, kind: int, a: int) -> bool:
    """The route's own events; False if ``kind`` is not one of them."""
    if kind == core.EV_PHASE:
        core.on_phase(s, p, a)
    elif kind == budget.EV_DUE:
        budget.fall_due(s, p, a)
    elif kind == core.EV_START:
        core.on_start(s, p, a)
    elif kind == race.EV_RACE:
        core.on_race(s, p, a)
    elif kind == matching.EV_CLAW_INIT:
        push(s, p.lag, NORMAL, matching.EV_CLAW, a)
    elif kind == matching.EV_CLAW:
        matching.on_claw(s, p, a)
    elif kind == budget.EV_SETTLED:
        matching.claw_back(s, p, a)
    elif kind == core.EV_VALUE:
        core.on_value(s, p, a)
    elif kind == core.EV_SVALUE:
        core.on_svalue(s, p, a)
    elif kind == extension.EV_EXTEND:
        _extension_step(s, p, a)
    else:
        return False
    return True


@njit(cache=CACHE)
def _extension_step(s: State, p: FlatPlan, r: int) -> None:
    """An extension's period ended: the route pays on, or is reviewed again (it goes
    on from the milestone, or fails), or is abandoned."""
    j = s.ri[r, PHASE]
    step = extension.on_extend(s, p, r, j)
    if step == extension.PASSED:
        core.passed(s, p, r, j + 1)
    elif step == extension.FAILED_AGAIN:
        core.fail(s, p, r, j + 1)
    elif step == extension.ABANDONED:
        core.abandon(s, p, r, NONE)


@njit(cache=CACHE)
def _dispatch(s: State, p: FlatPlan, kind: int, a: int) -> None:
    if _dispatch_route(s, p, kind, a):
        return
    if kind == budget.EV_BUDGET:
        budget.budget_tick(s, p)
    elif kind == tax.EV_TAX:
        settle_tax(s, p, s.si[tax.TYEAR])
        tax.next_year(s, p)
    elif kind == credit.EV_CREDIT_INIT:
        if not credit.on_credit_init(s, p, a):
            core.abandon(s, p, a, NONE)
    elif kind == credit.EV_CREDIT:
        if not credit.on_credit(s, p, a):
            core.abandon(s, p, a, NONE)
    elif kind == fund.EV_FEE:
        fund.on_fee(s, p)
    elif kind == fund.EV_SELL:
        fund.on_sell(s, p)
    elif kind == fund.EV_WINDUP:
        fund.wind_up(s, p)
    elif kind == fund.EV_INVEST:
        fund.on_invest(s, p, a)
    elif kind == fund.EV_EXIT:
        fund.on_exit(s, p, a)
    elif kind == pool.EV_TOPUP:
        pool.on_topup(s, p)


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
        budget.year_ends(s, p, t)
        s.sf[NOW] = t
        seen[kind] += 1
        _dispatch(s, p, kind, a)
        if s.si[OVF]:  # a capacity was too small: the block loop runs it again
            return
        release(s)
    s.sf[NOW] = horizon
    if p.fund_on and not s.si[fund.F_WOUND] and p.f_end <= horizon + 1e-9:
        fund.wind_up(s, p)
    if p.tax_on:
        for y in range(s.yi.shape[0]):
            settle_tax(s, p, y)
    if p.pool_on:
        pool.wind_up(s, p)
    budget.close_years(s, p)


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
    total_delay, loans_outstanding, fund_investments, and per budget year the
    payments committed and unpaid at its end and whether one due waited) and returns the stacked
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
    owned, s = new_state(n_r, n_c, p.horizon, caps, SIZES)
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
            owned, s = new_state(n_r, n_c, p.horizon, caps, SIZES)
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
    committed, delayed, total_delay, loans, investments, unpaid_y, binds_y = per_run
    for r in range(s.ri.shape[0]):
        status[i, r] = s.ri[r, STATUS]
        end_time[i, r] = s.rf[r, END_TIME]
        end_review[i, r] = s.ri[r, REVIEW]
        misconduct[i, r] = s.ri[r, matching.MISC] != 0
        defaulted[i, r] = s.ri[r, credit.DEFAULTED] != 0
    unpaid = s.sf[budget.UNPAID]
    committed[i] = unpaid if unpaid > 1e-9 else 0.0
    delayed[i] = s.si[budget.DELAYED]
    total_delay[i] = s.sf[budget.TOTAL_DELAY]
    lent = 0.0
    for r in range(s.ri.shape[0]):
        if s.ri[r, credit.LOAN]:
            lent += s.rf[r, credit.PRINC]
    loans[i] = lent
    investments[i] = s.si[fund.F_INVESTMENTS]
    c = 3 * s.ri.shape[0]
    for y in range(unpaid_y.shape[1]):
        unpaid_y[i, y] = s.yr[y, c + 1]
        binds_y[i, y] = s.yr[y, c + 2] != 0.0
