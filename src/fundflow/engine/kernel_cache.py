"""Keep numba's on-disk cache of fundflow's compiled loops in step with their sources.

numba checks a cached function against the file that defines it only, yet the
machine code it keeps has the functions it calls from other files, and the module
constants it reads (the ledger's party and kind codes), compiled in. After an edit
of one of those other files, a cached caller would still run the old code. So,
once per process and before any compiled loop runs, :func:`ensure_fresh` compares a
digest of every source the loops are built from with the digest stored next to
the cache, and where they differ removes the cached files of those modules, which
then compile afresh (and store the new digest). :func:`cached` says, before
anything runs, whether the loops a run calls are in the cache or would compile.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Generic, ParamSpec, Protocol, TypeVar, cast

_P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = [
    "CACHE",
    "ENTRY_POINTS",
    "KERNEL_MODULES",
    "SOURCES",
    "Rule",
    "cached",
    "engine_modules",
    "ensure_fresh",
    "load",
    "must_compile",
    "rule",
    "sources_digest",
]  # fmt: skip

_ROOT = Path(__file__).resolve().parents[1]

#: The modules with ``@njit(cache=True)`` functions, by import name.
KERNEL_MODULES: tuple[str, ...] = (
    "fundflow.engine._nb_guard",
    "fundflow.engine._philox_kernel",
    "fundflow.engine.budget.compiled",
    "fundflow.engine.budget.rules",
    "fundflow.engine.compiled_engine",
    "fundflow.engine.core.compiled",
    "fundflow.engine.core.flat_plan",
    "fundflow.engine.core.state",
    "fundflow.engine.credit.compiled",
    "fundflow.engine.credit.rules",
    "fundflow.engine.extension.compiled",
    "fundflow.engine.extension.rules",
    "fundflow.engine.entry.rules",
    "fundflow.engine.fund.compiled",
    "fundflow.engine.fund.rules",
    "fundflow.engine.matching.compiled",
    "fundflow.engine.matching.rules",
    "fundflow.engine.pool.compiled",
    "fundflow.engine.pool.rules",
    "fundflow.engine.race.compiled",
    "fundflow.engine.reserve.compiled",
    "fundflow.engine.reserve.rules",
    "fundflow.engine.tax.compiled",
    "fundflow.engine.tax.rules",
    "fundflow.results._block_kernels",
)

#: Every source the compiled loops are built from: the kernels, the modules whose
#: constants they read, and ``_nb_borrow``'s intrinsic, compiled into its callers.
SOURCES: tuple[str, ...] = (
    *KERNEL_MODULES,
    "fundflow.engine._nb_borrow",
    "fundflow.engine.borrow",
    "fundflow.engine.kernel_cache",
    "fundflow.engine.layout",
    "fundflow.engine.ledger",
    "fundflow.engine.outcome",
    "fundflow.engine.pool.weights",
)

#: The compiled functions called from Python in a run, by module: compiling them
#: compiles every compiled function they call.
ENTRY_POINTS: dict[str, tuple[str, ...]] = {
    "fundflow.engine._nb_guard": ("check_block",),
    "fundflow.engine._philox_kernel": ("fill_uniforms",),
    "fundflow.engine.compiled_engine": ("run_block_nb",),
    "fundflow.engine.core.state": ("initial_capacities",),
    "fundflow.results._block_kernels": ("run_times", "measure_rows"),
}

_STAMP = "fundflow-kernels.sha256"

#: Whether the compiled loops are cached on disk (numba's ``cache=True``): on, unless
#: the environment variable ``FUNDFLOW_NUMBA_CACHE`` is ``0`` (a read-only install, or
#: debugging a kernel). Without the cache every process compiles the loops afresh
#: (about half a minute).
CACHE: bool = os.environ.get("FUNDFLOW_NUMBA_CACHE", "1").strip().lower() not in (
    "0", "off", "false", "no",
)  # fmt: skip


def sources_digest() -> str:
    """SHA-256 over the paths and contents of :data:`SOURCES`."""
    digest = hashlib.sha256()
    for name in SOURCES:
        path = _ROOT.joinpath(*name.split(".")[1:]).with_suffix(".py")
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_dirs() -> dict[Path, list[str]]:
    """numba's cache folder of each kernel module, with the modules cached there."""
    dirs: dict[Path, list[str]] = {}
    for name in KERNEL_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            cache = getattr(value, "_cache", None)
            path = getattr(cache, "_cache_path", None)
            if path is not None and getattr(value, "__module__", None) == name:
                dirs.setdefault(Path(path), []).append(name.rsplit(".", 1)[1])
                break
    return dirs


@functools.cache
def ensure_fresh() -> None:
    """Remove cached machine code built from other sources than these (once per process)."""
    if not CACHE:
        return
    digest = sources_digest()
    for folder, stems in _cache_dirs().items():
        stamp = folder / _STAMP
        with contextlib.suppress(OSError):
            if stamp.read_text(encoding="ascii") == digest:
                continue
        with contextlib.suppress(OSError):  # an unwritable cache is numba's to handle
            for path in folder.iterdir():
                if path.suffix in (".nbi", ".nbc") and path.name.split(".")[0] in stems:
                    path.unlink(missing_ok=True)
            folder.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest, encoding="ascii")


def load(name: str) -> ModuleType | None:
    """The kernel module `name` (one of :data:`KERNEL_MODULES`), its cache checked
    (:func:`ensure_fresh`); None where numba cannot be imported."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    ensure_fresh()  # no machine code cached from other sources
    return module


class Rule(Protocol, Generic[_P, _R]):
    """A money rule: callable (compiled where numba runs) and its Python original."""

    py_func: Callable[_P, _R]

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...


def rule(fn: Callable[_P, _R]) -> Rule[_P, _R]:
    """Declare ``fn`` a money rule both engines share (one source text).

    Compiled with numba (``njit``, cached on disk by :data:`CACHE`) where numba can be
    imported: the compiled engine calls the compiled function, the SimPy engine its
    Python original, ``fn.py_func``. Without numba ``fn`` is returned as it is, with
    ``fn.py_func = fn``, so the SimPy engine runs. A rule is a leaf: it calls no other
    rule (``tests/test_rules.py``), so its ``py_func`` never enters compiled code.
    """
    try:
        from numba import njit
    except ImportError:  # the SimPy engine still runs
        fn.py_func = fn  # type: ignore[attr-defined]
        return cast(Rule[_P, _R], fn)
    return cast(Rule[_P, _R], njit(cache=CACHE)(fn))


def engine_modules(engine: str) -> tuple[str, ...]:
    """The compiled modules (keys of :data:`ENTRY_POINTS`) a block of `engine` calls:
    the draws' and the measures' loops with either engine, the engine's own and its
    guard with the compiled one."""
    shared = ("fundflow.engine._philox_kernel", "fundflow.results._block_kernels")
    if engine != "compiled":
        return shared
    own = ("fundflow.engine.compiled_engine", "fundflow.engine.core.state")
    return (*shared, *own, "fundflow.engine._nb_guard")


def must_compile(engine: str) -> bool:
    """True if a block of `engine` would compile loops (numba's cache lacks them)."""
    return not cached(engine_modules(engine))


def cached(modules: Iterable[str] = tuple(ENTRY_POINTS)) -> bool:
    """True if nothing of `modules` (keys of :data:`ENTRY_POINTS`) would compile.

    That is, numba's disk cache holds, for this machine, numba and these sources
    (:func:`ensure_fresh` first), machine code of each of their entry points; or
    numba cannot be imported (nothing compiles). False also when the cache cannot
    be read (an unknown numba layout): then the loops may compile.
    """
    try:
        for name in modules:
            module = load(name)
            if module is None:
                return True
            if not CACHE:  # FUNDFLOW_NUMBA_CACHE=0: every process compiles
                return False
            for function in ENTRY_POINTS[name]:
                dispatcher = getattr(module, function)
                cache = dispatcher._cache
                index = cache._cache_file._load_index()  # empty when stale or absent
                codegen = dispatcher.targetctx.codegen()
                if not any(key == cache._index_key(key[0], codegen) for key in index):
                    return False
    except Exception:  # numba's internals moved: say it may compile
        return False
    return True
