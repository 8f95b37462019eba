"""Choosing the simulation engine: ``engine=`` / ``RunSettings.engine`` / ``--engine``.

The compiled engine runs where ``fundflow.engine.compiled`` imports, says it is
``available()`` and ``supports(plan)``; otherwise the SimPy engine runs (with one
warning when numba is missing). The result records the engine that ran.
"""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import one_error_line
from fundflow.cli import main
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.simpy_engine import run_replication
from fundflow.errors import ConfigError
from fundflow.run import _blocks
from fundflow.run.settings import RunSettings

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "upfront_grant.yaml"


@pytest.fixture
def fake_compiled(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A stand-in ``fundflow.engine.compiled`` that runs SimPy and counts its blocks."""
    calls = types.SimpleNamespace(blocks=0, supported=True, available=True)

    def run_block(plan, draws):  # type: ignore[no-untyped-def]
        calls.blocks += 1
        n = len(draws.replications)
        return BlockOutcome.of([run_replication(plan, draws, i) for i in range(n)])

    module = types.ModuleType("fundflow.engine.compiled")
    module.available = lambda: calls.available  # type: ignore[attr-defined]
    module.supports = lambda plan: calls.supported  # type: ignore[attr-defined]
    module.run_block = run_block  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fundflow.engine.compiled", module)
    return calls


def test_simpy_and_the_default_give_the_same_tables() -> None:
    simpy = fundflow.simulate(CONFIG, 30, seed=4, engine="simpy")
    default = fundflow.simulate(CONFIG, 30, seed=4)
    assert simpy.provenance.engine == "simpy"
    assert default.provenance.engine in ("compiled", "simpy")
    np.testing.assert_allclose(default.runs, simpy.runs, rtol=1e-9, atol=0.0)
    pd.testing.assert_frame_equal(
        default.routes.select_dtypes(exclude="number"),
        simpy.routes.select_dtypes(exclude="number"),
    )


def test_the_compiled_engine_runs_where_it_can(fake_compiled: types.SimpleNamespace) -> None:
    res = fundflow.simulate(CONFIG, 12, seed=4, chunk_size=5)
    assert fake_compiled.blocks == 3 + 2  # and the entry pilot's k = 1, 2 (compiled)
    assert res.provenance.engine == "compiled"
    assert res.provenance.manifest()["engine"] == "compiled"
    ref = fundflow.simulate(CONFIG, 12, seed=4, engine="simpy")
    assert fake_compiled.blocks == 5  # the pilot's V(k) is reused; no block asks it
    pd.testing.assert_frame_equal(res.runs, ref.runs, check_exact=True)


def test_simpy_where_the_compiled_engine_does_not_support_the_plan(
    fake_compiled: types.SimpleNamespace,
) -> None:
    fake_compiled.supported = False
    assert fundflow.simulate(CONFIG, 5, seed=1).provenance.engine == "simpy"
    assert fake_compiled.blocks == 0


def test_sweeps_and_comparisons_record_the_engine(fake_compiled: types.SimpleNamespace) -> None:
    lever = {"government.matching.ratio": [0.2, 0.3]}
    sweep = fundflow.sweep(CONFIG, lever, runs=5, seed=1)
    assert sweep.provenance.engine == "compiled"
    assert fundflow.sweep(CONFIG, lever, runs=5, seed=1, engine="simpy").provenance.engine == (
        "simpy"
    )
    cmp = fundflow.compare(CONFIG, CONFIG, runs=5, seed=1, engine="simpy")
    assert cmp.provenance.engine == "simpy"


def test_without_numba_one_warning_then_simpy(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _blocks.importlib.import_module

    def no_numba(name: str):  # type: ignore[no-untyped-def]
        if name == "fundflow.engine.compiled":
            raise ModuleNotFoundError("No module named 'numba'", name="numba")
        return real(name)

    monkeypatch.setattr(_blocks.importlib, "import_module", no_numba)
    monkeypatch.setattr(_blocks, "_warned_no_numba", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = fundflow.simulate(CONFIG, 6, seed=2, chunk_size=2)
        fundflow.simulate(CONFIG, 2, seed=2)
    messages = [str(w.message) for w in caught if "numba" in str(w.message)]
    assert len(messages) == 1 and "pip install numba" in messages[0]
    assert "\n" not in messages[0]
    assert first.provenance.engine == "simpy"


@pytest.mark.parametrize("bad", ["numba", "", 1, None])
def test_a_bad_engine_is_one_clear_error(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^engine = .*: must be 'compiled' or 'simpy'$"):
        fundflow.simulate(CONFIG, 2, seed=1, engine=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="engine"):
        RunSettings(engine=bad)  # type: ignore[arg-type]


def test_cli_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["run", str(CONFIG), "--runs", "5", "--seed", "1", "--quiet"]
    assert main([*args, "--engine", "simpy", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["engine"] == "simpy"
    capsys.readouterr()
    assert main([*args, "--engine", "fast"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--engine" in line and "'fast'" in line and "compiled" in line and "simpy" in line
