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
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import simpy

from fundflow.engine._state import DEM, EXT, SOL, RunState
from fundflow.engine.credit.simpy import loan_outstanding
from fundflow.engine.draws import Draws
from fundflow.engine.ledger import K
from fundflow.engine.outcome import (
    ELIMINATED,
    FAILED,
    FINANCING,
    RUNNING,
    SUCCEEDED,
    Outcome,
)
from fundflow.engine.plan import EnginePlan

__all__ = ["Outcome", "gc_paused", "run_replication"]


class _Run(RunState):
    """One replication: its state (:class:`~fundflow.engine._state.RunState`), the
    route events and processes."""

    def __init__(self, plan: EnginePlan, draws: Draws, i: int) -> None:
        lay = plan.layout
        self._init_terms(plan)
        self._init_draws(draws, i)
        self._init_routes(lay.n_routes)
        self._init_challenges(lay.n_challenges)
        self._init_books(draws, i)

    # --- route events ----------------------------------------------------------

    def milestone(self, r: int, m: int) -> None:
        ch = self.plan.route_challenge[r]
        cp = self.plan.challenges[ch]
        if cp.installments[m] > 0.0:
            amount = cp.installments[m]
            self.solver_receives(r, DEM, amount, K["demander_installment"])
            self.demander_paid[r] += amount
            if self.tax is not None:
                self.tax.installment(r, amount)
        self.matching.milestone(r, m)

    def end(self, r: int, status: int, review: int) -> None:
        self.status[r] = status
        self.end_time[r] = self.env.now
        self.end_review[r] = review
        if self.race is not None and status != ELIMINATED:
            self.race.withdraw(r)
        if self.credit is not None:
            self.credit.close(r, status == SUCCEEDED)

    def fail(self, r: int, review: int) -> None:
        self.end(r, FAILED, review)
        self.matching.failed(r)

    def abandon(self, r: int, review: int | None = None) -> None:
        """Financing failure: no compensation; tranches clawed back as without tolerance."""
        self.end(r, FINANCING, self.phase[r] if review is None else review)
        self.matching.abandoned(r)

    def eliminate(self, r: int, review: int) -> None:
        self.end(r, ELIMINATED, review)

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
        self.commit(self.lag, SOL, cp.award, K["success_award"], r, None)

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
                race = self.race
                assert race is not None
                if not (yield from race.select(r, review)):
                    return
        self.succeed(r, cp.n_phases)

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
        self.budget.start()
        if self.tax is not None:
            self.tax.start()
        if self.fund is not None:
            self.fund.start()
        env.run(until=self.horizon)
        # the horizon's own events: a fund whose life ends there winds up, then the
        # year that the horizon cuts is settled for tax
        if self.fund is not None:
            self.fund.settle_at_horizon()
        if self.tax is not None:
            self.tax.settle_at_horizon()
        return Outcome(
            ledger=self.ledger.freeze(),
            status=np.asarray(self.status, dtype=np.int8),
            end_time=np.asarray(self.end_time, dtype=float),
            end_review=np.asarray(self.end_review, dtype=np.int8),
            misconduct=np.asarray(self.matching.misconduct, dtype=bool),
            committed_unpaid=self.budget.unpaid if self.budget.unpaid > 1e-9 else 0.0,
            delayed_payments=self.budget.delayed,
            total_delay=self.budget.total_delay,
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
