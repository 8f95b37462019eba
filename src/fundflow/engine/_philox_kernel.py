"""Philox4x64-10 compiled with numba: the same words as :func:`fundflow.engine._philox.philox4x64`.

The high word of the 64 x 64-bit product is put together from 32-bit halves, as
in the NumPy version, with every operand a ``uint64`` (numba has no 128-bit
integer, and mixing a signed with an unsigned integer would promote to float).
:func:`fill_blocks` computes the blocks of a whole block of replications straight
into the output array, without building a counter array.

Importing this module needs numba; :mod:`fundflow.engine._philox` falls back to
NumPy when it is missing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["fill_blocks", "philox_columns"]

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_M0L, _M0H = np.uint64(0xE14C6C93), np.uint64(0xD2E7470E)
_M1L, _M1H = np.uint64(0x95121157), np.uint64(0xCA5A8263)
_LO32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


@njit(cache=True, inline="always")
def _mulhi(a: np.uint64, ml: np.uint64, mh: np.uint64) -> np.uint64:  # pragma: no cover
    """``(a * m) >> 64`` with ``m = mh 2^32 + ml`` (Hacker's Delight 8-2)."""
    al = a & _LO32
    ah = a >> _S32
    hl = ah * ml
    t = ((al * ml) >> _S32) + (hl & _LO32) + al * mh
    return ah * mh + (hl >> _S32) + (t >> _S32)


@njit(cache=True, inline="always")
def _block(
    keys: np.ndarray, x0: np.uint64, x1: np.uint64, x2: np.uint64, x3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:  # pragma: no cover
    """The ten rounds on one counter; ``keys`` (10, 2) are the round keys."""
    for r in range(keys.shape[0]):
        hi0 = _mulhi(x0, _M0L, _M0H)
        lo0 = x0 * _M0
        hi1 = _mulhi(x2, _M1L, _M1H)
        lo1 = x2 * _M1
        x0 = hi1 ^ x1 ^ keys[r, 0]
        x1 = lo1
        x2 = hi0 ^ x3 ^ keys[r, 1]
        x3 = lo0
    return x0, x1, x2, x3


@njit(cache=True)
def philox_columns(
    keys: np.ndarray, counter: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out[:, i]`` = the block of ``counter[:, i]`` (both (4, m) uint64)."""
    for i in range(counter.shape[1]):
        y0, y1, y2, y3 = _block(keys, counter[0, i], counter[1, i], counter[2, i], counter[3, i])
        out[0, i] = y0
        out[1, i] = y1
        out[2, i] = y2
        out[3, i] = y3


@njit(cache=True)
def fill_blocks(
    keys: np.ndarray, reps: np.ndarray, words: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out[:, i, b]`` = the block of the counter ``(reps[i], *words[:, b])``.

    ``reps`` (n,) and ``words`` (3, B) are uint64, ``out`` is (4, n, B) uint64.
    """
    for i in range(reps.shape[0]):
        rep = reps[i]
        for b in range(words.shape[1]):
            y0, y1, y2, y3 = _block(keys, rep, words[0, b], words[1, b], words[2, b])
            out[0, i, b] = y0
            out[1, i, b] = y1
            out[2, i, b] = y2
            out[3, i, b] = y3
