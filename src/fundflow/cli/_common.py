"""What the ``fundflow`` subcommands share: their common options, reading them, and
loading a scenario, sizing a run and preparing ``--out`` before the work starts."""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from fundflow.errors import ConfigError

#: The exit statuses of the ``fundflow`` command (also in ``fundflow run --help``).
EXIT_CODES = (
    "exit status: 0 success; 2 bad input, a run too big for this machine's memory, an "
    "--out folder holding another run, or a full disk (one 'error:' line, nothing "
    "written); 3 --target-se not reached within --max-runs (the results are still "
    "printed and written); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), with no "
    "file left half-written; 1 an unexpected failure"
)

_AUTO_PARALLEL_RUNS = 2000
_DEFAULT_RUNS = 1000


def _add_common(
    p: argparse.ArgumentParser, runs_help: str = f"replications (default {_DEFAULT_RUNS})"
) -> None:
    p.add_argument("--runs", metavar="N", help=runs_help)
    p.add_argument("--seed", metavar="S", help="root seed (default: fresh, printed)")
    p.add_argument(
        "--workers",
        metavar="W",
        default="auto",
        help="processes; results do not depend on it (default auto: every core from "
        f"{_AUTO_PARALLEL_RUNS} replications up, else 1)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler's address (tcp://host:8786), or 'local' "
        "to start one of --workers processes here; results do not depend on it "
        '(needs pip install "fundflow[distributed]")',
    )
    p.add_argument(
        "--engine",
        choices=("compiled", "simpy"),
        default="compiled",
        help="simulation engine: compiled (default; SimPy where numba is missing) or simpy "
        "(the reference); the same numbers within 1e-9, recorded in manifest.json",
    )
    p.add_argument("--out", metavar="DIR", help="write tables and manifest.json here")
    p.add_argument(
        "--format",
        metavar="FMT",
        default="csv",
        help="comma-separated table formats: csv, xlsx, parquet, md, tex (default csv)",
    )
    p.add_argument(
        "--lang",
        metavar="LANG",
        default="en",
        help="language of labels, notes, figures, CSV headers and error lines: en or zh "
        "(default en; a CSV in zh starts with a UTF-8 byte-order mark, for Excel)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no size estimate, no progress bar and no list of files written",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results of another run found in --out (and remove its files)",
    )
    _add_size_limit(p)


def _add_size_limit(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-size-limit",
        action="store_true",
        help="go ahead even if the run's estimated memory exceeds 3/4 of this machine's",
    )


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        metavar="PATH=VALUE",
        action="append",
        default=[],
        help="override a scenario value, e.g. government.matching.ratio=0.3 (repeatable); "
        "VALUE is YAML: null, true, [1, 2], {dist: uniform, low: 1, high: 2}",
    )


def _whole(option: str, text: str | None, default: int, minimum: int = 1) -> int:
    """A whole-number option (`default` when absent), at least `minimum`."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(option, text, f"must be a whole number >= {minimum}") from None
    if value < minimum:
        raise ConfigError(option, value, f"must be a whole number >= {minimum}")
    return value


def _workers(text: str | None, runs: int) -> int:
    """--workers: a whole number, or 'auto' (all cores for long runs, where a pool pays)."""
    if text is None or text == "auto":
        return max(1, os.cpu_count() or 1) if runs >= _AUTO_PARALLEL_RUNS else 1
    workers = _whole("--workers", text, 1, 1)
    from fundflow.cli._guard import check_workers

    note = check_workers(workers)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    return workers


def _seed(text: str | None) -> int | None:
    return None if text is None else _whole("--seed", text, 0, minimum=0)


def _positive(option: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(option, text, "must be a number > 0") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(option, value, "must be a number > 0")
    return value


def _load(path: str, assignments: Sequence[str] = ()) -> Any:
    """Load a scenario, apply ``--set`` overrides; warnings become one line each."""
    from fundflow.scenario.config import load_scenario

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = load_scenario(path)
        if assignments:
            from fundflow.scenario.overrides import apply_overrides, parse_assignment

            pairs = dict(parse_assignment(a) for a in assignments)
            scenario = apply_overrides(scenario, pairs)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return scenario


@contextmanager
def _out_dir(
    directory: str | None, run_key: dict[str, Any] | None = None, overwrite: bool = False
) -> Iterator[Path | None]:
    """Prepare ``--out`` before the work starts (see :mod:`fundflow.io.outdir`)."""
    from fundflow.io.outdir import out_dir

    with out_dir(directory, run_key or {}, overwrite=overwrite) as path:
        yield path


def _sized(
    args: argparse.Namespace, scenarios: list[Any], runs: int, workers: int, store: Any = None
) -> list[Any]:
    """The run's size (:class:`~fundflow.cli._guard.Estimate` of each scenario, its time
    measured once it starts: :func:`_note`); refuses one too big for the memory.

    A run streamed to a `store` does not hold its rows in memory.
    """
    from fundflow.cli._guard import check_sizes

    return check_sizes(
        scenarios, runs, workers, allow=args.no_size_limit, streamed=store is not None
    )


def _note(
    args: argparse.Namespace,
    sizes: list[Any],
    scenarios: list[Any],
    *,
    chunk: int | None = None,
    out: bool = False,
) -> None:
    """Measure the run's time here and print its size (unless --quiet).

    When numba's cache lacks the compiled loops, they compile first, once, between a
    line that says so and one that says how long it took. Blocks of `chunk`
    replications (default: the runner's own); `out`: the run writes ``--out``.
    """
    if args.quiet:
        return
    from fundflow.cli._guard import prepare, run_blocks, size_lines, timed

    paces = prepare(scenarios, args.engine, lang=args.lang)  # --lang checked before
    blocks = run_blocks(sizes[0].runs, sizes[0].workers, args.engine, chunk=chunk)
    timed_sizes = [timed(e, p, blocks, out=out) for e, p in zip(sizes, paces, strict=True)]
    print("\n".join(size_lines(timed_sizes, args.lang)), file=sys.stderr, flush=True)


def _progress(quiet: bool) -> bool | None:
    return False if quiet else None  # None: a bar only in a terminal or notebook


def _settings(
    runs: int,
    seed: int | None,
    workers: int,
    quiet: bool,
    scheduler: str | None = None,
    engine: Literal["compiled", "simpy"] = "compiled",
) -> Any:
    """The run options of a command, together (a progress bar unless --quiet).

    With `scheduler` (``--scheduler``), the executor is a client of that Dask cluster.
    """
    from fundflow.cli._scheduler import executor
    from fundflow.run.settings import RunSettings

    return RunSettings(
        runs=runs,
        seed=seed,
        workers=workers,
        progress=_progress(quiet),
        executor=executor(scheduler, workers, quiet),
        engine=engine,
    )
