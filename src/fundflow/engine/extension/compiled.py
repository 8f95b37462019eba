"""Extension in the compiled engine: a failed review extended once, its extra R&D
spending (at its start, or per booking period) and the review after it (the rule:
:mod:`fundflow.engine.extension.rules`). The route's own life cycle goes on in
:mod:`fundflow.engine.core.compiled`: the engine's dispatch hands it what
:func:`on_extend` answers (passed, failed again, abandoned)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from fundflow.engine.core.flat_plan import C_BOOKING, C_INV, PH_PASS
from fundflow.engine.core.state import (
    COST,
    DR_DURATION,
    DR_OVERRUN,
    EVENTS,
    NORMAL,
    ROUTE_INTS,
    STATUS,
    State,
    ints,
    kind_codes,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.extension.rules import extension_cost
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.outcome import RUNNING
from fundflow.engine.reserve.compiled import solver_pays
from fundflow.engine.tax.compiled import own_funding_changes

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "ABANDONED", "ENDED", "EV_EXTEND", "FAILED_AGAIN", "GOING", "PASSED", "extended",
    "on_extend", "pay_step", "plan_section",
]  # fmt: skip

(EXT,) = party_codes("external")
(K_RD,) = kind_codes("rd_spending")
#: ``p.ext``'s rows: the probability of an extension and its cost share, by phase
EXT_PROB, EXT_COST = ints(2)
#: the extension's payment index and number of payments (per booking period)
EXT_Q, EXT_N = ROUTE_INTS.take("extension_payment", "extension_payments")
(EV_EXTEND,) = EVENTS.take("extension")
#: the extension's blocks of the replication's draws: the decision, the duration, the
#: review after it
B_DECIDE, B_DURATION, B_REVIEW = ints(3)
#: what :func:`on_extend` answers
GOING, PASSED, FAILED_AGAIN, ABANDONED, ENDED = ints(5)


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The extensions' terms in the flat plan: ``ext`` (2, C, P + 1), the probability
    and the cost share of each challenge's phases (0 where a phase has none)."""
    specs = plan.scenario.challenges
    ext = np.zeros((2, len(plan.challenges), plan.layout.max_phases + 1))
    on = False
    for k, spec in enumerate(plan.layout.challenge_spec.tolist()):
        for j, phase in enumerate(specs[spec].phases):
            if phase.extension is not None:
                on = True
                ext[EXT_PROB, k, j] = phase.extension.probability
                ext[EXT_COST, k, j] = phase.extension.cost_share
    return {"ext_on": on, "ext": ext}


@njit(cache=CACHE)
def _col(p: FlatPlan, block: int, j: int) -> int:
    """The column of the replication's draws ``x`` of phase ``j``'s draw in block
    ``block`` of the extension's (``B_DECIDE``, ``B_DURATION``, ``B_REVIEW``)."""
    n_ph = p.ph.shape[2] - 1
    return DR_DURATION + (2 + block) * n_ph + j


@njit(cache=CACHE)
def extended(s: State, p: FlatPlan, r: int, j: int) -> bool:
    """Route ``r`` failed the review of phase ``j``: is it extended instead? If so its
    payments are set up (take the first with :func:`pay_step`)."""
    ch = p.route_ch[r]
    if s.x[r, _col(p, B_DECIDE, j)] >= p.ext[EXT_PROB, ch, j]:
        return False
    period = p.cfl[ch, C_BOOKING]
    duration = s.x[r, _col(p, B_DURATION, j)]
    s.ri[r, EXT_N] = 1 if period != period else max(1, math.ceil(duration / period - 1e-9))
    s.ri[r, EXT_Q] = 0
    return True


@njit(cache=CACHE)
def pay_step(s: State, p: FlatPlan, r: int, j: int) -> bool:
    """One payment of the extension of phase ``j``, then wait for its period's end
    (the whole extension without a booking period); False if the solver cannot pay
    within its reserve."""
    ch = p.route_ch[r]
    cost = extension_cost(p.cfl[ch, C_INV], s.x[r, DR_OVERRUN], p.ext[EXT_COST, ch, j])
    amount = cost / s.ri[r, EXT_N]
    if not solver_pays(s, p, r, EXT, amount, K_RD):
        return False
    s.rf[r, COST] += amount
    own_funding_changes(s, p, r, amount)
    period = p.cfl[ch, C_BOOKING]
    duration = s.x[r, _col(p, B_DURATION, j)]
    if period != period:
        push(s, duration, NORMAL, EV_EXTEND, r)
    else:
        push(s, min(period, duration - s.ri[r, EXT_Q] * period), NORMAL, EV_EXTEND, r)
    return True


@njit(cache=CACHE)
def on_extend(s: State, p: FlatPlan, r: int, j: int) -> int:
    """The extension of phase ``j`` (or one of its periods) has ended: pay on
    (``GOING``, or ``ABANDONED`` if the solver cannot), or the second review
    (``PASSED``, ``FAILED_AGAIN``); ``ENDED`` if the route ended meanwhile."""
    if s.ri[r, STATUS] != RUNNING:
        return ENDED
    s.ri[r, EXT_Q] += 1
    if s.ri[r, EXT_Q] < s.ri[r, EXT_N]:
        return GOING if pay_step(s, p, r, j) else ABANDONED
    if s.x[r, _col(p, B_REVIEW, j)] < p.ph[PH_PASS, p.route_ch[r], j]:
        return PASSED
    return FAILED_AGAIN
