"""Global sensitivity (SALib) on a scenario where the answer is obvious."""

from __future__ import annotations

import doctest
import importlib
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fundflow import ConfigError, Scenario
from fundflow.analysis.sensitivity import output_names, sensitivity

sensitivity_module = importlib.import_module("fundflow.analysis.sensitivity")

# The government's (undiscounted) net cost depends on the matching ratio, not on
# the discount rate nor on when the demander's value arrives.
INPUTS = {
    "government.matching.ratio": (0.1, 0.3),
    "discount_rate": (0.0, 0.1),
    "challenges[chip].value_lag": (0.5, 2.0),
}


def program() -> dict[str, Any]:
    return {
        "name": "sensitivity-test",
        "horizon": 8,
        "government": {
            "matching": {"ratio": 0.25, "first_share": 0.3},
            "error_tolerance": {"enabled": True, "rate": 0.3},
        },
        "challenges": [
            {
                "name": "chip",
                "count": 3,
                "total_investment": 20,
                "overrun": {"dist": "lognormal", "median": 1.05, "sigma": 0.15},
                "value_on_success": {"dist": "lognormal", "median": 40, "sigma": 1.0},
                "phases": [
                    {"duration": 1, "cost_share": 0.4, "pass_probability": 0.7},
                    {"duration": 1, "cost_share": 0.6, "pass_probability": 0.6},
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return Scenario.from_dict(program())


@pytest.fixture(scope="module")
def sobol(sc: Scenario) -> pd.DataFrame:
    with pytest.warns(UserWarning, match="challenges_succeeded_mean takes the same value"):
        return sensitivity(
            sc,
            INPUTS,
            ["gov_net_cost_mean", "gov_net_cost_cvar95", "challenges_succeeded_mean"],
            n=16,
            runs=12,
            seed=3,
        )


def test_sobol_frame_is_tidy(sobol: pd.DataFrame) -> None:
    assert sobol.columns.tolist() == ["output", "input", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(sobol) == 9
    assert sobol["input"].tolist()[:3] == list(INPUTS)
    assert sobol.attrs["method"] == "sobol"
    assert sobol.attrs["points"] == 16 * (len(INPUTS) + 2)


def test_sobol_irrelevant_inputs_get_zero_and_the_driver_the_largest(sobol: pd.DataFrame) -> None:
    for output in ("gov_net_cost_mean", "gov_net_cost_cvar95"):
        rows = sobol[sobol["output"] == output].set_index("input")
        # common random numbers: an input that does not touch the output moves it by
        # exactly nothing, so its indices are 0, not noise
        for irrelevant in ("discount_rate", "challenges[chip].value_lag"):
            assert abs(rows.at[irrelevant, "S1"]) < 1e-12
            assert abs(rows.at[irrelevant, "ST"]) < 1e-12
        assert rows["ST"].idxmax() == "government.matching.ratio"
        assert rows.at["government.matching.ratio", "ST"] > 0.8
    # an output no input moves: all zeros (and the warning the fixture expected)
    flat = sobol[sobol["output"] == "challenges_succeeded_mean"]
    assert (flat[["S1", "ST"]].to_numpy() == 0).all()


def test_morris_screens_out_irrelevant_inputs(sc: Scenario) -> None:
    res = sensitivity(sc, INPUTS, "gov_net_cost_mean", method="morris", n=6, runs=10, seed=4)
    assert res.columns.tolist() == ["output", "input", "mu", "mu_star", "mu_star_conf", "sigma"]
    rows = res.set_index("input")
    assert rows.at["discount_rate", "mu_star"] == 0.0
    assert rows.at["challenges[chip].value_lag", "mu_star"] == 0.0
    assert rows["mu_star"].idxmax() == "government.matching.ratio"
    assert rows.at["government.matching.ratio", "mu"] > 0  # more matching costs more
    assert res.attrs["points"] == 6 * (len(INPUTS) + 1)


def test_same_seed_same_indices(sc: Scenario) -> None:
    inputs = {"government.matching.ratio": (0.1, 0.3), "challenges[0].solvers": (1, 3)}
    a = sensitivity(sc, inputs, "gov_net_cost_mean", n=4, runs=4, seed=8)
    b = sensitivity(sc, inputs, "gov_net_cost_mean", n=4, runs=4, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert np.isfinite(a["ST"]).all()


def test_output_names_are_the_sweep_columns(sc: Scenario) -> None:
    names = output_names(sc)
    assert "gov_net_cost_cvar95" in names and "solver_loss_share_mean" in names
    assert "challenges_succeeded_cvar95" not in names


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "sobolev"}, "method = 'sobolev': did you mean 'sobol'?"),
        ({"outputs": "gov_net_cost_cvar"}, "did you mean 'gov_net_cost_cvar95'?"),
        ({"outputs": []}, "name at least one output"),
        ({"inputs": {}}, "an empty sweep"),
        ({"inputs": {"discount_rate": (0.1, 0.1)}}, "low < high"),
        ({"inputs": {"discount_rate": [0.0, 0.05, 0.1]}}, "needs a range (low, high)"),
        ({"inputs": {"discount_rat": (0.0, 0.1)}}, "did you mean 'discount_rate'"),
        (
            {"inputs": {"government.matching.ratio": (0.5, 1.5)}},
            "government.matching.ratio = ",
        ),
    ],
)
def test_bad_input(sc: Scenario, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"inputs": INPUTS, "outputs": "gov_net_cost_mean", **kwargs}
    with pytest.raises(ConfigError, match=re.escape(message)):
        sensitivity(sc, args.pop("inputs"), args.pop("outputs"), n=2, runs=2, seed=1, **args)


def test_doctests() -> None:
    assert doctest.testmod(sensitivity_module).failed == 0
