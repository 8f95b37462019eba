"""The guided fund in the compiled engine: fees, investments, exits, the
government's early exit and the wind-up by the European waterfall (the rules:
:mod:`fundflow.engine.fund.rules`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.core.state import (
    CAP_CALLS,
    DR_HOLD,
    DR_MULT,
    EVENTS,
    FIRST,
    NONE,
    NORMAL,
    NOW,
    ROUTE_FLOATS,
    SCALAR_FLOATS,
    SCALAR_INTS,
    State,
    add,
    kind_codes,
    overflow,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.fund.rules import AMOUNT, AT_RATE, HURDLE, call_sum, waterfall
from fundflow.engine.kernel_cache import CACHE

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_EXIT", "EV_FEE", "EV_INVEST", "EV_SELL", "EV_WINDUP", "F_INVESTMENTS", "F_WOUND",
    "on_exit", "on_fee", "on_invest", "on_sell", "plan_section", "start", "wind_up",
]  # fmt: skip

FUND, GOV_LP, SOCIAL_LP = party_codes("fund", "gov_lp", "social_lp")
MANAGER, VENTURE, EXT = party_codes("fund_manager", "venture", "external")
K_CALL, K_MFEE, K_INVEST = kind_codes("capital_call", "management_fee", "investment")
K_EXIT, K_DIST, K_CARRY, K_SALE = kind_codes(
    "exit_proceeds", "distribution", "carried_interest", "stake_sale"
)
F_UNCALLED, F_FEES_LEFT, F_CASH = SCALAR_FLOATS.take("fund_uncalled", "fund_fees_left", "fund_cash")
F_FEE_K, F_GOV_EXITED, F_NGOV, F_NSOC, F_NPEND, F_INVESTMENTS, F_WOUND = SCALAR_INTS.take(
    "fund_fees_paid", "fund_gov_exited", "fund_gov_calls", "fund_social_calls",
    "fund_pending_exits", "fund_investments", "fund_wound_up",
)  # fmt: skip
#: the value of the route's holding, paid at its exit
(FVALUE,) = ROUTE_FLOATS.take("fund_value")
EV_FEE, EV_SELL, EV_WINDUP, EV_INVEST, EV_EXIT = EVENTS.take(
    "fee", "sell", "wind_up", "invest", "exit"
)


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The fund's terms in the flat plan (neutral values without a fund)."""
    f = plan.scenario.guided_fund
    if f is None:
        names: tuple[str, ...] = (
            "f_start",
            "f_end",
            "f_size",
            "f_gov_share",
            "f_fee",
            "f_invest_lag",
        )
        names += ("f_invest_years", "f_ticket", "f_early_year", "f_early_rate", "f_hurdle")
        names += ("f_carry", "f_concession", "f_first_loss")
        return {"fund_on": False, "f_fee_years": 0, "f_early": False} | dict.fromkeys(names, 0.0)
    early = f.early_exit
    return {
        "fund_on": True,
        "f_start": float(f.start),
        "f_end": float(f.start + f.life),
        "f_size": float(f.size),
        "f_gov_share": float(f.government_share),
        "f_fee": float(f.management_fee * f.size),
        "f_fee_years": math.ceil(f.life - 1e-9),
        "f_invest_lag": float(f.invest_lag),
        "f_invest_years": float(f.invest_years),
        "f_ticket": float(f.ticket),
        "f_early": early is not None,
        "f_early_year": 0.0 if early is None else float(early.year),
        "f_early_rate": 0.0 if early is None else float(early.rate),
        "f_hurdle": float(f.hurdle),
        "f_carry": float(f.carry),
        "f_concession": float(f.government_concession),
        "f_first_loss": float(f.government_first_loss),
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """The fund's commitments, and its processes: fees, the early exit, the wind-up."""
    if not p.fund_on:
        return
    s.sf[F_UNCALLED] = p.f_size
    s.sf[F_FEES_LEFT] = p.f_fee * p.f_fee_years
    if p.f_fee_years > 0:
        push(s, p.f_start, NORMAL, EV_FEE, FIRST)
    if p.f_early:
        push(s, p.f_early_year, NORMAL, EV_SELL, FIRST)
    push(s, p.f_end, NORMAL, EV_WINDUP, FIRST)


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
    price = call_sum(s.calls[0], n, AT_RATE, p.f_early_year, p.f_early_rate)
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
def _distribute(s: State, p: FlatPlan, proceeds: float) -> tuple[float, float, float]:
    """(government, social, manager) by the European waterfall."""
    exited = s.si[F_GOV_EXITED] == 1
    n_g, n_s = s.si[F_NGOV], s.si[F_NSOC]
    pg = call_sum(s.calls[0], n_g, AMOUNT, 0.0, 0.0)
    ps = call_sum(s.calls[1], n_s, AMOUNT, 0.0, 0.0)
    if pg + ps > 0.0:
        kg, ks = pg, ps
    elif proceeds == 0.0:
        kg, ks = 1.0, 1.0
    else:
        share = 0.0 if exited else p.f_gov_share
        kg, ks = share, 1.0 - share
    lh = math.log1p(p.f_hurdle)
    owed_g = call_sum(s.calls[0], n_g, HURDLE, p.f_end, lh)
    owed_s = call_sum(s.calls[1], n_s, HURDLE, p.f_end, lh)
    split = waterfall(
        proceeds, pg, ps, owed_g, owed_s, kg, ks, p.f_carry,
        0.0 if exited else p.f_concession, 0.0 if exited else p.f_first_loss,
    )  # fmt: skip
    return split[0], split[1], split[2]


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
