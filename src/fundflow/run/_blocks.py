"""Blocks of replications: what one task computes, in this process or a worker.

Replication ``i``'s random inputs are a pure function of (entropy, ``i``, stream,
identity) (:mod:`fundflow.engine.draws`) and it is simulated alone, so a block's numbers
do not depend on which process runs it or on how the replications are cut into
blocks. A block is simulated by one engine (:func:`run_engine`: the compiled engine
where it is installed and implements the scenario, else SimPy) into a
:class:`~fundflow.engine.outcome.BlockOutcome`, then measured at once
(:func:`fundflow.results.block_measures.measure_block`), with Python's cyclic garbage
collector paused (``gc_paused``). This module imports neither pandas nor
scipy.stats: a worker process imports it to simulate.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from fundflow._version import __version__
from fundflow.engine.draws import Draws, draw
from fundflow.engine.entry.admission import entrants_of, with_entry
from fundflow.engine.layout import Layout
from fundflow.engine.ledger import COLUMNS, PARTIES, Ledger
from fundflow.engine.outcome import BlockOutcome, Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import gc_paused, run_replication
from fundflow.errors import EngineCheckError
from fundflow.results.block_measures import measure_block
from fundflow.results.measures import Measures, challenge_npv
from fundflow.results.result import SimulationResult
from fundflow.run.entry import (
    PILOT_BASE,
    EntryValues,
    pilot_runs,
    pilot_scenario,
    solver_flow_key,
    warn_entry,
    warn_unfilled,
)
from fundflow.scenario.config import Scenario


@dataclass
class _Block:
    """Measures of a block of replications, as columns: what a worker sends back.

    Made from :func:`~fundflow.results.block_measures.measure_block`'s columns (or
    filled replication by replication with :meth:`add`, then :meth:`close`, from
    :func:`~fundflow.results.measures.measure`: the same numbers). The routes table's
    ``route`` and ``challenge`` columns are the same in every replication and are not
    sent; ``status`` travels as codes.
    """

    replications: list[int]
    runs: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    net_cash: Any = field(default_factory=list)
    ledgers: dict[int, Ledger] = field(default_factory=dict)
    exposure: Any = field(default_factory=list)
    engine: str = "simpy"  # the engine that simulated the block
    years: Any = None  # (n, quantities, budget years): BlockMeasures.years

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


_NO_NUMBA = (
    "numba is not installed: the SimPy engine runs instead of the compiled one "
    "(same numbers, slower); pip install numba"
)
_warned_no_numba = False


def _compiled_engine() -> ModuleType | None:
    """The compiled engine's module when it can run here, else None (warned once
    per process when it is numba that is missing)."""
    global _warned_no_numba
    compiled: ModuleType | None = None
    try:
        compiled = importlib.import_module("fundflow.engine.compiled")
    except ModuleNotFoundError as exc:
        no_numba = (exc.name or "").split(".")[0] == "numba"
    else:
        no_numba = not compiled.available()
    if no_numba and not _warned_no_numba:
        _warned_no_numba = True
        warnings.warn(_NO_NUMBA, RuntimeWarning, stacklevel=2)
    return None if no_numba else compiled


def run_engine(plan: EnginePlan, draws: Draws, n: int, engine: str) -> tuple[BlockOutcome, str]:
    """Simulate the ``n`` replications of ``draws`` with ``engine`` and say which ran.

    ``"compiled"``: the compiled engine where it is installed and implements the
    plan, else SimPy; ``"simpy"``: the SimPy engine (the reference).
    """
    if engine == "compiled":
        compiled = _compiled_engine()
        if compiled is not None and compiled.supports(plan):
            return compiled.run_block(plan, draws), "compiled"
    outcomes = [run_replication(plan, draws, i) for i in range(n)]
    return BlockOutcome.of(outcomes), "simpy"


def replicate(
    plan: EnginePlan,
    entropy: int,
    replication: int,
    engine: str = "simpy",
    entry: EntryValues | None = None,
) -> Outcome:
    """Draw and simulate one replication on its own."""
    draws = entered_draws(plan, entropy, [replication], entry)
    return run_engine(plan, draws, 1, engine)[0].outcome(0)


_PILOTS: dict[tuple[Any, ...], EntryValues] = {}  # per process: scenario, seed, runs


def entry_values(scenario: Scenario, entropy: int, runs: int | None = None) -> EntryValues | None:
    """``V(k)`` of a scenario with ``solver.entry: equilibrium`` (None under fixed
    entry), from a pilot of ``min(entry_runs, runs)`` replications on the compiled
    engine (:mod:`fundflow.run.entry`); computed once per scenario, seed and size in a
    process, with one warning when ``V`` rises with ``k`` somewhere."""
    if scenario.solver.entry != "equilibrium":
        return None
    n = pilot_runs(scenario, runs)
    key = (solver_flow_key(scenario), int(entropy), n)
    if key not in _PILOTS:
        if len(_PILOTS) > 64:
            _PILOTS.clear()
        _PILOTS[key] = pilot_values(scenario, entropy, n)
        warn_entry(_PILOTS[key])
    return _PILOTS[key]


def pilot_values(scenario: Scenario, entropy: int, n: int) -> EntryValues:
    """``V(k)`` for ``k = 1 ... solvers`` of each challenge from ``n`` pilot
    replications (whatever the scenario's ``entry``), on the compiled engine."""
    reps = range(PILOT_BASE, PILOT_BASE + n)
    sums = {}
    for k in range(1, max(c.solvers for c in scenario.challenges) + 1):
        pilot = EnginePlan.of(pilot_scenario(scenario, k))
        draws = draw(pilot.scenario, pilot.layout, entropy, reps)
        outcome, _ = run_engine(pilot, draws, n, "compiled")
        m = measure_block(pilot, outcome, exposure_grid(pilot.scenario))
        sums[k] = challenge_npv(pilot.layout, m.routes["status"], m.routes["solver_npv"])
    return EntryValues.of(scenario, n, sums)


def entered_draws(
    plan: EnginePlan, entropy: int, reps: Sequence[int], entry: EntryValues | None = None
) -> Draws:
    """The draws of ``reps``; under equilibrium entry, with the routes that start given
    ``entry`` (computed here when not given)."""
    scenario = plan.scenario
    draws = draw(scenario, plan.layout, entropy, reps)
    if scenario.solver.entry != "equilibrium":
        return draws
    if entry is None:
        entry = entry_values(scenario, entropy)
        assert entry is not None
    counts = entrants_of(scenario, plan.layout, entropy, reps, entry.mapping())
    return with_entry(draws, plan.layout, counts)


def _run_block(
    scenario: Scenario,
    entropy: int,
    reps: Sequence[int],
    keep: int,
    engine: str = "compiled",
    entry: EntryValues | None = None,
) -> _Block:
    """Draw, simulate and measure a block of replications (in this process or a worker)."""
    with gc_paused():  # see gc_paused: the block leaves almost no cycles to collect
        return _measure_block(scenario, entropy, reps, keep, engine, entry)


def _measure_block(
    scenario: Scenario,
    entropy: int,
    reps: Sequence[int],
    keep: int,
    engine: str = "compiled",
    entry: EntryValues | None = None,
) -> _Block:
    plan = EnginePlan.of(scenario)
    draws = entered_draws(plan, entropy, reps, entry)
    try:
        outcome, used = run_engine(plan, draws, len(reps), engine)
    except EngineCheckError as exc:  # name the run's replication, not the block's index
        raise exc.located(scenario.name, entropy, int(reps[exc.replication])) from None
    m = measure_block(plan, outcome, exposure_grid(scenario))
    ledgers = {}
    for i, rep in enumerate(reps):
        if rep < keep:  # a copy: a view would keep the whole block's ledger alive
            lo, hi = int(outcome.offsets[i]), int(outcome.offsets[i + 1])
            ledgers[rep] = Ledger(**{c: getattr(outcome.ledger, c)[lo:hi].copy() for c in COLUMNS})
    return _Block(list(reps), m.runs, m.routes, m.net_cash, ledgers, m.exposure, used, m.years)


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
    engine: str = "simpy"


def simulate_block(
    scenario: Scenario, entropy: int, reps: Sequence[int], engine: str = "compiled"
) -> _Point:
    """Simulate and measure a design point's block of replications (a sweep's task)."""
    block = _run_block(scenario, entropy, reps, 0, engine)
    npv, started = challenge_npv(
        Layout.of(scenario), block.routes["status"], block.routes["solver_npv"]
    )
    return _Point(block.runs, npv, started, block.engine)


def engine_used(engines: Sequence[str]) -> str:
    """The engine of a result from the engines of its blocks (``"compiled+simpy"`` if both)."""
    return "+".join(sorted({part for e in engines for part in e.split("+")})) or "simpy"


def _assemble(
    sc: Scenario,
    entropy: int,
    workers: int,
    blocks: list[_Block],
    elapsed: float,
    entry: EntryValues | None = None,
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
    years = np.concatenate([b.years for b in blocks])
    engine = engine_used([b.engine for b in blocks])
    result = SimulationResult(
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
        engine=engine,
        rerun=lambda rep: (
            replicate(EnginePlan.of(sc), entropy, rep, engine.split("+")[0], entry).ledger
        ),
        entry=None if entry is None else entry.to_dict(),
        years=years,
    )
    warn_unfilled(result)
    return result
