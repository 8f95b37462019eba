"""The per-challenge participation table (``SimulationResult.challenges``)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow.io.export import export_result
from fundflow.results import metrics


def two_challenges() -> dict:
    """'risky': two copies of a two-route race, acceptance passed half the time, value 80;
    'sure': two copies of one route that always succeeds, demander pays 90% of I = 100."""
    d = make_scenario(p2=0.5, solvers=2, count=2, value=80.0)
    sure = copy.deepcopy(d["challenges"][0])
    sure.update(name="sure", solvers=1, demander_share=0.9, value_on_success=0.0)
    sure["phases"][1]["pass_probability"] = 1.0
    d["challenges"][0]["name"] = "risky"
    d["challenges"].append(sure)
    return d


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(two_challenges(), runs=80, seed=3, progress=False)


def test_known_answers_of_the_sure_challenge(result) -> None:
    row = result.challenges.loc["sure"]
    assert row["copies"] == 2 and row["routes_started"] == 1.0
    assert row["success_probability"] == 1.0
    # the solver spends I = 100, the demander pays it 90, nothing else moves
    assert row["solver_npv_per_route"] == pytest.approx(-10.0, abs=1e-9)
    assert row["solver_npv_se"] == pytest.approx(0.0, abs=1e-9)
    assert not row["clears_required_npv"] and row["required_npv"] == 0.0
    # match 0.25 x 100 to the demander, who pays 90
    assert row["gov_challenge_net_cost"] == pytest.approx(25.0, abs=1e-9)
    assert row["demander_npv"] == pytest.approx(-65.0, abs=1e-9)


def test_solver_npv_pools_copies_and_clusters_by_replication(result) -> None:
    routes = result.routes
    started = routes[routes["status"] != "not_started"]
    row = result.challenges.loc["risky"]
    pooled = started.loc[started["challenge_name"] == "risky", "solver_npv"]
    assert row["solver_npv_per_route"] == pytest.approx(pooled.mean(), rel=1e-12)
    per_rep = (
        started[started["challenge_name"] == "risky"]
        .groupby(level="replication")["solver_npv"]
        .agg(["sum", "count"])
    )
    _, se = metrics.ratio_of_means(per_rep["sum"], per_rep["count"])
    assert row["solver_npv_se"] == pytest.approx(se, rel=1e-12) and se > 0
    half = row["solver_npv_ci_high"] - row["solver_npv_per_route"]
    assert half == pytest.approx(row["solver_npv_per_route"] - row["solver_npv_ci_low"])
    assert half == pytest.approx(1.990 * se, rel=1e-3)  # t_{0.975, 79}


def test_success_probability_is_per_copy(result) -> None:
    routes = result.routes.reset_index()
    risky = routes[routes["challenge_name"] == "risky"]
    won = risky.groupby(["replication", "challenge"])["status"].agg(
        lambda s: (s == "succeeded").any()
    )
    assert len(won) == 2 * len(result)
    assert result.challenges.loc["risky", "success_probability"] == pytest.approx(won.mean())
    assert 0.35 < won.mean() < 0.65  # the race keeps one route, which passes half the time


def test_challenges_add_up_to_the_program(result) -> None:
    ch, runs = result.challenges, result.runs
    total = (ch["copies"] * ch["gov_challenge_net_cost"]).sum()
    assert total == pytest.approx(runs["gov_net_cost"].mean(), rel=1e-12)  # no fund here
    assert (ch["copies"] * ch["demander_npv"]).sum() == pytest.approx(
        runs["demander_npv"].mean(), rel=1e-12
    )
    per_route = result.routes.groupby(level="replication")[["gov_net_cost", "demander_npv"]].sum()
    np.testing.assert_allclose(per_route["gov_net_cost"], runs["gov_net_cost"], rtol=1e-12)
    np.testing.assert_allclose(per_route["demander_npv"], runs["demander_npv"], rtol=1e-12)


def test_fund_is_left_out_of_the_challenges_cost() -> None:
    res = fundflow.simulate("configs/chain_leader.yaml", runs=10, seed=2, progress=False)
    ch, runs = res.challenges, res.runs
    attributed = (ch["copies"] * ch["gov_challenge_net_cost"]).sum()
    expected = runs["gov_net_cost"].mean() - runs["gov_fund_net_cost"].mean()
    assert attributed == pytest.approx(expected, rel=1e-9)
    assert list(ch.index) == [c.name for c in res.scenario.challenges]


def test_a_challenge_that_never_starts_has_no_npv() -> None:
    d = two_challenges()
    d["challenges"][1]["start"] = d["horizon"] + 1.0
    try:
        res = fundflow.simulate(d, runs=5, seed=1, progress=False)
    except fundflow.ConfigError:
        pytest.skip("a challenge starting after the horizon is refused")
    row = res.challenges.loc["sure"]
    assert row["routes_started"] == 0 and row["success_probability"] == 0
    assert math.isnan(row["solver_npv_per_route"]) and not row["clears_required_npv"]


def test_exported_with_labels(result, tmp_path) -> None:
    export_result(result, tmp_path, ("csv", "md"), lang="zh")
    csv = pd.read_csv(tmp_path / "challenges.csv", index_col="榜题", encoding="utf-8-sig")
    assert "每个揭榜团队的期望净现值（百万元）" in csv.columns  # in Chinese, for Excel
    csv = csv.set_axis(list(result.challenges.columns), axis=1).rename_axis("challenge")
    pd.testing.assert_frame_equal(csv, result.challenges, check_dtype=False, rtol=1e-12)
    md = (tmp_path / "challenges.md").read_text(encoding="utf-8")
    assert "每个揭榜团队的期望净现值" in md and "揭榜成功概率" in md
