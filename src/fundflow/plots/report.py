"""A one-page summary for a director: one self-contained HTML file.

:func:`write_report` (``fundflow report``, ``result.report(path)``) writes the
government's cost by kind of money, the budget by year with its 95th percentile, the
probability that a year's budget binds, the five challenges that drive the tail of the
budget cost (Euler contributions to its CVaR95) and the program's performance figures,
each with its 95% confidence interval, in the unit the reader uses (万元, 亿元, 百万元
or 元, converted from a CNY ``money_unit``). The figures are PNG images embedded in the
page (no network, no other file); the words are English or Chinese (``lang``).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fundflow.errors import ConfigError
from fundflow.io import labels as lb
from fundflow.plots._axes import _language

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from fundflow.results.result import SimulationResult

__all__ = ["REPORT_UNITS", "money_scale", "write_report"]

#: The units a report is written in, and their size in CNY.
REPORT_UNITS: dict[str, float] = {"元": 1.0, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
#: CNY units a scenario's ``money_unit`` may be written in, and their size in CNY.
_CNY_UNITS: dict[str, float] = {
    **REPORT_UNITS,
    "cny": 1.0,
    "yuan": 1.0,
    "cny thousand": 1e3,
    "cny 10 thousand": 1e4,
    "cny million": 1e6,
    "cny 100 million": 1e8,
    "cny billion": 1e9,
}
#: The kinds of government money, in the order the page shows them.
_COST_ROWS = (
    "gov_budget_cost",
    "gov_fund_net_cost",
    "gov_tax_forgone",
    "gov_tax_attributable",
    "gov_net_cost",
)
_PERFORMANCE_ROWS = (
    ("success_rate", "share"),
    ("leverage", "ratio"),
    ("gov_cost_per_success", "money"),
)
_TOP = 5
_STYLE = (
    "body{font-family:'fundflow CJK','Noto Sans SC','Microsoft YaHei',sans-serif;max-width:60em;"
    "margin:2em auto;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse}td,th{padding:.25em .7em;border-bottom:1px solid #ddd}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}.headline{font-size:1.3em}"
    "img{max-width:100%}.note{color:#555;font-size:.9em}"
)


def money_scale(money_unit: str, unit: str | None) -> tuple[float, str]:
    """The factor that turns amounts in ``money_unit`` into ``unit``, and the unit's name.

    Raises
    ------
    ConfigError
        Naming ``--unit`` for a unit not in :data:`REPORT_UNITS`, or a ``money_unit``
        that is not a CNY unit (which cannot be converted).
    """
    if unit is None:
        return 1.0, money_unit
    if unit not in REPORT_UNITS:
        raise ConfigError("--unit", unit, f"must be one of {', '.join(REPORT_UNITS)}")
    size = _CNY_UNITS.get(money_unit.strip().lower())
    if size is None:
        raise ConfigError(
            "--unit",
            unit,
            f"cannot convert from the scenario's money_unit {money_unit!r}, which is not a "
            "CNY unit (元, 万元, 百万元, 亿元, CNY million, ...); leave --unit out to report "
            f"in {money_unit}",
        )
    return size / REPORT_UNITS[unit], unit


def write_report(
    result: SimulationResult, path: str | Path, *, lang: str = "en", unit: str | None = None
) -> Path:
    """Write the one-page summary of `result` to `path` (an ``.html`` file).

    Parameters
    ----------
    result : SimulationResult
        A run, held in memory or stored (:func:`fundflow.open_run`).
    path : str or Path
        The HTML file to write; its directory must exist.
    lang : {"en", "zh"}
        The language of the page.
    unit : {"元", "万元", "百万元", "亿元"}, optional
        The money unit of the page (default: the scenario's ``money_unit``).

    Returns
    -------
    Path
        The file written.
    """
    from fundflow.io.export import atomic_path

    lb.check_lang(lang, option="--lang")
    factor, unit_name = money_scale(result.money_unit, unit)
    page = _page(result, lang, factor, unit_name)
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


# --------------------------------------------------------------------------- the page


def _page(result: SimulationResult, lang: str, factor: float, unit: str) -> str:
    summary = result.summary()
    years = result.budget_by_year()
    sc = result.scenario
    t = _Words(lang, unit)
    budget = summary.loc["gov_budget_cost"]
    headline = t(
        "rpt_headline",
        value=_money(float(np.asarray(budget["mean"])) * factor),
        ci=_ci(budget, factor),
    )
    parts = [
        f"<h1>{_e(t('rpt_title', name=sc.name))}</h1>",
        f"<p class='note'>{_e(t('rpt_run', runs=len(result), seed=result.entropy))}</p>",
        f"<p class='headline' id='headline'>{_e(headline)}</p>",
        f"<h2>{_e(t('rpt_costs'))}</h2>",
        _cost_table(summary, t, factor),
        f"<h2>{_e(t('rpt_years'))}</h2>",
        _binds_line(result, years, t),
        _years_table(years, t, factor),
        _img(_years_figure(years, t, factor, lang), t("rpt_years"), lang),
        f"<h2>{_e(t('rpt_tail'))}</h2>",
        *_tail(result, t, factor, lang),
        f"<h2>{_e(t('rpt_performance'))}</h2>",
        _performance_table(summary, t, factor),
        f"<p class='note'>{_e(t('rpt_footer', version=result.version))}</p>",
    ]
    html_lang = "zh-CN" if lang == "zh" else "en"
    title = _e(t("rpt_title", name=sc.name))
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html>\n<html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_font_face(title + body)}{_STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def _font_face(text: str) -> str:
    """Where the page has Chinese characters, the bundled CJK font (Noto Sans SC, SIL
    Open Font License), cut down to the characters of the page and embedded, so that
    the page shows them on a machine without Chinese fonts, with no download."""
    if all(ord(c) < 0x2E80 for c in text):
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from pylopdf_fonts_zh_cn import sans_path

    font = TTFont(str(sans_path()))
    cut = subset.Subsetter(subset.Options())
    cut.populate(text="".join(sorted(set(text))))
    cut.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"@font-face{{font-family:'fundflow CJK';src:url(data:font/otf;base64,{data})}}"


class _Words:
    """The page's words in one language, with the unit filled in."""

    def __init__(self, lang: str, unit: str) -> None:
        self.lang, self.unit = lang, unit

    def __call__(self, key: str, /, **fields: object) -> str:
        return lb.text(key, self.lang, unit=self.unit, **fields)

    def label(self, name: str) -> str:
        return lb.label(name, self.lang)


def _cost_table(summary: Any, t: _Words, factor: float) -> str:
    rows = [
        (t.label(name), _money(summary.loc[name, "mean"] * factor), _ci(summary.loc[name], factor))
        for name in _COST_ROWS
        if name in summary.index
    ]
    return _table([t("rpt_kind"), t("rpt_mean"), t("rpt_ci")], rows)


def _years_table(years: Any, t: _Words, factor: float) -> str:
    active = years.drop(columns="annual_budget").abs().sum(axis=1) > 0
    last = int(active[active].index.max()) if active.any() else 0
    rows = [
        (
            str(y),
            _money(r["budget_cash_mean"] * factor),
            _money(r["budget_cash_p95"] * factor),
            _money(r["outside_budget_mean"] * factor),
            _money(r["committed_unpaid_mean"] * factor),
            _share(r["budget_binds_probability"]),
            _money(r["tax_forgone_mean"] * factor),
        )
        for y, r in years.loc[:last].iterrows()
    ]
    names = ["year", "budget_cash_mean_short", "budget_cash_p95_short"]
    names += ["outside_budget_mean_short", "committed_unpaid_mean_short"]
    names += ["budget_binds_probability_short", "tax_forgone_mean_short"]
    return _table([t.label(n) for n in names], rows)


def _binds_line(result: SimulationResult, years: Any, t: _Words) -> str:
    """The annual budget and the probability that it binds in at least one year."""
    budget = float(years["annual_budget"].iloc[0])
    if not math.isfinite(budget):
        return f"<p>{_e(t('rpt_no_budget'))}</p>"
    n = len(result)
    binds = np.zeros(n, dtype=bool)
    for y in range(len(years)):
        binds |= np.asarray(result.year_values("budget_binds", y)) > 0
    p = float(binds.mean()) if n else float("nan")
    half = 1.96 * math.sqrt(max(p * (1 - p), 0.0) / max(n - 1, 1))
    line = t(
        "rpt_binds",
        budget=_money(budget),
        p=_share(p),
        ci=f"[{_share(max(0.0, p - half))}, {_share(min(1.0, p + half))}]",
        worst=_share(float(years["budget_binds_probability"].max())),
    )
    return f"<p id='binds'>{_e(line)}</p>"


def _tail(result: SimulationResult, t: _Words, factor: float, lang: str) -> list[str]:
    table = result.tail_contributions("gov_budget_cost")
    named = table.drop(index="unallocated", errors="ignore").head(_TOP)
    rows = [
        (str(name), _money(r["contribution"] * factor), _share(r["share"]))
        for name, r in named.iterrows()
    ]
    cvar = float(table.attrs["cvar"]) * factor
    return [
        f"<p>{_e(t('rpt_tail_note', cvar=_money(cvar)))}</p>",
        _table([t.label("challenge"), t("rpt_contribution"), t("rpt_share")], rows),
        _img(_tail_figure(named, t, factor, lang), t("rpt_tail"), lang),
    ]


def _performance_table(summary: Any, t: _Words, factor: float) -> str:
    rows = []
    for name, kind in _PERFORMANCE_ROWS:
        if name not in summary.index:
            continue
        r = summary.loc[name]
        scale = factor if kind == "money" else 1.0
        fmt = {"share": _share, "ratio": _ratio, "money": _money}[kind]
        ci = f"[{fmt(r['ci_low'] * scale)}, {fmt(r['ci_high'] * scale)}]"
        rows.append((t(f"rpt_{name}"), fmt(r["mean"] * scale), ci))
    return _table([t("rpt_figure"), t("rpt_mean"), t("rpt_ci")], rows)


# --------------------------------------------------------------------------- figures


def _years_figure(years: Any, t: _Words, factor: float, lang: str) -> Figure:
    from matplotlib.figure import Figure

    with _language(lang):  # the axes' texts take the font when they are made
        fig = Figure(figsize=(7.5, 3.2))
        ax = fig.add_subplot()
        x = years.index.to_numpy()
        ax.bar(x, years["budget_cash_mean"] * factor, color="#4c72b0", label=t("rpt_mean"))
        ax.plot(x, years["budget_cash_p95"] * factor, "v", color="#c44e52", label="p95")
        budget = float(years["annual_budget"].iloc[0])
        if math.isfinite(budget):
            ax.axhline(budget * factor, color="#555", ls="--", lw=1, label=t.label("annual_budget"))
        ax.set_xlabel(t.label("year"))
        ax.set_ylabel(t("rpt_in_unit"))
        ax.legend(frameon=False)
        fig.tight_layout()
    return fig


def _tail_figure(named: Any, t: _Words, factor: float, lang: str) -> Figure:
    from matplotlib.figure import Figure

    with _language(lang):
        fig = Figure(figsize=(7.5, 0.6 + 0.45 * max(len(named), 1)))
        ax = fig.add_subplot()
        ax.barh([str(n) for n in named.index][::-1], (named["contribution"] * factor)[::-1])
        ax.set_xlabel(t("rpt_contribution_axis"))
        fig.tight_layout()
    return fig


def _img(fig: Figure, alt: str, lang: str) -> str:
    """`fig` as an ``<img>`` whose PNG is in the page (tick labels drawn in `lang`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with _language(lang):
        fig.savefig(buf, format="png", dpi=110)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{data}'>"


# --------------------------------------------------------------------------- cells


def _table(headers: list[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + f"<td>{_e(r[0])}</td>" + "".join(f"<td class='n'>{_e(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _money(x: float) -> str:
    return lb.format_number(float(x), "money")


def _share(x: float) -> str:
    return lb.format_number(float(x), "share")


def _ratio(x: float) -> str:
    return f"{float(x):,.2f}" if math.isfinite(float(x)) else ""


def _ci(row: Any, factor: float) -> str:
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"[{_money(low * factor)}, {_money(high * factor)}]"
