"""``fundflow run``: simulate a scenario and print its risk summary, challenges and parties.

With ``--target-se X`` it adds replications until the government net cost's relative
standard error is below X (exit status 3 if ``--max-runs`` comes first).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from fundflow.cli._common import (
    _DEFAULT_RUNS,
    EXIT_CODES,
    _add_common,
    _add_set,
    _load,
    _note,
    _out_dir,
    _positive,
    _seed,
    _settings,
    _sized,
    _whole,
    _workers,
)
from fundflow.cli._print import _describe, _emit, _names, _render, _shown, _wrote
from fundflow.errors import ConfigError
from fundflow.io import labels as lb

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add the ``run`` subcommand to `sub`."""
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
        "--resume",
        action="store_true",
        help="finish the interrupted run stored in --out (its blocks already done are kept; "
        "the scenario, seed, --runs and fundflow must be the same)",
    )
    p.add_argument(
        "--tables",
        metavar="LIST",
        default="",
        help="per-replication tables to write in every --format too: runs, routes, "
        "party_totals (default none: they stay in the Parquet dataset DIR/dataset)",
    )
    p.set_defaults(handler=_run)


def _summary_text(result: Any, lang: str) -> str:
    summary = result.summary()
    money = result.money_unit
    keep, dropped = _shown(summary, ["mean", "std"])
    headers = [
        lb.label("measure", lang),
        lb.label("mean", lang),
        lb.label("ci95", lang),
        *(lb.label(p, lang) if lang != "en" else p for p in ("p5", "p50", "p95")),
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


#: The runs columns of the party table's tax memo line.
_MEMO = ("gov_tax_forgone", "gov_tax_attributable", "gov_net_cost", "gov_budget_cost")


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
    note = lb.label("external", lang) in (r[0] for r in rows)
    text = _render(headers, rows) + ("\n" + lb.text("msg_external", lang) if note else "")
    import pandas as pd

    # these columns only: a stored run's whole runs table may not fit in memory
    runs = {k: pd.Series(result.runs_columns[k], dtype=float) for k in _MEMO}
    if runs["gov_tax_forgone"].abs().sum() > 0:  # the attributable tax, as a memo line
        means = {k: lb.format_number(runs[k].mean(), "money") for k in _MEMO}
        text += "\n" + lb.text("msg_tax_memo", lang, money=lb.unit_text("money", lang, money), **{
            "forgone": means["gov_tax_forgone"], "attributable": means["gov_tax_attributable"],
            "net": means["gov_net_cost"], "budget": means["gov_budget_cost"],
        })  # fmt: skip
    return text


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
                f"{r['expected_entrants']:.2f}",
                lb.format_number(r["gov_challenge_budget_cost"], "money"),
                lb.format_number(r["demander_npv"], "money"),
                lb.format_number(r["demander_npv_without_gov"], "money"),
            ]
        )
    headers = [
        lb.label("challenge", lang),
        *(lb.label(k, lang) for k in ("success_short", "solver_npv_short", "ci95", "clears_short")),
        lb.label("entrants_short", lang),
        lb.label("gov_cost_short", lang),
        lb.label("demander_npv_short", lang),
        lb.label("demander_no_gov_short", lang),
    ]
    required = lb.format_number(float(table["required_npv"].iloc[0]), "money")
    caption = lb.label("challenges_caption", lang).format(
        money=lb.unit_text("money", lang, money), required=required
    )
    return caption + "\n" + _render(headers, rows)


def _budget_years_text(result: Any, lang: str) -> str:
    """The budget by year: budget cash (mean, p95), outside the annual budget, carried
    into the next year, the probability that the year's budget bound, tax forgone (memo);
    the years after the last with money are left out, with a line saying so."""
    table = result.budget_by_year()
    money = lambda x: lb.format_number(x, "money")  # noqa: E731
    columns = ["budget_cash_mean", "budget_cash_p95", "outside_budget_mean"]
    columns += ["committed_unpaid_mean", "budget_binds_probability", "tax_forgone_mean"]
    active = table[columns].abs().sum(axis=1) > 0
    last = int(active[active].index.max()) if active.any() else 0
    rows = [
        [str(y)]
        + [money(r[c]) for c in columns[:4]]
        + [lb.format_number(r["budget_binds_probability"], "share"), money(r["tax_forgone_mean"])]
        for y, r in table.loc[:last].iterrows()
    ]
    headers = [lb.label("year", lang), *(lb.label(f"{c}_short", lang) for c in columns)]
    budget = table["annual_budget"].iloc[0]
    caption = lb.text(
        "msg_budget_years",
        lang,
        money=lb.unit_text("money", lang, result.money_unit),
        budget=money(budget) if math.isfinite(budget) else lb.label("no_annual_budget", lang),
    )
    text = caption + "\n" + _render(headers, rows)
    if last + 1 < len(table):
        text += "\n" + lb.text("msg_budget_years_rest", lang, first=last + 1, last=len(table) - 1)
    return text


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
        if conv["converged"]:  # not converged: a line on stderr instead (_converged)
            lines.append(
                lb.text("msg_converged", lang, achieved=achieved, target=target, runs=conv["runs"])
            )
    return lines


def _run(args: argparse.Namespace) -> int:
    from fundflow.io.export import export_result, parse_formats, parse_tables

    target = _target(args)
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
    store = _store(args, target)
    scenario = _load(args.config, args.set)
    resumed = False
    if store is not None:
        seed, resumed = _check_store(store, scenario, seed, runs, args)
    size = _sized(args, [scenario], max_runs if target is not None else runs, workers, store)
    from fundflow.io.outdir import run_key

    key = run_key(
        "run", [scenario], seed, runs=None if target else runs, target_se=target,
        max_runs=max_runs if target else None, plots=bool(args.plots),
    )  # fmt: skip
    # a run resumed is this one (checked): the files it wrote are replaced
    with _kept_for_resume(store), _out_dir(args.out, key, args.overwrite or resumed) as out:
        _note(args, size, [scenario], chunk=_chunk(target, store, runs), out=out is not None)
        settings = _settings(runs, seed, workers, args.quiet, args.scheduler, args.engine)
        result = _simulate(scenario, settings, target, max_runs, store, args)
        _report(result, seed, lang)
        if out is None:
            return _converged(result, lang)
        provenance = {"command": args.argv, "overrides": list(args.set), "run_key": key}
        if store is not None:  # the run itself, block by block (fundflow.open_run reads it)
            provenance["dataset"] = f"{store.name}/manifest.json"
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
        _emit(_wrote(written, out, lang, [store] if store is not None else []))
    return _converged(result, lang)


def _store(args: argparse.Namespace, target: float | None) -> Path | None:
    """Where the run streams its blocks: ``--out``'s ``dataset`` (not with --target-se)."""
    if args.resume and args.out is None:
        raise ConfigError("--resume", None, "needs --out DIR, the run to finish", show_value=False)
    if args.resume and target is not None:
        raise ConfigError(
            "--resume", None, "does not apply with --target-se (run with --runs)", show_value=False
        )
    return None if args.out is None or target is not None else Path(args.out) / "dataset"


def _check_store(
    store: Path, scenario: Any, seed: int | None, runs: int, args: argparse.Namespace
) -> tuple[int | None, bool]:
    """Check the run stored in `store` before anything is written: the seed to run with
    (with --resume and no --seed, the stored run's) and whether a stored run is resumed.

    A finished run is left to ``--out``'s own check (the same run is replaced).

    Raises
    ------
    ConfigError
        If `store` holds an unfinished run (without --resume or --overwrite), or
        (--resume) a run that is not this one.
    """
    from fundflow.results.provenance import scenario_sha256
    from fundflow.results.store import read_manifest, store_key
    from fundflow.run.stored import check_store, default_block_size

    manifest = read_manifest(store)
    if manifest is None or "blocks" not in manifest or args.overwrite:
        return seed, False
    if args.resume and seed is None and isinstance(manifest.get("seed_entropy"), int):
        seed = manifest["seed_entropy"]
    if args.resume or not manifest.get("complete"):
        entropy = -1 if seed is None else seed  # a fresh seed matches no stored run
        key = store_key(scenario_sha256(scenario), entropy, runs, default_block_size(runs))
        check_store(store, key, "--out", resume=args.resume, overwrite=False)
    return seed, bool(args.resume)


@contextmanager
def _kept_for_resume(store: Path | None) -> Iterator[None]:
    """On Ctrl-C or SIGTERM, say that the finished blocks are kept for --resume."""
    try:
        yield
    except KeyboardInterrupt:
        if store is not None and (store / "manifest.json").is_file():
            print(
                f"\nnote: the finished blocks are kept in {store}; run the same command "
                "with --resume to finish the run",
                file=sys.stderr,
            )
        raise


def _chunk(target: float | None, store: Path | None, runs: int) -> int | None:
    """Replications per block, when the run does not choose them by its workers."""
    if target is not None:
        return 500  # simulate_until's default chunk
    if store is not None:
        from fundflow.run.stored import default_block_size

        return default_block_size(runs)
    return None


def _target(args: argparse.Namespace) -> float | None:
    """--target-se, checked against --max-runs and --runs."""
    target = _positive("--target-se", args.target_se)
    if target is None and args.max_runs is not None:
        raise ConfigError("--max-runs", None, "applies only with --target-se", show_value=False)
    if target is not None and args.runs is not None:
        raise ConfigError(
            "--runs", args.runs, "not with --target-se (bound that run with --max-runs)"
        )
    return target


def _report(result: Any, seed: int | None, lang: str) -> None:
    """Print the run: its header, risk summary, challenges, budget by year and party
    table."""
    seed_note = "" if seed is not None else lb.text("msg_fresh_seed", lang)
    _emit("\n".join(_header_lines(result, seed_note, lang)))
    _emit()
    _emit(_summary_text(result, lang))
    _emit()
    _emit(_challenges_text(result, lang))
    _emit()
    _emit(_budget_years_text(result, lang))
    _emit()
    _emit(_party_text(result, lang))


def _converged(result: Any, lang: str = "en") -> int:
    """Exit status 3, with a line on stderr, when --target-se stopped at --max-runs."""
    conv = result.convergence
    if not conv or conv["converged"]:
        return 0
    line = lb.text(
        "msg_not_converged",
        lang,
        achieved=conv["achieved_relative_se"],
        target=conv["target_relative_se"],
        max_runs=conv["max_runs"],
    )
    print(line, file=sys.stderr)
    return 3


def _simulate(
    scenario: Any,
    settings: Any,
    target: float | None,
    max_runs: int,
    store: Path | None = None,
    args: Any = None,
) -> Any:
    from fundflow.run.montecarlo import simulate, simulate_until

    if target is not None:
        return simulate_until(scenario, target, max_runs=max_runs, settings=settings)
    if store is None:
        return simulate(scenario, settings=settings)
    _system_allocator()
    return simulate(
        scenario, settings=settings, store=store, resume=args.resume, overwrite=args.overwrite
    )


def _system_allocator() -> None:
    """Arrow allocates from the C library in this command's process: its own allocator
    (mimalloc) keeps for later what writing the first blocks of a stored run took, some
    70 MB at blocks of 1,000 replications (benchmarks/README.md, ``bench_memory.py``)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _plots(result: Any, out: Path, lang: str = "en") -> list[Path]:
    from fundflow.plots import write_run_plots

    return list(write_run_plots(result, out, lang=lang))
