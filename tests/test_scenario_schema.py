"""The one declaration of the scenario keys, and what is derived from it.

The validator, the override paths, docs/scenario-reference.md and
docs/scenario.schema.json must all agree with :data:`fundflow.scenario.schema.SCENARIO`.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fundflow.cli import main
from fundflow.errors import ConfigError
from fundflow.scenario import config
from fundflow.scenario import reference as scenario_docs
from fundflow.scenario._reader import load_yaml
from fundflow.scenario._schema_core import DERIVED, REQUIRED, Key
from fundflow.scenario.overrides import INTEGER_KEYS, SCHEMA, apply_overrides, get_path
from fundflow.scenario.schema import SCENARIO

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
MINIMAL = {"challenges": [{"name": "chip", "total_investment": 10}]}


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((DOCS / "scenario.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --- generated files are current -----------------------------------------------------------


def test_reference_tables_are_current() -> None:
    text = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    assert scenario_docs.render_reference(text) == text, (
        "docs/scenario-reference.md is stale: run python -m fundflow.scenario.reference"
    )


def test_reference_keeps_its_prose() -> None:
    text = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    assert text.startswith("# Scenario file reference")
    assert "**Defaults are neutral, the shipped scenarios are calibrated.**" in text
    assert text.rstrip().endswith("give worked numbers.")


def test_reference_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="needs the lines"):
        scenario_docs.render_reference("# no markers here\n")


def test_json_schema_file_is_current() -> None:
    text = (DOCS / "scenario.schema.json").read_text(encoding="utf-8")
    assert scenario_docs.json_text() == text, (
        "docs/scenario.schema.json is stale: run python -m fundflow.scenario.reference"
    )


def test_schema_command_prints_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((DOCS / "scenario.schema.json").read_text(encoding="utf-8"))
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_key_is_documented() -> None:
    text = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    for path, key in SCENARIO.walk():
        shown = path.split("[i]", 1)[1].lstrip(".") if "challenges[i]" in path else path
        top = path.split(".", 1)[0]
        if top in ("government", "solver", "guided_fund", "credit") and "." in path:
            shown = path.split(".", 1)[1]
        if shown:
            assert f"| `{shown.replace('[i]', '[j]')}` |" in text, path
        assert key.doc, f"{path}: every key needs its one-line meaning"


# --- the JSON Schema accepts what fundflow accepts ------------------------------------------


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_validate_against_the_json_schema(path: Path) -> None:
    data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    errors = [e.message for e in _validator().iter_errors(data)]
    assert not errors, errors
    config.Scenario.from_dict(data)  # and fundflow agrees


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"horizon": "12"}, "is not of type 'number'"),
        ({"horizon": 0}, "less than or equal to the minimum"),
        ({"government": {"matching": {"rato": 0.3}}}, "'rato' was unexpected"),
        ({"government": {"matching": {"mode": "two-phase"}}}, "is not one of"),
        ({"government": {"tax": {"corporate_tax_rate": 0.15}}}, "is not of type"),
        ({"correlation": {"g": 1.0}}, "greater than or equal to the maximum"),
        ({"guided_fund": {"size": 100}}, "'ticket' is a required property"),
        ({"credit": {"loan_share": 1.5}}, "greater than the maximum"),
    ],
)
def test_json_schema_refuses_what_fundflow_refuses(change: dict[str, Any], needle: str) -> None:
    data = {**MINIMAL, **change}
    messages = [e.message for e in _validator().iter_errors(data)]
    assert any(needle in m for m in messages), messages
    with pytest.raises(ConfigError):
        config.Scenario.from_dict(data)


def test_json_schema_checks_challenge_items_and_distributions() -> None:
    v = _validator()
    good = {
        "challenges": [{"total_investment": 5, "overrun": {"dist": "uniform", "low": 1, "high": 2}}]
    }
    assert not list(v.iter_errors(good))
    assert list(v.iter_errors({"challenges": [{"total_investment": 5, "overrun": -1}]}))
    assert list(v.iter_errors({"challenges": [{"total_investment": 5, "solvers": 0}]}))
    assert list(v.iter_errors({"challenges": []}))
    assert not list(v.iter_errors({"challenges": {"from": "list.xlsx", "sheet": "榜单"}}))


# --- the validator reads what is declared ----------------------------------------------------


def _plain(value: Any) -> Any:
    return value.to_plain() if hasattr(value, "to_plain") else value


def _value_defaults() -> list[tuple[str, Key]]:
    """Declared plain defaults that apply to MINIMAL (sections read with their defaults)."""
    out = []
    for path, key in SCENARIO.walk():
        if not key.is_value or key.default in (REQUIRED, DERIVED):
            continue
        if path.startswith(("guided_fund", "credit", "government.success_award")):
            continue
        out.append((path.replace("challenges[i]", "challenges[0]"), key))
    return out


@pytest.mark.parametrize(("path", "key"), _value_defaults(), ids=lambda x: str(x)[:60])
def test_declared_default_is_the_default_used(path: str, key: Key) -> None:
    sc = config.Scenario.from_dict(MINIMAL)
    got = _plain(get_path(sc, path))
    if isinstance(got, dict):  # a distribution left out: its constant
        got = got.get("value", got)
    assert got == key.default, path


def test_optional_sections_read_their_declared_defaults() -> None:
    data = {**MINIMAL, "horizon": 20, "guided_fund": {"size": 100, "ticket": 5}, "credit": {}}
    sc = config.Scenario.from_dict(data)
    assert sc.guided_fund is not None and sc.credit is not None
    for name, obj in (("guided_fund", sc.guided_fund), ("credit", sc.credit)):
        for key in SCENARIO[name].children:
            if key.is_value and key.default not in (REQUIRED, DERIVED) and key.name != "enabled":
                assert _plain(getattr(obj, key.name)) in (key.default, {"value": key.default})


@pytest.mark.parametrize(
    ("cls", "section", "not_fields"),
    [
        (config.Scenario, SCENARIO, {"frozen_source"}),
        (config.Government, SCENARIO["government"], set()),
        (config.Matching, SCENARIO["government"]["matching"], set()),
        (config.ErrorTolerance, SCENARIO["government"]["error_tolerance"], set()),
        (config.Tax, SCENARIO["government"]["tax"], set()),
        (config.SuccessAward, SCENARIO["government"]["success_award"], set()),
        (config.SolverSettings, SCENARIO["solver"], set()),
        (config.Challenge, SCENARIO["challenges"], set()),
        (config.Race, SCENARIO["challenges"]["race"], set()),
        (config.Phase, SCENARIO["challenges"]["phases"], set()),
        (config.GuidedFund, SCENARIO["guided_fund"], {"enabled"}),
        (config.EarlyExit, SCENARIO["guided_fund"]["early_exit"], set()),
        (config.Credit, SCENARIO["credit"], {"enabled"}),
    ],
    ids=lambda x: getattr(x, "__name__", "") if isinstance(x, type) else "",
)
def test_dataclass_fields_match_the_declaration(
    cls: type, section: Key, not_fields: set[str]
) -> None:
    fields = {f.name for f in dataclasses.fields(cls)} - {"frozen_source"}
    keys = {k.name for k in section.children} - not_fields
    assert fields == keys


def test_integer_keys_are_the_whole_number_keys() -> None:
    assert INTEGER_KEYS == {
        "count", "solvers", "bidders", "select_after", "keep", "after", "entry_runs"
    }  # fmt: skip
    sc = config.Scenario.from_dict(MINIMAL)
    for name in INTEGER_KEYS - {"after"}:
        path = {
            "count": "challenges[0].count",
            "solvers": "challenges[0].solvers",
            "bidders": "challenges[0].bidders",
            "entry_runs": "solver.entry_runs",
        }.get(name, f"challenges[0].race.{name}")
        with pytest.raises(ConfigError, match="whole number"):
            apply_overrides(sc, {path: 1.5})


def test_override_paths_follow_the_declaration() -> None:
    def paths(tree: Any, prefix: str = "") -> set[str]:
        out: set[str] = set()
        items = tree[0] if isinstance(tree, list) else tree
        for k, v in (items or {}).items():
            p = f"{prefix}.{k}" if prefix else k
            p_in = f"{p}[i]" if isinstance(v, list) else p
            out |= {p} | (paths(v, p_in) if v is not None else set())
        return out

    declared = {p for p, k in SCENARIO.walk()} | {"correlation.*"}
    assert paths(SCHEMA) == declared


def test_a_bad_declaration_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        Key("x", "float")
    with pytest.raises(ValueError, match="duplicate"):
        Key("s", "section", children=(Key("a", "number"), Key("a", "text")))


def test_challenge_keys_carry_the_chinese_names_of_the_sheet_columns() -> None:
    from fundflow.scenario._sheet_columns import KEYS

    for path, key in SCENARIO["challenges"].walk():
        assert key.label_zh, path
        assert KEYS[key.name][0] == key.label_zh, path


def _calibration_defaults() -> list[tuple[str, str]]:
    """``(key path, first word of its package default)`` from docs/calibration.md's tables."""
    rows: list[tuple[str, str]] = []
    column = None
    for line in (DOCS / "calibration.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= {"-"}:
            column = None if not line.startswith("|") else column
            continue
        if "key" in cells and any("default" in c for c in cells):
            key_at = cells.index("key")
            column = (key_at, next(i for i, c in enumerate(cells) if "default" in c))
            continue
        if column is None:
            continue
        key, default = cells[column[0]], cells[column[1]]
        if re.fullmatch(r"`[a-z_.\[\]]+`", key) and default:
            rows.append((key.strip("`").replace("[]", "[i]"), default.split()[0].rstrip(",;")))
    return rows


def test_calibration_package_defaults_agree_with_the_declaration() -> None:
    declared = dict(SCENARIO.walk())
    rows = _calibration_defaults()
    assert len(rows) >= 30  # the tables were found
    checked = 0
    for path, word in rows:
        key = declared[path]  # every key the calibration names exists
        if word == "required":
            assert key.default is REQUIRED, path
        elif word in ("null", "none", "absent"):
            assert key.default is None, path
        elif word in ("true", "false"):
            assert key.default is (word == "true"), path
        elif re.fullmatch(r"`\w+`", word):
            assert key.default == word.strip("`"), path
        elif re.fullmatch(r"-?\d+(\.\d+)?", word) and key.default not in (REQUIRED, DERIVED):
            # a per-party section is documented by its first party's default
            value = key.children[0].default if key.kind == "section" else key.default
            assert float(value) == float(word), path
        else:
            continue
        checked += 1
    assert checked >= 30


# --- rates and shares written as percentages ---------------------------------------------------

#: The keys where a value above 1 is never meant: ``3`` is refused with "did you mean 0.03?".
PERCENT_KEYS = {
    "discount_rate",
    "government.tax.additionality",
    "government.tax.borne_share",
    "government.matching.ratio",
    "government.matching.first_share",
    "government.matching.tranches[i].share",
    "government.error_tolerance.rate",
    "government.error_tolerance.misconduct_probability",
    "government.clawback_without_tolerance",
    "government.success_award.share",
    "government.tax.corporate_tax_rate.demander",
    "government.tax.corporate_tax_rate.solver",
    "government.tax.usable_share.demander",
    "government.tax.usable_share.solver",
    "challenges[i].demander_share",
    "challenges[i].demander_installments[i].share",
    "challenges[i].phases[i].cost_share",
    "challenges[i].phases[i].pass_probability",
    "challenges[i].phases[i].extension.probability",
    "challenges[i].phases[i].extension.cost_share",
    "correlation",
    "guided_fund.government_share",
    "guided_fund.management_fee",
    "guided_fund.hurdle",
    "guided_fund.carry",
    "guided_fund.government_concession",
    "guided_fund.government_first_loss",
    "guided_fund.early_exit.rate",
    "credit.loan_share",
    "credit.interest_rate",
    "credit.guarantee_fee",
    "credit.default_probability_on_failure",
    "credit.default_probability_on_success",
    "credit.loss_given_default",
    "credit.risk_sharing.guarantor",
    "credit.risk_sharing.reguarantor",
    "credit.risk_sharing.bank",
    "credit.risk_sharing.government",
    "credit.risk_pool.share",
    "credit.equity_link.share",
}

#: A scenario in which every key above is read.
EVERY_SECTION: dict[str, Any] = {
    "government": {
        "matching": {"mode": "milestones", "tranches": [{"after": 0, "share": 1.0}]},
        "success_award": {"share": 0.1},
    },
    "challenges": [
        {
            "name": "chip",
            "total_investment": 10,
            "group": "g",
            "demander_installments": [{"after": 0, "share": 1.0}],
            "phases": [
                {
                    "duration": 1.0,
                    "cost_share": 1.0,
                    "pass_probability": 0.5,
                    "extension": {"probability": 0.5, "duration": 1.0, "cost_share": 0.1},
                }
            ],
        }
    ],
    "correlation": {"g": 0.3},
    "guided_fund": {"size": 100, "ticket": 5, "early_exit": {"year": 5}},
    "credit": {
        "risk_sharing": {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.3},
        "risk_pool": {"size": 10.0, "share": 0.5},
        "equity_link": {"share": 0.2},
    },
}


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the key at ``path`` (``[i]`` = the first item) set."""
    out = json.loads(json.dumps(data))
    node = out
    steps = re.findall(r"\w+|\[i\]", path)
    for step, nxt in itertools.pairwise(steps):
        if step != "[i]":
            node = node[step] if nxt == "[i]" else node.setdefault(step, {})
        else:
            node = node[0]
    if path == "correlation":
        node["correlation"] = {"g": value}
    else:
        node[steps[-1]] = value
    return out


def test_the_rates_and_shares_are_the_keys_with_a_percentage_hint() -> None:
    marked = {p for p, k in SCENARIO.walk() if k.percent}
    assert marked == PERCENT_KEYS
    # a value above 1 is meant for these: no hint
    assert not {"government.tax.rd_super_deduction", "horizon"} & marked
    config.Scenario.from_dict(EVERY_SECTION)  # every key below is read from here


@pytest.mark.parametrize("path", sorted(PERCENT_KEYS))
def test_a_percentage_is_refused_with_the_fraction_it_means(path: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.Scenario.from_dict(_set(EVERY_SECTION, path, 10))
    shown = path.replace("[i]", "[0]").replace("correlation", "correlation.g")
    allowed = "[0, 0.2]" if path.endswith("management_fee") else "[0, 1]"
    if path == "discount_rate":
        allowed = "(-1, 1]"
    elif path == "correlation":
        allowed = "[0, 1)"
    assert str(info.value) == f"{shown} = 10: must be in {allowed} (did you mean 0.1?)"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("discount_rate", 3, "discount_rate = 3: must be in (-1, 1] (did you mean 0.03?)"),
        (
            "credit.interest_rate",
            4.5,
            "credit.interest_rate = 4.5: must be in [0, 1] (did you mean 0.045?)",
        ),
        ("guided_fund.hurdle", 6, "guided_fund.hurdle = 6: must be in [0, 1] (did you mean 0.06?)"),
        # no hint when the hundredth is not allowed either, or the value is below the range
        ("discount_rate", 150, "discount_rate = 150: must be in (-1, 1]"),
        ("discount_rate", -1.5, "discount_rate = -1.5: must be in (-1, 1]"),
        ("guided_fund.management_fee", 25, "guided_fund.management_fee = 25: must be in [0, 0.2]"),
        ("credit.loan_share", 1, None),
        ("government.tax.rd_super_deduction", 1.2, None),  # 120% is legal for some firms
        ("horizon", 1e3, "horizon = 1000.0: must be in (0, 200]"),
    ],
)
def test_percentage_hints_only_where_they_help(
    path: str, value: float, message: str | None
) -> None:
    data = _set(EVERY_SECTION, path, value)
    if message is None:
        config.Scenario.from_dict(data)
        return
    with pytest.raises(ConfigError) as info:
        config.Scenario.from_dict(data)
    assert str(info.value) == message


def test_a_percentage_in_an_override_gets_the_same_hint() -> None:
    sc = config.Scenario.from_dict(EVERY_SECTION)
    with pytest.raises(ConfigError) as info:
        apply_overrides(sc, {"discount_rate": 3})
    assert str(info.value) == "discount_rate = 3: must be in (-1, 1] (did you mean 0.03?)"
