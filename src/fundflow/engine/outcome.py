"""What a replication produces, in the words every engine and reader shares.

:class:`Outcome` is one replication's ledger and per-route facts; :data:`STATUS`
names the route end states, and ``RUNNING`` ... ``NOT_STARTED`` are their codes.
The engine writes them; the measures, the result tables and the exports read
them, without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundflow.engine.ledger import Ledger

__all__ = [
    "ELIMINATED",
    "FAILED",
    "FINANCING",
    "NOT_STARTED",
    "RUNNING",
    "STATUS",
    "SUCCEEDED",
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
