"""How fast a scenario runs here: measured on a few replications before a run.

:func:`measure` simulates a few small blocks of the scenario, with the engine the
run will use, in this process, and fits the seconds a block takes as a fixed cost
per block plus a cost per replication (:class:`Pace`); it also measures how many
cores the machine's other processes leave free meanwhile. :meth:`Pace.seconds`
scales that to a run's blocks and processes. The first block loads the compiled
loops, or compiles them when numba's cache does not hold them
(:func:`must_compile`): then it is the compile, done once here, so that worker
processes started after it load the loops from the cache instead of each
compiling them at once. The replications measured are thrown away; a run's
numbers do not depend on them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from fundflow.engine.kernel_cache import must_compile
from fundflow.run._blocks import _run_block
from fundflow.scenario.config import Scenario

__all__ = ["Pace", "block_sizes", "measure", "must_compile", "warm_up"]

#: Seconds of measuring to aim at (after the first block), and the largest block.
_BUDGET = 0.3
_LARGEST = 1024

#: Seconds for a pool process to start: the interpreter, fundflow's modules and the
#: compiled loops loaded from the cache (measured: 1.6-2.4 s on two cores).
_POOL_START = 2.0


def block_sizes(runs: int, workers: int, engine: str, chunk: int | None = None) -> list[int]:
    """The sizes of the blocks a run cuts its replications into: of `chunk`, or as the
    runner cuts them for `workers` (:func:`fundflow.run.montecarlo._guided_blocks`)."""
    from fundflow.run.montecarlo import LARGEST_BLOCK, _guided_blocks

    if chunk is not None:
        return [min(chunk, runs - a) for a in range(0, runs, chunk)]
    return [len(b) for b in _guided_blocks(0, runs, workers, LARGEST_BLOCK[engine])]


def warm_up(scenario: Scenario, engine: str) -> float:
    """Simulate one replication here (loading or compiling the loops); its seconds."""
    started = time.perf_counter()
    _run_block(scenario, 0, range(1), 0, engine)
    return time.perf_counter() - started


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_seconds() -> tuple[float, float] | None:
    """CPU seconds used so far by the whole machine and by this process (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    own = os.times()
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), own.user + own.system


@dataclass(frozen=True)
class Pace:
    """Seconds a block of ``n`` replications takes here: ``per_block + n * per_run``;
    `cores`: how many cores the machine's other processes left free; `slowdown`: how
    much slower than alone on a core this process ran, sharing the cores with them."""

    per_block: float
    per_run: float
    first: float  # the first block, of one replication: loading or compiling the loops
    cores: float = 1.0
    slowdown: float = 1.0

    def seconds(self, blocks: list[int], workers: int) -> float:
        """Seconds to run `blocks` (their sizes) on `workers` processes.

        This process works from the start; a pool's processes join after starting
        (about 2 s each on an idle core, longer as `slowdown`) and at most the free
        cores work.
        """
        work = sum(self.per_block + n * self.per_run for n in blocks)
        busy = min(float(workers), self.cores)
        if workers <= 1 or busy <= 1:
            return work
        return min(work, (work + (workers - 1) * _POOL_START * self.slowdown) / busy)


def measure(scenario: Scenario, engine: str, budget: float = _BUDGET) -> Pace:
    """Time a few blocks of `scenario` with `engine` here (about `budget` seconds after
    the first block, which loads or compiles the loops)."""
    first = warm_up(scenario, engine)
    sizes: list[int] = []
    times: list[float] = []
    n, start, spent = 1, 1, 0.0
    cpu = _cpu_seconds()
    while True:
        started = time.perf_counter()
        _run_block(scenario, 0, range(start, start + n), 0, engine)
        took = time.perf_counter() - started
        sizes.append(n)
        times.append(took)
        spent += took
        start += n
        if spent >= budget or n >= _LARGEST:
            break
        n *= 2
    cores = total = float(_cores())
    slowdown = 1.0
    after = _cpu_seconds()
    if cpu is not None and after is not None and spent > 0:
        others = max(0.0, (after[0] - cpu[0]) - (after[1] - cpu[1])) / spent  # their cores
        cores = min(total, max(1.0, total - others))
        slowdown = max(1.0, (others + 1.0) / total)
    return _fit(sizes, times, first, cores, slowdown)


def _fit(
    sizes: list[int], times: list[float], first: float, cores: float, slowdown: float = 1.0
) -> Pace:
    """Least squares of ``t = per_block + n * per_run`` (both >= 0)."""
    if len(sizes) > 1:
        mean_n = sum(sizes) / len(sizes)
        mean_t = sum(times) / len(times)
        var = sum((n - mean_n) ** 2 for n in sizes)
        cov = sum((n - mean_n) * (t - mean_t) for n, t in zip(sizes, times, strict=True))
        per_run = cov / var
        per_block = mean_t - per_run * mean_n
        if per_run > 0 and per_block >= 0:
            return Pace(per_block, per_run, first, cores, slowdown)
    return Pace(0.0, sum(times) / sum(sizes), first, cores, slowdown)  # all per replication
