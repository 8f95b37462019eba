"""The bidders of each challenge copy and which routes start.

Bidder ``b`` of challenge copy ``c`` of the challenge named ``n`` draws its reservation
NPV from the stream ``reservation`` at the counter of route ``b`` of that copy (word 3
``c << 32 | b << 16``), so a bidder's draw depends only on (name, copy, bidder) and
the replication, like every other draw (:mod:`fundflow.engine.draws`). Given
``V(k)`` per challenge name, the routes ``0 ... k* - 1`` of each copy start
(:func:`~fundflow.engine.entry.rules.entrants`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from fundflow.engine._philox import philox_uniforms
from fundflow.engine.draws import STREAMS, Draws, identity_hash, philox_key
from fundflow.engine.entry import rules
from fundflow.engine.layout import Layout
from fundflow.scenario.config import Scenario

__all__ = ["entrants_of", "reservations", "with_entry"]

_K = STREAMS.index("reservation")
_TINY = 2.0**-60
entrants = rules.entrants.py_func  # the rule, as Python
entrants_each = rules.entrants_each  # compiled where numba runs: a block at once


def reservations(
    scenario: Scenario, layout: Layout, entropy: int, replications: Sequence[int]
) -> list[np.ndarray]:
    """Per challenge copy, the (n, bidders) reservation NPVs of its potential bidders,
    sorted ascending along each row."""
    reps = np.asarray(list(replications), dtype=np.int64)
    cs = layout.challenge_spec
    copy = np.arange(layout.n_challenges) - np.searchsorted(cs, cs, side="left")
    counts = [scenario.challenges[int(i)].n_bidders for i in cs]
    hashes = np.array([identity_hash(ch.name) for ch in scenario.challenges], dtype=np.uint64)
    words3 = np.concatenate(
        [
            (np.uint64(int(c)) << np.uint64(32)) | (np.arange(m, dtype=np.uint64) << np.uint64(16))
            for c, m in zip(copy, counts, strict=True)
        ]
    )
    words = np.stack(
        [
            np.full(words3.size, _K // 4, dtype=np.uint64),
            np.repeat(hashes[cs], counts),
            words3,
        ]
    )
    u = philox_uniforms(philox_key(int(entropy)), reps, words, _TINY)[_K % 4]
    dist = scenario.solver.reservation_npv
    r = np.full_like(u, scenario.solver.required_npv) if dist is None else dist.ppf(u)
    edges = np.cumsum([0, *counts])
    return [np.sort(r[:, lo:hi], axis=1) for lo, hi in itertools.pairwise(edges)]


def entrants_of(
    scenario: Scenario, layout: Layout, entropy: int, replications: Sequence[int],
    values: Mapping[str, np.ndarray],
) -> np.ndarray:  # fmt: skip
    """(n, C) the routes that start in each challenge copy of each replication, given
    ``V(1) ... V(solvers)`` per challenge name."""
    drawn = reservations(scenario, layout, entropy, replications)
    out = np.zeros((len(replications), layout.n_challenges), dtype=np.int64)
    for c, r in enumerate(drawn):
        v = np.asarray(values[scenario.challenges[int(layout.challenge_spec[c])].name], float)
        out[:, c] = entrants_each(np.ascontiguousarray(r), np.ascontiguousarray(v))
    return out


def with_entry(draws: Draws, layout: Layout, counts: np.ndarray) -> Draws:
    """``draws`` with the routes ``0 ... counts - 1`` of each challenge copy entered."""
    within = np.arange(layout.n_routes) - layout.first_route[layout.route_challenge]
    entered = within[None, :] < counts[:, layout.route_challenge]
    return dataclasses.replace(draws, entered=entered)
