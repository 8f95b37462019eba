"""The guarded YAML reader: deep nesting, alias bombs, duplicate keys, exponent numbers.

Each refusal is one ``ConfigError`` naming the file and the line, raised quickly
and without building the oversized document.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fundflow import ConfigError, load_scenario
from fundflow.cli import main
from fundflow.scenario._reader import MAX_DEPTH, MAX_NODES, load_yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"


def _bomb(levels: int = 9, width: int = 9) -> str:
    """A billion-laughs document: each level lists the previous one `width` times."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _refusal(text: str) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_yaml(text, "s.yaml")
    elapsed = time.perf_counter() - started
    message = str(info.value)
    assert "\n" not in message and "'s.yaml'" in message
    assert info.value.__cause__ is None
    return message, elapsed


def test_deep_nesting_is_refused_quickly() -> None:
    message, elapsed = _refusal("x: " + "[" * 900 + "]" * 900 + "\n")
    assert f"nested more than {MAX_DEPTH} levels deep" in message
    assert "line 1" in message
    assert elapsed < 0.5


def test_deep_mappings_are_refused_too() -> None:
    text = "".join("  " * k + f"k{k}:\n" for k in range(200)) + "  " * 200 + "v\n"
    message, _ = _refusal(text)
    assert "levels deep" in message


def test_nesting_within_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 2
    data = load_yaml("x: " + "[" * depth + "1" + "]" * depth + "\n", "s.yaml")
    node = data["x"]
    for _ in range(depth - 1):
        node = node[0]
    assert node == [1]


def test_alias_bomb_is_refused_quickly_and_small() -> None:
    message, elapsed = _refusal(_bomb())
    assert f"more than {MAX_NODES:,} values once aliases are expanded" in message
    assert elapsed < 0.5


def test_small_aliases_still_work() -> None:
    data = load_yaml("a: &p {x: 1}\nb: *p\nc: {<<: *p, y: 2}\n", "s.yaml")
    assert data == {"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1, "y": 2}}


def test_an_alias_inside_its_own_node_is_refused() -> None:
    message, _ = _refusal("name: &n [1, *n]\n")
    assert "*n refers to a node containing it" in message


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("name: x\nhorizon: 5\nhorizon: 7\n", "horizon", (2, 3)),
        ("a:\n  ratio: 1\n  cap: 2\n  ratio: 3\n", "ratio", (2, 4)),
        ("- {x: 1, y: 2, x: 3}\n", "x", (1, 1)),
    ],
)
def test_duplicate_keys_are_refused(text: str, key: str, lines: tuple[int, int]) -> None:
    message, _ = _refusal(text)
    assert f"the key '{key}' appears twice in one mapping, at lines {lines[0]} and {lines[1]}" in (
        message
    )


def test_same_key_in_different_mappings_is_fine() -> None:
    assert load_yaml("a: {x: 1}\nb: {x: 2}\n", "s.yaml") == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e12", 1e12), ("1.5E-3", 1.5e-3), ("2.5e3", 2500.0), ("-3e-2", -0.03), ("+1E2", 100.0),
     (".5e1", 5.0), ("1_000e3", 1e6), ("12", 12), ("1.5", 1.5), ("e3", "e3"), ("1e", "1e")],
)  # fmt: skip
def test_exponent_notation_is_a_number(text: str, value: object) -> None:
    got = load_yaml(f"v: {text}\n", "s.yaml")["v"]
    assert got == value and type(got) is type(value)


def test_horizon_in_exponent_notation_is_accepted(tmp_path: Path) -> None:
    text = CONFIG.read_text(encoding="utf-8").replace("horizon: 12 ", "horizon: 1.2e1")
    assert "horizon: 1.2e1" in text
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    assert load_scenario(tmp_path / "s.yaml").horizon == 12.0


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("horizon", ".inf", "horizon = inf: must be a finite number in (0, 200]"),
        ("horizon", ".nan", "horizon = nan: must be a finite number in (0, 200]"),
        ("horizon", "-.inf", "horizon = -inf: must be a finite number in (0, 200]"),
        ("discount_rate", ".inf", "discount_rate = inf: must be a finite number in (-1, 1]"),
        ("    ratio", ".inf", "government.matching.ratio = inf: must be a finite number"),
        ("    total_investment", ".nan", "challenges[0].total_investment = nan: must be a finite"),
        ("    value_lag", ".inf", "challenges[0].value_lag = inf: must be a finite number"),
    ],
)
def test_infinite_numbers_say_must_be_finite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str, allowed: str
) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    head, sep, tail = text.partition(f"\n{field}: ")
    assert sep, field
    rest = tail.split("\n", 1)[1]
    (tmp_path / "s.yaml").write_text(f"{head}{sep}{value}\n{rest}", encoding="utf-8")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {allowed}"), err
    assert "must be >" not in err and err.count("\n") == 1


def test_fixed_distribution_value_infinite_says_finite(tmp_path: Path) -> None:
    text = CONFIG.read_text(encoding="utf-8").replace("value_lag: 1.0", "value_lag: .inf", 1)
    text = text.replace("duration: 1.0, cost_share: 0.6", "duration: .inf, cost_share: 0.6", 1)
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"duration = inf: must be a finite number"):
        load_scenario(tmp_path / "s.yaml")
