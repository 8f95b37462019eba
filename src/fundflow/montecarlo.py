"""Monte Carlo replications: blocks of replications, in-process or in a process pool.

Replication ``i``'s random inputs are a pure function of (entropy, ``i``, stream,
identity) (:mod:`fundflow.draws`) and it is simulated alone, so results do not
depend on the number of workers or on how the replications are cut into blocks.
With ``workers=W`` the calling process and a ``ProcessPoolExecutor`` of ``W - 1``
processes, started with an explicit ``spawn`` context, share the blocks (see
``_Runner``): importing fundflow changes no global state. A block runs with
Python's cyclic garbage collector paused (``gc_paused``).
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._engine_des import Outcome, gc_paused, run_replication
from ._spawn import GUARD_ADVICE, InProcessPool, unguarded_caller, warn_in_process
from .config import Scenario, load_scenario
from .draws import draw
from .errors import ConfigError
from .layout import Layout
from .ledger import PARTIES, Ledger
from .measures import Measures, measure
from .plan import EnginePlan
from .results import SimulationResult

__all__ = ["simulate", "simulate_until"]


@dataclass
class _Block:
    """Measures of a block of replications, as columns: what a worker sends back.

    Filled replication by replication (:meth:`add`); :meth:`close` then makes one
    array of each column. The routes table's ``route`` and ``challenge`` columns are the
    same in every replication and are not sent; ``status`` travels as codes.
    """

    replications: list[int]
    runs: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    net_cash: Any = field(default_factory=list)
    ledgers: dict[int, Ledger] = field(default_factory=dict)
    exposure: Any = field(default_factory=list)

    def add(self, m: Measures) -> None:
        for key, value in m.row.items():
            self.runs.setdefault(key, []).append(value)
        for key, col in m.routes.items():
            self.routes.setdefault(key, []).append(col)
        self.net_cash.append(m.net_cash)
        self.exposure.append(m.exposure)

    def close(self) -> _Block:
        """Turn the lists of the replications' values into one array per column."""
        self.runs = {k: np.asarray(v) for k, v in self.runs.items()}
        self.routes = {k: np.concatenate(v) for k, v in self.routes.items()}
        self.net_cash = np.asarray(self.net_cash, dtype=float)
        self.exposure = np.asarray(self.exposure, dtype=float)
        return self


def _as_scenario(scenario: Scenario | str | Path | dict[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    raise ConfigError("scenario", scenario, "must be a Scenario, a YAML file path or a dict")


def replicate(plan: EnginePlan, entropy: int, replication: int) -> Outcome:
    """Draw and simulate one replication on its own."""
    return run_replication(plan, draw(plan.scenario, plan.layout, entropy, [replication]), 0)


def _run_block(scenario: Scenario, entropy: int, reps: Sequence[int], keep: int) -> _Block:
    """Draw, simulate and measure a block of replications (in this process or a worker)."""
    with gc_paused():  # see gc_paused: the block leaves almost no cycles to collect
        return _measure_block(scenario, entropy, reps, keep)


def _measure_block(scenario: Scenario, entropy: int, reps: Sequence[int], keep: int) -> _Block:
    plan = EnginePlan.of(scenario)
    draws = draw(scenario, plan.layout, entropy, reps)
    block = _Block(list(reps))
    grid = exposure_grid(scenario)
    for i, rep in enumerate(reps):
        out = run_replication(plan, draws, i)
        block.add(measure(plan, out, grid))
        if rep < keep:
            block.ledgers[rep] = out.ledger
    return block.close()


def exposure_grid(scenario: Scenario) -> np.ndarray:
    """Quarterly times from 0 to the horizon at which exposure paths are recorded."""
    return np.linspace(0.0, scenario.horizon, round(scenario.horizon * 4) + 1)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(name, value, "must be a whole number >= 1")
    return int(value)


def _blocks(start: int, stop: int, size: int) -> list[range]:
    return [range(a, min(a + size, stop)) for a in range(start, stop, size)]


def _guided_blocks(start: int, stop: int, workers: int, largest: int = 200) -> list[range]:
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


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is False:
        return None
    in_notebook = "ipykernel" in sys.modules
    if enabled is None and not sys.stderr.isatty() and not in_notebook:
        return None
    if in_notebook and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:  # a text bar (tqdm.auto would warn in a notebook without ipywidgets)
        from tqdm.std import tqdm  # type: ignore[assignment]
    return tqdm(total=total, unit="run", delay=1.0, desc="replications")


def spawn_pool(processes: int) -> ProcessPoolExecutor:
    """A process pool started with an explicit ``spawn`` context (no global side effects).

    Called from the unguarded top level of a script (which each spawned process
    would re-run), it warns and returns a pool that runs the tasks in this process.
    """
    where = unguarded_caller()
    if where is not None:
        warn_in_process(where, processes)
        return InProcessPool()
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn")
    )


class _Runner:
    """Runs blocks of replications in order: in this process, helped by a pool.

    With ``workers > 1`` a spawn pool of ``workers - 1`` processes is started. Blocks
    are handed out in order: each pool process has at most two blocks submitted and
    not finished, and whenever this process would wait for a result it runs the
    next block not yet handed out itself. So ``workers`` processes compute, this one
    does not sit idle while the pool's processes start (spawning and importing
    fundflow), and no process is left with much work when the others are done.
    """

    def __init__(
        self,
        scenario: Scenario,
        entropy: int,
        workers: int,
        keep: int,
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self.scenario = scenario
        self.entropy = entropy
        self.workers = workers
        self.keep = keep
        self.pool = pool  # a pool passed in is used but not shut down
        self.own_pool = False
        self.broken = False  # the pool broke; blocks run here

    def __enter__(self) -> _Runner:
        if self.workers > 1 and self.pool is None:
            self.pool = spawn_pool(self.workers - 1)
            self.own_pool = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None and self.own_pool:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _here(self, reps: range) -> _Block:
        return _run_block(self.scenario, self.entropy, reps, self.keep)

    def _result(self, future: Future[_Block], reps: range) -> _Block:
        """A block from the pool; if the pool broke, computed here (same numbers)."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._broke()
            return self._here(reps)

    def _broke(self) -> None:
        if not self.broken:
            self.broken = True
            warnings.warn(
                "the worker processes stopped (killed, out of memory, or started from "
                f"a script without the guard: {GUARD_ADVICE}); the remaining "
                "replications run in this process, with the same results",
                RuntimeWarning,
                stacklevel=5,
            )

    def run(self, blocks: list[range], tick: Callable[[int], Any] | None) -> Iterator[_Block]:
        if self.pool is None:
            for b in blocks:
                block = self._here(b)
                if tick:
                    tick(len(b))
                yield block
            return
        pool, ahead = self.pool, 2 * (self.workers - 1)
        sent: dict[int, Future[_Block]] = {}  # submitted, not yet yielded
        done_here: dict[int, _Block] = {}
        after = 0  # blocks before this one are handed out

        def top_up() -> None:
            nonlocal after
            while (
                not self.broken
                and after < len(blocks)
                and sum(not f.done() for f in sent.values()) < ahead
            ):
                b = blocks[after]
                try:
                    sent[after] = pool.submit(_run_block, self.scenario, self.entropy, b, self.keep)
                except BrokenProcessPool:
                    self._broke()
                    return
                after += 1

        for k in range(len(blocks)):
            top_up()
            while k not in done_here and k not in sent:  # the pool broke: run here
                done_here[after] = self._here(blocks[after])
                after += 1
            while k not in done_here and not sent[k].done() and after < len(blocks):
                done_here[after] = self._here(blocks[after])
                after += 1
                top_up()
            block = done_here.pop(k) if k in done_here else self._result(sent.pop(k), blocks[k])
            if tick:
                tick(len(block.replications))
            yield block


def simulate(
    scenario: Scenario | str | Path | dict[str, Any],
    runs: int = 1,
    *,
    seed: int | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    keep_ledgers: int = 1,
    progress: bool | None = None,
) -> SimulationResult:
    """Run ``runs`` Monte Carlo replications of a scenario.

    Parameters
    ----------
    scenario : Scenario, path or dict
        A validated scenario, a YAML file, or a mapping for :meth:`Scenario.from_dict`.
    runs : int
        Number of replications (>= 1).
    seed : int, optional
        Root entropy. ``None`` draws fresh entropy, recorded in the result.
    workers : int
        Processes to use (>= 1): this one and a pool of ``workers - 1``. Results are
        identical for any value.
    chunk_size : int, optional
        Replications per task; by default up to 200, fewer towards the end of a
        run with several workers. Results are identical for any value.
    keep_ledgers : int
        Keep the ledgers of the first this many replications; others are
        re-simulated on demand by :meth:`SimulationResult.ledger`.
    progress : bool, optional
        Show a progress bar; by default only in a terminal or notebook, and only for
        runs longer than a second.

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
    sc = _as_scenario(scenario)
    runs = _check_positive_int("runs", runs)
    workers = _check_positive_int("workers", workers)
    if chunk_size is None:
        blocks = _guided_blocks(0, runs, workers)
    else:
        blocks = _blocks(0, runs, _check_positive_int("chunk_size", chunk_size))
    entropy = _entropy(seed)
    started = time.perf_counter()
    bar = _progress(runs, progress)
    try:
        with _Runner(sc, entropy, workers, keep_ledgers) as runner:
            done = list(runner.run(blocks, bar.update if bar else None))
    finally:
        if bar is not None:
            bar.close()
    return _assemble(sc, entropy, workers, done, time.perf_counter() - started)


def simulate_until(
    scenario: Scenario | str | Path | dict[str, Any],
    target_se: float,
    *,
    max_runs: int = 100_000,
    seed: int | None = None,
    workers: int = 1,
    chunk_size: int = 500,
    progress: bool | None = None,
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
    """
    sc = _as_scenario(scenario)
    if (
        isinstance(target_se, bool)
        or not isinstance(target_se, (int, float))
        or not (target_se > 0)
    ):
        raise ConfigError("target_se", target_se, "must be a number > 0")
    max_runs = _check_positive_int("max_runs", max_runs)
    workers = _check_positive_int("workers", workers)
    size = _check_positive_int("chunk_size", chunk_size)
    entropy = _entropy(seed)
    started = time.perf_counter()
    blocks: list[_Block] = []
    done, rel = 0, float("inf")
    bar = _progress(max_runs, progress)
    try:
        with _Runner(sc, entropy, workers, 1) as runner:
            while done < max_runs:
                # a fixed step, so where the run stops does not depend on the workers
                step = min(4 * size, max_runs - done)
                blocks += runner.run(_blocks(done, done + step, size), bar.update if bar else None)
                done += step
                cost = np.concatenate([b.runs["gov_net_cost"] for b in blocks])
                if cost.size > 1 and np.mean(cost) != 0:
                    rel = float(np.std(cost, ddof=1) / np.sqrt(cost.size) / abs(np.mean(cost)))
                if rel < target_se:
                    break
    finally:
        if bar is not None:
            bar.close()
    result = _assemble(sc, entropy, workers, blocks, time.perf_counter() - started)
    result.convergence = {
        "target_relative_se": float(target_se),
        "achieved_relative_se": rel,
        "runs": done,
        "converged": bool(rel < target_se),
        "max_runs": max_runs,
    }
    return result


def _entropy(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError("seed", seed, "must be a whole number >= 0")
    return int(seed)


def _assemble(
    sc: Scenario, entropy: int, workers: int, blocks: list[_Block], elapsed: float
) -> SimulationResult:
    reps = np.concatenate([np.asarray(b.replications, dtype=np.int64) for b in blocks])
    runs = {k: np.concatenate([b.runs[k] for b in blocks]) for k in blocks[0].runs}
    layout = Layout.of(sc)
    routes = {
        "route": np.tile(np.arange(layout.n_routes), reps.size),
        "challenge": np.tile(layout.route_challenge, reps.size),
    }
    routes.update({k: np.concatenate([b.routes[k] for b in blocks]) for k in blocks[0].routes})
    routes["end_review"] = routes["end_review"].astype(np.int64)
    routes["replication"] = np.repeat(reps, layout.n_routes)
    net_cash = np.concatenate([b.net_cash for b in blocks])
    ledgers = {k: v for b in blocks for k, v in b.ledgers.items()}
    exposure = np.concatenate([b.exposure for b in blocks])
    return SimulationResult(
        scenario=sc,
        entropy=entropy,
        replications=reps,
        runs_columns=runs,
        routes_columns=routes,
        net_cash=net_cash,
        parties=PARTIES,
        ledgers=ledgers,
        exposure=exposure,
        exposure_times=exposure_grid(sc),
        workers=workers,
        elapsed=elapsed,
        version=__version__,
        rerun=lambda rep: replicate(EnginePlan.of(sc), entropy, rep).ledger,
    )
