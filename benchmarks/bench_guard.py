"""The cost of the per-replication guard (fundflow.engine.guard) against the pipeline.

Run from the repository root::

    .venv/bin/python benchmarks/bench_guard.py              # 2000 replications
    .venv/bin/python benchmarks/bench_guard.py --config configs/chain_leader.yaml

In one process, on a block of ``--runs`` replications of the config (draws made
once), it times in CPU time, the median of ``--repeat`` repeats each:

a. ``guard.check`` alone on the compiled engine's outcome;
b. the compiled engine with its guard (``compiled.run_block``, which calls it);
c. the whole pipeline per replication (``fundflow.simulate``, one worker: draws,
   engine, guard, measures);

and prints a / b and a / c: the guard's share of the engine and of the pipeline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import fundflow
from fundflow.engine import compiled, guard
from fundflow.engine.draws import draw
from fundflow.engine.plan import EnginePlan
from fundflow.scenario.config import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _cpu(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs/open_competition.yaml")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sc = load_scenario(args.config)
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, 1, range(args.runs))
    outcome = compiled.run_block(plan, draws)  # compiles or loads the kernels
    guard.check(plan, draws, outcome)
    fundflow.simulate(sc, 50, seed=1, workers=1)
    n = args.runs
    a = _cpu(lambda: guard.check(plan, draws, outcome), args.repeat) / n
    b = _cpu(lambda: compiled.run_block(plan, draws), args.repeat) / n
    c = _cpu(lambda: fundflow.simulate(sc, n, seed=1, workers=1), args.repeat) / n
    print(f"load average {os.getloadavg()[0]:.2f}; {args.config.name}, {n} replications")
    print(f"a. guard alone:          {a * 1e6:8.2f} us / replication")
    print(f"b. engine with guard:    {b * 1e6:8.2f} us / replication")
    print(f"c. pipeline (simulate):  {c * 1e6:8.2f} us / replication")
    print(f"guard / engine: {a / b:.1%}; guard / pipeline: {a / c:.1%}")


if __name__ == "__main__":
    main()
