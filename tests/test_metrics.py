"""Tests of fundflow.results.metrics: hand-computed cases and properties."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundflow.results.metrics import (
    cvar,
    irr,
    mean_ci,
    npv,
    paired_difference,
    peak_exposure,
    prob_loss,
    summarize,
    var,
    yearly_buckets,
)

# Student t quantiles t_{0.975, df}, from printed tables.
T975 = {1: 12.706205, 2: 4.302653, 7: 2.364624}


def shuffled(values: list[float], seed: int = 1) -> np.ndarray:
    """Return `values` in a fixed random order (the metrics must not rely on order)."""
    return np.random.default_rng(seed).permutation(np.asarray(values, dtype=float))


# --------------------------------------------------------------------------- var / cvar


class TestVarCvar:
    def test_one_to_hundred(self) -> None:
        x = shuffled(list(range(1, 101)))
        assert var(x, 0.95) == 95.0
        assert cvar(x, 0.95) == 98.0  # mean(96..100), exact: m = 5 is snapped
        assert var(x, 0.99) == 99.0
        assert cvar(x, 0.99) == 100.0  # m = 1: the largest

    def test_defaults_are_alpha_095(self) -> None:
        x = np.arange(1.0, 101.0)
        assert var(x) == var(x, 0.95)
        assert cvar(x) == cvar(x, 0.95)

    def test_all_equal(self) -> None:
        x = np.full(20, 0.1)
        for alpha in (0.5, 0.9, 0.95, 0.99):
            assert var(x, alpha) == 0.1
            assert cvar(x, alpha) == 0.1

    def test_ties_at_the_quantile(self) -> None:
        x = shuffled([0.0] * 15 + [10.0] * 5)  # n = 20, alpha 0.9: m = 2
        assert var(x, 0.9) == 10.0
        assert cvar(x, 0.9) == 10.0

    def test_single_observation(self) -> None:
        assert var([3.5], 0.95) == 3.5
        assert cvar([3.5], 0.95) == 3.5

    def test_tiny_sample_gives_the_maximum(self) -> None:
        x = [2.0, -1.0, 7.0]  # alpha 0.99: m = 0.03 < 1
        assert var(x, 0.99) == 7.0
        assert cvar(x, 0.99) == 7.0

    def test_fractional_m_below_one(self) -> None:
        x = shuffled([float(v) for v in range(10)])  # n = 10, alpha 0.95: m = 0.5
        assert cvar(x, 0.95) == 9.0

    def test_fractional_m_one_and_a_half(self) -> None:
        x = shuffled([0.0] * 28 + [10.0, 40.0])  # n = 30, alpha 0.95: m = 1.5
        assert var(x, 0.95) == 10.0  # x_(ceil(28.5)) = x_(29)
        assert cvar(x, 0.95) == pytest.approx((40.0 + 0.5 * 10.0) / 1.5)  # = 30

    def test_fractional_m_two_and_a_half(self) -> None:
        x = shuffled([float(v) for v in range(1, 51)])  # n = 50, alpha 0.95: m = 2.5
        assert var(x, 0.95) == 48.0
        assert cvar(x, 0.95) == pytest.approx((50.0 + 49.0 + 0.5 * 48.0) / 2.5)  # = 49.2

    def test_integer_m_is_the_mean_of_the_top(self) -> None:
        x = [4.0, 1.0, 3.0, 2.0]  # alpha 0.5: m = 2
        assert var(x, 0.5) == 2.0
        assert cvar(x, 0.5) == 3.5

    def test_negative_losses(self) -> None:
        x = -np.arange(1.0, 101.0)  # gains only
        assert var(x, 0.95) == -6.0
        assert cvar(x, 0.95) == pytest.approx(-3.0)

    def test_empty_and_nan_give_nan(self) -> None:
        assert math.isnan(var([]))
        assert math.isnan(cvar([]))
        assert math.isnan(var([1.0, np.nan]))
        assert math.isnan(cvar([1.0, np.nan]))

    @pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5])
    def test_alpha_outside_open_unit_interval(self, alpha: float) -> None:
        with pytest.raises(ValueError, match="alpha"):
            var([1.0, 2.0], alpha)
        with pytest.raises(ValueError, match="alpha"):
            cvar([1.0, 2.0], alpha)

    def test_two_dimensional_input_is_refused(self) -> None:
        with pytest.raises(ValueError, match="one-dimensional"):
            cvar(np.ones((2, 2)))


def es_by_integration(x: np.ndarray, alpha: float) -> float:
    """Expected shortfall as (1/(1-alpha)) * integral_alpha^1 of the empirical quantile."""
    s = np.sort(x)
    n = s.size
    total = 0.0
    for i in range(1, n + 1):  # q(u) = s[i-1] on ((i-1)/n, i/n]
        width = max(0.0, i / n - max(alpha, (i - 1) / n))
        total += width * s[i - 1]
    return total / (1.0 - alpha)


samples = st.lists(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)
alphas = st.floats(min_value=0.01, max_value=0.999)


@given(x=samples, alpha=alphas)
def test_cvar_between_var_and_max(x: list[float], alpha: float) -> None:
    v = var(x, alpha)
    c = cvar(x, alpha)
    assert min(x) <= v <= max(x)
    assert v <= c <= max(x)


@given(x=samples, alpha=alphas)
def test_cvar_matches_quantile_integral(x: list[float], alpha: float) -> None:
    arr = np.asarray(x)
    scale = max(1.0, float(np.max(np.abs(arr))))
    assert cvar(arr, alpha) == pytest.approx(es_by_integration(arr, alpha), abs=1e-6 * scale)


@given(x=samples, alpha=alphas)
def test_cvar_does_not_depend_on_order(x: list[float], alpha: float) -> None:
    assert cvar(x, alpha) == cvar(x[::-1], alpha)


# --------------------------------------------------------------------------- prob_loss


def test_prob_loss_counts_strictly_positive() -> None:
    assert prob_loss([-1.0, 0.0, 2.0, 3.0]) == 0.5
    assert prob_loss([0.0, 0.0]) == 0.0
    assert math.isnan(prob_loss([]))
    assert math.isnan(prob_loss([1.0, np.nan]))


# --------------------------------------------------------------------------- npv


class TestNpv:
    def test_known_flows(self) -> None:
        assert npv([0.0, 1.0, 2.0], [-100.0, 110.0, 121.0], 0.10) == pytest.approx(100.0)

    def test_fractional_time(self) -> None:
        assert npv([0.5], [110.0], 0.21) == pytest.approx(100.0)  # 1.21 ** 0.5 = 1.1

    def test_zero_rate_is_the_sum(self) -> None:
        assert npv([0.3, 4.0, 7.5], [1.0, -2.0, 5.0], 0.0) == pytest.approx(4.0)

    def test_empty(self) -> None:
        assert npv([], [], 0.03) == 0.0

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="rate"):
            npv([0.0], [1.0], -1.0)
        with pytest.raises(ValueError, match="same length"):
            npv([0.0, 1.0], [1.0], 0.03)


# --------------------------------------------------------------------------- yearly buckets


class TestYearlyBuckets:
    def test_sums_per_budget_year(self) -> None:
        got = yearly_buckets([0.0, 0.5, 0.999, 1.0, 3.0], [-100.0, 10.0, 1.0, 20.0, 30.0])
        np.testing.assert_array_equal(got, [-89.0, 20.0, 0.0, 30.0])

    def test_n_years_pads(self) -> None:
        got = yearly_buckets([1.5], [7.0], n_years=4)
        np.testing.assert_array_equal(got, [0.0, 7.0, 0.0, 0.0])

    def test_empty(self) -> None:
        assert yearly_buckets([], []).shape == (0,)
        np.testing.assert_array_equal(yearly_buckets([], [], n_years=2), [0.0, 0.0])

    def test_flow_beyond_n_years_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="n_years"):
            yearly_buckets([0.0, 3.2], [1.0, 1.0], n_years=3)

    def test_negative_time_is_an_error(self) -> None:
        with pytest.raises(ValueError, match=">= 0"):
            yearly_buckets([-0.1], [1.0])


# --------------------------------------------------------------------------- irr


class TestIrr:
    def test_bucketed_single_period(self) -> None:
        assert irr([0.0, 1.5], [-100.0, 110.0]) == pytest.approx(0.10)  # buckets [-100, 110]

    def test_numpy_financial_example(self) -> None:
        got = irr([0.0, 1.0, 2.0, 3.0, 4.0], [-100.0, 39.0, 59.0, 55.0, 20.0])
        assert got == pytest.approx(0.28095, abs=1e-5)

    def test_leading_empty_years(self) -> None:
        assert irr([2.0, 3.0], [-100.0, 110.0]) == pytest.approx(0.10)

    @pytest.mark.parametrize(
        ("times", "amounts"),
        [
            ([0.0, 1.0], [100.0, 50.0]),  # all positive
            ([0.0, 1.0], [-100.0, -50.0]),  # all negative
            ([], []),  # empty
            ([0.0, 1.0], [0.0, 0.0]),  # all zero
            ([0.2, 0.7], [-100.0, 100.0]),  # nets to zero within the year
            ([0.0, 1.0, 2.0], [1.0, -1.0, 1.0]),  # no real root
            ([0.0, 1.0], [-100.0, np.nan]),  # not finite
            ([0.0, 1.0], [-100.0, np.inf]),
        ],
    )
    def test_undefined_is_nan_without_warning(
        self, times: list[float], amounts: list[float]
    ) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert math.isnan(irr(times, amounts))


# --------------------------------------------------------------------------- peak exposure


class TestPeakExposure:
    def test_same_time_flows_net(self) -> None:
        assert peak_exposure([0.0, 0.0], [10.0, -10.0]) == 0.0
        assert peak_exposure([1.0, 1.0, 0.0], [10.0, -10.0, 0.0]) == 0.0
        assert peak_exposure([0.0, 0.0], [-10.0, 15.0]) == 5.0

    def test_running_maximum(self) -> None:
        assert peak_exposure([0.0, 1.0, 2.0, 3.0], [5.0, 5.0, -8.0, 3.0]) == 10.0

    def test_order_of_input_does_not_matter(self) -> None:
        assert peak_exposure([3.0, 2.0, 0.0, 1.0], [3.0, -8.0, 5.0, 5.0]) == 10.0

    def test_inflows_only_and_empty(self) -> None:
        assert peak_exposure([0.0, 1.0], [-1.0, -2.0]) == 0.0
        assert peak_exposure([], []) == 0.0


@given(
    flows=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5).map(float),
            st.integers(min_value=-100, max_value=100).map(float),
        ),
        max_size=30,
    )
)
def test_peak_exposure_bounds(flows: list[tuple[float, float]]) -> None:
    times = [t for t, _ in flows]
    amounts = [a for _, a in flows]
    peak = peak_exposure(times, amounts)
    assert 0.0 <= peak <= sum(a for a in amounts if a > 0)
    assert peak >= sum(amounts)  # the final cumulative outflow is one candidate
    assert peak_exposure(times[::-1], amounts[::-1]) == peak


# --------------------------------------------------------------------------- summarize


class TestSummarize:
    sample = (2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0)  # mean 5, var 32/7

    def table(self) -> dict[str, np.ndarray]:
        return {
            "cost": shuffled(list(self.sample)),
            "irr": np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, np.nan, np.nan]),
            "single": np.array([np.nan] * 7 + [4.0]),
            "none": np.full(8, np.nan),
        }

    def test_layout(self) -> None:
        s = summarize(self.table(), loss_measures=["cost"])
        assert s.index.name == "measure"
        assert list(s.index) == ["cost", "irr", "single", "none"]
        assert list(s.columns) == [
            "mean", "se", "ci_low", "ci_high", "std", "p5", "p50", "p95", "n",
            "var95", "cvar95", "var99", "cvar99", "prob_loss",
        ]  # fmt: skip
        assert s["n"].tolist() == [8, 2, 1, 0]

    def test_known_sample(self) -> None:
        row = summarize(self.table(), loss_measures=["cost"]).loc["cost"]
        se = math.sqrt(32 / 7) / math.sqrt(8)
        assert row["mean"] == pytest.approx(5.0)
        assert row["std"] == pytest.approx(math.sqrt(32 / 7))
        assert row["se"] == pytest.approx(se)
        assert row["ci_low"] == pytest.approx(5.0 - T975[7] * se, abs=1e-5)
        assert row["ci_high"] == pytest.approx(5.0 + T975[7] * se, abs=1e-5)
        assert (row["p5"], row["p50"], row["p95"]) == pytest.approx((2.7, 4.5, 8.3))
        # n = 8: alpha 0.95 gives m = 0.4, so VaR and CVaR are the maximum.
        assert (row["var95"], row["cvar95"], row["var99"], row["cvar99"]) == (9.0,) * 4
        assert row["prob_loss"] == 1.0

    def test_nan_values_are_dropped(self) -> None:
        row = summarize(self.table(), loss_measures=["cost"]).loc["irr"]
        assert row["n"] == 2
        assert row["mean"] == pytest.approx(2.0)
        assert row["se"] == pytest.approx(1.0)
        assert row["ci_high"] == pytest.approx(2.0 + T975[1], abs=1e-5)
        assert row[["var95", "cvar95", "var99", "cvar99", "prob_loss"]].isna().all()

    def test_one_and_zero_values(self) -> None:
        s = summarize(self.table())
        assert s.loc["single", "mean"] == 4.0
        assert s.loc["single", "p50"] == 4.0
        assert s.loc[["single"], ["se", "std", "ci_low", "ci_high"]].isna().all(axis=None)
        assert s.loc["none"].drop("n").isna().all()

    def test_dataframe_input_is_the_same(self) -> None:
        from_dict = summarize(self.table(), loss_measures=["cost"])
        from_frame = summarize(pd.DataFrame(self.table()), loss_measures=["cost"])
        pd.testing.assert_frame_equal(from_dict, from_frame)

    def test_other_alphas_name_their_columns(self) -> None:
        s = summarize({"loss": np.arange(1.0, 101.0)}, ["loss"], alphas=(0.9, 0.975))
        assert s.loc["loss", "var90"] == 90.0
        assert s.loc["loss", "cvar97.5"] == pytest.approx((100 + 99 + 0.5 * 98) / 2.5)  # m = 2.5

    def test_boolean_column_is_a_rate(self) -> None:
        s = summarize({"succeeded": np.array([True, False, True, True])})
        assert s.loc["succeeded", "mean"] == 0.75

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="not columns"):
            summarize({"cost": [1.0]}, loss_measures=["costs"])
        with pytest.raises(TypeError, match="numeric"):
            summarize({"name": np.array(["a", "b"])})


# --------------------------------------------------------------------------- paired difference


class TestPairedDifference:
    def test_hand_computed(self) -> None:
        d = paired_difference([4.0, 5.0, 9.0], [1.0, 2.0, 3.0])  # diffs 3, 3, 6
        assert d["mean_diff"] == pytest.approx(4.0)
        assert d["se"] == pytest.approx(1.0)
        assert d["ci_low"] == pytest.approx(4.0 - T975[2], abs=1e-5)
        assert d["ci_high"] == pytest.approx(4.0 + T975[2], abs=1e-5)
        assert d["unpaired_se"] == pytest.approx(math.sqrt((7.0 + 1.0) / 3))
        assert d["n"] == 3

    def test_common_random_numbers_narrow_the_interval(self) -> None:
        rng = np.random.default_rng(7)
        shared = rng.normal(100.0, 20.0, size=500)
        a = shared + rng.normal(0.0, 1.0, size=500)
        b = shared - 2.0 + rng.normal(0.0, 1.0, size=500)
        d = paired_difference(a, b)
        assert d["se"] < d["unpaired_se"] / 5
        assert d["ci_low"] < 2.0 < d["ci_high"]

    def test_nan_pairs_are_dropped(self) -> None:
        d = paired_difference([4.0, 5.0, np.nan, 9.0], [1.0, 2.0, 0.0, 3.0])
        assert d["n"] == 3
        assert d["mean_diff"] == pytest.approx(4.0)

    def test_too_few_pairs(self) -> None:
        d = paired_difference([2.0], [1.0])
        assert d["mean_diff"] == 1.0
        assert math.isnan(d["se"]) and math.isnan(d["unpaired_se"])

    def test_length_mismatch(self) -> None:
        with pytest.raises(ValueError, match="same length"):
            paired_difference([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------- along an axis


@pytest.mark.parametrize("n", [1, 2, 19, 20, 21, 40, 100, 1001])
def test_statistics_along_an_axis_give_each_slice_its_own_bits(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=(7, n)) * rng.lognormal(0.0, 2.0, size=(7, n))
    x[:, : n // 3] = np.round(x[:, : n // 3])  # ties
    for alpha in (0.95, 0.99, 0.5):
        for fn in (var, cvar):
            got = fn(x, alpha, axis=1)
            assert got.tolist() == [fn(row, alpha) for row in x]
            assert fn(x.T, alpha, axis=0).tolist() == got.tolist()
    assert prob_loss(x, axis=1).tolist() == [prob_loss(row) for row in x]
    m = mean_ci(x.T, axis=0)
    for i, row in enumerate(x):
        assert tuple(float(v[i]) for v in m[:5]) == pytest.approx(mean_ci(row)[:5], nan_ok=True)
        assert m.mean[i] == np.mean(row)


def test_statistics_along_an_axis_drop_or_propagate_nan_per_slice() -> None:
    x = np.array([[1.0, 2.0, np.nan, 4.0], [1.0, 2.0, 3.0, 4.0], [np.nan] * 4])
    np.testing.assert_array_equal(cvar(x, 0.5, axis=1), [np.nan, 3.5, np.nan])
    np.testing.assert_array_equal(prob_loss(x, axis=1), [np.nan, 1.0, np.nan])
    m = mean_ci(x, axis=1)
    np.testing.assert_array_equal(m.n, [3, 4, 0])
    np.testing.assert_array_equal(m.mean, [7.0 / 3.0, 2.5, np.nan])
    assert m.se[1] == pytest.approx(np.std([1.0, 2.0, 3.0, 4.0], ddof=1) / 2.0)
    # the slice with a NaN gets exactly what its values alone give
    assert m.se[0] == mean_ci([1.0, 2.0, 4.0]).se


def test_summarize_gives_each_measure_the_bits_it_gets_alone() -> None:
    rng = np.random.default_rng(3)
    table = {"a": rng.normal(size=40), "b": rng.lognormal(size=40), "c": rng.normal(size=40)}
    table["c"][[3, 17]] = np.nan
    together = summarize(table, loss_measures=["a", "c"])
    for name, column in table.items():
        alone = summarize({name: column}, loss_measures=[name] if name != "b" else [])
        pd.testing.assert_frame_equal(together.loc[[name]], alone, check_exact=True)
