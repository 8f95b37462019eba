"""``fundflow compare``: two scenarios on common random numbers; paired differences A - B."""

from __future__ import annotations

import argparse
import math
from typing import Any

from fundflow.cli._common import (
    _DEFAULT_RUNS,
    _add_common,
    _add_set,
    _load,
    _note,
    _out_dir,
    _seed,
    _settings,
    _sized,
    _whole,
    _workers,
)
from fundflow.cli._print import _describe, _emit, _names, _render, _shown, _wrote
from fundflow.io import labels as lb

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add the ``compare`` subcommand to `sub`."""
    p = sub.add_parser(
        "compare", help="run two scenarios on common random numbers; paired differences"
    )
    p.add_argument("config_a", metavar="A", help="scenario A (differences are A - B)")
    p.add_argument("config_b", metavar="B", help="scenario B")
    _add_common(p)
    _add_set(p)  # to both A and B
    p.set_defaults(handler=_run)


def _compare_text(cmp: Any, lang: str) -> str:
    table = cmp.table
    money = cmp.money_unit
    keep, dropped = _shown(table, ["mean_a", "mean_b"])

    f, d = _level, _diff
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
        parts += ["", _tail_text(cmp, tail, lang)]
    return "\n".join(parts)


def _tail_text(cmp: Any, measures: list[str], lang: str) -> str:
    """The CVaR 95% of A and B for `measures`, their difference and its interval."""
    table = cmp.table
    headers = [
        lb.label("measure", lang),
        lb.label("cvar95_a", lang),
        lb.label("cvar95_b", lang),
        lb.label("cvar95_diff", lang),
        lb.label("cvar95_diff_ci", lang),
    ]
    rows = [
        [
            lb.header(m, lang, cmp.money_unit),
            _level(m, table.loc[m, "cvar95_a"]),
            _level(m, table.loc[m, "cvar95_b"]),
            _diff(m, table.loc[m, "cvar95_diff"]),
            f"[{_diff(m, table.loc[m, 'cvar95_diff_ci_low'])}, "
            f"{_diff(m, table.loc[m, 'cvar95_diff_ci_high'])}]",
        ]
        for m in measures
    ]
    return _render(headers, rows)


def _level(m: str, x: float) -> str:
    return lb.format_number(x, lb.unit_of(m), missing="")


def _diff(m: str, x: float) -> str:
    """A difference A − B: shares in percentage points."""
    return lb.format_number(x, lb.difference_unit(lb.unit_of(m)), missing="")


def _compare_headline(cmp: Any, lang: str) -> list[str]:
    """How much A changes the government's expected outlay and its CVaR 95%, against B."""
    out = []
    money = lb.unit_text("money", lang, cmp.money_unit)
    for m, r in cmp.headline().iterrows():
        out.append(
            lb.text(
                "msg_headline",
                lang,
                measure=lb.label(str(m), lang),
                diff=f"{r['mean_diff']:,.2f}",
                money=money,
                rel=f"{r['rel_diff']:+.1%}",
                low=f"{r['ci_low']:,.2f}",
                high=f"{r['ci_high']:,.2f}",
                tail_diff=f"{r['cvar95_diff']:,.2f}",
                tail_rel=f"{r['cvar95_rel_diff']:+.1%}",
            )
        )
    return out


def _run(args: argparse.Namespace) -> int:
    from fundflow.analysis.comparison import compare
    from fundflow.io.export import parse_formats, write_manifest, write_table

    runs = _whole("--runs", args.runs, _DEFAULT_RUNS, 1)
    workers = _workers(args.workers, 2 * runs)
    seed = _seed(args.seed)
    formats = parse_formats(args.format, option="--format")
    lang = lb.check_lang(args.lang, option="--lang")
    a = _load(args.config_a, args.set)
    b = _load(args.config_b, args.set)
    size = _sized(args, [a, b], runs, workers)
    from fundflow.io.outdir import run_key

    key = run_key("compare", [a, b], seed, runs=runs)
    with _out_dir(args.out, key, args.overwrite) as out:
        _note(args, size, [a, b])
        cmp = compare(
            a, b, settings=_settings(runs, seed, workers, args.quiet, args.scheduler, args.engine)
        )
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
            overrides=list(args.set),
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
