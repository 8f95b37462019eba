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
    FVALUE,
    NORMAL,
    NOW,
    RepDraws,
    State,
    add,
    push,
)
from fundflow.engine.ledger import K, P

__all__ = ["on_exit", "on_fee", "on_invest", "on_sell", "pairwise_sum", "wind_up"]

FUND, GOV_LP, SOCIAL_LP = P["fund"], P["gov_lp"], P["social_lp"]
MANAGER, VENTURE, EXT = P["fund_manager"], P["venture"], P["external"]
K_CALL, K_MFEE, K_INVEST = K["capital_call"], K["management_fee"], K["investment"]
K_EXIT, K_DIST, K_CARRY, K_SALE = (
    K["exit_proceeds"],
    K["distribution"],
    K["carried_interest"],
    K["stake_sale"],
)


@njit(cache=True)
def pairwise_sum(a: np.ndarray) -> float:
    """``np.sum`` of a contiguous float64 vector, in NumPy's pairwise order."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r = a[:8].copy()
        m = n - n % 8
        for i in range(8, m, 8):
            for k in range(8):
                r[k] += a[i + k]
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(m, n):
            res += a[i]
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a[:n2]) + pairwise_sum(a[n2:])


@njit(cache=True)
def _call(s: State, p: FlatPlan, amount: float) -> float:
    """Call ``amount`` (at most what is uncalled) pro rata; returns what came in."""
    amount = min(amount, s.sf[F_UNCALLED])
    if amount <= 0.0:
        return 0.0
    gov = 0.0 if s.si[F_GOV_EXITED] else p.f_gov_share * amount
    social = amount - gov
    if gov > 0.0:
        add(s, GOV_LP, FUND, gov, K_CALL, -1, -1)
        s.calls[0, s.si[F_NGOV], 0] = s.sf[NOW]
        s.calls[0, s.si[F_NGOV], 1] = gov
        s.si[F_NGOV] += 1
    if social > 0.0:
        add(s, SOCIAL_LP, FUND, social, K_CALL, -1, -1)
        s.calls[1, s.si[F_NSOC], 0] = s.sf[NOW]
        s.calls[1, s.si[F_NSOC], 1] = social
        s.si[F_NSOC] += 1
    s.sf[F_UNCALLED] -= amount
    s.sf[F_CASH] += amount
    return amount


@njit(cache=True)
def fund_reset(s: State, p: FlatPlan) -> None:
    s.sf[F_UNCALLED] = p.f_size
    s.sf[F_FEES_LEFT] = p.f_fee * p.f_fee_years


@njit(cache=True)
def on_fee(s: State, p: FlatPlan) -> None:
    """The start of a fund year: call and pay the management fee."""
    paid = _call(s, p, min(p.f_fee, s.sf[F_FEES_LEFT]))
    s.sf[F_FEES_LEFT] -= paid
    s.sf[F_CASH] -= paid
    add(s, FUND, MANAGER, paid, K_MFEE, -1, -1)
    s.si[F_FEE_K] += 1
    if s.si[F_FEE_K] < p.f_fee_years:
        push(s, 1.0, NORMAL, EV_FEE, 0)


@njit(cache=True)
def on_invest(s: State, p: FlatPlan, d: RepDraws, r: int) -> None:
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
    value = amount * d.x[r, DR_MULT]
    if now + d.x[r, DR_HOLD] < p.f_end:
        s.rf[r, FVALUE] = value
        push(s, d.x[r, DR_HOLD], NORMAL, EV_EXIT, r)
    else:
        s.calls[2, s.si[F_NPEND], 0] = value
        s.si[F_NPEND] += 1


@njit(cache=True)
def on_exit(s: State, p: FlatPlan, r: int) -> None:
    add(s, EXT, FUND, s.rf[r, FVALUE], K_EXIT, p.route_ch[r], r)
    s.sf[F_CASH] += s.rf[r, FVALUE]


@njit(cache=True)
def on_sell(s: State, p: FlatPlan) -> None:
    """The government sells its stake to the social LPs at paid-in plus simple interest."""
    n = s.si[F_NGOV]
    if n == 0:
        s.si[F_GOV_EXITED] = 1
        return
    year, rate = p.f_early_year, p.f_early_rate
    terms = np.zeros(n)
    k = 0
    for i in range(n):
        t, a = s.calls[0, i, 0], s.calls[0, i, 1]
        if t <= year:
            terms[k] = a * (1.0 + rate * (year - t))
            k += 1
    add(s, SOCIAL_LP, GOV_LP, pairwise_sum(terms[:k]), K_SALE, -1, -1)
    m = s.si[F_NSOC]
    s.calls[1, m : m + n] = s.calls[0, :n]
    s.si[F_NSOC] = m + n
    s.si[F_NGOV] = 0
    s.si[F_GOV_EXITED] = 1


@njit(cache=True)
def _split(amount: float, wa: float, wb: float) -> tuple[float, float]:
    if wb == 0.0:
        return amount, 0.0
    if wa == 0.0:
        return 0.0, amount
    part_a = min(amount, amount * wa / (wa + wb))
    return part_a, max(0.0, amount - part_a)


@njit(cache=True)
def _preferred(calls: np.ndarray, end: float, hurdle: float) -> float:
    terms = np.empty(calls.shape[0])
    lh = math.log1p(hurdle)
    for i in range(calls.shape[0]):
        terms[i] = calls[i, 1] * math.expm1((end - calls[i, 0]) * lh)
    return pairwise_sum(terms)


@njit(cache=True)
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


@njit(cache=True)
def _distribute(s: State, p: FlatPlan, proceeds: float) -> tuple[float, float, float]:
    """(government, social, manager) by the European waterfall."""
    exited = s.si[F_GOV_EXITED] == 1
    gov_calls, soc_calls = s.calls[0, : s.si[F_NGOV]], s.calls[1, : s.si[F_NSOC]]
    pg = pairwise_sum(np.ascontiguousarray(gov_calls[:, 1]))
    ps = pairwise_sum(np.ascontiguousarray(soc_calls[:, 1]))
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
    owed_g = _preferred(gov_calls, p.f_end, p.f_hurdle)
    owed_s = _preferred(soc_calls, p.f_end, p.f_hurdle)
    if left >= owed_g + owed_s:
        pref_g, pref_s = owed_g, owed_s
    else:
        pref_g, pref_s = _split(left, owed_g, owed_s)
    base = max(0.0, left - pref_g - pref_s)
    manager = p.f_carry * base
    rest_g, rest_s = _split(base - manager, kg, ks)
    concession = (0.0 if exited else p.f_concession) * rest_g
    return cap_g + pref_g + (rest_g - concession), cap_s + pref_s + rest_s + concession, manager


@njit(cache=True)
def wind_up(s: State, p: FlatPlan) -> None:
    """Settle late exits, then distribute all cash."""
    s.si[F_WOUND] = 1
    for i in range(s.si[F_NPEND]):
        add(s, EXT, FUND, s.calls[2, i, 0], K_EXIT, -1, -1)
        s.sf[F_CASH] += s.calls[2, i, 0]
    s.si[F_NPEND] = 0
    gov, social, manager = _distribute(s, p, max(0.0, s.sf[F_CASH]))
    add(s, FUND, GOV_LP, gov, K_DIST, -1, -1)
    add(s, FUND, SOCIAL_LP, social, K_DIST, -1, -1)
    add(s, FUND, MANAGER, manager, K_CARRY, -1, -1)
    s.sf[F_CASH] -= gov + social + manager
