"""The reserve in the compiled engine: the solver's payments and receipts, each
counted in the route's cumulative net outflow, and a running route's payment
refused when it would take that outflow above the reserve (the rule:
:func:`fundflow.engine.reserve.rules.exceeds`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.core.state import (
    NOW,
    ROUTE_FLOATS,
    STATUS,
    State,
    add,
    party_codes,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.outcome import RUNNING
from fundflow.engine.reserve.rules import exceeds

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = ["NET", "plan_section", "solver_pays", "solver_receives"]

(SOL,) = party_codes("solver")
#: the route's cumulative net outflow (what the solver paid less what it received)
(NET,) = ROUTE_FLOATS.take("net_outflow")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The reserve's terms in the flat plan."""
    reserve = plan.scenario.solver.reserve
    return {
        "has_reserve": reserve is not None,
        "reserve": 0.0 if reserve is None else float(reserve),
    }


@njit(cache=CACHE)
def solver_receives(s: State, p: FlatPlan, r: int, payer: int, amount: float, kind: int) -> None:
    add(s, payer, SOL, amount, kind, p.route_ch[r], r)
    s.rf[r, NET] -= amount


@njit(cache=CACHE)
def solver_pays(s: State, p: FlatPlan, r: int, payee: int, amount: float, kind: int) -> bool:
    """The solver pays; False, and nothing paid, if a running route's cumulative net
    outflow would exceed its reserve."""
    if (
        p.has_reserve
        and s.ri[r, STATUS] == RUNNING
        and s.sf[NOW] < p.horizon
        and exceeds(s.rf[r, NET], amount, p.reserve)
    ):
        return False
    add(s, SOL, payee, amount, kind, p.route_ch[r], r)
    s.rf[r, NET] += amount
    return True
