"""The R&D super-deduction's tax forgone, settled at the end of each budget year."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine._state import DEM, GOV, RunState
from fundflow.engine.ledger import K
from fundflow.engine.tax import rules

__all__ = ["TaxSettlement"]

# the tax bases both engines share, as Python
solver_tax = rules.solver_tax.py_func
demander_tax = rules.demander_tax.py_func


class TaxSettlement(RunState):
    """Recognise the solver's own funding and the demander's installments for tax."""

    def _init_tax(self, r: int) -> None:
        """Per budget year and route, the change of the solver's own funding and the
        demander's installments; per route, what has been recognised so far."""
        self.own_funding_by_year = {}
        self.installments_by_year = {}
        self.own_funding = [0.0] * r
        self.recognised = [0.0] * r

    def pay_tax(self) -> Generator[simpy.Event, Any, None]:
        """At each budget year's end, the super-deduction's tax forgone (docs/model.md)."""
        year = 0
        while year + 1 < self.horizon:
            yield self.env.timeout(year + 1 - self.env.now)
            self.settle_tax(year)
            year += 1

    def settle_tax(self, year: int) -> None:
        """Recognise one budget year's eligible R&D cost, route by route.

        The solver's eligible cost is its cumulative own funding (R&D spent less
        installments and match received), never below zero; an increase of it is tax
        forgone paid to the solver, a decrease is paid back. The demander deducts its
        share of the installments it paid in the year.
        """
        own = self.own_funding_by_year.pop(year, {})
        paid = self.installments_by_year.pop(year, {})
        for r in sorted(own.keys() | paid.keys()):
            if r in own:
                self.own_funding[r] += own[r]
                amount, change = solver_tax(
                    self.solver_tax_rate, self.own_funding[r], self.recognised[r]
                )
                if change > 0.0 and amount > 0.0:
                    self.solver_receives(r, GOV, amount, K["tax_expenditure"])
                    self.recognised[r] += change
                elif change < 0.0 and amount > 0.0:
                    if self.solver_pays(r, GOV, amount, K["tax_recapture"]):
                        self.recognised[r] += change
                    else:
                        self.abandon(r)
            if r in paid and self.demander_tax_rate > 0.0:
                ch = self.plan.route_challenge[r]
                amount = demander_tax(self.demander_tax_rate, paid[r])
                self.ledger.add(self.env.now, GOV, DEM, amount, K["tax_expenditure"], ch, r)

    def settle_tax_at_horizon(self) -> None:
        """The year that the horizon cuts is settled at the horizon, never lost."""
        for year in sorted(self.own_funding_by_year.keys() | self.installments_by_year.keys()):
            self.settle_tax(year)
