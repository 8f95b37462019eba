"""The compiled guided fund: fees, investments, exits, the government's early exit
and the wind-up by the European waterfall (the rules of
:mod:`fundflow.engine._fund` and :mod:`fundflow.engine.waterfall`).

Sums over capital calls follow NumPy's pairwise summation, so the waterfall's
amounts are the reference engine's to the last bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fundflow.engine._nb_plan import FlatPlan
from fundflow.engine._nb_state import (
    CAP_CALLS,
    DR_HOLD,
    DR_MULT,
    EV_EXIT,
    EV_FEE,
    F_CASH,
    F_FEE_K,
    F_FEES_LEFT,
    F_GOV_EXITED,
    F_INVESTMENTS,
    F_NGOV,
    F_NPEND,
    F_NSOC,
    F_UNCALLED,
    F_WOUND,
    FIRST,
    FVALUE,
    NONE,
    NORMAL,
    NOW,
    State,
    add,
    kind_codes,
    overflow,
    party_codes,
    push,
)
from fundflow.engine.kernel_cache import CACHE

__all__ = ["on_exit", "on_fee", "on_invest", "on_sell", "pairwise_sum", "wind_up"]

FUND, GOV_LP, SOCIAL_LP = party_codes("fund", "gov_lp", "social_lp")
MANAGER, VENTURE, EXT = party_codes("fund_manager", "venture", "external")
#: what pairwise_sum adds up over the calls: amounts, early-exit values, preferred returns
AMOUNT, AT_RATE, HURDLE = np.int64(0), np.int64(1), np.int64(2)
K_CALL, K_MFEE, K_INVEST = kind_codes("capital_call", "management_fee", "investment")
K_EXIT, K_DIST, K_CARRY, K_SALE = kind_codes(
    "exit_proceeds",
    "distribution",
    "carried_interest",
    "stake_sale",
)


@njit(cache=CACHE)
def _term(calls: np.ndarray, i: int, mode: int, x: float, y: float) -> float:
    """Call ``i``'s amount (mode 0), its early-exit value at year ``x`` and rate ``y``
    (mode 1), or its preferred return to ``x`` at ``y = log1p(hurdle)`` (mode 2)."""
    t, a = calls[i, 0], calls[i, 1]
    if mode == 0:
        return a
    if mode == 1:
        return a * (1.0 + y * (x - t))
    return a * math.expm1((x - t) * y)


@njit(cache=CACHE)
def _pairwise_block(calls: np.ndarray, lo: int, n: int, mode: int, x: float, y: float) -> float:
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += _term(calls, i, mode, x, y)
        return res
    r0, r1 = _term(calls, lo, mode, x, y), _term(calls, lo + 1, mode, x, y)
    r2, r3 = _term(calls, lo + 2, mode, x, y), _term(calls, lo + 3, mode, x, y)
    r4, r5 = _term(calls, lo + 4, mode, x, y), _term(calls, lo + 5, mode, x, y)
    r6, r7 = _term(calls, lo + 6, mode, x, y), _term(calls, lo + 7, mode, x, y)
    m = n - n % 8
    for i in range(lo + 8, lo + m, 8):
        r0 += _term(calls, i, mode, x, y)
        r1 += _term(calls, i + 1, mode, x, y)
        r2 += _term(calls, i + 2, mode, x, y)
        r3 += _term(calls, i + 3, mode, x, y)
        r4 += _term(calls, i + 4, mode, x, y)
        r5 += _term(calls, i + 5, mode, x, y)
        r6 += _term(calls, i + 6, mode, x, y)
        r7 += _term(calls, i + 7, mode, x, y)
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(lo + m, lo + n):
        res += _term(calls, i, mode, x, y)
    return res


@njit(cache=CACHE)
def _halves(n: int) -> int:
    n2 = n // 2
    return n2 - n2 % 8


@njit(cache=CACHE)
def _pairwise_2(calls: np.ndarray, lo: int, n: int, mode: int, x: float, y: float) -> float:
    if n <= 128:
        return _pairwise_block(calls, lo, n, mode, x, y)
    h = _halves(n)
    a = _pairwise_block(calls, lo, h, mode, x, y)
    return a + _pairwise_block(calls, lo + h, n - h, mode, x, y)


@njit(cache=CACHE)
def _pairwise_4(calls: np.ndarray, lo: int, n: int, mode: int, x: float, y: float) -> float:
    if n <= 256:
        return _pairwise_2(calls, lo, n, mode, x, y)
    h = _halves(n)
    return _pairwise_2(calls, lo, h, mode, x, y) + _pairwise_2(calls, lo + h, n - h, mode, x, y)


@njit(cache=CACHE)
def pairwise_sum(calls: np.ndarray, lo: int, n: int, mode: int, x: float, y: float) -> float:
    """``np.sum`` of calls ``lo .. lo + n - 1``'s terms in NumPy's pairwise order
    (blocks of up to 128 by 8 accumulators, larger ones split in halves), so the
    sums are the reference engine's bit for bit up to 1024 calls (no recursion:
    numba's on-disk cache does not keep recursive functions safely); beyond, the
    halves are summed in blocks of 512 (equal to rounding)."""
    if n <= 512:
        return _pairwise_4(calls, lo, n, mode, x, y)
    h = _halves(n)
    total = 0.0
    for start, size in ((lo, h), (lo + h, n - h)):
        part = 0.0
        done = 0
        while done < size:
            step = min(512, size - done)
            part += _pairwise_4(calls, start + done, step, mode, x, y)
            done += step
        total += part
    return total


@njit(cache=CACHE)
def _call(s: State, p: FlatPlan, amount: float) -> float:
    """Call ``amount`` (at most what is uncalled) pro rata; returns what came in."""
    amount = min(amount, s.sf[F_UNCALLED])
    if amount <= 0.0:
        return 0.0
    gov = 0.0 if s.si[F_GOV_EXITED] else p.f_gov_share * amount
    social = amount - gov
    if max(s.si[F_NGOV], s.si[F_NSOC]) >= s.calls.shape[1]:
        overflow(s, CAP_CALLS)
        return 0.0
    if gov > 0.0:
        add(s, GOV_LP, FUND, gov, K_CALL, NONE, NONE)
        s.calls[0, s.si[F_NGOV], 0] = s.sf[NOW]
        s.calls[0, s.si[F_NGOV], 1] = gov
        s.si[F_NGOV] += 1
    if social > 0.0:
        add(s, SOCIAL_LP, FUND, social, K_CALL, NONE, NONE)
        s.calls[1, s.si[F_NSOC], 0] = s.sf[NOW]
        s.calls[1, s.si[F_NSOC], 1] = social
        s.si[F_NSOC] += 1
    s.sf[F_UNCALLED] -= amount
    s.sf[F_CASH] += amount
    return amount


@njit(cache=CACHE)
def fund_reset(s: State, p: FlatPlan) -> None:
    s.sf[F_UNCALLED] = p.f_size
    s.sf[F_FEES_LEFT] = p.f_fee * p.f_fee_years


@njit(cache=CACHE)
def on_fee(s: State, p: FlatPlan) -> None:
    """The start of a fund year: call and pay the management fee."""
    paid = _call(s, p, min(p.f_fee, s.sf[F_FEES_LEFT]))
    s.sf[F_FEES_LEFT] -= paid
    s.sf[F_CASH] -= paid
    add(s, FUND, MANAGER, paid, K_MFEE, NONE, NONE)
    s.si[F_FEE_K] += 1
    if s.si[F_FEE_K] < p.f_fee_years:
        push(s, 1.0, NORMAL, EV_FEE, FIRST)


@njit(cache=CACHE)
def on_invest(s: State, p: FlatPlan, r: int) -> None:
    now = s.sf[NOW]
    if not p.f_start <= now < p.f_start + p.f_invest_years or now >= p.f_end:
        return
    amount = min(p.f_ticket, s.sf[F_UNCALLED] - s.sf[F_FEES_LEFT])
    if amount <= 1e-12:
        return
    _call(s, p, amount)
    s.sf[F_CASH] -= amount
    add(s, FUND, VENTURE, amount, K_INVEST, p.route_ch[r], r)
    s.si[F_INVESTMENTS] += 1
    value = amount * s.x[r, DR_MULT]
    if now + s.x[r, DR_HOLD] < p.f_end:
        s.rf[r, FVALUE] = value
        push(s, s.x[r, DR_HOLD], NORMAL, EV_EXIT, r)
    elif s.si[F_NPEND] >= s.calls.shape[1]:
        overflow(s, CAP_CALLS)
    else:
        s.calls[2, s.si[F_NPEND], 0] = value
        s.si[F_NPEND] += 1


@njit(cache=CACHE)
def on_exit(s: State, p: FlatPlan, r: int) -> None:
    add(s, EXT, FUND, s.rf[r, FVALUE], K_EXIT, p.route_ch[r], r)
    s.sf[F_CASH] += s.rf[r, FVALUE]


@njit(cache=CACHE)
def on_sell(s: State, p: FlatPlan) -> None:
    """The government sells its stake to the social LPs at paid-in plus simple interest
    (every call so far is at or before the sale)."""
    n = s.si[F_NGOV]
    if n == 0:
        s.si[F_GOV_EXITED] = 1
        return
    price = pairwise_sum(s.calls[0], FIRST, n, AT_RATE, p.f_early_year, p.f_early_rate)
    add(s, SOCIAL_LP, GOV_LP, price, K_SALE, NONE, NONE)
    m = s.si[F_NSOC]
    if m + n > s.calls.shape[1]:
        overflow(s, CAP_CALLS)
        return
    for i in range(n):
        s.calls[1, m + i, 0] = s.calls[0, i, 0]
        s.calls[1, m + i, 1] = s.calls[0, i, 1]
    s.si[F_NSOC] = m + n
    s.si[F_NGOV] = 0
    s.si[F_GOV_EXITED] = 1


@njit(cache=CACHE)
def _split(amount: float, wa: float, wb: float) -> tuple[float, float]:
    if wb == 0.0:
        return amount, 0.0
    if wa == 0.0:
        return 0.0, amount
    part_a = min(amount, amount * wa / (wa + wb))
    return part_a, max(0.0, amount - part_a)


@njit(cache=CACHE)
def _return_capital(proceeds: float, pg: float, ps: float, first_loss: float
                    ) -> tuple[float, float]:  # fmt: skip
    paid = pg + ps
    if proceeds >= paid:
        return pg, ps
    borne_first = min(paid - proceeds, first_loss * pg)
    if ps == 0.0 or pg == 0.0:
        return _split(proceeds, pg, ps)
    gov = (pg * proceeds - borne_first * ps) / paid
    gov = min(max(0.0, gov), proceeds)
    return gov, max(0.0, proceeds - gov)


@njit(cache=CACHE)
def _distribute(s: State, p: FlatPlan, proceeds: float) -> tuple[float, float, float]:
    """(government, social, manager) by the European waterfall."""
    exited = s.si[F_GOV_EXITED] == 1
    n_g, n_s = s.si[F_NGOV], s.si[F_NSOC]
    pg = pairwise_sum(s.calls[0], FIRST, n_g, AMOUNT, 0.0, 0.0)
    ps = pairwise_sum(s.calls[1], FIRST, n_s, AMOUNT, 0.0, 0.0)
    if pg + ps > 0.0:
        kg, ks = pg, ps
    elif proceeds == 0.0:
        kg, ks = 1.0, 1.0
    else:
        share = 0.0 if exited else p.f_gov_share
        kg, ks = share, 1.0 - share
    first_loss = 0.0 if exited else p.f_first_loss
    cap_g, cap_s = _return_capital(proceeds, pg, ps, first_loss)
    left = max(0.0, proceeds - cap_g - cap_s)
    lh = math.log1p(p.f_hurdle)
    owed_g = pairwise_sum(s.calls[0], FIRST, n_g, HURDLE, p.f_end, lh)
    owed_s = pairwise_sum(s.calls[1], FIRST, n_s, HURDLE, p.f_end, lh)
    if left >= owed_g + owed_s:
        pref_g, pref_s = owed_g, owed_s
    else:
        pref_g, pref_s = _split(left, owed_g, owed_s)
    base = max(0.0, left - pref_g - pref_s)
    manager = p.f_carry * base
    rest_g, rest_s = _split(base - manager, kg, ks)
    concession = (0.0 if exited else p.f_concession) * rest_g
    return cap_g + pref_g + (rest_g - concession), cap_s + pref_s + rest_s + concession, manager


@njit(cache=CACHE)
def wind_up(s: State, p: FlatPlan) -> None:
    """Settle late exits, then distribute all cash."""
    s.si[F_WOUND] = 1
    for i in range(s.si[F_NPEND]):
        add(s, EXT, FUND, s.calls[2, i, 0], K_EXIT, NONE, NONE)
        s.sf[F_CASH] += s.calls[2, i, 0]
    s.si[F_NPEND] = 0
    gov, social, manager = _distribute(s, p, max(0.0, s.sf[F_CASH]))
    add(s, FUND, GOV_LP, gov, K_DIST, NONE, NONE)
    add(s, FUND, SOCIAL_LP, social, K_DIST, NONE, NONE)
    add(s, FUND, MANAGER, manager, K_CARRY, NONE, NONE)
    s.sf[F_CASH] -= gov + social + manager
