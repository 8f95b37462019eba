"""Nothing half-written, no traceback, no silent surprise: signals, --out, full disk, size.

* SIGTERM is handled like Ctrl-C (clean-up, a message, exit 143); temporary
  files left by a killed run are removed by the next run into the folder, which
  says so.
* ``--out`` holding the same run is replaced; another run's results are refused
  unless ``--overwrite`` (which removes the old run's files the new one does not
  write).
* A full disk exits 2 with one ``error:`` line.
* The size of the program and an estimate of time and memory are printed before
  a run; a run too big for this machine's memory is refused at once.
* ``--target-se`` that stops at ``--max-runs`` exits 3 (see also test_cli.py).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pytest

import fundflow
from conftest import one_error_line
from fundflow.cli import _guard, build_parser, main
from fundflow.io import writers

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
BENCHMARK = str(ROOT / "configs" / "benchmark_100.yaml")
SMALL = ["--runs", "12", "--seed", "1"]


def _files(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(path.iterdir())}


# --------------------------------------------------------------------------- SIGTERM


def test_sigterm_while_writing_tables_cleans_up_and_exits_143(tmp_path, capsys, monkeypatch):
    real = writers.write_csv

    def terminated_midway(frame, path):
        Path(path).write_text("half a table", encoding="utf-8")
        if Path(path).name.startswith(".summary.csv."):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts this
        real(frame, path)

    monkeypatch.setattr(writers, "write_csv", terminated_midway)
    out = tmp_path / "out"
    assert main(["run", CONFIG, *SMALL, "--out", str(out), "--quiet"]) == 143
    err = capsys.readouterr().err
    assert "terminated: no table was left half-written" in err and "Traceback" not in err
    # the tables written before the signal are gone; the finished run's dataset is kept
    assert [p.name for p in out.iterdir()] == ["dataset"] and "--resume" in err
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_sigterm_during_xlsx_leaves_no_part_or_layout_file(tmp_path, capsys, monkeypatch):
    from fundflow.io import _xlsx

    real = _xlsx._stream_rows

    def terminated(layout, path, bulk):
        assert Path(layout).exists()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        real(layout, path, bulk)

    monkeypatch.setattr(_xlsx, "_stream_rows", terminated)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code = main(["run", CONFIG, *SMALL, "--out", str(tmp_path), "--format", "xlsx", "--quiet"])
    assert code == 143
    assert "terminated" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset", "notes.txt"]


def test_the_next_run_removes_temporaries_of_a_killed_run_and_says_so(tmp_path, capsys):
    for name in (".results.xlsx.k3j2.part", ".results.xlsx.k3j2.layout", ".runs.csv.x.part"):
        (tmp_path / name).write_bytes(b"\0" * 100)
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "removed 3 temporary files" in err and "interrupted run" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert (tmp_path / "manifest.json").exists()


# --------------------------------------------------------------------------- --out


def test_the_same_run_into_the_same_folder_replaces_it(tmp_path, capsys) -> None:
    args = ["run", CONFIG, *SMALL, "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--format", "csv,md"]) == 0
    assert main([*args, "--format", "md"]) == 0  # the README's quick start is re-runnable
    names = set(_files(tmp_path))
    assert "summary.md" in names and "summary.csv" not in names  # old files not rewritten: gone
    listed = {f["name"] for f in json.loads((tmp_path / "manifest.json").read_text())["files"]}
    assert names == listed | {"manifest.json", "dataset"}  # dataset: the run's own manifest


@pytest.mark.parametrize(
    "other",
    [
        ["--runs", "13", "--seed", "1"],
        ["--runs", "12", "--seed", "2"],
        ["--runs", "12", "--seed", "1", "--set", "government.matching.ratio=0.3"],
    ],
)
def test_another_run_is_refused_without_overwrite(tmp_path, capsys, other) -> None:
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path), "--quiet"]) == 0
    before = _files(tmp_path)
    capsys.readouterr()
    assert main(["run", CONFIG, *other, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert "holds the results of another run" in line
    assert "--overwrite" in line and "another --out" in line
    assert captured.out == ""
    assert _files(tmp_path) == before  # untouched


def test_a_fresh_seed_is_never_the_same_run(tmp_path, capsys) -> None:
    assert main(["run", CONFIG, "--runs", "12", "--out", str(tmp_path), "--quiet"]) == 0
    assert main(["run", CONFIG, "--runs", "12", "--out", str(tmp_path), "--quiet"]) == 2
    assert "another run" in capsys.readouterr().err


def test_overwrite_replaces_and_removes_the_old_runs_files(tmp_path, capsys) -> None:
    base = ["run", CONFIG, "--seed", "1", "--out", str(tmp_path), "--quiet"]
    assert main([*base, "--runs", "12", "--format", "csv,md"]) == 0
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main([*base, "--runs", "13", "--format", "md", "--overwrite"]) == 0
    names = set(_files(tmp_path))
    assert not {n for n in names if n.endswith(".csv") and not n.startswith(("ledger", "party"))}
    assert "notes.txt" in names  # not a file of the old run
    assert json.loads((tmp_path / "manifest.json").read_text())["runs"] == 13


def test_results_without_a_manifest_are_refused(tmp_path, capsys) -> None:
    (tmp_path / "summary.csv").write_text("measure,mean\n", encoding="utf-8")
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "without a manifest.json" in line and "summary.csv" in line and "--overwrite" in line


def test_compare_and_sweep_refuse_another_run_too(tmp_path, capsys) -> None:
    upfront = str(ROOT / "configs" / "upfront_grant.yaml")
    cmp = ["compare", CONFIG, upfront, "--runs", "6", "--seed", "1", "--quiet"]
    assert main([*cmp, "--out", str(tmp_path / "c")]) == 0
    assert main([*cmp, "--out", str(tmp_path / "c")]) == 0  # same comparison
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path / "c")]) == 2
    assert "another run" in capsys.readouterr().err
    sweep = ["sweep", CONFIG, "--lever", "government.matching.ratio=0.2,0.3", "--runs", "4"]
    assert main([*sweep, "--seed", "1", "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert main([*sweep, "--seed", "1", "--out", str(tmp_path / "c"), "--overwrite"]) == 0
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["sampler"] == "grid"
    assert not (tmp_path / "c" / "comparison.csv").exists()


# --------------------------------------------------------------------------- full disk


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_full_disk_exits_2_with_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch, code):
    def full(frame, path):
        Path(path).write_text("partial", encoding="utf-8")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(writers, "write_csv", full)
    out = tmp_path / "out"
    assert main(["run", CONFIG, *SMALL, "--out", str(out), "--quiet"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: cannot write:") and os.strerror(code) in line
    assert [p.name for p in out.iterdir()] == ["dataset"]  # the finished run, for --resume


def test_an_unexpected_write_failure_still_exits_1(tmp_path, capsys, monkeypatch) -> None:
    def broken(frame, path):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(writers, "write_csv", broken)
    assert main(["run", CONFIG, *SMALL, "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert one_error_line(capsys.readouterr().err).startswith("error: cannot write:")


# --------------------------------------------------------------------------- size


def _big(tmp_path: Path, count: int = 10_000_000, solvers: int = 1) -> str:
    text = (
        "name: big\nchallenges:\n  - name: a\n    total_investment: 10\n"
        f"    count: {count}\n    solvers: {solvers}\n    phases:\n"
        "      - {name: p1, duration: 1.0, cost_share: 0.5, pass_probability: 0.5}\n"
        "      - {name: p2, duration: 1.0, cost_share: 0.5, pass_probability: 0.5}\n"
    )
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_ten_million_challenges_are_refused_at_once(tmp_path, capsys, command) -> None:
    big = _big(tmp_path)
    out = tmp_path / "out"
    argv = (
        [command, big] if command == "validate" else ["run", big, "--runs", "10", "--out", str(out)]
    )
    started = time.perf_counter()
    assert main(argv) == 2
    assert time.perf_counter() - started < 0.5
    line = one_error_line(capsys.readouterr().err)
    assert "10,000,000 challenges, 10,000,000 routes" in line
    assert "of memory" in line and "--no-size-limit" in line
    assert not out.exists()


def test_no_size_limit_lets_validate_go_ahead(tmp_path, capsys) -> None:
    assert main(["validate", _big(tmp_path), "--no-size-limit"]) == 0
    captured = capsys.readouterr()
    assert "10000000 challenges" in captured.out
    assert captured.err.startswith("size: 10,000,000 challenges, 10,000,000 routes; 1,000 ")


def test_validate_and_run_print_the_size_and_estimate(capsys) -> None:
    assert main(["validate", CONFIG]) == 0
    err = capsys.readouterr().err
    # validate simulates nothing (it stays quick): memory only, the time when a run starts
    assert err.startswith("size: 30 challenges, 44 routes; 1,000 replications on 1 worker: ")
    assert " MB of memory (the time is measured when the run starts)" in err
    assert main(["run", CONFIG, *SMALL]) == 0
    err = capsys.readouterr().err
    assert "size: 30 challenges, 44 routes; 12 replications on 1 worker: about" in err
    assert " s and " in err


def test_the_time_is_measured_with_the_engine_that_runs(capsys) -> None:
    from fundflow.run import pace as _pace

    scenario = fundflow.load_scenario(CONFIG)
    est = _guard.estimate(scenario, 10_000, 2)
    assert est.seconds is None and "about" not in est.text()  # memory only, from counts
    pace = _pace.measure(scenario, "compiled", budget=0.05)
    assert pace.per_run > 0 and pace.per_block >= 0
    assert 1 <= pace.cores <= (os.cpu_count() or 1)
    blocks = _guard.run_blocks(10_000, 2, "compiled")
    assert sum(blocks) == 10_000
    timed = _guard.timed(est, pace, blocks)
    assert timed.seconds is not None and timed.seconds >= 10_000 * pace.per_run / 2
    assert " replications on 2 workers: about " in timed.text()
    written = _guard.timed(est, pace, blocks, out=True).seconds
    assert written is not None and written > timed.seconds  # writing --out takes its time


def test_the_pace_scales_to_the_blocks_and_the_free_cores() -> None:
    from fundflow.run.pace import Pace, _fit

    blocks = [1000] * 10
    free = Pace(per_block=0.01, per_run=0.001, first=0.5, cores=2.0)
    assert free.seconds(blocks, 1) == pytest.approx(10.1)
    assert free.seconds(blocks, 2) == pytest.approx((10.1 + 2.0) / 2)  # a pool process starts
    assert free.seconds([10], 2) == free.seconds([10], 1)  # too short for the pool to help
    busy = Pace(per_block=0.01, per_run=0.001, first=0.5, cores=1.0)  # the other core is taken
    assert busy.seconds(blocks, 2) == pytest.approx(10.1)
    fitted = _fit([1, 2, 4, 8], [0.003 + 0.002 * n for n in (1, 2, 4, 8)], 0.5, 2.0)
    assert (fitted.per_block, fitted.per_run) == (pytest.approx(0.003), pytest.approx(0.002))


def test_validate_neither_compiles_nor_measures(capsys, monkeypatch) -> None:
    """``validate`` stays quick: no pilot, no compile (a run measures its time)."""
    from fundflow.run import pace as _pace

    monkeypatch.setattr(_pace, "must_compile", lambda engine: pytest.fail("checked"))
    monkeypatch.setattr(_pace, "measure", lambda *a, **k: pytest.fail("measured"))
    assert main(["validate", CONFIG]) == 0
    err = capsys.readouterr().err
    assert err.startswith("size: 30 challenges, 44 routes; 1,000 replications on 1 worker: ")
    assert " MB of memory (the time is measured when the run starts)" in err


def test_many_solvers_are_refused_for_many_runs_but_not_for_a_few(tmp_path, capsys) -> None:
    many = _big(tmp_path, count=1, solvers=100_000)
    est = _guard.estimate(fundflow.load_scenario(many), 10)
    assert 0.3e9 < est.bytes < 3e9 and est.seconds is None  # measured: 929 MB
    limit = _guard.memory_limit()
    huge = _guard.estimate(fundflow.load_scenario(many), 1000)
    if huge.bytes > limit:
        assert main(["run", many, "--runs", "1000"]) == 2
        assert "--no-size-limit" in capsys.readouterr().err


def test_the_benchmarks_large_runs_are_not_refused() -> None:
    scenario = fundflow.load_scenario(BENCHMARK)
    for runs, workers in ((10_000, 2), (10_000, 1), (4_000, 2)):
        est = _guard.estimate(scenario, runs, workers)
        assert est.bytes < 4e9, est
        _guard.check_size(est, allow=False)


def test_the_estimate_needs_no_per_route_arrays(monkeypatch) -> None:
    from fundflow.engine import layout

    def forbidden(*args, **kwargs):
        raise AssertionError("Layout built for an estimate")

    monkeypatch.setattr(layout.Layout, "of", forbidden)
    scenario = fundflow.load_scenario(CONFIG)
    est = _guard.estimate(scenario, 1000, 1)
    assert (est.challenges, est.routes) == (scenario.n_challenges, scenario.n_routes)


def test_more_workers_than_cores_warns(capsys) -> None:
    from fundflow.cli import _workers

    cores = os.cpu_count() or 1
    assert _workers(str(cores + 62), 10) == cores + 62
    err = capsys.readouterr().err
    assert err.startswith(f"warning: --workers {cores + 62} is more than the {cores} core")
    assert "the results are the same" in err
    assert _workers(str(cores), 10) == cores and capsys.readouterr().err == ""


# --------------------------------------------------------------------------- exit 3


def test_run_help_documents_the_exit_codes(capsys) -> None:
    run = next(
        a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "run"
    )[1]
    text = " ".join(run.format_help().split())
    assert "exit status: 0 success" in text and "3 --target-se not reached" in text
    assert "143 terminated" in text


def test_readme_documents_the_exit_codes() -> None:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for code in ("`0`", "`2`", "`3`", "`130`", "`143`"):
        assert code in text
    assert "--overwrite" in text and "--no-size-limit" in text
