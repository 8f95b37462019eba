"""Dotted-path levers: parsing ``--set`` assignments, reading and overriding keys."""

from __future__ import annotations

import copy
import doctest
import importlib
import re
import warnings
from typing import Any

import numpy as np
import pytest

from fundflow import ConfigError, Scenario
from fundflow.scenario.overrides import (
    SCHEMA,
    apply_overrides,
    get_path,
    known_paths,
    parse_assignment,
    resolve_path,
)

overrides_module = importlib.import_module("fundflow.scenario.overrides")
paths_module = importlib.import_module("fundflow.scenario.paths")


def base() -> dict[str, Any]:
    """Two named challenges; the second leaves its phases to the defaults."""
    return {
        "name": "levers",
        "horizon": 10,
        "government": {"matching": {"ratio": 0.25, "cap": 10}},
        "challenges": [
            {
                "name": "sensor-chip",
                "total_investment": 20,
                "solvers": 2,
                "group": "chips",
                "overrun": {"dist": "lognormal", "median": 1.05, "sigma": 0.15},
                "phases": [
                    {
                        "name": "development",
                        "duration": 1,
                        "cost_share": 0.4,
                        "pass_probability": 0.75,
                    },
                    {
                        "name": "validation",
                        "duration": 1,
                        "cost_share": 0.6,
                        "pass_probability": 0.7,
                    },
                ],
            },
            {"name": "software", "total_investment": 12},
        ],
        "correlation": {"chips": 0.3},
    }


def full() -> dict[str, Any]:
    """Every section of docs/scenario-reference.md present."""
    data = base()
    data["discount_rate"] = 0.03
    data["money_unit"] = "CNY million"
    data["government"] = {
        "annual_budget": 50,
        "matching": {
            "ratio": 0.25,
            "cap": 10,
            "mode": "milestones",
            "first_share": 0.3,
            "tranches": [{"after": 0, "share": 0.5}, {"after": 2, "share": 0.5}],
            "payment_lag": 0.25,
        },
        "error_tolerance": {
            "enabled": True,
            "rate": 0.3,
            "base": "unrecovered_cost",
            "cap": 2,
            "misconduct_probability": 0.02,
        },
        "clawback_without_tolerance": 1.0,
        "tax": {
            "rd_super_deduction": 1.0,
            "corporate_tax_rate": {"demander": 0.25, "solver": 0.15},
        },
    }
    data["solver"] = {"reserve": 100}
    data["challenges"][0].update(
        count=2,
        category="ic",
        start=0,
        selection_time=0.25,
        demander_share=0.6,
        demander_installments=[{"after": 0, "share": 0.3}, {"after": 2, "share": 0.7}],
        race={"select_after": 1, "keep": 1, "compensate_eliminated": True},
        booking_period=0.5,
        value_on_success=40,
        value_lag=1,
    )
    data["guided_fund"] = {
        "enabled": True,
        "size": 200,
        "government_share": 0.25,
        "start": 0,
        "life": 10,
        "invest_years": 5,
        "ticket": 10,
        "invest_lag": 0.5,
        "holding_period": 4,
        "exit_multiple": 1.5,
        "management_fee": 0.015,
        "hurdle": 0.06,
        "carry": 0.2,
        "government_concession": 0.5,
        "government_first_loss": 0.4,
        "early_exit": {"year": 5, "rate": 0.03},
    }
    data["credit"] = {
        "enabled": True,
        "loan_share": 0.5,
        "interest_rate": 0.045,
        "guarantee_fee": 0.01,
        "default_probability_on_failure": 0.5,
        "default_probability_on_success": 0.02,
        "loss_given_default": 0.6,
        "risk_sharing": {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.1},
    }
    return data


@pytest.fixture
def sc() -> Scenario:
    return Scenario.from_dict(base())


# --- parse_assignment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("government.matching.ratio=0.3", ("government.matching.ratio", 0.3)),
        (" government.annual_budget = null ", ("government.annual_budget", None)),
        ("government.error_tolerance.enabled=true", ("government.error_tolerance.enabled", True)),
        ("challenges[0].solvers=3", ("challenges[0].solvers", 3)),
        ("government.annual_budget=1e3", ("government.annual_budget", 1000.0)),
        ("government.matching.mode=upfront", ("government.matching.mode", "upfront")),
        (
            "challenges[sensor-chip].overrun={dist: uniform, low: 1, high: 1.2}",
            ("challenges[sensor-chip].overrun", {"dist": "uniform", "low": 1, "high": 1.2}),
        ),
        (
            "government.matching.tranches=[{after: 0, share: 1}]",
            ("government.matching.tranches", [{"after": 0, "share": 1}]),
        ),
        ("name=a=b", ("name", "a=b")),
    ],
)
def test_parse_assignment_reads_yaml_values(text: str, expected: tuple[str, Any]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("government.matching.ratio", "must be PATH=VALUE"),
        ("government.matching.ratio=", "a value is needed"),
        ("government.matching.ratio=[0.1, 0.2", "not valid YAML"),
        ("=0.3", "a path must be non-empty"),
        ("government..ratio=0.3", "malformed path"),
        ("challenges[0.ratio=0.3", "malformed path"),
    ],
)
def test_parse_assignment_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_assignment(text)


# --- get_path ----------------------------------------------------------------------------


def test_get_path_reads_present_and_default_values(sc: Scenario) -> None:
    assert get_path(sc, "government.matching.ratio") == 0.25
    assert get_path(sc, "challenges[0].phases[1].pass_probability") == 0.7
    assert get_path(sc, "challenges[sensor-chip].phases[validation].pass_probability") == 0.7
    assert get_path(sc, "challenges[sensor-chip].overrun.sigma") == 0.15
    assert get_path(sc, "correlation.chips") == 0.3
    # keys the file leaves out: the value the scenario uses
    assert get_path(sc, "government.annual_budget") is None
    assert get_path(sc, "government.matching.mode") == "two_phase"
    assert get_path(sc, "challenges[software].solvers") == 1
    assert get_path(sc, "challenges[software].phases[1].pass_probability") == 0.67
    assert get_path(sc, "guided_fund.size") is None  # the section is off


def test_get_path_returns_a_copy(sc: Scenario) -> None:
    phases = get_path(sc, "challenges[0].phases")
    phases[0]["pass_probability"] = 0.0
    assert get_path(sc, "challenges[0].phases[0].pass_probability") == 0.75


def test_get_path_on_a_plain_mapping() -> None:
    data = base()
    assert get_path(data, "challenges[sensor-chip].solvers") == 2
    with pytest.raises(ConfigError, match="not present"):
        get_path(data, "government.annual_budget")


def test_get_path_unknown_suggests(sc: Scenario) -> None:
    with pytest.raises(ConfigError, match=re.escape("did you mean 'government.matching.ratio'")):
        get_path(sc, "government.matching.ration")


def test_resolve_path_turns_names_into_indices(sc: Scenario) -> None:
    assert resolve_path(sc, "challenges[software].solvers") == "challenges[1].solvers"
    assert (
        resolve_path(sc, "challenges[sensor-chip].phases[validation].duration")
        == "challenges[0].phases[1].duration"
    )


# --- apply_overrides ---------------------------------------------------------------------


def test_apply_overrides_sets_dotted_paths_with_indices_and_names(sc: Scenario) -> None:
    new = apply_overrides(
        sc,
        {
            "government.matching.ratio": 0.3,
            "challenges[0].phases[1].pass_probability": 0.8,
            "challenges[software].total_investment": 15,
            "challenges[sensor-chip].phases[development].duration": {
                "dist": "uniform",
                "low": 0.5,
                "high": 1.5,
            },
            "challenges[sensor-chip].overrun.sigma": 0.3,
        },
    )
    assert new.government.matching.ratio == 0.3
    assert new.challenges[0].phases[1].pass_probability == 0.8
    assert new.challenges[1].total_investment == 15
    assert new.challenges[0].phases[0].duration.family == "uniform"
    assert dict(new.challenges[0].overrun.params) == {"median": 1.05, "sigma": 0.3}
    # the base is untouched, and the new scenario's source holds the edit
    assert sc.government.matching.ratio == 0.25
    assert new.to_dict()["government"]["matching"]["ratio"] == 0.3


def test_numpy_scalars_are_taken_as_python_numbers(sc: Scenario) -> None:
    new = apply_overrides(sc, {"challenges[0].solvers": np.int64(3), "horizon": np.float32(9)})
    assert new.challenges[0].solvers == 3 and new.horizon == 9
    assert type(new.to_dict()["challenges"][0]["solvers"]) is int


def test_apply_overrides_accepts_a_mapping_and_leaves_it_alone() -> None:
    data = base()
    before = copy.deepcopy(data)
    new = apply_overrides(data, {"horizon": 8})
    assert new.horizon == 8
    assert data == before


def test_keys_absent_from_the_file_can_be_set(sc: Scenario) -> None:
    new = apply_overrides(
        sc,
        {
            "government.annual_budget": 30,
            "government.error_tolerance.enabled": True,
            "solver.reserve": 5,
            "challenges[software].race.keep": 1,
            "guided_fund": {"size": 100, "ticket": 10},
            "guided_fund.early_exit.year": 4,
        },
    )
    assert new.government.annual_budget == 30
    assert new.government.error_tolerance.enabled
    assert new.solver.reserve == 5
    assert new.guided_fund is not None and new.guided_fund.early_exit is not None
    assert new.guided_fund.early_exit.year == 4


def test_default_lists_are_written_out_when_indexed(sc: Scenario) -> None:
    new = apply_overrides(sc, {"challenges[software].phases[1].pass_probability": 0.9})
    phases = new.challenges[1].phases
    assert [p.pass_probability for p in phases] == [0.75, 0.9]  # phase 0 keeps its default
    assert [p.name for p in phases] == ["development", "validation"]
    again = apply_overrides(sc, {"challenges[software].phases[validation].cost_share": 0.6})
    assert again.challenges[1].phases[1].cost_share == 0.6  # 0.4 + 0.6 still sum to 1


def test_values_are_validated_like_the_file(sc: Scenario) -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides(sc, {"challenges[0].phases[0].pass_probability": 1.4})
    assert str(err.value) == (
        "challenges[0].phases[0].pass_probability = 1.4: must be in [0, 1] (did you mean 0.014?)"
    )
    with pytest.raises(ConfigError, match=r"government.matching.ratio = 'high': must be a number"):
        apply_overrides(sc, {"government.matching.ratio": "high"})
    with pytest.raises(ConfigError, match="did you mean 'upfront'"):
        apply_overrides(sc, {"government.matching.mode": "upfrnt"})
    with pytest.raises(
        ConfigError, match=re.escape("challenges[0].solvers = 0: must be a whole number >= 1")
    ):
        apply_overrides(sc, {"challenges[0].solvers": 0})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("government.matching.rato", "did you mean 'government.matching.ratio'"),
        ("government.anual_budget", "did you mean 'government.annual_budget'"),
        (
            "challenges[0].pass_probability",
            "did you mean 'challenges[0].phases[1].pass_probability'",
        ),
        (
            "challenges[1].phases[0].pas_probability",
            "did you mean 'challenges[1].phases[0].pass_probability'",
        ),
        ("guided_fund.sise", "did you mean 'guided_fund.size'"),
        ("goverment.matching.ratio", "did you mean 'government.matching.ratio'"),
        (
            "challenges[sensor-chp].solvers",
            "no item named 'sensor-chp'; did you mean 'sensor-chip'",
        ),
        ("challenges[2].solvers", "index out of range: challenges has 2 item(s), 0..1"),
        ("government.matching.ratio.low", "not a mapping, so it has no key 'low'"),
        ("horizon[0]", "not a list"),
    ],
)
def test_unknown_paths_suggest_the_nearest(sc: Scenario, path: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        apply_overrides(sc, {path: 1})


def test_unknown_key_lists_the_keys_under_its_parent(sc: Scenario) -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides(sc, {"government.matching.zzz": 1})
    assert "keys under government.matching: cap, first_share, mode" in str(err.value)
    assert err.value.path == "government.matching.zzz"


def test_a_key_the_validator_knows_but_schema_misses_is_tried(
    sc: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate SCHEMA falling behind config.py: drop a key, it must still be settable.
    schema = copy.deepcopy(SCHEMA)
    del schema["government"]["annual_budget"]
    monkeypatch.setattr(paths_module, "SCHEMA", schema)
    assert apply_overrides(sc, {"government.annual_budget": 30}).government.annual_budget == 30
    with pytest.raises(ConfigError, match="no such key"):
        apply_overrides(sc, {"government.annual_budgt": 30})


# --- SCHEMA agrees with the validator ---------------------------------------------------


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    trial = copy.deepcopy(data)
    sc = Scenario.from_dict(data)
    from fundflow.scenario.paths import _walk, path_tokens

    node, last, _ = _walk(trial, path_tokens(path), sc)
    node[last] = value
    return trial


def test_every_schema_path_is_read_by_the_validator() -> None:
    data = full()
    sc = Scenario.from_dict(data)
    paths = known_paths(sc)
    assert "guided_fund.early_exit.rate" in paths and "credit.risk_sharing.bank" in paths
    for path in paths:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Scenario.from_dict(_set(data, path, "zz-sentinel"))
        except ConfigError as exc:
            assert "unknown key" not in exc.allowed, path


@pytest.mark.parametrize(
    "section",
    [
        "",
        "government",
        "government.matching",
        "government.matching.tranches[0]",
        "government.error_tolerance",
        "government.tax",
        "solver",
        "challenges[0]",
        "challenges[0].race",
        "challenges[0].phases[0]",
        "challenges[0].demander_installments[0]",
        "guided_fund",
        "guided_fund.early_exit",
        "credit",
        "credit.risk_sharing",
    ],
)
def test_schema_knows_every_key_the_validator_reads(section: str) -> None:
    data = full()
    path = f"{section}.zz_unknown" if section else "zz_unknown"
    with pytest.raises(ConfigError) as err:
        Scenario.from_dict(_set(data, path, 1))
    allowed = err.value.allowed.split("allowed here: ", 1)[1].split(", ")
    spec: Any = SCHEMA
    for part in section.replace("[0]", ".[]").split("."):
        if part == "[]":
            spec = spec[0]
        elif part:
            spec = spec[part]
    assert sorted(allowed) == sorted(spec)


def test_doctests() -> None:
    assert doctest.testmod(overrides_module).failed == 0
    assert doctest.testmod(paths_module).failed == 0


def test_exponent_numbers_inside_a_set_value_are_numbers() -> None:
    # YAML 1.1 reads a bare 1e3 as text; --set reads values like a scenario file does
    path, value = parse_assignment(
        "challenges[0].overrun={dist: lognormal, median: 1e0, sigma: 2.5e-1}"
    )
    assert path == "challenges[0].overrun"
    assert value == {"dist": "lognormal", "median": 1.0, "sigma": 0.25}
