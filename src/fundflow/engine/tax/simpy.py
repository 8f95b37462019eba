"""The tax book of the SimPy engine: the R&D super-deduction's tax forgone, settled
at the end of each budget year (docs/model.md, "Tax").

:class:`TaxBook` owns what the settlement recognises: per budget year and route,
the change of the solver's own funding (R&D spent less installments and match
received, less what is clawed back) and the demander's installments; per route, the
own funding so far and what has been recognised of it. The engine books those
changes through the hooks ``own_funding_changes`` (which the book answers) and
:meth:`TaxBook.installment`; the book pays through the hooks
(:class:`~fundflow.engine.hooks.EngineHooks`) and abandons a route whose solver
cannot pay a recapture within its reserve.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import K, P
from fundflow.engine.plan import EnginePlan
from fundflow.engine.tax import rules

__all__ = ["TaxBook"]

GOV, DEM = P["government"], P["demander"]

# the tax bases both engines share, as Python
solver_tax = rules.solver_tax.py_func
demander_tax = rules.demander_tax.py_func


class TaxBook:
    """Recognise the solver's own funding and the demander's installments for tax.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    plan : EnginePlan
        The scenario's plan (the tax terms, the horizon, the routes).
    """

    def __init__(self, hooks: EngineHooks, plan: EnginePlan) -> None:
        sc = plan.scenario
        tax = sc.government.tax
        n_routes = plan.layout.n_routes
        self.hooks = hooks
        self.horizon = sc.horizon
        self.solver_rate = tax.rate("solver")
        self.demander_rate = tax.rate("demander") * tax.demander_deductible
        # per budget year and route: the change of own funding, the installments paid
        self.own_funding_by_year: dict[int, dict[int, float]] = {}
        self.installments_by_year: dict[int, dict[int, float]] = {}
        # per route: own funding so far, and what of it has been recognised
        self.own_funding = [0.0] * n_routes
        self.recognised = [0.0] * n_routes

    def own_funding_changes(self, r: int, amount: float) -> None:
        """Book a change of what the solver of route ``r`` funds itself, this year."""
        year = self.own_funding_by_year.setdefault(int(self.hooks.now()), {})
        year[r] = year.get(r, 0.0) + amount

    def installment(self, r: int, amount: float) -> None:
        """The demander paid route ``r``'s solver an installment: it lowers the solver's
        own funding and is the demander's deductible cost of the year."""
        year = int(self.hooks.now())
        own = self.own_funding_by_year.setdefault(year, {})
        own[r] = own.get(r, 0.0) - amount
        paid = self.installments_by_year.setdefault(year, {})
        paid[r] = paid.get(r, 0.0) + amount

    def start(self) -> None:
        """Start the yearly settlement."""
        self.hooks.process(self.pay_tax())

    def pay_tax(self) -> Generator[simpy.Event, Any, None]:
        """At each budget year's end, the super-deduction's tax forgone (docs/model.md)."""
        year = 0
        while year + 1 < self.horizon:
            yield self.hooks.timeout(year + 1 - self.hooks.now())
            self.settle(year)
            year += 1

    def settle(self, year: int) -> None:
        """Recognise one budget year's eligible R&D cost, route by route.

        The solver's eligible cost is its cumulative own funding (R&D spent less
        installments and match received), never below zero; an increase of it is tax
        forgone paid to the solver, a decrease is paid back. The demander deducts its
        share of the installments it paid in the year.
        """
        hooks = self.hooks
        own = self.own_funding_by_year.pop(year, {})
        paid = self.installments_by_year.pop(year, {})
        for r in sorted(own.keys() | paid.keys()):
            if r in own:
                self.own_funding[r] += own[r]
                amount, change = solver_tax(
                    self.solver_rate, self.own_funding[r], self.recognised[r]
                )
                if change > 0.0 and amount > 0.0:
                    hooks.solver_receives(r, GOV, amount, K["tax_expenditure"])
                    self.recognised[r] += change
                elif change < 0.0 and amount > 0.0:
                    if hooks.solver_pays(r, GOV, amount, K["tax_recapture"]):
                        self.recognised[r] += change
                    else:
                        hooks.abandon(r)
            if r in paid and self.demander_rate > 0.0:
                amount = demander_tax(self.demander_rate, paid[r])
                hooks.pay(GOV, DEM, amount, K["tax_expenditure"], r)

    def settle_at_horizon(self) -> None:
        """The year that the horizon cuts is settled at the horizon, never lost."""
        for year in sorted(self.own_funding_by_year.keys() | self.installments_by_year.keys()):
            self.settle(year)
