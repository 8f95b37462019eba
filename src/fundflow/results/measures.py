"""The per-replication and per-route measures of docs/model.md ("What is reported").

:func:`fundflow.results.block_measures.measure_block` computes them for a block of
replications; this module holds what they share with the rest of fundflow. Every
measure is arithmetic on one replication's ledger (discounting as
:func:`fundflow.results.metrics.npv`, a fund's IRR by :func:`fundflow.results.metrics.irr`).
Definitions (money in the scenario's unit, time in years):

* three kinds of government money (docs/model.md, "Kinds of government money"):
  **budget cost** (``gov_budget_cost``) = what ``government`` pays less what it
  receives, tax rows apart: matching, compensation, awards, its share of credit
  losses, less claw-backs; the **fund net cost** = what ``gov_lp`` paid into the
  guided fund less what came back; **tax forgone** (a memo) and the part of it
  attributable to the program; the all-in **net cost** (``gov_net_cost``) = budget
  cost + fund net cost + attributable tax. **Gross outlay** and **recoveries** count
  ``government`` and ``gov_lp`` together;
* **peak exposure** = maximum over time of cumulative net budget outflow (same-time
  flows netted first);
* **wasted outlay** = government budget payments on routes that failed, were
  eliminated or were abandoned, net of what was clawed back from them;
* **non-government funding** = R&D spending + fund investment - budget cost - the
  government LP's fund paid-in: others' money put into the projects;
* **cost per success** and **leverage** are ratios over the program, reported as
  ratios of means in the summary (:data:`RATIO_MEASURES`), not per replication:
  ``E[budget cost] / E[challenges succeeded]`` and
  ``E[non-government funding] / E[budget cost]`` (``leverage_all_in`` on the
  all-in net cost);
* **bank / guarantor / reguarantor loss** = ``max(0, -net cash)`` (interest and
  fees count as income; principal still lent at the horizon is not a loss);
  **fund TVPI** = what an LP class received / what it paid in, **IRR** from its
  yearly flows;
* **participation share** = share of started routes whose solver NPV is >= 0 (a
  solver takes a challenge only if it expects not to lose);
* a solver's **loss** is ``max(0, -net cash)`` of its route; its **peak funding
  gap** the maximum cumulative net outflow of the route; its net cash and NPV
  count every payment to or from the solver on the route, whatever its kind;
* per route, **government budget cost**, the all-in **government net cost** and
  **demander NPV** count the payments of the route and, on the challenge's first
  route, those of its challenge that belong to no route (the demander's commercial
  value): summed over a challenge's routes they give the challenge's figures.
  Payments of no challenge (the guided fund's calls, fees and distributions) are
  on no route.

Every sum adds a replication's values one at a time from ``0.0``, in time order (the
ledger's order), routes in route order; a running sum adds the flows at one time
together first. This order is fundflow's own, defined once, in
:mod:`fundflow.results._block_kernels`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from fundflow.engine.ledger import PARTIES, P
from fundflow.engine.outcome import ELIMINATED, FAILED, FINANCING, NOT_STARTED, STATUS
from fundflow.results.catalogue import LOSS_MEASURES, RATIO_MEASURES

__all__ = [
    "LOSS_MEASURES",
    "RATIO_MEASURES",
    "VALUE_KINDS",
    "Measures",
    "challenge_npv",
]

#: Realised value: kinds of payment from ``external`` that are value created by a
#: success, not program money, with the party that realises it and its runs column.
VALUE_KINDS: dict[str, tuple[str, str]] = {
    "commercial_value": ("demander", "demander_value"),
    "solver_value": ("solver", "solver_value"),
}

# Lookup tables indexed by code: ``_IS_GOV[ledger.payer]`` is a row mask.
_IS_GOV = np.isin(np.arange(len(PARTIES)), [P["government"], P["gov_lp"], P["pool"]])
_IS_WASTED = np.isin(np.arange(len(STATUS)), [FAILED, ELIMINATED, FINANCING])


class Measures(NamedTuple):
    """Everything measured on one replication."""

    row: dict[str, float]  # its row of the runs table
    routes: dict[str, np.ndarray]  # its rows of the routes table, one entry per route
    net_cash: np.ndarray  # net cash by party code
    exposure: np.ndarray  # government cumulative net outflow at the grid's times


def challenge_npv(
    layout: Any, status: np.ndarray, npv: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per replication and challenge *name*: solver NPV summed over started routes, and
    the number of routes started (copies of a challenge pooled).

    Parameters
    ----------
    layout : Layout
        The scenario's layout (``route_spec`` maps a route to its challenge entry).
    status : ndarray
        Route status codes (:data:`fundflow.engine.outcome.STATUS`) or names, replication
        by replication (``layout.n_routes`` each).
    npv : ndarray
        The routes' solver NPV, in the same order.

    Returns
    -------
    (ndarray, ndarray)
        Both of shape ``(replications, challenges in the scenario)``: the NPV sums
        and the counts. Their ratio of means is the expected solver NPV per route
        (:func:`fundflow.results.metrics.ratio_of_means`).
    """
    n_routes = int(layout.n_routes)
    status = np.asarray(status)
    if status.dtype.kind not in "iu":
        status = np.asarray([STATUS.index(str(s)) for s in status.tolist()])
    started = (status != NOT_STARTED).reshape(-1, n_routes)
    by_name = np.zeros((n_routes, int(layout.route_spec.max(initial=-1)) + 1))
    by_name[np.arange(n_routes), layout.route_spec] = 1.0
    values = np.where(started, np.asarray(npv, dtype=float).reshape(-1, n_routes), 0.0)
    return values @ by_name, started.astype(float) @ by_name
