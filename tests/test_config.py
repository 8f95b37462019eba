"""Scenario validation (docs/scenario-reference.md, issue 2 "Bad input").

Every bad input gives exactly one ``fundflow.ConfigError`` whose message names the
dotted path, the value and what is allowed, with no traceback from PyYAML or
scipy chained to it. The good path: every shipped config loads, ``count`` expands,
defaults apply when sections are left out, and scenarios are frozen.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import fundflow
from conftest import make_scenario
from fundflow import ConfigError, Scenario, load_scenario
from fundflow.errors import format_value

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.yaml"))


# --------------------------------------------------------------------------- helpers


def _steps(path: str) -> list[str | int]:
    """``"a.b[2].c"`` -> ``["a", "b", 2, "c"]``."""
    out: list[str | int] = []
    for part in path.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        if name:
            out.append(name)
        out.extend(int(i) for i in indices if i != "")
    return out


def with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the field at dotted ``path`` set to ``value``."""
    data = copy.deepcopy(data)
    *head, last = _steps(path)
    node: Any = data
    for step in head:
        node = node[step]
    node[last] = value
    return data


def renamed(data: dict[str, Any], path: str, new_key: str) -> dict[str, Any]:
    """A deep copy of ``data`` with the key at ``path`` renamed to ``new_key``."""
    data = copy.deepcopy(data)
    *head, last = _steps(path)
    node: Any = data
    for step in head:
        node = node[step]
    node[new_key] = node.pop(last)
    return data


def config_error(data: Any) -> ConfigError:
    """The one ConfigError that ``Scenario.from_dict(data)`` raises."""
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    return _checked(info.value)


def file_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    return _checked(info.value)


def _checked(err: ConfigError) -> ConfigError:
    """A ConfigError is one readable line with no library traceback behind it."""
    message = str(err)
    assert message and "\n" not in message, message
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__
    assert "Traceback" not in message
    return err


def assert_names(err: ConfigError, path: str, value: str | None, *allowed: str) -> None:
    """The message starts with the dotted path, shows the value and what is allowed."""
    message = str(err)
    assert err.path == path, message
    assert message.startswith(path), message
    if value is not None:
        assert f"= {value}" in message, message
    for fragment in allowed:
        assert fragment in message, message


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def base() -> dict[str, Any]:
    return make_scenario()


def three_phases() -> dict[str, Any]:
    return make_scenario(
        p=(0.9, 0.8, 0.7),
        cost_shares=(0.2, 0.3, 0.5),
        durations=(1.0, 1.0, 1.0),
        installments=(0.25, 0.25, 0.25, 0.25),
    )


# --------------------------------------------------------------------------- wrong values


@pytest.mark.parametrize("value", [1.4, -0.1, float("nan"), float("inf")])
def test_probability_out_of_range(value: float) -> None:
    path = "challenges[0].phases[0].pass_probability"
    err = config_error(with_value(base(), path, value))
    allowed = "must be in [0, 1]" if math.isfinite(value) else "must be a finite number in [0, 1]"
    assert_names(err, path, repr(value), allowed)
    assert err.value == value or (math.isnan(value) and math.isnan(err.value))


def test_probability_message_is_the_documented_one() -> None:
    data = with_value(base(), "challenges[0].phases[0].pass_probability", 1.4)
    assert str(config_error(data)) == (
        "challenges[0].phases[0].pass_probability = 1.4: must be in [0, 1] (did you mean 0.014?)"
    )


@pytest.mark.parametrize("value", [-5, 0])
def test_negative_or_zero_investment(value: float) -> None:
    path = "challenges[0].total_investment"
    err = config_error(with_value(base(), path, value))
    assert_names(err, path, repr(value), "must be > 0")


@pytest.mark.parametrize(
    ("path", "value", "allowed"),
    [
        ("government.matching.ratio", -0.1, "must be in [0, 1]"),
        ("government.matching.cap", -1, "must be >= 0"),
        ("government.matching.payment_lag", -0.5, "must be >= 0"),
        ("government.matching.first_share", 1.5, "must be in [0, 1]"),
        ("government.error_tolerance.rate", 2, "must be in [0, 1]"),
        ("government.error_tolerance.misconduct_probability", -0.2, "must be in [0, 1]"),
        ("government.clawback_without_tolerance", 1.2, "must be in [0, 1]"),
        ("horizon", 0, "must be in (0, 200]"),
        ("challenges[0].demander_share", 1.01, "must be in [0, 1]"),
        ("challenges[0].booking_period", 0, "must be > 0"),
        ("challenges[0].solvers", 0, "must be a whole number >= 1"),
        ("challenges[0].count", 2.5, "must be a whole number >= 1"),
        ("challenges[0].phases[1].duration", -1, "durations must be >= 0"),
        ("challenges[0].overrun", -0.5, "overrun factor must be >= 0"),
    ],
)
def test_value_out_of_range(path: str, value: Any, allowed: str) -> None:
    err = config_error(with_value(base(), path, value))
    assert_names(err, path, repr(value), allowed)


@pytest.mark.parametrize(
    ("key", "path", "shares"),
    [
        (
            "demander_installments",
            "challenges[0].demander_installments",
            [{"after": 0, "share": 0.5}, {"after": 2, "share": 0.4}],
        ),
        (
            "demander_installments",
            "challenges[0].demander_installments",
            [{"after": 0, "share": 0.7}, {"after": 1, "share": 0.4}],
        ),
    ],
)
def test_installment_shares_not_summing_to_one(key: str, path: str, shares: list[Any]) -> None:
    err = config_error(with_value(base(), path, shares))
    total = sum(s["share"] for s in shares)
    assert_names(err, path, None, "must sum to 1", f"{total:g}")
    assert "'share'" in str(err)  # the value is shown


def test_tranche_shares_not_summing_to_one() -> None:
    data = make_scenario(mode="milestones", tranches=[(0, 0.3), (2, 0.6)])
    err = config_error(data)
    assert_names(err, "government.matching.tranches", None, "must sum to 1", "0.9")


def test_cost_shares_not_summing_to_one() -> None:
    data = with_value(base(), "challenges[0].phases[1].cost_share", 0.5)
    err = config_error(data)
    assert_names(err, "challenges[0].phases", "[0.4, 0.5]", "cost_share must sum to 1")


def test_milestones_tranche_after_a_missing_phase() -> None:
    data = make_scenario(mode="milestones", tranches=[(0, 0.3), (1, 0.3), (3, 0.4)])
    err = config_error(data)
    assert_names(err, "government.matching.tranches[2].after", "3", "must be a milestone 0..2")


def test_milestones_tranche_after_a_missing_phase_names_its_own_index() -> None:
    data = make_scenario(mode="milestones", tranches=[(3, 0.4), (0, 0.3), (1, 0.3)])
    err = config_error(data)
    assert_names(err, "government.matching.tranches[0].after", "3", "must be a milestone 0..2")


def test_milestones_tranche_checked_against_the_shortest_challenge() -> None:
    data = three_phases()
    data["government"]["matching"].update(
        mode="milestones", tranches=[{"after": 0, "share": 0.5}, {"after": 3, "share": 0.5}]
    )
    assert Scenario.from_dict(data).challenges[0].n_phases == 3  # fits three phases
    short = copy.deepcopy(make_scenario()["challenges"][0])
    short["name"] = "short"
    data["challenges"].append(short)
    err = config_error(data)
    assert_names(err, "government.matching.tranches[1].after", "3", "0..2", "'short'")


def test_milestones_mode_needs_tranches() -> None:
    err = config_error(make_scenario(mode="milestones"))
    assert_names(err, "government.matching.tranches", None, "missing", "milestones")


def test_installment_after_a_missing_phase() -> None:
    path = "challenges[0].demander_installments"
    data = with_value(
        base(),
        path,
        [{"after": 0, "share": 0.5}, {"after": 1, "share": 0.25}, {"after": 3, "share": 0.25}],
    )
    err = config_error(data)
    assert_names(err, f"{path}[2].after", "3", "must be a milestone 0..2")


def test_race_select_after_must_precede_acceptance() -> None:
    data = make_scenario(solvers=2, race={"select_after": 2})
    err = config_error(data)
    assert_names(err, "challenges[0].race.select_after", "2", "1..1")


def test_correlation_must_be_below_one() -> None:
    data = make_scenario()
    data["challenges"][0]["group"] = "chips"
    data["correlation"] = {"chips": 1.0}
    err = config_error(data)
    assert_names(err, "correlation.chips", "1.0", "must be in [0, 1)")


def test_duplicate_challenge_names() -> None:
    data = make_scenario()
    data["challenges"].append(copy.deepcopy(data["challenges"][0]))
    err = config_error(data)
    assert_names(err, "challenges[1].name", "'challenge'", "unique")


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize(
    ("field", "dist", "missing", "needs"),
    [
        ("phases[0].duration", {"dist": "triangular", "low": 1, "high": 2}, "mode", "low, mode"),
        ("overrun", {"dist": "lognormal", "median": 1.05}, "sigma", "median, sigma"),
        ("value_on_success", {"dist": "uniform", "low": 1}, "high", "low, high"),
        ("phases[1].duration", {"dist": "normal", "mean": 1}, "sd", "mean, sd"),
        ("overrun", {"dist": "beta", "a": 2}, "b", "a, b"),
    ],
)
def test_distribution_missing_parameter(
    field: str, dist: dict[str, Any], missing: str, needs: str
) -> None:
    path = f"challenges[0].{field}"
    err = config_error(with_value(base(), path, dist))
    assert_names(err, f"{path}.{missing}", None, "missing", needs, dist["dist"])


def test_distribution_without_family() -> None:
    path = "challenges[0].phases[0].duration"
    err = config_error(with_value(base(), path, {"low": 1, "high": 2}))
    assert_names(err, f"{path}.dist", "None", "needs 'dist'", "triangular")


def test_unknown_distribution_suggests_the_nearest() -> None:
    path = "challenges[0].phases[0].duration"
    err = config_error(with_value(base(), path, {"dist": "trianglar", "low": 1, "high": 2}))
    assert_names(err, f"{path}.dist", "'trianglar'", "unknown distribution", "'triangular'")


def test_distribution_unknown_parameter_suggests_the_nearest() -> None:
    path = "challenges[0].overrun"
    err = config_error(with_value(base(), path, {"dist": "lognormal", "median": 1, "sigm": 0.2}))
    assert_names(err, f"{path}.sigm", "0.2", "did you mean 'sigma'")


@pytest.mark.parametrize(
    ("dist", "bad", "allowed"),
    [
        ({"dist": "lognormal", "median": 1.0, "sigma": -0.2}, "sigma", "must be > 0"),
        ({"dist": "triangular", "low": 2, "mode": 1, "high": 3}, "mode", "[low, high]"),
        ({"dist": "uniform", "low": 2, "high": 1}, "high", "greater than low"),
        ({"dist": "lognormal", "median": 1.0, "sigma": "wide"}, "sigma", "finite number"),
    ],
)
def test_distribution_bad_parameter(dist: dict[str, Any], bad: str, allowed: str) -> None:
    path = "challenges[0].overrun"
    err = config_error(with_value(base(), path, dist))
    assert_names(err, f"{path}.{bad}", repr(dist[bad]), allowed)


def test_distribution_support_outside_the_allowed_range() -> None:
    path = "challenges[0].phases[0].duration"
    err = config_error(with_value(base(), path, {"dist": "normal", "mean": 1, "sd": 0.2}))
    assert_names(err, path, None, "durations must be >= 0", "ranges over")


def test_scipy_family_is_accepted() -> None:
    data = with_value(base(), "challenges[0].overrun", {"dist": "gamma", "a": 2.0, "scale": 0.5})
    assert Scenario.from_dict(data).challenges[0].overrun.family == "gamma"


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("path", "typo", "meant"),
    [
        ("government.matching.first_share", "first_shar", "first_share"),
        ("government.matching.payment_lag", "paymnt_lag", "payment_lag"),
        ("government.error_tolerance.misconduct_probability", "misconduct_probabilty", None),
        ("challenges[0].booking_period", "bookng_period", "booking_period"),
        ("challenges[0].value_lag", "value_lagg", "value_lag"),
        ("horizon", "horizn", "horizon"),
        ("discount_rate", "discount_rat", "discount_rate"),
    ],
)
def test_misspelt_optional_key_suggests_the_nearest(
    path: str, typo: str, meant: str | None
) -> None:
    meant = meant or path.rsplit(".", 1)[-1]
    err = config_error(renamed(base(), path, typo))
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    typo_path = f"{parent}.{typo}" if parent else typo
    assert_names(err, typo_path, None, "unknown key", f"did you mean '{meant}'")


def test_extra_key_next_to_the_right_one_is_unknown() -> None:
    data = with_value(base(), "challenges[0].phases[0].pass_probabilty", 0.5)
    err = config_error(data)
    assert_names(
        err,
        "challenges[0].phases[0].pass_probabilty",
        "0.5",
        "unknown key",
        "did you mean 'pass_probability'",
    )


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ("challenges[0].phases[0].pass_probability", "pass_probabilty"),
        ("challenges[0].total_investment", "total_investmnt"),
        ("challenges", "challenge"),
    ],
)
def test_misspelt_required_key_suggests_the_nearest(path: str, typo: str) -> None:
    """A required key written with a typo: the message names the typo and the key."""
    err = config_error(renamed(base(), path, typo))
    meant = path.rsplit(".", 1)[-1]
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    assert_names(
        err, f"{parent}.{typo}" if parent else typo, None, "unknown key", f"did you mean '{meant}'"
    )


def test_unknown_top_level_key() -> None:
    data = base()
    data["guided_funds"] = {"size": 100}
    err = config_error(data)
    assert_names(err, "guided_funds", None, "unknown key", "did you mean 'guided_fund'")
    assert "allowed here" in str(err) and "challenges" in str(err)


def test_unknown_key_far_from_anything_lists_what_is_allowed() -> None:
    data = base()
    data["zzzz"] = 1
    err = config_error(data)
    assert_names(err, "zzzz", "1", "unknown key", "allowed here", "horizon")
    assert "did you mean" not in str(err)


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("path", "value", "allowed"),
    [
        ("horizon", "12", "must be a number"),
        ("challenges[0].total_investment", "twenty", "must be a number"),
        ("challenges[0].phases[0].pass_probability", "0.5", "must be a number"),
        ("government.matching.ratio", True, "must be a number"),
        ("government.matching.ratio", [0.25], "must be a number"),
        ("government", [1, 2], "must be a mapping"),
        ("government.matching", "two_phase", "must be a mapping"),
        ("challenges[0].race", [1], "must be a mapping"),
        ("challenges[0]", ["sensor"], "must be a mapping"),
        ("challenges", {"name": "x"}, "must be a list"),
        ("challenges[0].phases", {"a": 1}, "must be a list"),
        ("challenges[0].demander_installments", "0.3, 0.7", "must be a list"),
        ("government.error_tolerance.enabled", "yes", "must be true or false"),
        ("government.matching.mode", "two-phase", "did you mean 'two_phase'"),
        ("government.error_tolerance.base", 3, "must be non-empty text"),
        ("challenges[0].phases[0].duration", "long", "must be a number or a distribution"),
        ("challenges", [], "at least 1"),
    ],
)
def test_wrong_type(path: str, value: Any, allowed: str) -> None:
    err = config_error(with_value(base(), path, value))
    assert_names(err, path, format_value(value), allowed)


def test_whole_scenario_not_a_mapping() -> None:
    err = config_error([make_scenario()])
    assert "must be a mapping" in str(err)


# --------------------------------------------------------------------------- files
# File errors name the file (its whole path, test_long_file_path_is_named_in_full).


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_missing_file(in_tmp: Path) -> None:
    err = file_error(Path("nowhere.yaml"))
    assert_names(err, "", None, "'nowhere.yaml'", "file not found")


def test_long_file_path_is_named_in_full(tmp_path: Path) -> None:
    path = tmp_path / ("deeply_nested_directory_" * 3) / "my_scenario.yaml"
    err = file_error(path)
    assert str(path) in str(err)


def test_directory_instead_of_file(in_tmp: Path) -> None:
    Path("adir").mkdir()
    err = file_error(Path("adir"))
    assert "'adir'" in str(err) and "cannot be read" in str(err)


@pytest.mark.parametrize(
    "text",
    [
        "name: [unclosed\nhorizon: 3\n",
        "name: x\n  horizon: : 3\n",
        "challenges:\n\t- total_investment: 1\n",
        'name: "unterminated\n',
    ],
)
def test_malformed_yaml(in_tmp: Path, text: str) -> None:
    write(in_tmp, text, "s.yaml")
    err = file_error(Path("s.yaml"))
    assert "not valid YAML" in str(err)
    assert "'s.yaml'" in str(err)
    assert re.search(r"line \d+", str(err)), str(err)


@pytest.mark.parametrize(
    "template",
    [
        '!!python/object/apply:os.system ["touch {marker}"]\n',
        'name: !!python/object/apply:os.system ["touch {marker}"]\nchallenges: []\n',
        "name: x\nhorizon: !!python/object/apply:os.system\n  - touch {marker}\n",
        "!!python/object/new:os.system [touch {marker}]\n",
    ],
)
def test_python_tags_are_refused_safely(in_tmp: Path, template: str) -> None:
    marker = in_tmp / "pwned"
    write(in_tmp, template.format(marker=marker), "s.yaml")
    err = file_error(Path("s.yaml"))
    assert not marker.exists(), "a YAML tag was executed"
    assert "not valid YAML" in str(err) and "'s.yaml'" in str(err)


def test_undecodable_file(in_tmp: Path) -> None:
    Path("bin.yaml").write_bytes(b"\xff\xfe\x00name: x")
    err = file_error(Path("bin.yaml"))
    assert "'bin.yaml'" in str(err) and "cannot be read" in str(err)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(in_tmp: Path, text: str) -> None:
    write(in_tmp, text, "s.yaml")
    err = file_error(Path("s.yaml"))
    assert "must hold a mapping" in str(err) and "'s.yaml'" in str(err)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_file_not_holding_a_mapping(in_tmp: Path, text: str) -> None:
    write(in_tmp, text, "s.yaml")
    err = file_error(Path("s.yaml"))
    assert "must hold a mapping" in str(err)


def test_bad_value_in_a_file_names_the_dotted_path(tmp_path: Path) -> None:
    data = with_value(base(), "challenges[0].phases[0].pass_probability", 1.4)
    path = write(tmp_path, yaml.safe_dump(data))
    err = file_error(path)
    assert str(err) == (
        "challenges[0].phases[0].pass_probability = 1.4: must be in [0, 1] (did you mean 0.014?)"
    )


def test_simulate_validates_a_dict_too() -> None:
    data = with_value(base(), "challenges[0].total_investment", -1)
    with pytest.raises(ConfigError, match=r"challenges\[0\]\.total_investment = -1"):
        fundflow.simulate(data, runs=1, seed=0)


# --------------------------------------------------------------------------- good path


def test_there_are_shipped_configs() -> None:
    assert any(p.name == "open_competition.yaml" for p in CONFIGS)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_loads(path: Path) -> None:
    sc = load_scenario(path)
    assert isinstance(sc, Scenario)
    assert sc.n_challenges >= 1 and sc.n_routes >= sc.n_challenges
    assert "\n" not in sc.describe()
    # the validated mapping round-trips to an equal scenario
    assert Scenario.from_dict(sc.to_dict()) == sc
    # a str path works as well as a Path
    assert load_scenario(str(path)) == sc


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_simulates(path: Path) -> None:
    res = fundflow.simulate(path, runs=2, seed=1)
    assert len(res.runs) == 2
    totals = res.party_totals()
    assert (totals.sum(axis=1).abs() <= 1e-9 * totals.abs().sum(axis=1).clip(lower=1)).all()


def test_count_expands_into_identical_challenges() -> None:
    data = make_scenario(count=4, solvers=3, race={"keep": 2}, durations=(1.0, 1.0))
    other = copy.deepcopy(data["challenges"][0])
    other.update(name="other", count=2, solvers=1)
    other.pop("race")
    data["challenges"].append(other)
    sc = Scenario.from_dict(data)
    assert len(sc.challenges) == 2
    assert sc.n_challenges == 6
    assert sc.n_routes == 4 * 3 + 2
    res = fundflow.simulate(sc, runs=3, seed=5)
    routes = res.routes.loc[0]
    assert len(routes) == sc.n_routes
    assert routes.groupby("challenge").size().tolist() == [3, 3, 3, 3, 1, 1]
    assert routes["challenge_name"].tolist() == ["challenge"] * 12 + ["other"] * 2
    # identical challenges: with fixed inputs and sure outcomes every copy pays the same
    matching = routes.groupby("challenge")["gov_matching"].sum()
    assert matching.iloc[:4].nunique() == 1 and matching.iloc[4:].nunique() == 1


def test_defaults_apply_when_sections_are_left_out() -> None:
    sc = Scenario.from_dict({"challenges": [{"total_investment": 10}]})
    assert sc.money_unit == "CNY million"
    assert sc.n_challenges == 1 and sc.n_routes == 1
    ch = sc.challenges[0]
    assert ch.n_phases == 2  # two phases by default
    assert abs(sum(p.cost_share for p in ch.phases) - 1) < 1e-12
    assert abs(sum(x.share for x in ch.demander_installments) - 1) < 1e-12
    assert ch.solvers == 1 and ch.count == 1
    assert ch.race.select_after == 1 and ch.race.keep == 1
    assert ch.overrun.is_fixed and ch.overrun.mean() == 1.0
    assert ch.booking_period is None
    gov = sc.government
    assert gov.annual_budget is None
    assert gov.matching.cap is None and gov.matching.mode in {
        "two_phase",
        "upfront",
        "on_acceptance",
        "milestones",
    }
    assert not gov.error_tolerance.enabled  # a left-out section is off
    assert gov.clawback_without_tolerance == 1.0
    assert gov.tax.rd_super_deduction == 0
    assert sc.solver.reserve is None
    assert sc.guided_fund is None and sc.credit is None
    assert dict(sc.correlation) == {}
    res = fundflow.simulate(sc, runs=2, seed=0)
    assert len(res.runs) == 2


def test_race_section_left_out_uses_its_defaults() -> None:
    data = make_scenario(solvers=3)
    sc = Scenario.from_dict(data)
    assert sc.challenges[0].race.select_after == 1 and sc.challenges[0].race.keep == 1


def test_disabled_sections_are_off() -> None:
    data = make_scenario()
    data["guided_fund"] = {"enabled": False, "size": 100, "ticket": 10}
    data["credit"] = {"enabled": False}
    sc = Scenario.from_dict(data)
    assert sc.guided_fund is None and sc.credit is None


def test_null_optional_values_mean_none() -> None:
    sc = Scenario.from_dict(make_scenario(cap=None, tolerance_cap=None, booking_period=None))
    assert sc.government.matching.cap is None
    assert sc.government.error_tolerance.cap is None


def test_scenario_objects_are_frozen() -> None:
    sc = Scenario.from_dict(make_scenario())
    targets: list[tuple[Any, str]] = [
        (sc, "horizon"),
        (sc.government, "matching"),
        (sc.government.matching, "ratio"),
        (sc.government.error_tolerance, "enabled"),
        (sc.challenges[0], "total_investment"),
        (sc.challenges[0].phases[0], "pass_probability"),
        (sc.challenges[0].race, "keep"),
        (sc.challenges[0].demander_installments[0], "share"),
    ]
    for obj, attr in targets:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, 0)
    assert isinstance(sc.challenges, tuple)
    assert isinstance(sc.challenges[0].phases, tuple)


def test_scenario_does_not_share_state_with_its_input() -> None:
    data = make_scenario()
    sc = Scenario.from_dict(data)
    before = sc.to_dict()
    data["horizon"] = 1.0
    data["challenges"][0]["phases"][0]["pass_probability"] = 0.0
    assert sc.to_dict() == before
    assert sc.horizon == 50.0
    copied = sc.to_dict()
    copied["horizon"] = 2.0
    assert sc.to_dict()["horizon"] == 50.0


def test_scenario_is_deeply_immutable() -> None:
    data = make_scenario()
    data["challenges"][0]["group"] = "chips"
    data["correlation"] = {"chips": 0.3}
    sc = Scenario.from_dict(data)
    with pytest.raises(TypeError):
        sc.correlation["chips"] = 0.9  # type: ignore[index]
    assert hash(sc) == hash(Scenario.from_dict(data))
    assert sc == Scenario.from_dict(data)
    sc.source["horizon"] = 1.0  # a copy: the scenario keeps its own
    assert sc.source["horizon"] == 50.0 and sc.to_dict()["horizon"] == 50.0
