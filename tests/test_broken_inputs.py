"""A corpus of broken scenario files and bad command lines.

Each gives exit status 2 and exactly one ``error:`` line on stderr, no traceback,
nothing on stdout, and nothing written: the ``--out`` folder is never created.
The scenario files are under ``tests/broken/`` (one problem each, named by it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import one_error_line
from fundflow.cli import main

ROOT = Path(__file__).resolve().parents[1]
BROKEN = sorted((ROOT / "tests" / "broken").glob("*.yaml"))
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
UPFRONT = str(ROOT / "configs" / "upfront_grant.yaml")

#: What the error line must name, for some of the files.
EXPECTED = {
    "yaml_deep_nesting": "nested more than 64 levels deep",
    "yaml_alias_bomb": "once aliases are expanded",
    "yaml_duplicate_key": "the key 'horizon' appears twice in one mapping, at lines 2 and 3",
    "yaml_python_tag": "not valid YAML",
    "horizon_inf": "horizon = inf: must be a finite number in (0, 200]",
    "horizon_nan": "horizon = nan: must be a finite number in (0, 200]",
    "matching_ratio_above_one": "government.matching.ratio = 1.4: must be in [0, 1]",
    "discount_rate_percent": "discount_rate = 3: must be in (-1, 1] (did you mean 0.03?)",
    "interest_rate_percent": "credit.interest_rate = 4.5: must be in [0, 1] (did you mean 0.045?)",
    "hurdle_percent": "guided_fund.hurdle = 6: must be in [0, 1] (did you mean 0.06?)",
    "solvers_typo": "did you mean 'solvers'?",
    "size_ten_million_challenges": "--no-size-limit",
    "missing_challenges": "challenges: missing",
}


#: Rates written as percentages: the whole error line.
PERCENTAGES = ("discount_rate_percent", "interest_rate_percent", "hurdle_percent")


def test_the_corpus_is_large_enough() -> None:
    assert len(BROKEN) >= 40
    assert set(EXPECTED) <= {p.stem for p in BROKEN}


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_broken_scenario_file(
    path: Path, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = [command, str(path)]
    if command == "run":
        argv += ["--runs", "5", "--seed", "1", "--out", str(out), "--format", "csv,xlsx"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert captured.out == ""
    assert path.stem not in EXPECTED or EXPECTED[path.stem] in line, line
    assert not out.exists()


@pytest.mark.parametrize("name", PERCENTAGES)
def test_a_rate_written_as_a_percentage_is_one_line_with_the_fraction(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(ROOT / "tests" / "broken" / f"{name}.yaml")]) == 2
    assert one_error_line(capsys.readouterr().err) == f"error: {EXPECTED[name]}"


def test_a_rate_set_as_a_percentage_is_one_line_with_the_fraction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", CONFIG, "--set", "discount_rate=3"]) == 2
    assert one_error_line(capsys.readouterr().err) == f"error: {EXPECTED['discount_rate_percent']}"


#: Command lines that are wrong, and what the error names.
BAD_COMMANDS: list[tuple[list[str], str]] = [
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["run"], "the following arguments are required: CONFIG"),
    (["validate"], "the following arguments are required: CONFIG"),
    (["compare", CONFIG], "the following arguments are required: B"),
    (["run", CONFIG, "--runs", "0"], "--runs = 0"),
    (["run", CONFIG, "--runs", "-3"], "--runs = -3"),
    (["run", CONFIG, "--runs", "ten"], "--runs = 'ten'"),
    (["run", CONFIG, "--runs", "1.5"], "--runs = '1.5'"),
    (["run", CONFIG, "--runs"], "expected one argument"),
    (["run", CONFIG, "--seed", "-1"], "--seed = -1"),
    (["run", CONFIG, "--seed", "x"], "--seed = 'x'"),
    (["run", CONFIG, "--workers", "0"], "--workers = 0"),
    (["run", CONFIG, "--workers", "many"], "--workers = 'many'"),
    (["run", CONFIG, "--format", "pdf"], "--format = 'pdf'"),
    (["run", CONFIG, "--format", ","], "--format"),
    (["run", CONFIG, "--lang", "fr"], "--lang = 'fr'"),
    (["run", CONFIG, "--target-se", "0"], "--target-se = 0.0"),
    (["run", CONFIG, "--target-se", "abc"], "--target-se = 'abc'"),
    (["run", CONFIG, "--target-se", "inf"], "--target-se = inf"),
    (["run", CONFIG, "--max-runs", "10"], "--max-runs: applies only with --target-se"),
    (["run", CONFIG, "--target-se", "0.01", "--runs", "5"], "not with --target-se"),
    (["run", CONFIG, "--target-se", "0.01", "--max-runs", "0"], "--max-runs = 0"),
    (["run", CONFIG, "--plots"], "--plots: needs --out"),
    (["run", CONFIG, "--set", "government.matching.ratio=1.4"], "ratio = 1.4"),
    (["run", CONFIG, "--set", "government.matching.rato=0.3"], "did you mean"),
    (["run", CONFIG, "--set", "no-equals-sign"], "--set"),
    (["run", CONFIG, "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "no/such/file.yaml"], "file not found"),
    (["run", str(ROOT / "configs")], "cannot be read"),
    (["compare", CONFIG, UPFRONT, "--runs", "0"], "--runs = 0"),
    (["compare", CONFIG, "no/such.yaml"], "file not found"),
    (["sweep", CONFIG], "--lever"),
    (["sweep", CONFIG, "--lever", "government.matching.ratio"], "--lever"),
    (["sweep", CONFIG, "--lever", "government.matching.rato=0.2,0.3"], "did you mean"),
    (["sweep", CONFIG, "--lever", "government.matching.ratio=0.2,0.3", "--runs", "0"], "--runs"),
]


@pytest.mark.parametrize(
    ("argv", "expected"), BAD_COMMANDS, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD_COMMANDS]
)
def test_bad_command_line(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with_out = [*argv, "--out", str(out)] if argv and argv[0] != "validate" else argv
    if argv[-1:] == ["--runs"] or "--plots" in argv:
        with_out = argv  # an option missing its value stays last; --plots is wrong without --out
    code = main(with_out)
    captured = capsys.readouterr()
    assert code == 2, captured
    line = one_error_line(captured.err)
    assert expected in line, line
    assert captured.out == ""
    assert not out.exists()


def test_there_are_at_least_30_bad_command_lines() -> None:
    assert len(BAD_COMMANDS) >= 30
