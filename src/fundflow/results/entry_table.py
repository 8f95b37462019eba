"""The challenges table's columns on entry (docs/model.md, "Bidders and entry").

Per challenge name (copies pooled): ``expected_entrants`` (routes started per copy,
a mean over replications), ``unfilled_probability`` (the share of copies x
replications in which no route started: under ``solver.entry: equilibrium`` nobody
entered, 流榜), ``success_probability_filled`` (success among the copies that were
filled) and, with equilibrium entry, the pilot's ``V(k)`` for each ``k`` as
``entry_value_k{k}`` with ``entry_value_k{k}_ci_low``/``_ci_high`` (95%, from the
pilot's standard error; NaN for ``k`` above the challenge's ``solvers``).
``demander_npv_without_gov`` (with its ``_se``) is the demander's NPV of one copy
less the government's money it received (the match net of claw-backs; tax kept,
entry held): compared with ``demander_npv`` it says whether the demander would do
the project anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fundflow.results.metrics_ratios import t_interval
from fundflow.scenario.config import Scenario

__all__ = ["entry_columns", "unfilled_names"]


def entry_columns(
    scenario: Scenario,
    sums: Mapping[str, np.ndarray],
    entry: Mapping[str, Any] | None,
    copies: np.ndarray,
    which: slice = slice(None),
) -> dict[str, np.ndarray]:
    """The entry columns of the challenges table, in order, for the challenge names
    `which` (``sums`` and ``copies`` hold theirs only)."""
    started, filled, successes = sums["started"], sums["filled"], sums["successes"]
    reps = started.shape[0]
    total = np.maximum(reps * copies, 1.0)
    filled_total = filled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: dict[str, np.ndarray] = {
            "expected_entrants": started.sum(axis=0) / total,
            "unfilled_probability": np.where(
                scenario.solver.entry == "equilibrium", 1.0 - filled_total / total, 0.0
            ),
            "success_probability_filled": np.where(
                filled_total > 0, successes.sum(axis=0) / filled_total, np.nan
            ),
        }
    dem = (sums["demander_npv"] - sums["demander_gov_npv"]) / np.maximum(copies, 1.0)
    # name by name, each from a contiguous copy of its column: the same bits however
    # the names are grouped (a stored run reads them a group at a time)
    columns = [np.ascontiguousarray(dem[:, j]) for j in range(dem.shape[1])]
    out["demander_npv_without_gov"] = np.array([float(np.mean(c)) for c in columns])
    out["demander_npv_without_gov_se"] = np.array(
        [float(np.std(c, ddof=1)) / np.sqrt(reps) if reps > 1 else np.nan for c in columns]
    )
    if entry is None:
        return out
    names = [c.name for c in scenario.challenges][which]
    k_max = max(c.solvers for c in scenario.challenges)
    for k in range(1, k_max + 1):
        value = np.array([_at(entry["values"][n], k) for n in names])
        se = np.array([_at(entry["se"][n], k) for n in names])
        low, high = t_interval(value, se, int(entry["runs"]))
        out[f"entry_value_k{k}"] = value
        out[f"entry_value_k{k}_ci_low"] = low
        out[f"entry_value_k{k}_ci_high"] = high
    return out


def _at(values: list[float], k: int) -> float:
    return float(values[k - 1]) if k <= len(values) else float("nan")


def unfilled_names(table: Any, share: float = 0.5) -> list[str]:
    """The challenges of a challenges table unfilled in more than ``share`` of the
    replications."""
    p = table["unfilled_probability"]
    return [str(n) for n in p.index[p > share]]
