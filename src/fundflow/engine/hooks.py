"""The narrow interface through which the fund and credit books reach the engine.

A book (:class:`~fundflow.engine.fund.simpy.GuidedFundBook`,
:class:`~fundflow.engine.credit.simpy.CreditBook`) keeps its own accounts and moves
money only through :class:`EngineHooks`: the clock, scheduling, payments on the
ledger and the solver's reserve check. Any engine that implements the protocol
can host the books; the books import no engine.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

__all__ = ["EngineHooks", "OnPaid"]

#: Told of each part of a government payment paid: ``(route, amount, done)``,
#: ``done`` once the payment is paid in full
OnPaid = Callable[[int, float, bool], None]


class EngineHooks(Protocol):
    """What the fund and credit books may ask of the replication they run in."""

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

    def pay(self, payer: int, payee: int, amount: float, kind: int, route: int) -> None:
        """Book a payment between parties on the ledger; ``route`` -1 for none.

        No reserve check and no solver bookkeeping: for payments the solver makes
        or receives use :meth:`solver_pays` / :meth:`solver_receives`.
        """
        ...

    def solver_receives(self, route: int, payer: int, amount: float, kind: int) -> None:
        """The solver of ``route`` receives ``amount``."""
        ...

    def solver_pays(self, route: int, payee: int, amount: float, kind: int) -> bool:
        """The solver of ``route`` pays; False, and nothing paid, if its reserve forbids."""
        ...

    def own_funding_changes(self, route: int, amount: float) -> None:
        """Book a change of what the solver of ``route`` funds itself (the tax's base)."""
        ...

    def commit(
        self, delay: float, payee: int, amount: float, kind: int, route: int, on_paid: OnPaid | None
    ) -> None:
        """Commit a government payment to ``payee`` for ``route``, falling due ``delay``
        years from now (paid within the annual budget); ``on_paid`` is told of each
        part paid."""
        ...

    def running(self, route: int) -> bool:
        """``route`` has started and not ended."""
        ...

    def spent(self, route: int) -> float:
        """What the solver of ``route`` has spent on R&D so far."""
        ...

    def installments(self, route: int) -> float:
        """What the demander has paid the solver of ``route`` so far."""
        ...

    def abandon(self, route: int) -> None:
        """End ``route`` as a financing failure."""
        ...

    def eliminate(self, route: int, review: int) -> None:
        """End ``route`` as eliminated by its race at review ``review``."""
        ...

    def compensate(self, route: int) -> None:
        """Commit the compensation of ``route``'s cost (error tolerance)."""
        ...
