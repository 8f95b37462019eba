"""Axes, labels, units and number formats shared by the figures of :mod:`fundflow.plots`.

New Axes come from a :class:`matplotlib.figure.Figure` made without pyplot;
matplotlib is imported only when one is made. Labels and units are the
package's own (:mod:`fundflow.io.labels`), extended to sweep columns such as
``gov_net_cost_cvar95``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from fundflow.io import labels as _labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_FIGSIZE = (7.0, 4.5)

# Summary statistics that may end a sweep column's name, longest first.


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = _FIGSIZE) -> Axes:
    """Return `ax`, or the single Axes of a new pyplot-free Figure."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()


def _panel_axes(ax: Axes | Sequence[Axes] | None, n: int) -> list[Axes]:
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.5 * n, 4.8), layout="constrained")
        return list(np.atleast_1d(fig.subplots(1, n)))
    axes = list(ax) if isinstance(ax, Sequence | np.ndarray) else [ax]
    if len(axes) != n:
        raise ValueError(f"this kind of comparison draws {n} panel(s), got {len(axes)} Axes.")
    return axes


def _figure_of(ax: Axes) -> Figure:
    """The root Figure that holds `ax` (through any SubFigure)."""
    parent = ax.figure  # a Figure, or a SubFigure whose .figure is the root
    return cast("Figure", parent.figure)


def _split(name: str) -> tuple[str, str | None]:
    """``gov_net_cost_cvar95`` -> ``("gov_net_cost", "cvar95")``; others -> ``(name, None)``."""
    return _labels.split_statistic(name)


def _lower_first(text: str) -> str:
    """Lower-case a leading ordinary word (``Mean`` -> ``mean``; ``VaR``, ``CI`` kept)."""
    word = text.split(" ", 1)[0].rstrip(".,")
    if len(word) > 1 and word.isalpha() and word[1:].islower():
        return text[0].lower() + text[1:]
    return text


def _label(name: str, *, capital: bool = True, lang: str = "en") -> str:
    """The package's label of a measure (:mod:`fundflow.io.labels`), or of a sweep column.

    ``gov_net_cost`` -> ``Government all-in net cost``; ``gov_net_cost_cvar95`` ->
    ``Government all-in net cost, CVaR 95%``; names without a label are kept as they are.
    """
    base, stat = _split(str(name))
    text = _labels.label(base, lang)
    if lang != "en":
        return text if stat is None else f"{text}，{_labels.label(stat, lang)}"
    if stat is not None:
        text = f"{text}, {_lower_first(_labels.label(stat))}"
    return text if capital else _lower_first(text)


def _unit(name: str, money_unit: str | None, lang: str = "en") -> str | None:
    """The unit shown for a measure or sweep column; None when unitless or unknown."""
    base, stat = _split(str(name))
    kind = _labels.unit_of(stat or base)
    if kind == "same":
        kind = _labels.unit_of(base)
    return _labels.unit_text(kind, lang, money_unit=money_unit or "money") or None


def _axis_label(name: str, unit: str | None, lang: str = "en") -> str:
    if not unit:
        return _label(name, lang=lang)
    return f"{_label(name, lang=lang)}（{unit}）" if lang == "zh" else f"{_label(name)} ({unit})"


@functools.cache
def _cjk_family() -> str:
    """Register the bundled Chinese font with matplotlib (once) and return its family.

    The font is Noto Sans SC (SIL Open Font License 1.1) from the
    ``pylopdf-fonts-zh-cn`` package, a dependency of fundflow, so Chinese figures
    never depend on the fonts of the machine and never show empty boxes.
    """
    from matplotlib import font_manager

    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError as exc:  # an installation without fundflow's dependencies
        raise ImportError(
            "Chinese figures need the font package pylopdf-fonts-zh-cn "
            "(pip install pylopdf-fonts-zh-cn)"
        ) from exc
    path = str(sans_path())
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


@contextlib.contextmanager
def _language(lang: str) -> Iterator[None]:
    """Draw in `lang`: for Chinese, text made inside the block uses the bundled CJK font.

    Latin letters and digits too; tick labels made when the figure is drawn later
    keep matplotlib's default font. The font is set through
    :func:`matplotlib.rc_context`, so matplotlib's global settings are as they were
    after the block.
    """
    _labels.check_lang(lang)
    if lang != "zh":
        yield
        return
    import matplotlib as mpl

    # Concrete family names, not "sans-serif": a text keeps them, so a figure drawn
    # after the block (in a notebook) still finds the font; DejaVu Sans, which
    # matplotlib ships, for any glyph the CJK font lacks.
    with mpl.rc_context({"font.family": [_cjk_family(), "DejaVu Sans"]}):
        yield


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
    column: str, units: Mapping[str, str] | None, money_unit: str | None, lang: str = "en"
) -> str | None:
    """Unit of a column: `units` first (money unit under ``"money"``), else from the labels."""
    if units and column in units:
        return units[column]
    return _unit(column, (units or {}).get("money") or money_unit, lang)


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


def _bins(n: int) -> int:
    return int(min(50, max(10, round(math.sqrt(n)))))


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ``ValueError`` naming a missing column and the nearest existing one."""
    have = [str(c) for c in table.columns]
    for column in columns:
        if column not in table.columns:
            near = difflib.get_close_matches(str(column), have, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; columns are {have}"
            raise ValueError(f"{what} {column!r} is not a column of the table{hint}")
