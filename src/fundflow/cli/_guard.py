"""How big a run is, before it starts: the program's size and a time and memory estimate.

The estimate comes from counts alone (challenges, routes and phases after
``count`` and ``solvers``), without building any per-route array, so a scenario
of ten million challenges is measured, and refused, at once. Only memory is a
limit (:func:`memory_limit`, three quarters of the memory this process may use);
``--no-size-limit`` goes ahead anyway. The coefficients were measured on the
shipped scenarios (``benchmarks/``); an estimate is good to within a factor of
about two.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError

__all__ = ["Estimate", "check_size", "check_workers", "estimate", "memory_limit"]

#: Seconds per replication, and per route and phase of a replication.
_SECONDS_PER_RUN = 5e-3
_SECONDS_PER_ROUTE_PHASE = 6e-5
#: Bytes: an interpreter with fundflow and its libraries loaded; per route (plan and
#: layout arrays); per route of each replication in a block being simulated; per
#: route and per replication kept in the result (routes and runs tables).
_BASE_BYTES = 150e6
_ROUTE_BYTES = 3e3
_BLOCK_ROUTE_BYTES = 1e3
_KEPT_ROUTE_BYTES = 500.0
_KEPT_RUN_BYTES = 1e3
_STREAMED_RUN_BYTES = 64.0
#: The largest default block of any engine: ``fundflow.run.montecarlo.LARGEST_BLOCK``'s,
#: not imported from there, which loads the engine (``validate`` runs nothing).
_LARGEST_BLOCK = 1000


@dataclass(frozen=True)
class Estimate:
    """Size of a run of `runs` replications and what it should take."""

    challenges: int
    routes: int
    runs: int
    workers: int
    seconds: float
    bytes: float

    def text(self) -> str:
        """``'30 challenges, 44 routes; 1,000 replications on 1 worker: about 9 s, 170 MB'``."""
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        return (
            f"{self.challenges:,} challenges, {self.routes:,} routes; {self.runs:,} "
            f"replication{'s' if self.runs != 1 else ''} on {workers}: about "
            f"{_duration(self.seconds)} and "
            f"{_bytes(self.bytes)} of memory"
        )


def estimate(scenario: Any, runs: int, workers: int = 1, streamed: bool = False) -> Estimate:
    """Time and memory of `runs` replications of `scenario` on `workers` processes.

    A `streamed` run (``--out``: blocks written to disk as they finish) keeps only a
    column of the runs table in memory at a time.
    """
    routes = sum(c.count * c.solvers for c in scenario.challenges)
    route_phases = sum(c.count * c.solvers * len(c.phases) for c in scenario.challenges)
    per_run = _SECONDS_PER_RUN + _SECONDS_PER_ROUTE_PHASE * route_phases
    seconds = runs * per_run / (1 if workers == 1 else 0.9 * workers)
    seconds += 0.0 if workers == 1 else 2.0  # starting the pool
    block = min(_LARGEST_BLOCK, max(1, math.ceil(runs / max(4, 2 * workers))))
    process = _BASE_BYTES + routes * (_ROUTE_BYTES + block * _BLOCK_ROUTE_BYTES)
    kept = runs * (
        _STREAMED_RUN_BYTES if streamed else routes * _KEPT_ROUTE_BYTES + _KEPT_RUN_BYTES
    )
    return Estimate(
        challenges=sum(c.count for c in scenario.challenges),
        routes=routes,
        runs=runs,
        workers=workers,
        seconds=seconds,
        bytes=workers * process + kept,
    )


def memory_limit() -> float:
    """Three quarters of this machine's memory (or of the container's limit)."""
    total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for name in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(name).read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            continue
        if text.isdigit():
            total = min(total, float(text))
    return 0.75 * total


def check_size(est: Estimate, *, allow: bool, what: str = "the run") -> None:
    """Refuse an estimate above :func:`memory_limit`, unless `allow`.

    Raises
    ------
    ConfigError
        Naming the size, the estimate, the limit and ``--no-size-limit``.
    """
    limit = memory_limit()
    if allow or est.bytes <= limit:
        return
    raise ConfigError(
        "size",
        None,
        f"{what} would need about {_bytes(est.bytes)} of memory ({est.text()}), more than "
        f"the {_bytes(limit)} allowed here (3/4 of this machine's memory); lower the "
        "challenges' count or solvers, or --runs, or pass --no-size-limit to go ahead anyway",
        show_value=False,
    )


def check_workers(workers: int) -> str | None:
    """A warning when more worker processes are asked for than there are cores."""
    cores = os.cpu_count() or 1
    if workers <= cores:
        return None
    return (
        f"--workers {workers} is more than the {cores} core{'s' if cores != 1 else ''} of "
        "this machine: the results are the same, but the run will not be faster"
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}" if n < 10 * size else f"{n / size:,.0f} {unit}"
    return f"{n / 1e6:.1f} MB"


def size_lines(
    scenarios: list[Any],
    runs: int,
    workers: int,
    *,
    allow: bool,
    what: str = "the run",
    streamed: bool = False,
) -> list[str]:
    """The ``size:`` lines to print before a run; refuses one too big (see :func:`check_size`).

    With two scenarios (a comparison) both results are held at once: their memory adds up.
    """
    ests = [estimate(s, runs, workers, streamed) for s in scenarios]
    if len(ests) == 1:
        check_size(ests[0], allow=allow, what=what)
        return [f"size: {ests[0].text()}"]
    total = sum(e.bytes for e in ests) - (len(ests) - 1) * workers * _BASE_BYTES
    check_size(replace(ests[0], bytes=total), allow=allow, what=what)
    return [f"size {label}: {e.text()}" for label, e in zip("AB", ests, strict=False)]


def validate_lines(scenario: Any, runs: int, *, allow: bool) -> list[str]:
    """For ``validate``: refuse a program too big for even one replication; size of `runs`."""
    check_size(estimate(scenario, 1), allow=allow, what="one replication")
    est = estimate(scenario, runs)
    note = ""
    if est.bytes > memory_limit():
        note = " (more than the memory allowed here: run fewer replications with --runs)"
    return [f"size: {est.text()}{note}"]
