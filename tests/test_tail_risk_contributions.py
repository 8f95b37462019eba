"""Which challenges drive the tail: ``SimulationResult.tail_contributions``, the
challenges table's contribution columns, a stored run's, and the bar chart."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow import plots
from fundflow.results import metrics
from fundflow.results.tail_risk import euler_cvar

MEASURES = ("gov_budget_cost", "gov_net_cost")


def three_challenges() -> dict:
    """'risky' (two copies, a two-route race), 'sure' (always succeeds) and 'rare'
    (passes acceptance a tenth of the time), with tax so the all-in cost differs."""
    d = make_scenario(p2=0.5, solvers=2, count=2, value=80.0)
    d["challenges"][0]["name"] = "risky"
    sure = copy.deepcopy(d["challenges"][0])
    sure.update(name="sure", solvers=1, count=1, demander_share=0.9, value_on_success=0.0)
    sure["phases"][1]["pass_probability"] = 1.0
    rare = copy.deepcopy(sure)
    rare.update(name="rare", total_investment=60.0)
    rare["phases"][1]["pass_probability"] = 0.1
    d["challenges"] += [sure, rare]
    d["government"]["tax"] = {"rd_super_deduction": 1.0}
    return d


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(three_challenges(), runs=400, seed=11, progress=False)


@pytest.fixture(scope="module")
def fund_result() -> fundflow.SimulationResult:
    return fundflow.simulate("configs/chain_leader.yaml", runs=60, seed=4, progress=False)


def _by_hand(result: fundflow.SimulationResult, measure: str) -> pd.Series:
    """The contributions from the routes and runs tables through pandas: the names'
    parts summed by a groupby, what is left of the runs' total as the last part."""
    routes = result.routes.reset_index()
    names = [c.name for c in result.scenario.challenges]
    parts = routes.pivot_table(
        index="replication", columns="challenge_name", values=measure, aggfunc="sum"
    )[names]
    total = result.runs[measure].to_numpy()
    rest = total - parts.to_numpy().sum(axis=1)
    rest[np.abs(rest) < 1e-9] = 0.0
    values = euler_cvar(total, np.column_stack([parts.to_numpy(), rest]), 0.95)
    return pd.Series(values, index=[*names, "unallocated"])


@pytest.mark.parametrize("measure", MEASURES)
def test_rows_add_up_to_the_summarys_cvar(result, measure) -> None:
    table = result.tail_contributions(measure)
    assert list(table.columns) == ["contribution", "share"]
    assert table.index.name == "challenge" and table.index[-1] == "unallocated"
    assert sorted(table.index[:-1]) == sorted(["risky", "sure", "rare"])
    head = table["contribution"].iloc[:-1].to_numpy()
    assert np.all(np.diff(head) <= 0)  # largest first
    program = result.summary().loc[measure, "cvar95"]
    assert table.attrs["cvar"] == program
    assert table.attrs["measure"] == measure and table.attrs["alpha"] == 0.95
    assert table["contribution"].sum() == pytest.approx(program, rel=1e-9)
    assert table["share"].sum() == pytest.approx(1.0, rel=1e-9)
    assert table.loc["unallocated", "contribution"] == 0.0  # every payment is a route's
    by_hand = _by_hand(result, measure)
    np.testing.assert_allclose(table["contribution"], by_hand[table.index], rtol=1e-9, atol=1e-9)


def test_the_sure_challenge_contributes_its_fixed_cost(result) -> None:
    # 'sure' costs the match 0.25 x 100 in every replication: a weighted mean of 25
    assert result.tail_contributions().loc["sure", "contribution"] == pytest.approx(25.0)
    # 'rare' pays its second tranche only on success, which fills the tail
    table = result.tail_contributions()
    mean = result.challenges.loc["rare", "gov_challenge_budget_cost"]
    assert table.loc["rare", "contribution"] > mean


def test_challenges_table_columns(result) -> None:
    ch = result.challenges
    for measure in MEASURES:
        table = result.tail_contributions(measure)
        column = ch[f"cvar95_{measure}"]
        pd.testing.assert_series_equal(
            column, table["contribution"].drop("unallocated")[ch.index], check_names=False
        )
    budget = (ch["copies"] * ch["gov_challenge_budget_cost"]).sum()
    assert budget == pytest.approx(result.runs["gov_budget_cost"].mean(), rel=1e-12)
    assert (ch["gov_challenge_budget_cost_se"] >= 0).all()
    # with tax forgone, the all-in cost of a challenge is above its budget cost
    assert (ch["gov_challenge_net_cost"] > ch["gov_challenge_budget_cost"]).all()


def test_what_belongs_to_no_challenge_is_unallocated(fund_result) -> None:
    table = fund_result.tail_contributions("gov_net_cost")
    assert table.index[-1] == "unallocated"
    assert table.loc["unallocated", "contribution"] != 0.0  # the guided fund
    assert table["contribution"].sum() == pytest.approx(table.attrs["cvar"], rel=1e-9)
    by_hand = _by_hand(fund_result, "gov_net_cost")
    np.testing.assert_allclose(table["contribution"], by_hand[table.index], rtol=1e-9, atol=1e-9)


def test_other_measures_and_levels(result) -> None:
    with pytest.raises(ValueError, match="gov_budget_cost"):
        result.tail_contributions("solver_loss")
    table = result.tail_contributions("gov_budget_cost", alpha=0.8)
    assert table["contribution"].sum() == pytest.approx(
        metrics.cvar(result.runs["gov_budget_cost"], 0.8), rel=1e-9
    )


def test_upfront_matching_ties_every_replication() -> None:
    d = three_challenges()
    d["government"]["matching"]["mode"] = "upfront"
    res = fundflow.simulate(d, runs=50, seed=2, progress=False)
    assert res.runs["gov_budget_cost"].nunique() == 1
    table = res.tail_contributions()
    means = res.routes.groupby("challenge_name")["gov_budget_cost"].sum() / len(res)
    np.testing.assert_allclose(table["contribution"].drop("unallocated"), means[table.index[:-1]])


def test_a_stored_run_gives_the_same_numbers(result, tmp_path) -> None:
    stored = fundflow.simulate(
        three_challenges(), runs=400, seed=11, progress=False, store=tmp_path, chunk_size=64
    )
    opened = fundflow.open_run(tmp_path)
    for res in (stored, opened):
        for measure in MEASURES:
            a, b = result.tail_contributions(measure), res.tail_contributions(measure)
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.attrs == b.attrs
        pd.testing.assert_frame_equal(
            result.challenges.filter(like="cvar95"), res.challenges.filter(like="cvar95")
        )


def test_a_stored_run_reads_only_the_tails_rows(result, tmp_path, monkeypatch) -> None:
    fundflow.simulate(
        three_challenges(), runs=400, seed=11, progress=False, store=tmp_path, chunk_size=64
    )
    opened = fundflow.open_run(tmp_path)
    whole = opened.store.column

    def runs_only(dataset: str, name: str) -> np.ndarray:
        assert dataset == "runs", f"read every replication's {dataset}.{name}"
        return whole(dataset, name)

    monkeypatch.setattr(opened.store, "column", runs_only)
    table = opened.tail_contributions()
    pd.testing.assert_frame_equal(table, result.tail_contributions(), check_exact=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bar_chart(result, lang) -> None:
    fig = plots.tail_contributions(result, "gov_net_cost", lang=lang)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "contribution"]
    table = result.tail_contributions("gov_net_cost")
    assert len(bars) == 3  # nothing unallocated: no bar for it
    widths = sorted((b.get_width() for b in bars), reverse=True)
    np.testing.assert_allclose(widths, table["contribution"].iloc[:3])
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == list(table.index[:3])  # top to bottom, the largest first
    unit = "CNY million" if lang == "en" else "百万元"
    assert unit in ax.get_xlabel() and "95" in ax.get_xlabel()
    assert ("CVaR 95%" if lang == "en" else "95% CVaR") in ax.get_title()


def test_bar_chart_shows_the_unallocated_part(fund_result) -> None:
    fig = plots.tail_contributions(fund_result, "gov_net_cost", ax=None, lang="zh")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[-1] == "未归属榜题（引导基金等）"
