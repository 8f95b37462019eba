"""The package's layers: readers of outcomes do not load the engine; books do not import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fundflow"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (also under TYPE_CHECKING)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    "module",
    [
        "engine/fund/simpy",
        "engine/credit/simpy",
        "engine/race/simpy",
        "engine/budget/simpy",
        "engine/matching/simpy",
        "engine/tax/simpy",
        "engine/reserve/simpy",
        "engine/hooks",
        "engine/outcome",
        "results/measures",
        "results/result",
        "results/metrics",
    ],
)
def test_module_does_not_import_the_simpy_engine(module: str) -> None:
    names = imported_modules(SRC / f"{module}.py")
    assert not {n for n in names if n.endswith("_engine_des")}, names


def test_results_and_measures_load_without_the_engine() -> None:
    code = (
        "import sys, fundflow.results.result, fundflow.results.measures, fundflow.engine.outcome;"
        "print('fundflow.engine._engine_des' in sys.modules, 'simpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_engine_implements_the_hooks_of_the_books() -> None:
    from fundflow.engine._engine_des import _Run
    from fundflow.engine.hooks import EngineHooks

    wanted = {n for n in vars(EngineHooks) if not n.startswith("_")}
    assert wanted == {
        "now",
        "schedule",
        "timeout",
        "event",
        "process",
        "pay",
        "solver_receives",
        "solver_pays",
        "own_funding_changes",
        "commit",
        "running",
        "spent",
        "installments",
        "abandon",
        "eliminate",
        "compensate",
    }
    assert all(callable(getattr(_Run, n, None)) for n in wanted)
