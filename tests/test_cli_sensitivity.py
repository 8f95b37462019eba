"""`fundflow sensitivity`: fundflow.sensitivity's indices from the command line, printed
with their confidence intervals and written; bad input is one error line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import fundflow
from conftest import one_error_line
from fundflow.analysis.sensitivity import METHODS
from fundflow.cli import main
from fundflow.cli import sensitivity as cli_sensitivity

CONFIG = str(Path(__file__).resolve().parents[1] / "configs" / "open_competition.yaml")

# A three-route program: a few seconds for a Sobol' design of 8 x (2 + 2) points.
PROGRAM = {
    "name": "sensitivity-cli",
    "horizon": 8,
    "government": {"matching": {"ratio": 0.25, "first_share": 0.3}},
    "challenges": [
        {
            "name": "chip",
            "count": 3,
            "total_investment": 20,
            "overrun": {"dist": "lognormal", "median": 1.05, "sigma": 0.15},
            "phases": [
                {"duration": 1, "cost_share": 0.4, "pass_probability": 0.7},
                {"duration": 1, "cost_share": 0.6, "pass_probability": 0.6},
            ],
        }
    ],
}
INPUTS = {"government.matching.ratio": (0.1, 0.3), "challenges[chip].solvers": (1.0, 3.0)}
OUTPUTS = ["gov_net_cost_mean", "gov_net_cost_cvar95"]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sensitivity") / "program.yaml"
    path.write_text(yaml.safe_dump(PROGRAM), encoding="utf-8")
    return str(path)


def _argv(config: str, method: str = "sobol", n: int = 8) -> list[str]:
    argv = ["sensitivity", config, "--method", method, "--n", str(n)]
    for path, (low, high) in INPUTS.items():
        argv += ["--input", f"{path}={low:g}:{high:g}"]
    for name in OUTPUTS:
        argv += ["--output", name]
    return [*argv, "--runs", "10", "--seed", "3", "--workers", "1"]


@pytest.mark.parametrize(("method", "n"), [("sobol", 8), ("morris", 4)])
def test_the_command_reproduces_fundflow_sensitivity(
    program: str, method: str, n: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main([*_argv(program, method, n), "--out", str(out), "--format", "csv,md"]) == 0
    printed = capsys.readouterr().out
    expected = fundflow.sensitivity(program, INPUTS, OUTPUTS, method=method, n=n, runs=10, seed=3)
    written = pd.read_csv(out / "sensitivity.csv")
    assert written.columns.tolist() == expected.columns.tolist()
    assert written[["output", "input"]].equals(expected[["output", "input"]])
    numbers = expected.columns[2:]
    np.testing.assert_allclose(written[numbers], expected[numbers], rtol=0, atol=1e-12)
    # printed: one table per output, every index with its 95% CI
    assert "Government all-in net cost, mean (CNY million)" in printed
    assert "Government all-in net cost, CVaR 95% (CNY million)" in printed
    first = expected.iloc[0]
    if method == "sobol":
        assert "First-order S1" in printed and "Total ST" in printed
        low, high = first["S1"] - first["S1_conf"], first["S1"] + first["S1_conf"]
        assert re.search(rf"{first['S1']:.3f} +\[{low:.3f}, {high:.3f}\]", printed)
        assert f"{n * (len(INPUTS) + 2)} design points x 10 replications" in printed
    else:
        assert "Mean absolute effect μ*" in printed and "Spread of effects σ" in printed
        mu, half = first["mu_star"], first["mu_star_conf"]
        assert re.search(rf"{mu:,.2f} +\[{mu - half:,.2f}, {mu + half:,.2f}\]", printed)
    assert (out / "sensitivity.md").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["method"] == method and manifest["n"] == n and manifest["runs"] == 10
    assert manifest["seed_entropy"] == 3 and manifest["outputs"] == OUTPUTS
    assert manifest["inputs"] == {k: list(v) for k, v in INPUTS.items()}


def test_chinese_labels_and_set(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*_argv(program, "morris", 2), "--lang", "zh", "--set", "government.matching.cap=1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "平均绝对效应 μ*" in printed and "95%置信区间" in printed and "随机种子 3" in printed
    assert "政府全口径净成本，均值（百万元）" in printed
    # the override reached every design point: a cap of 1 per challenge bounds the match
    capped = fundflow.apply_overrides(
        fundflow.load_scenario(program), {"government.matching.cap": 1}
    )
    expected = fundflow.sensitivity(capped, INPUTS, OUTPUTS, method="morris", n=2, runs=10, seed=3)
    assert f"{expected.iloc[0]['mu_star']:,.2f}" in printed


def test_an_output_no_input_moves_is_a_warning_line(
    program: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sensitivity", program, "--input", "discount_rate=0:0.1", "--n", "2"]
    argv += ["--output", "gov_net_cost_mean", "--runs", "5", "--seed", "1", "--workers", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "warning: output gov_net_cost_mean takes the same value at every point" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--input", "government.matching.ratio"], "must be PATH=LOW:HIGH"),
        (["--input", "government.matching.ratio=0.1-0.3"], "must be PATH=LOW:HIGH"),
        (["--input", "government.matching.ratio=low:0.3"], "must be PATH=LOW:HIGH"),
        (["--input", "government.matching.ratio=0.3:0.1"], "LOW must be below HIGH (0.3 >= 0.1)"),
        (["--input", "government.matching.ratio=0.2:0.2"], "LOW must be below HIGH"),
        (
            ["--input", "government.matching.rato=0.1:0.3"],
            "no such key; did you mean 'government.matching.ratio'",
        ),
        (["--input", "government.matching.ratio=0.1:1.5"], "must be in [0, 1]"),
        (["--input", "government.matching.mode=0:1"], "must be non-empty text"),
        (["--input", "challenges[0].solvers=1.2:1.8"], "holds no whole number"),
        (
            [
                "--input",
                "challenges[0].solvers=1:3",
                "--input",
                "challenges[sensor-chip].solvers=1:2",
            ],
            "names the same key as --input 'challenges[0].solvers=1:3'",
        ),
        ([], "--input: none given"),
        (
            ["--input", "discount_rate=0:0.1", "--output", "gov_net_cost_cvar"],
            "--output = 'gov_net_cost_cvar': did you mean 'gov_net_cost_cvar95'?",
        ),
        (["--input", "discount_rate=0:0.1", "--output", "nonsense"], "a column of the sweep table"),
        (["--input", "discount_rate=0:0.1", "--n", "6"], "--n = 6: Sobol' needs a power of 2"),
        (["--input", "discount_rate=0:0.1", "--n", "1", "--method", "morris"], "--n = 1"),
        (["--input", "discount_rate=0:0.1", "--method", "sobl"], "choose from 'sobol', 'morris'"),
        (["--input", "discount_rate=0:0.1", "--set", "discount_rat=0.1"], "did you mean"),
    ],
)
def test_bad_input_is_one_error_line(
    argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    n = [] if "--n" in argv else ["--n", "4"]
    code = main(["sensitivity", CONFIG, *argv, *n, "--runs", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert needle in one_error_line(captured.err)
    assert captured.out == "" and not out.exists()


def test_missing_n_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", CONFIG, "--input", "discount_rate=0:0.1"]) == 2
    assert "required: --n" in one_error_line(capsys.readouterr().err)


def test_the_methods_are_the_library_s() -> None:
    assert cli_sensitivity.METHODS == METHODS


def test_every_column_and_sentence_has_a_label_in_both_languages() -> None:
    from fundflow.io import labels

    columns = ["output", "input", "S1", "S1_conf", "ST", "ST_conf"]
    columns += ["mu", "mu_star", "mu_star_conf", "sigma"]
    sentences = ["msg_sensitivity_runs", "msg_sobol_note", "msg_morris_note"]
    for name in columns + sentences:
        row = labels.LABELS[name]
        assert row.en.strip() and any("\u4e00" <= c <= "\u9fff" for c in row.zh), name
    fields = dict(method="Morris", outputs=1, inputs=2, points=12, runs=10, seed=3, note="")
    for lang in labels.LANGS:
        assert "12" in labels.text("msg_sensitivity_runs", lang, **fields)
