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
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

__all__ = [
    "ENTRY_POINTS",
    "KERNEL_MODULES",
    "SOURCES",
    "cached",
    "ensure_fresh",
    "load",
    "sources_digest",
]

_ROOT = Path(__file__).resolve().parents[1]

#: The modules with ``@njit(cache=True)`` functions, by import name.
KERNEL_MODULES: tuple[str, ...] = (
    "fundflow.engine._nb_ends",
    "fundflow.engine._nb_fund",
    "fundflow.engine._nb_money",
    "fundflow.engine._nb_plan",
    "fundflow.engine._nb_route",
    "fundflow.engine._nb_run",
    "fundflow.engine._nb_state",
    "fundflow.engine._philox_kernel",
    "fundflow.results._block_kernels",
)

#: Every source the compiled loops are built from: the kernels, the modules whose
#: constants they read, and ``_nb_borrow``'s intrinsic, compiled into its callers.
SOURCES: tuple[str, ...] = (
    *KERNEL_MODULES,
    "fundflow.engine._nb_borrow",
    "fundflow.engine.ledger",
    "fundflow.engine.outcome",
)

#: The compiled functions called from Python in a run, by module: compiling them
#: compiles every compiled function they call.
ENTRY_POINTS: dict[str, tuple[str, ...]] = {
    "fundflow.engine._nb_run": ("run_block_nb",),
    "fundflow.engine._philox_kernel": ("fill_uniforms",),
    "fundflow.results._block_kernels": ("run_times", "measure_rows"),
}

_STAMP = "fundflow-kernels.sha256"


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
