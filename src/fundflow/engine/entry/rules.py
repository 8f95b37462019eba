"""The entry rule, written once for both engines and for the least-incentive search.

A leaf function declared with :func:`~fundflow.engine.kernel_cache.rule`.
"""

from __future__ import annotations

import numpy as np

from fundflow.engine.kernel_cache import rule

__all__ = ["entrants", "entrants_each"]


@rule
def entrants(reservations: np.ndarray, values: np.ndarray) -> int:
    """The free-entry number of routes that start: ``max{k : r_(k) <= V(k)}``, else 0.

    ``reservations`` holds the potential bidders' reservation NPVs sorted ascending,
    ``values`` ``V(1) ... V(m)``, the expected NPV of one route when ``k`` routes race
    (``m`` = the routes the challenge admits). Each of the ``k`` entrants expects at
    least its reservation; ``k`` never exceeds the bidders or the routes admitted.
    """
    best = 0
    for k in range(1, min(reservations.shape[0], values.shape[0]) + 1):
        if reservations[k - 1] <= values[k - 1]:
            best = k
    return best


@rule
def entrants_each(reservations: np.ndarray, values: np.ndarray) -> np.ndarray:
    """:func:`entrants` of each row of ``reservations`` (replications x bidders, each
    row sorted ascending), for a block of replications at once."""
    out = np.zeros(reservations.shape[0], dtype=np.int64)
    m = min(reservations.shape[1], values.shape[0])
    for i in range(reservations.shape[0]):
        for k in range(1, m + 1):
            if reservations[i, k - 1] <= values[k - 1]:
                out[i] = k
    return out
