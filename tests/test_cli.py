"""The ``fundflow`` command, called in-process through ``main([...])``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import fundflow
from conftest import one_error_line
from fundflow.cli import main
from fundflow.io import writers
from fundflow.run import montecarlo

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
UPFRONT = str(ROOT / "configs" / "upfront_grant.yaml")
SMALL = ["--runs", "20", "--seed", "1"]


# --------------------------------------------------------------------------- validate


def test_validate_good(capsys) -> None:
    assert main(["validate", CONFIG]) == 0
    out = capsys.readouterr().out.strip()
    assert out == fundflow.load_scenario(CONFIG).describe()


def test_validate_with_an_override(capsys) -> None:
    assert main(["validate", CONFIG, "--set", "government.matching.ratio=0.3"]) == 0
    assert "matching 0.3 " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nchallenges:\n  - {name: a, total_investment: -5}\n", "total_investment = -5"),
        ("name: x\nchallenges:\n  - {name: a, total_investment: 5, solverz: 2}\n", "solvers"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_validate_bad(tmp_path, capsys, text, expected) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert expected in one_error_line(captured.err)
    assert captured.out == ""


def test_validate_missing_file(tmp_path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in one_error_line(capsys.readouterr().err)


# --------------------------------------------------------------------------- run


def test_run_prints_a_readable_summary(capsys) -> None:
    assert main(["run", CONFIG, *SMALL]) == 0
    out = capsys.readouterr().out
    assert "20 replications, seed 1, 1 worker" in out
    for text in ("Measure", "Mean", "95% CI", "p5", "p50", "p95", "VaR 95%", "CVaR 95%"):
        assert text in out
    lines = out.splitlines()
    measures = [line for line in lines if "(CNY million)" in line and line[:1].isupper()]
    # the headline is the budget cost (财政净支出), first; the all-in net cost after it
    assert measures[0].startswith("Government budget cost (CNY"), measures[:2]
    budget = fundflow.simulate(CONFIG, 20, seed=1, progress=False).summary().loc["gov_budget_cost"]
    assert f"{budget['mean']:,.2f}" in measures[0] and f"{budget['cvar95']:,.2f}" in measures[0]
    assert any(line.startswith("Government all-in net cost (CNY") for line in lines)
    assert "Net cash by party, mean (+ received, − paid) (CNY million)" in out
    assert "of which: guided fund (gov_lp)" not in out  # no fund in this scenario
    assert "P(success)" in out and "Solver NPV/route" in out  # the per-challenge table


def test_run_writes_all_formats(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    fmt = "csv,xlsx,parquet,md,tex"
    args = ["run", CONFIG, *SMALL, "--out", str(out), "--format", fmt, "--tables", "runs,routes"]
    assert main(args) == 0
    names = {p.name for p in out.iterdir()}
    tables = ("summary", "challenges", "budget_by_year", "parties", "ledger_0000", "runs", "routes")
    expected = {f"{t}.{f}" for t in tables for f in fmt.split(",") if f != "xlsx"}
    expected |= {"results.xlsx", "manifest.json"}
    expected |= {"dataset"}  # the run streamed to Parquet datasets (fundflow.open_run)
    assert names == expected
    assert "wrote 30 files and dataset/ (" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out / "results.xlsx")
    assert wb.sheetnames == list(tables)
    assert wb["runs"].freeze_panes == "B2"
    assert wb["runs"]["B1"].value == "Government budget cost (CNY million)"
    assert wb["runs"]["B2"].number_format == "#,##0.00"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"] == 20 and manifest["seed_entropy"] == 1
    assert manifest["scenario"]["file"] == CONFIG
    assert manifest["command"][:3] == ["fundflow", "run", CONFIG]
    assert manifest["formats"] == fmt.split(",")


def test_run_lang_zh(tmp_path, capsys) -> None:
    assert main(["run", CONFIG, *SMALL, "--lang", "zh", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "财政净支出（百万元）" in out and "均值" in out and "政府" in out
    assert "5%分位" in out and "中位数" in out and "95%分位" in out
    summary = pd.read_csv(tmp_path / "summary.csv", index_col="代码", encoding="utf-8-sig")
    assert summary.loc["solver_loss", "指标"] == "揭榜方损失"


def test_run_with_overrides(tmp_path, capsys) -> None:
    args = ["run", CONFIG, *SMALL, "--set", "government.matching.ratio=0.3"]
    args += ["--set", "challenges[sensor-chip].solvers=3", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    assert "matching 0.3 " in capsys.readouterr().out
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == [
        "government.matching.ratio=0.3",
        "challenges[sensor-chip].solvers=3",
    ]
    assert manifest["scenario"]["source"]["government"]["matching"]["ratio"] == 0.3


def test_run_target_se_converges(capsys) -> None:
    assert main(["run", CONFIG, "--target-se", "0.05", "--seed", "1", "--quiet"]) == 0
    assert "converged: relative SE of the government net cost" in capsys.readouterr().out


def test_run_target_se_hits_max_runs(tmp_path, capsys) -> None:
    args = ["run", CONFIG, "--target-se", "1e-6", "--max-runs", "30", "--seed", "1"]
    assert main([*args, "--out", str(tmp_path), "--quiet"]) == 3  # not a success
    captured = capsys.readouterr()
    assert "converged" not in captured.out and "Mean" in captured.out  # results printed
    assert captured.err.startswith("not converged: hit --max-runs 30 with relative SE")
    assert "exit status 3" in captured.err
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["convergence"]["converged"] is False and manifest["runs"] == 30


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_run_target_se_not_reached_without_out_exits_3(capsys, lang) -> None:
    args = ["run", CONFIG, "--target-se", "1e-9", "--max-runs", "40", "--seed", "1", "--quiet"]
    assert main([*args, "--lang", lang]) == 3
    captured = capsys.readouterr()
    assert "converged" not in captured.out and "收敛" not in captured.out
    assert "--max-runs 40" in captured.err and "3" in captured.err
    assert len(captured.err.strip().splitlines()) == 1  # one line, no traceback


def test_run_plots(tmp_path, capsys) -> None:
    pytest.importorskip("fundflow.plots")
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path), "--plots", "--quiet"]) == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert set(pngs) <= {f["name"] for f in manifest["files"]}


BAD = [
    (["--runs", "0"], "--runs = 0: must be a whole number >= 1"),
    (["--runs", "many"], "--runs = 'many'"),
    (["--workers", "0"], "--workers = 0"),
    (["--format", "csv,xls"], "--format = 'xls': must be one or more of csv, xlsx"),
    (["--lang", "fr"], "--lang = 'fr'"),
    (["--target-se", "0"], "--target-se = 0.0: must be a number > 0"),
    (["--target-se", "-0.1"], "--target-se"),
    (["--target-se", "0.01", "--runs", "10"], "--runs"),
    (["--max-runs", "10"], "--max-runs: applies only with --target-se"),
    (["--seed", "-1"], "--seed"),
    (["--set", "government.matching.ratio=1.4"], "government.matching.ratio = 1.4"),
    (["--set", "government.matching.rato=0.3"], "did you mean 'government.matching.ratio'"),
    (["--set", "no-equals-sign"], "--set"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(("extra", "expected"), BAD)
def test_run_bad_input_exit_2_and_nothing_written(tmp_path, capsys, extra, expected) -> None:
    out = tmp_path / "out"
    assert main(["run", CONFIG, "--out", str(out), *extra]) == 2
    captured = capsys.readouterr()
    assert expected in one_error_line(captured.err)
    assert captured.out == ""
    assert not out.exists()


def test_run_plots_need_out(capsys) -> None:
    assert main(["run", CONFIG, *SMALL, "--plots"]) == 2
    assert "--plots: needs --out" in one_error_line(capsys.readouterr().err)


def test_run_bad_config_writes_nothing(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nchallenges: []\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert "challenges" in one_error_line(capsys.readouterr().err)
    assert not out.exists()
    assert main(["run", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert "file not found" in one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_run_unwritable_out_dir(tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", CONFIG, *SMALL, "--out", str(blocker / "out")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: --out = ") and "cannot be written" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_interrupt_during_simulation_exit_130_and_no_directory(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(montecarlo, "simulate", interrupted)
    out = tmp_path / "new" / "out"
    assert main(["run", CONFIG, *SMALL, "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # the directories this run created are gone


def test_interrupt_during_export_leaves_no_half_written_table(tmp_path, capsys, monkeypatch):
    real = writers._write_text

    def interrupted(table, path, fmt, lang, money_unit):
        Path(path).write_text("| half a table", encoding="utf-8")
        if table.name == "runs":
            raise KeyboardInterrupt
        real(table, path, fmt, lang, money_unit)

    monkeypatch.setattr(writers, "_write_text", interrupted)
    args = ["run", CONFIG, *SMALL, "--out", str(tmp_path), "--format", "csv,md"]
    assert main([*args, "--tables", "runs,routes"]) == 130
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "runs.md" not in names and "routes.md" not in names and "manifest.json" not in names
    assert not [n for n in names if n.startswith(".")]  # temporaries removed
    for name in names:  # whatever is under a final name is complete
        if name.endswith(".md"):
            assert not (tmp_path / name).read_text(encoding="utf-8").startswith("| half")


# --------------------------------------------------------------------------- compare


def test_compare_prints_paired_differences(tmp_path, capsys) -> None:
    args = ["compare", CONFIG, UPFRONT, "--runs", "40", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path), "--format", "csv,md", "--quiet"]) == 0
    out = capsys.readouterr().out
    for text in ("Mean A", "Mean B", "Difference A − B", "CI width, paired / unpaired"):
        assert text in out
    assert "CVaR 95% A" in out and "Government budget cost: A − B = -" in out
    table = pd.read_csv(tmp_path / "comparison.csv", index_col="measure")
    assert table.loc["gov_gross_outlay", "mean_diff"] < 0
    assert (tmp_path / "comparison.md").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario_a"]["file"] == CONFIG and manifest["scenario_b"]["file"] == UPFRONT
    assert manifest["seed_entropy"] == 3 and manifest["runs"] == 40


def test_compare_bad_input(tmp_path, capsys) -> None:
    assert main(["compare", CONFIG, UPFRONT, "--runs", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--runs" in one_error_line(capsys.readouterr().err)
    assert main(["compare", CONFIG]) == 2
    assert "required" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_compare_set_overrides_both_scenarios(tmp_path, capsys) -> None:
    """--set applies to A and B: matching paid to the solver leaves the demander's cost
    the same in both (the payment mode no longer reaches it)."""
    args = ["compare", CONFIG, UPFRONT, "--runs", "20", "--seed", "3", "--quiet"]
    tables = {}
    for name, extra in (("plain", []), ("solver", ["--set", "government.matching.payee=solver"])):
        assert main([*args, *extra, "--out", str(tmp_path / name)]) == 0
        tables[name] = pd.read_csv(tmp_path / name / "comparison.csv", index_col="measure")
    assert tables["plain"].loc["demander_net_cost", "mean_diff"] != 0
    assert abs(tables["solver"].loc["demander_net_cost", "mean_diff"]) < 1e-9
    manifest = json.loads((tmp_path / "solver" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == ["government.matching.payee=solver"]
    capsys.readouterr()
    assert main([*args, "--set", "government.matching.ratio=0.3"]) == 0
    out = capsys.readouterr().out
    assert out.count("matching 0.3 ") == 2  # A and B echoed with the override


def test_compare_bad_set_is_one_error(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    argv = ["compare", CONFIG, UPFRONT, "--set", "government.matching.rato=0.3", "--out", str(out)]
    assert main(argv) == 2
    assert "did you mean 'government.matching.ratio'" in one_error_line(capsys.readouterr().err)
    assert not out.exists()


# --------------------------------------------------------------------------- the script


def test_help_and_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert fundflow.__version__ in capsys.readouterr().out
    assert main(["run", "--help"]) == 0
    help_text = capsys.readouterr().out
    for option in ("--runs", "--seed", "--workers", "--out", "--format", "--lang", "--quiet"):
        assert option in help_text
    for option in ("--target-se", "--max-runs", "--set", "--plots"):
        assert option in help_text


def test_installed_console_script(tmp_path) -> None:
    script = shutil.which("fundflow", path=str(Path(sys.executable).parent))
    assert script, "the fundflow console script is not installed next to this Python"
    ok = subprocess.run([script, "validate", CONFIG], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == fundflow.load_scenario(CONFIG).describe()
    bad = subprocess.run(
        [script, "run", CONFIG, "--runs", "0", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert one_error_line(bad.stderr) == "error: --runs = 0: must be a whole number >= 1"
    assert not (tmp_path / "o").exists()


def test_python_m_fundflow_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "fundflow", "validate", "configs/upfront_grant.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "upfront" in done.stdout.lower()


@pytest.mark.parametrize(
    ("command", "lang", "first"),
    [
        ("run", "en", "compiling the simulation engine (once after install; about a minute)…"),
        ("run", "zh", "正在编译模拟引擎（安装后仅需一次，约一分钟）…"),
        ("compare", "en", "compiling the simulation engine (once after install; about a minute)…"),
        ("sweep", "en", "compiling the simulation engine (once after install; about a minute)…"),
    ],
)
def test_a_cold_engine_cache_is_compiled_first_and_said(
    capsys, monkeypatch, command, lang, first
) -> None:
    from fundflow.run import pace as _pace

    warmed = []
    monkeypatch.setattr(_pace, "must_compile", lambda engine: not warmed)
    monkeypatch.setattr(_pace, "warm_up", lambda scenario, engine: warmed.append(engine) or 0.0)
    argv = {
        "run": ["run", CONFIG],
        "compare": ["compare", CONFIG, UPFRONT],
        "sweep": ["sweep", CONFIG, "--lever", "government.matching.ratio=0.2,0.3"],
    }[command]
    assert main([*argv, "--runs", "8", "--seed", "1", "--lang", lang]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == first and warmed[0] == "compiled"  # (and again to measure the pace)
    assert err[1] in ("compiled in 0 s", "编译完成，用时 0 秒")
    warmed.clear()
    assert main([*argv, "--runs", "8", "--seed", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == "" and warmed == []  # --quiet: the run compiles unsaid
