"""The shape of the package: layers that import one way, no cycles, no private names
borrowed across layers, and modules and functions small enough to read.

The folders of ``src/fundflow`` are the layers, lowest first (README, "Layout"):
``scenario -> engine -> results -> run -> analysis -> io -> plots -> cli``. A module
may import its own layer and the layers below it, never one above. ``errors`` and
``_version`` sit below every layer; the package's ``__init__`` is the public facade
and may name any layer (it imports lazily), and ``__main__`` (``python -m fundflow``)
sits on top, with the command line it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fundflow"
LAYERS = ("scenario", "engine", "results", "run", "analysis", "io", "plots", "cli")
BASE = {"fundflow.errors", "fundflow._version"}
TOP = {"fundflow", "fundflow.__main__"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 50
#: Imports that reach up a layer at call time, on purpose: the results' ``export()``
#: convenience hands the result to the io layer that writes it.
CALL_TIME_UPWARD = {("fundflow.results.result", "fundflow.io.export")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _layer(module: str) -> int | None:
    """Index of the module's layer: None for the base, the top for the package facade
    (it names every layer)."""
    if module in BASE:
        return None
    if module in TOP:
        return len(LAYERS) - 1
    return LAYERS.index(module.split(".")[1])


def _nodes(tree: ast.AST, call_time: bool) -> Iterator[ast.AST]:
    """Every node, or (``call_time=False``) those outside function bodies."""
    if call_time:
        yield from ast.walk(tree)
        return
    for child in ast.iter_child_nodes(tree):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield child
            yield from _nodes(child, call_time)


def _imports(module: str, call_time: bool = True) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every fundflow import; with
    ``call_time=False`` only those made when the module is imported."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in _nodes(tree, call_time):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "fundflow":
                names = [a.name for a in node.names]
                for name in names:  # "from fundflow.results import metrics" names a module
                    if f"{node.module}.{name}" in MODULES:
                        yield f"{node.module}.{name}", [], node.lineno
                yield node.module, names, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{module}:{node.lineno}: use absolute imports")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fundflow":
                    yield alias.name, [], node.lineno


def _local(module: str, call_time: bool = True) -> list[tuple[str, list[str], int]]:
    return [(m, n, line) for m, n, line in _imports(module, call_time) if m in MODULES]


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        if module not in BASE and module not in TOP:
            assert module.split(".")[1] in LAYERS, module


def test_imports_never_run_back_up_the_layers() -> None:
    upward = []
    for module in MODULES:
        mine = _layer(module)
        if mine is None or module == "fundflow":
            continue
        for target, _, line in _local(module):
            theirs = _layer(target)
            if theirs is not None and theirs > mine and (module, target) not in CALL_TIME_UPWARD:
                upward.append(f"{module}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_no_private_name_is_imported_across_layers() -> None:
    borrowed = []
    for module in MODULES:
        for target, names, line in _local(module):
            if module.split(".")[:2] == target.split(".")[:2]:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                borrowed.append(f"{module}:{line} takes {private} from {target}")
    assert not borrowed, "\n".join(borrowed)


def test_no_import_cycle() -> None:
    """At import time (``TYPE_CHECKING`` blocks included); a function may import a
    module of its own layer when it runs (``Scenario.from_dict`` calls the builder)."""
    graph = {m: sorted({t for t, _, _ in _local(m, call_time=False) if t != m}) for m in MODULES}
    graph["fundflow"] = []  # the facade imports lazily, on first use of a name
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module)


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
