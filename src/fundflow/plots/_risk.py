"""Risk figures of a run: loss histogram, exceedance curves, exposure fan, paired comparison.

Loss-like measures are read with losses positive, as :func:`fundflow.results.metrics.var`
and :func:`fundflow.results.metrics.cvar` read them: VaR is the α-quantile, CVaR the mean
of the worst ``1 - α`` share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fundflow.io.labels import label, text
from fundflow.plots._axes import (
    _axis_label,
    _bins,
    _figure_of,
    _fmt,
    _label,
    _language,
    _legend_outside,
    _new_axes,
    _panel_axes,
    _require_columns,
    _table_of,
    _unit,
)
from fundflow.results import metrics, statistics

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fundflow.results.result import SimulationResult

# Lines of the statistics marked on a loss (statistics registered with mark=True): a
# colour for the first level and one for the others, and a line style. Any other
# statistic is drawn in the next colour of _MORE_COLORS, dash-dotted.
_STAT_COLORS = {"var": ("tab:orange", "tab:purple"), "cvar": ("tab:red", "black")}
_STAT_STYLES = {"var": "--", "cvar": ":"}
_MORE_COLORS = ("tab:green", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")


def _values(result: SimulationResult, measure: str) -> npt.NDArray[np.float64]:
    """A runs measure as a float array without NaN, or ``ValueError``."""
    _require_columns(result.runs, [measure], "measure")
    x = result.runs[measure].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError(f"measure {measure!r} has no non-NaN value to plot.")
    return x


def _subtitle(result: SimulationResult, n: int, lang: str = "en") -> str:
    if lang == "en":
        return f"{result.scenario.name}, {n:,} replication{'' if n == 1 else 's'}"
    return text("fig_subtitle", lang, name=result.scenario.name, n=n)


def _mark_statistics(
    ax: Axes,
    x: npt.NDArray[np.float64],
    alphas: Sequence[float],
    *,
    color: str | None = None,
    gid_prefix: str = "",
    indent: str = "",
    lw: float = 1.2,
    lang: str = "en",
) -> None:
    """Vertical lines at the statistics of `x` registered with ``mark=True``
    (:mod:`fundflow.results.statistics`), values in the labels: VaR (dashed) and CVaR
    (dotted) for each alpha, then any other. Without `color`, each statistic and
    level gets its own colour."""
    marked = [s for s in statistics.registered() if s.mark]
    sample = statistics.Sample(x[np.newaxis, :])
    others = iter(_MORE_COLORS * len(marked))
    for stat, column, alpha in statistics.layout(alphas):
        if not stat.mark:
            continue
        value = float(stat.compute(sample, alpha)[0])
        first = alpha is None or alpha == alphas[0]
        colors = _STAT_COLORS.get(stat.name)
        shown = stat.symbol or label(stat.name, lang)
        level = column[len(stat.name) :] if alpha is not None else ""
        ax.axvline(
            value,
            color=color or (colors[0 if first else 1] if colors else next(others)),
            ls=_STAT_STYLES.get(stat.name, "-."),
            lw=lw,
            gid=f"{gid_prefix}{column}",
            label=f"{indent}{shown}{level} = {_fmt(value)}",
        )


def _mark_level(ax: Axes, probability: float) -> None:
    """A grey horizontal line at `probability`, labelled in percent at the right edge."""
    ax.axhline(probability, color="0.6", lw=0.8, zorder=0)
    ax.annotate(
        f"{100 * probability:.3g}%",
        xy=(1.0, probability),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize="small",
        color="0.4",
        annotation_clip=True,
        in_layout=False,
    )


# --------------------------------------------------------------------------- one run


def loss_distribution(
    result: SimulationResult,
    measure: str = "gov_budget_cost",
    ax: Axes | None = None,
    *,
    alphas: Sequence[float] = (0.95, 0.99),
    lang: str = "en",
) -> Figure:
    """Histogram of a runs measure with its mean, VaR and CVaR marked.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    measure : str, default "gov_budget_cost"
        A column of ``result.runs``, read as a loss (larger = worse). NaN values
        are left out.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    alphas : sequence of float, default (0.95, 0.99)
        Confidence levels of the VaR (dashed) and CVaR (dotted) lines.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend (Chinese in a bundled CJK font).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Each vertical line has ``gid`` ``"mean"``,
        ``"var95"``, ``"cvar95"``, ... and a legend label with its value; so has a
        line for each other statistic registered with ``mark=True``
        (:mod:`fundflow.results.statistics`), its ``gid`` the statistic's name.

    Raises
    ------
    ValueError
        If `measure` is not a runs column or has no value.
    """
    x = _values(result, measure)
    unit = _unit(measure, result.money_unit, lang)
    with _language(lang):
        ax = _new_axes(ax)
        label = text("fig_replications", lang)
        ax.hist(x, bins=_bins(x.size), color="tab:blue", alpha=0.6, label=label)
        mean = float(x.mean())
        label = text("fig_mean_is", lang, value=_fmt(mean))
        ax.axvline(mean, color="tab:gray", lw=1.5, gid="mean", label=label)
        _mark_statistics(ax, x, alphas, lw=1.8, lang=lang)
        ax.set_xlabel(_axis_label(measure, unit, lang))
        ax.set_ylabel(text("fig_replications_count", lang))
        name = _label(measure, capital=False, lang=lang)
        title = text("fig_distribution", lang, measure=name)
        ax.set_title(f"{title}\n{_subtitle(result, x.size, lang)}")
        _legend_outside(ax, title=text("fig_values_in", lang, unit=unit) if unit else None)
    return _figure_of(ax)


def exceedance_curve(
    result: SimulationResult,
    measures: Sequence[str] = ("gov_budget_cost", "solver_loss"),
    ax: Axes | None = None,
    *,
    alphas: Sequence[float] = (0.95,),
    lang: str = "en",
) -> Figure:
    """Empirical exceedance probability P(X > x) of loss measures, VaR and CVaR marked.

    The probability axis is logarithmic, down to ``1 / (2 n)``, so the tail is
    visible; a grey horizontal line marks each ``1 - α``, where the curve crosses
    its VaR.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    measures : sequence of str, default ("gov_budget_cost", "solver_loss")
        Runs columns in the same unit, each read as a loss (larger = worse).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    alphas : sequence of float, default (0.95,)
        Confidence levels of the VaR (dashed) and CVaR (dotted) lines, drawn in
        the colour of their curve.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Curves have ``gid`` ``measure``; the lines
        ``f"{measure}:var95"``, ``f"{measure}:cvar95"``, ..., and
        ``f"{measure}:{name}"`` for each other statistic registered with ``mark=True``.

    Raises
    ------
    ValueError
        If a measure is not a runs column, has no value, or the measures are
        in different units.
    """
    units = {_unit(m, result.money_unit, lang) for m in measures}
    if len(units) > 1:
        raise ValueError(f"measures {list(measures)} are in different units {units}.")
    unit = units.pop() if units else None
    with _language(lang):
        ax = _new_axes(ax)
        _draw_exceedance(ax, result, measures, alphas, unit, lang)
    return _figure_of(ax)


def _draw_exceedance(
    ax: Axes,
    result: SimulationResult,
    measures: Sequence[str],
    alphas: Sequence[float],
    unit: str | None,
    lang: str,
) -> None:
    n_max = 1
    for k, measure in enumerate(measures):
        x = np.sort(_values(result, measure))
        n_max = max(n_max, x.size)
        color = f"C{k}"
        survival = 1.0 - np.arange(1, x.size + 1) / x.size
        ax.step(
            np.concatenate([[x[0]], x]),
            np.concatenate([[1.0], survival]),
            where="post",
            color=color,
            lw=1.8,
            gid=measure,
            label=_label(measure, lang=lang),
        )
        _mark_statistics(
            ax, x, alphas, color=color, gid_prefix=f"{measure}:", indent="  ", lang=lang
        )
    for alpha in alphas:
        _mark_level(ax, 1.0 - alpha)
    ax.set_yscale("log", nonpositive="mask")
    ax.set_ylim(0.5 * min([1.0 / n_max, *(1.0 - a for a in alphas)]), 1.05)
    loss = text("fig_loss", lang)
    ax.set_xlabel((f"{loss}（{unit}）" if lang == "zh" else f"{loss} ({unit})") if unit else loss)
    ax.set_ylabel(text("fig_exceedance", lang))
    ax.set_title(f"{text('fig_exceedance_title', lang)}\n{_subtitle(result, n_max, lang)}")
    title = text("fig_values_in", lang, unit=unit) if unit else None
    ax.legend(title=title, fontsize="small")


def exposure_fan(
    result: SimulationResult,
    ax: Axes | None = None,
    bands: Sequence[float] = (5, 25, 50, 75, 95),
    *,
    lang: str = "en",
) -> Figure:
    """Fan chart of the government's cumulative net outflow over time.

    Percentiles across replications of :meth:`SimulationResult.exposure_paths`
    at each quarterly time: the outermost pair of `bands` is shaded lightest,
    inner pairs darker, and a 50 in `bands` is drawn as the median line. The
    mean path is dashed.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    bands : sequence of float, default (5, 25, 50, 75, 95)
        Percentiles in [0, 100]; paired from the outside in (lowest with
        highest).
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; the median line has ``gid`` ``"p50"``, the mean
        ``"mean"``, each band ``f"p{low}-p{high}"``.

    Raises
    ------
    ValueError
        If a band is outside [0, 100].
    """
    q = np.unique(np.asarray(bands, dtype=float))
    if q.size == 0 or q.min() < 0 or q.max() > 100:
        raise ValueError(f"bands(={list(bands)}) must be percentiles in [0, 100].")
    paths = result.exposure_paths()
    times = paths.columns.to_numpy(dtype=float)
    values = paths.to_numpy(dtype=float)
    pct = dict(zip(q.tolist(), np.nanpercentile(values, q, axis=0), strict=True))
    with _language(lang):
        ax = _new_axes(ax)
        _draw_fan(ax, result, times, values, pct, q, lang)
    return _figure_of(ax)


def _draw_fan(
    ax: Axes,
    result: SimulationResult,
    times: np.ndarray,
    values: np.ndarray,
    pct: dict[float, np.ndarray],
    q: np.ndarray,
    lang: str,
) -> None:
    lows = [p for p in q if p < 50]
    highs = [p for p in q[::-1] if p > 50]
    for depth, (lo, hi) in enumerate(zip(lows, highs, strict=False)):
        ax.fill_between(
            times,
            pct[lo],
            pct[hi],
            color="tab:blue",
            alpha=0.18 + 0.17 * depth,
            lw=0,
            gid=f"p{lo:g}-p{hi:g}",
            label=text("fig_band", lang, lo=f"{lo:g}", hi=f"{hi:g}"),
        )
    if 50.0 in pct:
        median = text("fig_median", lang)
        ax.plot(times, pct[50.0], color="navy", lw=2, gid="p50", label=median)
    mean = text("fig_mean", lang)
    ax.plot(times, np.nanmean(values, axis=0), "k--", lw=1.2, gid="mean", label=mean)
    ax.set_xlim(times[0], times[-1])
    ax.set_xlabel(text("fig_time", lang))
    money = _unit("gov_budget_cost", result.money_unit, lang)
    ax.set_ylabel(text("fig_outflow", lang, unit=money))
    title = text("fig_exposure_title", lang)
    ax.set_title(f"{title}\n{_subtitle(result, len(values), lang)}")
    ax.legend(loc="lower right", fontsize="small")


# --------------------------------------------------------------------------- comparisons


def paired_comparison(
    runs_a: SimulationResult | pd.DataFrame,
    runs_b: SimulationResult | pd.DataFrame,
    measure: str,
    labels: tuple[str, str] = ("A", "B"),
    ax: Axes | Sequence[Axes] | None = None,
    *,
    kind: Literal["both", "difference", "scatter"] = "both",
    unit: str | None = None,
    lang: str = "en",
) -> Figure:
    """Paired comparison of one measure in two scenarios run on common random numbers.

    Replications are paired by index (replication number); only those in both
    are used. The *difference* panel is a histogram of ``a - b`` per
    replication with the mean difference and its 95% confidence interval
    (:func:`fundflow.results.metrics.paired_difference`); the *scatter* panel plots
    ``b`` against ``a`` with the diagonal ``b = a``.

    Parameters
    ----------
    runs_a, runs_b : SimulationResult or pandas.DataFrame
        The two runs, or their ``runs`` tables (index = replication).
    measure : str
        A column of both tables.
    labels : (str, str), default ("A", "B")
        Names of the two scenarios.
    ax : Axes or pair of Axes, optional
        One Axes for ``kind="difference"`` or ``"scatter"``, two for
        ``"both"``; a new Figure by default.
    kind : {"both", "difference", "scatter"}, default "both"
        Which panels to draw.
    unit : str, optional
        Unit of the measure; inferred from the measure's name and the runs'
        money unit by default.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Lines have ``gid`` ``"mean_diff"``, ``"zero"``,
        ``"diagonal"``; the interval ``"ci"``.

    Raises
    ------
    ValueError
        If `measure` is missing, no replication is in both runs, `kind` is
        unknown, or `ax` does not match `kind`.
    """
    kinds = {"both": ("difference", "scatter"), "difference": ("difference",)}
    panels = kinds.get(kind, ("scatter",) if kind == "scatter" else None)
    if panels is None:
        raise ValueError(f"kind(={kind!r}) must be 'both', 'difference' or 'scatter'.")
    (ta, money_a), (tb, money_b) = _table_of(runs_a), _table_of(runs_b)
    _require_columns(ta, [measure], "measure")
    _require_columns(tb, [measure], "measure")
    col_a, col_b = ta[measure].align(tb[measure], join="inner")
    keep = col_a.notna() & col_b.notna()
    a, b = col_a[keep].to_numpy(dtype=float), col_b[keep].to_numpy(dtype=float)
    if a.size == 0:
        raise ValueError("the two runs share no replication with a value of the measure.")
    unit = unit or _unit(measure, money_a or money_b, lang)
    with _language(lang):
        axes = _panel_axes(ax, len(panels))
        draw = {"difference": _draw_difference, "scatter": _draw_scatter}
        for panel, axis in zip(panels, axes, strict=True):
            draw[panel](axis, a, b, measure, labels, unit, lang)
    return _figure_of(axes[0])


def _in_unit(text_: str, unit: str | None, lang: str) -> str:
    if not unit:
        return text_
    return f"{text_}（{unit}）" if lang == "zh" else f"{text_} ({unit})"


def _draw_difference(
    ax: Axes,
    a: np.ndarray,
    b: np.ndarray,
    measure: str,
    labels: tuple[str, str],
    unit: str | None,
    lang: str = "en",
) -> None:
    d = metrics.paired_difference(a, b)
    diff = a - b
    label = text("fig_replications", lang)
    ax.hist(diff, bins=_bins(diff.size), color="tab:blue", alpha=0.6, label=label)
    ax.axvline(0.0, color="0.4", lw=1, gid="zero", label=text("fig_no_difference", lang))
    if math.isfinite(d["ci_low"]):
        ax.axvspan(
            d["ci_low"],
            d["ci_high"],
            color="tab:red",
            alpha=0.2,
            gid="ci",
            label=text("fig_ci", lang, low=_fmt(d["ci_low"]), high=_fmt(d["ci_high"])),
        )
    ax.axvline(
        d["mean_diff"],
        color="tab:red",
        lw=2,
        gid="mean_diff",
        label=text("fig_mean_is", lang, value=_fmt(d["mean_diff"])),
    )
    ax.set_xlabel(_in_unit(f"{labels[0]} − {labels[1]}", unit, lang))
    ax.set_ylabel(text("fig_replications_count", lang))
    title = text("fig_paired", lang, measure=_label(measure, capital=False, lang=lang))
    ax.set_title(f"{title}\n{text('fig_pairs', lang, n=d['n'])}")
    _legend_outside(ax, title=text("fig_values_in", lang, unit=unit) if unit else None)


def _draw_scatter(
    ax: Axes,
    a: np.ndarray,
    b: np.ndarray,
    measure: str,
    labels: tuple[str, str],
    unit: str | None,
    lang: str = "en",
) -> None:
    share = float(np.mean(a > b))
    label = text("fig_higher", lang, a=labels[0], share=f"{share:.0%}")
    ax.scatter(a, b, s=12, alpha=0.6, label=label)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.05 * (hi - lo) or 1.0
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.4", lw=1, gid="diagonal")
    ax.lines[-1].set_label(f"{labels[1]} = {labels[0]}")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(_in_unit(labels[0], unit, lang))
    ax.set_ylabel(_in_unit(labels[1], unit, lang))
    title = text("fig_versus", lang, measure=_label(measure, lang=lang), a=labels[0], b=labels[1])
    ax.set_title(f"{title}\n{text('fig_same_replications', lang)}")
    ax.legend(fontsize="small", loc="upper left")
