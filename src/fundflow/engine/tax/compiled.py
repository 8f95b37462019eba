"""The tax in the compiled engine: the solver's own funding and the demander's
installments booked per budget year, and recognised at each year's end (the rules:
:mod:`fundflow.engine.tax.rules`). A recapture the solver cannot pay within its
reserve abandons the route: :func:`settle_solver` says so, and the engine's loop
(:func:`fundflow.engine.compiled_engine.settle_tax`) abandons it in route order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from numba import njit

from fundflow.engine.core.state import (
    EVENTS,
    FIRST,
    NORMAL,
    NOW,
    ROUTE_FLOATS,
    SCALAR_INTS,
    State,
    add,
    kind_codes,
    party_codes,
    push,
)  # fmt: skip
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.reserve.compiled import solver_pays, solver_receives
from fundflow.engine.tax.rules import demander_tax, solver_tax

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_TAX", "book_installment", "next_year", "open_year", "own_funding_changes",
    "plan_section", "settle_demander", "settle_solver", "start",
]  # fmt: skip

SOL, DEM, GOV = party_codes("solver", "demander", "government")
K_TAX, K_RECAPTURE = kind_codes("tax_expenditure", "tax_recapture")
#: own funding so far, and what of it the tax has recognised
OWNF, RECOG = ROUTE_FLOATS.take("own_funding", "recognised")
#: the budget year to settle next
(TYEAR,) = SCALAR_INTS.take("tax_year")
(EV_TAX,) = EVENTS.take("tax")


def plan_section(plan: EnginePlan) -> dict[str, object]:
    """The tax's terms in the flat plan."""
    tax = plan.scenario.government.tax
    return {
        "tax_on": tax.rd_super_deduction > 0.0,
        "solver_tax_rate": float(tax.rate("solver")),
        "demander_tax_rate": float(tax.rate("demander") * tax.demander_deductible),
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """The tax process: the first budget year's end."""
    if p.tax_on and 1 < p.horizon:
        push(s, 1.0, NORMAL, EV_TAX, FIRST)


@njit(cache=CACHE)
def own_funding_changes(s: State, p: FlatPlan, r: int, amount: float) -> None:
    if p.tax_on:
        y = int(s.sf[NOW])
        s.yr[y, r] += amount
        s.yi[y, r] = 1
        s.yi[y, 2 * s.rf.shape[0]] = 1


@njit(cache=CACHE)
def book_installment(s: State, p: FlatPlan, r: int, amount: float) -> None:
    """The demander paid ``amount`` to route ``r``'s solver: deductible this year."""
    if p.tax_on:
        y = int(s.sf[NOW])
        s.yr[y, s.rf.shape[0] + r] += amount
        s.yi[y, s.rf.shape[0] + r] = 1
        s.yi[y, 2 * s.rf.shape[0]] = 1


@njit(cache=CACHE)
def open_year(s: State, y: int) -> bool:
    """Budget year ``y`` has entries to settle (and is marked settled)."""
    if not s.yi[y, 2 * s.rf.shape[0]]:
        return False
    s.yi[y, 2 * s.rf.shape[0]] = 0
    return True


@njit(cache=CACHE)
def settle_solver(s: State, p: FlatPlan, y: int, r: int) -> bool:
    """Recognise route ``r``'s own funding of year ``y``; False if the solver cannot
    pay a recapture within its reserve (the route must be abandoned)."""
    if s.yi[y, r]:
        s.rf[r, OWNF] += s.yr[y, r]
        amount, change = solver_tax(p.solver_tax_rate, s.rf[r, OWNF], s.rf[r, RECOG])
        if change > 0.0 and amount > 0.0:
            solver_receives(s, p, r, GOV, amount, K_TAX)
            s.rf[r, RECOG] += change
        elif change < 0.0 and amount > 0.0:
            if not solver_pays(s, p, r, GOV, amount, K_RECAPTURE):
                return False
            s.rf[r, RECOG] += change
    return True


@njit(cache=CACHE)
def settle_demander(s: State, p: FlatPlan, y: int, r: int) -> None:
    """The demander's tax forgone on what it paid route ``r`` in year ``y``."""
    if s.yi[y, s.rf.shape[0] + r] and p.demander_tax_rate > 0.0:
        amount = demander_tax(p.demander_tax_rate, s.yr[y, s.rf.shape[0] + r])
        add(s, GOV, DEM, amount, K_TAX, p.route_ch[r], r)


@njit(cache=CACHE)
def next_year(s: State, p: FlatPlan) -> None:
    """After settling year ``TYEAR``: wait for the next year's end, if before the horizon."""
    s.si[TYEAR] += 1
    year = s.si[TYEAR]
    if year + 1 < p.horizon:
        push(s, year + 1 - s.sf[NOW], NORMAL, EV_TAX, FIRST)
