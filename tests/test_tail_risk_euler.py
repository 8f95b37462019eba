"""The Euler allocation of CVaR (``fundflow.results.tail_risk.euler_cvar``): the
contributions add up to the CVaR whatever the ties, do not depend on the order of the
replications, and are the CVaR itself for one part."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundflow.results import metrics
from fundflow.results.tail_risk import cvar, euler_cvar, tail_mean, tail_weights

ALPHAS = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.37, 0.999])


@st.composite
def samples(draw: st.DrawFn) -> np.ndarray:
    """Parts on a coarse grid (so totals tie often), with a few parts and replications."""
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, 4))
    grid = draw(st.sampled_from([1.0, 0.5, 0.1, 2.5]))
    values = draw(st.lists(st.integers(-4, 12), min_size=n * k, max_size=n * k))
    return np.asarray(values, dtype=float).reshape(n, k) * grid


@settings(max_examples=300, deadline=None)
@given(samples(), ALPHAS)
def test_contributions_add_up_to_the_cvar(sample, alpha) -> None:
    parts = sample
    total = parts.sum(axis=1)
    contrib = euler_cvar(total, parts, alpha)
    assert contrib.shape == (parts.shape[1],)
    program = cvar(total, alpha)
    assert math.fsum(contrib) == pytest.approx(program, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(samples(), ALPHAS, st.randoms(use_true_random=False))
def test_the_order_of_the_replications_does_not_matter(sample, alpha, rnd) -> None:
    parts = sample
    order = list(range(parts.shape[0]))
    rnd.shuffle(order)
    total = parts.sum(axis=1)
    before = euler_cvar(total, parts, alpha)
    after = euler_cvar(total[order], parts[order], alpha)
    np.testing.assert_array_equal(before, after)  # the same bits: fsum is order-free


@settings(max_examples=200, deadline=None)
@given(samples(), ALPHAS)
def test_one_part_is_the_cvar(sample, alpha) -> None:
    total = sample[:, 0]
    (only,) = euler_cvar(total, total, alpha)
    assert only == pytest.approx(cvar(total, alpha), rel=1e-12, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(samples(), ALPHAS)
def test_weights_sum_to_the_tail_size_and_favour_the_worst(sample, alpha) -> None:
    total = sample.sum(axis=1)
    index, weights, m = tail_weights(total, alpha)
    assert math.fsum(weights) == pytest.approx(m, rel=1e-12)
    assert np.all((weights > 0) & (weights <= 1.0 + 1e-12))
    assert np.all(np.diff(index) > 0)
    outside = np.setdiff1d(np.arange(total.size), index)
    if outside.size:  # every replication left out is no worse than every one kept
        assert total[outside].max() <= total[index].min()
    # equal values, equal weights
    for value in np.unique(total[index]):
        assert np.ptp(weights[total[index] == value]) == 0.0


def test_a_tie_at_the_var_shares_the_boundary_weight() -> None:
    # totals 20 | 13 13 13 13 | 6 x 15; alpha 0.9 of 20: m = 2, the four 13s share 1
    a = np.array([10.0] + [10.0, 10.0, 10.0, 3.0] + [3.0] * 15)
    b = np.array([10.0] + [3.0, 3.0, 3.0, 10.0] + [3.0] * 15)
    index, weights, m = tail_weights(a + b, 0.9)
    assert m == 2.0 and index.tolist() == [0, 1, 2, 3, 4]
    assert weights.tolist() == [1.0, 0.25, 0.25, 0.25, 0.25]
    contrib = euler_cvar(a + b, np.column_stack([a, b]), 0.9)
    np.testing.assert_allclose(contrib, [9.125, 7.375], rtol=1e-15)
    assert cvar(a + b, 0.9) == 16.5


def test_every_replication_tied() -> None:
    parts = np.array([[1.0, 4.0], [2.0, 3.0], [5.0, 0.0], [0.0, 5.0]])
    contrib = euler_cvar(parts.sum(axis=1), parts, 0.95)  # m = 0.2 < 1, all tie at 5
    np.testing.assert_allclose(contrib, parts.mean(axis=0), rtol=1e-15)


def test_a_tail_smaller_than_one_replication_is_the_maximum() -> None:
    parts = np.array([[1.0, 1.0], [6.0, 3.0], [2.0, 2.0]])
    contrib = euler_cvar(parts.sum(axis=1), parts, 0.9)  # m = 0.3
    np.testing.assert_array_equal(contrib, [6.0, 3.0])


def test_undefined_and_refused() -> None:
    assert np.isnan(euler_cvar([1.0, np.nan], [[1.0], [np.nan]], 0.5)).all()
    assert np.isnan(euler_cvar(np.zeros(0), np.zeros((0, 2)), 0.5)).all()
    with pytest.raises(ValueError, match="shape"):
        euler_cvar([1.0, 2.0], np.zeros((3, 1)), 0.5)
    with pytest.raises(ValueError, match="alpha"):
        euler_cvar([1.0, 2.0], [1.0, 2.0], 1.0)


def test_tail_mean_is_the_same_read_in_blocks() -> None:
    rng = np.random.default_rng(7)
    rows, w = rng.normal(size=(1000, 3)) * 1e3, rng.uniform(size=1000)
    whole = tail_mean(w, rows, 37.5)
    shuffled = rng.permutation(1000)
    np.testing.assert_array_equal(whole, tail_mean(w[shuffled], rows[shuffled], 37.5))


def test_importable_from_metrics() -> None:
    assert metrics.euler_cvar is euler_cvar
