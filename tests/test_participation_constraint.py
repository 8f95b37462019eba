"""The optimiser's participation constraint is per challenge: ``solver_npv_min``."""

from __future__ import annotations

import copy
import warnings

import pytest

import fundflow
from conftest import make_scenario
from fundflow.analysis.optimization import Search
from fundflow.analysis.sweeps import output_names, run_design


def generous_and_lean() -> dict:
    """Match paid to the solver; 'generous' has the demander pay all of I = 100, 'lean'
    half. At a match ratio r a route is worth 100 r to its solver on 'generous' and
    100 r - 50 on 'lean': the program mean is >= 0 from r = 0.25, 'lean' from 0.5."""
    d = make_scenario(demander_share=1.0)
    d["government"]["matching"]["payee"] = "solver"
    lean = copy.deepcopy(d["challenges"][0])
    lean.update(name="lean", demander_share=0.5)
    d["challenges"][0]["name"] = "generous"
    d["challenges"].append(lean)
    return d


def test_sweep_reports_the_lowest_challenge_npv() -> None:
    sc = fundflow.Scenario.from_dict(generous_and_lean())
    assert {"solver_npv_min", "solver_npv_min_se"} <= set(output_names(sc))
    res = run_design(sc, {"government.matching.ratio": [0.3, 0.6]}, runs=20, seed=1)
    table = res.table
    assert (table["solver_mean_npv_mean"] >= 0).all()  # the program mean clears the bar
    per_challenge = fundflow.simulate(
        fundflow.apply_overrides(sc, {"government.matching.ratio": 0.3}), runs=20, seed=1
    ).challenges["solver_npv_per_route"]
    assert per_challenge["generous"] > 0 > per_challenge["lean"]
    assert table.loc[0, "solver_npv_min"] == pytest.approx(per_challenge.min(), rel=1e-12)
    assert table.loc[0, "solver_npv_min"] < 0 <= table.loc[1, "solver_npv_min"]
    assert table.loc[0, "solver_npv_min_se"] == pytest.approx(0.0, abs=1e-9)  # nothing random


def test_optimiser_treats_a_losing_challenge_as_infeasible() -> None:
    sc = generous_and_lean()
    levers = {"government.matching.ratio": [0.3, 0.4]}
    search = Search(sampler="grid", refine=None)
    program = fundflow.optimize(
        sc, levers, constraints=["solver_mean_npv_mean >= 0"], runs=10, seed=1, search=search
    )
    assert program.feasible  # on average the solvers gain
    with pytest.warns(UserWarning, match="no feasible design"):
        each = fundflow.optimize(
            sc, levers, constraints=["solver_npv_min >= 0"], runs=10, seed=1, search=search
        )
    assert not each.feasible and not each.evaluations["feasible"].any()
    row = each.constraints.iloc[0]
    assert row["constraint"] == "solver_npv_min >= 0" and row["value"] < 0
    assert row["se"] == pytest.approx(0.0, abs=1e-9)


def test_optimiser_finds_the_ratio_that_keeps_every_challenge() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # feasible: no warning
        res = fundflow.optimize(
            generous_and_lean(),
            {"government.matching.ratio": (0.3, 0.8)},
            constraints=["solver_npv_min >= 0"],
            runs=5,
            seed=1,
            search=Search(sampler="grid", n=6, tol=1e-3),
        )
    assert res.feasible
    assert res.best["government.matching.ratio"] == pytest.approx(0.5, abs=2e-3)
