"""The credit book of the SimPy engine: shared-risk bank credit (政银担) inside a
replication (docs/model.md, "Credit with shared risk").

:class:`CreditBook` owns the loans of one replication (principal, the time interest
runs from, the defaults); the engine opens a route's loan when it starts and closes
it when it ends, and the book pays through the hooks
(:class:`~fundflow.engine.hooks.EngineHooks`).

Each route's solver borrows ``loan_share`` of its own funding need (the planned
investment ``I`` less the demander's contribution ``D``) from the bank when the
route starts. Every full year the loan is outstanding it pays ``interest_rate``
of the principal to the bank; it pays the ``guarantee_fee`` to the guarantor at
the start and on each anniversary. Both count against the solver's reserve: a
running route that cannot pay them within it is abandoned (a financing failure).
When the route ends it repays principal and interest accrued since the last
anniversary, unless it defaults (probability ``default_probability_on_failure``
or ``..._on_success``, one draw per route). On default the solver repays
``1 - loss_given_default`` of the principal (an ``ip_pledge`` loan instead recovers
the pledged IP's value, capped at the principal, paid ``external -> bank``); a
risk-compensation pool covers part of the loss first (the pool book); the loss is
paid to the bank by the guarantor, reguarantor and government at their
``risk_sharing`` shares (the bank bears its own share). A loan still outstanding
at the horizon is neither repaid nor lost.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from fundflow.engine.credit import rules
from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import K, P
from fundflow.engine.plan import EnginePlan
from fundflow.engine.pool import rules as pool_rules
from fundflow.engine.pool.weights import lender_weights
from fundflow.scenario.config import Credit

__all__ = ["CreditBook", "defaulted", "loan_outstanding"]

BANK, GUARANTOR, SOL, EXT = P["bank"], P["guarantor"], P["solver"], P["external"]

# the amount rules both engines share, as Python
loan_amount = rules.loan_amount.py_func
default_split = rules.default_split.py_func
loss_share = rules.loss_share.py_func
accrued_interest = rules.accrued_interest.py_func
ip_recovery = rules.ip_recovery.py_func
link_split = rules.link_split.py_func
lender_part = pool_rules.lender_part.py_func


class CreditBook:
    """Loans of one replication, one per started route."""

    def __init__(
        self,
        books: EngineHooks,
        plan: EnginePlan,
        terms: Credit,
        default_u: list[float],
        ip_value: list[float] | None = None,
    ) -> None:
        self.books = books
        self.plan = plan
        self.terms = terms
        self.default_u = default_u
        self.ip_value = ip_value if terms.kind == "ip_pledge" else None
        self.lent: set[int] = set()  # the routes the bank lent to
        self.principal: dict[int, float] = {}
        self.interest_from: dict[int, float] = {}
        self.defaulted: set[int] = set()
        self.passed_on = lender_weights(terms)  # of a risk pool's cover, by lender

    def open(self, r: int) -> None:
        """The solver of route ``r`` borrows at its start."""
        books = self.books
        cp = self.plan.challenges[self.plan.route_challenge[r]]
        amount = loan_amount(self.terms.loan_share, cp.investment, cp.installments_total)
        if amount <= 0.0:
            return
        self.principal[r] = amount
        self.lent.add(r)
        self.interest_from[r] = books.now()
        books.solver_receives(r, BANK, amount, K["loan"])
        books.process(self.service(r))

    def _pay(self, r: int, payee: int, amount: float, kind: int) -> None:
        """The solver pays; a running route that cannot within its reserve is abandoned
        (a financing failure), which closes the loan."""
        if not self.books.solver_pays(r, payee, amount, kind):
            self.books.abandon(r)

    def service(self, r: int) -> Generator[simpy.Event, Any, None]:
        """Guarantee fee now and yearly, interest yearly, while the loan is open."""
        while r in self.principal:
            principal = self.principal[r]
            self._pay(r, GUARANTOR, self.terms.guarantee_fee * principal, K["guarantee_fee"])
            if r not in self.principal:
                return
            yield self.books.timeout(1.0)
            if r not in self.principal:
                return
            self._pay(r, BANK, self.terms.interest_rate * principal, K["interest"])
            self.interest_from[r] = self.books.now()

    def _recover(self, r: int, principal: float) -> float:
        """What a defaulted loan recovers (the solver's repayment, or the pledged IP
        sold, ``external -> bank``); returns the loss."""
        if self.ip_value is None:
            repaid, loss = default_split(self.terms.loss_given_default, principal)
            self._pay(r, BANK, repaid, K["repayment"])
            return loss
        passed = self.books.reviews_passed(r)
        recovery = ip_recovery(principal, self.ip_value[r], self.terms.ip_uplift, passed)
        self.books.pay(EXT, BANK, recovery, K["ip_recovery"], r)
        return principal - recovery

    def link(self, r: int, value: float) -> float:
        """The investment-loan link on route ``r``'s follow-on value: the bank's share
        paid to it (``external -> bank``); returns what is left for the solver."""
        link = self.terms.equity_link
        if link is None or r not in self.lent:
            return value
        bank, solver = link_split(link.share, value)
        self.books.pay(EXT, BANK, bank, K["bank_link_income"], r)
        return solver

    def close(self, r: int, succeeded: bool) -> None:
        """Repay, or default, when route ``r`` ends."""
        principal = self.principal.pop(r, 0.0)
        if principal <= 0.0:
            return
        terms = self.terms
        p = (
            terms.default_probability_on_success
            if succeeded
            else (terms.default_probability_on_failure)
        )
        if self.default_u[r] < p:
            loss = self._recover(r, principal)
            cover = self.books.pool_cover(r, loss)  # the risk pool's cover first
            rest = loss - cover
            for party, share in terms.risk_sharing.items():
                if party == "government":
                    self.books.government_loss(r, loss_share(share, rest))
                elif party != "bank":  # its share of the rest, and the pool's cover passed on
                    paid = loss_share(share, rest) + lender_part(self.passed_on[party], cover)
                    self.books.pay(P[party], BANK, paid, K["guarantee_payout"], r)
            self.defaulted.add(r)
            return
        years = self.books.now() - self.interest_from[r]
        accrued = accrued_interest(terms.interest_rate, principal, years)
        self._pay(r, BANK, accrued, K["interest"])
        self._pay(r, BANK, principal, K["repayment"])


def loan_outstanding(book: CreditBook | None) -> float:
    """Principal still lent at the horizon.

    Parameters
    ----------
    book : CreditBook or None
        The replication's credit book (None: no credit).

    Returns
    -------
    float
        The sum of the principal of the loans not closed.
    """
    return math.fsum(book.principal.values()) if book is not None else 0.0


def defaulted(book: CreditBook | None, n_routes: int) -> np.ndarray:
    """Which routes' loans defaulted.

    Parameters
    ----------
    book : CreditBook or None
        The replication's credit book (None: no credit).
    n_routes : int
        The number of routes.

    Returns
    -------
    numpy.ndarray
        ``(n_routes,)`` bool: the route's loan defaulted.
    """
    out = np.zeros(n_routes, dtype=bool)
    if book is not None:
        out[sorted(book.defaulted)] = True
    return out
