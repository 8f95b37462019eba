"""``fundflow incentive``: the least value of a lever at which challenges attract bidders."""

from __future__ import annotations

import argparse
import math
from typing import Any

from fundflow.cli._common import _add_set, _load, _positive, _seed, _whole
from fundflow.cli._print import _emit, _render
from fundflow.io import labels as lb

__all__ = ["add_parser"]

_RUNS = 1000


def add_parser(sub: Any) -> None:
    """Add the ``incentive`` subcommand to `sub`."""
    p = sub.add_parser(
        "incentive",
        help="the least value of a lever at which each challenge attracts K entrants",
    )
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    p.add_argument(
        "--lever",
        metavar="PATH",
        required=True,
        help="a number of the scenario: government.success_award.share, "
        "government.matching.ratio, challenges[NAME].contract_price",
    )
    p.add_argument("--entrants", metavar="K", required=True, help="entrants wanted (>= 1)")
    p.add_argument(
        "--level",
        metavar="P",
        default="0.9",
        help="probability of at least K entrants (default 0.9; under fixed entry, "
        "V(K) >= required_npv instead)",
    )
    p.add_argument("--runs", metavar="N", help=f"replications (default {_RUNS})")
    p.add_argument("--seed", metavar="S", help="root seed (default 0)")
    p.add_argument("--lang", metavar="LANG", default="en", help="en or zh (default en)")
    _add_set(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import warnings

    from fundflow.analysis.incentive import least_incentive

    lb.check_lang(args.lang, "--lang")
    scenario = _load(args.config, args.set)
    target = _whole("--entrants", args.entrants, 1)
    level = _positive("--level", args.level) or 0.9
    runs = _whole("--runs", args.runs, _RUNS)
    seed = _seed(args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the trials' own warnings say nothing here
        res = least_incentive(
            scenario, args.lever, target, level, runs=runs, seed=0 if seed is None else seed
        )
    _emit(_text(res, scenario.money_unit, args.lang))
    return 0


def _text(res: Any, money: str, lang: str) -> str:
    zh = lang == "zh"
    head = (
        f"{res.lever}：至少 {res.target} 个揭榜团队的概率 ≥ {res.level:g} 时的最小值"
        f"（当前 {res.current:g}）"
        if zh
        else f"{res.lever}: least value for at least {res.target} entrants with probability "
        f">= {res.level:g} (now {res.current:g})"
    )
    unit = lb.unit_text("money", lang, money)
    headers = [
        "榜题" if zh else "Challenge",
        "最小值" if zh else "Least value",
        f"该值下财政净支出（{unit}）" if zh else f"Budget cost at it ({unit})",
        f"当前财政净支出（{unit}）" if zh else f"Budget cost now ({unit})",
    ]
    rows = [
        [
            str(name),
            "—" if math.isnan(r["least_value"]) else f"{r['least_value']:.4g}",
            "—" if math.isnan(r["gov_budget_cost"]) else f"{r['gov_budget_cost']:.2f}",
            f"{r['gov_budget_cost_now']:.2f}",
        ]
        for name, r in res.table.iterrows()
    ]
    tail = f"全计划所需：{res.value:.4g}" if zh else f"For every challenge: {res.value:.4g}"
    lines = [head, _render(headers, rows), tail]
    if res.table["least_value"].isna().any():
        lines.append(
            f"—：该榜题允许的揭榜团队少于 {res.target} 个（solvers）"
            if zh
            else f"—: the challenge admits fewer than {res.target} routes (its solvers)"
        )
    return "\n".join(lines)
