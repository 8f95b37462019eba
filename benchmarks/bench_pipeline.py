"""The whole pipeline, compiled against SimPy, against the draws and a lean SimPy model.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pipeline.py             # 5000 runs, 3 repeats
    .venv/bin/python benchmarks/bench_pipeline.py --quick     # 500 runs, 1 repeat

In one process, with a CPU-time clock, every timing interleaved in each repeat so that
the machine's load hits all alike (medians of the repeats are printed, and each ratio
is the median of the repeats' own ratios):

a. on ``configs/open_competition.yaml`` (30 challenges, 44 routes): ``simulate(...,
   workers=1)`` with ``engine="compiled"`` and with ``engine="simpy"`` (draws, engine,
   measures and the result's assembly: what a user waits for), and the draw stage
   alone (``draw``, inverse-CDF transforms included). Printed: microseconds per
   replication, SimPy / compiled (goal >= 30) and compiled / draws (goal <= 5);
b. on a program of 100 one-route challenges (two phases, installments, two-phase
   matching with a payment lag, value on success): the compiled pipeline against a
   lean SimPy model of the same program written by hand (one process per route,
   timeouts, a list ledger, random numbers drawn up front, no measures). Printed:
   lean / compiled (goal >= 10), and both models' mean government outlay, which must
   agree within Monte Carlo error.

The first compiled call of the process compiles or loads the cached machine code; it
is timed and printed apart (a warm-up), never in the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import fundflow
from fundflow.engine.draws import draw
from fundflow.engine.layout import Layout
from fundflow.engine.plan import EnginePlan
from fundflow.scenario.config import Scenario

ROOT = Path(__file__).resolve().parents[1]


def lean_program(n: int = 100) -> Scenario:
    """``n`` one-route challenges with the mechanisms the lean model implements."""
    phases = [
        {
            "duration": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.5},
            "cost_share": 0.5,
            "pass_probability": 0.8,
        },
        {"duration": 1.0, "cost_share": 0.5, "pass_probability": 0.7},
    ]
    challenges = [
        {
            "name": f"c{i:03d}",
            "total_investment": 10 + i % 7,
            "demander_share": 0.5,
            "start": (i % 4) * 0.25,
            "phases": phases,
            "value_on_success": 30,
            "value_lag": 1.0,
        }
        for i in range(n)
    ]
    return Scenario.from_dict({"name": "lean-100", "horizon": 8, "challenges": challenges})


def lean_replication(
    chs: list[Any], d1: np.ndarray, u: np.ndarray, horizon: float
) -> list[tuple[float, str, str, float]]:
    """One replication of the lean model: a process per route and a list ledger."""
    env = simpy.Environment()
    ledger: list[tuple[float, str, str, float]] = []

    def pay_later(delay: float, payer: str, payee: str, amount: float) -> Any:
        yield env.timeout(delay)
        ledger.append((env.now, payer, payee, amount))

    def route(r: int) -> Any:
        cp = chs[r]
        yield env.timeout(cp.start)
        for m in range(cp.n_phases + 1):
            if m > 0 and u[r, m - 1] >= cp.pass_probability[m - 1]:
                return
            ledger.append((env.now, "demander", "solver", cp.installments[m]))
            if cp.tranches[m] > 0:
                env.process(pay_later(0.25, "government", "demander", cp.tranches[m]))
            if m < cp.n_phases:
                cost = cp.investment * cp.cost_shares[m]
                ledger.append((env.now, "solver", "external", cost))
                yield env.timeout(d1[r] if m == 0 else 1.0)
        env.process(pay_later(cp.value_lag, "external", "demander", 30.0))

    for r in range(len(chs)):
        env.process(route(r))
    env.run(until=horizon)
    return ledger


def lean_simpy(plan: EnginePlan, runs: int, seed: int) -> float:
    """A lean hand-written SimPy model of ``plan``; returns the mean government outlay.

    Random numbers are drawn up front for each replication from one NumPy generator.
    """
    rng = np.random.default_rng(seed)
    chs = [plan.challenges[c] for c in plan.route_challenge]
    total = 0.0
    for _ in range(runs):
        d1 = rng.triangular(0.8, 1.0, 1.5, len(chs))
        u = rng.random((len(chs), 2))
        ledger = lean_replication(chs, d1, u, plan.scenario.horizon)
        total += sum(a for _, payer, _, a in ledger if payer == "government")
    return total / runs


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--simpy-runs", type=int, default=1000, help="runs of the SimPy pipeline")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="500 runs, 200 SimPy runs, 1 repeat")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.simpy_runs, args.repeat = 500, 200, 1
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; CPU time")
    oc = fundflow.load_scenario(ROOT / "configs" / "open_competition.yaml")
    lean = lean_program()
    lean_plan = EnginePlan.of(lean)
    layout = Layout.of(oc)

    def run(sc: Scenario, runs: int, engine: str) -> Any:
        return fundflow.simulate(sc, runs=runs, seed=7, workers=1, progress=False, engine=engine)

    warm, _ = cpu(lambda: run(oc, 50, "compiled"))
    warm_lean, _ = cpu(lambda: run(lean, 50, "compiled"))
    print(f"first compiled calls (compile or load the cache): {warm:.1f} s, {warm_lean:.1f} s")
    stages: dict[str, Callable[[], Any]] = {
        "compiled": lambda: run(oc, args.runs, "compiled"),
        "simpy": lambda: run(oc, args.simpy_runs, "simpy"),
        "draws": lambda: draw(oc, layout, 7, range(args.runs)),
        "lean compiled": lambda: run(lean, args.runs, "compiled"),
        "lean simpy": lambda: lean_simpy(lean_plan, args.simpy_runs, 7),
    }
    runs = {"simpy": args.simpy_runs, "lean simpy": args.simpy_runs}
    times: dict[str, list[float]] = {k: [] for k in stages}
    outs: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, fn in stages.items():
            seconds, outs[name] = cpu(fn)
            times[name].append(seconds / runs.get(name, args.runs) * 1e6)
    us = {k: statistics.median(v) for k, v in times.items()}

    def ratio(a: str, b: str) -> str:
        """The median of the repeats' ratios a / b (each measured seconds apart, so
        that the machine's speed, which drifts under shared load, cancels), and
        their range."""
        r = [x / y for x, y in zip(times[a], times[b], strict=True)]
        return f"{statistics.median(r):6.1f}x  [{min(r):.1f} .. {max(r):.1f}]"

    print("\na. configs/open_competition.yaml, microseconds of CPU per replication")
    for name in ("compiled", "simpy", "draws"):
        print(f"   {name:<10} {us[name]:9.1f}   [{min(times[name]):.1f} .. {max(times[name]):.1f}]")
    print(f"   SimPy / compiled   {ratio('simpy', 'compiled')}   (goal >= 30)")
    print(f"   compiled / draws   {ratio('compiled', 'draws')}   (goal <= 5)")
    print("\nb. 100 one-route challenges, microseconds of CPU per replication")
    for name in ("lean compiled", "lean simpy"):
        print(f"   {name:<14} {us[name]:9.1f}")
    print(f"   lean SimPy / compiled {ratio('lean simpy', 'lean compiled')}   (goal >= 10)")
    res = outs["lean compiled"]
    mean = float(res.runs["gov_gross_outlay"].mean())
    print(f"   mean government outlay: fundflow {mean:.3f}, lean model {outs['lean simpy']:.3f}")


if __name__ == "__main__":
    main()
