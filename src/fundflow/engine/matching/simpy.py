"""The matching book of the SimPy engine: the government's tranches and the error
tolerance (docs/model.md, "Government matching", "Failure, error tolerance and
claw-back").

:class:`MatchingBook` owns, per challenge, what its matching cap has left and, per
route, the matching earned and paid, the tranches not yet paid in full and the
misconduct found. At each milestone it commits the route's tranche, cut by the cap
(:func:`~fundflow.engine.matching.rules.tranche_after_cap`), as a government payment
and follows it until it is paid; when a route fails it compensates a diligent
failure or claws back the tranches of a misconduct (a process that waits until all
of them are paid), and it claws them back of an abandoned route as without
tolerance. It reaches the engine only through the hooks
(:class:`~fundflow.engine.hooks.EngineHooks`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import K, P
from fundflow.engine.matching import rules
from fundflow.engine.plan import EnginePlan

__all__ = ["MatchingBook"]

GOV, DEM, SOL = P["government"], P["demander"], P["solver"]
MATCHING, COMPENSATION, CLAWBACK = K["matching"], K["compensation"], K["clawback"]

# the amount rules both engines share, as Python
tranche_after_cap = rules.tranche_after_cap.py_func
compensation = rules.compensation.py_func
clawback = rules.clawback.py_func


class MatchingBook:
    """Tranches, compensation and claw-back of one replication.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    plan : EnginePlan
        The scenario's plan.
    misconduct_u : list of float
        Per route, the uniform draw that decides misconduct on failure.
    """

    def __init__(self, hooks: EngineHooks, plan: EnginePlan, misconduct_u: list[float]) -> None:
        gov = plan.scenario.government
        n_routes = plan.layout.n_routes
        self.hooks = hooks
        self.route_challenge = plan.route_challenge
        self.challenges = plan.challenges
        self.lag = gov.matching.payment_lag
        self.payee = SOL if gov.matching.payee == "solver" else DEM
        self.tol = gov.error_tolerance
        self.clawback_share = gov.clawback_without_tolerance
        cap = gov.matching.cap
        self.cap_left = [math.inf if cap is None else cap] * plan.layout.n_challenges
        self.misconduct_u = misconduct_u
        self.misconduct = [False] * n_routes
        self.earned = [0.0] * n_routes  # matching committed for the route
        self.paid = [0.0] * n_routes  # matching paid for the route
        self.tranches_due = [0] * n_routes  # tranches committed, not fully paid
        self.settled: dict[int, simpy.Event] = {}  # claw-backs waiting for the tranches
        self._on_paid = self.tranche_paid

    def milestone(self, r: int, m: int) -> None:
        """Route ``r`` reached milestone ``m``: commit its tranche, within the cap."""
        ch = self.route_challenge[r]
        tranche = tranche_after_cap(self.challenges[ch].tranches[m], self.cap_left[ch])
        if tranche > 0.0:  # not the cap's rounding residue
            self.cap_left[ch] -= tranche
            self.earned[r] += tranche
            self.tranches_due[r] += 1
            self.hooks.commit(self.lag, self.payee, tranche, MATCHING, r, self._on_paid)

    def tranche_paid(self, r: int, amount: float, done: bool) -> None:
        """A part of a tranche of route ``r`` is paid (``done``: the tranche in full)."""
        self.hooks.match_received(r, amount)  # for the tax on it, or on what it paid for
        self.paid[r] += amount
        if done:
            self.tranches_due[r] -= 1
            if self.tranches_due[r] == 0 and r in self.settled:
                self.settled.pop(r).succeed()

    def compensate(self, r: int) -> None:
        """Commit the compensation of route ``r``'s cost (a diligent failure, or an
        elimination the race compensates)."""
        tol = self.tol
        hooks = self.hooks
        amount = compensation(
            tol.rate,
            math.inf if tol.cap is None else tol.cap,
            hooks.spent(r),
            hooks.installments(r),
            self.earned[r],  # owed even if the budget still holds it back
            tol.base == "unrecovered_cost",
            self.payee == SOL,
        )
        hooks.commit(self.lag, SOL, amount, COMPENSATION, r, None)

    def failed(self, r: int) -> None:
        """Route ``r`` failed a review: with tolerance, claw back a misconduct's
        tranches or compensate a diligent failure; without, claw back the set share."""
        if self.tol.enabled:
            if self.misconduct_u[r] < self.tol.misconduct_probability:
                self.misconduct[r] = True
                self.hooks.process(self.claw_back(r, 1.0))
            else:
                self.compensate(r)
        elif self.clawback_share > 0.0:
            self.hooks.process(self.claw_back(r, self.clawback_share))

    def abandoned(self, r: int) -> None:
        """Route ``r`` failed to finance itself: no compensation; its tranches are
        clawed back as without tolerance."""
        if self.clawback_share > 0.0:
            self.hooks.process(self.claw_back(r, self.clawback_share))

    def claw_back(self, r: int, share: float) -> Generator[simpy.Event, Any, None]:
        """Recover ``share`` of the route's tranches from their payee, once all are paid."""
        hooks = self.hooks
        yield hooks.timeout(self.lag)
        if self.tranches_due[r] > 0:
            event = hooks.event()
            self.settled[r] = event
            yield event
        amount = clawback(share, self.paid[r])
        if self.payee == SOL:  # the route has ended: no reserve check
            hooks.solver_pays(r, GOV, amount, CLAWBACK)
        else:
            hooks.pay(DEM, GOV, amount, CLAWBACK, r)
        hooks.match_received(r, -amount)
