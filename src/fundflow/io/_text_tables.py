"""Tables ready to be written, and their Markdown and LaTeX renderings.

A :class:`_Table` holds a table with its index reset and the unit of each
column (or, for a summary, of each row's measure); it gives the headers
(labels with units, in a language) and the cells as formatted text, which the
Excel writer (:mod:`fundflow.io._xlsx`) and the text writers below both read.

Markdown and LaTeX are written here, not by pandas (which would need the
``tabulate`` and ``jinja2`` packages). The LaTeX tables are ``longtable`` with
``booktabs`` rules; Chinese labels need ``xeCJK`` or ``ctex``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fundflow.io import labels as lb

# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    """A table ready to be written: index reset, one unit per column or per cell."""

    name: str
    frame: pd.DataFrame  # code-named columns, index reset
    units: list[str | None]  # per column
    keys: int  # leading key columns (frozen in Excel)
    row_units: list[str | None] | None = None  # summary: the unit of each row's measure
    differences: frozenset[str] = frozenset()  # columns of differences (shares in pp)

    def cell_unit(self, row: int, col: int) -> str | None:
        unit = self.units[col]
        if unit == "same" and self.row_units is not None:
            unit = self.row_units[row]
            if self.frame.columns[col] in self.differences:
                return lb.difference_unit(unit)
        return unit

    def headers(self, lang: str, money_unit: str) -> list[str]:
        if self.row_units is not None:  # summary: units are on the rows
            return [lb.label(c, lang) for c in self.frame.columns]
        return [lb.header(c, lang, money_unit) for c in self.frame.columns]

    def display_chunks(
        self, lang: str, money_unit: str, size: int = 20_000
    ) -> Iterator[list[list[str]]]:
        """Formatted cell text, column by column, `size` rows at a time."""
        frame = self.frame
        if self.row_units is not None:  # summary: a unit per cell
            yield [
                [lb.format_number(v, self.cell_unit(i, j)) for i, v in enumerate(frame[c].tolist())]
                for j, c in enumerate(frame.columns)
            ]
            return
        formats = [
            lb.value_format(frame[c].to_numpy(), self.units[j]) for j, c in enumerate(frame.columns)
        ]
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size]
            yield [
                lb.format_values(_translated(part[c], lang), self.units[j], fmt=formats[j])
                for j, c in enumerate(part.columns)
            ]


def _translated(column: pd.Series, lang: str) -> np.ndarray:
    if column.name == "status" and lang != "en":
        return np.asarray([lb.label(s, lang) for s in column], dtype=object)
    return column.to_numpy()


def _summary_table(summary: pd.DataFrame, lang: str, money_unit: str, name: str) -> _Table:
    """A summary or comparison; ``summary.attrs["differences"]`` names the columns
    that hold differences of the row's measure (shown in percentage points for shares)."""
    differences = frozenset(summary.attrs.get("differences", ()))
    frame = summary.copy()
    codes = [str(m) for m in frame.index]
    frame.insert(0, "code", codes)
    frame.insert(0, "measure", [lb.header(m, lang, money_unit) for m in codes])
    frame = frame.reset_index(drop=True)
    units = [lb.unit_of(c) for c in frame.columns]
    row_units = [lb.unit_of(m) for m in codes]
    return _Table(name, frame, units, 2, row_units, differences)


def _plain_table(frame: pd.DataFrame, name: str) -> _Table:
    if all(n is None for n in frame.index.names):  # a plain position index: not a key
        return _Table(name, frame.reset_index(drop=True), [lb.unit_of(str(c)) for c in frame], 0)
    keys = frame.index.nlevels
    flat = frame.reset_index()
    units = [lb.unit_of(c) for c in flat.columns]
    return _Table(name, flat, units, keys)


# --------------------------------------------------------------------------- Markdown and LaTeX


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _rows(columns: Sequence[list[str]], start: str, sep: str, end: str) -> str:
    """Join the columns' cells into lines ``start c1 sep c2 ... end``, one per row."""
    if not columns or not columns[0]:
        return ""
    template = start + sep.join(f"{{{j}}}" for j in range(len(columns))) + end
    return "\n".join(map(template.format, *columns)) + "\n"


_TEX_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))


def _tex_escape(text: str) -> str:
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], text)


def _tex_number(text: str) -> str:
    return text.replace("%", r"\%")


def _identity(text: str) -> str:
    return text


def _write_text(table: _Table, path: Path, fmt: str, lang: str, money_unit: str) -> None:
    """A Markdown table, or a LaTeX ``longtable`` with ``booktabs`` rules, written in chunks."""
    headers = table.headers(lang, money_unit)
    numeric = [table.frame[c].dtype.kind in "iuf" for c in table.frame.columns]
    if fmt == "md":
        head = "| " + " | ".join(map(_md_escape, headers)) + " |\n"
        head += "|" + "|".join("---:" if num else ":---" for num in numeric) + "|\n"
        start, sep, end, foot = "| ", " | ", " |", ""
        escapes = [_identity if num else _md_escape for num in numeric]
    else:
        spec = "".join("r" if num else "l" for num in numeric)
        head = (
            "% Written by fundflow. Needs \\usepackage{booktabs,longtable}"
            " (and xeCJK or ctex for Chinese labels).\n"
            f"\\begin{{longtable}}{{{spec}}}\n\\toprule\n"
            + " & ".join(map(_tex_escape, headers))
            + " \\\\\n\\midrule\n\\endhead\n\\bottomrule\n\\endfoot\n"
        )
        start, sep, end, foot = "", " & ", r" \\", "\\end{longtable}\n"
        escapes = [_tex_number if num else _tex_escape for num in numeric]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        for columns in table.display_chunks(lang, money_unit):
            cells = [
                col if esc is _identity else list(map(esc, col))
                for esc, col in zip(escapes, columns, strict=True)
            ]
            fh.write(_rows(cells, start, sep, end))
        fh.write(foot)
