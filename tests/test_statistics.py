"""The summary statistics are a registry: one registration puts a statistic in every
summary, sweep table, label table (English and Chinese) and loss figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow import plots
from fundflow.io import labels
from fundflow.results import catalogue, statistics
from fundflow.results.measures import LOSS_MEASURES

LEVER = {"government.matching.ratio": [0.2, 0.3]}
BUILT_IN = [
    "mean",
    "se",
    "ci_low",
    "ci_high",
    "std",
    "p5",
    "p50",
    "p95",
    "n",
    "var95",
    "cvar95",
    "var99",
    "cvar99",
    "prob_loss",
]


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(make_scenario(p1=0.5), runs=40, seed=3)


def _p90(sample: statistics.Sample) -> np.ndarray:
    return np.quantile(sample.values, 0.9, axis=1)


@pytest.fixture
def p90():
    """A toy statistic, the 90th percentile, registered for one test only."""
    stat = statistics.register_statistic(
        "p90",
        _p90,
        label_en="90th percentile",
        label_zh="第90百分位数",
        sweep=True,
        mark=True,
    )
    yield stat
    statistics.unregister_statistic("p90")


def test_the_built_in_statistics_are_the_summary_columns(result) -> None:
    assert statistics.columns() == BUILT_IN
    assert list(result.summary().columns) == BUILT_IN
    assert statistics.columns((0.9,))[-4:] == ["n", "var90", "cvar90", "prob_loss"]
    assert statistics.sweep_columns(False) == ["mean", "se"]
    assert statistics.sweep_columns(True) == ["mean", "se", "cvar95", "prob_loss"]


def test_every_statistic_has_a_label_in_both_languages_and_a_unit() -> None:
    for column in statistics.columns((0.95, 0.975)):
        row = labels.LABELS[column]
        assert row.kind == "statistic" and row.en and row.zh, column
        assert row.unit in labels.UNITS, column
    assert labels.label("cvar97.5") == "CVaR 97.5%"
    assert labels.label("var95", "zh") == "95%分位支出（在险价值）"
    assert labels.label("cvar97.5", "zh") == "最差2.5%情形平均支出（条件在险价值）"
    assert labels.unit_of("prob_loss") == "share"


def test_a_registered_statistic_is_in_the_summary(result) -> None:
    before = result.summary()
    statistics.register_statistic("p90", _p90, label_en="90th percentile", label_zh="第90百分位数")
    try:
        s = result.summary()
    finally:
        statistics.unregister_statistic("p90")
    assert list(s.columns) == [*BUILT_IN, "p90"]
    for measure in ("gov_net_cost", "routes_started"):
        assert s.loc[measure, "p90"] == np.quantile(result.runs[measure], 0.9)
    assert np.isnan(s.loc["leverage", "p90"])  # a ratio of means has no percentiles
    # the other columns keep their values, to the last bit
    pd.testing.assert_frame_equal(s[BUILT_IN], before, check_exact=True)


def test_a_registered_statistic_is_a_sweep_column(p90) -> None:
    assert "gov_net_cost_p90" in catalogue.sweep_statistics()
    res = fundflow.sweep(
        make_scenario(), {"government.matching.ratio": [0.2, 0.3]}, runs=20, seed=1
    )
    table = res.table
    assert list(table.columns[1:]) == [
        *catalogue.sweep_statistics(),
        "solver_npv_min",
        "solver_npv_min_se",
    ]
    for point, runs in res.results.items():
        assert table.loc[point, "gov_net_cost_p90"] == np.quantile(runs["gov_net_cost"], 0.9)
        assert table.loc[point, "solver_loss_p90"] == np.quantile(runs["solver_loss"], 0.9)


def test_a_registered_statistic_has_its_labels(p90) -> None:
    row = labels.LABELS["p90"]
    assert (row.kind, row.unit, row.en, row.zh) == (
        "statistic",
        "same",
        "90th percentile",
        "第90百分位数",
    )
    assert "p90" in list(labels.LABELS)
    assert labels.split_statistic("gov_net_cost_p90") == ("gov_net_cost", "p90")
    assert labels.column_header("gov_net_cost_p90") == (
        "Government all-in net cost, 90th percentile (CNY million)"
    )
    assert (
        labels.column_header("gov_net_cost_p90", "zh") == "政府全口径净成本，第90百分位数（百万元）"
    )
    summary = pd.DataFrame({"p90": [1.0]}, index=pd.Index(["gov_net_cost"], name="measure"))
    assert list(labels.relabel_summary(summary, "zh").columns) == ["第90百分位数"]


def test_a_registered_statistic_is_drawn(result, p90) -> None:
    fig = plots.loss_distribution(result, "gov_net_cost")
    (ax,) = fig.axes
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert {"mean", "var95", "cvar95", "var99", "cvar99", "p90"} <= set(lines)
    value = np.quantile(result.runs["gov_net_cost"], 0.9)
    assert lines["p90"].get_xdata()[0] == value
    assert lines["p90"].get_label().startswith("90th percentile = ")
    zh = plots.exceedance_curve(result, ["gov_net_cost"], lang="zh")
    gids = [line.get_gid() for line in zh.axes[0].get_lines()]
    assert "gov_net_cost:p90" in gids
    legend = [t.get_text() for t in zh.axes[0].get_legend().get_texts()]
    assert any(t.startswith("  第90百分位数 = ") for t in legend)
    res = fundflow.sweep(
        make_scenario(), {"government.matching.ratio": [0.2, 0.3]}, runs=10, seed=1
    )
    fig = plots.sweep_response(res, "government.matching.ratio", "gov_net_cost_p90")
    assert fig.axes[0].get_ylabel() == "Government all-in net cost, 90th percentile (CNY million)"


def test_an_unregistered_statistic_is_gone_everywhere(result) -> None:
    statistics.register_statistic("p90", quantile=0.9, label_en="P90", label_zh="P90", sweep=True)
    assert result.summary().loc["gov_net_cost", "p90"] == np.quantile(
        result.runs["gov_net_cost"], 0.9
    )
    statistics.unregister_statistic("p90")
    assert "p90" not in result.summary().columns
    assert "p90" not in labels.LABELS
    assert "gov_net_cost_p90" not in catalogue.sweep_statistics()
    assert labels.split_statistic("gov_net_cost_p90") == ("gov_net_cost_p90", None)


def test_a_statistic_of_losses_and_of_levels(result) -> None:
    """``loss=True``: NaN for the other measures; ``levels=True``: a column per alpha."""
    statistics.register_statistic(
        "tail_mean",
        lambda s, alpha: np.mean(np.sort(s.values, axis=1)[:, int(alpha * s.n) :], axis=1),
        label_en="Mean beyond the {level}% quantile",
        label_zh="{level}%分位以上均值",
        loss=True,
        levels=True,
    )
    try:
        s = result.summary(alphas=(0.9,))
        assert list(s.columns)[-3:] == ["cvar90", "prob_loss", "tail_mean90"]
        assert set(s.index[s["tail_mean90"].notna()]) == set(LOSS_MEASURES)
        assert labels.label("tail_mean97.5", "zh") == "97.5%分位以上均值"
    finally:
        statistics.unregister_statistic("tail_mean")


def test_names_are_checked() -> None:
    def fn(s):
        return s.mean

    with pytest.raises(ValueError, match="'mean' collides"):
        statistics.register_statistic("mean", fn, label_en="x", label_zh="x")
    with pytest.raises(ValueError, match="'var90' collides with the registered 'var'"):
        statistics.register_statistic("var90", fn, label_en="x", label_zh="x")
    with pytest.raises(ValueError, match="lower-case"):
        statistics.register_statistic("P90", fn, label_en="x", label_zh="x")
    with pytest.raises(ValueError, match="either fn or quantile"):
        statistics.register_statistic("p90", fn, quantile=0.9, label_en="x", label_zh="x")
    assert statistics.columns() == BUILT_IN
