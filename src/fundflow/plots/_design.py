"""Design-exploration figures: sweep responses, sensitivity tornadoes, Pareto fronts."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fundflow.io.labels import check_lang, text
from fundflow.plots._axes import (
    _axis_label,
    _column_unit,
    _figure_of,
    _label,
    _language,
    _new_axes,
    _require_columns,
    _table_of,
    _unit,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_INDEX_NAMES = {
    "S1": ("first-order Sobol index S1", "一阶 Sobol 指数 S1"),
    "ST": ("total-order Sobol index ST", "总效应 Sobol 指数 ST"),
    "mu_star": ("Morris μ*", "Morris μ*"),
    "mu": ("Morris μ", "Morris μ"),
    "sigma": ("Morris σ", "Morris σ"),
}


def _index_name(name: str, lang: str) -> str:
    pair = _INDEX_NAMES.get(name)
    return name if pair is None else pair[lang == "zh"]


def _with_unit(label: str, unit: str | None, lang: str) -> str:
    if not unit:
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


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
    lang: str = "en",
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
        take theirs from :mod:`fundflow.io.labels`.
    err_multiplier : float, default 1.96
        1.96 turns a standard error into a 95% interval; 1 draws the column as is.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend.

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
    check_lang(lang)
    table, money_unit = _table_of(table)
    _require_columns(table, [c for c in (lever, measure, err, hue) if c is not None], "column")
    if table.empty:
        raise ValueError("the sweep table is empty.")
    with _language(lang):
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
                label=_label(measure, lang=lang) if hue is None else str(key),
            )
            bars.lines[0].set_gid("response" if hue is None else f"{hue}={key!s}")
        lever_unit = _column_unit(lever, units, money_unit, lang)
        ax.set_xlabel(_with_unit(lever, lever_unit, lang))
        ax.set_ylabel(_axis_label(measure, _column_unit(measure, units, money_unit, lang), lang))
        head = text("fig_response", lang, measure=_label(measure, lang=lang), lever=lever)
        ax.set_title(f"{head}\n{text('fig_design_points', lang, n=len(table))}")
        title = None if hue is None else hue
        if err is not None:
            bars_text = text("fig_error_bars", lang, k=f"{err_multiplier:g}", err=err)
            title = (title + "; " if title else "") + bars_text
        ax.legend(title=title, fontsize="small", title_fontsize="small")
    return _figure_of(ax)


def tornado(
    sensitivity_frame: pd.DataFrame,
    output: str,
    ax: Axes | None = None,
    index: str | Sequence[str] = "ST",
    *,
    unit: str | None = None,
    lang: str = "en",
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
        by default from :mod:`fundflow.io.labels`, money in
        ``sensitivity_frame.attrs["money_unit"]`` when set.
        Sobol indices are shares of the output's variance.
    lang : {"en", "zh"}, default "en"
        Language of the titles, axis labels and legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; the bars of each index have ``gid`` ``index``.

    Raises
    ------
    ValueError
        If a column is missing or no row has this output.
    """
    check_lang(lang)
    names = [index] if isinstance(index, str) else list(index)
    _require_columns(sensitivity_frame, ["input", *names], "column")
    rows = sensitivity_frame
    if "output" in rows.columns:
        rows = rows[rows["output"] == output]
        if rows.empty:
            outputs = sorted(map(str, sensitivity_frame["output"].unique()))
            raise ValueError(f"output {output!r} has no rows; outputs are {outputs}.")
    rows = rows.sort_values(names[0], ascending=True, na_position="first")
    with _language(lang):
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
                label=_index_name(name, lang),
            )
        ax.axvline(0.0, color="0.3", lw=0.8)
        ax.set_yticks(y, [str(v) for v in rows["input"]])
        if all(n.startswith(("mu", "sigma")) for n in names):
            unit = unit or _unit(output, sensitivity_frame.attrs.get("money_unit"), lang)
            ax.set_xlabel(text("fig_morris", lang, unit=unit or text("fig_output_unit", lang)))
        else:
            ax.set_xlabel(text("fig_sobol", lang))
        ax.set_ylabel(text("fig_input", lang))
        name = _label(output, capital=False, lang=lang)
        title = textwrap.fill(text("fig_sensitivity", lang, output=name), 60)
        ax.set_title(f"{title}\n{text('fig_inputs', lang, n=len(rows))}")
        whiskers = any(f"{n}_conf" in rows for n in names)
        ax.legend(
            title=text("fig_whiskers", lang) if whiskers else None,
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
    lang: str = "en",
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
    lang : {"en", "zh"}, default "en"
        Language of the title, axis labels and legend.

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
    check_lang(lang)
    points, money_unit = _table_of(points)
    _require_columns(points, [x, y], "column")
    if front_mask is None:
        mask = pareto_mask(points[[x, y]].to_numpy(dtype=float))
    else:
        mask = _row_mask(points, front_mask, "front_mask")
    ok = np.ones(len(points), bool) if feasible is None else _row_mask(points, feasible, "feasible")
    with _language(lang):
        ax = _new_axes(ax)
        front = points[mask].sort_values([x, y])
        ax.plot(front[x], front[y], color="tab:red", lw=1.2, gid="front_line")
        styles = (
            ("points", ~mask & ok, "0.6", 18, text("fig_dominated", lang)),
            ("points_infeasible", ~mask & ~ok, "0.6", 18, text("fig_dominated_inf", lang)),
            ("front", mask & ok, "tab:red", 36, text("fig_efficient", lang)),
            ("front_infeasible", mask & ~ok, "tab:red", 36, text("fig_efficient_inf", lang)),
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
        ax.set_xlabel(_axis_label(x, _column_unit(x, units, money_unit, lang), lang))
        ax.set_ylabel(_axis_label(y, _column_unit(y, units, money_unit, lang), lang))
        head = text("fig_pareto", lang)
        ax.set_title(f"{head}\n{text('fig_design_points', lang, n=len(points))}")
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
