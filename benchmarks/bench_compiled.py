"""Benchmark the compiled engine against the SimPy engine and the draws.

Run from the repository root::

    .venv/bin/python benchmarks/bench_compiled.py            # 2000 replications
    .venv/bin/python benchmarks/bench_compiled.py --runs 500 # quicker

In one process, on ``configs/open_competition.yaml`` (30 challenges, 44 routes), it
prints microseconds per replication of

a. the draws alone (``draw`` for the whole block);
b. the SimPy engine alone (``run_replication`` per replication, draws given);
c. the compiled engine alone (``compiled.run_block`` on the block, draws given);

and the ratios b / c and c / a; then the first call's compile time (or cache load,
if the on-disk cache is warm) and the wall time of a fresh process that imports the
compiled engine and runs one replication (the cost of a worker's start), beside the
floor of any numba-compiled code: a fresh process that imports NumPy and numba and
calls one trivial function from numba's on-disk cache (numba loads its typing and
lowering registries on the first compiled call, whatever the function). Each timing
a-c is the median of ``--repeat`` repeats in CPU time (``time.process_time``); the
start-up figures are wall time, the medians of ``--starts`` fresh processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fundflow.engine import compiled
from fundflow.engine.draws import draw
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import gc_paused, run_replication
from fundflow.scenario.config import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"

_CHILD = """
import time
t0 = time.perf_counter()
from fundflow.engine import compiled
from fundflow.engine.draws import draw
from fundflow.engine.plan import EnginePlan
from fundflow.scenario.config import load_scenario
sc = load_scenario({path!r})
plan = EnginePlan.of(sc)
compiled.run_block(plan, draw(sc, plan.layout, 1, [0]))
print(time.perf_counter() - t0)
"""


_FLOOR_MODULE = """
from numba import njit

@njit(cache=True)
def one(x):
    return x + 1.0
"""

_FLOOR = """
import sys, time
t0 = time.perf_counter()
import numba
sys.path.insert(0, {folder!r})
import floor_kernel
floor_kernel.one(1.0)
print(time.perf_counter() - t0)
"""


def _fresh_process_s(code: str, starts: int, env: dict[str, str] | None = None) -> float:
    """Median wall time printed by ``starts`` fresh interpreters running ``code``."""
    times = []
    for _ in range(starts):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        times.append(float(out.stdout))
    return statistics.median(times)


def _numba_floor_s(starts: int) -> float:
    """Start-up of a process whose only compiled code is one cached trivial function."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "floor_kernel.py").write_text(_FLOOR_MODULE)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(folder, "cache")))
        code = _FLOOR.format(folder=folder)
        _fresh_process_s(code, 1, env)  # compiles into the cache
        return _fresh_process_s(code, starts, env)


def _median_us(fn, runs: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []  # CPU time of this process: other load on the machine counts less
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1e6 * statistics.median(times) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--simpy-runs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5, help="fresh processes timed")
    args = parser.parse_args()
    sc = load_scenario(CONFIG)
    plan = EnginePlan.of(sc)
    reps = range(args.runs)

    t0 = time.perf_counter()
    compiled.run_block(plan, draw(sc, plan.layout, 1, [0]))
    first = time.perf_counter() - t0

    draws = draw(sc, plan.layout, 1, reps)
    a = _median_us(lambda: draw(sc, plan.layout, 1, reps), args.runs, args.repeat)

    def simpy_block() -> None:
        with gc_paused():
            for i in range(args.simpy_runs):
                run_replication(plan, draws, i)

    b = _median_us(simpy_block, args.simpy_runs, args.repeat)
    c = _median_us(lambda: compiled.run_block(plan, draws), args.runs, args.repeat)

    fresh = _fresh_process_s(_CHILD.format(path=str(CONFIG)), args.starts)
    floor = _numba_floor_s(args.starts)
    t1 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t1

    print(f"config: {CONFIG.name}, {plan.layout.n_routes} routes, {args.runs} replications")
    print(f"a. draws alone              {a:9.1f} us/replication")
    print(f"b. SimPy engine alone       {b:9.1f} us/replication ({args.simpy_runs} runs)")
    print(f"c. compiled engine alone    {c:9.1f} us/replication")
    print(f"b / c                       {b / c:9.1f}x")
    print(f"c / a                       {c / a:9.1f}x")
    print(f"first call (compile or cache load): {first:.2f} s")
    print(
        f"fresh process, import + one replication: {fresh:.2f} s "
        f"(a bare interpreter starts in {bare:.2f} s)"
    )
    print(f"  numba's floor, one cached trivial function: {floor:.2f} s")


if __name__ == "__main__":
    main()
