"""The fund book of the SimPy engine: the government guided fund inside a
replication (docs/model.md, "Guided fund").

:class:`GuidedFundBook` owns the fund's account, its commitments and calls, its
holdings and exits; the engine tells it of each route's success, and it runs its
own processes (fees, the government's early exit, the wind-up) and pays through the
hooks (:class:`~fundflow.engine.hooks.EngineHooks`).

Rules as simulated (time in years, money in the scenario's unit):

* Commitments: ``gov_lp`` commits ``government_share x size``, ``social_lp`` the
  rest. Capital is called pro rata to commitment when needed.
* Management fee: ``management_fee x size`` at the start of each fund year during
  its life, called from the LPs and paid to ``fund_manager``. Fees count against
  commitment; future fees are reserved, so investment never eats them.
* Investment: ``invest_lag`` after a route's acceptance, if that falls within the
  investment period ``[start, start + invest_years)``, the fund calls and invests
  ``min(ticket, commitment left after reserved fees)`` in the route's venture.
* Exit: ``holding_period`` (drawn per route) later, ``external`` pays the fund
  ``invested x exit_multiple`` (drawn); an exit due after the fund's end is
  settled at the end at that value.
* End of life (``start + life``): all the fund's cash is distributed by the
  European waterfall (:mod:`fundflow.engine.waterfall`): to ``gov_lp``, ``social_lp`` and
  the manager's carried interest. The fund account ends at zero.
* Early exit: at ``early_exit.year`` the government sells its stake to the social
  LPs for its paid-in capital plus simple interest; from then on the social LPs
  hold the whole fund (they take over the government's calls, remaining
  commitment and share of distributions, and the government's concession and
  first-loss terms lapse).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import K, P
from fundflow.engine.waterfall import WaterfallTerms, distribute, early_exit_price
from fundflow.scenario.config import GuidedFund

__all__ = ["GuidedFundBook"]

FUND, GOV_LP, SOCIAL_LP = P["fund"], P["gov_lp"], P["social_lp"]
MANAGER, VENTURE, EXT = P["fund_manager"], P["venture"], P["external"]


class GuidedFundBook:
    """The fund's account, commitments and holdings in one replication."""

    def __init__(
        self, books: EngineHooks, terms: GuidedFund, holding: list[float], multiple: list[float]
    ) -> None:
        self.books = books
        self.terms = terms
        self.holding = holding
        self.multiple = multiple
        self.end = terms.start + terms.life
        self.gov_share = terms.government_share
        self.uncalled = terms.size
        self.fee = terms.management_fee * terms.size
        self.fee_years = math.ceil(terms.life - 1e-9)  # fee at the start of each fund year
        self.fees_left = self.fee * self.fee_years
        self.cash = 0.0
        self.gov_calls: list[tuple[float, float]] = []
        self.social_calls: list[tuple[float, float]] = []
        self.gov_exited = False
        self.pending_exits: list[float] = []  # values of holdings not yet exited
        self.wound_up = False
        self.investments = 0

    def start(self) -> None:
        books = self.books
        books.process(self.charge_fees())
        if self.terms.early_exit is not None:
            books.process(self.sell_government_stake())
        books.process(self.wind_up())

    # --- cash movements ----------------------------------------------------------

    def _add(self, payer: int, payee: int, amount: float, kind: int, r: int = -1) -> None:
        self.books.pay(payer, payee, amount, kind, r)

    def call(self, amount: float) -> float:
        """Call ``amount`` (at most what is uncalled) pro rata; returns what came in."""
        amount = min(amount, self.uncalled)
        if amount <= 0.0:
            return 0.0
        now = self.books.now()
        gov = 0.0 if self.gov_exited else self.gov_share * amount
        social = amount - gov
        if gov > 0.0:
            self._add(GOV_LP, FUND, gov, K["capital_call"])
            self.gov_calls.append((now, gov))
        if social > 0.0:
            self._add(SOCIAL_LP, FUND, social, K["capital_call"])
            self.social_calls.append((now, social))
        self.uncalled -= amount
        self.cash += amount
        return amount

    # --- processes -------------------------------------------------------------

    def charge_fees(self) -> Generator[simpy.Event, Any, None]:
        books = self.books
        yield books.timeout(self.terms.start)
        for _ in range(self.fee_years):
            paid = self.call(min(self.fee, self.fees_left))
            self.fees_left -= paid
            self.cash -= paid
            self._add(FUND, MANAGER, paid, K["management_fee"])
            yield books.timeout(1.0)

    def on_success(self, r: int) -> None:
        """A route passed acceptance: invest in its venture after ``invest_lag``."""
        self.books.schedule(self.terms.invest_lag, lambda: self.invest(r))

    def invest(self, r: int) -> None:
        now = self.books.now()
        t = self.terms
        if not t.start <= now < t.start + t.invest_years or now >= self.end:
            return
        amount = min(t.ticket, self.uncalled - self.fees_left)
        if amount <= 1e-12:
            return
        self.call(amount)
        self.cash -= amount
        self._add(FUND, VENTURE, amount, K["investment"], r)
        self.investments += 1
        value = amount * self.multiple[r]
        exit_time = now + self.holding[r]
        if exit_time < self.end:
            self.books.schedule(self.holding[r], lambda: self.exit(r, value))
        else:
            self.pending_exits.append(value)

    def exit(self, r: int, value: float) -> None:
        self._add(EXT, FUND, value, K["exit_proceeds"], r)
        self.cash += value

    def sell_government_stake(self) -> Generator[simpy.Event, Any, None]:
        assert self.terms.early_exit is not None
        year, rate = self.terms.early_exit.year, self.terms.early_exit.rate
        yield self.books.timeout(year)
        if not self.gov_calls:
            self.gov_exited = True
            return
        price = early_exit_price(self.gov_calls, year, rate)
        self._add(SOCIAL_LP, GOV_LP, price, K["stake_sale"])
        self.social_calls.extend(self.gov_calls)
        self.gov_calls = []
        self.gov_exited = True

    def wind_up(self) -> Generator[simpy.Event, Any, None]:
        """At the end of life: settle late exits, then distribute all cash."""
        yield self.books.timeout(self.end)
        self.settle()

    def settle_at_horizon(self) -> None:
        """A fund whose life ends exactly at the horizon winds up there."""
        if not self.wound_up and self.end <= self.books.now() + 1e-9:
            self.settle()

    def settle(self) -> None:
        """Settle late exits, then distribute all cash (the European waterfall)."""
        self.wound_up = True
        for value in self.pending_exits:
            self._add(EXT, FUND, value, K["exit_proceeds"])
            self.cash += value
        self.pending_exits = []
        t = self.terms
        terms = WaterfallTerms(
            hurdle=t.hurdle,
            carry=t.carry,
            government_concession=0.0 if self.gov_exited else t.government_concession,
            government_first_loss=0.0 if self.gov_exited else t.government_first_loss,
        )
        proceeds = max(0.0, self.cash)
        split = distribute(
            proceeds,
            self.gov_calls,
            self.social_calls,
            self.end,
            terms,
            government_share=0.0 if self.gov_exited else self.gov_share,
        )
        self._add(FUND, GOV_LP, split.government, K["distribution"])
        self._add(FUND, SOCIAL_LP, split.social, K["distribution"])
        self._add(FUND, MANAGER, split.manager, K["carried_interest"])
        self.cash -= split.government + split.social + split.manager
