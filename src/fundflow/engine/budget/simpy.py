"""The budget book of the SimPy engine: the government's payments, committed now,
falling due later and paid within the annual budget (docs/model.md, "Annual budget").

A payment (a matching tranche, compensation, an award) is committed when earned and
falls due ``delay`` years later. Without an annual budget it is paid when due; with
one, what the year's budget has no room for waits in a FIFO queue that the budget
clock pays at the start of each budget year. :class:`BudgetBook` owns the queue,
what each year has spent, what is committed and unpaid and the count and total of
delays; it answers the engine's ``commit`` hook and pays through the hooks
(:class:`~fundflow.engine.hooks.EngineHooks`). Whoever commits a payment may ask to
hear of each part paid (``on_paid``): matching follows its tranches so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.budget import rules
from fundflow.engine.hooks import EngineHooks, OnPaid
from fundflow.engine.ledger import EPS, P

__all__ = ["BudgetBook", "Due"]

GOV, SOL = P["government"], P["solver"]

# the budget rule both engines share, as Python
room = rules.room.py_func


class Due:
    """A government payment committed and not yet (fully) paid."""

    __slots__ = ("due", "kind", "on_paid", "payee", "remaining", "route")

    def __init__(
        self,
        payee: int,
        amount: float,
        kind: int,
        route: int,
        on_paid: OnPaid | None,
    ) -> None:
        self.payee = payee
        self.remaining = amount
        self.kind = kind
        self.route = route
        self.due = 0.0  # when it fell due (set then, where there is a budget)
        self.on_paid = on_paid


class BudgetBook:
    """Commit government payments, pay them when due and within the annual budget.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    budget : float or None
        The government's annual budget (None: unlimited).
    """

    def __init__(self, hooks: EngineHooks, budget: float | None) -> None:
        self.hooks = hooks
        self.budget = budget
        self.unpaid = 0.0  # committed, not yet paid
        self.queue: deque[Due] = deque()
        self.spent_in_year: dict[int, float] = {}
        self.delayed = 0  # payments completed after they fell due
        self.total_delay = 0.0  # their delays, in years
        self.unpaid_by_year: list[float] = []  # at each closed budget year's end
        self.binds_by_year: list[bool] = []  # a payment due by then waited

    def year_ends(self, t: float, n_years: int) -> None:
        """Before the events at time ``t``: close every budget year that ended by ``t``
        (the last, which the horizon ends, is closed by :meth:`close_years`)."""
        while len(self.unpaid_by_year) + 1 <= t and len(self.unpaid_by_year) + 1 < n_years:
            self._close_year()

    def close_years(self, n_years: int) -> None:
        """At the horizon: close the budget years not closed yet, the last included."""
        while len(self.unpaid_by_year) < n_years:
            self._close_year()

    def _close_year(self) -> None:
        """A budget year ends now: what is committed and unpaid, and whether a payment
        due by now waits (the year's budget had no room for it)."""
        self.unpaid_by_year.append(self.unpaid if self.unpaid > 1e-9 else 0.0)
        self.binds_by_year.append(bool(self.queue))

    def start(self) -> None:
        """Start the budget clock, where there is an annual budget."""
        if self.budget is not None:
            self.hooks.process(self.budget_clock())

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, r: int, on_paid: OnPaid | None
    ) -> None:
        """Commit a government payment, falling due ``delay`` years from now.

        Parameters
        ----------
        delay : float
            Years from now to when it falls due.
        payee : int
            Who is paid (a party code).
        amount : float
            The amount; nothing is committed unless it is positive.
        kind : int
            The kind of payment (a ledger kind code).
        r : int
            The route it is for.
        on_paid : callable or None
            Told ``(r, amount, done)`` of each part paid.
        """
        if amount <= 0.0:
            return
        due = Due(payee, amount, kind, r, on_paid)
        self.unpaid += amount
        event = self.hooks.timeout(delay)
        event.callbacks.append(lambda _e: self.fall_due(due))

    def fall_due(self, due: Due) -> None:
        """A payment falls due: without an annual budget it is paid in full; with one,
        as far as this year's budget has room once those waiting before it are paid."""
        if self.budget is None:  # never late, and no year's spending to count
            if due.remaining > EPS * max(1.0, due.remaining):  # not rounding residue
                self.settle(due, due.remaining)
            return
        now = due.due = self.hooks.now()  # the time the commitment's timeout fires
        if self.queue:
            self.queue.append(due)
        else:
            self.pay_part(due, min(due.remaining, self.room(now)), now)
            if due.remaining > EPS:
                self.queue.append(due)

    def room(self, now: float) -> float:
        """What the budget of the year at ``now`` has room for."""
        assert self.budget is not None
        return room(self.budget, self.spent_in_year.get(int(now), 0.0))

    def pay_part(self, due: Due, amount: float, now: float) -> None:
        """Pay ``amount`` of ``due`` within the budget of the year at ``now`` (nothing
        if it is rounding residue); a payment completed after it fell due is late."""
        if amount <= EPS * max(1.0, due.remaining):
            return
        year = int(now)
        self.spent_in_year[year] = self.spent_in_year.get(year, 0.0) + amount
        if self.settle(due, amount) and now > due.due + EPS:
            self.delayed += 1
            self.total_delay += now - due.due

    def settle(self, due: Due, amount: float) -> bool:
        """Pay ``amount`` of ``due`` to its payee; True once it is paid in full."""
        hooks = self.hooks
        r = due.route
        if due.payee == SOL:
            hooks.solver_receives(r, GOV, amount, due.kind)
        else:
            hooks.pay(GOV, due.payee, amount, due.kind, r)
        due.remaining -= amount
        self.unpaid -= amount
        done = due.remaining <= EPS * max(1.0, amount)
        if done:
            self.unpaid -= due.remaining
            due.remaining = 0.0
        if due.on_paid is not None:
            due.on_paid(r, amount, done)
        return done

    def budget_clock(self) -> Generator[simpy.Event, Any, None]:
        """At the start of each budget year, pay waiting government payments FIFO."""
        hooks = self.hooks
        year = 0
        while True:
            year += 1
            yield hooks.timeout(year - hooks.now())
            now = hooks.now()
            while self.queue:
                room = self.room(now)
                if room <= EPS:
                    break
                head = self.queue[0]
                self.pay_part(head, min(head.remaining, room), now)
                if head.remaining <= EPS:
                    self.queue.popleft()
