"""The race in the compiled engine: a challenge's racing routes report at the
selection review (or withdraw by ending before it); once all are heard, those that
passed are ranked by (priority draw, route) and the first ``keep`` are kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.core.flat_plan import C_FIRST, C_KEEP, C_SELECT, C_SOLVERS
from fundflow.engine.core.state import (
    DR_RACE,
    EVENTS,
    NORMAL,
    OUTSTANDING,
    ROUTE_INTS,
    State,
    entered,
    push,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan

__all__ = ["EV_RACE", "KEPT", "race_report", "race_withdraw", "start"]

KEPT, HEARD, PASSED, SORT = ROUTE_INTS.take("kept", "heard", "passed", "sorted")
(EV_RACE,) = EVENTS.take("race")


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """Each racing challenge waits for all its routes that started."""
    for ch in range(p.cfl.shape[0]):
        if p.cin[ch, C_SELECT] > 0:
            lo = p.cin[ch, C_FIRST]
            n = 0
            for r in range(lo, lo + p.cin[ch, C_SOLVERS]):
                n += entered(s, r)
            s.ci[ch, OUTSTANDING] = n


@njit(cache=CACHE)
def race_done(s: State, p: FlatPlan, r: int) -> None:
    """Route ``r`` passed the selection review or ended before it; once every racing
    route is heard, the passers are ranked by (priority, route) and told if kept."""
    ch = p.route_ch[r]
    s.ri[r, HEARD] = 1
    s.ci[ch, OUTSTANDING] -= 1
    if s.ci[ch, OUTSTANDING] != 0:
        return
    n = 0
    x = s.x
    lo = p.cin[ch, C_FIRST]
    for y in range(lo, lo + p.cin[ch, C_SOLVERS]):  # insertion sort, routes ascending
        if not s.ri[y, PASSED]:
            continue
        k = n
        while k > 0 and x[int(s.ri[k - 1, SORT]), DR_RACE] > x[y, DR_RACE]:
            s.ri[k, SORT] = s.ri[k - 1, SORT]
            k -= 1
        s.ri[k, SORT] = y
        n += 1
    for rank in range(n):
        y = s.ri[rank, SORT]
        s.ri[y, KEPT] = rank < p.cin[ch, C_KEEP]
        push(s, 0.0, NORMAL, EV_RACE, y)


@njit(cache=CACHE)
def race_report(s: State, p: FlatPlan, r: int) -> None:
    s.ri[r, PASSED] = 1
    race_done(s, p, r)


@njit(cache=CACHE)
def race_withdraw(s: State, p: FlatPlan, r: int) -> None:
    """A route ended before the selection: it no longer counts or takes a place."""
    if not s.ri[r, HEARD]:
        race_done(s, p, r)
    elif s.ci[p.route_ch[r], OUTSTANDING] > 0:
        s.ri[r, PASSED] = 0
