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

GOV, DEM, SOL = P["government"], P["demander"], P["solver"]
TAX, RECAPTURE, SUBSIDY = K["tax_expenditure"], K["tax_recapture"], K["tax_on_subsidy"]

# the tax bases both engines share, as Python
recognise = rules.recognise.py_func
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
        self.taxable = tax.match_taxable
        self.payee = SOL if sc.government.matching.payee == "solver" else DEM
        self.subsidy_rate = tax.subsidy_rate("solver" if self.payee == SOL else "demander")
        # per budget year and route: the change of own funding, the installments paid,
        # the match received net of claw-backs
        self.own_funding_by_year: dict[int, dict[int, float]] = {}
        self.installments_by_year: dict[int, dict[int, float]] = {}
        self.match_by_year: dict[int, dict[int, float]] = {}
        # per route: own funding so far, and what of it has been recognised; the
        # demander's installments, match and base recognised; the match taxed as income
        self.own_funding = [0.0] * n_routes
        self.recognised = [0.0] * n_routes
        self.installments = [0.0] * n_routes
        self.match = [0.0] * n_routes
        self.demander_recognised = [0.0] * n_routes
        self.subsidy = [0.0] * n_routes
        self.subsidy_taxed = [0.0] * n_routes

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

    def match_received(self, r: int, amount: float) -> None:
        """Route ``r``'s match reached its recipient (``amount`` > 0) or was clawed back
        (< 0). Non-taxable to the solver, it lowers the solver's base at once; otherwise
        it is booked for the year's settlement (the demander's base, or the tax on it)."""
        if self.taxable or self.payee == DEM:
            year = self.match_by_year.setdefault(int(self.hooks.now()), {})
            year[r] = year.get(r, 0.0) + amount
        else:
            self.own_funding_changes(r, -amount)

    def settle(self, year: int) -> None:
        """Recognise one budget year's eligible R&D cost, route by route (docs/model.md,
        "Tax"): the solver's own funding, then the tax on a taxable match it received;
        then the demander's base and the tax on a taxable match it received. A route
        whose solver cannot pay within its reserve is abandoned there."""
        own = self.own_funding_by_year.pop(year, {})
        paid = self.installments_by_year.pop(year, {})
        match = self.match_by_year.pop(year, {})
        for r in sorted(own.keys() | paid.keys() | match.keys()):
            if not self._settle_solver(r, own, match):
                self.hooks.abandon(r)
            self._settle_demander(r, paid, match)

    def _settle_solver(self, r: int, own: dict[int, float], match: dict[int, float]) -> bool:
        hooks = self.hooks
        if r in own:
            self.own_funding[r] += own[r]
            amount, change = recognise(self.solver_rate, self.own_funding[r], self.recognised[r])
            if change > 0.0 and amount > 0.0:
                hooks.solver_receives(r, GOV, amount, TAX)
                self.recognised[r] += change
            elif change < 0.0 and amount > 0.0:
                if not hooks.solver_pays(r, GOV, amount, RECAPTURE):
                    return False
                self.recognised[r] += change
        if self.taxable and self.payee == SOL and r in match:
            self.subsidy[r] += match[r]
            amount, change = recognise(self.subsidy_rate, self.subsidy[r], self.subsidy_taxed[r])
            if change > 0.0 and amount > 0.0:
                if not hooks.solver_pays(r, GOV, amount, SUBSIDY):
                    return False
                self.subsidy_taxed[r] += change
            elif change < 0.0 and amount > 0.0:
                hooks.solver_receives(r, GOV, amount, SUBSIDY)
                self.subsidy_taxed[r] += change
        return True

    def _settle_demander(self, r: int, paid: dict[int, float], match: dict[int, float]) -> None:
        hooks = self.hooks
        if self.payee == DEM and not self.taxable:
            if (r in paid or r in match) and self.demander_rate > 0.0:
                self.installments[r] += paid.get(r, 0.0)
                self.match[r] += match.get(r, 0.0)
                base = self.installments[r] - self.match[r]
                amount, change = recognise(self.demander_rate, base, self.demander_recognised[r])
                self._demander(r, amount, change, TAX, RECAPTURE, gets_up=True)
                self.demander_recognised[r] += change
        elif r in paid and self.demander_rate > 0.0:
            hooks.pay(GOV, DEM, demander_tax(self.demander_rate, paid[r]), TAX, r)
        if self.taxable and self.payee == DEM and r in match:
            self.subsidy[r] += match[r]
            amount, change = recognise(self.subsidy_rate, self.subsidy[r], self.subsidy_taxed[r])
            self._demander(r, amount, change, SUBSIDY, SUBSIDY, gets_up=False)
            self.subsidy_taxed[r] += change

    def _demander(self, r: int, amount: float, change: float, up: int, down: int,
                  *, gets_up: bool) -> None:  # fmt: skip
        """Pay ``amount`` between the government and the demander: for an increase of
        the base the government pays if ``gets_up``, else the demander."""
        if amount <= 0.0 or change == 0.0:
            return
        kind = up if change > 0.0 else down
        if (change > 0.0) == gets_up:
            self.hooks.pay(GOV, DEM, amount, kind, r)
        else:
            self.hooks.pay(DEM, GOV, amount, kind, r)

    def settle_at_horizon(self) -> None:
        """The year that the horizon cuts is settled at the horizon, never lost."""
        years = self.own_funding_by_year.keys() | self.installments_by_year.keys()
        for year in sorted(years | self.match_by_year.keys()):
            self.settle(year)
