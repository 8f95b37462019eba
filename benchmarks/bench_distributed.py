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
  first call are printed apart): each scenario is scattered to the workers once;
* **cluster, scenario per task**: the same cluster through
  ``client.get_executor()``, a plain ``concurrent.futures`` executor, so the
  scenario is pickled into every task (what the scatter saves).

Every timing is taken as wall time and as CPU time of every process involved (this
one, which also runs the cluster's scheduler and nannies in threads, plus the pool's
or the cluster's worker processes, read from ``/proc``). It prints replications per
second of wall time (median of the repeats, [min .. max]), the ratios per repeat to
the local runner and to its pre-warmed pool, and the CPU milliseconds a replication
costs; on a machine shared with other work the CPU figures are the reliable ones.
It checks that the ``runs`` tables are identical and prints the bytes a task
carries with and without the scatter.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import pickle
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import fundflow
from fundflow.run import montecarlo

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"


def _proc_cpu(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) used so far by the processes `pids`."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _cpu(pids: Iterable[int]) -> float:
    """CPU of this process, its finished children and the running processes `pids`."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime + _proc_cpu(pids)


def _timed(fn: Callable[[], Any], pids: Iterable[int] = ()) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds (see :func:`_cpu`) and the result of ``fn()``."""
    pids = list(pids)
    cpu, wall = _cpu(pids), time.perf_counter()
    out = fn()
    return time.perf_counter() - wall, _cpu(pids) - cpu, out


def _line(label: str, runs: int, walls: list[float], cpus: list[float]) -> str:
    rates = [runs / s for s in walls]
    ms = 1000 * statistics.median(cpus) / runs
    return (
        f"{label:<33} {statistics.median(rates):7.1f} rep/s [{min(rates):.1f} .. "
        f"{max(rates):.1f}], CPU {ms:.2f} ms/rep"
    )


def _ratios(name: str, ref: list[float], walls: list[float]) -> str:
    ratios = [r / s for r, s in zip(ref, walls, strict=True)]  # per repeat
    return f"{name} {statistics.median(ratios):.2f}x [{min(ratios):.2f} .. {max(ratios):.2f}]"


def _task_bytes(sc: Any, client: Any) -> tuple[int, int]:
    """Pickled bytes of one block's arguments: scenario by reference, and inline."""
    future = client.scatter(sc, broadcast=True, hash=False)
    by_ref = len(pickle.dumps((future, 1, range(0, 200), 0)))
    inline = len(pickle.dumps((sc, 1, range(0, 200), 0)))
    del future
    return by_ref, inline


def _warm(sc: Any) -> int:
    montecarlo._run_block(sc, 0, range(0, 10), 0)
    return os.getpid()


def _warm_local(sc: Any, runs: int, seed: int, pool: Any) -> Any:
    """``simulate(workers=2)`` with a pool of one process started beforehand."""
    settings = fundflow.RunSettings(runs=runs, seed=seed, workers=2, progress=False)
    with montecarlo.Runner(settings, pool=pool) as runner:
        return montecarlo.run_scenario(runner, sc, seed)


def _cluster() -> tuple[Any, Any, list[int]]:
    """A LocalCluster of 2 single-threaded worker processes, its client, their pids."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    return cluster, client, list(client.run(os.getpid).values())


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
    sc = fundflow.load_scenario(args.config)
    print(
        f"{Path(args.config).name}: {args.runs} runs, {args.repeat} repeats; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    start, _, (cluster, client, workers) = _timed(_cluster)
    first, _, _ = _timed(lambda: fundflow.simulate(sc, runs=20, seed=0, executor=client))
    print(f"cluster start {start:.2f} s; first 20-run call (workers import) {first:.2f} s")
    by_ref, inline = _task_bytes(sc, client)
    print(f"bytes a task carries: {by_ref} (scenario scattered) vs {inline} (inline)")
    plain = client.get_executor(pure=False)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    pooled = [pool.submit(_warm, sc).result()]
    run: dict[str, Any] = dict(runs=args.runs, seed=args.seed, progress=False)
    cases: dict[str, tuple[str, Callable[[], Any], list[int]]] = {
        "local": ("local runner, workers=2", lambda: fundflow.simulate(sc, workers=2, **run), []),
        "warm": (
            "local runner, pre-warmed pool",
            lambda: _warm_local(sc, args.runs, args.seed, pool),
            pooled,
        ),
        "cluster": (
            "LocalCluster 2 x 1 thread",
            lambda: fundflow.simulate(sc, executor=client, **run),
            workers,
        ),
        "plain": (
            "LocalCluster, scenario per task",
            lambda: fundflow.simulate(sc, executor=plain, workers=2, **run),
            workers,
        ),
    }
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    tables = {}
    for k in range(args.repeat):
        for key, (_, fn, pids) in cases.items():
            wall, cpu, result = _timed(fn, pids)
            walls[key].append(wall)
            cpus[key].append(cpu)
            tables[key] = result.runs
        shown = ", ".join(f"{key} {walls[key][-1]:.2f} s" for key in cases)
        print(f"repeat {k + 1} (load {os.getloadavg()[0]:.1f}): {shown}", file=sys.stderr)
    assert all(t.equals(tables["local"]) for t in tables.values()), "a runs table differs"
    print("runs tables identical (all four): yes")
    for key, (label, _, _) in cases.items():
        line = _line(label, args.runs, walls[key], cpus[key])
        if key in ("cluster", "plain"):
            line += "; wall ratio to " + _ratios("local", walls["local"], walls[key])
            line += ", to " + _ratios("pre-warmed", walls["warm"], walls[key])
        print(line, flush=True)
    pool.shutdown()
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
