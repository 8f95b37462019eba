"""The loops that sum a block's ledgers into the measures, one replication after the other.

**The order of the sums.** Every sum of a replication's values adds them one at a time,
starting from ``0.0``, in the order of its rows, which is time order (the engine
writes each ledger in event order; :mod:`fundflow.results.block_measures` sorts a
replication whose rows are not, keeping rows at equal times in ledger order):

* a total over the replication's rows (government outlay, NPVs, kind totals, ...), a
  total per route or per party adds the rows that belong to it in that order;
* a total over the routes (the solvers' runs-table measures) adds them in route order;
* a running sum (the exposure path, peak exposure, a route's peak funding gap) first
  adds the flows at one time into their own sum, from ``0.0``, and adds that to the
  running sum, which starts at ``0.0``.

This is fundflow's own order, not NumPy's (``ndarray.sum`` sums pairwise, in blocks
that depend on the array's length): a measure may differ from a NumPy expression of
it in the last bits, and its order never depends on the block a replication is
measured in.

**One source, two ways to run it.** The functions are numba kernels. Where numba
cannot be imported, or a ledger holds a party or kind code outside its table (the
compiled loops index without bounds checks), :func:`python_loops` runs the same
functions as Python (each kernel's original, ``py_func``): slower, the same bits
(``tests/test_block_measures.py`` checks both); its indexing is checked, so a code out
of range raises ``IndexError``. Transcendental functions (the
discount factors) are computed by NumPy outside, one per run of equal times
(:func:`run_times`), for both.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from fundflow.engine.kernel_cache import CACHE

try:
    from numba import njit

    from fundflow.engine.borrow import borrow

    COMPILED = True
except ImportError:  # pragma: no cover - numba is a dependency; python_loops runs these
    COMPILED = False

    def njit(**_: Any) -> Callable[[Callable[..., Any]], Any]:  # type: ignore[no-redef]
        """numba missing: the function itself, its own ``py_func``."""

        def keep(f: Callable[..., Any]) -> Any:
            f.py_func = f  # type: ignore[attr-defined]
            return f

        return keep

    def borrow(x: Any) -> Any:
        return x  # Python counts references


# Columns of the per-route output (its first axis).
RC_KIND = 0  # six kinds' totals: columns 0..5, in block_measures' ROUTE_KINDS order
RC_MATCHING, RC_NET, RC_NPV, RC_PEAK, RC_GOV_COST, RC_DEM_NPV, RC_GOV_ALL = range(6, 13)
N_RC = 13
# Columns of the per-replication output.
RU_OUTLAY, RU_RECOVERIES, RU_GOV_NPV, RU_PEAK, RU_WASTED = range(5)
RU_DEM_OUT, RU_DEM_NPV, RU_GUARANTEE = 5, 6, 7
RU_SOLVER_NET, RU_SOLVER_NPV, RU_SOLVER_LOSS, RU_STARTED_NPV = 8, 9, 10, 11  # over routes
RU_BUDGET, RU_BUDGET_NPV, RU_SUBSIDY = 12, 13, 14  # budget cash, its NPV; tax on subsidies
N_RU = 15
# Codes in measure_rows' ``codes``.
C_SOLVER, C_DEMANDER, C_GOVERNMENT, C_MATCHING, C_PAYOUT, C_NOT_STARTED, C_SUBSIDY = range(7)
C_POOL = 7  # the government's risk pool: its payouts are budget cash
# Rows of a route's running-sum state (``s[1]``): last time, running sum, flows of
# the last time, maximum.
_LAST, _CUM, _GROUP, _TOP = range(4)
#: The column of ``acc`` of a row that is (1) or is not (0) a matching payment.
_MATCHING_COL = np.array([N_RC, RC_MATCHING], dtype=np.int64)
_NONE = np.int64(-1)


@njit(cache=CACHE)
def _sign(plus: bool, minus: bool) -> float:  # pragma: no cover - compiled
    """``float(plus) - float(minus)``: 1.0, -1.0 or 0.0, from integers (a choice
    between two floats would be a branch on x86, mispredicted on ledger rows)."""
    return float(np.int64(plus) - np.int64(minus))


@njit(cache=CACHE)
def _kept(a: float, keep: bool) -> float:  # pragma: no cover - compiled
    """``a`` where ``keep``, else ``0.0``, which adds nothing to a sum started at ``0.0``."""
    return a if keep else 0.0


@njit(cache=CACHE)
def run_times(time: np.ndarray, offsets: np.ndarray) -> tuple[bool, np.ndarray]:  # pragma: no cover
    """The first time of every run of equal times of the block's ``time`` column, and
    whether every replication's rows (``offsets``) are in time order (no NaN).
    Branch-free on the rows: every time is written, and kept where a run starts."""
    runs = np.empty(time.size)
    in_order = True
    m = 0
    prev = np.nan
    for rep in range(offsets.size - 1):
        last = -np.inf
        for i in range(offsets[rep], offsets[rep + 1]):
            t = time[i]
            in_order &= t >= last
            last = t
            runs[m] = t
            m += t != prev
            prev = t
    return in_order, runs[:m]


@njit(cache=CACHE)
def _run_rows(rep, lo, hi, run, led, factors, grid, c, o):  # pragma: no cover - compiled
    """Replication ``rep``'s rows ``lo:hi``: the ``RU_*`` totals over rows, the kinds'
    and parties' totals, the exposure path and peak exposure. ``run`` is the index of
    the run of equal times before row ``lo``; returns the last."""
    time, payer, payee, amount, kind, _, route = led
    is_gov, _, _, is_wasted, codes, kind_slot, status, budget_kind, all_in_kind = c
    ru, kinds, received, paid, exposure = o[1][rep], o[2][rep], o[3][rep], o[4][rep], o[5][rep]
    demander, government, payout = codes[C_DEMANDER], codes[C_GOVERNMENT], codes[C_PAYOUT]
    subsidy, pool = codes[C_SUBSIDY], codes[C_POOL]
    prev = time[lo - 1] if lo > 0 else np.nan
    cum = group = path = top = 0.0
    at = 0
    for i in range(lo, hi):
        t, a, p, q, k, r = time[i], amount[i], payer[i], payee[i], kind[i], route[i]
        new = t != prev
        prev = t
        run += new
        d = factors[run]
        # budget cash: the government's and its pool's (transfers between them net out)
        g = a * _sign((p == government) | (p == pool), (q == government) | (q == pool))
        g *= budget_kind[k]
        dem_out = a * _sign(p == demander, q == demander)
        # not between the government's own accounts (its pool)
        ru[RU_OUTLAY] += _kept(a, is_gov[p] > is_gov[q])
        ru[RU_RECOVERIES] += _kept(a, is_gov[q] > is_gov[p])
        ru[RU_BUDGET] += g
        ru[RU_BUDGET_NPV] += g * d
        ru[RU_GOV_NPV] += a * _sign(is_gov[p], is_gov[q]) * all_in_kind[k] * d
        ru[RU_SUBSIDY] += _kept(a * _sign(q == government, p == government), k == subsidy)
        ru[RU_WASTED] += _kept(g, r >= 0 and is_wasted[status[rep, r]])
        ru[RU_DEM_OUT] += dem_out
        ru[RU_DEM_NPV] += dem_out * d
        ru[RU_GUARANTEE] += _kept(a, (k == payout) & (p == government))
        kinds[kind_slot[k]] += a
        received[q] += a
        paid[p] += a
        while at < grid.size and not t <= grid[at]:
            exposure[at] = path
            at += 1
        path += g
        flushed = cum + group  # the flows of the last time, into the running sum
        cum = flushed if new else cum
        top = flushed if new and flushed > top else top
        group = (0.0 if new else group) + g
    exposure[at:] = path
    cum += group
    ru[RU_PEAK] = cum if cum > top else top
    return run


@njit(cache=CACHE)
def _route_rows(rep, lo, hi, run, led, factors, c, s, o):  # pragma: no cover - compiled
    """Replication ``rep``'s totals per route (into ``acc``, whose last column takes
    what belongs to no route column) and each route's running sum of the solver's net
    outflow; ``on_route`` counts the rows of each kind on a route."""
    time, payer, payee, amount, kind, challenge, route = led
    is_gov, route_col, first_route, _, codes, _, _, budget_kind, all_in_kind = c
    acc, state, on_route, counts = s[0], s[1], s[2], o[7]
    solver, demander, government = codes[C_SOLVER], codes[C_DEMANDER], codes[C_GOVERNMENT]
    pool = codes[C_POOL]
    prev = time[lo - 1] if lo > 0 else np.nan
    for i in range(lo, hi):
        t, a, p, q, k, r = time[i], amount[i], payer[i], payee[i], kind[i], route[i]
        run += t != prev
        prev = t
        d = factors[run]
        gov = a * _sign(is_gov[p], is_gov[q])
        g = a * _sign((p == government) | (p == pool), (q == government) | (q == pool))
        g *= budget_kind[k]
        dem = a * _sign(q == demander, p == demander)
        if r < 0:
            r = first_route[challenge[i]]  # the challenge's rows of no route: its first
            if r >= 0:
                acc[r, RC_GOV_COST] += g
                acc[r, RC_GOV_ALL] += gov * all_in_kind[k]
                acc[r, RC_DEM_NPV] += dem * d
            continue
        counts[rep] += 1
        on_route[k] += 1
        sol = a * _sign(q == solver, p == solver)
        matching = (p == government) & (k == codes[C_MATCHING])
        on_route[-1] += np.int64(matching)
        acc[r, route_col[k]] += a
        acc[r, _MATCHING_COL[np.int64(matching)]] += a
        acc[r, RC_NET] += sol
        acc[r, RC_NPV] += sol * d
        acc[r, RC_GOV_COST] += g
        acc[r, RC_GOV_ALL] += gov * all_in_kind[k]
        acc[r, RC_DEM_NPV] += dem * d
        _gap(state, r, t, -sol)
    return run


@njit(cache=CACHE)
def _gap(state, r, t, outflow):  # pragma: no cover - compiled
    """One row of route ``r``'s running sum of the solver's net outflow (its flows at
    one time added together first); ``state`` holds ``_LAST, _CUM, _GROUP, _TOP``."""
    new = t != state[_LAST, r]
    state[_LAST, r] = t
    flushed = state[_CUM, r] + state[_GROUP, r]
    state[_CUM, r] = flushed if new else state[_CUM, r]
    state[_TOP, r] = flushed if new and flushed > state[_TOP, r] else state[_TOP, r]
    state[_GROUP, r] = (0.0 if new else state[_GROUP, r]) + outflow


@njit(cache=CACHE)
def _finish(rep, c, s, o):  # pragma: no cover - compiled
    """Replication ``rep``'s route columns from ``acc`` and the running sums, and its
    totals over routes; the scratch is then emptied for the next replication."""
    acc, state = s[0], s[1]
    rt, ru, status = o[0], o[1][rep], c[6][rep]
    not_started = c[4][C_NOT_STARTED]
    for r in range(acc.shape[0]):
        cum = state[_CUM, r] + state[_GROUP, r]
        acc[r, RC_PEAK] = cum if cum > state[_TOP, r] else state[_TOP, r]
        for k in range(N_RC):
            rt[k, rep, r] = acc[r, k]
        net, npv = acc[r, RC_NET], acc[r, RC_NPV]
        ru[RU_SOLVER_NET] += net
        ru[RU_SOLVER_NPV] += npv
        ru[RU_SOLVER_LOSS] += 0.0 if -net <= 0.0 else -net  # np.maximum(0.0, -net)
        ru[RU_STARTED_NPV] += _kept(npv, status[r] != not_started)
    acc[:] = 0.0
    state[:] = 0.0
    state[_LAST] = np.nan


@njit(cache=CACHE)
def measure_rows(led, offsets, factors, grid, c, n_slots, n_parties):  # pragma: no cover
    """Every replication's sums, one replication after the other.

    ``led`` holds the ledger's columns (party and kind codes as ``uint8`` for the
    compiled loops); ``factors`` the discount factors of :func:`run_times` (NumPy's
    ``power``, computed outside); ``grid`` the exposure path's times, in increasing
    order; ``c`` is ``(is_gov, route_col, first_route, is_wasted, codes, kind_slot,
    status, budget_kind, all_in_kind)``: per party code whether it is the
    government's (with its fund stake), per kind its route column or ``N_RC``, per
    challenge its first route (-1, and a last -1 for rows of no challenge), per route
    status whether its outlay is wasted, the ``C_*`` codes, per kind its column of
    ``kinds`` or ``n_slots``, the (n, R) route statuses, per kind whether the
    government's rows of it are budget cash (1.0) or not (0.0: tax), and per kind the
    weight of the government's rows of it in the all-in cost (1.0; tax rows the share
    attributable to the program).
    Returns ``(rt, ru, kinds, received, paid, exposure, flags, counts)``: the
    ``RC_*`` columns per (replication, route), per replication the ``RU_*`` totals,
    the totals of the kinds of ``kind_slot`` (and a last column for the others), what
    each party received and paid, the exposure path, the rows on a route; ``flags[k]``
    says that some row of the block is on a route for route column ``k`` (kinds,
    matching, any row).
    """
    n = offsets.size - 1
    n_routes = c[6].shape[1]
    s = (
        np.zeros((n_routes, N_RC + 1)),  # the last column: rows of no route column
        np.zeros((4, n_routes)),
        np.zeros(c[1].size + 1, dtype=np.int64),  # the last: matching rows
    )
    s[1][_LAST] = np.nan
    o = (
        np.zeros((N_RC, n, n_routes)),
        np.zeros((n, N_RU)),
        np.zeros((n, n_slots + 1)),
        np.zeros((n, n_parties)),
        np.zeros((n, n_parties)),
        np.zeros((n, grid.size)),
        np.zeros(N_RC, dtype=np.bool_),
        np.zeros(n, dtype=np.int64),
    )
    # Borrowed views (no reference counts on each call): s and o stay referenced
    # below, the arguments by the caller.
    bl, bf, bg, bc, bs, bo = borrow((led, factors, grid, c, s, o))
    run = run_before = _NONE
    for rep in range(n):
        lo, hi = offsets[rep], offsets[rep + 1]
        run = _run_rows(rep, lo, hi, run_before, bl, bf, bg, bc, bo)
        _route_rows(rep, lo, hi, run_before, bl, bf, bc, bs, bo)
        _finish(rep, bc, bs, bo)
        run_before = run
    _flags(c[1], s[2], o[6])
    return o


@njit(cache=CACHE)
def _flags(route_col, on_route, flags):  # pragma: no cover - compiled
    """Which route columns some row of the block is on a route for: a kind's, matching's
    (``on_route[-1]`` counts its rows), any row's (``RC_NET``)."""
    for k in range(route_col.size):
        if on_route[k] > 0:
            flags[RC_NET] = True
            if route_col[k] < N_RC:
                flags[route_col[k]] = True
    flags[RC_MATCHING] = on_route[-1] > 0


# Columns of year_rows' output (its second axis), and the year classes of a kind.
Y_BUDGET, Y_OUTSIDE, Y_FUND, Y_TAX = range(4)
N_Y = 4
#: A kind whose rows go in no column of year_rows.
Y_NONE = np.int64(N_Y)


@njit(cache=CACHE)
def year_rows(led, offsets, year_class, government, gov_lp, n_years):  # pragma: no cover
    """Per replication and budget year ``0 .. n_years - 1``, the government's money
    of each ``Y_*`` column, added in the order of the rows (time order).

    ``year_class[k]`` is the column of kind ``k``'s rows (``Y_NONE``: none).
    ``Y_BUDGET``, ``Y_OUTSIDE`` and ``Y_TAX`` rows count what the government
    (``government``) pays less what it receives; ``Y_FUND`` rows what the government
    LP (``gov_lp``) pays in. A row at time ``t`` is in year ``floor(t)``, a tax row in
    the year that ends at ``t`` (``ceil(t) - 1``: tax is recognised at the year's
    end); what falls after the last year (at the horizon) is in the last.
    """
    time, payer, payee, amount, kind, _, _ = led
    n = offsets.size - 1
    out = np.zeros((n, N_Y, n_years))
    last = n_years - 1
    for rep in range(n):
        o = out[rep]
        for i in range(offsets[rep], offsets[rep + 1]):
            t, a, p, q = time[i], amount[i], payer[i], payee[i]
            col = year_class[kind[i]]
            if col == N_Y:
                continue
            if col == Y_FUND:
                a = _kept(a, p == gov_lp)
            else:
                a = a * _sign(p == government, q == government)
            y = int(np.ceil(t)) - 1 if col == Y_TAX else int(np.floor(t))
            o[col, min(max(y, 0), last)] += a
    return out


@functools.cache
def python_loops() -> types.SimpleNamespace:
    """This module's kernels as Python: each one's original (``py_func``), calling the
    others' originals, with ``borrow`` doing nothing (Python counts its references)."""
    scope = dict(globals())
    scope["borrow"] = lambda x: x
    for name, value in globals().items():
        f = getattr(value, "py_func", None)
        if f is not None and f.__module__ == __name__:
            scope[name] = types.FunctionType(f.__code__, scope, f.__name__, f.__defaults__)
    return types.SimpleNamespace(**scope)
