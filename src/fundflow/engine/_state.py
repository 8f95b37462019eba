"""The state of one replication and the money movements every part of the engine uses.

:class:`RunState` holds the scenario's terms, the replication's draws, the state of
routes and challenges, the ledger and the books (reserve, budget, matching, tax,
fund, credit); it implements the hooks through which the books reach the engine
(:class:`~fundflow.engine.hooks.EngineHooks`). The route events
(:mod:`fundflow.engine._engine_des`) build on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from fundflow.engine.budget.simpy import BudgetBook
from fundflow.engine.credit.simpy import CreditBook
from fundflow.engine.draws import Draws
from fundflow.engine.fund.simpy import GuidedFundBook
from fundflow.engine.hooks import OnPaid
from fundflow.engine.ledger import EPS, K, LedgerWriter, P
from fundflow.engine.matching.simpy import MatchingBook
from fundflow.engine.outcome import NOT_STARTED, RUNNING
from fundflow.engine.plan import EnginePlan
from fundflow.engine.race.simpy import RaceBook
from fundflow.engine.reserve.simpy import ReserveBook
from fundflow.engine.tax.simpy import TaxBook

__all__ = ["DEM", "EPS", "EXT", "GOV", "SOL", "RunState"]


GOV, DEM, SOL, EXT = P["government"], P["demander"], P["solver"], P["external"]


class RunState:
    """State of one replication, its hooks for the books and the solver's payments."""

    def _init_terms(self, plan: EnginePlan) -> None:
        """The clock, the ledger and the scenario's terms."""
        sc = plan.scenario
        self.plan = plan
        self.env = simpy.Environment()
        self.ledger = LedgerWriter()
        self.horizon = sc.horizon
        gov = sc.government
        self.lag = gov.matching.payment_lag

    def _init_draws(self, draws: Draws, i: int) -> None:
        """Replication ``i``'s draws of the route life cycle as Python lists."""
        self.duration: list[list[float]] = draws.duration[i].tolist()
        self.review_u: list[list[float]] = draws.review_u[i].tolist()
        self.overrun: list[float] = draws.overrun[i].tolist()
        self.value: list[float] = draws.value[i].tolist()
        self.solver_value: list[float] = draws.solver_value[i].tolist()

    def _init_routes(self, r: int) -> None:
        """The state of the ``r`` routes."""
        self.status = [NOT_STARTED] * r
        self.end_time = [math.nan] * r
        self.end_review = [0] * r
        self.cost_spent = [0.0] * r
        self.demander_paid = [0.0] * r
        self.phase = [0] * r  # reviews passed so far

    def _init_challenges(self, c: int) -> None:
        """The state of the ``c`` challenges."""
        self.value_paid = [False] * c

    def _init_books(self, draws: Draws, i: int) -> None:
        """The reserve, budget and matching books; the race, tax, credit and
        guided-fund books, where the scenario has them."""
        sc = self.plan.scenario
        self.reserve = ReserveBook(self, self.plan)
        self.budget = BudgetBook(self, sc.government.annual_budget)
        self.matching = MatchingBook(self, self.plan, draws.misconduct_u[i].tolist())
        races = any(cp.select_after for cp in self.plan.challenges)
        self.race = RaceBook(self, self.plan, draws.race_u[i].tolist()) if races else None
        self.tax = TaxBook(self, self.plan) if sc.government.tax.rd_super_deduction > 0.0 else None
        self.credit = (
            CreditBook(self, self.plan, sc.credit, draws.default_u[i].tolist())
            if sc.credit
            else None
        )
        self.fund = (
            GuidedFundBook(
                self,
                sc.guided_fund,
                draws.holding_period[i].tolist(),
                draws.exit_multiple[i].tolist(),
            )
            if sc.guided_fund
            else None
        )

    # --- the hooks of the fund and credit books (EngineHooks) ---------------------

    def now(self) -> float:
        return self.env.now

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _e: callback())

    def timeout(self, delay: float) -> simpy.Event:
        return self.env.timeout(delay)

    def event(self) -> simpy.Event:
        return self.env.event()

    def process(self, generator: Generator[simpy.Event, Any, None]) -> None:
        self.env.process(generator)

    def running(self, r: int) -> bool:
        """Route ``r`` has started and not ended."""
        return self.status[r] == RUNNING

    def spent(self, r: int) -> float:
        """What the solver of route ``r`` has spent on R&D."""
        return self.cost_spent[r]

    def installments(self, r: int) -> float:
        """What the demander has paid the solver of route ``r``."""
        return self.demander_paid[r]

    def pay(self, payer: int, payee: int, amount: float, kind: int, route: int) -> None:
        ch = self.plan.route_challenge[route] if route >= 0 else -1
        self.ledger.add(self.env.now, payer, payee, amount, kind, ch, route)

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, r: int, on_paid: OnPaid | None
    ) -> None:
        """Commit a government payment (the budget book's)."""
        self.budget.commit(delay, payee, amount, kind, r, on_paid)

    def compensate(self, r: int) -> None:
        """Commit route ``r``'s compensation (the matching book's)."""
        self.matching.compensate(r)

    def eliminate(self, r: int, review: int) -> None:
        """End route ``r`` as eliminated by its race (a route event of the engine)."""
        raise NotImplementedError

    def abandon(self, r: int, review: int | None = None) -> None:
        """End route ``r`` as a financing failure (a route event of the engine)."""
        raise NotImplementedError

    # --- money movements -------------------------------------------------------

    def solver_receives(self, r: int, payer: int, amount: float, kind: int) -> None:
        """The solver of route ``r`` receives (the reserve book's)."""
        self.reserve.solver_receives(r, payer, amount, kind)

    def solver_pays(self, r: int, payee: int, amount: float, kind: int) -> bool:
        """The solver of route ``r`` pays within its reserve (the reserve book's)."""
        return self.reserve.solver_pays(r, payee, amount, kind)

    def own_funding_changes(self, r: int, amount: float) -> None:
        """Book a change of what the solver funds itself (for the super-deduction)."""
        if self.tax is not None:
            self.tax.own_funding_changes(r, amount)

    def spend(self, r: int, amount: float) -> bool:
        """The solver pays R&D cost; False if that would exceed its reserve."""
        if not self.solver_pays(r, EXT, amount, K["rd_spending"]):
            return False
        self.cost_spent[r] += amount
        self.own_funding_changes(r, amount)
        return True
