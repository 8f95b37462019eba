"""A stored run read back: its summary, challenges and party tables are those of the run
held in memory, read a few columns per pass over the part files; a resumed run says
what it keeps and what it computes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundflow
from fundflow.cli import main
from fundflow.results import result as result_module
from fundflow.results import stored as stored_module
from fundflow.results.store import Store

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
RUNS = 120
#: The moments (mean and what is computed from it) may differ in the last bits between
#: a run read back and one held in memory, to 1e-12 relative; every quantile is exact.
MOMENTS = ("mean", "se", "ci_low", "ci_high", "std")


@pytest.fixture(scope="module")
def in_memory() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, RUNS, seed=7, progress=False)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store")
    fundflow.simulate(CONFIG, RUNS, seed=7, store=path, chunk_size=25, progress=False)
    return path


@pytest.fixture
def passes(monkeypatch) -> list[tuple[str, tuple[str, ...]]]:
    """Every pass over a dataset's part files: (dataset, columns read)."""
    seen: list[tuple[str, tuple[str, ...]]] = []
    real = Store.parts

    def parts(self, dataset, names):
        seen.append((dataset, tuple(names)))
        return real(self, dataset, names)

    monkeypatch.setattr(Store, "parts", parts)
    return seen


def _columns_per_pass(monkeypatch, columns: int) -> None:
    """Read `columns` columns of the runs table per pass over the part files, and
    summarise them one at a time (as a run of 10^6 replications does)."""
    monkeypatch.setattr(stored_module, "READ_BYTES", 8 * RUNS * columns)
    monkeypatch.setattr(result_module, "_COLUMN_BYTES", 8 * RUNS)


def test_the_summary_reads_each_column_once_a_few_per_pass(
    store_dir, in_memory, passes, monkeypatch
) -> None:
    _columns_per_pass(monkeypatch, 5)
    result = fundflow.open_run(store_dir)
    summary = result.summary()
    expected = in_memory.summary()
    assert list(summary.index) == list(expected.index)
    assert list(summary.columns) == list(expected.columns)
    moments = list(MOMENTS)
    others = [c for c in expected.columns if c not in moments]
    pd.testing.assert_frame_equal(summary[others], expected[others], check_exact=True)
    pd.testing.assert_frame_equal(summary[moments], expected[moments], rtol=1e-12, atol=0)
    for q in ("p5", "p50", "p95", "var95", "cvar95", "var99"):  # exact, by selection
        assert np.array_equal(summary[q].to_numpy(), expected[q].to_numpy(), equal_nan=True)

    runs = [names for dataset, names in passes if dataset == "runs" and names != ("replication",)]
    measures = [n for n in result.store.columns("runs") if n != "replication"]
    main_passes = runs[: math.ceil(len(measures) / 5)]
    read = [n for names in main_passes for n in names]
    assert sorted(read) == sorted(measures)  # every column once, five per pass
    assert all(len(names) == 5 for names in main_passes[:-1])
    ratio_inputs = {"gov_budget_cost", "challenges_succeeded"}
    assert len(runs) == len(main_passes) + 1 and ratio_inputs <= set(runs[-1])
    assert len(runs[-1]) <= 5  # the ratios' inputs again, in one pass, nothing more

    passes.clear()
    pd.testing.assert_frame_equal(result.summary(), summary)  # kept: no second reading
    assert not passes


def test_the_challenges_table_reads_a_group_of_names_per_pass(
    store_dir, in_memory, passes, monkeypatch
) -> None:
    # the five sums of one name per pass: never every name's sums at once
    monkeypatch.setattr(stored_module, "READ_BYTES", 8 * 5 * RUNS)
    result = fundflow.open_run(store_dir)
    pd.testing.assert_frame_equal(result.challenges, in_memory.challenges, check_exact=True)
    names = len({c.name for c in result.scenario.challenges})
    assert [d for d, _ in passes].count("challenges") == names


def test_the_party_table_is_the_one_held_in_memory(store_dir, in_memory, monkeypatch) -> None:
    _columns_per_pass(monkeypatch, 3)
    result = fundflow.open_run(store_dir)
    pd.testing.assert_frame_equal(result.party_table(), in_memory.party_table(), check_exact=True)


def _interrupt(store: Path, keep: int) -> None:
    """Make `store` look like a run killed after its first `keep` blocks."""
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    manifest["blocks"] = manifest["blocks"][:keep]
    manifest["complete"] = False
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_resumed_run_says_how_many_blocks_it_kept_and_computes(tmp_path, capsys) -> None:
    store = tmp_path / "store"
    fundflow.simulate(CONFIG, 40, seed=3, store=store, chunk_size=10, progress=False)
    _interrupt(store, 1)
    fundflow.simulate(CONFIG, 40, seed=3, store=store, chunk_size=10, resume=True)
    err = capsys.readouterr().err
    assert (
        f"resuming the run in {store}: kept 1 of 4 blocks (10 replications), computing 3 "
        "(30 replications)"
    ) in err
    _interrupt(store, 3)
    fundflow.simulate(CONFIG, 40, seed=3, store=store, chunk_size=10, resume=True, progress=False)
    assert "resuming" not in capsys.readouterr().err  # progress=False: nothing printed


def test_the_command_says_what_it_resumes(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = ["run", CONFIG, "--runs", "40", "--seed", "3", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    _interrupt(out / "dataset", 2)  # blocks of 10 replications (default_block_size(40))
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "kept 2 of 4 blocks (20 replications), computing 2 (20 replications)" in err
