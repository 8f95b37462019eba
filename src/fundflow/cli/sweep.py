"""``fundflow sweep``: design points over levers, on common random numbers.

Each ``--lever`` names a scenario key by its dotted path and gives its values:
``PATH=v1,v2,...`` (a list; YAML scalars, so ``null`` works) or ``PATH=low:high``
(a range, for ``--sampler lhs|sobol``, or a grid of ``--n`` values).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from fundflow.cli._common import (
    _add_common,
    _add_set,
    _load,
    _out_dir,
    _seed,
    _settings,
    _sized,
    _whole,
    _workers,
)
from fundflow.cli._print import _emit, _render, _wrote
from fundflow.errors import ConfigError
from fundflow.io import labels as lb

#: Measures printed for each design point (all are written with --out).
SHOWN = (
    "gov_budget_cost_mean",
    "gov_budget_cost_cvar95",
    "solver_loss_share_mean",
    "solver_participation_share_mean",
    "challenges_succeeded_mean",
)


def add_parser(sub: Any) -> None:
    """Add the ``sweep`` subcommand to `sub`."""
    p = sub.add_parser(
        "sweep",
        help="run design points over levers on common random numbers; one tidy table",
    )
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    p.add_argument(
        "--lever",
        metavar="PATH=VALUES",
        action="append",
        default=[],
        help="a lever and its values: PATH=v1,v2,... or PATH=low:high (repeatable)",
    )
    p.add_argument("--sampler", default="grid", help="grid, lhs or sobol (default grid)")
    p.add_argument("--n", metavar="N", help="points for lhs/sobol, or values per range for grid")
    _add_common(p, runs_help="replications per design point (default 200)")
    _add_set(p)  # to the base scenario, before the levers
    p.set_defaults(handler=run)


def parse_lever(text: str) -> tuple[str, Any]:
    """``'a.b=0.1,0.2'`` -> ``('a.b', [0.1, 0.2])``; ``'a.b=0.1:0.3'`` -> a range.

    A range comes back as the tuple ``('a.b', (0.1, 0.3))``.
    """
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise ConfigError(
            "--lever",
            text,
            "must be PATH=v1,v2,... or PATH=low:high, e.g. government.matching.ratio=0.2,0.25,0.3",
        )
    if ":" in values and "," not in values and "{" not in values:
        low, high = (_scalar(text, v) for v in values.split(":", 1))
        return path, (low, high)
    return path, [_scalar(text, v) for v in values.split(",")]


def _scalar(text: str, value: str) -> Any:
    try:
        return yaml.safe_load(value.strip())
    except yaml.YAMLError:
        raise ConfigError("--lever", text, f"cannot read the value {value.strip()!r}") from None


def _levers(args: argparse.Namespace) -> dict[str, Any]:
    """The --lever options as a mapping of path to values or (low, high)."""
    if not args.lever:
        raise ConfigError(
            "--lever",
            None,
            "an empty sweep: give at least one --lever PATH=VALUES",
            show_value=False,
        )
    return dict(parse_lever(t) for t in args.lever)


def run(args: argparse.Namespace) -> int:
    from fundflow.analysis.sweeps import sweep
    from fundflow.io.export import parse_formats
    from fundflow.io.outdir import run_key

    levers = _levers(args)
    runs = _whole("--runs", args.runs, 200, 1)
    n = None if args.n is None else _whole("--n", args.n, 1, 1)
    seed = _seed(args.seed)
    formats = parse_formats(args.format, option="--format")
    lang = lb.check_lang(args.lang, option="--lang")
    scenario = _load(args.config, args.set)
    points = n if args.sampler != "grid" and n is not None else 1
    workers = _workers(args.workers, runs * max(points, len(levers)))
    _sized(args, [scenario], runs, workers)  # refuses a design point too big to run
    key = run_key(
        "sweep", [scenario], seed, runs=runs, levers=list(args.lever), sampler=args.sampler, n=n
    )
    with _out_dir(args.out, key, args.overwrite) as out:
        if not args.quiet:  # a cold numba cache: compile once, here, and say so
            from fundflow.cli._guard import compile_first

            compile_first(scenario, args.engine, lang=lang)
        settings = _settings(runs, seed, workers, args.quiet, args.scheduler, args.engine)
        result = sweep(
            scenario, levers, sampler=args.sampler, n=n, keep_runs=False, settings=settings
        )
        table = result.table
        _emit(scenario.describe())
        _emit(
            f"{len(table)} design points x {runs:,} replications on common random "
            f"numbers, seed {result.entropy}, sampler {args.sampler}"
        )
        _emit()
        _emit(_text(table, list(levers), lang, scenario.money_unit))
        if out is None:
            return 0
        written = _write(args, out, result, levers, (formats, lang, scenario.money_unit), key)
    if not args.quiet:
        _emit(_wrote(written, out, lang))
    return 0


def _write(
    args: argparse.Namespace,
    out: Path,
    result: Any,
    levers: dict[str, Any],
    style: tuple[Any, str, str],
    key: dict[str, Any],
) -> list[Path]:
    """Write the sweep table and its manifest into `out`; the files written.

    `style` is (formats, language, money unit).
    """
    from fundflow.io.export import write_manifest, write_table

    formats, lang, money_unit = style
    table = result.table
    written = write_table(table, out, "sweep", formats, lang, money_unit)
    manifest = write_manifest(
        out,
        result.provenance,
        written,
        scenario_files=[args.config],
        command=args.argv,
        overrides=list(args.set),
        levers={k: list(v) if isinstance(v, tuple) else v for k, v in levers.items()},
        sampler=args.sampler,
        points=len(table),
        formats=list(formats),
        lang=lang,
        money_unit=money_unit,
        run_key=key,
    )
    return [*written, manifest]


def _text(table: Any, levers: list[str], lang: str, money_unit: str) -> str:
    shown = [c for c in SHOWN if c in table.columns]
    headers = [*levers, *(lb.column_header(c, lang, money_unit) for c in shown)]
    rows = []
    for _, row in table.iterrows():
        cells = [
            "null"
            if row[p] is None
            else f"{row[p]:g}"
            if isinstance(row[p], float)
            else str(row[p])
            for p in levers
        ]
        cells += [lb.format_number(row[c], lb.unit_of(lb.split_statistic(c)[0])) for c in shown]
        rows.append(cells)
    return _render(headers, rows, left=len(levers))
