"""The narrow interface through which the books of the SimPy engine reach it.

Each mechanism is one book in its own package (``engine/<mechanism>/simpy.py``:
matching, race, budget, reserve, tax, fund, credit). A book keeps its own accounts
and reaches the rest of the replication only through :class:`EngineHooks`: the
clock and scheduling, the ledger, the route facts it needs, the route events it
may cause, and the hooks another book answers (the solver's payments: the reserve
book; government payments: the budget book; own funding: the tax book;
compensation: the matching book). The engine's core
(:class:`~fundflow.engine.core.simpy.Core`) implements the protocol and hands each
hook a book answers to that book; the books import neither the core nor each
other.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from fundflow.engine.ledger import LedgerWriter

__all__ = ["EngineHooks", "OnPaid"]

#: Told of each part of a government payment paid: ``(route, amount, done)``,
#: ``done`` once the payment is paid in full
OnPaid = Callable[[int, float, bool], None]


class EngineHooks(Protocol):
    """What a book may ask of the replication it runs in."""

    #: The replication's ledger; a book books its rows through :meth:`pay`, or, on
    #: the busiest path (the solver's payments), appends them itself.
    ledger: LedgerWriter

    # --- the clock ---------------------------------------------------------------

    def now(self) -> float:
        """The simulation time, in years."""
        ...

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        """Call ``callback()`` ``delay`` years from now."""
        ...

    def timeout(self, delay: float) -> simpy.Event:
        """An event a process may yield to wait ``delay`` years."""
        ...

    def event(self) -> simpy.Event:
        """A plain event, for a process to wait on until a book triggers it."""
        ...

    def process(self, generator: Generator[simpy.Event, Any, None]) -> None:
        """Start a process (a generator yielding events)."""
        ...

    # --- money ---------------------------------------------------------------------

    def pay(self, payer: int, payee: int, amount: float, kind: int, route: int) -> None:
        """Book a payment between parties on the ledger; ``route`` -1 for none.

        No reserve check and no solver bookkeeping: for payments the solver makes
        or receives use :meth:`solver_pays` / :meth:`solver_receives`.
        """
        ...

    def solver_receives(self, route: int, payer: int, amount: float, kind: int) -> None:
        """The solver of ``route`` receives ``amount`` (the reserve book)."""
        ...

    def solver_pays(self, route: int, payee: int, amount: float, kind: int) -> bool:
        """The solver of ``route`` pays; False, and nothing paid, if its reserve
        forbids (the reserve book)."""
        ...

    def spend(self, route: int, amount: float) -> bool:
        """The solver of ``route`` pays R&D cost to ``external``, counted in its cost
        spent and own funding; False, and nothing paid, if its reserve forbids."""
        ...

    def own_funding_changes(self, route: int, amount: float) -> None:
        """Book a change of what the solver of ``route`` funds itself, the base of the
        super-deduction (the tax book; nothing without tax)."""
        ...

    def match_received(self, route: int, amount: float) -> None:
        """``route``'s match reached its recipient (``amount`` > 0) or was clawed back
        (< 0), for the tax on it or on what it paid for (the tax book; nothing
        without tax)."""
        ...

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, route: int, on_paid: OnPaid | None
    ) -> None:
        """Commit a government payment to ``payee`` for ``route``, falling due ``delay``
        years from now and paid within the annual budget (the budget book);
        ``on_paid`` is told of each part paid."""
        ...

    def pool_cover(self, route: int, loss: float) -> float:
        """The risk pool's cover of ``route``'s default loss, paid to the lenders;
        returns it (the pool book; 0.0 without a pool)."""
        ...

    def government_loss(self, route: int, amount: float) -> None:
        """The government's share of ``route``'s default loss, paid to the bank: from
        the risk pool while money is left, then from the budget (the pool book)."""
        ...

    def compensate(self, route: int) -> None:
        """Commit the compensation of ``route``'s cost (the matching book)."""
        ...

    # --- route facts -----------------------------------------------------------------

    def running(self, route: int) -> bool:
        """``route`` has started and not ended."""
        ...

    def spent(self, route: int) -> float:
        """What the solver of ``route`` has spent on R&D so far."""
        ...

    def installments(self, route: int) -> float:
        """What the demander has paid the solver of ``route`` so far."""
        ...

    def reviews_passed(self, route: int) -> int:
        """The reviews ``route`` has passed (when it ended: those before the review it
        failed, or every review it had)."""
        ...

    # --- route events ----------------------------------------------------------------

    def abandon(self, route: int) -> None:
        """End ``route`` as a financing failure."""
        ...

    def eliminate(self, route: int, review: int) -> None:
        """End ``route`` as eliminated by its race at review ``review``."""
        ...
