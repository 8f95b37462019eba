"""Runs streamed to disk: Parquet datasets, a manifest of blocks, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundflow
from fundflow.cli import main
from fundflow.errors import ConfigError
from fundflow.results.store import DATASETS

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
CLI = [sys.executable, "-c", "import sys; from fundflow.cli import main; sys.exit(main())"]


def _manifest(store: Path) -> dict:
    return json.loads((store / "manifest.json").read_text(encoding="utf-8"))


def _same_result(a: fundflow.SimulationResult, b: fundflow.SimulationResult) -> None:
    """Every table of two results equal, values and dtypes."""
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.routes, b.routes)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.challenges, b.challenges)
    pd.testing.assert_frame_equal(a.party_table(), b.party_table())
    pd.testing.assert_frame_equal(a.party_totals(), b.party_totals())
    pd.testing.assert_frame_equal(a.exposure_paths(), b.exposure_paths())


@pytest.fixture(scope="module")
def in_memory() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, 120, seed=7, progress=False)


def test_open_run_is_the_run_held_in_memory(tmp_path, in_memory) -> None:
    stored = fundflow.simulate(CONFIG, 120, seed=7, store=tmp_path, chunk_size=35)
    again = fundflow.open_run(tmp_path)
    for result in (stored, again):
        assert isinstance(result, fundflow.SimulationResult) and len(result) == 120
        _same_result(result, in_memory)
        pd.testing.assert_frame_equal(result.ledger(3), in_memory.ledger(3))
        assert result.provenance.scenario_sha256 == in_memory.provenance.scenario_sha256
        assert result.provenance.entropy == 7 and result.provenance.runs == 120
    manifest = _manifest(tmp_path)
    assert manifest["complete"] and manifest["block_size"] == 35
    assert [(b["start"], b["stop"]) for b in manifest["blocks"]] == [
        (0, 35), (35, 70), (70, 105), (105, 120)
    ]  # fmt: skip
    assert manifest["blocks"][0]["rows"]["routes"] == 35 * 44
    assert manifest["schema_version"] == 2 and len(manifest["code_fingerprint"]) == 64
    for name in DATASETS:
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
            f"part-{k:06d}.parquet" for k in range(4)
        ]


def _run_cli(out: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), *sys.path]))
    args = ["run", CONFIG, "--runs", "300", "--out", str(out), "--quiet", *extra]
    return subprocess.Popen(
        [*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _blocks_done(store: Path) -> int:
    try:
        return len(_manifest(store)["blocks"])
    except (OSError, ValueError):
        return 0


def test_a_run_killed_part_way_resumes_to_the_uninterrupted_numbers(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    proc = _run_cli(out, "--seed", "11")  # 300 replications: four blocks of 75
    deadline = time.monotonic() + 120
    while _blocks_done(out / "dataset") < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed = _manifest(out / "dataset")
    assert 1 <= len(killed["blocks"]) < 4 and not killed["complete"]
    assert not (out / "manifest.json").exists()  # no table was written

    assert main(["run", CONFIG, "--runs", "300", "--out", str(out), "--quiet", "--resume"]) == 0
    resumed = fundflow.open_run(out)
    assert resumed.entropy == 11  # the stored seed, none given
    reps = resumed.store.column("runs", "replication")
    assert np.array_equal(reps, np.arange(300))  # nothing lost, nothing counted twice
    assert resumed.routes.index.is_unique and len(resumed.routes) == 300 * 44

    whole = tmp_path / "whole"
    assert main(["run", CONFIG, "--runs", "300", "--seed", "11", "--out", str(whole)]) == 0
    assert _manifest(out / "dataset")["blocks"] == _manifest(whole / "dataset")["blocks"]
    _same_result(resumed, fundflow.open_run(whole))
    for name in ("summary.csv", "challenges.csv", "parties.csv", "ledger_0000.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes()


def test_a_corrupt_part_file_is_computed_again(tmp_path, in_memory) -> None:
    fundflow.simulate(CONFIG, 120, seed=7, store=tmp_path, chunk_size=40)
    blocks = _manifest(tmp_path)["blocks"]
    bad = tmp_path / "routes" / "part-000001.parquet"
    bad.write_bytes(bad.read_bytes()[:-100] + b"\0" * 100)
    untouched = (tmp_path / "runs" / "part-000000.parquet").stat().st_mtime_ns
    (tmp_path / "exposure" / "part-000002.parquet").unlink()  # and a missing one
    result = fundflow.simulate(CONFIG, 120, seed=7, store=tmp_path, chunk_size=40, resume=True)
    assert _manifest(tmp_path)["blocks"] == blocks
    assert (tmp_path / "runs" / "part-000000.parquet").stat().st_mtime_ns == untouched
    _same_result(result, in_memory)


def test_resume_after_a_code_change_or_on_another_engine_is_refused(tmp_path, monkeypatch):
    """A store written by other code (same version string) or by the other engine is
    not resumed: its numbers may differ from what this run would compute."""
    from fundflow.results import store as store_module

    fundflow.simulate(CONFIG, 40, seed=7, store=tmp_path, chunk_size=20)
    before = _manifest(tmp_path)
    with pytest.raises(ConfigError, match=r"the engine \(compiled or simpy\) differs"):
        fundflow.simulate(
            CONFIG, 40, seed=7, store=tmp_path, chunk_size=20, resume=True, engine="simpy"
        )
    monkeypatch.setattr(store_module, "code_fingerprint", lambda: "0" * 64)
    with pytest.raises(ConfigError, match=r"fundflow's code \(fingerprint of its sources\)"):
        fundflow.simulate(CONFIG, 40, seed=7, store=tmp_path, chunk_size=20, resume=True)
    assert _manifest(tmp_path) == before


def test_resume_with_another_seed_is_refused_naming_it(tmp_path, capsys) -> None:
    fundflow.simulate(CONFIG, 40, seed=7, store=tmp_path, chunk_size=20)
    before = _manifest(tmp_path)
    with pytest.raises(ConfigError, match=r"the seed differs \(seed_entropy 7 stored, 8 now\)"):
        fundflow.simulate(CONFIG, 40, seed=8, store=tmp_path, chunk_size=20, resume=True)
    with pytest.raises(ConfigError, match=r"the block size differs \(block_size 20 stored, 10"):
        fundflow.simulate(CONFIG, 40, seed=7, store=tmp_path, chunk_size=10, resume=True)
    assert _manifest(tmp_path) == before

    out = tmp_path / "out"
    assert main(["run", CONFIG, "--runs", "12", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    args = ["run", CONFIG, "--runs", "12", "--seed", "2", "--out", str(out), "--resume"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --resume")
    assert "the seed differs (seed_entropy 1 stored, 2 now)" in err[0]


def _interrupted(out: Path, runs: int, seed: int) -> dict:
    """A run into `out` as a kill leaves it: its last block not done, no tables."""
    assert main(["run", CONFIG, "--runs", str(runs), "--seed", str(seed), "--out", str(out)]) == 0
    for p in out.iterdir():
        if p.is_file():
            p.unlink()
    manifest = _manifest(out / "dataset")
    manifest["blocks"], manifest["complete"] = manifest["blocks"][:-1], False
    (out / "dataset" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


def test_an_unfinished_run_is_refused_without_resume(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    manifest = _interrupted(out, 12, 1)
    capsys.readouterr()
    for seed in ("1", "2"):
        assert main(["run", CONFIG, "--runs", "12", "--seed", seed, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "holds an unfinished run (3 blocks done, seed 1" in err[0]
        assert "--resume" in err[0] and "--overwrite" in err[0] and "another directory" in err[0]
        assert _manifest(out / "dataset") == manifest  # untouched
    with pytest.raises(ConfigError, match="resume=True to finish it"):
        fundflow.simulate(CONFIG, 12, seed=1, store=out / "dataset")
    with pytest.raises(ConfigError, match="unfinished run"):
        fundflow.open_run(out)
    assert len(fundflow.open_run(out, partial=True)) == 9

    args = ["run", CONFIG, "--runs", "12", "--seed", "2", "--out", str(out), "--quiet"]
    assert main([*args, "--overwrite"]) == 0
    assert fundflow.open_run(out).entropy == 2 and len(fundflow.open_run(out)) == 12


def test_resume_needs_out_and_a_fixed_number_of_runs(tmp_path, capsys) -> None:
    assert main(["run", CONFIG, "--runs", "12", "--resume"]) == 2
    assert "--resume: needs --out DIR" in capsys.readouterr().err
    args = ["run", CONFIG, "--target-se", "0.1", "--out", str(tmp_path), "--resume"]
    assert main(args) == 2
    assert "does not apply with --target-se" in capsys.readouterr().err


def test_a_folder_with_another_manifest_is_not_taken_for_a_store(tmp_path) -> None:
    (tmp_path / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holds a manifest\.json that is not a stored run's"):
        fundflow.simulate(CONFIG, 4, seed=1, store=tmp_path)
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == '{"files": []}'
    with pytest.raises(ConfigError, match="holds no stored run"):
        fundflow.open_run(tmp_path)
