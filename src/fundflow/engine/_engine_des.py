"""The reference engine: one replication as a SimPy discrete-event model.

``run_replication(plan, draws, i)`` is a deterministic function of the scenario's
plan and replication ``i``'s draws. Phases of a run (desmod's pattern): build the
state, start one ``run_route`` process per route (plus the budget clock and the
yearly tax and fund processes where configured), run to the horizon, collect an
:class:`Outcome`. Payments that fall due later (tranches after ``payment_lag``,
compensation, value) are timeouts with a callback, not processes.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import simpy

from fundflow.engine._credit import CreditBook, loan_outstanding
from fundflow.engine._fund import GuidedFundBook
from fundflow.engine.draws import Draws
from fundflow.engine.ledger import K, LedgerWriter, P
from fundflow.engine.outcome import (
    ELIMINATED,
    FAILED,
    FINANCING,
    NOT_STARTED,
    RUNNING,
    SUCCEEDED,
    Outcome,
)
from fundflow.engine.plan import EnginePlan

__all__ = ["Outcome", "gc_paused", "run_replication"]

_EPS = 1e-12

GOV, DEM, SOL, EXT = P["government"], P["demander"], P["solver"], P["external"]


class _Due:
    """A government payment committed and not yet (fully) paid."""

    __slots__ = ("challenge", "due", "kind", "payee", "remaining", "route", "tranche")

    def __init__(
        self,
        payee: int,
        amount: float,
        kind: int,
        challenge: int,
        route: int,
        due: float,
        tranche: bool,
    ) -> None:
        self.payee = payee
        self.remaining = amount
        self.kind = kind
        self.challenge = challenge
        self.route = route
        self.due = due
        self.tranche = tranche


class _Race:
    """Selection among a challenge's racing routes after review ``select_after``."""

    __slots__ = ("env", "heard", "keep", "outstanding", "passed", "priority")

    def __init__(
        self, env: simpy.Environment, routes: int, keep: int, priority: list[float]
    ) -> None:
        self.env = env
        self.outstanding = routes
        self.keep = keep
        self.passed: list[tuple[float, int, simpy.Event]] = []
        self.priority = priority
        self.heard: set[int] = set()

    def report(self, route: int) -> simpy.Event:
        """A route passed the selection review; the event's value says if it is kept."""
        event = self.env.event()
        self.passed.append((self.priority[route], route, event))
        self._done(route)
        return event

    def withdraw(self, route: int) -> None:
        """A route ended before the selection: it no longer counts or takes a place."""
        if route not in self.heard:
            self._done(route)
        elif self.outstanding > 0:  # passed, then abandoned while waiting
            self.passed = [x for x in self.passed if x[1] != route]

    def _done(self, route: int) -> None:
        self.heard.add(route)
        self.outstanding -= 1
        if self.outstanding == 0:
            for rank, (_, _, event) in enumerate(sorted(self.passed, key=lambda x: x[:2])):
                event.succeed(rank < self.keep)


class _Run:
    """State of one replication."""

    def __init__(self, plan: EnginePlan, draws: Draws, i: int) -> None:
        sc = plan.scenario
        lay = plan.layout
        self.plan = plan
        self.env = simpy.Environment()
        self.ledger = LedgerWriter()
        self.horizon = sc.horizon
        gov = sc.government
        self.lag = gov.matching.payment_lag
        self.cap = gov.matching.cap
        self.tol = gov.error_tolerance
        self.clawback_share = gov.clawback_without_tolerance
        self.budget = gov.annual_budget
        self.reserve = sc.solver.reserve
        self.match_payee = SOL if gov.matching.payee == "solver" else DEM
        tax = gov.tax
        self.tax_on = tax.rd_super_deduction > 0.0
        self.solver_tax_rate = tax.rate("solver")
        self.demander_tax_rate = tax.rate("demander") * tax.demander_deductible
        r, c = lay.n_routes, lay.n_challenges
        # draws of this replication, as Python lists
        self.duration: list[list[float]] = draws.duration[i].tolist()
        self.review_u: list[list[float]] = draws.review_u[i].tolist()
        self.overrun: list[float] = draws.overrun[i].tolist()
        self.misconduct_u: list[float] = draws.misconduct_u[i].tolist()
        self.value: list[float] = draws.value[i].tolist()
        self.solver_value: list[float] = draws.solver_value[i].tolist()
        race_u: list[float] = draws.race_u[i].tolist()
        # route state
        self.status = [NOT_STARTED] * r
        self.end_time = [math.nan] * r
        self.end_review = [0] * r
        self.misconduct = [False] * r
        self.cost_spent = [0.0] * r
        self.demander_paid = [0.0] * r
        self.net_outflow = [0.0] * r
        self.gov_earned = [0.0] * r  # matching earned (committed) for the route
        self.gov_paid = [0.0] * r  # matching paid for the route
        self.tranches_due = [0] * r  # tranches committed, not fully paid
        self.settled: dict[int, simpy.Event] = {}
        self.phase = [0] * r  # reviews passed so far
        # tax: per budget year and route, the change of the solver's own funding and the
        # demander's installments; per route, what has been recognised so far
        self.own_funding_by_year: dict[int, dict[int, float]] = {}
        self.installments_by_year: dict[int, dict[int, float]] = {}
        self.own_funding = [0.0] * r
        self.recognised = [0.0] * r
        # challenge state
        self.cap_left = [math.inf if self.cap is None else self.cap] * c
        self.value_paid = [False] * c
        self.races: dict[int, _Race] = {}
        for ch, cp in enumerate(plan.challenges):
            if cp.select_after:
                self.races[ch] = _Race(self.env, cp.solvers, cp.keep, race_u)
        # government payments
        self.unpaid = 0.0
        self.queue: deque[_Due] = deque()
        self.spent_in_year: dict[int, float] = {}
        self.delayed = 0
        self.total_delay = 0.0
        self.credit = (
            CreditBook(self, plan, sc.credit, draws.default_u[i].tolist()) if sc.credit else None
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

    def process(self, generator: Generator[simpy.Event, Any, None]) -> None:
        self.env.process(generator)

    def pay(self, payer: int, payee: int, amount: float, kind: int, route: int) -> None:
        ch = self.plan.route_challenge[route] if route >= 0 else -1
        self.ledger.add(self.env.now, payer, payee, amount, kind, ch, route)

    # --- money movements -------------------------------------------------------

    def solver_receives(self, r: int, payer: int, amount: float, kind: int) -> None:
        self.ledger.add(self.env.now, payer, SOL, amount, kind, self.plan.route_challenge[r], r)
        self.net_outflow[r] -= amount

    def solver_pays(self, r: int, payee: int, amount: float, kind: int) -> bool:
        """The solver of a route pays; False, and nothing paid, if a running route's
        cumulative net outflow would exceed its reserve (every outflow counts)."""
        if (
            self.reserve is not None
            and self.status[r] == RUNNING
            and self.env.now < self.horizon
            and self.net_outflow[r] + amount > self.reserve + _EPS
        ):
            return False
        self.ledger.add(self.env.now, SOL, payee, amount, kind, self.plan.route_challenge[r], r)
        self.net_outflow[r] += amount
        return True

    def own_funding_changes(self, r: int, amount: float) -> None:
        """Book a change of what the solver funds itself (for the super-deduction)."""
        if self.tax_on:
            year = self.own_funding_by_year.setdefault(int(self.env.now), {})
            year[r] = year.get(r, 0.0) + amount

    def spend(self, r: int, amount: float) -> bool:
        """The solver pays R&D cost; False if that would exceed its reserve."""
        if not self.solver_pays(r, EXT, amount, K["rd_spending"]):
            return False
        self.cost_spent[r] += amount
        self.own_funding_changes(r, amount)
        return True

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, r: int, tranche: bool
    ) -> None:
        """Commit a government payment falling due ``delay`` years from now."""
        if amount <= 0.0:
            return
        due = _Due(
            payee, amount, kind, self.plan.route_challenge[r], r, self.env.now + delay, tranche
        )
        self.unpaid += amount
        if tranche:
            self.tranches_due[r] += 1
        event = self.env.timeout(delay)
        event.callbacks.append(lambda _e: self.fall_due(due))

    def fall_due(self, due: _Due) -> None:
        if self.budget is None:
            self.pay_part(due, due.remaining)
        elif self.queue:
            self.queue.append(due)
        else:
            self.pay_part(due, min(due.remaining, self.room()))
            if due.remaining > _EPS:
                self.queue.append(due)

    def room(self) -> float:
        assert self.budget is not None
        return max(0.0, self.budget - self.spent_in_year.get(int(self.env.now), 0.0))

    def pay_part(self, due: _Due, amount: float) -> None:
        if amount <= _EPS * max(1.0, due.remaining):
            return
        now = self.env.now
        self.ledger.add(now, GOV, due.payee, amount, due.kind, due.challenge, due.route)
        if due.payee == SOL:
            self.net_outflow[due.route] -= amount
            if due.kind == K["matching"]:
                self.own_funding_changes(due.route, -amount)
        year = int(now)
        self.spent_in_year[year] = self.spent_in_year.get(year, 0.0) + amount
        due.remaining -= amount
        self.unpaid -= amount
        r = due.route
        if due.tranche:
            self.gov_paid[r] += amount
        if due.remaining <= _EPS * max(1.0, amount):
            self.unpaid -= due.remaining
            due.remaining = 0.0
            if now > due.due + _EPS:
                self.delayed += 1
                self.total_delay += now - due.due
            if due.tranche:
                self.tranches_due[r] -= 1
                if self.tranches_due[r] == 0 and r in self.settled:
                    self.settled.pop(r).succeed()

    def budget_clock(self) -> Generator[simpy.Event, Any, None]:
        """At the start of each budget year, pay waiting government payments FIFO."""
        year = 0
        while True:
            year += 1
            yield self.env.timeout(year - self.env.now)
            while self.queue:
                room = self.room()
                if room <= _EPS:
                    break
                head = self.queue[0]
                self.pay_part(head, min(head.remaining, room))
                if head.remaining <= _EPS:
                    self.queue.popleft()

    # --- route events ----------------------------------------------------------

    def milestone(self, r: int, m: int) -> None:
        ch = self.plan.route_challenge[r]
        cp = self.plan.challenges[ch]
        if cp.installments[m] > 0.0:
            amount = cp.installments[m]
            self.solver_receives(r, DEM, amount, K["demander_installment"])
            self.demander_paid[r] += amount
            self.own_funding_changes(r, -amount)
            if self.tax_on:
                year = self.installments_by_year.setdefault(int(self.env.now), {})
                year[r] = year.get(r, 0.0) + amount
        tranche = min(cp.tranches[m], self.cap_left[ch])
        if tranche > _EPS * max(1.0, cp.tranches[m]):  # not the cap's rounding residue
            self.cap_left[ch] -= tranche
            self.gov_earned[r] += tranche
            self.commit(self.lag, self.match_payee, tranche, K["matching"], r, tranche=True)

    def compensate(self, r: int) -> None:
        tol = self.tol
        base = self.cost_spent[r]
        if tol.base == "unrecovered_cost":
            base -= self.demander_paid[r]
            if self.match_payee == SOL:
                base -= self.gov_earned[r]  # owed even if the budget still holds it back
        amount = tol.rate * max(0.0, base)
        if tol.cap is not None:
            amount = min(amount, tol.cap)
        self.commit(self.lag, SOL, amount, K["compensation"], r, tranche=False)

    def claw_back(self, r: int, share: float) -> Generator[simpy.Event, Any, None]:
        """Recover ``share`` of the route's tranches from their payee, once all are paid."""
        yield self.env.timeout(self.lag)
        if self.tranches_due[r] > 0:
            event = self.env.event()
            self.settled[r] = event
            yield event
        amount = share * self.gov_paid[r]
        if self.match_payee == SOL:  # the route has ended: no reserve check
            self.solver_pays(r, GOV, amount, K["clawback"])
            self.own_funding_changes(r, amount)
        else:
            ch = self.plan.route_challenge[r]
            self.ledger.add(self.env.now, DEM, GOV, amount, K["clawback"], ch, r)

    def end(self, r: int, status: int, review: int) -> None:
        self.status[r] = status
        self.end_time[r] = self.env.now
        self.end_review[r] = review
        ch = self.plan.route_challenge[r]
        race = self.races.get(ch)
        if race is not None and status != ELIMINATED:
            race.withdraw(r)
        if self.credit is not None:
            self.credit.close(r, status == SUCCEEDED)

    def fail(self, r: int, review: int) -> None:
        self.end(r, FAILED, review)
        if self.tol.enabled:
            if self.misconduct_u[r] < self.tol.misconduct_probability:
                self.misconduct[r] = True
                self.env.process(self.claw_back(r, 1.0))
            else:
                self.compensate(r)
        elif self.clawback_share > 0.0:
            self.env.process(self.claw_back(r, self.clawback_share))

    def abandon(self, r: int, review: int | None = None) -> None:
        """Financing failure: no compensation; tranches clawed back as without tolerance."""
        self.end(r, FINANCING, self.phase[r] if review is None else review)
        if self.clawback_share > 0.0:
            self.env.process(self.claw_back(r, self.clawback_share))

    def eliminate(self, r: int, review: int) -> None:
        self.end(r, ELIMINATED, review)
        cp = self.plan.challenges[self.plan.route_challenge[r]]
        if cp.compensate_eliminated:  # a rule of the race, with or without tolerance
            self.compensate(r)

    def succeed(self, r: int, review: int) -> None:
        self.end(r, SUCCEEDED, review)
        if self.fund is not None:
            self.fund.on_success(r)
        ch = self.plan.route_challenge[r]
        cp = self.plan.challenges[ch]
        if not self.value_paid[ch]:
            self.value_paid[ch] = True
            amount = self.value[ch]
            event = self.env.timeout(cp.value_lag)
            event.callbacks.append(
                lambda _e: self.ledger.add(
                    self.env.now, EXT, DEM, amount, K["commercial_value"], ch, -1
                )
            )
        own_value = self.solver_value[r]
        if own_value > 0.0:
            event = self.env.timeout(cp.value_lag)
            event.callbacks.append(
                lambda _e: self.solver_receives(r, EXT, own_value, K["solver_value"])
            )
        self.commit(self.lag, SOL, cp.award, K["success_award"], r, tranche=False)

    # --- processes ---------------------------------------------------------------

    def run_route(self, r: int) -> Generator[simpy.Event, Any, None]:
        """One solver's route: start, phases with spending and reviews, the race."""
        env = self.env
        ch = self.plan.route_challenge[r]
        cp = self.plan.challenges[ch]
        yield env.timeout(cp.start)
        self.status[r] = RUNNING
        self.milestone(r, 0)
        if self.credit is not None:
            self.credit.open(r)
        cost = cp.investment * self.overrun[r]
        durations = self.duration[r]
        review_u = self.review_u[r]
        for j in range(cp.n_phases):
            phase_cost = cost * cp.cost_shares[j]
            duration = durations[j]
            self.phase[r] = j
            if cp.booking_period is None:
                if not self.spend(r, phase_cost):
                    self.abandon(r, j)
                    return
                yield env.timeout(duration)
            else:
                period = cp.booking_period
                n_pay = max(1, math.ceil(duration / period - 1e-9))
                for q in range(n_pay):
                    if not self.spend(r, phase_cost / n_pay):
                        self.abandon(r, j)
                        return
                    yield env.timeout(min(period, duration - q * period))
                    if self.status[r] != RUNNING:  # abandoned meanwhile (interest, fees)
                        return
            if self.status[r] != RUNNING:
                return
            review = j + 1
            if review_u[j] >= cp.pass_probability[j]:
                self.fail(r, review)
                return
            self.milestone(r, review)
            if review == cp.select_after:
                kept = yield self.races[ch].report(r)
                if self.status[r] != RUNNING:
                    return
                if not kept:
                    self.eliminate(r, review)
                    return
        self.succeed(r, cp.n_phases)

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
                change = max(0.0, self.own_funding[r]) - self.recognised[r]
                amount = self.solver_tax_rate * abs(change)
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
                amount = self.demander_tax_rate * paid[r]
                self.ledger.add(self.env.now, GOV, DEM, amount, K["tax_expenditure"], ch, r)

    def settle_tax_at_horizon(self) -> None:
        """The year that the horizon cuts is settled at the horizon, never lost."""
        for year in sorted(self.own_funding_by_year.keys() | self.installments_by_year.keys()):
            self.settle_tax(year)

    def defaults(self) -> np.ndarray:
        """(R,) bool: the route's loan defaulted."""
        defaulted = np.zeros(len(self.status), dtype=bool)
        if self.credit is not None:
            defaulted[sorted(self.credit.defaulted)] = True
        return defaulted

    def run(self) -> Outcome:
        env = self.env
        for r in range(len(self.status)):
            env.process(self.run_route(r))
        if self.budget is not None:
            env.process(self.budget_clock())
        if self.tax_on:
            env.process(self.pay_tax())
        if self.fund is not None:
            self.fund.start()
        env.run(until=self.horizon)
        # the horizon's own events: a fund whose life ends there winds up, then the
        # year that the horizon cuts is settled for tax
        if self.fund is not None:
            self.fund.settle_at_horizon()
        if self.tax_on:
            self.settle_tax_at_horizon()
        return Outcome(
            ledger=self.ledger.freeze(),
            status=np.asarray(self.status, dtype=np.int8),
            end_time=np.asarray(self.end_time, dtype=float),
            end_review=np.asarray(self.end_review, dtype=np.int8),
            misconduct=np.asarray(self.misconduct, dtype=bool),
            committed_unpaid=self.unpaid if self.unpaid > 1e-9 else 0.0,
            delayed_payments=self.delayed,
            total_delay=self.total_delay,
            defaulted=self.defaults(),
            loans_outstanding=loan_outstanding(self.credit),
            fund_investments=self.fund.investments if self.fund is not None else 0,
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    A replication allocates thousands of short-lived objects (SimPy events, closures)
    and almost no reference cycles (about 1 kB a replication, collected once the
    collector is back), so the collector's passes over them are pure overhead:
    about a tenth of the engine's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_replication(plan: EnginePlan, draws: Draws, i: int) -> Outcome:
    """Simulate the ``i``-th replication of ``draws`` (an index into the block)."""
    with gc_paused():
        return _Run(plan, draws, i).run()
