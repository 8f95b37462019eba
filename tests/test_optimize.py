"""Program-design optimisation on a case whose optimum is computed by hand.

Two challenges, one route each, fixed outcomes (pass probabilities 1 or 0), no
overrun on the first, no discounting, error tolerance on, no caps, no misconduct:

* ``fails``: I = 10, D = 0.5 I = 5 paid 0.3 / 0.4 / 0.3 at milestones 0 / 1 / 2;
  passes review 1, fails acceptance. It spent I = 10 and received (0.3 + 0.4) D =
  3.5: unrecovered cost U = 6.5, compensation c U at rate c. Solver cash:
  -(1 - c) U.
* ``earns``: I = 10, D = I (demander_share 1), overrun 0.8: succeeds, spends 8,
  receives 10. Solver cash: +2.

So the solvers' expected NPV (= net cash at r = 0) is ``2 - (1 - c) 6.5``, >= 0
iff ``c >= c* = 1 - 2 / 6.5 = 9 / 13``. The government pays matching
``ratio x 10`` on ``earns`` (both tranches) and ``0.3 ratio x 10`` on ``fails`` (the
first tranche; nothing clawed back under tolerance) plus ``6.5 c``:
``gov_net_cost = 13 ratio + 6.5 c``, increasing in both. Minimising it subject to
``solver_npv_mean >= 0`` gives ``c = 9/13`` and ``ratio`` at its lower bound.
Matching goes to the demander (docs/model.md), so it does not help the solver.
"""

from __future__ import annotations

import doctest
import importlib
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fundflow import ConfigError, Scenario, simulate
from fundflow.analysis.optimization import Constraint, Search, optimize

optimize_module = importlib.import_module("fundflow.analysis.optimization")

C_STAR = 1 - 2 / 6.5  # 9/13
RATE = "government.error_tolerance.rate"
RATIO = "government.matching.ratio"
NPV_OK = "solver_npv_mean >= 0"


def challenge(name: str, p2: float, demander_share: float, overrun: float) -> dict[str, Any]:
    return {
        "name": name,
        "total_investment": 10,
        "demander_share": demander_share,
        "overrun": overrun,
        "phases": [
            {"duration": 1, "cost_share": 0.4, "pass_probability": 1},
            {"duration": 1, "cost_share": 0.6, "pass_probability": p2},
        ],
    }


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return Scenario.from_dict(
        {
            "name": "hand-computed",
            "horizon": 10,
            "discount_rate": 0.0,
            "government": {
                "matching": {"ratio": 0.25, "first_share": 0.3, "cap": None},
                "error_tolerance": {"enabled": True, "rate": 0.3, "cap": None},
            },
            "challenges": [challenge("fails", 0, 0.5, 1.0), challenge("earns", 1, 1.0, 0.8)],
        }
    )


def gov_cost(ratio: float, rate: float) -> float:
    return 13 * ratio + 6.5 * rate


def test_the_hand_computation_holds(sc: Scenario) -> None:
    res = simulate(sc, runs=2, seed=0)
    runs = res.runs
    assert runs["solver_npv"].tolist() == pytest.approx([2 - (1 - 0.3) * 6.5] * 2)
    assert runs["gov_net_cost"].tolist() == pytest.approx([gov_cost(0.25, 0.3)] * 2)


def test_finds_the_least_compensation_that_keeps_solvers_in(sc: Scenario) -> None:
    res = optimize(
        sc,
        {RATE: (0.0, 1.0)},
        "gov_net_cost_mean",
        [NPV_OK],
        runs=2,
        seed=1,
        search=Search(n=16, tol=1e-5),
    )
    assert res.feasible
    rate = res.best[RATE]
    assert C_STAR <= rate < C_STAR + 1e-4
    assert res.objective == pytest.approx(gov_cost(0.25, rate), abs=1e-9)
    row = res.constraints.iloc[0]
    assert row["constraint"] == NPV_OK
    assert 0 <= row["slack"] < 6.5 * 1e-4  # on the boundary: binding
    assert row["binding"]
    assert row["objective_if_relaxed"] < res.objective  # dropping it would pay less
    assert res.scenario.government.error_tolerance.rate == rate
    assert set(res.evaluations["stage"]) == {"search", "refine"}


def test_two_levers_one_at_its_bound(sc: Scenario) -> None:
    res = optimize(
        sc,
        {RATE: (0.0, 1.0), RATIO: (0.1, 0.3)},
        "gov_net_cost_mean",
        [NPV_OK, "solver_loss_share_mean <= 0.6"],
        runs=2,
        seed=2,
        search=Search(n=16, tol=1e-5, max_rounds=80),
    )
    assert res.feasible
    assert res.best[RATIO] == 0.1
    assert C_STAR <= res.best[RATE] < C_STAR + 1e-4
    assert res.objective == pytest.approx(gov_cost(0.1, C_STAR), abs=1e-3)
    cons = res.constraints.set_index("constraint")
    assert cons.at[NPV_OK, "binding"]
    # the failing route always loses something (c < 1): loss share 1/2 <= 0.6, not binding
    assert not cons.at["solver_loss_share_mean <= 0.6", "binding"]
    assert cons.at["solver_loss_share_mean <= 0.6", "slack"] == pytest.approx(0.1)


def test_nelder_mead_refinement(sc: Scenario) -> None:
    res = optimize(
        sc,
        {RATE: (0.0, 1.0)},
        constraints=[NPV_OK],
        runs=2,
        seed=1,
        search=Search(n=8, refine="nelder-mead", tol=1e-4, max_rounds=40),
    )
    assert res.feasible
    assert C_STAR - 1e-8 <= res.best[RATE] < C_STAR + 0.02  # feasible within 1e-9 of the bound


def test_grid_without_refinement_picks_the_best_grid_point(sc: Scenario) -> None:
    rates = [0.5, 0.6, 0.7, 0.8, 0.9]
    res = optimize(
        sc,
        {RATE: rates},
        "gov_net_cost_mean / challenges_succeeded_mean",  # per succeeded challenge (1 here)
        [NPV_OK],
        runs=2,
        seed=1,
        search=Search(sampler="grid", refine=None),
    )
    assert res.best[RATE] == 0.7  # the smallest grid value >= 9/13
    assert len(res.evaluations) == len(rates)
    assert res.evaluations["feasible"].tolist() == [False, False, True, True, True]


def test_no_feasible_design_returns_the_least_infeasible(sc: Scenario) -> None:
    with pytest.warns(UserWarning, match="no feasible design"):
        res = optimize(
            sc,
            {RATE: (0.0, 0.5), RATIO: (0.1, 0.3)},
            constraints=[NPV_OK],
            runs=2,
            seed=1,
            search=Search(n=8),
        )
    assert not res.feasible
    assert "no feasible design" in res.message
    # the violation 6.5 (1 - c) - 2 shrinks with c: the least infeasible is c = 0.5,
    # and among equally infeasible designs the cheapest ratio
    assert res.best[RATE] == 0.5
    assert res.best[RATIO] == 0.1
    row = res.constraints.iloc[0]
    assert row["slack"] == pytest.approx(2 - 0.5 * 6.5)
    assert row["binding"]
    assert row["objective_if_relaxed"] < res.objective  # without it, c = 0 would do


def test_pareto_front_is_non_dominated(sc: Scenario) -> None:
    res = optimize(
        sc,
        {RATE: (0.0, 1.0), RATIO: (0.1, 0.3)},
        constraints=[NPV_OK],
        pareto=("gov_net_cost_cvar95", "-solver_npv_mean"),
        runs=2,
        seed=3,
        search=Search(n=16, refine=None),
    )
    front = res.pareto
    a, b = front["gov_net_cost_cvar95"].to_numpy(), front["-solver_npv_mean"].to_numpy()
    assert (np.diff(a) >= 0).all() and (np.diff(b) < 0).all()
    ev = res.evaluations
    all_a = ev["gov_net_cost_cvar95"].to_numpy()
    all_b = -ev["solver_npv_mean"].to_numpy()
    for x, y in zip(a, b, strict=True):
        dominated = (all_a <= x) & (all_b <= y) & ((all_a < x) | (all_b < y))
        assert not dominated.any()
    assert set(front.columns) >= {RATE, RATIO, "objective", "feasible"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "gov_net_cost_man"}, "did you mean 'gov_net_cost_mean'?"),
        ({"objective": "gov_net_cost_mean +"}, "must be a column of the sweep table"),
        ({"constraints": ["solver_npv_mean = 0"]}, "must read 'EXPR <= NUMBER'"),
        ({"constraints": [("solver_npv_mean", "==", 0)]}, "must be (expression, '<=' or '>='"),
        ({"constraints": ["solver_npv_men >= 0"]}, "did you mean 'solver_npv_mean'?"),
        ({"pareto": ("gov_net_cost_cvar95",)}, "must be two measures"),
        ({"search": Search(refine="simplex")}, "search.refine = 'simplex'"),
        ({"search": Search(sampler="random")}, "search.sampler = 'random'"),
        (
            {"levers": {"government.matching.ratoi": (0.1, 0.3)}},
            "did you mean 'government.matching.ratio'",
        ),
        ({"levers": {}}, "an empty sweep"),
    ],
)
def test_bad_input(sc: Scenario, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"levers": {RATE: (0.0, 1.0)}, "constraints": [NPV_OK], **kwargs}
    with pytest.raises(ConfigError, match=re.escape(message)):
        optimize(sc, args.pop("levers"), runs=2, seed=1, **args)


def test_constraint_parsing() -> None:
    assert Constraint.parse("solver_loss_share_mean<0.3") == Constraint(
        "solver_loss_share_mean", "<=", 0.3
    )
    assert Constraint.parse(("a / b", ">=", -1)) == Constraint("a / b", ">=", -1.0)
    assert str(Constraint.parse("x >= 1e-3")) == "x >= 0.001"


def test_evaluations_table(sc: Scenario) -> None:
    res = optimize(sc, {RATE: (0.0, 1.0)}, constraints=[NPV_OK], runs=2, seed=1)
    ev = res.to_frame()
    assert ev.index.name == "design_point"
    assert ev.columns[:5].tolist() == [RATE, "stage", "objective", "violation", "feasible"]
    assert isinstance(ev, pd.DataFrame) and ev[RATE].is_unique


def test_doctests() -> None:
    assert doctest.testmod(optimize_module).failed == 0
