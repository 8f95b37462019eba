"""The budget by year (分年度预算): the government's money of each budget year.

:func:`budget_by_year` reads, per budget year ``0 .. ceil(horizon) - 1``, the
replications' values of :data:`~fundflow.results.block_measures.YEAR_QUANTITIES`
(one year's column at a time, so that a stored run is read column by column) and
gives one row per year (docs/model.md, "Budget by year"):

* ``budget_cash_mean``, ``_p50``, ``_p95``, ``_max``: the budget cash paid in the
  year under the annual budget (matching, compensation, success awards, less
  claw-backs);
* ``outside_budget_mean``: the government's budget cash outside the annual budget
  (its share of credit losses);
* ``committed_unpaid_mean``: payments committed and not paid at the year's end,
  carried into the next (the last year's: ``gov_committed_unpaid``);
* ``budget_binds_probability``: the share of replications in which a payment due by
  the year's end was not paid in full by then (0 without an annual budget);
* ``fund_calls_mean``, ``tax_forgone_mean``: memo columns, what the government LP paid
  into the guided fund and the tax forgone of the year;
* ``annual_budget``: the budget of the year (NaN without one).

The years' means add up to the runs table's means: budget cash and outside to
``gov_budget_cost``, tax forgone to ``gov_tax_forgone``, fund calls to
``fund_gov_paid_in``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from fundflow.results.block_measures import YEAR_QUANTITIES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUDGET_YEAR_COLUMNS", "budget_by_year", "year_column_name"]

#: The columns of :func:`budget_by_year`, in order.
BUDGET_YEAR_COLUMNS = (
    "budget_cash_mean",
    "budget_cash_p50",
    "budget_cash_p95",
    "budget_cash_max",
    "outside_budget_mean",
    "committed_unpaid_mean",
    "budget_binds_probability",
    "fund_calls_mean",
    "tax_forgone_mean",
    "annual_budget",
)


def year_column_name(quantity: str, year: int) -> str:
    """The name of a stored year column: ``budget_cash_3`` (year 3's budget cash)."""
    if quantity not in YEAR_QUANTITIES:
        raise ValueError(f"unknown year quantity {quantity!r}; one of {YEAR_QUANTITIES}")
    return f"{quantity}_{year}"


def budget_by_year(
    column: Callable[[str, int], np.ndarray], n_years: int, annual_budget: float | None
) -> pd.DataFrame:
    """The budget-by-year table from the replications' year columns.

    Parameters
    ----------
    column : callable
        ``column(quantity, year)``: the replications' values of a
        :data:`YEAR_QUANTITIES` quantity in a budget year.
    n_years : int
        Budget years, ``ceil(horizon)``.
    annual_budget : float or None
        The government's annual budget (None: unlimited).

    Returns
    -------
    pandas.DataFrame
        One row per budget year (index ``year``), the columns of
        :data:`BUDGET_YEAR_COLUMNS`; money in the scenario's ``money_unit``.
    """
    import pandas as pd

    rows = []
    for y in range(n_years):
        cash = np.asarray(column("budget_cash", y), dtype=np.float64)
        p50, p95 = np.quantile(cash, [0.5, 0.95]) if cash.size else (np.nan, np.nan)
        rows.append(
            (
                _mean(cash),
                p50,
                p95,
                cash.max(initial=-np.inf) if cash.size else np.nan,
                _mean(column("outside_budget", y)),
                _mean(column("committed_unpaid", y)),
                _mean(column("budget_binds", y)),
                _mean(column("fund_calls", y)),
                _mean(column("tax_forgone", y)),
                np.nan if annual_budget is None else float(annual_budget),
            )
        )
    return pd.DataFrame(
        rows, columns=list(BUDGET_YEAR_COLUMNS), index=pd.RangeIndex(n_years, name="year")
    )


def _mean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()) if values.size else float("nan")
