"""The government's payments: committed now, falling due later, paid within the budget.

A payment (a matching tranche, compensation, an award) is committed when earned and
falls due ``delay`` years later. Without an annual budget it is paid when due; with
one, what the year's budget has no room for waits in a FIFO queue that the budget
clock pays at the start of each budget year.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine._state import EPS, GOV, SOL, RunState
from fundflow.engine.budget import rules as budget_rules
from fundflow.engine.ledger import K

__all__ = ["Due", "GovernmentPayments"]

# the budget rule both engines share, as Python
room = budget_rules.room.py_func


class Due:
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


class GovernmentPayments(RunState):
    """Commit government payments, pay them when due and within the annual budget."""

    def _init_payments(self) -> None:
        self.unpaid = 0.0
        self.queue: deque[Due] = deque()
        self.spent_in_year: dict[int, float] = {}
        self.delayed = 0
        self.total_delay = 0.0

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, r: int, tranche: bool
    ) -> None:
        """Commit a government payment falling due ``delay`` years from now."""
        if amount <= 0.0:
            return
        due = Due(
            payee, amount, kind, self.plan.route_challenge[r], r, self.env.now + delay, tranche
        )
        self.unpaid += amount
        if tranche:
            self.tranches_due[r] += 1
        event = self.env.timeout(delay)
        event.callbacks.append(lambda _e: self.fall_due(due))

    def fall_due(self, due: Due) -> None:
        if self.budget is None:
            self.pay_part(due, due.remaining)
        elif self.queue:
            self.queue.append(due)
        else:
            self.pay_part(due, min(due.remaining, self.room()))
            if due.remaining > EPS:
                self.queue.append(due)

    def room(self) -> float:
        assert self.budget is not None
        return room(self.budget, self.spent_in_year.get(int(self.env.now), 0.0))

    def pay_part(self, due: Due, amount: float) -> None:
        if amount <= EPS * max(1.0, due.remaining):
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
        if due.remaining <= EPS * max(1.0, amount):
            self.unpaid -= due.remaining
            due.remaining = 0.0
            if now > due.due + EPS:
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
                if room <= EPS:
                    break
                head = self.queue[0]
                self.pay_part(head, min(head.remaining, room))
                if head.remaining <= EPS:
                    self.queue.popleft()
