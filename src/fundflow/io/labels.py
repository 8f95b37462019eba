"""Readable labels and units, in English and Chinese: one table for the whole package.

Every measure of the ``runs`` and ``routes`` tables, every column of a summary or
a comparison, every party, every route status, every matching mode and every
sentence the command line prints or a figure shows (kind ``"text"``) has one row
in :data:`LABELS`:
its English and Chinese label and its unit. Units are kinds, not strings:

* ``"money"`` -- the scenario's ``money_unit`` (``"CNY million"``; in Chinese a
  known unit is translated: ``"百万元"``, ``"CNY 10 thousand"`` ``"万元"``,
  ``"CNY 100 million"`` ``"亿元"``);
* ``"years"``, ``"count"``, ``"share"`` (a fraction in [0, 1], shown as a
  percentage), ``"ratio"`` (a multiple);
* ``"pp"`` -- a difference of two shares, kept as a fraction and shown in
  percentage points (``-0.016`` -> ``-1.6 pp``), so that it is never read as a
  relative change (:func:`difference_unit`);
* ``"same"`` -- a summary statistic in the unit of the measure it describes (mean,
  percentiles, VaR...);
* ``None`` -- no unit (identifiers, names, flags).

Nothing else in fundflow spells out a label: the CLI, the exports and the
summary relabelling all read this table. A measure added to
:mod:`fundflow.results.measures` needs a row too (a test checks it), in
:mod:`fundflow.io._label_rows` (the per-challenge and per-year tables:
:mod:`fundflow.io._label_tables`;
sentences: :mod:`fundflow.io._label_text`); until it
has one it is shown under its code name, never dropped. The summary statistics
(``mean``, ``cvar95``...) bring their rows with them: each is registered, with its
labels and unit, in :mod:`fundflow.results.statistics`, and the table has a row for
every statistic registered there (for a statistic of a level, any level:
``var97.5``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fundflow.errors import ConfigError
from fundflow.io._label_rows import ROWS
from fundflow.io._label_tables import TABLE_ROWS
from fundflow.io._label_text import TEXT_ROWS
from fundflow.results import statistics

if TYPE_CHECKING:  # imported where a table is relabelled: `fundflow init --list` needs no pandas
    import pandas as pd

__all__ = [
    "LABELS",
    "LANGS",
    "UNITS",
    "Label",
    "check_lang",
    "difference_unit",
    "format_number",
    "format_values",
    "header",
    "label",
    "relabel_columns",
    "relabel_summary",
    "text",
    "unit_of",
    "unit_text",
    "value_format",
]

#: Languages with labels.
LANGS: tuple[str, ...] = ("en", "zh")

#: Unit kinds a label may carry (``None``: no unit).
UNITS: tuple[str, ...] = ("money", "years", "count", "share", "ratio", "pp", "same")


@dataclass(frozen=True)
class Label:
    """One row of the label table."""

    name: str
    kind: str  # "measure", "statistic", "sensitivity", "party", "status", "mode", "text"
    unit: str | None
    en: str
    zh: str


# name, kind, unit, English, Chinese: measures, statistics, parties, statuses, sentences
_ROWS: tuple[tuple[str, str, str | None, str, str], ...] = ROWS + TABLE_ROWS + TEXT_ROWS


class _LabelTable(Mapping[str, Label]):
    """The rows above, then one per statistic registered in :mod:`fundflow.results.statistics`
    (read when asked for, so a statistic registered later has its row)."""

    def __init__(self, rows: Mapping[str, Label]) -> None:
        self._rows = dict(rows)

    def __getitem__(self, name: str) -> Label:
        row = self._rows.get(name)
        if row is not None:
            return row
        entry = _entry_value_label(name)
        if entry is not None:
            return entry
        found = statistics.find(name)
        if found is None:
            raise KeyError(name)
        stat, level = found
        return Label(name, "statistic", stat.unit, *stat.labels(level))

    def __iter__(self) -> Iterator[str]:
        yield from self._rows
        yield from (c for c in statistics.columns() if c not in self._rows)

    def __len__(self) -> int:
        return sum(1 for _ in self)


_ENTRY_VALUE = re.compile(r"^entry_value_k(\d+)(_ci_low|_ci_high)?$")


def _entry_value_label(name: str) -> Label | None:
    """The label of a challenges-table column ``entry_value_k{k}`` (and its interval)."""
    m = _ENTRY_VALUE.match(name)
    if m is None:
        return None
    k, bound = int(m.group(1)), m.group(2)
    en = f"Expected NPV per route with {k} route{'s' if k > 1 else ''}, V({k})"
    zh = f"{k}条路线时每条路线期望净现值 V({k})"
    if bound:
        en += ", 95% CI " + ("low" if bound == "_ci_low" else "high")
        zh += "95%置信区间" + ("下限" if bound == "_ci_low" else "上限")
    return Label(name, "measure", "money", en, zh)


#: Every label by name.
LABELS: Mapping[str, Label] = _LabelTable({row[0]: Label(*row) for row in _ROWS})

_UNIT_TEXT: dict[str, tuple[str, str]] = {
    "years": ("years", "年"),
    "count": ("count", "个"),
    "share": ("share", "比例"),
    "ratio": ("ratio", "倍"),
    "pp": ("percentage points", "百分点"),
}

# Money units with a usual Chinese name; others are shown as written.
_MONEY_ZH: dict[str, str] = {
    "CNY": "元",
    "CNY thousand": "千元",
    "CNY 10 thousand": "万元",
    "CNY ten thousand": "万元",
    "CNY million": "百万元",
    "CNY 100 million": "亿元",
    "CNY hundred million": "亿元",
    "CNY billion": "十亿元",
    "USD": "美元",
    "USD million": "百万美元",
}


def check_lang(lang: str, option: str = "lang") -> str:
    """Return `lang` if labels exist for it, else raise :class:`ConfigError` naming `option`."""
    if lang not in LANGS:
        raise ConfigError(option, lang, f"must be one of {', '.join(LANGS)}")
    return lang


def label(name: str, lang: str = "en") -> str:
    """The label of `name` in `lang` (the name itself when the table has no row for it)."""
    check_lang(lang)
    row = LABELS.get(str(name))
    if row is None:
        return str(name)
    return row.zh if lang == "zh" else row.en


def text(name: str, lang: str = "en", /, **fields: object) -> str:
    """A sentence of the command line or of a figure in `lang`, `fields` filled in.

    Examples
    --------
    >>> text("msg_replications", "zh", runs=10000)
    '10,000 次模拟'
    """
    return label(name, lang).format(**fields)


def unit_of(name: str) -> str | None:
    """The unit kind of `name` (``None`` for unknown names and unitless columns)."""
    row = LABELS.get(str(name))
    return row.unit if row else None


def unit_text(unit: str | None, lang: str = "en", money_unit: str = "CNY million") -> str:
    """The unit as shown in a header: ``"CNY million"``, ``"百万元"``, ``"years"``..."""
    check_lang(lang)
    if unit is None or unit == "same":
        return ""
    if unit == "money":
        return _MONEY_ZH.get(money_unit, money_unit) if lang == "zh" else money_unit
    en, zh = _UNIT_TEXT[unit]
    return zh if lang == "zh" else en


def difference_unit(unit: str | None) -> str | None:
    """The unit of a difference of two values in `unit`: shares differ in percentage points.

    A change from 12.0% to 10.4% is ``-1.6 pp``; ``-1.6%`` would read as a relative
    change. Other units are unchanged.
    """
    return "pp" if unit == "share" else unit


def header(
    name: str, lang: str = "en", money_unit: str = "CNY million", unit: str | None = None
) -> str:
    """Label with its unit: ``"Government budget cost (CNY million)"``, ``"财政净支出（百万元）"``.

    `unit` overrides the table's unit (used for a statistic in its measure's unit).
    """
    text = label(name, lang)
    shown = unit_text(unit if unit is not None else unit_of(name), lang, money_unit)
    if not shown:
        return text
    return f"{text}（{shown}）" if lang == "zh" else f"{text} ({shown})"


def _statistic_names() -> list[str]:
    """Names of the statistics' labels, longest first."""
    return sorted((n for n, r in LABELS.items() if r.kind == "statistic"), key=len, reverse=True)


def split_statistic(name: str) -> tuple[str, str | None]:
    """A sweep column as (measure, statistic): ``gov_net_cost_cvar95`` -> ``(gov_net_cost,
    cvar95)``; a name with a label of its own, or no known suffix -> ``(name, None)``."""
    if name not in LABELS:
        for stat in _statistic_names():  # longest first: "_prob_loss" before "_loss"
            base = name[: -len(stat) - 1]
            if name.endswith(f"_{stat}") and base in LABELS:
                return base, stat
    return name, None


def column_header(name: str, lang: str = "en", money_unit: str = "CNY million") -> str:
    """Header of a measure or a sweep column: ``"Government all-in net cost, CVaR 95% (CNY
    million)"``; statistics in their measure's unit unless they have their own."""
    base, stat = split_statistic(name)
    if stat is None:
        return header(name, lang, money_unit)
    unit = unit_of(stat)
    text = f"{label(base, lang)}{'，' if lang == 'zh' else ', '}{label(stat, lang)}"
    if text and lang == "en":
        first, _, rest = label(stat, lang).partition(" ")
        if first.isalpha() and first[1:].islower():
            text = f"{label(base, lang)}, {first.lower()} {rest}".rstrip()
    shown = unit_text(unit_of(base) if unit in (None, "same") else unit, lang, money_unit)
    if not shown:
        return text
    return f"{text}（{shown}）" if lang == "zh" else f"{text} ({shown})"


def relabel_summary(
    summary: pd.DataFrame, lang: str = "en", money_unit: str = "CNY million"
) -> pd.DataFrame:
    """A summary (or comparison) table with readable row and column labels.

    Rows (measures) are labelled with their unit, ``"Government all-in net cost (CNY
    million)"``; columns (statistics) with their names, ``"Mean"``, ``"CVaR 95%"``.
    The values are unchanged.

    Raises
    ------
    ConfigError
        If `lang` is not one of :data:`LANGS`.
    """
    import pandas as pd

    check_lang(lang)
    out = summary.copy()
    out.index = pd.Index(
        [header(m, lang, money_unit) for m in summary.index], name=label("measure", lang)
    )
    out.columns = pd.Index([label(c, lang) for c in summary.columns])
    return out


def relabel_columns(
    frame: pd.DataFrame, lang: str = "en", money_unit: str = "CNY million"
) -> pd.DataFrame:
    """A runs or routes table with headers ``label (unit)``, index levels labelled too.

    Route status values and party names in a column are translated as well.
    """
    import pandas as pd

    check_lang(lang)
    out = frame.copy()
    if "status" in out.columns and lang != "en":
        out["status"] = [label(str(s), lang) for s in out["status"]]
    out.columns = pd.Index([header(str(c), lang, money_unit) for c in frame.columns])
    out.index = out.index.set_names([label(str(n), lang) if n else n for n in frame.index.names])
    return out


# --------------------------------------------------------------------------- numbers


def _number_format(unit: str | None, values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    if unit == "share":
        return "{:.1%}"
    if unit == "pp":  # applied to 100 x the value (format_values)
        return "{:,.1f} pp"
    if unit == "money":
        return "{:,.2f}"
    if unit == "count":
        return "{:,.0f}" if np.all(finite == np.round(finite)) else "{:,.2f}"
    if unit in ("years", "ratio"):
        return "{:.2f}"
    if finite.size and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e15):
        return "{:.0f}"
    return "{:.4g}"


def value_format(values: Iterable[object], unit: str | None) -> str | None:
    """The format spec numbers of a column get in `unit` (``"{:,.2f}"``); None for text.

    Computed once over a whole column so that its chunks are formatted alike.
    """
    arr = _as_array(values)
    if arr.dtype.kind not in "iuf":
        return None
    return _number_format(unit, arr.astype(float))


def _as_array(values: Iterable[object]) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if arr.dtype.kind == "O":
        try:
            return arr.astype(float)
        except (TypeError, ValueError):
            return arr
    return arr


def format_values(
    values: Iterable[object], unit: str | None, missing: str = "", fmt: str | None = None
) -> list[str]:
    """Format a column of values for display in `unit` (money ``1,234.50``, share ``62.3%``).

    Numbers in one column share a format (`fmt`, by default :func:`value_format`
    of `values`); text and flags are shown as they are; NaN and None as `missing`.
    A negative number that rounds to zero is shown without its sign (``0.00``,
    never ``-0.00``).
    """
    arr = _as_array(values)
    if arr.dtype.kind not in "iuf":
        return [missing if _is_missing(v) else str(v) for v in arr.tolist()]
    floats = arr.astype(float)
    if unit == "pp":
        floats = 100.0 * floats
    spec = fmt or _number_format(unit, floats)
    text = list(map(spec.format, floats.tolist()))
    for i in np.flatnonzero(np.signbit(floats) & (floats > -1.0)).tolist():
        if not any(c in "123456789" for c in text[i]):  # "-0.00", "-0.0%", "-0"
            text[i] = text[i].replace("-", "", 1)
    for i in np.flatnonzero(~np.isfinite(floats)).tolist():
        text[i] = missing if math.isnan(floats[i]) else str(floats[i])
    return text


def format_number(value: object, unit: str | None, missing: str = "") -> str:
    """Format one value for display in `unit` (see :func:`format_values`)."""
    return format_values([value], unit, missing)[0]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
