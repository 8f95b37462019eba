"""The core of the SimPy engine: the route life cycle of one replication.

:class:`Core` owns the clock (a SimPy environment), the ledger, the state of the
routes (status, end time and review, reviews passed, R&D spent, installments
received), the commercial value paid per challenge and the draws of the life cycle
(durations, reviews, overruns, values). :meth:`Core.run_route` is a route's process:
start, phases with their spending, reviews, the race; the route events
(``milestone``, ``fail``, ``abandon``, ``eliminate``, ``succeed``) pay what the core
pays (installments, values, the success award) and tell the mechanisms' books.

The core is also the hooks through which the books reach the engine
(:class:`~fundflow.engine.hooks.EngineHooks`): it answers the clock, the ledger,
the route facts and the route events itself, and hands each hook a book answers
(``solver_pays``/``solver_receives``: the reserve book; ``commit``: the budget
book; ``own_funding_changes``: the tax book; ``compensate``: the matching book) to
that book's method, bound once by :meth:`Core.attach` so that the hot paths pay no
forwarding call. The books never reach each other but through these hooks.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Generator
from types import MethodType
from typing import TYPE_CHECKING, Any

import simpy

from fundflow.engine.draws import Draws
from fundflow.engine.hooks import OnPaid
from fundflow.engine.ledger import K, LedgerWriter, P
from fundflow.engine.outcome import (
    ELIMINATED,
    FAILED,
    FINANCING,
    NOT_STARTED,
    RUNNING,
    SUCCEEDED,
)
from fundflow.engine.plan import EnginePlan

if TYPE_CHECKING:
    from fundflow.engine.budget.simpy import BudgetBook
    from fundflow.engine.credit.simpy import CreditBook
    from fundflow.engine.extension.simpy import ExtensionBook
    from fundflow.engine.fund.simpy import GuidedFundBook
    from fundflow.engine.matching.simpy import MatchingBook
    from fundflow.engine.pool.simpy import PoolBook
    from fundflow.engine.race.simpy import RaceBook
    from fundflow.engine.reserve.simpy import ReserveBook
    from fundflow.engine.tax.simpy import TaxBook

__all__ = ["Core"]

DEM, SOL, EXT = P["demander"], P["solver"], P["external"]
INSTALLMENT, RD, AWARD = K["demander_installment"], K["rd_spending"], K["success_award"]
GOV, BANK, GUARANTEE = P["government"], P["bank"], K["guarantee_payout"]
VALUE, SOLVER_VALUE = K["commercial_value"], K["solver_value"]


#: SimPy's getter of ``Environment.now`` (the property's function): bound to the
#: environment, it is the ``now`` hook with no call of ours around it (the books
#: read the clock at every payment)
_CLOCK = inspect.getattr_static(simpy.Environment, "now").fget


def _untaxed(r: int, amount: float) -> None:
    """Without tax, nobody follows the solver's own funding or the match received."""


def _no_cover(r: int, loss: float) -> float:
    """Without a risk pool nothing covers a default's loss."""
    return 0.0


class Core:
    """The route life cycle of one replication, and the hooks of its books.

    Parameters
    ----------
    plan : EnginePlan
        The scenario's plan.
    draws : Draws
        A block of replications' draws.
    i : int
        The replication's index into the block.
    """

    # the hooks a book answers, bound to the book's method by attach()
    solver_pays: Callable[[int, int, float, int], bool]
    solver_receives: Callable[[int, int, float, int], None]
    commit: Callable[[float, int, float, int, int, OnPaid | None], None]
    own_funding_changes: Callable[[int, float], None]
    match_received: Callable[[int, float], None]
    compensate: Callable[[int], None]
    pool_cover: Callable[[int, float], float]
    government_loss: Callable[[int, float], None]
    # hooks the clock answers: SimPy's own timeout and the getter of its time
    timeout: Callable[[float], simpy.Event]
    now: Callable[[], float]

    def __init__(self, plan: EnginePlan, draws: Draws, i: int) -> None:
        sc = plan.scenario
        n_routes = plan.layout.n_routes
        self.plan = plan
        self.route_challenge = plan.route_challenge
        self.env = simpy.Environment()
        self.timeout = self.env.timeout
        self.now = MethodType(_CLOCK, self.env)
        self.ledger = LedgerWriter()
        self.horizon = sc.horizon
        self.lag = sc.government.matching.payment_lag  # the award falls due after it
        # replication i's draws of the life cycle, as Python lists
        self.duration: list[list[float]] = draws.duration[i].tolist()
        self.review_u: list[list[float]] = draws.review_u[i].tolist()
        self.overrun: list[float] = draws.overrun[i].tolist()
        self.value: list[float] = draws.value[i].tolist()
        self.solver_value: list[float] = draws.solver_value[i].tolist()
        # the routes whose bidders entered (every route under fixed entry)
        self.entered: list[bool] = (
            [True] * n_routes if draws.entered is None else draws.entered[i].tolist()
        )
        # the routes and challenges
        self.status = [NOT_STARTED] * n_routes
        self.end_time = [math.nan] * n_routes
        self.end_review = [0] * n_routes
        self.phase = [0] * n_routes  # reviews passed so far
        self.cost_spent = [0.0] * n_routes
        self.demander_paid = [0.0] * n_routes
        self.value_paid = [False] * plan.layout.n_challenges

    def attach(
        self,
        *,
        reserve: ReserveBook,
        budget: BudgetBook,
        matching: MatchingBook,
        race: RaceBook | None,
        tax: TaxBook | None,
        credit: CreditBook | None,
        fund: GuidedFundBook | None,
        extension: ExtensionBook | None = None,
        pool: PoolBook | None = None,
    ) -> None:
        """Take the replication's books and hand the hooks they answer to their
        methods (once, before anything runs).

        Parameters
        ----------
        reserve, budget, matching : ReserveBook, BudgetBook, MatchingBook
            The books every replication has.
        race, tax, credit, fund : RaceBook, TaxBook, CreditBook, GuidedFundBook or None
            The books of the mechanisms the scenario may have (None: it has not).
        extension : ExtensionBook or None
            The extensions of failed reviews (None: no phase has one).
        pool : PoolBook or None
            The risk-compensation pool (None: credit has none).
        """
        self.reserve = reserve
        self.budget = budget
        self.matching = matching
        self.race = race
        self.tax = tax
        self.credit = credit
        self.fund = fund
        self.extension = extension
        self.pool = pool
        self.pool_cover = pool.cover if pool is not None else _no_cover
        self.government_loss = (
            pool.government_loss if pool is not None else self._government_pays_loss
        )
        self.solver_pays = reserve.solver_pays
        self.solver_receives = reserve.solver_receives
        self.commit = budget.commit
        self.own_funding_changes = tax.own_funding_changes if tax is not None else _untaxed
        self.match_received = tax.match_received if tax is not None else _untaxed
        self.compensate = matching.compensate

    # --- the hooks the core answers (EngineHooks) ----------------------------------

    def _government_pays_loss(self, r: int, amount: float) -> None:
        """Without a risk pool the government pays its share of a loss itself."""
        self.pay(GOV, BANK, amount, GUARANTEE, r)

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        """Call ``callback()`` ``delay`` years from now."""
        self.env.timeout(delay).callbacks.append(lambda _e: callback())

    def event(self) -> simpy.Event:
        """A plain event, for a process to wait on until a book triggers it."""
        return self.env.event()

    def process(self, generator: Generator[simpy.Event, Any, None]) -> None:
        """Start a process."""
        self.env.process(generator)

    def pay(self, payer: int, payee: int, amount: float, kind: int, route: int) -> None:
        """Book a payment on the ledger; ``route`` -1 for none."""
        ch = self.route_challenge[route] if route >= 0 else -1
        self.ledger.add(self.env.now, payer, payee, amount, kind, ch, route)

    def running(self, r: int) -> bool:
        """Route ``r`` has started and not ended."""
        return self.status[r] == RUNNING

    def spent(self, r: int) -> float:
        """What the solver of route ``r`` has spent on R&D so far."""
        return self.cost_spent[r]

    def installments(self, r: int) -> float:
        """What the demander has paid the solver of route ``r`` so far."""
        return self.demander_paid[r]

    def reviews_passed(self, r: int) -> int:
        """The reviews route ``r`` has passed (an ended route: its end review, less the
        one it failed)."""
        return self.end_review[r] - (self.status[r] == FAILED)

    # --- route events --------------------------------------------------------------

    def spend(self, r: int, amount: float) -> bool:
        """The solver pays R&D cost; False if its reserve forbids."""
        if not self.solver_pays(r, EXT, amount, RD):
            return False
        self.cost_spent[r] += amount
        if self.tax is not None:  # own funding, for the super-deduction
            self.tax.own_funding_changes(r, amount)
        return True

    def milestone(self, r: int, m: int) -> None:
        """Route ``r`` reached milestone ``m`` (0: its start, then each review passed):
        the demander's installment, then the government's tranche."""
        cp = self.plan.challenges[self.plan.route_challenge[r]]
        if cp.installments[m] > 0.0:
            amount = cp.installments[m]
            self.solver_receives(r, DEM, amount, INSTALLMENT)
            self.demander_paid[r] += amount
            if self.tax is not None:
                self.tax.installment(r, amount)
        if cp.tranches[m] > 0.0:  # a tranche is planned here (matching cuts it by the cap)
            self.matching.milestone(r, m)

    def end(self, r: int, status: int, review: int) -> None:
        """Route ``r`` ends with ``status`` at review ``review``: it leaves its race
        (unless eliminated by it) and repays or defaults on its loan."""
        self.status[r] = status
        self.end_time[r] = self.env.now
        self.end_review[r] = review
        if self.race is not None and status != ELIMINATED:
            self.race.withdraw(r)
        if self.credit is not None:
            self.credit.close(r, status == SUCCEEDED)

    def fail(self, r: int, review: int) -> None:
        """Route ``r`` failed review ``review``."""
        self.end(r, FAILED, review)
        self.matching.failed(r)

    def abandon(self, r: int, review: int | None = None) -> None:
        """Financing failure (at the current phase unless ``review`` is given): no
        compensation; tranches clawed back as without tolerance."""
        self.end(r, FINANCING, self.phase[r] if review is None else review)
        self.matching.abandoned(r)

    def eliminate(self, r: int, review: int) -> None:
        """Route ``r`` was not kept by its race at review ``review``."""
        self.end(r, ELIMINATED, review)

    def succeed(self, r: int, review: int) -> None:
        """Route ``r`` passed its last review: the fund may invest, the challenge's
        value (once) and the solver's own value come after ``value_lag``, the award
        after the payment lag."""
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
                lambda _e: self.ledger.add(self.env.now, EXT, DEM, amount, VALUE, ch, -1)
            )
        own_value = self.solver_value[r]
        if own_value > 0.0:
            event = self.env.timeout(cp.value_lag)
            event.callbacks.append(lambda _e: self._solver_value(r, own_value))
        self.commit(self.lag, SOL, cp.award, AWARD, r, None)

    def _solver_value(self, r: int, value: float) -> None:
        """The follow-on value reaches the solver, less the bank's share under an
        investment-loan link (the credit book)."""
        if self.credit is not None:
            value = self.credit.link(r, value)
        self.solver_receives(r, EXT, value, SOLVER_VALUE)

    # --- the route's process -------------------------------------------------------

    def run_route(self, r: int) -> Generator[simpy.Event, Any, None]:
        """One solver's route: start, phases with spending and reviews, the race."""
        env = self.env
        cp = self.plan.challenges[self.plan.route_challenge[r]]
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
                ext = self.extension
                if ext is None or not (yield from ext.extend(r, j)):
                    if self.status[r] == RUNNING:  # not ended during an extension
                        self.fail(r, review)
                    return
            self.milestone(r, review)
            if review == cp.select_after:
                race = self.race
                assert race is not None  # a challenge with select_after races
                if not (yield from race.select(r, review)):
                    return
        self.succeed(r, cp.n_phases)
