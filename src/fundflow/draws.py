"""Every random input of a replication, drawn up front (docs/model.md, "Random draws").

Replication ``i`` uses ``SeedSequence(entropy, spawn_key=(i,))``; stream ``k`` of
:data:`STREAMS` is its ``k``-th child (``spawn_key=(i, k)``), so any replication can
be drawn alone and the result does not depend on workers or chunking. The stream
list is append-only: a new source of randomness never disturbs the others.

Uniforms are mapped to values by inverse CDF (``Dist.ppf``), so a parameter change
moves every replication's value monotonically (common random numbers). Review
outcomes use the one-factor Gaussian copula of docs/model.md ("Correlated outcomes"):
``u = Phi(sqrt(rho) F + sqrt(1 - rho) eps)``; a route passes review ``j`` when
``u < pass_probability_j``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .config import Scenario
from .layout import Layout

__all__ = ["STREAMS", "Draws", "draw", "stream_rngs"]

#: Named random streams, append only.
STREAMS: tuple[str, ...] = (
    "duration",  # (R, P) uniforms -> phase durations
    "review",  # (R, P) standard normals: each route's own review shock
    "factor",  # (G, P) standard normals: each group's common factor per phase
    "overrun",  # (R,) uniforms -> cost overrun factor
    "misconduct",  # (R,) uniforms: failure is misconduct when u < probability
    "race",  # (R,) uniforms: priority when a race keeps some of its passers
    "value",  # (C,) uniforms -> demander's value on success
    "holding_period",  # (R,) uniforms -> fund holding period of the route's venture
    "exit_multiple",  # (R,) uniforms -> fund exit multiple of the route's venture
    "default",  # (R,) uniforms: loan default when u < probability
    "solver_value",  # (R,) uniforms -> solver's value on success
)
_TINY = 2.0**-60


def stream_rngs(entropy: int, replication: int) -> dict[str, np.random.Generator]:
    """The named generators of one replication."""
    return {
        name: np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(replication, k)))
        )
        for k, name in enumerate(STREAMS)
    }


@dataclass(frozen=True, eq=False)
class Draws:
    """Random inputs of a block of replications; leading axis = replication.

    Attributes
    ----------
    replications : (n,) int
    duration : (n, R, P) float
        Phase durations in years (NaN beyond a route's phases).
    review_u : (n, R, P) float
        Copula uniforms of the reviews.
    overrun : (n, R) float
    misconduct_u, race_u, default_u : (n, R) float
    value : (n, C) float
    holding_period, exit_multiple : (n, R) float
    solver_value : (n, R) float
        The solver's value if the route succeeds.
    """

    replications: np.ndarray
    duration: np.ndarray
    review_u: np.ndarray
    overrun: np.ndarray
    misconduct_u: np.ndarray
    race_u: np.ndarray
    value: np.ndarray
    holding_period: np.ndarray
    exit_multiple: np.ndarray
    default_u: np.ndarray
    solver_value: np.ndarray

    def __len__(self) -> int:
        return int(self.replications.shape[0])


def _uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.maximum(rng.random(shape), _TINY)


def draw(scenario: Scenario, layout: Layout, entropy: int, replications: Sequence[int]) -> Draws:
    """Draw every random input of the given replications.

    Parameters
    ----------
    scenario : Scenario
    layout : Layout
        ``Layout.of(scenario)``.
    entropy : int
        Root entropy of the ``SeedSequence``.
    replications : sequence of int
        Replication indices; the result for an index does not depend on the others.
    """
    reps = np.asarray(list(replications), dtype=np.int64)
    n, r, c, p = len(reps), layout.n_routes, layout.n_challenges, layout.max_phases
    g = len(layout.group_rho)
    u_dur = np.empty((n, r, p))
    eps = np.empty((n, r, p))
    factor = np.empty((n, g, p))
    per_route = {
        k: np.empty((n, r))
        for k in ("overrun", "misconduct", "race", "holding", "exit", "default", "solver_value")
    }
    u_value = np.empty((n, c))
    for i, rep in enumerate(reps):
        s = stream_rngs(int(entropy), int(rep))
        u_dur[i] = _uniform(s["duration"], (r, p))
        eps[i] = s["review"].standard_normal((r, p))
        factor[i] = s["factor"].standard_normal((g, p))
        per_route["overrun"][i] = _uniform(s["overrun"], (r,))
        per_route["misconduct"][i] = s["misconduct"].random(r)
        per_route["race"][i] = s["race"].random(r)
        u_value[i] = _uniform(s["value"], (c,))
        per_route["holding"][i] = _uniform(s["holding_period"], (r,))
        per_route["exit"][i] = _uniform(s["exit_multiple"], (r,))
        per_route["default"][i] = s["default"].random(r)
        per_route["solver_value"][i] = _uniform(s["solver_value"], (r,))

    rho = layout.group_rho[layout.challenge_group[layout.route_challenge]]  # (R,)
    common = factor[:, layout.challenge_group[layout.route_challenge], :]  # (n, R, P)
    review_u = ndtr(np.sqrt(rho)[None, :, None] * common + np.sqrt(1.0 - rho)[None, :, None] * eps)

    duration = np.full((n, r, p), np.nan)
    overrun = np.empty((n, r))
    solver_value = np.empty((n, r))
    value = np.empty((n, c))
    holding = np.zeros((n, r))
    multiple = np.zeros((n, r))
    fund = scenario.guided_fund
    for spec_idx, spec in enumerate(scenario.challenges):
        routes = layout.route_spec == spec_idx
        for j, phase in enumerate(spec.phases):
            duration[:, routes, j] = phase.duration.ppf(u_dur[:, routes, j])
        overrun[:, routes] = spec.overrun.ppf(per_route["overrun"][:, routes])
        solver_value[:, routes] = spec.solver_value_on_success.ppf(
            per_route["solver_value"][:, routes]
        )
        chs = layout.challenge_spec == spec_idx
        value[:, chs] = spec.value_on_success.ppf(u_value[:, chs])
    if fund is not None:
        holding = fund.holding_period.ppf(per_route["holding"])
        multiple = fund.exit_multiple.ppf(per_route["exit"])
    return Draws(
        replications=reps,
        duration=duration,
        review_u=review_u,
        overrun=overrun,
        misconduct_u=per_route["misconduct"],
        race_u=per_route["race"],
        value=value,
        holding_period=holding,
        exit_multiple=multiple,
        default_u=per_route["default"],
        solver_value=solver_value,
    )
