"""``fundflow report``: a one-page summary for a director, one self-contained HTML file.

``fundflow report SCENARIO --out DIR`` runs the scenario (as ``fundflow run`` would,
held in memory) and writes ``DIR/report.html``; ``fundflow report --from RUN_DIR``
reads a run already stored with ``fundflow run --out RUN_DIR`` instead and writes the
page there (or into ``--out``). ``--lang zh`` writes it in Chinese and ``--unit 万元``
(亿元, 百万元, 元) converts a CNY ``money_unit`` (:mod:`fundflow.plots.report`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fundflow.cli._common import _DEFAULT_RUNS, _load, _seed, _settings, _whole, _workers
from fundflow.cli._print import _emit
from fundflow.errors import ConfigError

__all__ = ["UNITS", "add_parser"]

#: The units of the page (:data:`fundflow.plots.report.REPORT_UNITS`, not imported here).
UNITS = ("元", "万元", "百万元", "亿元")
_FILE = "report.html"


def add_parser(sub: Any) -> None:
    """Add the ``report`` subcommand to `sub`."""
    p = sub.add_parser(
        "report", help="write a one-page HTML summary for a director (cost, budget by year, risk)"
    )
    p.add_argument("config", metavar="SCENARIO", nargs="?", help="scenario YAML file to run")
    p.add_argument(
        "--from",
        dest="source",
        metavar="RUN_DIR",
        help="a run stored with `fundflow run --out RUN_DIR`, instead of SCENARIO",
    )
    p.add_argument("--out", metavar="DIR", help=f"write DIR/{_FILE} (default: RUN_DIR)")
    p.add_argument("--unit", metavar="UNIT", help=f"money unit of the page: {', '.join(UNITS)}")
    p.add_argument("--lang", metavar="LANG", default="en", help="en or zh (default en)")
    p.add_argument("--runs", metavar="N", help=f"replications (default {_DEFAULT_RUNS})")
    p.add_argument("--seed", metavar="S", help="root seed (default: fresh)")
    p.add_argument("--workers", metavar="W", default="auto", help="processes (default auto)")
    p.add_argument(
        "--engine", choices=("compiled", "simpy"), default="compiled", help="simulation engine"
    )
    p.add_argument(
        "--set",
        metavar="PATH=VALUE",
        action="append",
        default=[],
        help="override a scenario value (repeatable), as in `fundflow run`",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar, no closing line")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from fundflow.io import labels as lb
    from fundflow.io.export import prepare_directory
    from fundflow.plots.report import money_scale

    lang = lb.check_lang(args.lang, option="--lang")
    if args.unit is not None and args.unit not in UNITS:
        raise ConfigError("--unit", args.unit, f"must be one of {', '.join(UNITS)}")
    result = _result(args)
    money_scale(result.money_unit, args.unit)  # a money unit that cannot be converted: now
    directory = args.out if args.out is not None else args.source
    out = prepare_directory(directory, option="--out")
    path = result.report(out / _FILE, lang=lang, unit=args.unit)
    if not args.quiet:
        size = Path(path).stat().st_size
        _emit(lb.text("msg_report_written", lang, path=str(path), kb=size / 1024))
    return 0


def _result(args: argparse.Namespace) -> Any:
    """The stored run of --from, or a run of SCENARIO."""
    if (args.source is None) == (args.config is None):
        raise ConfigError(
            "SCENARIO",
            None,
            "give a scenario file to run, or --from RUN_DIR for a stored run (not both)",
            show_value=False,
        )
    if args.source is not None:
        if args.set or args.runs or args.seed:
            raise ConfigError(
                "--from", args.source, "reads a stored run: --set, --runs and --seed do not apply"
            )
        from fundflow.run.stored import open_run

        return open_run(args.source)
    if args.out is None:
        raise ConfigError("--out", None, f"needed: the directory to write {_FILE} into")
    from fundflow.run.montecarlo import simulate

    runs = _whole("--runs", args.runs, _DEFAULT_RUNS, 1)
    scenario = _load(args.config, args.set)
    settings = _settings(runs, _seed(args.seed), _workers(args.workers, runs), args.quiet,
                         engine=args.engine)  # fmt: skip
    return simulate(scenario, settings=settings)
