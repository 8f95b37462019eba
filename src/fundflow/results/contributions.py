"""Which challenges drive the government's tail: the Euler allocation of its CVaR.

The program's loss ``L`` (``gov_budget_cost`` or the all-in ``gov_net_cost``) is,
replication by replication, the sum of each challenge name's part (its routes'
column of the routes table, copies summed) and of what belongs to no challenge
(the guided fund's net cost, payments of no challenge: the **unallocated** part,
``L`` less the challenges' parts). Each part's contribution is its weighted mean
over the CVaR tail of ``L`` (:func:`fundflow.results.tail_risk.euler_cvar`;
docs/model.md, "Contribution to the tail"): the contributions add up to the
program's CVaR.

A result gives its parts through two methods: ``runs_columns[measure]`` (the
program's loss, one value per replication) and ``_tail_rows(measure, index)``, the
challenge names' parts at the replications `index` only, shape
``(len(index), names)``. A stored run (:mod:`fundflow.results.stored`) reads those
rows part file by part file, so it never holds every replication's parts at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from fundflow.results.tail_risk import cvar, tail_mean, tail_weights

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EULER_MEASURES", "UNALLOCATED", "contribution_table", "contributions"]

#: The measures whose CVaR is allocated to the challenges (each is a routes column).
EULER_MEASURES = ("gov_budget_cost", "gov_net_cost")
#: The row of what belongs to no challenge.
UNALLOCATED = "unallocated"
#: A replication's unallocated part within this share of the amounts added is rounding.
_ROUNDING = 64 * np.finfo(np.float64).eps


def _check_measure(measure: str) -> None:
    if measure not in EULER_MEASURES:
        raise ValueError(
            f"measure(={measure!r}) has no per-challenge parts; use one of {list(EULER_MEASURES)}."
        )


def contributions(result: Any, measure: str, alpha: float = 0.95) -> tuple[np.ndarray, float]:
    """Each challenge name's contribution to the CVaR of `measure`, then the unallocated one.

    Parameters
    ----------
    result : SimulationResult
        A run (in memory or stored).
    measure : {"gov_budget_cost", "gov_net_cost"}
        The program's loss.
    alpha : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    values : ndarray
        Shape ``(names + 1,)``, in the scenario's order of challenge names, the
        unallocated part last; they add up to the CVaR (to rounding).
    cvar : float
        The program's CVaR of `measure` (:func:`fundflow.results.tail_risk.cvar`).
    """
    _check_measure(measure)
    total = np.asarray(result.runs_columns[measure], dtype=np.float64)
    program = cvar(total, alpha)
    index, weights, m = tail_weights(total, alpha)
    n_names = len(result.scenario.challenges)
    if math.isnan(m):
        return np.full(n_names + 1, np.nan), program
    rows = np.asarray(result._tail_rows(measure, index), dtype=np.float64)
    residual, size = total[index].copy(), np.abs(total[index])
    for j in range(n_names):  # element by element, in name order: the same bits however read
        residual -= rows[:, j]
        size += np.abs(rows[:, j])
    # the parts add up to the total but for rounding: that is no unallocated money
    residual[np.abs(residual) <= _ROUNDING * size] = 0.0
    return tail_mean(weights, np.column_stack([rows, residual]), m), program


def contribution_table(result: Any, measure: str, alpha: float = 0.95) -> pd.DataFrame:
    """The contributions as a table, largest first, the unallocated row last: what
    :meth:`fundflow.results.result.SimulationResult.tail_contributions` returns."""
    import pandas as pd

    values, program = contributions(result, measure, alpha)
    names = [c.name for c in result.scenario.challenges]
    frame = pd.DataFrame(
        {"contribution": values[:-1]}, index=pd.Index(names, name="challenge", dtype=object)
    )
    frame = frame.sort_values("contribution", ascending=False, kind="stable", na_position="last")
    frame.loc[UNALLOCATED] = values[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = frame["contribution"] / program if program != 0.0 else np.nan
    frame.attrs.update(
        cvar=float(program), measure=measure, alpha=float(alpha), money_unit=result.money_unit
    )
    return frame
