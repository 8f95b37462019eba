"""The compiled loops' on-disk cache is dropped when any source they are built from changes.

numba checks a cached function against its own file only; :mod:`fundflow.engine.kernel_cache`
keeps a digest of every source next to the cache and removes the kernels' cached files
when it differs.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from fundflow.engine import kernel_cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(
        kernel_cache, "_cache_dirs", lambda: {tmp_path: ["compiled_engine", "state"]}
    )
    kernel_cache.ensure_fresh.cache_clear()
    yield tmp_path
    kernel_cache.ensure_fresh.cache_clear()


def _files(folder: Path) -> list[str]:
    for name in (
        "compiled_engine.run_block_nb-200.py311.nbi",
        "compiled_engine.run_block_nb-200.py311.1.nbc",
        "state.add-227.py311.3.nbc",
        "other.f-1.py311.nbi",  # another module's cache: kept
    ):
        (folder / name).write_bytes(b"x")
    return sorted(p.name for p in folder.iterdir())


def test_a_stale_digest_removes_the_kernels_cached_code_only(cache: Path) -> None:
    _files(cache)
    (cache / "fundflow-kernels.sha256").write_text("an older digest", encoding="ascii")
    kernel_cache.ensure_fresh()
    left = sorted(p.name for p in cache.iterdir())
    assert left == ["fundflow-kernels.sha256", "other.f-1.py311.nbi"]
    stamp = (cache / "fundflow-kernels.sha256").read_text(encoding="ascii")
    assert stamp == kernel_cache.sources_digest()


def test_a_matching_digest_keeps_the_cache(cache: Path) -> None:
    before = _files(cache)
    (cache / "fundflow-kernels.sha256").write_text(kernel_cache.sources_digest(), "ascii")
    kernel_cache.ensure_fresh()
    assert sorted(p.name for p in cache.iterdir()) == sorted([*before, "fundflow-kernels.sha256"])


def test_the_digest_covers_every_kernel_module_and_the_codes_they_read() -> None:
    root = Path(kernel_cache.__file__).resolve().parents[1]
    kernels = {
        "fundflow." + ".".join(p.relative_to(root).with_suffix("").parts)
        for p in root.rglob("*.py")
        if ("@njit(" in (text := p.read_text(encoding="utf-8")) or "\n@rule\n" in text)
        and p.name != "kernel_cache.py"
    }
    assert "fundflow.engine.compiled_engine" in kernels, "the test reads the wrong files"
    assert kernels <= set(kernel_cache.KERNEL_MODULES)
    assert {"fundflow.engine.ledger", "fundflow.engine.outcome"} <= set(kernel_cache.SOURCES)


def test_the_digest_covers_every_fundflow_module_a_kernel_module_imports() -> None:
    """Whatever a kernel module imports from fundflow is compiled in (a function, an
    intrinsic) or read as a constant, so an edit of it must change the digest."""
    root = Path(kernel_cache.__file__).resolve().parents[1]
    imported = set()
    for name in kernel_cache.KERNEL_MODULES:
        path = root.joinpath(*name.split(".")[1:]).with_suffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fundflow."):
                for alias in node.names:  # `from package import module` names the module
                    sub = f"{node.module}.{alias.name}"
                    is_module = root.joinpath(*sub.split(".")[1:]).with_suffix(".py").exists()
                    imported.add(sub if is_module else node.module)
    assert imported, "no fundflow import found: the test reads the wrong files"
    # the flat plan is built from an EnginePlan in Python; nothing of plan is compiled
    python_side = {"fundflow.engine.plan"}
    missing = imported - set(kernel_cache.SOURCES) - python_side
    assert not missing, f"kernel modules import {missing}: add them to SOURCES"


def test_every_kernel_is_cached_by_the_switch_and_none_is_compiled_per_constant() -> None:
    """Each @njit in a kernel module takes ``cache=CACHE`` (so FUNDFLOW_NUMBA_CACHE=0
    turns the disk cache off everywhere), and after a run no kernel has been compiled
    for a literal argument: numba types an int constant as a literal and compiles its
    callee once per value, which doubled the cold compile (benchmarks/bench_compile.py)."""
    import sys

    import fundflow

    root = Path(kernel_cache.__file__).resolve().parents[1]
    for name in kernel_cache.KERNEL_MODULES:
        text = root.joinpath(*name.split(".")[1:]).with_suffix(".py").read_text(encoding="utf-8")
        assert "cache=True" not in text, f"{name}: use cache=CACHE"
    for config in ("open_competition", "chain_leader"):
        fundflow.simulate(root.parents[1] / "configs" / f"{config}.yaml", 5, seed=1, workers=1)
    literal = []
    for name in kernel_cache.KERNEL_MODULES:
        for attr, value in vars(sys.modules[name]).items():
            for sig in getattr(value, "signatures", None) or ():
                if getattr(value, "__module__", None) == name and "Literal" in str(sig):
                    literal.append(f"{name}.{attr}{sig}")
    assert not literal, literal


def test_the_entry_points_are_cached_compiled_functions_of_the_kernel_modules() -> None:
    pytest.importorskip("numba")
    for name, functions in kernel_cache.ENTRY_POINTS.items():
        assert name in kernel_cache.KERNEL_MODULES
        module = importlib.import_module(name)
        for function in functions:
            assert getattr(getattr(module, function), "_cache", None) is not None, function


def test_every_compiled_function_imported_outside_the_kernels_is_an_entry_point() -> None:
    """A compiled function that Python code imports is called from Python: it is an entry
    point, whose cache :func:`kernel_cache.cached` must look at."""
    pytest.importorskip("numba")
    root = Path(kernel_cache.__file__).resolve().parents[1]
    missing = []
    for path in root.rglob("*.py"):
        name = "fundflow." + ".".join(path.relative_to(root).with_suffix("").parts)
        if name in kernel_cache.KERNEL_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in kernel_cache.KERNEL_MODULES:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    is_compiled = getattr(getattr(module, alias.name), "_cache", None) is not None
                    listed = kernel_cache.ENTRY_POINTS.get(node.module, ())
                    if is_compiled and alias.name not in listed:
                        missing.append(f"{name} imports {node.module}.{alias.name}")
    assert not missing, missing


def test_after_a_run_nothing_is_left_to_compile() -> None:
    """What a run compiles is what :func:`kernel_cache.cached` looks for (with either engine:
    the draws' and the measures' loops run with both)."""
    pytest.importorskip("numba")
    import fundflow

    root = Path(__file__).resolve().parents[1]
    fundflow.simulate(root / "configs" / "upfront_grant.yaml", runs=2, seed=1, progress=False)
    assert kernel_cache.cached()
