"""Compiled (numba) loops over a block's ledgers: one pass per replication.

Each loop repeats NumPy's arithmetic exactly, so that the numbers are those of
:func:`fundflow.results.measures.measure` to the last bit:

* a sum of a bin (``np.bincount``) or a running sum (``np.cumsum``) adds the values
  one after the other, from ``0.0`` (bincount) or from the first value (cumsum);
* ``ndarray.sum`` is NumPy's pairwise summation (:func:`_pairwise`: fewer than 8
  values one after the other, up to 128 in 8 interleaved partial sums, more split
  in two halves at a multiple of 8); ``np.add.reduceat`` adds a segment's first
  value to the pairwise sum of the rest.

Transcendental functions (the discount factors) are computed by NumPy outside.
Every replication's rows must be in time order (ledgers are written in event
order); :mod:`fundflow.results.block_measures` uses its NumPy path otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Columns of the per-route output (its last axis).
RC_KIND = 0  # six kinds' totals: columns 0..5, in block_measures' _ROUTE_KINDS order
RC_MATCHING, RC_NET, RC_NPV, RC_PEAK, RC_GOV_COST, RC_DEM_NPV = range(6, 12)
N_RC = 12
# Columns of the per-replication output.
RU_OUTLAY, RU_RECOVERIES, RU_GOV_NPV, RU_PEAK, RU_WASTED = range(5)
RU_DEM_OUT, RU_DEM_NPV, RU_GUARANTEE = 5, 6, 7
N_RU = 8


@njit(cache=True)
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


@njit(cache=True)
def _half(n: int) -> int:  # pragma: no cover - compiled
    """Where NumPy splits ``n > 128`` values: half, rounded down to a multiple of 8."""
    n2 = n // 2
    return n2 - n2 % 8


@njit(cache=True)
def _pairwise(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[lo:lo + n]``: ``pw(first half) + pw(second half)``
    above 128 values, :func:`_leaf` below; the recursion is walked with a stack
    (a recursive function cannot be cached)."""
    if n <= 128:
        return _leaf(a, lo, n)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    stage = np.zeros(64, dtype=np.int64)  # 0 new, 1 left half pending, 2 right half pending
    left = np.empty(64)
    top = 0
    los[0], ns[0] = lo, n
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


@njit(cache=True, inline="always")
def _one(flag: bool) -> float:  # pragma: no cover - compiled
    """``float(flag)``: 1.0 or 0.0."""
    return 1.0 if flag else 0.0


@njit(cache=True)
def array_sum(a: np.ndarray) -> float:  # pragma: no cover - compiled
    """``a.sum()`` of a 1-D float array, bit for bit (for tests)."""
    return 0.0 + _pairwise(a, 0, a.size)


@njit(cache=True)
def in_time_order(time: np.ndarray, offsets: np.ndarray) -> bool:  # pragma: no cover
    """Every replication's rows are in time order."""
    for rep in range(offsets.size - 1):
        for i in range(offsets[rep] + 1, offsets[rep + 1]):
            if time[i] < time[i - 1]:
                return False
    return True


@njit(cache=True)
def _expand(time: np.ndarray, factors: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Per row, the factor of its time: ``factors`` holds one per run of equal times."""
    out = np.empty(time.size)
    g = -1
    for i in range(time.size):
        if i == 0 or time[i] != time[i - 1]:
            g += 1
        out[i] = factors[g]
    return out


@njit(cache=True)
def _route_sums(
    rep, lo, hi, led, disc, gov_out, c, rt, net, flags, counts, moves
):  # pragma: no cover
    """Per-route bincount sums, the challenge flows, and net cash by party; the rows
    where the solver's cash moves on a route go to ``moves`` (their count returned).

    ``c``: is_gov, route_kind, first_route (challenge -1 -> -1), is_wasted, and the
    codes of solver, demander, government, matching, guarantee_payout, gov_lp and
    social_lp. ``counts``: rows on a route, rows paid by gov_lp, by social_lp.
    """
    _, payer, payee, amount, kind, challenge, route = led
    is_gov, route_kind, first_route, _, codes = c
    solver, demander, government, matching = codes[0], codes[1], codes[2], codes[3]
    n_moves = 0
    for i in range(lo, hi):
        a = amount[i]
        r = route[i]
        net[rep, payee[i]] += a
        g = a * (_one(is_gov[payer[i]]) - _one(is_gov[payee[i]]))
        gov_out[i - lo] = g
        dem = a * (_one(payee[i] == demander) - _one(payer[i] == demander))
        if payer[i] == codes[5]:
            counts[rep, 1] += 1
        elif payer[i] == codes[6]:
            counts[rep, 2] += 1
        if r >= 0:
            counts[rep, 0] += 1
            sol = a * (_one(payee[i] == solver) - _one(payer[i] == solver))
            k = route_kind[kind[i]]
            if k >= 0:
                rt[k, rep, r] += a
                flags[k] = True
            if payer[i] == government and kind[i] == matching:
                rt[RC_MATCHING, rep, r] += a
                flags[RC_MATCHING] = True
            rt[RC_NET, rep, r] += sol
            rt[RC_NPV, rep, r] += sol * disc[i]
            flags[RC_NET] = True
            slot = r
            if sol != 0.0:
                moves[n_moves] = i
                n_moves += 1
        else:
            slot = first_route[challenge[i]]
        if slot >= 0:
            rt[RC_GOV_COST, rep, slot] += g
            rt[RC_DEM_NPV, rep, slot] += dem * disc[i]
    return n_moves


@njit(cache=True)
def _net_paid(rep, lo, hi, payer, amount, net):  # pragma: no cover - compiled
    """Net cash = received (already in ``net``) - paid, as two bincounts subtract."""
    paid = np.zeros(net.shape[1])
    for i in range(lo, hi):
        paid[payer[i]] += amount[i]
    for p in range(net.shape[1]):
        net[rep, p] -= paid[p]


@njit(cache=True)
def _gov_paths(rep, lo, hi, time, gov_out, grid, ru, exposure):  # pragma: no cover
    """Peak exposure (same-time flows netted first) and the exposure path."""
    have = False
    cum = 0.0
    top = -np.inf
    i = lo
    while i < hi:
        t = time[i]
        g = 0.0
        while i < hi and time[i] == t:
            g += gov_out[i - lo]
            i += 1
        cum = cum + g if have else g
        have = True
        top = max(top, cum)
    ru[rep, RU_PEAK] = top if have and top > 0.0 else 0.0
    c = 0.0
    k = lo
    for j in range(grid.size):
        while k < hi and time[k] <= grid[j]:
            c = c + gov_out[k - lo] if k > lo else gov_out[0]
            k += 1
        exposure[rep, j] = c


@njit(cache=True)
def _route_peaks(rep, moves, n_moves, led, solver, start, tbuf, fbuf, rt):  # pragma: no cover
    """Each route's peak funding gap (max cumulative net outflow of the solver), from
    the rows where the solver's cash moves, sorted by route (stably: then by time)."""
    time, payer, payee, amount, _, _, route = led
    n_routes = start.size - 1
    start[:] = 0
    for m in range(n_moves):
        start[route[moves[m]] + 1] += 1
    for r in range(n_routes):
        start[r + 1] += start[r]
    fill = start[:n_routes].copy()
    for m in range(n_moves):
        i = moves[m]
        at = fill[route[i]]
        tbuf[at] = time[i]
        fbuf[at] = -(amount[i] * (_one(payee[i] == solver) - _one(payer[i] == solver)))
        fill[route[i]] += 1
    have = False
    cum = 0.0
    for r in range(n_routes):
        s, e = start[r], start[r + 1]
        if s == e:
            continue
        offset = cum if have else 0.0
        top = -np.inf
        p = s
        while p < e:
            q = p + 1
            while q < e and tbuf[q] == tbuf[p]:
                q += 1
            g = fbuf[p] + _pairwise(fbuf, p + 1, q - p - 1) if q - p > 1 else fbuf[p]
            cum = cum + g if have else g
            have = True
            top = max(top, cum - offset)
            p = q
        rt[RC_PEAK, rep, r] = top if top > 0.0 else 0.0


@njit(cache=True)
def _kind_sums(kind, amount, lo, hi, buf, start, out):  # pragma: no cover - compiled
    """Per kind ``k``, ``amount[kind == k].sum()`` over rows ``lo:hi`` into ``out``."""
    n_kinds = out.size
    start[:] = 0
    for i in range(lo, hi):
        start[kind[i] + 1] += 1
    for k in range(n_kinds):
        start[k + 1] += start[k]
    fill = start[:n_kinds].copy()
    for i in range(lo, hi):
        buf[fill[kind[i]]] = amount[i]
        fill[kind[i]] += 1
    for k in range(n_kinds):
        out[k] = 0.0 + _pairwise(buf, start[k], start[k + 1] - start[k])


@njit(cache=True)
def _run_sums(rep, lo, hi, led, disc, gov_out, status, c, bufs, ru):  # pragma: no cover
    """The replication's pairwise sums: outlay, recoveries, NPVs, waste, payouts.

    One pass puts each sum's values in its row of ``bufs`` (the ``RU_*`` row;
    ``RU_PEAK``'s unused), then each row is summed as NumPy sums it.
    """
    _, payer, payee, amount, kind, _, route = led
    is_gov, _, _, is_wasted, codes = c
    demander, government, payout = codes[1], codes[2], codes[4]
    n_out = n_rec = n_wasted = n_payout = 0
    for i in range(lo, hi):
        a = amount[i]
        j = i - lo
        g = gov_out[j]
        if is_gov[payer[i]]:
            bufs[RU_OUTLAY, n_out] = a
            n_out += 1
        if is_gov[payee[i]]:
            bufs[RU_RECOVERIES, n_rec] = a
            n_rec += 1
        bufs[RU_GOV_NPV, j] = g * disc[i]
        if route[i] >= 0 and is_wasted[status[rep, route[i]]]:
            bufs[RU_WASTED, n_wasted] = g
            n_wasted += 1
        dem_out = a * (_one(payer[i] == demander) - _one(payee[i] == demander))
        bufs[RU_DEM_OUT, j] = dem_out
        bufs[RU_DEM_NPV, j] = dem_out * disc[i]
        if kind[i] == payout and payer[i] == government:
            bufs[RU_GUARANTEE, n_payout] = a
            n_payout += 1
    m = hi - lo
    sizes = (n_out, n_rec, m, 0, n_wasted, m, m, n_payout)
    for k in range(N_RU):
        if k != RU_PEAK:
            ru[rep, k] = 0.0 + _pairwise(bufs[k], 0, sizes[k])


@njit(cache=True)
def measure_rows(
    led,
    offsets,
    factors,
    status,
    grid,
    is_gov,
    route_kind,
    first_route,
    is_wasted,
    codes,
    n_kinds,
    n_parties,
):  # pragma: no cover - compiled
    """Every replication's sums, one replication after the other.

    ``factors`` are the discount factors of the times, one per run of equal times
    (NumPy's ``power``, computed outside). Returns ``(rt, ru, kinds, net, exposure,
    flags, counts)``: the ``RC_*`` columns per (replication, route), per replication
    the ``RU_*`` columns, the totals of every kind of payment, net cash by party and
    the exposure path; ``flags[k]`` says that some row of the block is on a route for
    route column ``k`` (kinds, matching, any row); ``counts`` as :func:`_route_sums`'s.
    """
    time, payer, _, amount, kind, _, _ = led
    n = offsets.size - 1
    n_routes = status.shape[1]
    longest = 1
    for rep in range(n):
        longest = max(longest, offsets[rep + 1] - offsets[rep])
    buf, gov_out = np.empty(longest), np.empty(longest)
    bufs = np.empty((N_RU, longest))
    tbuf, fbuf = np.empty(longest), np.empty(longest)
    moves = np.empty(longest, dtype=np.int64)
    rt = np.zeros((N_RC, n, n_routes))
    ru = np.zeros((n, N_RU))
    kinds = np.zeros((n, n_kinds))
    net = np.zeros((n, n_parties))
    exposure = np.zeros((n, grid.size))
    flags = np.zeros(N_RC, dtype=np.bool_)
    counts = np.zeros((n, 3), dtype=np.int64)
    disc = _expand(time, factors)
    start_k = np.zeros(n_kinds + 1, dtype=np.int64)
    start_r = np.zeros(n_routes + 1, dtype=np.int64)
    c = (is_gov, route_kind, first_route, is_wasted, codes)
    for rep in range(n):
        lo, hi = offsets[rep], offsets[rep + 1]
        n_moves = _route_sums(rep, lo, hi, led, disc, gov_out, c, rt, net, flags, counts, moves)
        _net_paid(rep, lo, hi, payer, amount, net)
        _kind_sums(kind, amount, lo, hi, buf, start_k, kinds[rep])
        _run_sums(rep, lo, hi, led, disc, gov_out, status, c, bufs, ru)
        _gov_paths(rep, lo, hi, time, gov_out, grid, ru, exposure)
        _route_peaks(rep, moves, n_moves, led, codes[0], start_r, tbuf, fbuf, rt)
    return rt, ru, kinds, net, exposure, flags, counts
