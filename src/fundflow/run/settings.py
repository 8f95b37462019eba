"""How a Monte Carlo computation runs: replications, seed, workers, progress, executor.

Every entry point (:func:`fundflow.simulate`, :func:`fundflow.simulate_until`,
:func:`fundflow.compare`, :func:`fundflow.sweep`, :func:`fundflow.run_design`,
:func:`fundflow.sensitivity`, :func:`fundflow.optimize`) takes these options the
same way: as keywords (``runs=1000, seed=1, workers=2``) or together as one
:class:`RunSettings` (``settings=RunSettings(runs=1000, seed=1)``); a keyword
given alongside ``settings`` overrides that field. None of them changes the
numbers except ``runs`` and ``seed`` (``engine`` changes them by at most 1e-9
relative: floating-point order).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

import numpy as np

from fundflow.errors import ConfigError

__all__ = [
    "ENGINES",
    "ExecutionOptions",
    "ExecutorLike",
    "RunOptions",
    "RunSettings",
    "SeededOptions",
    "resolve_settings",
]


@runtime_checkable
class ExecutorLike(Protocol):
    """What a task executor offers: ``concurrent.futures.Executor``'s ``submit``.

    A ``concurrent.futures.ThreadPoolExecutor`` or ``ProcessPoolExecutor`` fits, as
    does any object with such a ``submit`` returning ``concurrent.futures.Future``
    objects (the results must arrive unchanged: tasks are pure functions).
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]: ...


Executor = ExecutorLike | Literal["processes"] | None
Engine = Literal["compiled", "simpy"]
#: The simulation engines, the default first.
ENGINES: tuple[str, ...] = ("compiled", "simpy")


class ExecutionOptions(TypedDict, total=False):
    """Run options that never change the numbers: how the tasks run."""

    progress: bool | None
    chunk_size: int | None
    executor: Executor
    engine: Engine


class SeededOptions(ExecutionOptions, total=False):
    """:class:`ExecutionOptions` with ``seed`` and ``workers``."""

    seed: int | None
    workers: int


class RunOptions(SeededOptions, total=False):
    """The keyword options every entry point accepts (the fields of :class:`RunSettings`)."""

    runs: int


def _whole(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(name, value, f"must be a whole number >= {low}")
    return int(value)


@dataclass(frozen=True)
class RunSettings:
    """The options of a Monte Carlo computation, travelling together.

    ``None`` in a field means "the entry point's default" (e.g. 1 run for
    :func:`fundflow.simulate`, 100 per design point for :func:`fundflow.sweep`).

    Attributes
    ----------
    runs : int, optional
        Replications (per scenario or design point), >= 1.
    seed : int, optional
        Root entropy, >= 0. ``None`` draws fresh entropy, recorded in the result.
    workers : int, optional
        How many tasks run at once (>= 1; default 1). With ``executor="processes"``:
        this process and a pool of ``workers - 1`` processes. With an executor
        object: how many tasks it runs at once (it gets up to two each ahead).
        Results are identical for any value.
    progress : bool, optional
        Show a progress bar; by default only in a terminal or notebook.
    chunk_size : int, optional
        Replications per task; by default chosen from ``runs`` and ``workers``.
        Results are identical for any value.
    executor : "processes", executor object or None
        Where the tasks run. ``"processes"`` (default): with ``workers > 1`` a
        pool of spawned processes, this process working alongside (from an
        unguarded script's top level: in this process, with a warning).
        ``None``: in this process. Any object with
        ``submit(fn, *args) -> Future`` (a ``concurrent.futures.Executor``): the
        tasks go to it; it is not shut down.
        A ``dask.distributed.Client``: the tasks run on its cluster, as many at
        once as it has threads (``workers`` is then the cluster's), the
        scenario sent once; it is not closed.
        Results are identical for any executor.
    engine : "compiled" or "simpy"
        The simulation engine. ``"compiled"`` (default): the compiled (numba) engine
        where it is installed and implements the scenario, else the SimPy engine
        (without numba, with one warning). ``"simpy"``: the SimPy engine, the
        reference. Both write the same ledgers (amounts and times within 1e-9
        relative); the result records the engine used (``result.provenance.engine``).

    Examples
    --------
    >>> s = RunSettings(runs=200, seed=1)
    >>> s.replace(workers=2).workers
    2
    >>> RunSettings(runs=0)
    Traceback (most recent call last):
    ...
    fundflow.errors.ConfigError: runs = 0: must be a whole number >= 1
    """

    runs: int | None = None
    seed: int | None = None
    workers: int | None = None
    progress: bool | None = None
    chunk_size: int | None = None
    executor: Executor = "processes"
    engine: Engine = "compiled"

    def __post_init__(self) -> None:
        for name, low in (("runs", 1), ("workers", 1), ("chunk_size", 1), ("seed", 0)):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _whole(name, value, low))
        if self.progress is not None and not isinstance(self.progress, (bool, np.bool_)):
            raise ConfigError("progress", self.progress, "must be true, false or None")
        ex = self.executor
        if not (ex is None or ex == "processes" or isinstance(ex, ExecutorLike)):
            raise ConfigError(
                "executor",
                ex,
                "must be 'processes', None (this process) or an object with "
                "submit(fn, *args) -> Future, e.g. a concurrent.futures.Executor",
            )
        if not isinstance(self.engine, str) or self.engine not in ENGINES:
            raise ConfigError("engine", self.engine, "must be 'compiled' or 'simpy'")

    def replace(self, **changes: Any) -> RunSettings:
        """A copy with some fields changed (validated)."""
        return replace(self, **changes)

    def entropy(self) -> int:
        """The root entropy: ``seed``, or fresh entropy when ``seed`` is None."""
        if self.seed is None:
            return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        return self.seed


_NAMES = tuple(f.name for f in fields(RunSettings))


def resolve_settings(
    settings: RunSettings | None,
    options: Mapping[str, Any],
    where: str,
    *,
    fixed: tuple[str, ...] = (),
    **defaults: Any,
) -> RunSettings:
    """``settings`` with the keyword ``options`` laid over it, then ``defaults`` filled in.

    ``fixed`` names options the entry point sets itself (not accepted as keywords).

    Raises
    ------
    TypeError
        For a keyword that is not a run option (as Python does for any function).
    ConfigError
        For ``settings`` that is not a :class:`RunSettings`, or a bad option value.
    """
    for name in options:
        if name not in _NAMES or name in fixed:
            close = difflib.get_close_matches(name, _NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}{hint}")
    if settings is None:
        settings = RunSettings()
    elif not isinstance(settings, RunSettings):
        raise ConfigError("settings", settings, "must be a fundflow.RunSettings")
    out = replace(settings, **options)
    fill = {k: v for k, v in defaults.items() if getattr(out, k) is None}
    return replace(out, **fill) if fill else out
