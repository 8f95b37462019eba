"""Philox4x64-10, the counter-based generator of Salmon et al. (2011), in NumPy.

``philox4x64(key, counter)`` returns the four 64-bit output words of the Philox4x64
bijection with 10 rounds for every counter ``counter[:, i]`` under one key: a random
number is a pure function of (key, counter), computed for many counters at once,
with no state carried from one to the next. It is the function inside
``numpy.random.Philox``; that bit generator adds one to its counter before it
computes a block, so ``Philox(key=k, counter=c)`` first returns the block of
counter ``c + 1`` (the tests check the equality).

NumPy has no 64 x 64 -> 128-bit multiply: the high word of each product is put
together from 32-bit halves. Counters are processed in slices of :data:`CHUNK`
so that the temporaries stay in the CPU cache.

:func:`philox_blocks` computes the blocks of many replications for a fixed set of
counter words 1-3 (:func:`philox_uniforms`: as uniforms), with the compiled kernel
of :mod:`fundflow.engine._philox_kernel` when numba is installed and with
:func:`philox4x64` otherwise; both give the same words (the tests check the
equality).

Reference: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random
numbers: as easy as 1, 2, 3", SC '11, doi:10.1145/2063384.2063405.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

import numpy as np

__all__ = [
    "CHUNK",
    "ROUNDS",
    "compiled_kernel",
    "philox4x64",
    "philox_blocks",
    "philox_uniforms",
    "uniform53",
]

_M0 = 0xD2E7470EE14C6C93  # round multipliers of Philox4x64
_M1 = 0xCA5A826395121157
_W0 = 0x9E3779B97F4A7C15  # key increments per round (Weyl sequence)
_W1 = 0xBB67AE8584CAA73B
_MASK64 = (1 << 64) - 1
ROUNDS = 10
#: Counters processed together.
CHUNK = 4096

_LO32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S11 = np.uint64(11)


def _round_keys(key: tuple[int, int]) -> list[tuple[np.uint64, np.uint64]]:
    """The key of each round: ``key + r * (W0, W1)`` modulo 2^64."""
    k0, k1 = int(key[0]), int(key[1])
    return [
        (np.uint64((k0 + r * _W0) & _MASK64), np.uint64((k1 + r * _W1) & _MASK64))
        for r in range(ROUNDS)
    ]


def _mulhilo(a: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a * m) >> 64`` and ``(a * m) mod 2^64`` for a constant ``m``.

    With ``a = ah 2^32 + al`` and ``m = mh 2^32 + ml`` (Hacker's Delight 8-2):
    ``t = (al ml >> 32) + (ah ml mod 2^32) + al mh`` stays below 2^64, and the
    high word is ``ah mh + (ah ml >> 32) + (t >> 32)``.
    """
    mh, ml = np.uint64(m >> 32), np.uint64(m & 0xFFFFFFFF)
    lo = a * np.uint64(m)
    al = a & _LO32
    ah = a >> _S32
    hl = ah * ml
    t = al * mh
    al *= ml
    al >>= _S32
    t += al
    ah *= mh
    np.bitwise_and(hl, _LO32, out=al)
    t += al
    hl >>= _S32
    ah += hl
    t >>= _S32
    ah += t
    return ah, lo


def _block(key: list[tuple[np.uint64, np.uint64]], x: list[np.ndarray]) -> list[np.ndarray]:
    x0, x1, x2, x3 = x
    for k0, k1 in key:
        hi0, lo0 = _mulhilo(x0, _M0)
        hi1, lo1 = _mulhilo(x2, _M1)
        hi1 ^= x1
        hi1 ^= k0
        hi0 ^= x3
        hi0 ^= k1
        x0, x1, x2, x3 = hi1, lo1, hi0, lo0
    return [x0, x1, x2, x3]


def philox4x64(key: tuple[int, int], counter: np.ndarray) -> np.ndarray:
    """Philox4x64-10 output blocks of the given counters.

    Parameters
    ----------
    key : (int, int)
        The two 64-bit key words.
    counter : (4, m) uint64
        One counter per column, word 0 first (NumPy's ``Philox`` order).

    Returns
    -------
    (4, m) uint64
        The four output words of each counter.
    """
    counter = np.asarray(counter, dtype=np.uint64)
    if counter.ndim != 2 or counter.shape[0] != 4:
        raise ValueError(f"counter must have shape (4, m), got {counter.shape}")
    keys = _round_keys(key)
    out = np.empty_like(counter)
    for s in range(0, counter.shape[1], CHUNK):
        part = slice(s, s + CHUNK)
        words = _block(keys, [counter[w, part] for w in range(4)])
        for w in range(4):
            out[w, part] = words[w]
    return out


@cache
def compiled_kernel() -> ModuleType | None:
    """The compiled Philox (:mod:`fundflow.engine._philox_kernel`), or None without numba."""
    from fundflow.engine.kernel_cache import load

    return load("fundflow.engine._philox_kernel")


def philox_blocks(
    key: tuple[int, int], reps: np.ndarray, words: np.ndarray, compiled: bool = True
) -> np.ndarray:
    """(4, n, B) uint64: the block of the counter ``(reps[i], *words[:, b])`` at ``[:, i, b]``.

    Parameters
    ----------
    key : (int, int)
        The two 64-bit key words.
    reps : (n,) int
        Counter word 0 (non-negative).
    words : (3, B) uint64
        Counter words 1-3 of each block.
    compiled : bool
        Use the compiled kernel when numba is installed; False forces NumPy.
    """
    reps = np.asarray(reps).astype(np.uint64)
    words = np.ascontiguousarray(words, dtype=np.uint64)
    n, b = len(reps), words.shape[1]
    out = np.empty((4, n, b), dtype=np.uint64)
    kernel = compiled_kernel() if compiled else None
    if kernel is not None:
        keys = np.array(_round_keys(key), dtype=np.uint64)
        kernel.fill_blocks(keys, reps, words, out)
        return out
    step = max(1, CHUNK // max(b, 1))  # about CHUNK counters per call
    for s in range(0, n, step):
        part = reps[s : s + step]
        counter = np.empty((4, len(part), b), dtype=np.uint64)
        counter[0] = part[:, None]
        counter[1:] = words[:, None, :]
        out[:, s : s + step] = philox4x64(key, counter.reshape(4, -1)).reshape(4, -1, b)
    return out


def philox_uniforms(
    key: tuple[int, int], reps: np.ndarray, words: np.ndarray, floor: float, compiled: bool = True
) -> np.ndarray:
    """(4, n, B) float64: :func:`uniform53` of :func:`philox_blocks`, computed in one pass.

    Parameters as :func:`philox_blocks`; ``floor`` as :func:`uniform53`.
    """
    kernel = compiled_kernel() if compiled else None
    if kernel is None:
        return uniform53(philox_blocks(key, reps, words, compiled=False), floor)
    reps = np.asarray(reps).astype(np.uint64)
    words = np.ascontiguousarray(words, dtype=np.uint64)
    out = np.empty((4, len(reps), words.shape[1]))
    kernel.fill_uniforms(np.array(_round_keys(key), np.uint64), reps, words, float(floor), out)
    return out


def uniform53(x: np.ndarray, floor: float) -> np.ndarray:
    """Uniforms in ``[floor, 1)`` from the 53 high bits of 64-bit words."""
    u = (x >> _S11).astype(np.float64)
    u *= 2.0**-53
    return np.maximum(u, floor, out=u)
