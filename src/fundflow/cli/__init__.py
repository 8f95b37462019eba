"""The ``fundflow`` command: parse the arguments, then call the library.

Subcommands (``fundflow SUBCOMMAND --help`` lists the options)::

    fundflow validate CONFIG [--set PATH=VALUE ...]
    fundflow run CONFIG [--runs N] [--seed S] [--workers W] [--out DIR]
                 [--format csv,xlsx,parquet,md,tex] [--lang en|zh] [--quiet]
                 [--target-se X [--max-runs M]] [--set PATH=VALUE ...] [--plots]
                 [--tables runs,routes]
    fundflow compare A B [--runs N] [--seed S] [--workers W] [--out DIR]
                 [--format ...] [--lang en|zh] [--quiet]
    fundflow examples
    fundflow init NAME [PATH] | fundflow init --list FILE [--lang en|zh]

CONFIG, A and B are scenario files or names of shipped examples (``fundflow examples``).

As in SALib's command line, :func:`build_parser` only describes the arguments and
each ``_run_*`` handler turns them into library calls. Exit codes (:data:`EXIT_CODES`):
0 success; 2 bad input, a run too big for this machine, an ``--out`` holding another
run, or a full disk (one ``error: ...`` line on stderr, nothing written); 3
``--target-se`` not reached within ``--max-runs`` (results printed and written);
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), both with no file left
half-written; 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fundflow._version import __version__
from fundflow.errors import ConfigError
from fundflow.io import labels as lb

__all__ = ["EXIT_CODES", "build_parser", "main"]

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


class _UsageError(Exception):
    """An argument argparse could not parse (reported as one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line instead of usage + message
        raise _UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- parsing


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fundflow`` command."""
    parser = _Parser(
        prog="fundflow",
        description="Simulate public R&D funding programs and report the parties' risk.",
    )
    parser.add_argument("--version", action="version", version=f"fundflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a scenario file and print a one-line summary")
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    _add_set(p)
    _add_size_limit(p)
    p.set_defaults(handler=_run_validate)

    p = sub.add_parser(
        "run", help="simulate a scenario and report its risk summary", epilog=EXIT_CODES
    )
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    _add_common(p)
    p.add_argument(
        "--target-se",
        metavar="X",
        help="add replications until the government net cost's relative standard "
        "error is below X (e.g. 0.005), instead of a fixed --runs",
    )
    p.add_argument("--max-runs", metavar="M", help="upper bound with --target-se (default 100000)")
    _add_set(p)
    p.add_argument("--plots", action="store_true", help="also write PNG figures into --out")
    p.add_argument(
        "--tables",
        metavar="LIST",
        default="",
        help="per-replication tables to write in xlsx, md and tex too: runs, routes "
        "(default none: they go to csv and parquet only)",
    )
    p.set_defaults(handler=_run_run)

    p = sub.add_parser(
        "compare", help="run two scenarios on common random numbers; paired differences"
    )
    p.add_argument("config_a", metavar="A", help="scenario A (differences are A - B)")
    p.add_argument("config_b", metavar="B", help="scenario B")
    _add_common(p)
    p.set_defaults(handler=_run_compare)

    from fundflow.cli import examples as _cli_examples
    from fundflow.cli import schema as _cli_schema
    from fundflow.cli import sweep as _cli_sweep

    _cli_sweep.add_parser(sub, _add_common)
    _cli_examples.add_parsers(sub)
    _cli_schema.add_parser(sub)
    return parser


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", metavar="N", help=f"replications (default {_DEFAULT_RUNS})")
    p.add_argument("--seed", metavar="S", help="root seed (default: fresh, printed)")
    p.add_argument(
        "--workers",
        metavar="W",
        default="auto",
        help="processes; results do not depend on it (default auto: every core from "
        f"{_AUTO_PARALLEL_RUNS} replications up, else 1)",
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
        help="language of labels, notes and figures: en or zh (default en)",
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
        help="override a scenario value, e.g. government.matching.ratio=0.3 (repeatable)",
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


# --------------------------------------------------------------------------- helpers


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
    """Prepare ``--out`` before the work starts (see :mod:`fundflow.io._outdir`)."""
    from fundflow.io._outdir import out_dir

    with out_dir(directory, run_key or {}, overwrite=overwrite) as path:
        yield path


def _sized(args: argparse.Namespace, scenarios: list[Any], runs: int, workers: int) -> list[str]:
    """The run's size and estimate (printed once it starts); refuses one too big."""
    from fundflow.cli._guard import size_lines

    return size_lines(scenarios, runs, workers, allow=args.no_size_limit)


def _note(args: argparse.Namespace, lines: list[str]) -> None:
    if not args.quiet:
        print("\n".join(lines), file=sys.stderr, flush=True)


def _emit(text: str = "") -> None:
    """Print to stdout; if the reader has gone (``| head``), carry on without output."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _progress(quiet: bool) -> bool | None:
    return False if quiet else None  # None: a bar only in a terminal or notebook


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _render(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table; the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(_width(r[j]) for r in [headers, *rows]) for j in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, cell in enumerate(cells):
            pad = " " * (widths[j] - _width(cell))
            out.append(cell + pad if j < left else pad + cell)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _shown(table: pd.DataFrame, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Measures worth printing, and those left out (undefined or zero in every replication)."""
    keep: list[str] = []
    dropped: list[str] = []
    for m in table.index:
        values = table.loc[m, list(columns)].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        (keep if finite.size and np.any(finite != 0) else dropped).append(str(m))
    return keep, dropped


def _names(measures: Sequence[str], lang: str) -> str:
    """Measures in a note: code names in English, labels in Chinese."""
    if lang == "en":
        return ", ".join(measures)
    return "、".join(lb.label(m, lang) for m in measures)


# --------------------------------------------------------------------------- run


def _summary_text(result: Any, lang: str) -> str:
    summary = result.summary()
    money = result.money_unit
    keep, dropped = _shown(summary, ["mean", "std"])
    headers = [
        lb.label("measure", lang),
        lb.label("mean", lang),
        lb.label("ci95", lang),
        "p5",
        "p50",
        "p95",
        lb.label("var95", lang),
        lb.label("cvar95", lang),
    ]
    rows = []
    for m in keep:
        r = summary.loc[m]
        unit = lb.unit_of(m)

        def f(x: float, unit: str | None = unit) -> str:
            return lb.format_number(x, unit, missing="")

        ci = f"[{f(r['ci_low'])}, {f(r['ci_high'])}]" if math.isfinite(r["ci_low"]) else ""
        rows.append(
            [
                lb.header(m, lang, money),
                f(r["mean"]),
                ci,
                f(r["p5"]),
                f(r["p50"]),
                f(r["p95"]),
                f(r["var95"]),
                f(r["cvar95"]),
            ]
        )
    text = _render(headers, rows)
    if dropped:
        names = _names(dropped, lang)
        text += "\n" + lb.text("msg_dropped", lang, count=len(dropped), names=names)
    return text


def _party_text(result: Any, lang: str) -> str:
    """The party table (government as one party, realised value apart)."""
    table = result.party_table()
    money = result.money_unit
    columns = ["program_cash", "realised_value", "net"]
    rows = []
    for party, r in table.iterrows():
        if not np.any(r[[*columns, "p5", "p95"]].to_numpy(dtype=float) != 0):
            continue
        p5, p95 = (lb.format_number(r[c], "money") for c in ("p5", "p95"))
        cells = [lb.format_number(r[c], "money") for c in columns]
        rows.append([lb.label(str(party), lang), *cells, f"{p5} – {p95}"])
    headers = [
        lb.header("party_net_cash_sign", lang, money),
        *(lb.label(c, lang) for c in columns),
        lb.label("p5_p95", lang),
    ]
    return _render(headers, rows)


def _challenges_text(result: Any, lang: str) -> str:
    """Per challenge: success, the solver's expected NPV per route and its bar, who pays."""
    table = result.challenges
    money = result.money_unit
    rows = []
    for name, r in table.iterrows():
        low, high = r["solver_npv_ci_low"], r["solver_npv_ci_high"]
        ci = (
            f"[{lb.format_number(low, 'money')}, {lb.format_number(high, 'money')}]"
            if math.isfinite(low)
            else ""
        )
        rows.append(
            [
                str(name),
                lb.format_number(r["success_probability"], "share"),
                lb.format_number(r["solver_npv_per_route"], "money"),
                ci,
                lb.label("yes" if r["clears_required_npv"] else "no", lang),
                lb.format_number(r["gov_challenge_net_cost"], "money"),
                lb.format_number(r["demander_npv"], "money"),
            ]
        )
    headers = [
        lb.label("challenge", lang),
        *(lb.label(k, lang) for k in ("success_short", "solver_npv_short", "ci95", "clears_short")),
        lb.label("gov_cost_short", lang),
        lb.label("demander_npv_short", lang),
    ]
    required = lb.format_number(float(table["required_npv"].iloc[0]), "money")
    caption = lb.label("challenges_caption", lang).format(
        money=lb.unit_text("money", lang, money), required=required
    )
    return caption + "\n" + _render(headers, rows)


def _header_lines(result: Any, seed_note: str, lang: str = "en") -> list[str]:
    workers = result.workers
    parts = [
        lb.text("msg_replications", lang, runs=len(result)),
        lb.text("msg_seed", lang, seed=result.entropy) + seed_note,
        lb.text("msg_workers", lang, workers=workers),
        lb.text("msg_seconds", lang, seconds=result.elapsed),
    ]
    if lang == "en":
        parts[2] = parts[2].replace("(s)", "s" if workers != 1 else "")
    lines = [_describe(result.scenario, lang), lb.text("msg_list_sep", lang).join(parts)]
    conv = result.convergence
    if conv:
        target, achieved = conv["target_relative_se"], conv["achieved_relative_se"]
        if conv["converged"]:
            lines.append(
                lb.text("msg_converged", lang, achieved=achieved, target=target, runs=conv["runs"])
            )
        else:
            lines.append(
                lb.text(
                    "msg_not_converged",
                    lang,
                    achieved=achieved,
                    target=target,
                    max_runs=conv["max_runs"],
                )
            )
    return lines


def _describe(scenario: Any, lang: str) -> str:
    """``Scenario.describe()`` in ``lang``."""
    g = scenario.government.matching
    parts = (("msg_with_fund", scenario.guided_fund), ("msg_with_credit", scenario.credit))
    extras = [lb.text(key, lang) for key, on in parts if on]
    tail = (lb.text("msg_list_sep", lang) + lb.text("msg_and", lang).join(extras)) if extras else ""
    return lb.text(
        "msg_describe",
        lang,
        name=scenario.name,
        challenges=scenario.n_challenges,
        routes=scenario.n_routes,
        ratio=f"{g.ratio:g}",
        mode=g.mode,
        horizon=f"{scenario.horizon:g}",
        unit=scenario.money_unit,
        extras=tail,
    )


def _wrote(written: Sequence[Path], out: Any, lang: str) -> str:
    names = ", ".join(p.name for p in written)
    return "\n" + lb.text("msg_wrote", lang, count=len(written), out=out, names=names)


def _run_run(args: argparse.Namespace) -> int:
    from fundflow.io.export import export_result, parse_formats, parse_tables

    target = _positive("--target-se", args.target_se)
    if target is None and args.max_runs is not None:
        raise ConfigError("--max-runs", None, "applies only with --target-se", show_value=False)
    if target is not None and args.runs is not None:
        raise ConfigError(
            "--runs", args.runs, "not with --target-se (bound that run with --max-runs)"
        )
    runs = _whole("--runs", args.runs, _DEFAULT_RUNS, 1)
    max_runs = _whole("--max-runs", args.max_runs, 100_000, 1)
    workers = _workers(args.workers, max_runs if target is not None else runs)
    seed = _seed(args.seed)
    formats = parse_formats(args.format, option="--format")
    tables = parse_tables(args.tables, option="--tables")
    lang = lb.check_lang(args.lang, option="--lang")
    if args.plots and args.out is None:
        raise ConfigError(
            "--plots", None, "needs --out DIR to write the figures into", show_value=False
        )
    scenario = _load(args.config, args.set)
    size = _sized(args, [scenario], max_runs if target is not None else runs, workers)
    from fundflow.io._outdir import run_key

    key = run_key(
        "run", [scenario], seed, runs=None if target else runs, target_se=target,
        max_runs=max_runs if target else None, plots=bool(args.plots),
    )  # fmt: skip
    with _out_dir(args.out, key, args.overwrite) as out:
        _note(args, size)
        settings = _settings(runs, seed, workers, args.quiet)
        result = _simulate(scenario, settings, target, max_runs)
        seed_note = "" if seed is not None else lb.text("msg_fresh_seed", lang)
        _emit("\n".join(_header_lines(result, seed_note, lang)))
        _emit()
        _emit(_summary_text(result, lang))
        _emit()
        _emit(_challenges_text(result, lang))
        _emit()
        _emit(_party_text(result, lang))
        if out is None:
            return 0
        provenance = {"command": args.argv, "overrides": list(args.set), "run_key": key}
        figures = _plots(result, out, lang) if args.plots else []
        written = export_result(
            result,
            out,
            formats,
            lang,
            scenario_file=args.config,
            provenance=provenance,
            extra_files=figures,
            tables=tables,
        )
    if not args.quiet:
        _emit(_wrote(written, out, lang))
    return _converged(result)


def _converged(result: Any) -> int:
    """Exit status 3, with a line on stderr, when --target-se stopped at --max-runs."""
    conv = result.convergence
    if not conv or conv["converged"]:
        return 0
    print(
        f"not converged: the relative SE of the government net cost is "
        f"{conv['achieved_relative_se']:.4g} after {conv['runs']:,} replications "
        f"(--max-runs), above --target-se {conv['target_relative_se']:g}; raise --max-runs "
        "or the target (exit status 3)",
        file=sys.stderr,
    )
    return 3


def _settings(runs: int, seed: int | None, workers: int, quiet: bool) -> Any:
    """The run options of a command, together (a progress bar unless --quiet)."""
    from fundflow.run.settings import RunSettings

    return RunSettings(runs=runs, seed=seed, workers=workers, progress=_progress(quiet))


def _simulate(scenario: Any, settings: Any, target: float | None, max_runs: int) -> Any:
    from fundflow.run.montecarlo import simulate, simulate_until

    if target is not None:
        return simulate_until(scenario, target, max_runs=max_runs, settings=settings)
    return simulate(scenario, settings=settings)


def _plots(result: Any, out: Path, lang: str = "en") -> list[Path]:
    from fundflow.plots import write_run_plots

    return list(write_run_plots(result, out, lang=lang))


# --------------------------------------------------------------------------- compare


def _compare_text(cmp: Any, lang: str) -> str:
    table = cmp.table
    money = cmp.money_unit
    keep, dropped = _shown(table, ["mean_a", "mean_b"])

    def f(m: str, x: float) -> str:
        return lb.format_number(x, lb.unit_of(m), missing="")

    def d(m: str, x: float) -> str:  # a difference A − B: shares in percentage points
        return lb.format_number(x, lb.difference_unit(lb.unit_of(m)), missing="")

    headers = [
        lb.label("measure", lang),
        lb.label("mean_a", lang),
        lb.label("mean_b", lang),
        lb.label("mean_diff", lang),
        lb.label("ci95", lang),
        lb.label("ci_width_ratio", lang),
    ]
    rows = []
    for m in keep:
        r = table.loc[m]
        ci = f"[{d(m, r['ci_low'])}, {d(m, r['ci_high'])}]" if math.isfinite(r["ci_low"]) else ""
        ratio = f"{r['ci_width_ratio']:.2f}" if math.isfinite(r["ci_width_ratio"]) else ""
        rows.append(
            [lb.header(m, lang, money), f(m, r["mean_a"]), f(m, r["mean_b"]),
             d(m, r["mean_diff"]), ci, ratio]
        )  # fmt: skip
    parts = [_render(headers, rows)]
    if dropped:
        names = _names(dropped, lang)
        parts.append(lb.text("msg_dropped_both", lang, count=len(dropped), names=names))
    tail = [
        m for m in keep if "cvar95_a" in table.columns and math.isfinite(table.loc[m, "cvar95_a"])
    ]
    if tail:
        headers = [
            lb.label("measure", lang),
            lb.label("cvar95_a", lang),
            lb.label("cvar95_b", lang),
            lb.label("cvar95_diff", lang),
            lb.label("cvar95_diff_ci", lang),
        ]
        rows = [
            [
                lb.header(m, lang, money),
                f(m, table.loc[m, "cvar95_a"]),
                f(m, table.loc[m, "cvar95_b"]),
                d(m, table.loc[m, "cvar95_diff"]),
                f"[{d(m, table.loc[m, 'cvar95_diff_ci_low'])}, "
                f"{d(m, table.loc[m, 'cvar95_diff_ci_high'])}]",
            ]
            for m in tail
        ]
        parts += ["", _render(headers, rows)]
    return "\n".join(parts)


def _compare_headline(cmp: Any, lang: str) -> list[str]:
    """How much A changes the government's expected outlay and its CVaR 95%, against B."""
    out = []
    money = cmp.money_unit
    for m in ("gov_gross_outlay", "gov_net_cost"):
        if m not in cmp.table.index:
            continue
        r = cmp.table.loc[m]
        tail = r["cvar95_diff"] / r["cvar95_b"] if r["cvar95_b"] else math.nan
        out.append(
            lb.text(
                "msg_headline",
                lang,
                measure=lb.label(m, lang),
                diff=f"{r['mean_diff']:,.2f}",
                money=lb.unit_text("money", lang, money),
                rel=f"{r['rel_diff']:+.1%}",
                low=f"{r['ci_low']:,.2f}",
                high=f"{r['ci_high']:,.2f}",
                tail_diff=f"{r['cvar95_diff']:,.2f}",
                tail_rel=f"{tail:+.1%}",
            )
        )
    return out


def _run_compare(args: argparse.Namespace) -> int:
    from fundflow.analysis.comparison import compare
    from fundflow.io.export import parse_formats, write_manifest, write_table

    runs = _whole("--runs", args.runs, _DEFAULT_RUNS, 1)
    workers = _workers(args.workers, 2 * runs)
    seed = _seed(args.seed)
    formats = parse_formats(args.format, option="--format")
    lang = lb.check_lang(args.lang, option="--lang")
    a = _load(args.config_a)
    b = _load(args.config_b)
    size = _sized(args, [a, b], runs, workers)
    from fundflow.io._outdir import run_key

    key = run_key("compare", [a, b], seed, runs=runs)
    with _out_dir(args.out, key, args.overwrite) as out:
        _note(args, size)
        cmp = compare(a, b, settings=_settings(runs, seed, workers, args.quiet))
        seed_note = "" if seed is not None else lb.text("msg_fresh_seed", lang)
        _emit(f"A: {_describe(a, lang)}\nB: {_describe(b, lang)}")
        _emit(lb.text("msg_compare_runs", lang, runs=runs, seed=cmp.entropy, note=seed_note))
        _emit()
        _emit(_compare_text(cmp, lang))
        _emit()
        _emit("\n".join(_compare_headline(cmp, lang)))
        if out is None:
            return 0
        written = write_table(
            cmp.table, out, "comparison", formats, lang, cmp.money_unit, summary=True
        )
        manifest = write_manifest(
            out,
            cmp.provenance,
            written,
            scenario_files=[args.config_a, args.config_b],
            command=args.argv,
            comparison="A - B on common random numbers",
            formats=list(formats),
            lang=lang,
            money_unit=cmp.money_unit,
            run_key=key,
        )
        written.append(manifest)
    if not args.quiet:
        _emit(_wrote(written, out, lang))
    return 0


# --------------------------------------------------------------------------- validate


def _run_validate(args: argparse.Namespace) -> int:
    from fundflow.cli._guard import validate_lines

    scenario = _load(args.config, args.set)
    size = validate_lines(scenario, _DEFAULT_RUNS, allow=args.no_size_limit)
    _emit(scenario.describe())
    print("\n".join(size), file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fundflow`` command with `argv` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["validate", "configs/open_competition.yaml"])  # doctest: +SKIP
    open-competition-municipal-list: 30 challenges, 44 routes, ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc))
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    args.argv = ["fundflow", *(sys.argv[1:] if argv is None else argv)]
    handler: Callable[[argparse.Namespace], int] = args.handler
    from fundflow.cli._signals import Terminated, terminate_as_interrupt
    from fundflow.io._outdir import is_environment_error

    try:
        from fundflow.cli.examples import resolve_examples

        with terminate_as_interrupt():
            return handler(resolve_examples(args))
    except ConfigError as exc:
        return _fail(str(exc))
    except Terminated:
        print("\nterminated: no table was left half-written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("\ninterrupted: no table was left half-written", file=sys.stderr)
        return 130
    except ImportError as exc:  # an optional module (plots, overrides) is missing
        return _fail(f"this installation lacks a module the command needs: {exc}", code=1)
    except OSError as exc:  # a full disk is the user's to fix (2); anything else is ours (1)
        return _fail(f"cannot write: {exc}", code=2 if is_environment_error(exc) else 1)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
