"""Philox4x64-10 in NumPy against NumPy's own ``Philox`` bit generator."""

from __future__ import annotations

import numpy as np
import pytest

from fundflow.engine._philox import (
    CHUNK,
    _round_keys,
    compiled_kernel,
    philox4x64,
    philox_blocks,
    philox_uniforms,
    uniform53,
)

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


needs_numba = pytest.mark.skipif(compiled_kernel() is None, reason="numba is not installed")


def round_keys(key: tuple[int, int]) -> np.ndarray:
    return np.array(_round_keys(key), dtype=np.uint64)


def random_key(rng: np.random.Generator) -> tuple[int, int]:
    k = rng.integers(0, MAX64, size=2, dtype=np.uint64, endpoint=True)
    return int(k[0]), int(k[1])


@needs_numba
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("counter", COUNTERS)
def test_compiled_blocks_equal_numpy_philox(key: tuple[int, int], counter: list[int]) -> None:
    kernel = compiled_kernel()
    counters = np.array([plus(counter, k) for k in (1, 2, 3)], dtype=np.uint64).T.copy()
    ours = np.empty_like(counters)
    kernel.philox_columns(round_keys(key), counters, ours)  # type: ignore[union-attr]
    np.testing.assert_array_equal(ours, numpy_blocks(key, counter, 3))


@needs_numba
def test_compiled_kernel_equals_numpy_version_on_random_and_extreme_words() -> None:
    rng = np.random.default_rng(1123)
    kernel = compiled_kernel()
    near_top = MAX64 - rng.integers(0, 1 << 20, size=(4, 500), dtype=np.uint64)
    extremes = np.array(
        [[0, MAX64, 1 << 63, (1 << 63) - 1, 1 << 32, (1 << 32) - 1, MAX64 - 1]] * 4, np.uint64
    )
    for _ in range(5):
        key = random_key(rng)
        counters = np.concatenate(
            [
                rng.integers(0, MAX64, size=(4, 2000), dtype=np.uint64, endpoint=True),
                near_top,
                extremes,
            ],
            axis=1,
        )
        ours = np.empty_like(counters)
        kernel.philox_columns(round_keys(key), counters, ours)  # type: ignore[union-attr]
        np.testing.assert_array_equal(ours, philox4x64(key, counters))
    for key in [(MAX64, MAX64), (MAX64 - 1, 0)]:
        ours = np.empty_like(extremes)
        kernel.philox_columns(round_keys(key), extremes, ours)  # type: ignore[union-attr]
        np.testing.assert_array_equal(ours, philox4x64(key, extremes))


@pytest.mark.parametrize("compiled", [True, False])
def test_philox_blocks_are_the_blocks_of_each_replication_and_word_triple(compiled: bool) -> None:
    rng = np.random.default_rng(7)
    key = random_key(rng)
    words = rng.integers(0, MAX64, size=(3, 37), dtype=np.uint64, endpoint=True)
    words[:, 0] = MAX64
    reps = np.array([0, 1, 5, 200, (1 << 40) + 3, CHUNK + 1], dtype=np.int64)
    got = philox_blocks(key, reps, words, compiled=compiled)
    assert got.shape == (4, len(reps), 37) and got.dtype == np.uint64
    counter = np.empty((4, len(reps), 37), dtype=np.uint64)
    counter[0] = reps.astype(np.uint64)[:, None]
    counter[1:] = words[:, None, :]
    np.testing.assert_array_equal(got, philox4x64(key, counter.reshape(4, -1)).reshape(got.shape))
    one = philox_blocks(key, reps[3:4], words, compiled=compiled)
    np.testing.assert_array_equal(one[:, 0], got[:, 3])  # a replication alone = within a block


@needs_numba
def test_compiled_and_numpy_blocks_agree_on_a_large_block() -> None:
    rng = np.random.default_rng(99)
    key = random_key(rng)
    words = rng.integers(0, MAX64, size=(3, 300), dtype=np.uint64, endpoint=True)
    reps = np.arange(57)  # blocks spanning several NumPy chunks
    np.testing.assert_array_equal(
        philox_blocks(key, reps, words, compiled=True),
        philox_blocks(key, reps, words, compiled=False),
    )


@pytest.mark.parametrize("compiled", [True, False])
def test_philox_uniforms_are_uniform53_of_the_blocks(compiled: bool) -> None:
    rng = np.random.default_rng(31)
    key = random_key(rng)
    words = rng.integers(0, MAX64, size=(3, 50), dtype=np.uint64, endpoint=True)
    reps = np.arange(40)
    floor = 2.0**-8  # high enough that some words fall below it
    got = philox_uniforms(key, reps, words, floor, compiled=compiled)
    want = uniform53(philox_blocks(key, reps, words, compiled=False), floor)
    assert (want == floor).any()
    np.testing.assert_array_equal(got, want)
