"""Compiled (numba) loops over a block's ledgers, one replication after the other.

Each loop repeats NumPy's arithmetic exactly, so that the numbers are those of
:func:`fundflow.results.measures.measure` to the last bit:

* a sum of a bin (``np.bincount``) or a running sum (``np.cumsum``) adds the values
  one after the other, from ``0.0`` (bincount) or from the first value (cumsum);
* ``ndarray.sum`` is NumPy's pairwise summation (:func:`_pairwise`: fewer than 8
  values one after the other, up to 128 in 8 interleaved partial sums, more split
  in two halves at a multiple of 8); ``np.add.reduceat`` adds a segment's first
  value to the pairwise sum of the rest.

Three passes over a replication's rows (:func:`_run_pass`, :func:`_route_pass`,
:func:`_gov_paths`) add every bincount-like sum and the running sums, and collect
in order, each in its own buffer, the values of every pairwise sum, which
:func:`_finish` then sums. The row loops are written for speed without changing a
bit: a value is stored in any case and counted only where it belongs, a value that
belongs to no sum goes to a spare column, choices between floats are made on
integers (on x86 a choice between two floats is a branch, mispredicted row after
row), and indices are unsigned where they can be (no check for a negative index).

Transcendental functions (the discount factors) are computed by NumPy outside, one
per run of equal times (:func:`run_times`). Every replication's rows must be in time
order (ledgers are written in event order); :mod:`fundflow.results.block_measures`
uses its NumPy path otherwise.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numba import njit

from fundflow.engine._nb_borrow import borrow
from fundflow.engine.kernel_cache import CACHE

# Columns of the per-route output (its first axis).
RC_KIND = 0  # six kinds' totals: columns 0..5, in block_measures' _ROUTE_KINDS order
RC_MATCHING, RC_NET, RC_NPV, RC_PEAK, RC_GOV_COST, RC_DEM_NPV = range(6, 12)
N_RC = 12
# Columns of the per-replication output.
RU_OUTLAY, RU_RECOVERIES, RU_GOV_NPV, RU_PEAK, RU_WASTED = range(5)
RU_DEM_OUT, RU_DEM_NPV, RU_GUARANTEE = 5, 6, 7
N_RU = 8
# Codes in measure_rows' ``codes``.
C_SOLVER, C_DEMANDER, C_GOVERNMENT, C_MATCHING, C_PAYOUT, C_GOV_LP, C_SOCIAL_LP = range(7)
_U0, _U1 = np.uint64(0), np.uint64(1)  # unsigned counters and indices
#: The column of ``acc`` of a row that is (1) or is not (0) a matching payment.
_MATCHING_COL = np.array([N_RC, RC_MATCHING], dtype=np.uint64)
#: Depth of :func:`_pairwise`'s stack: enough for 2**64 values.
_DEPTH = 64


#: index 0 as the np.int64 compiled code takes (an int constant is typed as a literal,
#: and its callee compiled once more for it)
_FIRST = cast(int, np.int64(0))
_NO_RUN = cast(int, np.int64(-1))


@njit(cache=CACHE)
def _leaf(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's sum of at most 128 values ``a[lo:lo + n]``."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=CACHE)
def _half(n: int) -> int:  # pragma: no cover - compiled
    """Where NumPy splits ``n > 128`` values: half, rounded down to a multiple of 8."""
    n2 = n // 2
    return n2 - n2 % 8


@njit(cache=CACHE)
def _stack() -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Scratch for :func:`_pairwise`: (start, size, stage) per level, and left sums."""
    return np.zeros((3, _DEPTH), dtype=np.int64), np.zeros(_DEPTH)


@njit(cache=CACHE)
def _pairwise(a: np.ndarray, lo: int, n: int, stack) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[lo:lo + n]``: ``pw(first half) + pw(second half)``
    above 128 values, :func:`_leaf` below; the recursion is walked with ``stack``
    (from :func:`_stack`; a recursive function cannot be cached)."""
    if n <= 128:
        return _leaf(a, lo, n)
    levels, left = stack
    los, ns, stage = levels[0], levels[1], levels[2]  # stage 1: left half pending, 2: right
    top = 0
    los[0], ns[0], stage[0] = lo, n, 0
    while True:
        if ns[top] > 128:
            stage[top] = 1
            los[top + 1], ns[top + 1], stage[top + 1] = los[top], _half(ns[top]), 0
            top += 1
            continue
        result = _leaf(a, los[top], ns[top])
        top -= 1
        while top >= 0 and stage[top] == 2:
            result = left[top] + result
            top -= 1
        if top < 0:
            return result
        left[top] = result
        stage[top] = 2
        n2 = _half(ns[top])
        los[top + 1], ns[top + 1], stage[top + 1] = los[top] + n2, ns[top] - n2, 0
        top += 1


@njit(cache=CACHE, inline="always")
def _sign(plus: bool, minus: bool) -> float:  # pragma: no cover - compiled
    """``float(plus) - float(minus)``: 1.0, -1.0 or 0.0, from integers (a choice
    between two floats would be a branch on x86, mispredicted on ledger rows)."""
    return float(np.int64(plus) - np.int64(minus))


@njit(cache=CACHE)
def array_sum(a: np.ndarray) -> float:  # pragma: no cover - compiled
    """``a.sum()`` of a 1-D float array, bit for bit (for tests)."""
    return 0.0 + _pairwise(a, _FIRST, a.size, _stack())


@njit(cache=CACHE)
def run_times(time: np.ndarray, offsets: np.ndarray) -> tuple[bool, np.ndarray]:  # pragma: no cover
    """The first time of every run of equal times of the block's ``time`` column, and
    whether :func:`measure_rows` applies: the offsets cover the rows in order, and
    every replication's rows are in time order (no NaN). Branch-free on the rows:
    every time is written, and kept (counted) where a run starts."""
    runs = np.empty(time.size)
    n = offsets.size - 1
    if offsets[0] != 0 or offsets[n] != time.size:
        return False, runs[:0]
    m = 0
    prev = np.nan
    for rep in range(n):
        lo, hi = offsets[rep], offsets[rep + 1]
        in_order = hi >= lo
        last = -np.inf
        for i in range(lo, hi):
            t = time[i]
            in_order &= t >= last
            last = t
            runs[m] = t
            m += t != prev
            prev = t
        if not in_order:
            return False, runs[:0]
    return True, runs[:m]


@njit(cache=CACHE)
def _run_pass(rep, lo, hi, run, led, factors, c, s):  # pragma: no cover - compiled
    """Replication ``rep``'s rows ``lo:hi``: each row's discount factor and the
    government's net outflow on it (into ``s``), and the values of the pairwise sums
    of the ``RU_*`` columns and of the kinds, each collected in order in its buffer
    (a value is written in any case, and counted where it belongs: no branch to
    mispredict). ``run`` is the index of the run of equal times before row ``lo``;
    returns the last. Indices are unsigned where they can be (no wraparound code)."""
    time, payer, payee, amount, kind, _, route = led
    is_gov, _, _, is_wasted, codes, kind_slot, status = c
    bufs, n_in, kb, kc, disc, gov_out = s[0], s[1], s[2], s[3], s[4], s[5]
    demander, government, payout = codes[C_DEMANDER], codes[C_GOVERNMENT], codes[C_PAYOUT]
    n_out = n_rec = n_wasted = n_payout = _U0
    prev = time[lo - 1] if lo > 0 else np.nan
    start = np.uint64(lo)
    for i in range(start, np.uint64(hi)):
        j = i - start
        run += time[i] != prev
        prev = time[i]
        d = disc[j] = factors[run]
        a, p, q, k, r = amount[i], payer[i], payee[i], kind[i], route[i]
        g = gov_out[j] = a * _sign(is_gov[p], is_gov[q])
        bufs[RU_OUTLAY, n_out] = a
        n_out += np.uint64(is_gov[p])
        bufs[RU_RECOVERIES, n_rec] = a
        n_rec += np.uint64(is_gov[q])
        bufs[RU_GOV_NPV, j] = g * d
        bufs[RU_WASTED, n_wasted] = g
        n_wasted += np.uint64(r >= 0 and is_wasted[status[rep, r]])
        dem_out = a * _sign(p == demander, q == demander)
        bufs[RU_DEM_OUT, j] = dem_out
        bufs[RU_DEM_NPV, j] = dem_out * d
        bufs[RU_GUARANTEE, n_payout] = a
        n_payout += np.uint64((k == payout) & (p == government))
        slot = kind_slot[k]
        kb[slot, kc[slot]] = a
        kc[slot] += _U1
    n_in[RU_OUTLAY], n_in[RU_RECOVERIES] = n_out, n_rec
    n_in[RU_WASTED], n_in[RU_GUARANTEE] = n_wasted, n_payout
    n_in[RU_GOV_NPV] = n_in[RU_DEM_OUT] = n_in[RU_DEM_NPV] = hi - lo
    return run


@njit(cache=CACHE)
def _route_pass(rep, lo, hi, led, c, s, o):  # pragma: no cover - compiled
    """Replication ``rep``'s per-route bincount sums, net cash by party (received and
    paid apart, as two bincounts) and LP payers; the rows where the solver's cash moves
    are kept per route (time, the solver's net outflow) for :func:`_route_peaks`.
    A value that belongs to no route column goes to the spare last column of ``acc``
    (a choice of column is a conditional move, not a branch), and ``s[11]`` counts the
    rows of each kind on a route."""
    time, payer, payee, amount, kind, challenge, route = led
    _, route_col, first_route, _, codes, _, _ = c
    disc, gov_out, mt, mf, mc, received, paid = s[4], s[5], s[6], s[7], s[8], s[9], s[10]
    on_route, acc, counts = s[11], s[12], o[6]
    solver, demander, government = codes[C_SOLVER], codes[C_DEMANDER], codes[C_GOVERNMENT]
    start, n_matching = np.uint64(lo), _U0
    for i in range(start, np.uint64(hi)):
        a, p, q, k, r = amount[i], payer[i], payee[i], kind[i], route[i]
        received[q] += a
        paid[p] += a
        d, g = disc[i - start], gov_out[i - start]
        dem = a * _sign(q == demander, p == demander)
        counts[rep, 1] += p == codes[C_GOV_LP]
        counts[rep, 2] += p == codes[C_SOCIAL_LP]
        if r >= 0:
            u = np.uint64(r)
            counts[rep, 0] += 1
            on_route[k] += _U1
            sol = a * _sign(q == solver, p == solver)
            acc[u, route_col[k]] += a
            matching = (p == government) & (k == codes[C_MATCHING])
            acc[u, _MATCHING_COL[np.uint64(matching)]] += a
            n_matching += np.uint64(matching)
            acc[u, RC_NET] += sol
            acc[u, RC_NPV] += sol * d
            mt[u, mc[u]] = time[i]
            mf[u, mc[u]] = -sol
            mc[u] += np.uint64(sol != 0.0)
            acc[u, RC_GOV_COST] += g
            acc[u, RC_DEM_NPV] += dem * d
        else:
            first = first_route[challenge[i]]
            if first >= 0:
                acc[first, RC_GOV_COST] += g
                acc[first, RC_DEM_NPV] += dem * d
    on_route[-1] += n_matching


@njit(cache=CACHE)
def _gov_paths(rep, lo, hi, time, gov_out, grid, ru, exposure):  # pragma: no cover
    """Peak exposure (same-time flows netted first) and the exposure path. A running
    sum starts at -0.0, which adds to its first value without changing a bit."""
    cum = path = -0.0
    group = 0.0
    top = -np.inf
    at = 0
    prev = time[lo] if hi > lo else 0.0
    for i in range(lo, hi):
        t = time[i]
        while at < grid.size and not t <= grid[at]:
            exposure[rep, at] = path if i > lo else 0.0
            at += 1
        new = t != prev
        prev = t
        flushed = cum + group
        cum = flushed if new else cum
        top = max(top, flushed) if new else top
        g = gov_out[i - lo]
        group = (0.0 if new else group) + g
        path += g
    if hi > lo:
        cum += group
        top = max(top, cum)
    ru[rep, RU_PEAK] = top if top > 0.0 else 0.0
    for j in range(at, grid.size):
        exposure[rep, j] = path if hi > lo else 0.0


@njit(cache=CACHE)
def _route_peaks(mt, mf, mc, stack, acc):  # pragma: no cover - compiled
    """Each route's peak funding gap (max cumulative net outflow of the solver), from
    the rows where the solver's cash moves, by route (then by time)."""
    have = False
    cum = 0.0
    for r in range(mc.size):
        e = np.int64(mc[r])
        if e == 0:
            continue
        offset = cum if have else 0.0
        top = -np.inf
        p = 0
        while p < e:
            q = p + 1
            while q < e and mt[r, q] == mt[r, p]:
                q += 1
            g = mf[r, p] + _pairwise(mf[r], p + 1, q - p - 1, stack) if q - p > 1 else mf[r, p]
            cum = cum + g if have else g
            have = True
            top = max(top, cum - offset)
            p = q
        acc[r, RC_PEAK] = top if top > 0.0 else 0.0


@njit(cache=CACHE)
def _finish(rep, s, o, stack):  # pragma: no cover - compiled
    """Replication ``rep``'s pairwise sums, net cash and route peaks from the passes'
    buffers, and its route columns from ``acc``; all are then emptied for the next."""
    bufs, n_in, kb, kc, _, _, mt, mf, mc, received, paid, _, acc = s[:13]
    rt, ru, kinds, net, _, _, _ = o
    for p in range(received.size):
        net[rep, p] = received[p] - paid[p]
    for k in range(kinds.shape[1]):
        kinds[rep, k] = 0.0 + _pairwise(kb[k], _FIRST, np.int64(kc[k]), stack)
    for k in range(N_RU):
        if k != RU_PEAK:
            ru[rep, k] = 0.0 + _pairwise(bufs[k], _FIRST, n_in[k], stack)
    _route_peaks(mt, mf, mc, stack, acc)
    for r in range(acc.shape[0]):
        for k in range(N_RC):
            rt[k, rep, r] = acc[r, k]
    acc[:] = 0.0
    n_in[:] = 0
    kc[:] = 0
    mc[:] = 0
    received[:] = 0.0
    paid[:] = 0.0


@njit(cache=CACHE)
def measure_rows(led, offsets, factors, grid, c, n_slots, n_parties):  # pragma: no cover
    """Every replication's sums, one replication after the other.

    ``led`` holds the ledger's columns (party and kind codes as ``uint8``);
    ``factors`` the discount factors of :func:`run_times` (NumPy's ``power``, computed
    outside); ``c`` is ``(is_gov, route_col, first_route, is_wasted, codes, kind_slot,
    status)``: per party code whether it is the government's, per kind its route
    column or ``N_RC`` (``uint64``), per challenge its first route (-1 and a last -1
    for rows of no challenge), per route status whether its outlay is wasted, the
    ``C_*`` codes, per kind its column of ``kinds`` or ``n_slots`` (``uint64``), and
    the (n, R) route statuses. Returns ``(rt, ru, kinds, net, exposure, flags,
    counts)``: the ``RC_*`` columns per (replication, route), per replication the
    ``RU_*`` columns, the totals of the kinds of ``kind_slot``, net cash by party and
    the exposure path; ``flags[k]`` says that some row of the block is on a route for
    route column ``k`` (kinds, matching, any row); ``counts``: rows on a route, rows
    paid by gov_lp, by social_lp.
    """
    n = offsets.size - 1
    route_col, n_routes = c[1], c[6].shape[1]
    longest = 1
    for rep in range(n):
        longest = max(longest, offsets[rep + 1] - offsets[rep])
    s = (
        np.empty((N_RU, longest)),
        np.zeros(N_RU, dtype=np.int64),
        np.empty((n_slots + 1, longest)),
        np.zeros(n_slots + 1, dtype=np.uint64),
        np.empty(longest),
        np.empty(longest),
        np.empty((n_routes, longest)),
        np.empty((n_routes, longest)),
        np.zeros(n_routes, dtype=np.uint64),
        np.zeros(n_parties),
        np.zeros(n_parties),
        np.zeros(route_col.size + 1, dtype=np.uint64),
        np.zeros((n_routes, N_RC + 1)),  # the last column: sums of no route column
        *_stack(),
    )
    o = (
        np.zeros((N_RC, n, n_routes)),
        np.zeros((n, N_RU)),
        np.zeros((n, n_slots)),
        np.zeros((n, n_parties)),
        np.zeros((n, grid.size)),
        np.zeros(N_RC, dtype=np.bool_),
        np.zeros((n, 3), dtype=np.int64),
    )
    # Borrowed views (no reference counts on each call): s and o stay referenced
    # below, the arguments by the caller.
    bl, bf, bg, bc, bs, bo = borrow((led, factors, grid, c, s, o))
    stack = (bs[13], bs[14])
    run = _NO_RUN
    for rep in range(n):
        lo, hi = offsets[rep], offsets[rep + 1]
        run = _run_pass(rep, lo, hi, run, bl, bf, bc, bs)
        _route_pass(rep, lo, hi, bl, bc, bs, bo)
        _gov_paths(rep, lo, hi, bl[0], bs[5], bg, bo[1], bo[4])
        _finish(rep, bs, bo, stack)
    _flags(route_col, s[11], o[5])
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
