"""Monte Carlo replications: blocks of replications, in-process or in a process pool.

Replication ``i`` draws from ``SeedSequence(entropy, spawn_key=(i, k))`` and is
simulated alone, so results do not depend on the number of workers or on how the
replications are cut into blocks. Workers run in a ``ProcessPoolExecutor`` started
with an explicit ``spawn`` context: importing fundflow changes no global state.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._engine_des import Outcome, run_replication
from .config import Scenario, load_scenario
from .draws import draw
from .errors import ConfigError
from .ledger import PARTIES, Ledger
from .measures import exposure_path, party_net_cash, route_measures, run_measures
from .plan import EnginePlan
from .results import SimulationResult

__all__ = ["simulate", "simulate_until"]


@dataclass
class _Block:
    """Measures of a block of replications (columns as lists)."""

    replications: list[int]
    runs: dict[str, list[float]]
    routes: dict[str, list[np.ndarray]]
    net_cash: list[list[float]]
    ledgers: dict[int, Ledger]
    exposure: list[np.ndarray]


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
    plan = EnginePlan.of(scenario)
    draws = draw(scenario, plan.layout, entropy, reps)
    block = _Block(list(reps), {}, {}, [], {}, [])
    grid = exposure_grid(scenario)
    for i, rep in enumerate(reps):
        out = run_replication(plan, draws, i)
        routes = route_measures(plan, out)
        row = run_measures(plan, out, routes)
        for key, value in row.items():
            block.runs.setdefault(key, []).append(value)
        for key, col in routes.items():
            block.routes.setdefault(key, []).append(col)
        block.net_cash.append(list(party_net_cash(out).values()))
        block.exposure.append(exposure_path(plan, out, grid))
        if rep < keep:
            block.ledgers[rep] = out.ledger
    return block


def exposure_grid(scenario: Scenario) -> np.ndarray:
    """Quarterly times from 0 to the horizon at which exposure paths are recorded."""
    return np.linspace(0.0, scenario.horizon, round(scenario.horizon * 4) + 1)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(name, value, "must be a whole number >= 1")
    return int(value)


def _blocks(start: int, stop: int, size: int) -> list[range]:
    return [range(a, min(a + size, stop)) for a in range(start, stop, size)]


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


class _Runner:
    """Runs blocks of replications in this process or a pool, in order."""

    def __init__(self, scenario: Scenario, entropy: int, workers: int, keep: int) -> None:
        self.scenario = scenario
        self.entropy = entropy
        self.workers = workers
        self.keep = keep
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, blocks: list[range], tick: Callable[[int], Any] | None) -> Iterator[_Block]:
        if self.pool is None:
            for b in blocks:
                block = _run_block(self.scenario, self.entropy, b, self.keep)
                if tick:
                    tick(len(b))
                yield block
            return
        futures = [
            self.pool.submit(_run_block, self.scenario, self.entropy, b, self.keep) for b in blocks
        ]
        for future in futures:
            block = future.result()
            if tick:
                tick(len(block.replications))
            yield block


def _default_chunk(runs: int, workers: int) -> int:
    return int(max(1, min(200, -(-runs // (workers * 4)))))


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
        Processes to use (>= 1). Results are identical for any value.
    chunk_size : int, optional
        Replications per task; results are identical for any value.
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
    size = (
        _default_chunk(runs, workers)
        if chunk_size is None
        else _check_positive_int("chunk_size", chunk_size)
    )
    entropy = _entropy(seed)
    started = time.perf_counter()
    bar = _progress(runs, progress)
    try:
        with _Runner(sc, entropy, workers, keep_ledgers) as runner:
            blocks = list(runner.run(_blocks(0, runs, size), bar.update if bar else None))
    finally:
        if bar is not None:
            bar.close()
    return _assemble(sc, entropy, workers, blocks, time.perf_counter() - started)


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
                step = min(max(size, workers * size), max_runs - done)
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
    n_routes = len(blocks[0].routes["route"][0])
    routes = {k: np.concatenate([c for b in blocks for c in b.routes[k]]) for k in blocks[0].routes}
    routes["replication"] = np.repeat(reps, n_routes)
    net_cash = np.array([row for b in blocks for row in b.net_cash], dtype=float)
    ledgers = {k: v for b in blocks for k, v in b.ledgers.items()}
    exposure = np.array([row for b in blocks for row in b.exposure], dtype=float)
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
