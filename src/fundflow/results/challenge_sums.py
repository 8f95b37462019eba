"""The per-replication, per-challenge-name sums the challenges table is computed from.

:func:`challenge_sums` turns a block's routes columns into ``(replications, names)``
arrays (copies of a challenge pooled under its name); a stored run keeps them per
block (:mod:`fundflow.results.store`), and :attr:`SimulationResult.challenges
<fundflow.results.result.SimulationResult.challenges>` and the tail contributions
read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from fundflow.engine.layout import Layout
from fundflow.engine.outcome import NOT_STARTED, STATUS, SUCCEEDED
from fundflow.results import metrics
from fundflow.results.measures import challenge_npv

__all__ = ["CHALLENGE_SUMS", "by_name", "challenge_sums", "name_statistics"]

#: The per-replication, per-challenge-name sums that :attr:`SimulationResult.challenges`
#: is computed from (:func:`challenge_sums`).
CHALLENGE_SUMS = (
    "npv_sum",
    "started",
    "successes",
    "gov_budget_cost",
    "gov_net_cost",
    "demander_npv",
    "filled",
    "demander_gov_npv",
)


def challenge_sums(layout: Layout, routes: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per replication and challenge name (copies pooled), what the challenges table needs.

    Every row depends on its own replication's routes only, so the sums of a block
    of replications are the rows of the sums of the whole run: a stored run keeps
    them per block (:mod:`fundflow.results.store`).

    Parameters
    ----------
    layout : Layout
    routes : mapping of str to ndarray
        The routes table's columns ``status``, ``solver_npv``, ``gov_budget_cost``,
        ``gov_net_cost``, ``demander_npv`` and (zeros where missing)
        ``demander_gov_npv``, replication after replication.

    Returns
    -------
    dict of str to ndarray
        :data:`CHALLENGE_SUMS`, each of shape ``(replications, challenge names)``:
        the solver NPV summed over started routes, routes started, copies that
        succeeded, the routes' government budget cost, net cost and demander NPV
        summed, copies in which some route started, and the government's money to
        the demander (NPV) summed.
    """
    status = routes["status"]
    npv_sum, started = challenge_npv(layout, status, routes["solver_npv"])
    sums = {"npv_sum": npv_sum, "started": started, "successes": _successes(layout, status)}
    for name in ("gov_budget_cost", "gov_net_cost", "demander_npv"):
        sums[name] = by_name(layout, np.asarray(routes[name], dtype=float))
    sums["filled"] = _copies_with(layout, status, started=True)
    gov_npv = routes.get("demander_gov_npv")
    if gov_npv is None:
        gov_npv = np.zeros(np.asarray(status).size)
    sums["demander_gov_npv"] = by_name(layout, np.asarray(gov_npv, dtype=float))
    return sums


def by_name(layout: Layout, values: np.ndarray) -> np.ndarray:
    """Per-route values (replication by replication) summed per challenge name."""
    n_names = int(layout.challenge_spec.max(initial=-1)) + 1
    per_rep = values.reshape(-1, layout.n_routes)
    out = np.zeros((per_rep.shape[0], n_names))
    for spec in range(n_names):
        out[:, spec] = per_rep[:, layout.route_spec == spec].sum(axis=1)
    return out


def _successes(layout: Layout, status: np.ndarray) -> np.ndarray:
    """Per replication and challenge name: copies in which some route succeeded."""
    return _copies_with(layout, status)


def _copies_with(layout: Layout, status: np.ndarray, started: bool = False) -> np.ndarray:
    """Per replication and challenge name: copies in which some route succeeded (or,
    with ``started``, some route started)."""
    codes = np.asarray(status)
    if codes.dtype.kind not in "iu":
        codes = np.asarray([STATUS.index(str(s)) for s in codes.tolist()])
    hit = codes != NOT_STARTED if started else codes == SUCCEEDED
    won = hit.reshape(-1, layout.n_routes)
    n_copies = layout.n_challenges
    per_copy = np.zeros((won.shape[0], n_copies), dtype=bool)
    for c in range(n_copies):
        per_copy[:, c] = won[:, layout.route_challenge == c].any(axis=1)
    n_names = int(layout.challenge_spec.max(initial=-1)) + 1
    out = np.zeros((won.shape[0], n_names))
    for spec in range(n_names):
        out[:, spec] = per_copy[:, layout.challenge_spec == spec].sum(axis=1)
    return out


def name_statistics(sums: Mapping[str, np.ndarray], copies: np.ndarray) -> dict[str, np.ndarray]:
    """The challenges table's statistics of a group of names, from their sums; each name's
    from its own column only (so the same however the names are grouped)."""

    def per_copy(column: str) -> tuple[np.ndarray, np.ndarray]:
        stats = [_mean_se(col / copies[j]) for j, col in _by_column(sums[column])]
        return np.array([m for m, _ in stats]), np.array([e for _, e in stats])

    est, se, routes_started = _npv_per_route(sums["npv_sum"], sums["started"])
    gov, gov_se = per_copy("gov_net_cost")
    budget, budget_se = per_copy("gov_budget_cost")
    dem, dem_se = per_copy("demander_npv")
    successes = np.array([float(np.sum(col)) for _, col in _by_column(sums["successes"])])
    return {
        "est": est, "se": se, "routes_started": routes_started, "successes": successes,
        "gov": gov, "gov_se": gov_se, "budget": budget, "budget_se": budget_se,
        "dem": dem, "dem_se": dem_se,
    }  # fmt: skip


def _by_column(values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """The columns of a (replications, names) array, one contiguous copy at a time."""
    for j in range(values.shape[1]):
        yield j, np.ascontiguousarray(values[:, j])


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean over replications and its standard error (NaN with one replication)."""
    se = float(np.std(x, ddof=1)) / np.sqrt(x.size) if x.size > 1 else np.nan
    return float(np.mean(x)), float(se)


def _npv_per_route(
    npv_sum: np.ndarray, started: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per challenge name: solver NPV per started route (ratio of means), its SE, and the
    mean routes started; one name at a time, so a long run needs one column at once."""
    est, se, mean_started = [], [], []
    for j, x in _by_column(npv_sum):
        y = np.ascontiguousarray(started[:, j])
        ratio = metrics.ratio_of_means(x, y)
        est.append(ratio.estimate)
        se.append(ratio.se)
        mean_started.append(float(np.mean(y)))
    return np.array(est, dtype=float), np.array(se, dtype=float), np.array(mean_started)
