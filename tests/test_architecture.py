"""The shape of the package: layers that import one way, no cycles, nothing private
borrowed across layers, and modules and functions small enough to read.

The folders of ``src/fundflow`` are the layers, lowest first (README, "Layout"):
``scenario -> engine -> results -> run -> analysis -> io -> plots -> cli``. A module
may import its own layer and the layers below it, never one above. ``errors`` and
``_version`` sit below every layer and serve all of them (``_version`` is private to
the package, not to a layer); the package's ``__init__`` is the public facade and
may name any layer (it imports lazily), and ``__main__`` (``python -m fundflow``)
sits on top, with the command line it runs.

Every import counts, wherever it is written: at the top of a module, inside a
function (run when the function is called), under ``TYPE_CHECKING``, or as
``importlib.import_module("fundflow....")``. So a cycle that closes only when a
function runs is a cycle, and a layer that reaches up at call time reaches up.

Private means a leading underscore: a private module (``engine/_nb_borrow.py``) is
its layer's own, and so is a private name (``_plain_values``). Another layer uses a
public module, which may re-export a private one's names (``engine/borrow.py``).
Tests are not a layer: they may import anything they test.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fundflow"
LAYERS = ("scenario", "engine", "results", "run", "analysis", "io", "plots", "cli")
BASE = {"fundflow.errors", "fundflow._version"}
TOP = {"fundflow", "fundflow.__main__"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 50
#: Private modules another layer may import, with the reason: (importer, module) -> why.
#: Empty: every such use goes through a public module.
PRIVATE_MODULE_EXCEPTIONS: dict[tuple[str, str], str] = {}

Modules = Mapping[str, Path]
Import = tuple[str, list[str], int]  # (imported module, names taken from it, line)


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(src: Path) -> dict[str, Path]:
    """Every module of the package rooted at `src`, by dotted name."""
    return {_module_name(p, src): p for p in sorted(src.rglob("*.py"))}


MODULES = modules_of(SRC)


def _layer(module: str) -> int | None:
    """Index of the module's layer: None for the base, the top for the package facade
    (it names every layer)."""
    if module in BASE:
        return None
    if module in TOP:
        return len(LAYERS) - 1
    return LAYERS.index(module.split(".")[1])


def _is_private(module: str) -> bool:
    """A module whose name, or a package on its path, starts with an underscore."""
    return any(p.startswith("_") and not p.startswith("__") for p in module.split(".")[1:])


def _nodes(tree: ast.AST, call_time: bool) -> Iterator[ast.AST]:
    """Every node, or (``call_time=False``) those outside function bodies."""
    if call_time:
        yield from ast.walk(tree)
        return
    for child in ast.iter_child_nodes(tree):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield child
            yield from _nodes(child, call_time)


def _import_module_call(node: ast.AST) -> str | None:
    """The literal module of ``importlib.import_module("...")``, if `node` is one."""
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func, arg = node.func, node.args[0]
    named = isinstance(func, ast.Attribute) and func.attr == "import_module"
    if named and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _imports(module: str, modules: Modules = MODULES, call_time: bool = True) -> Iterator[Import]:
    """(imported module, names taken from it, line) for every fundflow import; with
    ``call_time=False`` only those made when the module is imported."""
    tree = ast.parse(modules[module].read_text(encoding="utf-8"))
    for node in _nodes(tree, call_time):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "fundflow":
                names = [a.name for a in node.names]
                for name in names:  # "from fundflow.results import metrics" names a module
                    if f"{node.module}.{name}" in modules:
                        yield f"{node.module}.{name}", [], node.lineno
                yield node.module, names, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{module}:{node.lineno}: use absolute imports")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fundflow":
                    yield alias.name, [], node.lineno
        elif (target := _import_module_call(node)) and target.split(".")[0] == "fundflow":
            yield target, [], getattr(node, "lineno", 0)


def _local(module: str, modules: Modules = MODULES) -> list[Import]:
    return [(m, n, line) for m, n, line in _imports(module, modules) if m in modules]


# --------------------------------------------------------------------------- the checks


def upward_imports(modules: Modules) -> list[str]:
    """Imports from a lower layer into a higher one."""
    upward = []
    for module in modules:
        mine = _layer(module)
        if mine is None or module == "fundflow":
            continue
        for target, _, line in _local(module, modules):
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{module}:{line} imports {target}")
    return upward


def private_names_across_layers(modules: Modules) -> list[str]:
    """``from fundflow.x.y import _name`` where ``x`` is not the importer's layer."""
    borrowed = []
    for module in modules:
        for target, names, line in _local(module, modules):
            if module.split(".")[:2] == target.split(".")[:2]:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                borrowed.append(f"{module}:{line} takes {private} from {target}")
    return borrowed


def private_modules_across_layers(modules: Modules) -> list[str]:
    """Private modules imported from another layer (the base is everyone's)."""
    borrowed = []
    for module in modules:
        for target, _, line in _local(module, modules):
            same_layer = module.split(".")[:2] == target.split(".")[:2]
            if same_layer or target in BASE or not _is_private(target):
                continue
            if (module, target) not in PRIVATE_MODULE_EXCEPTIONS:
                borrowed.append(f"{module}:{line} imports the private module {target}")
    return borrowed


def import_cycles(modules: Modules) -> list[str]:
    """One cycle through each strongly connected set of modules, every import counted."""
    graph: dict[str, dict[str, int]] = {}
    for module in modules:
        edges = graph.setdefault(module, {})
        for target, _, line in _local(module, modules):
            if target != module:
                edges.setdefault(target, line)
    cycles: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                loop = [*stack[stack.index(nxt) :], nxt]
                steps = [f"{a}:{graph[a][b]}" for a, b in itertools.pairwise(loop)]
                cycles.append(" -> ".join([*steps, nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module)
    return cycles


# --------------------------------------------------------------------------- the package


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        if module not in BASE and module not in TOP:
            assert module.split(".")[1] in LAYERS, module


def test_imports_never_run_back_up_the_layers() -> None:
    upward = upward_imports(MODULES)
    assert not upward, "\n".join(upward)


def test_no_private_name_is_imported_across_layers() -> None:
    borrowed = private_names_across_layers(MODULES)
    assert not borrowed, "\n".join(borrowed)


def test_no_private_module_is_imported_across_layers() -> None:
    borrowed = private_modules_across_layers(MODULES)
    assert not borrowed, "\n".join(borrowed)
    for (module, target), reason in PRIVATE_MODULE_EXCEPTIONS.items():
        assert module in MODULES and target in MODULES and reason.strip(), (module, target)


def test_no_import_cycle() -> None:
    """Every import counts: at import time, at call time, under ``TYPE_CHECKING``."""
    cycles = import_cycles(MODULES)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_modules_are_small_enough_to_read() -> None:
    big = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not big, big


def _code_lines(source: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    start = first.end_lineno if docstring and first.end_lineno else first.lineno - 1
    lines = source[start : node.end_lineno]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def test_functions_are_small_enough_to_read() -> None:
    long = {}
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(source))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(source, node)
                if n > MAX_FUNCTION_LINES:
                    long[f"{module}.{node.name}"] = n
    assert not long, long


# --------------------------------------------------------------------------- the checks themselves


def _package(root: Path, files: Mapping[str, str]) -> dict[str, Path]:
    """A package ``fundflow`` under `root` with `files` (path -> source), and its modules."""
    src = root / "fundflow"
    for name, text in {"__init__.py": "", **files}.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name != "__init__.py":
            (path.parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return modules_of(src)


def test_a_loop_closed_at_call_time_is_a_cycle(tmp_path) -> None:
    modules = _package(
        tmp_path,
        {
            "results/result.py": "def export():\n    from fundflow.io.export import write\n",
            "io/export.py": "from fundflow.io._stream import stream\n",
            "io/_stream.py": "def stream():\n    from fundflow.results.result import rows\n",
        },
    )
    (cycle,) = import_cycles(modules)
    assert cycle == (
        "fundflow.io._stream:2 -> fundflow.results.result:2 -> fundflow.io.export:1"
        " -> fundflow.io._stream"
    )
    assert upward_imports(modules) == ["fundflow.results.result:2 imports fundflow.io.export"]


def test_a_loop_through_import_module_or_type_checking_is_a_cycle(tmp_path) -> None:
    modules = _package(
        tmp_path,
        {
            "scenario/config.py": (
                "import importlib\n\n\ndef build():\n"
                "    return importlib.import_module('fundflow.scenario._build')\n"
            ),
            "scenario/_build.py": (
                "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                "    from fundflow.scenario.config import Scenario\n"
            ),
        },
    )
    assert len(import_cycles(modules)) == 1
    assert not upward_imports(modules)  # one layer


def test_a_private_module_of_another_layer_is_caught(tmp_path) -> None:
    modules = _package(
        tmp_path,
        {
            "_version.py": "__version__ = '0'\n",
            "engine/_nb_borrow.py": "def borrow(x):\n    return x\n",
            "engine/borrow.py": "from fundflow.engine._nb_borrow import borrow\n",
            "engine/compiled.py": "from fundflow.engine._nb_borrow import borrow\n",
            "results/_kernels.py": (
                "from fundflow._version import __version__\n"
                "from fundflow.engine import _nb_borrow\n"
                "from fundflow.engine.borrow import borrow\n"
            ),
        },
    )
    assert private_modules_across_layers(modules) == [
        "fundflow.results._kernels:2 imports the private module fundflow.engine._nb_borrow"
    ]
    assert not import_cycles(modules)


@pytest.mark.parametrize(
    ("files", "found"),
    [
        ({"io/x.py": "from fundflow.results.y import _hidden\n", "results/y.py": ""}, 1),
        ({"io/x.py": "from fundflow.io.y import _mine\n", "io/y.py": ""}, 0),
    ],
)
def test_a_private_name_of_another_layer_is_caught(tmp_path, files, found) -> None:
    assert len(private_names_across_layers(_package(tmp_path, files))) == found
