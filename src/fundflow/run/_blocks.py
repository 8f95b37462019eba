"""Blocks of replications: what one task computes, in this process or a worker.

Replication ``i``'s random inputs are a pure function of (entropy, ``i``, stream,
identity) (:mod:`fundflow.engine.draws`) and it is simulated alone, so a block's numbers
do not depend on which process runs it or on how the replications are cut into
blocks. A block runs with Python's cyclic garbage collector paused
(``gc_paused``). This module imports neither pandas nor scipy.stats: a worker
process imports it to simulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fundflow._version import __version__
from fundflow.engine._engine_des import gc_paused, run_replication
from fundflow.engine.draws import draw
from fundflow.engine.layout import Layout
from fundflow.engine.ledger import PARTIES, Ledger
from fundflow.engine.outcome import Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.results.measures import Measures, challenge_npv, measure
from fundflow.results.result import SimulationResult
from fundflow.scenario.config import Scenario


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


@dataclass
class _Point:
    """What a design point's block of replications gives: its runs-table columns and,
    per replication and challenge name, the solver NPV summed over started routes and
    the number of routes started (:func:`fundflow.results.measures.challenge_npv`)."""

    runs: dict[str, np.ndarray]
    npv: np.ndarray
    started: np.ndarray


def simulate_block(scenario: Scenario, entropy: int, reps: Sequence[int]) -> _Point:
    """Simulate and measure a design point's block of replications (a sweep's task)."""
    block = _run_block(scenario, entropy, reps, 0)
    npv, started = challenge_npv(
        Layout.of(scenario), block.routes["status"], block.routes["solver_npv"]
    )
    return _Point(block.runs, npv, started)


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
