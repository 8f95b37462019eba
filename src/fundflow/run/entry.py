"""Free entry: the expected NPV of a route when ``k`` routes race, ``V(k)``, estimated
before a run from a pilot of its own (docs/model.md, "Bidders and entry").

For ``k = 1 ... solvers`` the pilot simulates the scenario with every challenge at
``min(k, solvers)`` routes and fixed entry, on replications ``PILOT_BASE + i`` (a
stream disjoint from any run's replications, so a replication's entry never
depends on its own outcomes), and estimates per challenge name the solver's NPV per
route that started with its standard error (a ratio of means clustered by
replication). :class:`EntryValues` holds the result; the runner computes it once
per scenario and seed (design points whose levers move no solver flow share it,
:func:`solver_flow_key`) and hands it to every block (:mod:`fundflow.run._blocks`),
where each replication's bidders enter or not
(:func:`fundflow.engine.entry.admission.entrants_of`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fundflow.errors import warn_user
from fundflow.results.entry_table import unfilled_names
from fundflow.results.metrics_ratios import ratio_of_means
from fundflow.scenario.config import Scenario

__all__ = [
    "PILOT_BASE", "EntryValues", "pilot_runs", "pilot_scenario", "solver_flow_key", "warn_entry",
    "warn_unfilled",
]  # fmt: skip

#: The pilot's first replication index: far above any run's replications.
PILOT_BASE = 1 << 62


@dataclass(frozen=True)
class EntryValues:
    """``V(k)`` per challenge name, for ``k = 1 ... solvers``, with standard errors.

    Attributes
    ----------
    names : tuple of str
        The challenge names, in the scenario's order.
    values, se : tuple of tuple of float
        Per name, ``V(1) ... V(solvers)`` and their standard errors.
    runs : int
        The pilot's replications.
    """

    names: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    se: tuple[tuple[float, ...], ...]
    runs: int

    def mapping(self) -> dict[str, np.ndarray]:
        """``V(1) ... V(solvers)`` per challenge name, as arrays."""
        return {n: np.asarray(v, dtype=float) for n, v in zip(self.names, self.values, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """A plain record for the manifest: runs, then per name ``V`` and its SE."""
        return {
            "runs": self.runs,
            "values": {n: list(v) for n, v in zip(self.names, self.values, strict=True)},
            "se": {n: list(s) for n, s in zip(self.names, self.se, strict=True)},
        }

    @classmethod
    def of(cls, scenario: Scenario, runs: int, sums: Mapping[int, tuple[np.ndarray, np.ndarray]]):  # type: ignore[no-untyped-def]
        """From the pilot's per-replication sums: ``sums[k] = (npv, started)``, each of
        shape (replications, names), of the pilot with ``k`` routes."""
        values, ses = [], []
        for j, ch in enumerate(scenario.challenges):
            v, s = [], []
            for k in range(1, ch.solvers + 1):
                npv, started = sums[k]
                est, se = ratio_of_means(npv[:, j], started[:, j])
                v.append(float(est))
                s.append(float(se))
            values.append(tuple(v))
            ses.append(tuple(s))
        names = tuple(c.name for c in scenario.challenges)
        return cls(names, tuple(values), tuple(ses), runs)


def pilot_runs(scenario: Scenario, runs: int | None) -> int:
    """The pilot's replications: ``solver.entry_runs``, at most the run's ``runs``."""
    n = scenario.solver.entry_runs
    return n if runs is None else max(1, min(n, int(runs)))


def solver_flow_key(scenario: Scenario) -> str:
    """The scenario less what moves no solver flow, so that design points differing
    only there share ``V(k)``: its name, the bidders and their reservation NPVs (who
    enters, not what a route is worth), the demander's value on success, the tax's
    additionality and borne share (accounting only), and the match when it is paid to
    the demander without an annual budget (it then reaches no solver: no delay, no
    claw-back from the solver, no match in the solver's compensation base)."""
    data = scenario.to_dict()
    data.pop("name", None)
    gov = data.get("government") or {}
    if scenario.government.matching.payee == "demander" and gov.get("annual_budget") is None:
        gov.pop("matching", None)
    tax = gov.get("tax")
    if isinstance(tax, dict):
        tax.pop("additionality", None)
        tax.pop("borne_share", None)
    solver = data.get("solver")
    if isinstance(solver, dict):  # who enters, not what a route is worth
        solver.pop("reservation_npv", None)
    for item in data.get("challenges", []):
        item.pop("value_on_success", None)
        item.pop("bidders", None)
    return json.dumps(data, sort_keys=True, default=str)


def pilot_scenario(scenario: Scenario, k: int) -> Scenario:
    """The scenario with every challenge at ``min(k, solvers)`` routes and fixed entry
    (names, and so the routes' draws, unchanged)."""
    data = scenario.to_dict()
    data.setdefault("solver", {})
    data["solver"] = {**(data["solver"] or {}), "entry": "fixed"}
    for item, ch in zip(data["challenges"], scenario.challenges, strict=True):
        item["solvers"] = min(k, ch.solvers)
    return Scenario.from_dict(data)


def warn_entry(values: EntryValues) -> None:
    """One warning naming the challenges whose estimated ``V`` rises with ``k`` by more
    than twice the standard error of the rise (a rise within the pilot's sampling
    error alone is not reported)."""
    rising = []
    for name, v, se in zip(values.names, values.values, values.se, strict=True):
        s = np.nan_to_num(np.asarray(se, dtype=float))
        if np.any(np.diff(np.asarray(v, dtype=float)) > 2.0 * np.sqrt(s[:-1] ** 2 + s[1:] ** 2)):
            rising.append(name)
    if rising:
        warn_user(
            "the estimated expected NPV per route V(k) is not non-increasing in the number "
            f"of routes k for {', '.join(rising)}: entry takes the largest k whose "
            "entrants all expect at least their reservation"
        )


def warn_unfilled(result: Any) -> None:
    """One warning naming the challenges unfilled (nobody entered) in more than half
    the replications of a run with equilibrium entry."""
    if result.scenario.solver.entry != "equilibrium":
        return
    names = unfilled_names(result.challenges)
    if names:
        warn_user(
            f"unfilled (流榜) in more than half the replications: {', '.join(names)}: "
            "no bidder expects its reservation NPV from them (see the challenges table's "
            "entry_value_k1 and `fundflow incentive`)"
        )
