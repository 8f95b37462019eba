"""How big a run is, before it starts: the program's size, its memory and its time.

Memory comes from counts alone (challenges, routes and phases after ``count`` and
``solvers``), without building any per-route array, so a scenario of ten million
challenges is measured, and refused, at once. Only memory is a limit
(:func:`memory_limit`, three quarters of the memory this process may use);
``--no-size-limit`` goes ahead anyway. The coefficients were measured on the
shipped scenarios (``benchmarks/``).

Time is measured (:func:`timed`): a few small blocks of the scenario run here with
the engine the run will use (:mod:`fundflow.run.pace`) and their pace is scaled
to the run's blocks and processes, plus what follows the simulation (assembling
the result, and writing ``--out``, measured per replication and per route on the
shipped scenarios). When numba's cache lacks the compiled loops they are compiled
first, once (:func:`prepare`): about a minute, said before it starts.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError

__all__ = [
    "Estimate",
    "check_size",
    "check_sizes",
    "check_workers",
    "compile_first",
    "estimate",
    "memory_limit",
    "prepare",
    "run_blocks",
    "size_lines",
    "timed",
]

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
#: Seconds after the simulation, fixed (the statistics' and the writers' modules
#: imported), per replication and per route of a replication: assembling the result
#: and printing its tables; and, with --out, the run streamed to Parquet and the
#: tables written (measured on the shipped scenarios, 8 to 145 routes, 10 to
#: 100,000 replications).
_AFTER = 1.0
_AFTER_PER_RUN = 6e-6
_AFTER_PER_ROUTE = 0.45e-6
_OUT = 0.5
_OUT_PER_RUN = 3e-4
_OUT_PER_ROUTE = 2e-6


@dataclass(frozen=True)
class Estimate:
    """Size of a run of `runs` replications and what it should take.

    `seconds` is None until measured (:func:`timed`).
    """

    challenges: int
    routes: int
    runs: int
    workers: int
    bytes: float
    seconds: float | None = None

    def text(self, lang: str = "en") -> str:
        """``'30 challenges, 44 routes; 1,000 replications on 1 worker: about 2 s and
        170 MB of memory'`` (without the time until it is measured); `lang` "zh":
        ``'30 个榜题，44 个揭榜团队；1,000 次模拟，1 个进程：约 2 秒，内存约 170 MB'``."""
        if lang != "en":
            return self._text_in(lang)
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        took = "" if self.seconds is None else f"about {_duration(self.seconds)} and "
        return (
            f"{self.challenges:,} challenges, {self.routes:,} routes; {self.runs:,} "
            f"replication{'s' if self.runs != 1 else ''} on {workers}: {took}"
            f"{_bytes(self.bytes)} of memory"
        )

    def _text_in(self, lang: str) -> str:
        from fundflow.io import labels as lb

        took = (
            ""
            if self.seconds is None
            else lb.text("msg_took", lang, time=_duration(self.seconds, lang))
        )
        return lb.text(
            "msg_estimate",
            lang,
            challenges=self.challenges,
            routes=self.routes,
            runs=self.runs,
            workers=self.workers,
            took=took,
            memory=_bytes(self.bytes),
        )


def estimate(scenario: Any, runs: int, workers: int = 1, streamed: bool = False) -> Estimate:
    """Memory of `runs` replications of `scenario` on `workers` processes (no time:
    see :func:`timed`).

    A `streamed` run (``--out``: blocks written to disk as they finish) keeps only a
    column of the runs table in memory at a time.
    """
    routes = sum(c.count * c.solvers for c in scenario.challenges)
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
        bytes=workers * process + kept,
    )


def run_blocks(runs: int, workers: int, engine: str, *, chunk: int | None = None) -> list[int]:
    """The sizes of the blocks a run cuts its replications into (see ``Runner``)."""
    from fundflow.run.pace import block_sizes

    return block_sizes(runs, workers, engine, chunk)


def timed(est: Estimate, pace: Any, blocks: Sequence[int], *, out: bool = False) -> Estimate:
    """`est` with its seconds: `pace` (:class:`fundflow.run.pace.Pace`) over `blocks`
    on its workers, then assembling the result and, with `out`, writing it (measured
    on a machine that did nothing else: slowed down as the pace found this one)."""
    rows = est.runs * est.routes
    after = _AFTER + est.runs * _AFTER_PER_RUN + rows * _AFTER_PER_ROUTE
    if out:
        after += _OUT + est.runs * _OUT_PER_RUN + rows * _OUT_PER_ROUTE
    seconds = pace.seconds(list(blocks), est.workers) + after * pace.slowdown
    return replace(est, seconds=seconds)


def compile_first(scenario: Any, engine: str, *, lang: str = "en") -> None:
    """If numba's cache lacks the loops a block of `engine` calls, compile them here
    (one replication of `scenario`), between a line that says so and one that says
    how long it took (on stderr)."""
    from fundflow.io import labels as lb
    from fundflow.run.pace import must_compile, warm_up

    if must_compile(engine):
        print(lb.text("msg_compiling", lang), file=sys.stderr, flush=True)
        started = time.perf_counter()
        warm_up(scenario, engine)
        took = time.perf_counter() - started
        print(lb.text("msg_compiled", lang, seconds=took), file=sys.stderr, flush=True)


def prepare(scenarios: Sequence[Any], engine: str, *, lang: str = "en") -> list[Any]:
    """Measure each scenario's pace (:func:`fundflow.run.pace.measure`), the loops
    compiled first if need be (:func:`compile_first`)."""
    from fundflow.run.pace import measure

    compile_first(scenarios[0], engine, lang=lang)
    return [measure(s, engine) for s in scenarios]


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


def _duration(seconds: float, lang: str = "en") -> str:
    from fundflow.io import labels as lb

    if seconds < 60:
        return lb.text("msg_duration_s", lang, n=f"{max(seconds, 1):.0f}")
    if seconds < 3600:
        return lb.text("msg_duration_min", lang, n=f"{seconds / 60:.0f}")
    if seconds < 86400 * 2:
        return lb.text("msg_duration_h", lang, n=f"{seconds / 3600:.1f}")
    return lb.text("msg_duration_days", lang, n=f"{seconds / 86400:,.0f}")


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}" if n < 10 * size else f"{n / size:,.0f} {unit}"
    return f"{n / 1e6:.1f} MB"


def check_sizes(
    scenarios: Sequence[Any],
    runs: int,
    workers: int,
    *,
    allow: bool,
    what: str = "the run",
    streamed: bool = False,
) -> list[Estimate]:
    """The estimates of a run of each scenario; refuses one too big (:func:`check_size`).

    With two scenarios (a comparison) both results are held at once: their memory adds up.
    """
    ests = [estimate(s, runs, workers, streamed) for s in scenarios]
    total = sum(e.bytes for e in ests) - (len(ests) - 1) * workers * _BASE_BYTES
    check_size(replace(ests[0], bytes=total), allow=allow, what=what)
    return ests


def size_lines(ests: Sequence[Estimate], lang: str = "en") -> list[str]:
    """The ``size:`` lines to print before a run (``size A:``, ``size B:`` for two), in `lang`."""
    from fundflow.io import labels as lb

    if len(ests) == 1:
        return [lb.text("msg_size", lang, estimate=ests[0].text(lang))]
    return [
        lb.text("msg_size_of", lang, which=which, estimate=e.text(lang))
        for which, e in zip("AB", ests, strict=False)
    ]


def validate_lines(scenario: Any, runs: int, *, allow: bool, lang: str = "en") -> list[str]:
    """For ``validate``: refuse a program too big for even one replication; the memory
    of `runs`. Its time is measured when a run starts (a pilot on the engine that will
    run): ``validate`` simulates nothing, so it stays quick (it imports no engine)."""
    check_size(estimate(scenario, 1), allow=allow, what="one replication")
    est = estimate(scenario, runs)
    too_big = est.bytes > memory_limit()
    if lang == "en":  # without the label table, which imports NumPy: validate stays quick
        if too_big:
            return [
                f"size: {est.text()} (more than the memory allowed here: run fewer "
                "replications with --runs)"
            ]
        return [f"size: {est.text()} (the time is measured when the run starts)"]
    from fundflow.io import labels as lb

    note = "msg_size_too_big" if too_big else "msg_size_time_later"
    return [lb.text("msg_size", lang, estimate=est.text(lang)) + lb.text(note, lang)]
