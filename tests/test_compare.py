"""Paired comparison of two scenarios on common random numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import fundflow
from conftest import make_scenario
from fundflow.analysis.comparison import TAIL_MEASURES, compare, paired_table
from fundflow.errors import ConfigError
from fundflow.results import metrics

ROOT = Path(__file__).resolve().parents[1]
MILESTONE = ROOT / "configs" / "open_competition.yaml"
UPFRONT = ROOT / "configs" / "upfront_grant.yaml"
LEVERS = ("name", "government")  # what upfront_grant.yaml may change


@pytest.fixture(scope="module")
def shipped() -> fundflow.CompareResult:
    return compare(MILESTONE, UPFRONT, runs=200, seed=2026, progress=False)


def test_shipped_pair_differs_only_in_the_government_levers() -> None:
    a = yaml.safe_load(MILESTONE.read_text(encoding="utf-8"))
    b = yaml.safe_load(UPFRONT.read_text(encoding="utf-8"))
    assert {k: v for k, v in a.items() if k not in LEVERS} == {
        k: v for k, v in b.items() if k not in LEVERS
    }
    gov = fundflow.load_scenario(UPFRONT).government
    assert gov.matching.mode == "upfront"
    assert not gov.error_tolerance.enabled
    assert gov.clawback_without_tolerance == 0.0
    assert gov.matching.ratio == fundflow.load_scenario(MILESTONE).government.matching.ratio


def test_common_random_numbers_same_routes_pass_and_fail() -> None:
    # with entry held fixed: under equilibrium entry the government's levers change
    # who bids (that is the point of them), and so which routes start
    fixed = {"solver.entry": "fixed"}
    pair = [
        fundflow.apply_overrides(fundflow.load_scenario(p), fixed) for p in (MILESTONE, UPFRONT)
    ]
    cmp = compare(*pair, runs=200, seed=2026, progress=False)
    a, b = cmp.a, cmp.b
    assert a.entropy == b.entropy == cmp.entropy == 2026
    np.testing.assert_array_equal(a.routes["status"], b.routes["status"])
    np.testing.assert_array_equal(a.runs["challenges_succeeded"], b.runs["challenges_succeeded"])
    np.testing.assert_array_equal(a.runs["rd_spending"], b.runs["rd_spending"])


def test_paired_ci_of_government_outlay_is_narrower_than_unpaired(shipped) -> None:
    t = shipped.table
    # gross outlay (tax forgone included) moves with the routes' shared outcomes; the
    # budget cost of an up-front grant hardly does, so pairing gains little there
    for m in ("gov_gross_outlay",):
        paired_width = t.loc[m, "ci_high"] - t.loc[m, "ci_low"]
        unpaired_width = paired_width / t.loc[m, "ci_width_ratio"]
        assert paired_width < 0.8 * unpaired_width, m
        assert t.loc[m, "se"] < t.loc[m, "unpaired_se"]
    # measures random in both scenarios gain most
    assert t.loc["gov_cost_per_success", "ci_width_ratio"] < 0.5
    assert t.loc["solver_loss", "ci_width_ratio"] < 0.5


def test_milestone_payment_lowers_government_outlay_and_its_cvar(shipped) -> None:
    t = shipped.table
    for m in ("gov_gross_outlay", "gov_budget_cost"):
        assert t.loc[m, "mean_diff"] < 0 and t.loc[m, "ci_high"] < 0, m
        assert t.loc[m, "cvar95_diff"] < 0 and t.loc[m, "cvar95_diff_ci_high"] < 0, m
        assert t.loc[m, "cvar95_diff"] == pytest.approx(t.loc[m, "cvar95_a"] - t.loc[m, "cvar95_b"])
        assert t.loc[m, "cvar95_a"] == pytest.approx(
            metrics.cvar(shipped.a.runs[m].to_numpy(), 0.95)
        )


def test_table_columns(shipped) -> None:
    t = shipped.to_frame()
    assert t.index.name == "measure"
    assert list(t.columns[:10]) == [
        "mean_a",
        "mean_b",
        "mean_diff",
        "rel_diff",
        "ci_low",
        "ci_high",
        "se",
        "unpaired_se",
        "ci_width_ratio",
        "n",
    ]
    for m in TAIL_MEASURES:
        assert math.isfinite(t.loc[m, "cvar95_a"]) and math.isfinite(t.loc[m, "cvar95_b"]), m
    assert math.isnan(t.loc["rd_spending", "cvar95_a"])  # not a loss measure
    row = t.loc["gov_net_cost"]
    assert row["mean_diff"] == pytest.approx(row["mean_a"] - row["mean_b"])
    d = metrics.paired_difference(shipped.a.runs["gov_net_cost"], shipped.b.runs["gov_net_cost"])
    assert row["ci_low"] == pytest.approx(d["ci_low"]) and row["se"] == pytest.approx(d["se"])
    t.loc["gov_net_cost", "mean_a"] = 0.0
    assert shipped.table.loc["gov_net_cost", "mean_a"] != 0.0  # to_frame() is a copy


def test_compare_equals_two_runs_with_the_same_seed() -> None:
    a = make_scenario(p1=0.7, p2=0.6, mode="two_phase")
    b = make_scenario(p1=0.7, p2=0.6, mode="on_acceptance")
    cmp = compare(a, b, runs=50, seed=5, progress=False)
    ra = fundflow.simulate(a, 50, seed=5, progress=False)
    np.testing.assert_array_equal(cmp.a.runs.to_numpy(), ra.runs.to_numpy())


def test_fresh_seed_is_shared_by_both_runs() -> None:
    a = make_scenario(p1=0.7, p2=0.6)
    cmp = compare(a, make_scenario(p1=0.7, p2=0.6, mode="upfront"), runs=20, progress=False)
    assert cmp.a.entropy == cmp.b.entropy == cmp.entropy
    np.testing.assert_array_equal(cmp.a.routes["status"], cmp.b.routes["status"])


def test_a_deterministic_side_gains_nothing_from_pairing() -> None:
    """An up-front grant without claw-back costs exactly g: paired SE = unpaired SE."""
    a = make_scenario(p1=0.7, p2=0.6, mode="two_phase")
    b = make_scenario(p1=0.7, p2=0.6, mode="upfront")
    t = compare(a, b, runs=200, seed=3, progress=False).table
    assert t.loc["gov_gross_outlay", "mean_b"] == pytest.approx(25.0)
    assert t.loc["gov_gross_outlay", "ci_width_ratio"] == pytest.approx(1.0)
    # docs/model.md, known-answer case K1: expected outlay g*s + g*(1-s)*p1*p2
    expected = 25 * 0.3 + 25 * 0.7 * 0.7 * 0.6
    row = t.loc["gov_gross_outlay"]
    assert abs(row["mean_a"] - expected) < 4 * row["se"]


def test_runs_must_be_the_same_replications() -> None:
    a = fundflow.simulate(make_scenario(), 3, seed=1, progress=False)
    b = fundflow.simulate(make_scenario(), 4, seed=1, progress=False)
    with pytest.raises(ConfigError, match="replications"):
        paired_table(a, b, 1)


def test_bad_runs_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="runs"):
        compare(make_scenario(), make_scenario(), runs=0, seed=1)
