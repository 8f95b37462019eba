"""Sweeps: design points, common random numbers, samplers, one pool, bad input."""

from __future__ import annotations

import doctest
import importlib
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fundflow
from fundflow import ConfigError, Scenario
from fundflow.analysis.sweeps import make_design, run_design, sweep

sweep_module = importlib.import_module("fundflow.analysis.sweeps")


def program() -> dict[str, Any]:
    """A small open-competition program with chance everywhere: a horse race,
    correlated reviews, random durations, overruns and values, error tolerance."""
    phases = [
        {
            "name": "development",
            "duration": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.5},
            "cost_share": 0.4,
            "pass_probability": 0.7,
        },
        {"name": "validation", "duration": 1.0, "cost_share": 0.6, "pass_probability": 0.6},
    ]
    return {
        "name": "sweep-test",
        "horizon": 8,
        "government": {
            "matching": {"ratio": 0.25, "cap": 10, "first_share": 0.3},
            "error_tolerance": {"enabled": True, "rate": 0.3, "misconduct_probability": 0.05},
        },
        "challenges": [
            {
                "name": "sensor-chip",
                "count": 2,
                "group": "chips",
                "total_investment": 20,
                "demander_share": 0.6,
                "solvers": 2,
                "race": {"select_after": 1, "keep": 1},
                "overrun": {"dist": "lognormal", "median": 1.05, "sigma": 0.15},
                "phases": phases,
                "value_on_success": {"dist": "lognormal", "median": 40, "sigma": 1.0},
            },
            {"name": "software", "count": 2, "total_investment": 12, "phases": phases},
        ],
        "correlation": {"chips": 0.3},
    }


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return Scenario.from_dict(program())


def test_grid_is_the_cartesian_product(sc: Scenario) -> None:
    res = sweep(
        sc,
        {"government.matching.ratio": [0.2, 0.3], "challenges[sensor-chip].solvers": [1, 2, 3]},
        runs=5,
        seed=1,
    )
    t = res.table
    assert t.index.name == "design_point" and list(t.index) == list(range(6))
    assert t[["government.matching.ratio", "challenges[sensor-chip].solvers"]].values.tolist() == [
        [0.2, 1],
        [0.2, 2],
        [0.2, 3],
        [0.3, 1],
        [0.3, 2],
        [0.3, 3],
    ]
    for col in (
        "gov_net_cost_mean",
        "gov_net_cost_se",
        "gov_net_cost_cvar95",
        "gov_net_cost_prob_loss",
        "solver_loss_share_mean",
        "challenges_succeeded_mean",
    ):
        assert col in t.columns
    assert "challenges_succeeded_cvar95" not in t.columns  # not a loss measure
    assert res.design.columns.tolist() == list(res.levers)
    assert sorted(res.results) == list(range(6)) and len(res.results[0]) == 5
    assert res.scenario_at(4).challenges[0].solvers == 2
    assert res.scenario_at(4).government.matching.ratio == 0.3


def test_design_points_share_draws(sc: Scenario) -> None:
    """Common random numbers: matching does not touch outcomes, so successes are
    identical replication by replication; costs move with the ratio."""
    res = sweep(sc, {"government.matching.ratio": [0.1, 0.2, 0.3]}, runs=40, seed=11)
    first = res.results[0]
    assert first["challenges_succeeded"].nunique() > 1  # outcomes do vary across replications
    for k in (1, 2):
        runs = res.results[k]
        for col in ("challenges_succeeded", "routes_started", "rd_spending", "demander_value"):
            pd.testing.assert_series_equal(runs[col], first[col])
        assert (runs["gov_gross_outlay"] > first["gov_gross_outlay"]).all()
    costs = res.table["gov_net_cost_mean"].to_numpy()
    assert costs[0] < costs[1] < costs[2]


def test_a_point_equals_simulate_with_the_same_seed(sc: Scenario) -> None:
    res = sweep(sc, {"challenges[0].phases[1].pass_probability": [0.5, 0.9]}, runs=12, seed=5)
    direct = fundflow.simulate(res.scenario_at(1), runs=12, seed=5)
    pd.testing.assert_frame_equal(res.results[1], direct.runs, check_dtype=False)
    summary = direct.summary()
    assert res.table.at[1, "gov_net_cost_mean"] == pytest.approx(summary.at["gov_net_cost", "mean"])
    assert res.table.at[1, "gov_net_cost_se"] == pytest.approx(summary.at["gov_net_cost", "se"])
    assert res.table.at[1, "gov_net_cost_cvar95"] == pytest.approx(
        summary.at["gov_net_cost", "cvar95"]
    )
    # more demanding acceptance -> fewer successes
    assert (
        res.table.at[0, "challenges_succeeded_mean"] < res.table.at[1, "challenges_succeeded_mean"]
    )


def test_a_point_has_the_numbers_of_its_summary_to_the_last_bit(sc: Scenario) -> None:
    res = sweep(sc, {"government.matching.ratio": [0.2, 0.4]}, runs=30, seed=11)
    summary = fundflow.simulate(res.scenario_at(1), runs=30, seed=11).summary()
    pairs = [("mean", "mean"), ("se", "se"), ("cvar95", "cvar95"), ("prob_loss", "prob_loss")]
    checked = 0
    for measure in summary.index:
        for column, stat in pairs:
            name = f"{measure}_{column}"
            if name in res.table.columns:
                got, want = res.table.at[1, name], summary.at[measure, stat]
                assert got == want or (np.isnan(got) and np.isnan(want)), name
                checked += 1
    assert checked > 2 * len(summary)


def test_output_names_are_the_table_columns_without_simulating(
    sc: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = sweep(sc, {"government.matching.ratio": [0.2]}, runs=3, seed=1)
    import fundflow.analysis.sweeps as sweeps

    def no_simulation(*args: object) -> None:
        raise AssertionError("output_names simulated a replication")

    monkeypatch.setattr(sweeps, "simulate_block", no_simulation)
    assert sweeps.output_names(sc) == [
        c for c in res.table.columns if c != "government.matching.ratio"
    ]


def test_workers_do_not_change_results_and_one_pool_is_used(
    sc: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[int] = []
    pool_module = importlib.import_module("fundflow.run.montecarlo")  # where pools are started
    real = pool_module.ProcessPoolExecutor

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", Counting)
    levers = {"government.matching.ratio": (0.1, 0.3), "challenges[0].solvers": (1, 3)}
    one = sweep(sc, levers, sampler="lhs", n=6, runs=9, seed=3, workers=1)
    assert pools == []
    two = sweep(sc, levers, sampler="lhs", n=6, runs=9, seed=3, workers=2)
    assert pools == [1]  # 6 points x several blocks, one pool
    pd.testing.assert_frame_equal(one.table, two.table)
    for k in range(6):
        pd.testing.assert_frame_equal(one.results[k], two.results[k])


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_lhs_and_sobol_are_reproducible_and_within_bounds(sc: Scenario, sampler: str) -> None:
    levers = {
        "government.matching.ratio": (0.1, 0.3),
        "government.error_tolerance.rate": (0.0, 0.5),
        "challenges[sensor-chip].solvers": (1, 3),
    }
    a = make_design(sc, levers, sampler=sampler, n=16, entropy=42)
    b = make_design(sc, levers, sampler=sampler, n=16, entropy=42)
    c = make_design(sc, levers, sampler=sampler, n=16, entropy=43)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["government.matching.ratio"].between(0.1, 0.3).all()
    assert a["government.error_tolerance.rate"].between(0.0, 0.5).all()
    solvers = a["challenges[sensor-chip].solvers"]
    assert solvers.map(type).eq(int).all() and set(solvers) <= {1, 2, 3}
    assert len(set(solvers)) == 3
    if sampler == "lhs":  # one point in each of the n strata of every lever
        strata = np.floor((a["government.matching.ratio"] - 0.1) / 0.2 * 16)
        assert sorted(strata.astype(int)) == list(range(16))
    res1 = sweep(sc, levers, sampler=sampler, n=4, runs=3, seed=9, keep_runs=False)
    res2 = sweep(sc, levers, sampler=sampler, n=4, runs=3, seed=9, keep_runs=False)
    pd.testing.assert_frame_equal(res1.table, res2.table)
    assert res1.results == {} and res1.sampler == sampler and res1.entropy == 9


def test_grid_with_n_spaces_values_evenly(sc: Scenario) -> None:
    d = make_design(
        sc,
        {"government.matching.ratio": (0.1, 0.3), "challenges[0].solvers": (1, 3)},
        sampler="grid",
        n=3,
    )
    assert d["government.matching.ratio"].round(12).unique().tolist() == [0.1, 0.2, 0.3]
    assert d["challenges[0].solvers"].unique().tolist() == [1, 2, 3]
    assert len(d) == 9


def test_categorical_levers_on_a_grid(sc: Scenario) -> None:
    res = sweep(sc, {"government.matching.mode": ["two_phase", "upfront"]}, runs=20, seed=2)
    upfront = res.results[1]
    # up front: the government pays the whole match (up to the cap) in every replication
    assert res.table.at[1, "gov_gross_outlay_mean"] > res.table.at[0, "gov_gross_outlay_mean"]
    assert upfront["challenges_succeeded"].equals(res.results[0]["challenges_succeeded"])


def test_run_design_takes_a_frame(sc: Scenario) -> None:
    design = pd.DataFrame({"government.matching.ratio": [0.3, 0.1], "discount_rate": [0.0, 0.05]})
    res = run_design(sc, design, runs=4, seed=1)
    assert res.sampler == "design"
    assert res.table["government.matching.ratio"].tolist() == [0.3, 0.1]
    assert res.table.at[0, "gov_net_cost_mean"] > res.table.at[1, "gov_net_cost_mean"]


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levers": {}}, "an empty sweep"),
        ({"levers": {"government.matching.ratio": []}}, "an empty list of values"),
        ({"levers": {"government.matching.ratio": 0.3}}, "takes a list of values"),
        (
            {"levers": {"government.matching.ratio": [0.2]}, "sampler": "sobel"},
            "sampler = 'sobel': did you mean 'sobol'?",
        ),
        (
            {"levers": {"government.matching.ratio": (0.1, 0.3)}, "sampler": "lhs"},
            "needs the number of points n",
        ),
        (
            {"levers": {"government.matching.ratio": [0.1, 0.2, 0.3]}, "sampler": "lhs", "n": 4},
            "lhs needs a range (low, high)",
        ),
        (
            {"levers": {"government.matching.ratio": (0.3, 0.1)}, "sampler": "sobol", "n": 4},
            "low <= high",
        ),
        (
            {"levers": {"government.matching.ratoi": [0.2]}},
            "did you mean 'government.matching.ratio'",
        ),
        (
            {"levers": {"government.matching.ratio": [0.2, 1.5]}},
            "government.matching.ratio = 1.5: must be in [0, 1] (did you mean 0.015?) "
            "(design point 1: government.matching.ratio=1.5)",
        ),
        (
            {"levers": {"challenges[0].solvers": [1], "challenges[sensor-chip].solvers": [2]}},
            "names the same key as 'challenges[0].solvers'",
        ),
        ({"levers": {"government.matching.ratio": [0.2]}, "runs": 0}, "runs = 0"),
        ({"levers": {"government.matching.ratio": [0.2]}, "n": 0}, "n = 0"),
    ],
)
def test_bad_input(sc: Scenario, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        sweep(sc, **{"runs": 2, "seed": 1, **kwargs})


def test_bad_design(sc: Scenario) -> None:
    with pytest.raises(ConfigError, match="an empty sweep"):
        run_design(sc, pd.DataFrame(), runs=2)


def test_doctests() -> None:
    assert doctest.testmod(sweep_module).failed == 0


def test_grid_mixing_null_with_numbers_keeps_null() -> None:
    sc = fundflow.Scenario.from_dict(
        {
            "challenges": [
                {
                    "name": "chip",
                    "total_investment": 10,
                    "solvers": 2,
                    "phases": [
                        {"duration": 1, "cost_share": 0.5, "pass_probability": 0.8},
                        {"duration": 1, "cost_share": 0.5, "pass_probability": 0.8},
                    ],
                }
            ]
        }
    )
    res = fundflow.sweep(sc, levers={"government.matching.cap": [1.0, None]}, runs=20, seed=3)
    caps = res.table["government.matching.cap"].tolist()
    assert caps[0] == 1.0 and caps[1] is None
    # no cap pays at least as much matching as a cap of 1
    assert res.table["gov_gross_outlay_mean"].iloc[1] >= res.table["gov_gross_outlay_mean"].iloc[0]
