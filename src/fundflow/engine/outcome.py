"""What a replication produces, in the words every engine and reader shares.

:class:`Outcome` is one replication's ledger and per-route facts; :data:`STATUS`
names the route end states, and ``RUNNING`` ... ``NOT_STARTED`` are their codes.
:class:`BlockOutcome` is the same for a block of replications, as stacked
columns. The engine writes them; the measures, the result tables and the exports read
them, without importing the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fundflow.engine.ledger import COLUMNS, Ledger

__all__ = [
    "ELIMINATED",
    "FAILED",
    "FINANCING",
    "NOT_STARTED",
    "RUNNING",
    "STATUS",
    "SUCCEEDED",
    "BlockOutcome",
    "Outcome",
]

#: Route end states, in code order.
STATUS: tuple[str, ...] = (
    "running",  # still running at the horizon
    "succeeded",
    "failed",  # failed a review (technical failure)
    "eliminated",  # passed, but not kept by the horse race
    "financing_failure",  # abandoned: its outflow would exceed the solver's reserve
    "not_started",  # starts at or after the horizon
)
RUNNING, SUCCEEDED, FAILED, ELIMINATED, FINANCING, NOT_STARTED = range(6)


@dataclass(frozen=True, eq=False)
class Outcome:
    """What one replication produced: its ledger and per-route facts the ledger lacks.

    Attributes
    ----------
    ledger : Ledger
    status : (R,) int8, codes of :data:`STATUS`
    end_time : (R,) float, time the route ended (NaN if running / not started)
    end_review : (R,) int8, the review at which it ended (0 if none)
    misconduct : (R,) bool, the failure was misconduct
    committed_unpaid : float
        Government payments committed before the horizon but not paid by it.
    delayed_payments : int
        Government payments held back by the annual budget.
    total_delay : float
        Sum over delayed payments of the years they waited.
    defaulted : (R,) bool, the route's loan defaulted
    loans_outstanding : float
        Principal still lent at the horizon.
    fund_investments : int
        Ventures the guided fund invested in.
    unpaid_by_year : (Y,) float
        Per budget year ``0 .. Y - 1`` (``Y = ceil(horizon)``), the government
        payments committed and not yet paid at its end (the last: at the horizon,
        ``committed_unpaid``).
    binds_by_year : (Y,) bool
        Per budget year, a payment due by its end was not paid in full by then (the
        annual budget bound).
    """

    ledger: Ledger
    status: np.ndarray
    end_time: np.ndarray
    end_review: np.ndarray
    misconduct: np.ndarray
    committed_unpaid: float
    delayed_payments: int
    total_delay: float
    defaulted: np.ndarray
    loans_outstanding: float
    fund_investments: int
    unpaid_by_year: np.ndarray
    binds_by_year: np.ndarray


#: Per replication, arrays: per route, then per budget year.
_ARRAYS = (
    "status",
    "end_time",
    "end_review",
    "misconduct",
    "defaulted",
    "unpaid_by_year",
    "binds_by_year",
)
_PER_RUN = (
    "committed_unpaid",
    "delayed_payments",
    "total_delay",
    "loans_outstanding",
    "fund_investments",
)


@dataclass(frozen=True, eq=False)
class BlockOutcome:
    """What a block of ``n`` replications produced, as columns.

    The ledgers are stacked replication after replication, each in event order;
    replication ``i`` (an index into the block) owns rows
    ``offsets[i]:offsets[i + 1]``. Per-route facts are ``(n, R)`` arrays and
    per-replication facts ``(n,)`` arrays, with the meaning of :class:`Outcome`'s.

    Attributes
    ----------
    ledger : Ledger
    offsets : (n + 1,) int64
    status, end_time, end_review, misconduct, defaulted : (n, R) arrays
    committed_unpaid, total_delay, loans_outstanding : (n,) float64
    delayed_payments, fund_investments : (n,) int64
    unpaid_by_year : (n, Y) float64
    binds_by_year : (n, Y) bool
    """

    ledger: Ledger
    offsets: np.ndarray
    status: np.ndarray
    end_time: np.ndarray
    end_review: np.ndarray
    misconduct: np.ndarray
    defaulted: np.ndarray
    committed_unpaid: np.ndarray
    delayed_payments: np.ndarray
    total_delay: np.ndarray
    loans_outstanding: np.ndarray
    fund_investments: np.ndarray
    unpaid_by_year: np.ndarray
    binds_by_year: np.ndarray

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def outcome(self, i: int) -> Outcome:
        """Replication ``i`` of the block (an index into it) as an :class:`Outcome`."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        ledger = Ledger(**{c: getattr(self.ledger, c)[lo:hi] for c in COLUMNS})
        facts = {k: getattr(self, k)[i] for k in _ARRAYS}
        runs = {k: getattr(self, k)[i].item() for k in _PER_RUN}
        return Outcome(ledger=ledger, **facts, **runs)

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> BlockOutcome:
        """Stack the outcomes of single replications into one block."""
        lengths = [len(o.ledger) for o in outcomes]
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
        ledger = Ledger(
            **{c: np.concatenate([getattr(o.ledger, c) for o in outcomes]) for c in COLUMNS}
        )
        facts = {k: np.stack([getattr(o, k) for o in outcomes]) for k in _ARRAYS}
        runs = {
            "committed_unpaid": np.array([o.committed_unpaid for o in outcomes], dtype=float),
            "delayed_payments": np.array([o.delayed_payments for o in outcomes], dtype=np.int64),
            "total_delay": np.array([o.total_delay for o in outcomes], dtype=float),
            "loans_outstanding": np.array([o.loans_outstanding for o in outcomes], dtype=float),
            "fund_investments": np.array([o.fund_investments for o in outcomes], dtype=np.int64),
        }
        return cls(ledger=ledger, offsets=offsets, **facts, **runs)
