"""Monte Carlo replications: the runner every computation goes through, and simulate.

Replication ``i``'s random inputs are a pure function of (entropy, ``i``, stream,
identity) (:mod:`fundflow.engine.draws`) and it is simulated alone, so results do not
depend on the number of workers, on how the replications are cut into blocks,
or on the executor that runs the blocks (:mod:`fundflow.run._blocks`). Every
computation (:func:`simulate`, :func:`simulate_until`, :func:`fundflow.compare`,
sweeps, sensitivity, optimisation) submits its blocks through one
:class:`Runner`, whose executor is the one seam to plug a different one into
(:class:`~fundflow.run.settings.RunSettings`). Process pools are started with an
explicit ``spawn`` context: importing fundflow changes no global state.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, Unpack

import numpy as np

from fundflow.errors import ConfigError
from fundflow.results.result import SimulationResult
from fundflow.run._blocks import (
    _assemble,
    _Block,
    _run_block,
    entry_values,
    exposure_grid,
    replicate,
)
from fundflow.run._dask import adapt
from fundflow.run._spawn import (
    GUARD_ADVICE,
    InProcessPool,
    unguarded_caller,
    warn_in_process,
    watch_parent,
)
from fundflow.run.settings import RunSettings, SeededOptions, resolve_settings
from fundflow.scenario.config import Scenario, load_scenario

__all__ = ["RunSettings", "Runner", "simulate", "simulate_until"]

# re-exported: the blocks' code lives in _blocks (benchmarks reach it through here)
_REEXPORTED = (_assemble, _run_block, exposure_grid, replicate)

T = TypeVar("T")


def as_scenario(scenario: Scenario | str | Path | dict[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    raise ConfigError("scenario", scenario, "must be a Scenario, a YAML file path or a dict")


def check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(name, value, "must be a whole number >= 1")
    return int(value)


def _blocks(start: int, stop: int, size: int) -> list[range]:
    return [range(a, min(a + size, stop)) for a in range(start, stop, size)]


#: The largest block of replications a task takes by default, per engine: about half a
#: second of work, so that the fixed cost of a task (drawing per distribution, the
#: measures' NumPy steps, sending the block back) is spread over many replications
#: (blocks of 1000 instead of 200 take 11% less CPU a replication with the compiled
#: engine; see benchmarks/README.md).
LARGEST_BLOCK = {"compiled": 1000, "simpy": 200}


def _guided_blocks(
    start: int, stop: int, workers: int, largest: int = LARGEST_BLOCK["simpy"]
) -> list[range]:
    """Blocks for ``workers`` processes: up to ``largest`` replications, smaller at the end.

    With one process, blocks of ``largest`` (smaller if that gives fewer than four).
    With more, each block holds about ``1 / (2 workers)`` of what is left, between
    ``largest`` and ``largest // 8`` (or a quarter of a process's share, for small
    runs), so that the processes finish within a small block of each other.
    """
    n = stop - start
    if workers == 1:
        return _blocks(start, stop, max(1, min(largest, -(-n // 4))))
    smallest = max(1, min(largest // 8, -(-n // (4 * workers))))
    blocks = []
    while start < stop:
        size = max(smallest, min(largest, -(-(stop - start) // (2 * workers))))
        blocks.append(range(start, min(start + size, stop)))
        start += size
    return blocks


def _in_notebook() -> bool:
    """Running inside a Jupyter kernel (not merely a process that imported ipykernel)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython too old or half-imported: no notebook to draw in
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is False:
        return None
    in_notebook = _in_notebook()
    if enabled is None and not sys.stderr.isatty() and not in_notebook:
        return None
    if in_notebook and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:  # a text bar (tqdm.auto would warn in a notebook without ipywidgets)
        from tqdm.std import tqdm  # type: ignore[assignment]
    return tqdm(total=total, unit=" runs", delay=1.0, desc="replications", bar_format=_BAR)


#: replications:  45%|####5     | 90/200 [00:01 elapsed, 00:01 left, 80.1 runs/s, blocks 3/10]
_BAR = (
    "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
    "[{elapsed} elapsed, {remaining} left, {rate_fmt}{postfix}]"
)


def spawn_pool(processes: int) -> ProcessPoolExecutor:
    """A process pool started with an explicit ``spawn`` context (no global side effects).

    Each of its processes exits by itself if this process dies without shutting the
    pool down (:func:`~fundflow.run._spawn.watch_parent`). Called from the unguarded
    top level of a script (which each spawned process would re-run), it warns and
    returns a pool that runs the tasks in this process.
    """
    where = unguarded_caller()
    if where is not None:
        warn_in_process(where, processes)
        return InProcessPool()
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


class Runner:
    """Runs tasks, blocks of replications, and gives their results back in order.

    The one seam between fundflow's computations and where they run, set by
    ``settings.executor`` (:class:`~fundflow.run.settings.RunSettings`):

    * ``None``, or ``"processes"`` with one worker: each task runs here, in turn;
    * ``"processes"`` with ``workers > 1``: a spawn pool of ``workers - 1``
      processes (:func:`spawn_pool`). When numba's cache lacks the compiled loops,
      the first task runs here before any is handed out, so that they compile once,
      here, and the pool's processes, started after, load them from the cache.
      Tasks are handed out in order, each pool
      process with at most two submitted and not finished, and whenever this
      process would wait it runs the next task not yet handed out itself. So
      ``workers`` processes compute, this one does not sit idle while the pool's
      processes start, and none is left with much work when the others are done.
      If the pool breaks, the remaining tasks run here (one warning);
    * an executor object: tasks are submitted to it, up to ``2 * workers`` ahead;
      it is used, not shut down;
    * a ``dask.distributed.Client``: as an executor object, with ``workers`` the
      cluster's threads, each scenario sent to the cluster once
      (:class:`~fundflow.run._dask.ClientExecutor`).

    Results come back in the order of the tasks, so they do not depend on the
    executor. A progress bar (``settings.progress``) counts replications (of
    `total`, or of the tasks mapped so far), their rate, the time left and the
    tasks done. `pool`, a process pool already
    started with ``workers - 1`` processes, is used as ``"processes"`` would use
    its own (benchmarks time a warm pool so).
    """

    def __init__(self, settings: RunSettings, total: int | None = None, pool: Any = None) -> None:
        self.settings = settings
        self.workers = settings.workers or 1
        self.pool: Any = pool  # a pool of workers - 1 processes passed in: used, not shut down
        self.slots = self.workers - 1 if pool is not None else self.workers  # tasks run at once
        self.helps = pool is not None  # this process runs tasks while it waits
        self.own_pool = False
        self.compile_here = False  # run the first task here, before the pool's processes start
        self.broken = False  # the pool broke; tasks run here
        self.bar: Any = None if total is None else _progress(total, settings.progress)
        self.total = total  # None: the bar counts what the tasks add up to
        self.tasks = [0, 0]  # done, mapped so far (shown on the bar)
        self.cluster = adapt(settings.executor)  # a dask.distributed Client, wrapped
        if self.cluster is not None:  # the cluster's threads set the work in flight
            self.workers = self.slots = self.cluster.threads

    def __enter__(self) -> Runner:
        executor = self.settings.executor
        if self.pool is not None:
            pass
        elif executor == "processes":
            if self.workers > 1:
                from fundflow.engine.kernel_cache import must_compile

                self.pool = spawn_pool(self.workers - 1)
                self.own_pool, self.helps, self.slots = True, True, self.workers - 1
                # loops not in numba's cache: compile them once, here, not in every process
                self.compile_here = must_compile(self.settings.engine)
        elif executor is not None:
            self.pool = self.cluster or executor
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.pool is not None and self.own_pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.cluster is not None:
            self.cluster.shutdown()

    def _expect(self, count: int) -> None:
        if self.total is not None:
            return
        if self.bar is None:
            self.bar = _progress(count, self.settings.progress)
        else:
            self.bar.total += count
            self.bar.refresh()

    def map(
        self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], sizes: Sequence[int]
    ) -> Iterator[T]:
        """``fn(*task)`` for every task, in order; ``sizes``: replications of each."""
        self._expect(sum(sizes))
        self.tasks[1] += len(tasks)
        results = self._in_turn(fn, tasks) if self.pool is None else self._pooled(fn, tasks)
        for size, result in zip(sizes, results, strict=True):
            self.tasks[0] += 1
            if self.bar is not None:
                self.bar.set_postfix_str(f"blocks {self.tasks[0]}/{self.tasks[1]}", refresh=False)
                self.bar.update(size)
            yield result

    def _in_turn(self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]]) -> Iterator[T]:
        for task in tasks:
            yield fn(*task)

    def _pooled(self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]]) -> Iterator[T]:
        sent: dict[int, Future[T]] = {}  # submitted, not yet given back
        done_here: dict[int, T] = {}
        after = 0  # tasks before this one are handed out
        if self.compile_here and tasks:  # the pool's processes start after: they load the loops
            self.compile_here = False
            done_here[0], after = fn(*tasks[0]), 1
        for k in range(len(tasks)):
            after = self._top_up(fn, tasks, sent, after)
            while k not in done_here and k not in sent:  # the pool broke: run here
                done_here[after] = fn(*tasks[after])
                after += 1
            while self.helps and k not in done_here and not sent[k].done() and after < len(tasks):
                done_here[after] = fn(*tasks[after])
                after = self._top_up(fn, tasks, sent, after + 1)
            yield done_here.pop(k) if k in done_here else self._result(fn, tasks[k], sent.pop(k))

    def _top_up(
        self,
        fn: Callable[..., T],
        tasks: Sequence[tuple[Any, ...]],
        sent: dict[int, Future[T]],
        after: int,
    ) -> int:
        """Submit tasks in order while fewer than two per slot are submitted and not yet
        handed out (finished or not: a result waiting for its turn holds its block's
        memory, so a slow consumer, such as a run writing its blocks to disk, bounds them)."""
        ahead = 2 * (self.slots if self.cluster is None else self.cluster.live_threads())
        while not self.broken and after < len(tasks) and len(sent) < ahead:
            try:
                sent[after] = self.pool.submit(fn, *tasks[after])
            except BrokenExecutor:
                self._broke()
                break
            after += 1
        return after

    def _result(self, fn: Callable[..., T], task: tuple[Any, ...], future: Future[T]) -> T:
        """A task's result from the pool; if the pool broke, computed here (same numbers)."""
        try:
            return future.result()
        except BrokenExecutor:
            self._broke()
            return fn(*task)

    def _broke(self) -> None:
        if not self.broken:
            self.broken = True
            warnings.warn(
                "the worker processes stopped (killed, out of memory, or started from "
                f"a script without the guard: {GUARD_ADVICE}); the remaining "
                "replications run in this process, with the same results",
                RuntimeWarning,
                stacklevel=6,
            )


def simulate(
    scenario: Scenario | str | Path | dict[str, Any],
    runs: int | None = None,
    *,
    keep_ledgers: int = 1,
    settings: RunSettings | None = None,
    store: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    **options: Unpack[SeededOptions],
) -> SimulationResult:
    """Run ``runs`` Monte Carlo replications of a scenario.

    Parameters
    ----------
    scenario : Scenario, path or dict
        A validated scenario, a YAML file, or a mapping for :meth:`Scenario.from_dict`.
    runs : int, optional
        Number of replications (>= 1; default 1).
    keep_ledgers : int
        Keep the ledgers of the first this many replications; others are
        re-simulated on demand by :meth:`SimulationResult.ledger`.
    settings : RunSettings, optional
        The run options together; keywords given as well override its fields.
    **options
        The fields of :class:`~fundflow.run.settings.RunSettings`: ``seed`` (root
        entropy; ``None`` draws fresh entropy, recorded in the result),
        ``workers`` (processes: this one and a pool of ``workers - 1``),
        ``progress`` (a progress bar; by default only in a terminal or notebook,
        for runs longer than a second), ``chunk_size`` (replications per task; by
        default up to 1000 with the compiled engine and 200 with SimPy, fewer
        towards the end of a run with several workers),
        ``executor``, ``engine`` (``"compiled"``, the default, or ``"simpy"``; the
        result records the one used). Results are identical for any workers, chunk
        size or executor, and within 1e-9 relative for either engine.
    store : str or Path, optional
        A directory to stream the results into as each block of ``chunk_size``
        replications finishes (Parquet datasets and a manifest,
        :mod:`fundflow.results.store`); the result returned reads them from
        there (:func:`fundflow.open_run`), so memory does not grow with ``runs``.
        A directory holding an unfinished or another run is refused.
    resume : bool
        With `store`: finish the run stored there, computing only its missing
        blocks (and any whose files fail their checksum); the scenario, seed
        (taken from the store when ``seed`` is None), runs, block size, version
        and code must match. The numbers are those of an uninterrupted run.
    overwrite : bool
        With `store`: replace whatever run the directory holds.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ConfigError
        For an invalid scenario or option.

    Examples
    --------
    >>> import fundflow
    >>> res = fundflow.simulate("configs/open_competition.yaml", runs=100, seed=1)  # doctest: +SKIP
    >>> res.summary().loc["gov_net_cost", ["mean", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    given = dict(options, **({} if runs is None else {"runs": runs}))
    s = resolve_settings(settings, given, "simulate", runs=1, workers=1)
    sc = as_scenario(scenario)
    if store is None:
        with Runner(s) as runner:
            return run_scenario(runner, sc, s.entropy(), keep_ledgers)
    from fundflow.run.stored import run_stored, stored_seed

    if resume and s.seed is None:
        s = s.replace(seed=stored_seed(store))
    with Runner(s) as runner:
        return run_stored(runner, sc, s.entropy(), store, resume=resume, overwrite=overwrite)


def run_scenario(
    runner: Runner, sc: Scenario, entropy: int, keep_ledgers: int = 1
) -> SimulationResult:
    """``runner.settings.runs`` replications of `sc` through `runner`, as one result."""
    s = runner.settings
    assert s.runs is not None
    if s.chunk_size is None:
        blocks = _guided_blocks(0, s.runs, runner.workers, LARGEST_BLOCK[s.engine])
    else:
        blocks = _blocks(0, s.runs, s.chunk_size)
    started = time.perf_counter()
    entry = entry_values(sc, entropy, s.runs)  # V(k) once, before the run
    tasks = [(sc, entropy, b, keep_ledgers, s.engine, entry) for b in blocks]
    done = list(runner.map(_run_block, tasks, [len(b) for b in blocks]))
    return _assemble(sc, entropy, runner.workers, done, time.perf_counter() - started, entry)


def simulate_until(
    scenario: Scenario | str | Path | dict[str, Any],
    target_se: float,
    *,
    max_runs: int = 100_000,
    settings: RunSettings | None = None,
    **options: Unpack[SeededOptions],
) -> SimulationResult:
    """Add replications in chunks until the government net cost is precise enough.

    Stops when the standard error of the mean government net cost, relative to the
    absolute mean, is below ``target_se``, or when ``max_runs`` is reached.
    ``result.convergence`` says which, with the achieved relative SE. The
    replications are those of :func:`simulate` with the same seed: stopping at
    ``n`` gives exactly ``simulate(..., runs=n)``.

    Parameters
    ----------
    target_se : float
        Target relative standard error (> 0), e.g. 0.01 for 1%.
    max_runs : int
        Upper bound on replications.
    settings : RunSettings, optional
        As in :func:`simulate` (its ``runs`` is not used); ``chunk_size``
        defaults to 500 here, and the run stops after a multiple of four chunks.
    **options
        ``seed``, ``workers``, ``progress``, ``chunk_size``, ``executor``, ``engine``,
        as in :func:`simulate`.
    """
    sc = as_scenario(scenario)
    if (
        isinstance(target_se, bool)
        or not isinstance(target_se, (int, float))
        or not (target_se > 0)
    ):
        raise ConfigError("target_se", target_se, "must be a number > 0")
    max_runs = check_positive_int("max_runs", max_runs)
    s = resolve_settings(
        settings, options, "simulate_until", fixed=("runs",), workers=1, chunk_size=500
    )
    s = s.replace(runs=max_runs)
    entropy = s.entropy()
    started = time.perf_counter()
    entry = entry_values(sc, entropy, max_runs)
    with Runner(s, total=max_runs) as runner:
        blocks, rel = _until(runner, sc, entropy, float(target_se), entry)
    done = sum(len(b.replications) for b in blocks)
    result = _assemble(sc, entropy, runner.workers, blocks, time.perf_counter() - started, entry)
    result.convergence = {
        "target_relative_se": float(target_se),
        "achieved_relative_se": rel,
        "runs": done,
        "converged": bool(rel < target_se),
        "max_runs": max_runs,
    }
    return result


def _until(
    runner: Runner, sc: Scenario, entropy: int, target: float, entry: Any = None
) -> tuple[list[_Block], float]:
    """Blocks of :func:`simulate_until`, four chunks at a time, and the relative SE reached."""
    size, max_runs = runner.settings.chunk_size, runner.settings.runs
    assert size is not None and max_runs is not None
    blocks: list[_Block] = []
    done, rel = 0, float("inf")
    while done < max_runs:
        # a fixed step, so where the run stops does not depend on the workers
        step = min(4 * size, max_runs - done)
        chunk = _blocks(done, done + step, size)
        blocks += runner.map(
            _run_block,
            [(sc, entropy, b, 1, runner.settings.engine, entry) for b in chunk],
            list(map(len, chunk)),
        )
        done += step
        cost = np.concatenate([b.runs["gov_net_cost"] for b in blocks])
        if cost.size > 1 and np.mean(cost) != 0:
            rel = float(np.std(cost, ddof=1) / np.sqrt(cost.size) / abs(np.mean(cost)))
        if rel < target:
            break
    return blocks, rel


def _entropy(seed: int | None) -> int:
    """Root entropy of ``seed`` (validated), fresh when None."""
    return RunSettings(seed=seed).entropy()
