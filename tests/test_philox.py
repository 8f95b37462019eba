"""Philox4x64-10 in NumPy against NumPy's own ``Philox`` bit generator."""

from __future__ import annotations

import numpy as np
import pytest

from fundflow.engine._philox import CHUNK, philox4x64, uniform53

MAX64 = (1 << 64) - 1


def numpy_blocks(key: tuple[int, int], counter: list[int], blocks: int) -> np.ndarray:
    """The ``blocks`` blocks that follow ``counter`` in NumPy's Philox, as (4, blocks).

    NumPy adds one to the counter (with carry) before each block it computes, so
    these are the blocks of ``counter + 1, ..., counter + blocks``.
    """
    bg = np.random.Philox(
        key=np.array(key, dtype=np.uint64), counter=np.array(counter, dtype=np.uint64)
    )
    return bg.random_raw(4 * blocks).reshape(blocks, 4).T


def plus(counter: list[int], k: int) -> list[int]:
    """``counter + k`` as a 256-bit number, word 0 lowest."""
    value = sum(w << (64 * i) for i, w in enumerate(counter)) + k
    value &= (1 << 256) - 1
    return [(value >> (64 * i)) & MAX64 for i in range(4)]


KEYS = [(0, 0), (MAX64, MAX64), (0x0123456789ABCDEF, 0xFEDCBA9876543210), (1, 2)]
COUNTERS = [
    [0, 0, 0, 0],
    [MAX64, 0, 0, 0],  # carry into word 1
    [MAX64, MAX64, MAX64, 0],  # carry into word 3
    [7, 3, 0xDEADBEEFCAFEBABE, (5 << 32) | (2 << 16) | 1],
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("counter", COUNTERS)
def test_blocks_equal_numpy_philox(key: tuple[int, int], counter: list[int]) -> None:
    want = numpy_blocks(key, counter, 3)
    ours = philox4x64(key, np.array([plus(counter, k) for k in (1, 2, 3)], dtype=np.uint64).T)
    np.testing.assert_array_equal(ours, want)


def test_random_keys_and_counters_across_chunks() -> None:
    rng = np.random.default_rng(2011)
    key = tuple(int(x) for x in rng.integers(0, MAX64, size=2, dtype=np.uint64, endpoint=True))
    m = CHUNK + 17  # more than one chunk, the last one short
    counters = rng.integers(0, MAX64, size=(4, m), dtype=np.uint64, endpoint=True)
    ours = philox4x64(key, counters)  # type: ignore[arg-type]
    for i in (0, 1, CHUNK - 1, CHUNK, m - 1):
        before = plus([int(w) for w in counters[:, i]], -1)
        np.testing.assert_array_equal(ours[:, i], numpy_blocks(key, before, 1)[:, 0])  # type: ignore[arg-type]


def test_counter_shape_is_checked() -> None:
    with pytest.raises(ValueError, match=r"shape \(4, m\)"):
        philox4x64((1, 2), np.zeros((3, 5), dtype=np.uint64))


def test_uniform53_uses_the_high_bits_and_stays_inside_zero_one() -> None:
    x = np.array([0, 1 << 11, MAX64, 1 << 63], dtype=np.uint64)
    u = uniform53(x, 2.0**-60)
    assert u[0] == 2.0**-60  # the floor: never exactly 0
    assert u[1] == 2.0**-53
    assert u[2] == 1.0 - 2.0**-53  # never 1
    assert u[3] == 0.5
