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


#: The SimPy engine: its event loop and the route life cycle the books must not reach
#: but through the hooks
SIMPY_ENGINE = {"fundflow.engine.simpy_engine", "fundflow.engine.core.simpy"}
BOOKS = ["budget", "credit", "fund", "matching", "race", "reserve", "tax"]


@pytest.mark.parametrize(
    "module",
    [
        *(f"engine/{book}/simpy" for book in BOOKS),
        "engine/hooks",
        "engine/outcome",
        "results/measures",
        "results/result",
        "results/metrics",
    ],
)
def test_module_does_not_import_the_simpy_engine(module: str) -> None:
    names = imported_modules(SRC / f"{module}.py")
    assert not names & SIMPY_ENGINE, names


def test_results_and_measures_load_without_the_engine() -> None:
    code = (
        "import sys, fundflow.results.result, fundflow.results.measures, fundflow.engine.outcome;"
        "print('fundflow.engine.simpy_engine' in sys.modules, 'simpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_engine_implements_the_hooks_of_the_books() -> None:
    """The core answers every hook, itself or through the book it hands it to."""
    import fundflow
    from fundflow.engine.draws import draw
    from fundflow.engine.hooks import EngineHooks
    from fundflow.engine.ledger import LedgerWriter
    from fundflow.engine.plan import EnginePlan
    from fundflow.engine.simpy_engine import build

    members = (*vars(EngineHooks), *EngineHooks.__annotations__)
    wanted = {n for n in members if not n.startswith("_")}
    assert wanted == {
        "ledger",
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
        "match_received",
        "eliminate",
        "compensate",
        "spend",  # an extension's extra cost
        "reviews_passed",  # an IP pledge's value at a default
        "pool_cover",  # the risk pool's share of a loss
        "government_loss",  # the government's share of what the pool does not cover
    }
    sc = fundflow.load_scenario(SRC.parents[1] / "configs" / "chain_leader.yaml")
    plan = EnginePlan.of(sc)
    core = build(plan, draw(sc, plan.layout, 1, range(1)), 0)
    assert isinstance(core.ledger, LedgerWriter)
    assert all(callable(getattr(core, n, None)) for n in wanted - {"ledger"})
