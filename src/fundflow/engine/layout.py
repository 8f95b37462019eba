"""The scenario flattened into index arrays: challenges after ``count``, routes.

Challenge ``c`` (0-based, in file order, counts expanded) has routes
``first_route[c] .. first_route[c] + solvers - 1``. Groups are numbered in order of
first appearance; challenges without a group get their own, uncorrelated one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fundflow.scenario.config import Scenario

__all__ = ["Layout", "budget_years"]


def budget_years(horizon: float) -> int:
    """The budget years a horizon spans, ``0 .. ceil(horizon) - 1`` (docs/model.md,
    "Budget by year"): what happens at ``t = horizon`` belongs to the last."""
    return max(1, math.ceil(horizon))


@dataclass(frozen=True, eq=False)
class Layout:
    n_challenges: int
    n_routes: int
    max_phases: int
    challenge_spec: np.ndarray  # (C,) index into scenario.challenges
    challenge_group: np.ndarray  # (C,) group number
    group_rho: np.ndarray  # (G,) correlation of each group
    group_names: tuple[str, ...]
    first_route: np.ndarray  # (C,)
    route_challenge: np.ndarray  # (R,)
    route_spec: np.ndarray  # (R,)

    @classmethod
    def of(cls, scenario: Scenario) -> Layout:
        spec: list[int] = []
        group_of: list[int] = []
        names: list[str] = []
        for i, ch in enumerate(scenario.challenges):
            for k in range(ch.count):
                spec.append(i)
                key = ch.group if ch.group else f"\0{ch.name}#{k}"
                if key not in names:
                    names.append(key)
                group_of.append(names.index(key))
        solvers = np.array([scenario.challenges[i].solvers for i in spec], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(solvers)[:-1]]).astype(np.int64)
        route_ch = np.repeat(np.arange(len(spec)), solvers)
        rho = np.array([scenario.correlation.get(n, 0.0) for n in names], dtype=float)
        return cls(
            n_challenges=len(spec),
            n_routes=int(solvers.sum()),
            max_phases=max(c.n_phases for c in scenario.challenges),
            challenge_spec=np.array(spec, dtype=np.int64),
            challenge_group=np.array(group_of, dtype=np.int64),
            group_rho=rho,
            group_names=tuple(n if not n.startswith("\0") else "" for n in names),
            first_route=first,
            route_challenge=route_ch,
            route_spec=np.array(spec, dtype=np.int64)[route_ch],
        )
