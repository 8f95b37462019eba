"""Cost of the measures: per replication (the tests' oracle) vs a whole block (``measure_block``).

Run from the repository root::

    .venv/bin/python benchmarks/bench_measures.py                      # open_competition.yaml
    .venv/bin/python benchmarks/bench_measures.py --config configs/benchmark_100.yaml

One block of ``--block`` replications is simulated once with the SimPy engine; then,
interleaved and with a CPU-time clock, the block is measured replication by replication
(``tests/_measure_oracle.measure``, plain NumPy, on each outcome, gathered into columns)
and at once (``measure_block``, compiled loops; ``--python`` adds the same loops run as
Python, as where numba is missing: slow). The median of the repeats is printed in
microseconds per replication, with the ratio per-replication / block. All give the same
numbers, to the last bit (``tests/test_block_measures.py``). The first compiled call (or
loading it from numba's cache) is timed apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import fundflow
from fundflow.engine.draws import draw
from fundflow.engine.outcome import BlockOutcome, Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.results import block_measures
from fundflow.run._blocks import exposure_grid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from _measure_oracle import measure  # noqa: E402  (the tests' oracle)


def per_replication(plan: EnginePlan, outs: list[Outcome], grid: np.ndarray) -> Any:
    """The oracle's ``measure`` on each replication, its values gathered into columns."""
    runs: dict[str, list[float]] = {}
    routes: dict[str, list[np.ndarray]] = {}
    net, exposure = [], []
    for out in outs:
        m = measure(plan, out, grid)
        for key, value in m.row.items():
            runs.setdefault(key, []).append(value)
        for key, col in m.routes.items():
            routes.setdefault(key, []).append(col)
        net.append(m.net_cash)
        exposure.append(m.exposure)
    return (
        {k: np.asarray(v) for k, v in runs.items()},
        {k: np.concatenate(v) for k, v in routes.items()},
        np.asarray(net, dtype=float),
        np.asarray(exposure, dtype=float),
    )


def cpu_us(fn: Callable[[], Any], n: int) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "open_competition.yaml"))
    ap.add_argument("--block", type=int, default=2000, help="replications in the block")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--python", action="store_true", help="also time the loops as Python")
    args = ap.parse_args()
    sc = fundflow.load_scenario(args.config)
    plan = EnginePlan.of(sc)
    grid = exposure_grid(sc)
    draws = draw(sc, plan.layout, 1, range(args.block))
    outs = [run_replication(plan, draws, i) for i in range(args.block)]
    block = BlockOutcome.of(outs)
    rows = len(block.ledger) / args.block
    print(
        f"{Path(args.config).name}: {plan.layout.n_routes} routes, {rows:.0f} ledger rows "
        f"a replication, block of {args.block} SimPy outcomes"
    )
    small = BlockOutcome.of(outs[:2])
    start = time.perf_counter()
    block_measures.measure_block(plan, small, grid)
    print(
        f"first measure_block call (compile, or load numba's cache): "
        f"{time.perf_counter() - start:.2f} s"
    )

    def python_loops() -> Any:
        kernels = block_measures._kernels
        block_measures._kernels = lambda: None  # type: ignore[assignment]
        try:
            return block_measures.measure_block(plan, block, grid)
        finally:
            block_measures._kernels = kernels  # type: ignore[assignment]

    timed: dict[str, Callable[[], Any]] = {
        "oracle, per replication": lambda: per_replication(plan, outs, grid),
        "measure_block, compiled": lambda: block_measures.measure_block(plan, block, grid),
    }
    if args.python:
        timed["measure_block, Python"] = python_loops
    times: dict[str, list[float]] = {k: [] for k in timed}
    for _ in range(args.repeat):
        for name, fn in timed.items():
            times[name].append(cpu_us(fn, args.block))
    medians = {k: statistics.median(v) for k, v in times.items()}
    base = medians["oracle, per replication"]
    print(f"{'':28} {'us/rep':>9} {'ratio':>8}   (CPU, median of {args.repeat})")
    for name, value in medians.items():
        print(f"{name:28} {value:9.1f} {base / value:7.1f}x")


if __name__ == "__main__":
    main()
