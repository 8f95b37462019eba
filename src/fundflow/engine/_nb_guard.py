"""The compiled loop of :mod:`fundflow.engine.guard`: every replication of a block
checked against what its plan and draws allow.

:func:`check_block` walks each replication's ledger rows once and its routes once
and returns the first replication that breaks a rule, with the rule's code
(``OK`` when none does). The codes are named in :data:`fundflow.engine.guard.CHECKS`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fundflow.engine.kernel_cache import CACHE

__all__ = ["check_block"]

(
    OK,
    AMOUNT,
    TIME,
    ORDER,
    CODES,
    END_TIME,
    RD_SPENDING,
    RD_ABOVE_COST,
) = range(8)

# route statuses (fundflow.engine.outcome.STATUS)
_RUNNING, _SUCCEEDED, _FAILED, _ELIMINATED, _FINANCING, _NOT_STARTED = range(6)


@njit(cache=CACHE)
def _bound(i: int, route_ch: np.ndarray, inv: np.ndarray, award: np.ndarray,
           overrun: np.ndarray, value: np.ndarray, svalue: np.ndarray, mult: np.ndarray,
           fund_size: float) -> float:  # fmt: skip
    """Ten times the money replication ``i`` can move: the routes' costs (overrun
    included), awards and follow-on values, the challenges' values, the fund's size
    times its best exit multiple. No single payment can exceed it."""
    money = 0.0
    best = 1.0
    for r in range(route_ch.shape[0]):
        ch = route_ch[r]
        money += inv[ch] * max(1.0, abs(overrun[i, r])) + award[ch] + abs(svalue[i, r])
        best = max(best, abs(mult[i, r]))
    for c in range(value.shape[1]):
        money += abs(value[i, c])
    return 10.0 * (money + fund_size * best)


@njit(cache=CACHE)
def check_block(time: np.ndarray, payer: np.ndarray, payee: np.ndarray, amount: np.ndarray,
                kind: np.ndarray, route: np.ndarray, offsets: np.ndarray,
                status: np.ndarray, end_time: np.ndarray, end_review: np.ndarray,
                route_ch: np.ndarray, start: np.ndarray, inv: np.ndarray, award: np.ndarray,
                cum_cost: np.ndarray, overrun: np.ndarray, value: np.ndarray,
                svalue: np.ndarray, mult: np.ndarray, fund_size: float, horizon: float,
                n_parties: int, n_kinds: int, k_rd: int, p_solver: int,
                ext_cum: np.ndarray, rd: np.ndarray) -> tuple[int, int, int]:  # fmt: skip
    """``(replication, code, route or row)`` of the first breach, or ``(-1, OK, -1)``.

    ``cum_cost[c, j]`` is challenge ``c``'s cost share of its first ``j`` phases,
    ``ext_cum[i, r, j]`` the cost share of the extensions route ``r`` of replication
    ``i`` is drawn to take in them; ``rd`` is scratch space of one float per route."""
    n_r = route_ch.shape[0]
    for i in range(offsets.shape[0] - 1):
        bound = _bound(i, route_ch, inv, award, overrun, value, svalue, mult, fund_size)
        rd[:] = 0.0
        last = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            a, t = amount[row], time[row]
            if not (a > 0.0 and a <= bound):  # NaN fails too
                return i, AMOUNT, row - offsets[i]
            if not (t >= 0.0 and t <= horizon):
                return i, TIME, row - offsets[i]
            if t < last:
                return i, ORDER, row - offsets[i]
            last = t
            pa, pe, k, r = payer[row], payee[row], kind[row], route[row]
            if not (0 <= pa < n_parties and 0 <= pe < n_parties and pa != pe):
                return i, CODES, row - offsets[i]
            if not (0 <= k < n_kinds and -1 <= r < n_r):
                return i, CODES, row - offsets[i]
            if k == k_rd and pa == p_solver and r >= 0:
                rd[r] += a
        for r in range(n_r):
            ch = route_ch[r]
            st = status[i, r]
            cost = inv[ch] * overrun[i, r]
            ended = st == _SUCCEEDED or st == _FAILED or st == _ELIMINATED or st == _FINANCING
            if ended and not (start[ch] <= end_time[i, r] <= horizon):
                return i, END_TIME, r
            if st == _SUCCEEDED or st == _FAILED or st == _ELIMINATED:
                e = end_review[i, r]
                want = cost * (cum_cost[ch, e] + ext_cum[i, r, e])
                if abs(rd[r] - want) > 1e-9 * max(1.0, abs(want)):
                    return i, RD_SPENDING, r
            elif rd[r] > cost * (1.0 + ext_cum[i, r, -1]) * (1.0 + 1e-9) + 1e-9:
                return i, RD_ABOVE_COST, r
            elif st == _NOT_STARTED and rd[r] != 0.0:
                return i, RD_ABOVE_COST, r
    return -1, OK, -1
