"""The race book of the SimPy engine: the race among a challenge's solvers, who is
kept after the selection review (docs/model.md, "Horse race").

A :class:`Race` per racing challenge waits until each of its routes has passed the
selection review or ended, then keeps the ``keep`` routes of highest priority (the
replication's ``race_u`` draws). :class:`RaceBook` holds the races of one
replication and is how a route process takes part: it waits in
:meth:`RaceBook.select` and, when not kept, is eliminated (and compensated where the
race says so); a route that ends otherwise withdraws. It reaches the engine only
through the hooks (:class:`~fundflow.engine.hooks.EngineHooks`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.plan import EnginePlan

__all__ = ["Race", "RaceBook"]


class Race:
    """Selection among a challenge's racing routes after review ``select_after``."""

    __slots__ = ("heard", "hooks", "keep", "outstanding", "passed", "priority")

    def __init__(self, hooks: EngineHooks, routes: int, keep: int, priority: list[float]) -> None:
        self.hooks = hooks
        self.outstanding = routes
        self.keep = keep
        self.passed: list[tuple[float, int, simpy.Event]] = []
        self.priority = priority
        self.heard: set[int] = set()

    def report(self, route: int) -> simpy.Event:
        """A route passed the selection review; the event's value says if it is kept."""
        event = self.hooks.event()
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


class RaceBook:
    """The races of one replication, one per racing challenge.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    plan : EnginePlan
        The scenario's plan.
    race_u : list of float
        Per route, its priority in its race (lower is kept first).
    entered : list of bool
        Per route, whether it started: a race waits for the routes that started.
    """

    def __init__(
        self, hooks: EngineHooks, plan: EnginePlan, race_u: list[float], entered: list[bool]
    ) -> None:
        self.hooks = hooks
        self.plan = plan
        first = plan.layout.first_route.tolist()
        self.races = {
            ch: Race(hooks, sum(entered[first[ch] : first[ch] + cp.solvers]), cp.keep, race_u)
            for ch, cp in enumerate(plan.challenges)
            if cp.select_after
        }

    def select(self, r: int, review: int) -> Generator[simpy.Event, Any, bool]:
        """Route ``r`` passed its race's selection review ``review``: wait for the
        race (``yield from`` it in the route's process).

        A route not kept is eliminated, and compensated if its race says so (a rule
        of the race, with or without tolerance).

        Returns
        -------
        bool
            True if the route goes on: kept, and not ended while it waited.
        """
        ch = self.plan.route_challenge[r]
        kept = yield self.races[ch].report(r)
        if not self.hooks.running(r):  # ended while it waited
            return False
        if not kept:
            self.hooks.eliminate(r, review)
            if self.plan.challenges[ch].compensate_eliminated:
                self.hooks.compensate(r)
            return False
        return True

    def withdraw(self, r: int) -> None:
        """Route ``r`` ended otherwise than eliminated: it leaves its race, if any."""
        race = self.races.get(self.plan.route_challenge[r])
        if race is not None:
            race.withdraw(r)
