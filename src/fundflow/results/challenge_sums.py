"""The per-replication, per-challenge-name sums the challenges table is computed from.

:func:`challenge_sums` turns a block's routes columns into ``(replications, names)``
arrays (copies of a challenge pooled under its name); a stored run keeps them per
block (:mod:`fundflow.results.store`), and :attr:`SimulationResult.challenges
<fundflow.results.result.SimulationResult.challenges>` and the tail contributions
read them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fundflow.engine.layout import Layout
from fundflow.engine.outcome import NOT_STARTED, STATUS, SUCCEEDED
from fundflow.results.measures import challenge_npv

__all__ = ["CHALLENGE_SUMS", "by_name", "challenge_sums"]

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
