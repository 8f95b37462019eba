"""Which challenges drive the government's tail: a sorted bar chart of the Euler
contributions to a CVaR (:meth:`fundflow.SimulationResult.tail_contributions`)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from fundflow.io.labels import check_lang, label, text
from fundflow.plots._axes import _figure_of, _fmt, _label, _language, _new_axes, _unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fundflow.results.result import SimulationResult

__all__ = ["tail_contributions"]


def tail_contributions(
    result: SimulationResult,
    measure: str = "gov_budget_cost",
    ax: Axes | None = None,
    *,
    alpha: float = 0.95,
    lang: str = "en",
) -> Figure:
    """Horizontal bars of each challenge's contribution to the CVaR of `measure`, largest
    at the top, the unallocated part (guided fund, payments of no challenge) last.

    The bars add up to the program's CVaR (docs/model.md, "Contribution to the
    tail"), which the title gives; each bar is labelled with its amount and share.

    Parameters
    ----------
    result : SimulationResult
        A run, in memory or stored (:func:`fundflow.open_run`).
    measure : {"gov_budget_cost", "gov_net_cost"}, default "gov_budget_cost"
        The budget cost or the all-in net cost.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    alpha : float, default 0.95
        Confidence level of the CVaR.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis label and challenge rows' labels; Chinese in the
        bundled CJK font.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; the bars have ``gid`` ``"contribution"``.

    Raises
    ------
    ValueError
        If `measure` has no per-challenge parts or `alpha` is not in (0, 1).
    """
    check_lang(lang)
    table = result.tail_contributions(measure, alpha)
    rows = table[table.index != "unallocated"]
    if table.loc["unallocated", "contribution"] != 0.0:
        rows = table  # shown only where something is unallocated
    unit = _unit(measure, result.money_unit, lang) or ""
    level = f"{100 * alpha:g}"
    with _language(lang):
        ax = _new_axes(ax, figsize=(8.0, max(3.0, 1.6 + 0.45 * len(rows))))
        y = np.arange(len(rows), dtype=float)[::-1]  # the largest at the top
        values = rows["contribution"].to_numpy(dtype=float)
        colors = ["0.6" if name == "unallocated" else "C0" for name in rows.index]
        ax.barh(y, values, height=0.7, color=colors, gid="contribution")
        names = [label(n, lang) if n == "unallocated" else str(n) for n in rows.index]
        ax.set_yticks(y, names)
        ax.axvline(0.0, color="0.3", lw=0.8)
        for yi, value, share in zip(y, values, rows["share"].to_numpy(dtype=float), strict=True):
            ax.annotate(
                f" {_fmt(value)} ({100 * share:.0f}%) ",
                xy=(value, yi),
                ha="left" if value >= 0 else "right",
                va="center",
                fontsize="small",
            )
        ax.margins(x=0.18)
        ax.set_xlabel(text("fig_tail_axis", lang, level=level, unit=unit))
        ax.set_ylabel(label("challenge", lang))
        title = text("fig_tail_title", lang, measure=_label(measure, capital=False, lang=lang))
        value = _fmt(table.attrs["cvar"])
        total = text("fig_tail_total", lang, level=level, value=value, unit=unit)
        ax.set_title(f"{textwrap.fill(title, 60)}\n{total}")
    return _figure_of(ax)
