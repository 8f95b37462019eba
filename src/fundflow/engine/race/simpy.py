"""The race among a challenge's solvers: who is kept after the selection review."""

from __future__ import annotations

import simpy

__all__ = ["Race"]


class Race:
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
