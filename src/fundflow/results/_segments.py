"""Sums, running sums and maxima over segments of a block's rows, with per-segment bits.

A block stacks the rows of many replications; each helper here gives, for every
segment (replication, route...), the bits NumPy gives on that segment's rows alone:

* :func:`seg_sum` equals ``values[segment].sum()`` (NumPy's pairwise summation);
* :func:`seg_cumsum` equals ``np.cumsum(values[segment])`` (a running sum restarted
  at each segment);
* ``np.bincount`` on (segment, bin) keys already adds each bin's rows in row order,
  as a bincount over the segment alone does, and needs no helper.

Segments are given by a non-decreasing segment id per row, in ``[0, n)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seg_cumsum", "seg_max", "seg_starts", "seg_sum"]


def seg_starts(seg: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows per segment and the row where each segment starts (``seg`` non-decreasing)."""
    counts = np.bincount(seg, minlength=n)
    starts = np.zeros(n, dtype=np.intp)
    if n > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return counts, starts


def seg_sum(values: np.ndarray, seg: np.ndarray, n: int) -> np.ndarray:
    """``values[seg == k].sum()`` for every ``k < n``, bit for bit (0.0 for an empty segment).

    ``np.add.reduceat`` adds a segment's first value to the pairwise sum of the rest,
    where ``ndarray.sum`` takes the pairwise sum of them all; a zero put before each
    segment makes the two the same (and gives empty segments a sum).
    """
    if n == 0:
        return np.zeros(0)
    _, starts = seg_starts(seg, n)
    padded = np.zeros(values.size + n)
    padded[np.arange(values.size) + seg + 1] = values
    return np.asarray(np.add.reduceat(padded, starts + np.arange(n)), dtype=np.float64)


def _padded(values: np.ndarray, seg: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An ``(n, longest segment)`` matrix holding each segment's values in a row, zeros after."""
    counts, starts = seg_starts(seg, n)
    pos = np.arange(values.size) - starts[seg]
    matrix = np.zeros((n, int(counts.max(initial=0))))
    matrix[seg, pos] = values
    return matrix, pos


def seg_cumsum(values: np.ndarray, seg: np.ndarray, n: int) -> np.ndarray:
    """``np.cumsum(values[seg == k])`` for every ``k``, concatenated: a running sum that
    restarts at each segment, with the bits of each segment's own ``np.cumsum``."""
    matrix, pos = _padded(values, seg, n)
    return np.asarray(np.cumsum(matrix, axis=1)[seg, pos])


def seg_max(values: np.ndarray, seg: np.ndarray, n: int, empty: float) -> np.ndarray:
    """``values[seg == k].max()`` for every ``k``; ``empty`` where a segment has no rows."""
    out = np.full(n, empty)
    if values.size:
        counts, starts = seg_starts(seg, n)
        full = counts > 0
        out[full] = np.maximum.reduceat(values, starts[full])
    return out
