"""Throughput of a Dask LocalCluster of 2 workers against the local runner with 2 workers.

Run from the repository root (needs ``pip install "fundflow[distributed]"``)::

    .venv/bin/python benchmarks/bench_distributed.py              # 4000 runs, 3 repeats
    .venv/bin/python benchmarks/bench_distributed.py --quick      # smoke run

In one process, on ``configs/open_competition.yaml``, each repeat times, in turn:

* **local**: ``simulate(..., workers=2)``: this process and a spawn pool of one
  process, the pool started inside the call (what a user gets);
* **local, pre-warmed pool**: the same runner given a pool of one process started
  and warmed before the repeats (``simulate`` minus the pool's start-up), the
  fair match for a cluster that is already running;
* **cluster**: ``simulate(..., executor=client)`` on a ``LocalCluster`` of 2 worker
  processes with 1 thread each, started once before the repeats (its start-up and
  first run are printed apart): each scenario is scattered to the workers once;
* **cluster, scenario per task**: the same cluster through
  ``client.get_executor()``, a plain ``concurrent.futures`` executor, so the
  scenario is pickled into every task (what the scatter saves).

It prints replications per second (wall; median of the repeats, [min .. max]) and
the ratios, per repeat, to the local runner and to its pre-warmed pool; it checks
that the ``runs`` tables are identical, and prints the bytes a task carries with
and without the scatter.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import pickle
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import fundflow
from fundflow.run import montecarlo

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _rates(label: str, runs: int, seconds: list[float], refs: dict[str, list[float]]) -> None:
    rates = [runs / s for s in seconds]
    low, high = min(rates), max(rates)
    line = f"{label:<34} {statistics.median(rates):7.1f} rep/s [{low:.1f} .. {high:.1f}]"
    for name, ref in refs.items():
        ratios = [r / s for r, s in zip(ref, seconds, strict=True)]  # per repeat
        line += f"; / {name} {statistics.median(ratios):.2f}x"
        line += f" [{min(ratios):.2f} .. {max(ratios):.2f}]"
    print(line, flush=True)


def _warm(sc: Any) -> int:
    montecarlo._run_block(sc, 0, range(0, 10), 0)
    return os.getpid()


def _warm_local(sc: Any, runs: int, seed: int, pool: Any) -> Any:
    """``simulate(workers=2)`` with a pool of one process started beforehand."""
    settings = fundflow.RunSettings(runs=runs, seed=seed, workers=2, progress=False)
    with montecarlo.Runner(settings, pool=pool) as runner:
        return montecarlo.run_scenario(runner, sc, seed)


def _task_bytes(sc: Any, client: Any) -> tuple[int, int]:
    """Pickled bytes of one block's arguments: scenario by reference, and inline."""
    future = client.scatter(sc, broadcast=True, hash=False)
    by_ref = len(pickle.dumps((future, 1, range(0, 200), 0)))
    inline = len(pickle.dumps((sc, 1, range(0, 200), 0)))
    del future
    return by_ref, inline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(CONFIG))
    ap.add_argument("--runs", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="400 runs, 1 repeat")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.repeat = 400, 1
    from distributed import Client, LocalCluster

    sc = fundflow.load_scenario(args.config)
    print(
        f"{Path(args.config).name}: {args.runs} runs, {args.repeat} repeats; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    start, cluster = _timed(
        lambda: LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    )
    client = Client(cluster)
    first, _ = _timed(lambda: fundflow.simulate(sc, runs=20, seed=0, executor=client))
    print(f"cluster start {start:.2f} s; first 20-run call (workers import) {first:.2f} s")
    by_ref, inline = _task_bytes(sc, client)
    print(f"bytes a task carries: {by_ref} (scenario scattered) vs {inline} (inline)")
    plain = client.get_executor(pure=False)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_warm, sc).result()
    timings: dict[str, list[float]] = {"local": [], "warm": [], "cluster": [], "plain": []}
    run: dict[str, Any] = dict(runs=args.runs, seed=args.seed, progress=False)
    for k in range(args.repeat):
        t_local, local = _timed(lambda: fundflow.simulate(sc, workers=2, **run))
        t_warm, _ = _timed(lambda: _warm_local(sc, args.runs, args.seed, pool))
        t_cluster, dist = _timed(lambda: fundflow.simulate(sc, executor=client, **run))
        t_plain, _ = _timed(lambda: fundflow.simulate(sc, executor=plain, workers=2, **run))
        assert local.runs.equals(dist.runs), "the cluster's runs table differs"
        for key, t in zip(timings, (t_local, t_warm, t_cluster, t_plain), strict=True):
            timings[key].append(t)
        print(f"repeat {k + 1}: local {t_local:.2f} s, pre-warmed {t_warm:.2f} s, cluster "
              f"{t_cluster:.2f} s, scenario per task {t_plain:.2f} s", file=sys.stderr)  # fmt: skip
    print("runs tables identical (local, cluster): yes")
    refs = {"local": timings["local"], "pre-warmed": timings["warm"]}
    _rates("local runner, workers=2", args.runs, timings["local"], {})
    _rates("local runner, pre-warmed pool", args.runs, timings["warm"], {})
    _rates("LocalCluster 2 x 1 thread", args.runs, timings["cluster"], refs)
    _rates("LocalCluster, scenario per task", args.runs, timings["plain"], refs)
    pool.shutdown()
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
