"""Where fundflow's single-worker time goes on the reference program.

Run from the repository root::

    .venv/bin/python benchmarks/profile_engine.py              # stage breakdown
    .venv/bin/python benchmarks/profile_engine.py --cprofile   # plus cProfile's top functions

The stage breakdown re-runs what ``montecarlo._run_block`` does, replication by
replication, with a CPU-time clock (``time.process_time``) around each stage, so
it is not inflated by a profiler and is robust to other processes on the machine.
It also counts SimPy events, measures the pickled size of a block (what a worker
sends back through the process pool) and the cost of starting a spawn worker.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import pickle
import pstats
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import simpy

import fundflow
from fundflow.engine.draws import draw
from fundflow.engine.ledger import COLUMNS, LedgerWriter
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import Outcome, build, run_replication
from fundflow.results.block_measures import measure_block
from fundflow.run import montecarlo

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "configs" / "benchmark_100.yaml"


class Stages:
    """CPU seconds accumulated per named stage."""

    def __init__(self) -> None:
        self.cpu: defaultdict[str, float] = defaultdict(float)

    def time(self, name: str, fn, *args):  # type: ignore[no-untyped-def]
        c = time.process_time()
        out = fn(*args)
        self.cpu[name] += time.process_time() - c
        return out


def _writer_of(out: Outcome) -> LedgerWriter:
    writer = LedgerWriter()
    for col in COLUMNS:
        setattr(writer, col, getattr(out.ledger, col).tolist())
    return writer


def breakdown(sc: fundflow.Scenario, runs: int, block: int, seed: int) -> None:
    """CPU time per stage of ``_run_block`` + ``_assemble``.

    ``build`` (the core and its books) and ``LedgerWriter.freeze`` are timed by
    running them a second time on their own; that extra work is subtracted again
    from the engine, the draws and the total.
    """
    st = Stages()
    extra = Stages()  # work done only to time a part of something timed whole
    total = time.process_time()
    blocks = []
    for start in range(0, runs, block):
        reps = range(start, min(start + block, runs))
        plan = st.time("plan: EnginePlan.of per block", EnginePlan.of, sc)
        d = st.time("draws: all", draw, sc, plan.layout, seed, reps)
        grid = montecarlo.exposure_grid(sc)
        outs = []
        for i in range(len(reps)):
            extra.time("init", build, plan, d, i)
            out = st.time("engine: all", run_replication, plan, d, i)
            writer = extra.time("writer", _writer_of, out)
            extra.time("freeze", writer.freeze)
            outs.append(out)
        stacked = st.time("assembly: BlockOutcome.of (stack the ledgers)", BlockOutcome.of, outs)
        m = st.time("measures: measure_block", measure_block, plan, stacked, grid)
        blocks.append(montecarlo._Block(list(reps), m.runs, m.routes, m.net_cash, {}, m.exposure))
    res = st.time(
        "assembly: _assemble (concatenate, result)", montecarlo._assemble, sc, seed, 1, blocks, 0.0
    )
    st.time("assembly: result.runs DataFrame", lambda: res.runs)
    total = time.process_time() - total - sum(extra.cpu.values())
    engine = st.cpu.pop("engine: all")
    draws = st.cpu.pop("draws: all")
    parts = {
        "engine: build (core, books, draws .tolist())": extra.cpu["init"],
        "engine: LedgerWriter.freeze (lists -> arrays)": extra.cpu["freeze"],
        "engine: env.run (SimPy + model code)": engine - extra.cpu["init"] - extra.cpu["freeze"],
        "draws: Philox blocks, copula, inverse CDFs (draw())": draws,
    }
    st.cpu.update(parts)
    st.cpu["other (loop, timers)"] = total - sum(st.cpu.values())
    print(f"stage breakdown, {runs} replications, blocks of {block}, CPU time")
    print(f"  {'stage':<52} {'ms/rep':>8} {'share':>7}")
    for name, sec in sorted(st.cpu.items()):
        print(f"  {name:<52} {sec / runs * 1e3:8.3f} {sec / total:7.1%}")
    print(f"  {'total':<52} {total / runs * 1e3:8.3f}")
    events = 0
    d = draw(sc, plan.layout, seed, range(20))
    for i in range(20):
        core = build(plan, d, i)
        for r in range(len(core.status)):
            core.env.process(core.run_route(r))
        core.env.run(until=core.horizon)
        events += next(core.env._eid)
    print(f"  SimPy events scheduled per replication              {events / 20:8.0f}")
    print(f"  ledger rows per replication (last one)              {len(out.ledger):8d}")
    pickled = len(pickle.dumps(blocks[0], protocol=pickle.HIGHEST_PROTOCOL))
    n0 = len(blocks[0].replications)
    print(f"  pickled block of {n0} replications [bytes/rep]     {pickled / n0:8.0f}")


def dist_ppf_cost(sc: fundflow.Scenario) -> None:
    """Cost of one ``Dist.ppf`` call (closed form for the named families) vs the numbers."""
    u = np.random.default_rng(0).random(200 * 60)
    dists = [sc.challenges[0].overrun, sc.challenges[0].phases[0].duration]
    for d in dists:
        n = 200
        c = time.process_time()
        for _ in range(n):
            d.ppf(u)
        per = (time.process_time() - c) / n
        print(f"  {d!s:<48} ppf on {u.size} uniforms: {per * 1e3:.3f} ms a call")


def spawn_cost(sc: fundflow.Scenario) -> None:
    """Wall time to start one spawn worker and run a 1-replication block in it."""
    t = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(montecarlo._run_block, sc, 1, range(0, 1), 0).result()
        first = time.perf_counter() - t
        t = time.perf_counter()
        pool.submit(montecarlo._run_block, sc, 1, range(0, 1), 0).result()
        second = time.perf_counter() - t
    print(f"  spawn a worker + import fundflow + 1 replication  {first:.2f} s (wall)")
    print(f"  the same on the now-warm worker                   {second * 1e3:.1f} ms (wall)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=600)
    ap.add_argument("--block", type=int, default=200, help="replications per block (200)")
    ap.add_argument("--config", type=Path, default=REFERENCE)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cprofile", action="store_true", help="also print cProfile's top 30")
    args = ap.parse_args(argv)
    sc = fundflow.load_scenario(args.config)
    print(sc.describe(), f"(simpy {simpy.__version__})")
    len(fundflow.simulate(sc, 5, seed=args.seed, progress=False).runs)  # warm imports, pandas
    breakdown(sc, args.runs, args.block, args.seed)
    print("inverse CDFs (Dist.ppf)")
    dist_ppf_cost(sc)
    print("process pool")
    spawn_cost(sc)
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        fundflow.simulate(sc, args.runs, seed=args.seed, workers=1, progress=False)
        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
