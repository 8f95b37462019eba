"""Figures of a run, a comparison, a sweep, a sensitivity analysis and a Pareto front.

Every function draws on the Axes it is given (``ax=``) or on a new
:class:`matplotlib.figure.Figure` made without :mod:`matplotlib.pyplot`, and
returns that figure. Nothing here imports pyplot or selects a backend, so
importing or calling this module changes no global matplotlib state; matplotlib
itself is imported only when a figure is drawn. In a notebook, show a returned
figure with ``display(fig)`` (or draw into ``plt.subplots()`` axes).

Money is in the scenario's ``money_unit`` and time in years. Loss-like measures
are read with losses positive, as :func:`fundflow.metrics.var` and
:func:`fundflow.metrics.cvar` read them: VaR is the α-quantile, CVaR the mean of
the worst ``1 - α`` share.

Functions
---------
loss_distribution : histogram of one runs measure with VaR and CVaR marked.
exceedance_curve : P(X > x) of one or more loss measures with VaR and CVaR marked.
exposure_fan : percentile bands of the government's cumulative net outflow over time.
paired_comparison : paired differences of two scenarios run on common random numbers.
sweep_response : a summary measure against a lever, from a sweep's tidy table.
tornado : sensitivity indices per input, sorted, with confidence whiskers.
pareto_front : design points, government risk against solver risk, the front highlighted.
write_run_plots : the PNGs of a run, written atomically into a directory.
"""

from __future__ import annotations

import difflib
import math
import os
import textwrap
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import labels as _labels
from . import metrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .results import SimulationResult

__all__ = [
    "exceedance_curve",
    "exposure_fan",
    "loss_distribution",
    "paired_comparison",
    "pareto_front",
    "pareto_mask",
    "sweep_response",
    "tornado",
    "write_run_plots",
]

#: Resolution of the PNGs written by :func:`write_run_plots`.
DPI = 120

_FIGSIZE = (7.0, 4.5)
_STAT_COLORS = {"var": ("tab:orange", "tab:purple"), "cvar": ("tab:red", "black")}
_STAT_STYLES = {"var": "--", "cvar": ":"}
_STAT_NAMES = {"var": "VaR", "cvar": "CVaR"}

# Summary statistics that may end a sweep column's name, longest first.
_STATISTICS = sorted(
    (n for n, row in _labels.LABELS.items() if row.kind == "statistic"), key=len, reverse=True
)
_INDEX_NAMES = {
    "S1": "first-order Sobol index S1",
    "ST": "total-order Sobol index ST",
    "mu_star": "Morris μ*",
    "mu": "Morris μ",
    "sigma": "Morris σ",
}


# --------------------------------------------------------------------------- helpers


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = _FIGSIZE) -> Axes:
    """Return `ax`, or the single Axes of a new pyplot-free Figure."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()


def _figure_of(ax: Axes) -> Figure:
    """The root Figure that holds `ax` (through any SubFigure)."""
    parent = ax.figure  # a Figure, or a SubFigure whose .figure is the root
    return cast("Figure", parent.figure)


def _split(name: str) -> tuple[str, str | None]:
    """``gov_net_cost_cvar95`` -> ``("gov_net_cost", "cvar95")``; others -> ``(name, None)``."""
    if name not in _labels.LABELS:
        for stat in _STATISTICS:
            base = name[: -len(stat) - 1]
            if name.endswith(f"_{stat}") and base in _labels.LABELS:
                return base, stat
    return name, None


def _lower_first(text: str) -> str:
    """Lower-case a leading ordinary word (``Mean`` -> ``mean``; ``VaR``, ``CI`` kept)."""
    word = text.split(" ", 1)[0].rstrip(".,")
    if len(word) > 1 and word.isalpha() and word[1:].islower():
        return text[0].lower() + text[1:]
    return text


def _label(name: str, *, capital: bool = True) -> str:
    """The package's label of a measure (:mod:`fundflow.labels`), or of a sweep column.

    ``gov_net_cost`` -> ``Government net cost``; ``gov_net_cost_cvar95`` ->
    ``Government net cost, CVaR 95%``; names without a label are kept as they are.
    """
    base, stat = _split(str(name))
    text = _labels.label(base)
    if stat is not None:
        text = f"{text}, {_lower_first(_labels.label(stat))}"
    return text if capital else _lower_first(text)


def _unit(name: str, money_unit: str | None) -> str | None:
    """The unit shown for a measure or sweep column; None when unitless or unknown."""
    base, stat = _split(str(name))
    kind = _labels.unit_of(stat or base)
    if kind == "same":
        kind = _labels.unit_of(base)
    return _labels.unit_text(kind, money_unit=money_unit or "money") or None


def _axis_label(name: str, unit: str | None) -> str:
    return f"{_label(name)} ({unit})" if unit else _label(name)


def _table_of(data: Any) -> tuple[pd.DataFrame, str | None]:
    """A DataFrame and its money unit, from a frame or a result holding one.

    A frame's money unit is ``frame.attrs["money_unit"]``; a result's (a
    SimulationResult's ``runs``, a sweep's ``table``, an optimisation's
    ``evaluations``) is its scenario's.
    """
    if isinstance(data, pd.DataFrame):
        return data, data.attrs.get("money_unit")
    for attr in ("runs", "table", "evaluations"):
        frame = getattr(data, attr, None)
        if isinstance(frame, pd.DataFrame):
            return frame, getattr(getattr(data, "scenario", None), "money_unit", None)
    raise TypeError(f"expected a DataFrame or a fundflow result, got {type(data).__name__}.")


def _column_unit(
    column: str, units: Mapping[str, str] | None, money_unit: str | None
) -> str | None:
    """Unit of a column: `units` first (money unit under ``"money"``), else from the labels."""
    if units and column in units:
        return units[column]
    return _unit(column, (units or {}).get("money") or money_unit)


def _legend_outside(ax: Axes, title: str | None) -> None:
    """A legend to the right of `ax`, where it cannot hide the data."""
    ax.legend(
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        title_fontsize="small",
    )


def _fmt(value: float) -> str:
    """A compact number for a legend: thousands separated, about four digits."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 1 or size == 0:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def _alpha_label(alpha: float) -> str:
    return f"{100 * alpha:g}"


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ``ValueError`` naming a missing column and the nearest existing one."""
    have = [str(c) for c in table.columns]
    for column in columns:
        if column not in table.columns:
            near = difflib.get_close_matches(str(column), have, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; columns are {have}"
            raise ValueError(f"{what} {column!r} is not a column of the table{hint}")


def _values(result: SimulationResult, measure: str) -> npt.NDArray[np.float64]:
    """A runs measure as a float array without NaN, or ``ValueError``."""
    _require_columns(result.runs, [measure], "measure")
    x = result.runs[measure].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError(f"measure {measure!r} has no non-NaN value to plot.")
    return x


def _bins(n: int) -> int:
    return int(min(50, max(10, round(math.sqrt(n)))))


def _subtitle(result: SimulationResult, n: int) -> str:
    return f"{result.scenario.name}, {n:,} replication{'' if n == 1 else 's'}"


def _mark_var_cvar(
    ax: Axes,
    x: npt.NDArray[np.float64],
    alphas: Sequence[float],
    *,
    color: str | None = None,
    gid_prefix: str = "",
    indent: str = "",
    lw: float = 1.2,
) -> None:
    """Vertical lines at VaR (dashed) and CVaR (dotted) of `x` for each alpha, values in labels.

    Without `color`, each statistic and level gets its own colour.
    """
    for i, alpha in enumerate(alphas):
        level = _alpha_label(alpha)
        for stat, func in (("var", metrics.var), ("cvar", metrics.cvar)):
            value = func(x, alpha)
            ax.axvline(
                value,
                color=color or _STAT_COLORS[stat][min(i, 1)],
                ls=_STAT_STYLES[stat],
                lw=lw,
                gid=f"{gid_prefix}{stat}{level}",
                label=f"{indent}{_STAT_NAMES[stat]}{level} = {_fmt(value)}",
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
    measure: str = "gov_net_cost",
    ax: Axes | None = None,
    *,
    alphas: Sequence[float] = (0.95, 0.99),
) -> Figure:
    """Histogram of a runs measure with its mean, VaR and CVaR marked.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    measure : str, default "gov_net_cost"
        A column of ``result.runs``, read as a loss (larger = worse). NaN values
        are left out.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    alphas : sequence of float, default (0.95, 0.99)
        Confidence levels of the VaR (dashed) and CVaR (dotted) lines.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Each vertical line has ``gid`` ``"mean"``,
        ``"var95"``, ``"cvar95"``, ... and a legend label with its value.

    Raises
    ------
    ValueError
        If `measure` is not a runs column or has no value.
    """
    x = _values(result, measure)
    unit = _unit(measure, result.money_unit)
    ax = _new_axes(ax)
    ax.hist(x, bins=_bins(x.size), color="tab:blue", alpha=0.6, label="replications")
    mean = float(x.mean())
    ax.axvline(mean, color="tab:gray", lw=1.5, gid="mean", label=f"mean = {_fmt(mean)}")
    _mark_var_cvar(ax, x, alphas, lw=1.8)
    ax.set_xlabel(_axis_label(measure, unit))
    ax.set_ylabel("Replications (count)")
    ax.set_title(f"Distribution of {_label(measure, capital=False)}\n{_subtitle(result, x.size)}")
    _legend_outside(ax, title=f"values in {unit}" if unit else None)
    return _figure_of(ax)


def exceedance_curve(
    result: SimulationResult,
    measures: Sequence[str] = ("gov_net_cost", "solver_loss"),
    ax: Axes | None = None,
    *,
    alphas: Sequence[float] = (0.95,),
) -> Figure:
    """Empirical exceedance probability P(X > x) of loss measures, VaR and CVaR marked.

    The probability axis is logarithmic, down to ``1 / (2 n)``, so the tail is
    visible; a grey horizontal line marks each ``1 - α``, where the curve crosses
    its VaR.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    measures : sequence of str, default ("gov_net_cost", "solver_loss")
        Runs columns in the same unit, each read as a loss (larger = worse).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    alphas : sequence of float, default (0.95,)
        Confidence levels of the VaR (dashed) and CVaR (dotted) lines, drawn in
        the colour of their curve.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Curves have ``gid`` ``measure``; the lines
        ``f"{measure}:var95"``, ``f"{measure}:cvar95"``, ...

    Raises
    ------
    ValueError
        If a measure is not a runs column, has no value, or the measures are
        in different units.
    """
    units = {_unit(m, result.money_unit) for m in measures}
    if len(units) > 1:
        raise ValueError(f"measures {list(measures)} are in different units {units}.")
    unit = units.pop() if units else None
    ax = _new_axes(ax)
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
            label=_label(measure),
        )
        _mark_var_cvar(ax, x, alphas, color=color, gid_prefix=f"{measure}:", indent="  ")
    for alpha in alphas:
        _mark_level(ax, 1.0 - alpha)
    ax.set_yscale("log", nonpositive="mask")
    ax.set_ylim(0.5 * min([1.0 / n_max, *(1.0 - a for a in alphas)]), 1.05)
    ax.set_xlabel(f"Loss ({unit})" if unit else "Loss")
    ax.set_ylabel("Exceedance probability P(X > x)")
    ax.set_title(f"Exceedance curves\n{_subtitle(result, n_max)}")
    ax.legend(title=f"values in {unit}" if unit else None, fontsize="small")
    return _figure_of(ax)


def exposure_fan(
    result: SimulationResult,
    ax: Axes | None = None,
    bands: Sequence[float] = (5, 25, 50, 75, 95),
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
    ax = _new_axes(ax)
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
            label=f"{lo:g}th–{hi:g}th percentile",
        )
    if 50.0 in pct:
        ax.plot(times, pct[50.0], color="navy", lw=2, gid="p50", label="median")
    ax.plot(times, np.nanmean(values, axis=0), "k--", lw=1.2, gid="mean", label="mean")
    ax.set_xlim(times[0], times[-1])
    ax.set_xlabel("Time (years)")
    ax.set_ylabel(f"Cumulative net outflow ({result.money_unit})")
    ax.set_title(f"Government exposure over time\n{_subtitle(result, len(paths))}")
    ax.legend(loc="lower right", fontsize="small")
    return _figure_of(ax)


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
) -> Figure:
    """Paired comparison of one measure in two scenarios run on common random numbers.

    Replications are paired by index (replication number); only those in both
    are used. The *difference* panel is a histogram of ``a - b`` per
    replication with the mean difference and its 95% confidence interval
    (:func:`fundflow.metrics.paired_difference`); the *scatter* panel plots
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
    unit = unit or _unit(measure, money_a or money_b)
    axes = _panel_axes(ax, len(panels))
    draw = {"difference": _draw_difference, "scatter": _draw_scatter}
    for panel, axis in zip(panels, axes, strict=True):
        draw[panel](axis, a, b, measure, labels, unit)
    return _figure_of(axes[0])


def _panel_axes(ax: Axes | Sequence[Axes] | None, n: int) -> list[Axes]:
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.5 * n, 4.8), layout="constrained")
        return list(np.atleast_1d(fig.subplots(1, n)))
    axes = list(ax) if isinstance(ax, Sequence | np.ndarray) else [ax]
    if len(axes) != n:
        raise ValueError(f"this kind of comparison draws {n} panel(s), got {len(axes)} Axes.")
    return axes


def _draw_difference(
    ax: Axes, a: np.ndarray, b: np.ndarray, measure: str, labels: tuple[str, str], unit: str | None
) -> None:
    d = metrics.paired_difference(a, b)
    diff = a - b
    ax.hist(diff, bins=_bins(diff.size), color="tab:blue", alpha=0.6, label="replications")
    ax.axvline(0.0, color="0.4", lw=1, gid="zero", label="no difference")
    if math.isfinite(d["ci_low"]):
        ax.axvspan(
            d["ci_low"],
            d["ci_high"],
            color="tab:red",
            alpha=0.2,
            gid="ci",
            label=f"95% CI [{_fmt(d['ci_low'])}, {_fmt(d['ci_high'])}]",
        )
    ax.axvline(
        d["mean_diff"],
        color="tab:red",
        lw=2,
        gid="mean_diff",
        label=f"mean = {_fmt(d['mean_diff'])}",
    )
    ax.set_xlabel(f"{labels[0]} − {labels[1]}" + (f" ({unit})" if unit else ""))
    ax.set_ylabel("Replications (count)")
    ax.set_title(f"Paired difference in {_label(measure, capital=False)}\n{d['n']:,} pairs")
    _legend_outside(ax, title=f"values in {unit}" if unit else None)


def _draw_scatter(
    ax: Axes, a: np.ndarray, b: np.ndarray, measure: str, labels: tuple[str, str], unit: str | None
) -> None:
    share = float(np.mean(a > b))
    ax.scatter(a, b, s=12, alpha=0.6, label=f"replications ({labels[0]} higher in {share:.0%})")
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.05 * (hi - lo) or 1.0
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.4", lw=1, gid="diagonal")
    ax.lines[-1].set_label(f"{labels[1]} = {labels[0]}")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal", adjustable="box")
    suffix = f" ({unit})" if unit else ""
    ax.set_xlabel(f"{labels[0]}{suffix}")
    ax.set_ylabel(f"{labels[1]}{suffix}")
    ax.set_title(f"{_label(measure)}: {labels[1]} vs {labels[0]}\nsame replications")
    ax.legend(fontsize="small", loc="upper left")


# --------------------------------------------------------------------------- exploration


def sweep_response(
    table: pd.DataFrame | Any,
    lever: str,
    measure: str,
    ax: Axes | None = None,
    err: str | None = None,
    hue: str | None = None,
    *,
    units: Mapping[str, str] | None = None,
    err_multiplier: float = 1.96,
) -> Figure:
    """Response curve of a summary measure against a lever, from a sweep's table.

    One line per value of `hue` (or a single line), points sorted by the lever.
    Where several rows share a lever value within a group (an LHS or Sobol
    design over several levers), the points are not joined.

    Parameters
    ----------
    table : pandas.DataFrame or SweepResult
        One row per design point: lever columns and summary-measure columns
        (:func:`fundflow.sweep`'s ``table``, or the result itself, whose
        scenario names the money unit; for a bare frame,
        ``table.attrs["money_unit"]`` or ``units["money"]`` does).
    lever : str
        The column on the horizontal axis (e.g. ``"government.matching.ratio"``).
    measure : str
        The column on the vertical axis (e.g. ``"gov_net_cost_cvar95"``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    err : str, optional
        A column of standard errors of `measure` (e.g. ``"gov_net_cost_se"``);
        drawn as bars of ``± err_multiplier * err``.
    hue : str, optional
        A column that groups the rows into lines (e.g. a second lever).
    units : mapping of str to str, optional
        Units by column name (a lever's unit, say), and the money unit under
        ``"money"``; measures and ``{measure}_{statistic}`` columns otherwise
        take theirs from :mod:`fundflow.labels`.
    err_multiplier : float, default 1.96
        1.96 turns a standard error into a 95% interval; 1 draws the column as is.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; each line has ``gid`` ``"response"`` or
        ``f"{hue}={value}"``.

    Raises
    ------
    ValueError
        If a named column is missing or the table is empty.
    """
    table, money_unit = _table_of(table)
    _require_columns(table, [c for c in (lever, measure, err, hue) if c is not None], "column")
    if table.empty:
        raise ValueError("the sweep table is empty.")
    ax = _new_axes(ax)
    groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=True))
    for k, (key, rows) in enumerate(groups):
        rows = rows.sort_values(lever)
        joined = not rows[lever].duplicated().any()
        bars = ax.errorbar(
            rows[lever].to_numpy(),
            rows[measure].to_numpy(dtype=float),
            yerr=None if err is None else err_multiplier * rows[err].to_numpy(dtype=float),
            fmt="o-" if joined else "o",
            color=f"C{k}",
            ms=4,
            capsize=3,
            label=_label(measure) if hue is None else str(key),
        )
        bars.lines[0].set_gid("response" if hue is None else f"{hue}={key!s}")
    lever_unit = _column_unit(lever, units, money_unit)
    ax.set_xlabel(f"{lever} ({lever_unit})" if lever_unit else lever)
    ax.set_ylabel(_axis_label(measure, _column_unit(measure, units, money_unit)))
    ax.set_title(f"{_label(measure)} vs {lever}\n{len(table):,} design points")
    title = None if hue is None else hue
    if err is not None:
        title = (title + "; " if title else "") + f"bars ± {err_multiplier:g} × {err}"
    ax.legend(title=title, fontsize="small", title_fontsize="small")
    return _figure_of(ax)


def tornado(
    sensitivity_frame: pd.DataFrame,
    output: str,
    ax: Axes | None = None,
    index: str | Sequence[str] = "ST",
    *,
    unit: str | None = None,
) -> Figure:
    """Horizontal bar chart of sensitivity indices per input, largest at the top.

    Parameters
    ----------
    sensitivity_frame : pandas.DataFrame
        Tidy indices: columns ``input``, ``output`` (optional when there is one
        output) and index columns such as ``S1``, ``ST``, ``S1_conf``,
        ``ST_conf`` (SALib Sobol) or ``mu_star``, ``mu_star_conf`` (Morris).
    output : str
        Which output's rows to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    index : str or sequence of str, default "ST"
        Index column(s) to draw side by side; inputs are sorted by the first.
        ``f"{index}_conf"`` columns, when present, are drawn as whiskers.
    unit : str, optional
        Unit of `output`, for Morris indices (which are in the output's unit);
        by default from :mod:`fundflow.labels`, money in
        ``sensitivity_frame.attrs["money_unit"]`` when set.
        Sobol indices are shares of the output's variance.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; the bars of each index have ``gid`` ``index``.

    Raises
    ------
    ValueError
        If a column is missing or no row has this output.
    """
    names = [index] if isinstance(index, str) else list(index)
    _require_columns(sensitivity_frame, ["input", *names], "column")
    rows = sensitivity_frame
    if "output" in rows.columns:
        rows = rows[rows["output"] == output]
        if rows.empty:
            outputs = sorted(map(str, sensitivity_frame["output"].unique()))
            raise ValueError(f"output {output!r} has no rows; outputs are {outputs}.")
    rows = rows.sort_values(names[0], ascending=True, na_position="first")
    ax = _new_axes(ax, figsize=(8.0, max(3.0, 1.4 + 0.45 * len(rows) * len(names))))
    y = np.arange(len(rows), dtype=float)
    height = 0.8 / len(names)
    for k, name in enumerate(names):
        conf = f"{name}_conf"
        ax.barh(
            y + (len(names) - 1 - 2 * k) * height / 2,
            rows[name].to_numpy(dtype=float),
            height=height,
            xerr=rows[conf].to_numpy(dtype=float) if conf in rows.columns else None,
            color=f"C{k}",
            capsize=3,
            gid=name,
            label=_INDEX_NAMES.get(name, name),
        )
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_yticks(y, [str(v) for v in rows["input"]])
    if all(n.startswith(("mu", "sigma")) for n in names):
        unit = unit or _unit(output, sensitivity_frame.attrs.get("money_unit"))
        ax.set_xlabel(f"Morris elementary effect ({unit or 'unit of the output'})")
    else:
        ax.set_xlabel("Sobol index (share of output variance)")
    ax.set_ylabel("Input")
    title = textwrap.fill(f"Sensitivity of {_label(output, capital=False)}", 60)
    ax.set_title(f"{title}\n{len(rows)} inputs")
    ax.legend(
        title="whiskers: 95% confidence" if any(f"{n}_conf" in rows for n in names) else None,
        fontsize="small",
        title_fontsize="small",
        loc="lower right",
    )
    return _figure_of(ax)


def pareto_mask(values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which rows of an ``(n, 2)`` array are Pareto-efficient when minimising both columns.

    A row is efficient if no other row is at least as good in both columns and
    better in one. Rows holding NaN are never efficient.

    Examples
    --------
    >>> pareto_mask([[1, 3], [2, 2], [3, 3], [2, 1]]).tolist()
    [True, False, False, True]
    """
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v).any(axis=1)
    mask = ok.copy()
    for i in np.flatnonzero(ok):
        le = (v[ok] <= v[i]).all(axis=1)
        lt = (v[ok] < v[i]).any(axis=1)
        mask[i] = not (le & lt).any()
    return mask


def pareto_front(
    points: pd.DataFrame | Any,
    x: str,
    y: str,
    front_mask: npt.ArrayLike | str | None = None,
    ax: Axes | None = None,
    *,
    feasible: npt.ArrayLike | str | None = None,
    units: Mapping[str, str] | None = None,
) -> Figure:
    """Design points in (government risk, solver risk), the Pareto-efficient ones joined.

    Parameters
    ----------
    points : pandas.DataFrame, SweepResult or OptimizeResult
        One row per design point (a sweep's ``table``, an optimisation's
        ``evaluations``, or the result itself, whose scenario names the money
        unit; for a bare frame, ``points.attrs["money_unit"]`` or
        ``units["money"]`` does).
    x, y : str
        Columns on the axes, e.g. ``"gov_net_cost_cvar95"`` and
        ``"solver_loss_share_mean"``.
    front_mask : array_like of bool or str, optional
        Which points are efficient (or the name of a boolean column); by
        default :func:`pareto_mask`, minimising both `x` and `y`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure by default.
    feasible : array_like of bool or str, optional
        Which designs meet the constraints (or a boolean column, such as an
        optimisation's ``"feasible"``); infeasible ones are drawn hollow.
    units : mapping of str to str, optional
        Units by column name, and the money unit under ``"money"``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; the joining line has ``gid`` ``"front_line"``,
        the non-empty groups of points ``"points"``, ``"front"``,
        ``"points_infeasible"`` and ``"front_infeasible"``, each labelled with
        its count.

    Raises
    ------
    ValueError
        If a column is missing or a mask has the wrong length.
    """
    points, money_unit = _table_of(points)
    _require_columns(points, [x, y], "column")
    if front_mask is None:
        mask = pareto_mask(points[[x, y]].to_numpy(dtype=float))
    else:
        mask = _row_mask(points, front_mask, "front_mask")
    ok = np.ones(len(points), bool) if feasible is None else _row_mask(points, feasible, "feasible")
    ax = _new_axes(ax)
    front = points[mask].sort_values([x, y])
    ax.plot(front[x], front[y], color="tab:red", lw=1.2, gid="front_line")
    styles = (
        ("points", ~mask & ok, "0.6", 18, "dominated"),
        ("points_infeasible", ~mask & ~ok, "0.6", 18, "dominated, infeasible"),
        ("front", mask & ok, "tab:red", 36, "Pareto-efficient"),
        ("front_infeasible", mask & ~ok, "tab:red", 36, "Pareto-efficient, infeasible"),
    )
    for gid, rows, color, size, label in styles:
        if not rows.any():
            continue
        hollow = gid.endswith("_infeasible")
        ax.scatter(
            points.loc[rows, x], points.loc[rows, y], s=size, zorder=3, gid=gid,
            label=f"{label} ({int(rows.sum())})",
            facecolors="none" if hollow else color, edgecolors=color,
        )  # fmt: skip
    ax.set_xlabel(_axis_label(x, _column_unit(x, units, money_unit)))
    ax.set_ylabel(_axis_label(y, _column_unit(y, units, money_unit)))
    ax.set_title(f"Pareto front: government vs solver risk\n{len(points):,} design points")
    ax.legend(fontsize="small")
    return _figure_of(ax)


def _row_mask(points: pd.DataFrame, mask: npt.ArrayLike | str, what: str) -> npt.NDArray[np.bool_]:
    """One boolean per row of `points`, from an array or a column name."""
    if isinstance(mask, str):
        _require_columns(points, [mask], what)
        mask = points[mask].to_numpy()
    out = np.asarray(mask, dtype=bool)
    if out.shape != (len(points),):
        raise ValueError(f"{what} has shape {out.shape}; expected ({len(points)},).")
    return out


# --------------------------------------------------------------------------- files


def _save_png(fig: Figure, path: Path) -> Path:
    """Write `fig` to `path` through the Agg canvas, via a temporary file in the same directory."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh:  # a fresh name, created with the usual permissions
            fig.savefig(fh, format="png", dpi=DPI)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_run_plots(
    result: SimulationResult, directory: str | os.PathLike[str], *, prefix: str = ""
) -> list[Path]:
    """Write the standard PNGs of a run into `directory` (created if missing).

    Files: ``loss_gov_net_cost.png`` and ``loss_solver_loss.png``
    (:func:`loss_distribution`), ``exceedance.png`` (:func:`exceedance_curve`)
    and ``exposure_fan.png`` (:func:`exposure_fan`), each prefixed with
    `prefix`, at :data:`DPI` dots per inch. Each is drawn on its own Figure
    with the Agg canvas (no pyplot) and written to a temporary name, then
    renamed, so a reader never sees a half-written file.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    directory : str or path-like
        Where to write.
    prefix : str, default ""
        Prepended to every file name (e.g. ``"baseline_"``).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "loss_gov_net_cost": lambda: loss_distribution(result, "gov_net_cost"),
        "loss_solver_loss": lambda: loss_distribution(result, "solver_loss"),
        "exceedance": lambda: exceedance_curve(result),
        "exposure_fan": lambda: exposure_fan(result),
    }
    return [_save_png(make(), out / f"{prefix}{name}.png") for name, make in figures.items()]
