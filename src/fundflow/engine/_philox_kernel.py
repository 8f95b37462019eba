"""Philox4x64-10 compiled with numba: the same words as :func:`fundflow.engine._philox.philox4x64`.

Numba has no 128-bit integer type, so the high word of the 64 x 64-bit product
is an LLVM intrinsic (:func:`_umulhi`: widen to 128 bits, multiply, shift), which
compiles to the CPU's one full-width multiply. Every operand is a ``uint64``
(mixing a signed with an unsigned integer would promote to float).
:func:`fill_blocks` computes the blocks of a whole block of replications straight
into the output array, without building a counter array; :func:`fill_uniforms`
turns them into uniforms on the way, as :func:`fundflow.engine._philox.uniform53`
does.

Importing this module needs numba; :mod:`fundflow.engine._philox` falls back to
NumPy when it is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from fundflow.engine.kernel_cache import CACHE

__all__ = ["fill_blocks", "fill_uniforms", "philox_columns"]

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_S11 = np.uint64(11)


@intrinsic
def _umulhi(typingctx: Any, a: Any, b: Any) -> Any:  # pragma: no cover
    """``(a * b) >> 64`` for two ``uint64``: the high word of the 128-bit product."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        wide = ir.IntType(128)
        prod = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(prod, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


@njit(cache=CACHE, inline="always")
def _block(
    keys: np.ndarray, x0: np.uint64, x1: np.uint64, x2: np.uint64, x3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:  # pragma: no cover
    """The ten rounds on one counter; ``keys`` (10, 2) are the round keys."""
    for r in range(keys.shape[0]):
        hi0 = _umulhi(x0, _M0)  # type: ignore[call-arg,var-annotated]
        lo0 = x0 * _M0
        hi1 = _umulhi(x2, _M1)  # type: ignore[call-arg]
        lo1 = x2 * _M1
        x0 = hi1 ^ x1 ^ keys[r, 0]
        x1 = lo1
        x2 = hi0 ^ x3 ^ keys[r, 1]
        x3 = lo0
    return x0, x1, x2, x3


@njit(cache=CACHE)
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


@njit(cache=CACHE)
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


@njit(cache=CACHE)
def fill_uniforms(
    keys: np.ndarray, reps: np.ndarray, words: np.ndarray, floor: float, out: np.ndarray
) -> None:  # pragma: no cover
    """As :func:`fill_blocks`, each word ``x`` as ``max((x >> 11) 2^-53, floor)`` in float64."""
    scale = 2.0**-53
    for i in range(reps.shape[0]):
        rep = reps[i]
        for b in range(words.shape[1]):
            y = _block(keys, rep, words[0, b], words[1, b], words[2, b])
            for w in range(4):
                out[w, i, b] = max(np.float64(y[w] >> _S11) * scale, floor)
