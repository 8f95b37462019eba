"""The tax in the compiled engine: the solver's own funding, the demander's
installments and the match received booked per budget year, and recognised at each
year's end (the rules: :mod:`fundflow.engine.tax.rules`; docs/model.md, "Tax").

The match is non-taxable income by default (不征税收入): R&D paid with it may not be
deducted, so its recipient's base drops by it. As taxable income the recipient
pays tax on it (``tax_on_subsidy``) and its base keeps it. A recapture or a tax on
the subsidy the solver cannot pay within its reserve abandons the route:
:func:`settle_solver` says so, and the engine's loop
(:func:`fundflow.engine.compiled_engine.settle_tax`) abandons it in route order."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
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
from fundflow.engine.tax.rules import demander_tax, recognise

if TYPE_CHECKING:
    from fundflow.engine.core.flat_plan import FlatPlan
    from fundflow.engine.plan import EnginePlan

__all__ = [
    "EV_TAX", "book_installment", "book_match", "next_year", "open_year", "own_funding_changes",
    "plan_section", "settle_demander", "settle_solver", "start",
]  # fmt: skip

SOL, DEM, GOV = party_codes("solver", "demander", "government")
K_TAX, K_RECAPTURE, K_SUBSIDY = kind_codes("tax_expenditure", "tax_recapture", "tax_on_subsidy")
#: the solver's own funding so far, and what of it the tax has recognised; the
#: demander's installments and match received so far, and its base recognised; the
#: net match the recipient received, and what of it was taxed as income
OWNF, RECOG, DINST, DMATCH, DRECOG, SUBS, SUBREC = ROUTE_FLOATS.take(
    "own_funding", "recognised", "demander_installments", "demander_match",
    "demander_recognised", "subsidy", "subsidy_taxed",
)  # fmt: skip
#: who gets the payment for an increase of a base: the demander (its deduction) or the
#: government (the tax on a taxable match); np.bool_, which numba types as no literal
TO_DEMANDER, FROM_DEMANDER = cast(bool, np.bool_(True)), cast(bool, np.bool_(False))
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
        "match_taxable": tax.match_taxable,
        "solver_subsidy_rate": float(tax.subsidy_rate("solver")),
        "demander_subsidy_rate": float(tax.subsidy_rate("demander")),
    }


@njit(cache=CACHE)
def start(s: State, p: FlatPlan) -> None:
    """The tax process: the first budget year's end."""
    if p.tax_on and 1 < p.horizon:
        push(s, 1.0, NORMAL, EV_TAX, FIRST)


@njit(cache=CACHE)
def _book(s: State, y: int, column: int, amount: float) -> None:
    s.yr[y, column] += amount
    s.yi[y, column] = 1
    s.yi[y, 3 * s.rf.shape[0]] = 1


@njit(cache=CACHE)
def own_funding_changes(s: State, p: FlatPlan, r: int, amount: float) -> None:
    """Book a change of what route ``r``'s solver funds itself (its deduction base)."""
    if p.tax_on:
        _book(s, int(s.sf[NOW]), r, amount)


@njit(cache=CACHE)
def book_installment(s: State, p: FlatPlan, r: int, amount: float) -> None:
    """The demander paid ``amount`` to route ``r``'s solver: deductible this year."""
    if p.tax_on:
        _book(s, int(s.sf[NOW]), s.rf.shape[0] + r, amount)


@njit(cache=CACHE)
def book_match(s: State, p: FlatPlan, r: int, amount: float) -> None:
    """Route ``r``'s match reached its recipient (``amount`` > 0) or was clawed back
    (< 0). Non-taxable to the solver, it lowers the solver's base at once; otherwise
    it is booked for the year's settlement (the demander's base, or the tax on it)."""
    if not p.tax_on:
        return
    if p.match_taxable or p.match_payee == DEM:
        _book(s, int(s.sf[NOW]), 2 * s.rf.shape[0] + r, amount)
    else:
        own_funding_changes(s, p, r, -amount)


@njit(cache=CACHE)
def open_year(s: State, y: int) -> bool:
    """Budget year ``y`` has entries to settle (and is marked settled)."""
    if not s.yi[y, 3 * s.rf.shape[0]]:
        return False
    s.yi[y, 3 * s.rf.shape[0]] = 0
    return True


@njit(cache=CACHE)
def settle_solver(s: State, p: FlatPlan, y: int, r: int) -> bool:
    """Recognise route ``r``'s own funding of year ``y``, then the tax on a taxable
    match it received; False if the solver cannot pay within its reserve (the route
    must be abandoned)."""
    if s.yi[y, r]:
        s.rf[r, OWNF] += s.yr[y, r]
        amount, change = recognise(p.solver_tax_rate, s.rf[r, OWNF], s.rf[r, RECOG])
        if change > 0.0 and amount > 0.0:
            solver_receives(s, p, r, GOV, amount, K_TAX)
            s.rf[r, RECOG] += change
        elif change < 0.0 and amount > 0.0:
            if not solver_pays(s, p, r, GOV, amount, K_RECAPTURE):
                return False
            s.rf[r, RECOG] += change
    if p.match_taxable and p.match_payee == SOL and s.yi[y, 2 * s.rf.shape[0] + r]:
        s.rf[r, SUBS] += s.yr[y, 2 * s.rf.shape[0] + r]
        amount, change = recognise(p.solver_subsidy_rate, s.rf[r, SUBS], s.rf[r, SUBREC])
        if change > 0.0 and amount > 0.0:
            if not solver_pays(s, p, r, GOV, amount, K_SUBSIDY):
                return False
            s.rf[r, SUBREC] += change
        elif change < 0.0 and amount > 0.0:
            solver_receives(s, p, r, GOV, amount, K_SUBSIDY)
            s.rf[r, SUBREC] += change
    return True


@njit(cache=CACHE)
def _demander_pays_or_receives(s: State, p: FlatPlan, r: int, amount: float, change: float,
                               kind_up: int, kind_down: int, gets_up: bool) -> None:  # fmt: skip
    """Pay ``amount`` between the government and the demander: for an increase of
    the base (``change`` > 0) the government pays if ``gets_up``, else the demander."""
    if amount <= 0.0 or change == 0.0:
        return
    to_demander = (change > 0.0) == gets_up
    kind = kind_up if change > 0.0 else kind_down
    if to_demander:
        add(s, GOV, DEM, amount, kind, p.route_ch[r], r)
    else:
        add(s, DEM, GOV, amount, kind, p.route_ch[r], r)


@njit(cache=CACHE)
def settle_demander(s: State, p: FlatPlan, y: int, r: int) -> None:
    """The demander's tax forgone on what it paid route ``r`` in year ``y``: on its
    installments less the non-taxable match it received (recognised cumulatively), or
    on the installments of the year when it received no non-taxable match; and the tax
    on a taxable match it received."""
    n = s.rf.shape[0]
    inst, match = s.yi[y, n + r], s.yi[y, 2 * n + r]
    if p.match_payee == DEM and not p.match_taxable:
        if (inst or match) and p.demander_tax_rate > 0.0:
            s.rf[r, DINST] += s.yr[y, n + r]
            s.rf[r, DMATCH] += s.yr[y, 2 * n + r]
            base = s.rf[r, DINST] - s.rf[r, DMATCH]
            amount, change = recognise(p.demander_tax_rate, base, s.rf[r, DRECOG])
            _demander_pays_or_receives(s, p, r, amount, change, K_TAX, K_RECAPTURE, TO_DEMANDER)
            s.rf[r, DRECOG] += change
    elif inst and p.demander_tax_rate > 0.0:
        add(s, GOV, DEM, demander_tax(p.demander_tax_rate, s.yr[y, n + r]), K_TAX,
            p.route_ch[r], r)  # fmt: skip
    if p.match_taxable and p.match_payee == DEM and match:
        s.rf[r, SUBS] += s.yr[y, 2 * n + r]
        amount, change = recognise(p.demander_subsidy_rate, s.rf[r, SUBS], s.rf[r, SUBREC])
        _demander_pays_or_receives(s, p, r, amount, change, K_SUBSIDY, K_SUBSIDY, FROM_DEMANDER)
        s.rf[r, SUBREC] += change


@njit(cache=CACHE)
def next_year(s: State, p: FlatPlan) -> None:
    """After settling year ``TYEAR``: wait for the next year's end, if before the horizon."""
    s.si[TYEAR] += 1
    year = s.si[TYEAR]
    if year + 1 < p.horizon:
        push(s, year + 1 - s.sf[NOW], NORMAL, EV_TAX, FIRST)
