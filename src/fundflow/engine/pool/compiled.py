"""The risk-compensation pool in the compiled engine: its endowment at the start,
its yearly top-up, its cover of a default's loss, the government's share paid from
it while money is left, and what is left returned at the horizon (the rules:
:mod:`fundflow.engine.pool.rules`; the SimPy book, :mod:`fundflow.engine.pool.simpy`,
says in full what each does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from fundflow.engine.core.state import (
    EVENTS,
    NONE,
    NORMAL,
    SCALAR_FLOATS,
    State,
    add,
    kind_codes,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import P
from fundflow.engine.pool.rules import lender_part, pool_cover
from fundflow.engine.pool.weights import LENDERS, lender_weights

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_TOPUP", "POOL_BALANCE", "cover", "government_loss", "on_topup", "plan_section",
    "start", "wind_up",
]  # fmt: skip

GOV, POOL, BANK = party_codes("government", "pool", "bank")
K_ENDOW, K_TOPUP, K_PAYOUT = kind_codes("pool_endowment", "pool_topup", "pool_payout")
K_RETURN, K_GUARANTEE = kind_codes("pool_return", "guarantee_payout")
#: the pool's balance
(POOL_BALANCE,) = SCALAR_FLOATS.take("pool_balance")
(EV_TOPUP,) = EVENTS.take("pool_topup")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The pool's terms in the flat plan (neutral values without one)."""
    cr = plan.scenario.credit
    pool = None if cr is None else cr.risk_pool
    lenders = np.array([P[x] for x in LENDERS], dtype=np.int64)
    if cr is None or pool is None:
        return {
            "pool_on": False, "pool_size": 0.0, "pool_share": 0.0, "pool_top_up": False,
            "pool_lender": lenders, "pool_weight": np.zeros(len(LENDERS)),
        }  # fmt: skip
    return {
        "pool_on": True,
        "pool_size": float(pool.size),
        "pool_share": float(pool.share),
        "pool_top_up": bool(pool.top_up),
        "pool_lender": lenders,
        "pool_weight": np.array([lender_weights(cr)[x] for x in LENDERS], dtype=np.float64),
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """The endowment at the start; the first top-up a year later."""
    if not p.pool_on:
        return
    add(s, GOV, POOL, p.pool_size, K_ENDOW, NONE, NONE)
    s.sf[POOL_BALANCE] = p.pool_size
    if p.pool_top_up:
        push(s, 1.0, NORMAL, EV_TOPUP, NONE)


@njit(cache=CACHE)
def on_topup(s: State, p: FlatPlan) -> None:
    """A budget year's start: the pool restored to its size."""
    add(s, GOV, POOL, p.pool_size - s.sf[POOL_BALANCE], K_TOPUP, NONE, NONE)
    s.sf[POOL_BALANCE] = p.pool_size
    push(s, 1.0, NORMAL, EV_TOPUP, NONE)


@njit(cache=CACHE)
def cover(s: State, p: FlatPlan, r: int, loss: float) -> float:
    """Pay the lenders the pool's cover of route ``r``'s default loss; returns it."""
    c = pool_cover(s.sf[POOL_BALANCE], p.pool_share, loss)
    s.sf[POOL_BALANCE] -= c
    ch = p.route_ch[r]
    for k in range(p.pool_lender.shape[0]):
        add(s, POOL, p.pool_lender[k], lender_part(p.pool_weight[k], c), K_PAYOUT, ch, r)
    return c


@njit(cache=CACHE)
def government_loss(s: State, p: FlatPlan, r: int, amount: float) -> None:
    """The government's share of the rest of the loss: from the pool while money is
    left, then from the budget."""
    from_pool = pool_cover(s.sf[POOL_BALANCE], 1.0, amount)
    s.sf[POOL_BALANCE] -= from_pool
    ch = p.route_ch[r]
    add(s, POOL, BANK, from_pool, K_PAYOUT, ch, r)
    add(s, GOV, BANK, amount - from_pool, K_GUARANTEE, ch, r)


@njit(cache=CACHE)
def wind_up(s: State, p: FlatPlan) -> None:
    """At the horizon what is left returns to the government."""
    add(s, POOL, GOV, s.sf[POOL_BALANCE], K_RETURN, NONE, NONE)
    s.sf[POOL_BALANCE] = 0.0
