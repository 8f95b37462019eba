"""Program ratios as ratios of means with a delta-method standard error."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import fundflow
from fundflow.analysis.comparison import paired_table
from fundflow.results import metrics
from fundflow.results.measures import RATIO_MEASURES

ROOT = Path(__file__).resolve().parents[1]


def test_ratio_of_means_is_the_ratio_of_the_means_and_the_delta_method_se() -> None:
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 3.0, 400)
    y = rng.poisson(1.5, 400).astype(float)
    est, se = metrics.ratio_of_means(x, y)
    assert est == np.mean(x) / np.mean(y)  # exactly: no per-replication ratio
    r = np.mean(x) / np.mean(y)
    cov = np.cov(x, y, ddof=1)
    formula = (cov[0, 0] - 2 * r * cov[0, 1] + r**2 * cov[1, 1]) / (x.size * np.mean(y) ** 2)
    assert se == pytest.approx(math.sqrt(formula), rel=1e-12)


def test_constant_denominator_gives_the_se_of_a_scaled_mean() -> None:
    x = np.array([1.0, 4.0, 2.0, 7.0, 6.0])
    est, se = metrics.ratio_of_means(x, np.full(5, 2.0))
    assert est == pytest.approx(np.mean(x) / 2.0)
    assert se == pytest.approx(np.std(x, ddof=1) / math.sqrt(5) / 2.0, rel=1e-12)


def test_axis_and_undefined_cases() -> None:
    x = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    est, se = metrics.ratio_of_means(x, y, axis=0)
    assert est.shape == se.shape == (2,)
    one = metrics.ratio_of_means(x[:, 0], y[:, 0])
    assert est[0] == one.estimate and se[0] == one.se
    assert math.isnan(est[1]) and math.isnan(se[1])  # mean denominator 0: undefined
    rows = metrics.ratio_of_means(x.T, y.T, axis=1)
    np.testing.assert_array_equal(rows.estimate, est)
    single = metrics.ratio_of_means([3.0], [2.0])
    assert single.estimate == 1.5 and math.isnan(single.se)
    with pytest.raises(ValueError, match="same shape"):
        metrics.ratio_of_means([1.0, 2.0], [1.0])


def test_delta_method_se_matches_the_spread_of_the_estimator() -> None:
    """Over many samples, the SE is close to the actual SD of the ratio of means."""
    rng = np.random.default_rng(11)
    n, samples = 200, 3000
    y = rng.binomial(3, 0.4, size=(samples, n)).astype(float)
    x = 10.0 * y + rng.normal(20.0, 5.0, size=(samples, n))
    est, se = metrics.ratio_of_means(x, y, axis=1)
    assert np.mean(se) == pytest.approx(np.std(est, ddof=1), rel=0.08)
    low, high = metrics.t_interval(est, se, n)
    truth = (10.0 * 1.2 + 20.0) / 1.2
    assert np.mean((low <= truth) & (truth <= high)) == pytest.approx(0.95, abs=0.02)


@pytest.fixture(scope="module")
def chain() -> fundflow.SimulationResult:
    config = ROOT / "configs" / "chain_leader.yaml"
    return fundflow.simulate(config, runs=60, seed=4, progress=False)


def test_summary_reports_ratios_of_means_and_runs_does_not(chain) -> None:
    runs, summary = chain.runs, chain.summary()
    for name, (num, den) in RATIO_MEASURES.items():
        assert name not in runs.columns
        assert num in runs.columns and den in runs.columns
        x, y = runs[num].to_numpy(), runs[den].to_numpy()
        row = summary.loc[name]
        assert row["mean"] == np.mean(x) / np.mean(y)  # E[X] / E[Y], exactly
        assert row["se"] == metrics.ratio_of_means(x, y).se
        assert row["ci_low"] < row["mean"] < row["ci_high"]
        assert row["n"] == len(runs) and math.isnan(row["std"]) and math.isnan(row["p50"])
    names = list(summary.index)
    assert names.index("gov_cost_per_success") == names.index("gov_mean_delay") + 1
    # leverage's numerator: R&D spending + fund investment - budget cost - the
    # government's fund paid-in (docs/model.md, "Kinds of government money");
    # leverage_all_in's keeps 0.2's: less the all-in net cost
    ledger = chain.ledger(0)
    invested = ledger.loc[ledger["kind"] == "investment", "amount"].sum()
    first = runs.iloc[0]
    assert first["nongov_funding"] == pytest.approx(
        first["rd_spending"] + invested - first["gov_budget_cost"] - first["fund_gov_paid_in"],
        rel=1e-12,
    )
    assert first["nongov_funding_all_in"] == pytest.approx(
        first["rd_spending"] + invested - first["gov_net_cost"], rel=1e-12
    )
    assert RATIO_MEASURES["leverage"] == ("nongov_funding", "gov_budget_cost")


def test_comparison_gives_the_paired_difference_of_the_ratios(chain) -> None:
    other = fundflow.simulate(
        fundflow.apply_overrides(chain.scenario, {"government.matching.ratio": 0.1}),
        runs=60,
        seed=4,
        progress=False,
    )
    table = paired_table(chain, other, 4)
    row = table.loc["gov_cost_per_success"]
    assert row["mean_a"] == chain.summary().loc["gov_cost_per_success", "mean"]
    assert row["mean_b"] == other.summary().loc["gov_cost_per_success", "mean"]
    assert row["mean_diff"] == pytest.approx(row["mean_a"] - row["mean_b"])
    assert row["ci_low"] < row["mean_diff"] < row["ci_high"]
    assert 0 < row["se"] < row["unpaired_se"]  # the same successes on both sides
