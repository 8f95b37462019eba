"""The Excel workbook of a run's tables: openpyxl layout, number formats, streamed rows.

openpyxl lays out each sheet (header row, styles, widths, frozen panes) and
writes its first data row; the remaining rows of the runs and routes sheets are
then streamed into the sheet's XML with the same cell styles, which is what
keeps 10,000 replications of the shipped program (440,000 route rows) to
seconds. A table longer than an Excel sheet continues on ``routes_2``...
Headers are labels with units; numbers carry Excel formats (money
``#,##0.00``, shares as percentages).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd

from fundflow.io import labels as lb

if TYPE_CHECKING:
    from fundflow.io._text_tables import _Table

_EXCEL_ROWS = 1_048_576  # rows per sheet, header included
_EXCEL_FORMATS = {
    "money": "#,##0.00",
    "share": "0.0%",
    "pp": '0.0" pp"',  # a difference of shares, written as 100 x the fraction
    "count": "#,##0",
    "count_mean": "#,##0.00",
    "years": "0.00",
    "ratio": "0.00",
}


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _excel_format(unit: str | None, values: pd.Series | None = None) -> str | None:
    if unit == "count" and values is not None:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        finite = numbers[np.isfinite(numbers)]
        return _EXCEL_FORMATS["count" if np.all(finite == np.round(finite)) else "count_mean"]
    if unit == "count":
        return _EXCEL_FORMATS["count_mean"]
    return _EXCEL_FORMATS.get(unit or "")


def _column_width(header: str, column: pd.Series, unit: str | None) -> float:
    sample = column.head(2000)
    widest = max((_display_width(s) for s in lb.format_values(sample.to_numpy(), unit)), default=4)
    words = max((_display_width(w) for w in header.split()), default=4)
    return float(min(45, max(10, widest + 2, words + 2, math.ceil(_display_width(header) / 3))))


def _excel_value(value: Any, unit: str | None = None) -> Any:
    """A cell value: finite floats (-0.0 as 0.0), None for NaN; pp as percentage points."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return None
        return (100.0 * float(value) if unit == "pp" else float(value)) + 0.0
    return value


def _layout_sheet(ws: Any, table: _Table, frame: pd.DataFrame, lang: str, money_unit: str) -> None:
    """Header row, widths, frozen panes; all rows (summary) or the first one (bulk)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    headers = table.headers(lang, money_unit)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = 1
    for j, text in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        width = _column_width(text, frame.iloc[:, j - 1], table.units[j - 1])
        ws.column_dimensions[get_column_letter(j)].width = width
        lines = max(lines, math.ceil(_display_width(text) / max(width - 1, 1)))
    ws.row_dimensions[1].height = 15 * min(lines, 4)
    n_rows = len(frame) if table.row_units is not None else min(len(frame), 1)
    for i in range(n_rows):
        for j, value in enumerate(frame.iloc[i].tolist(), start=1):
            unit = table.cell_unit(i, j - 1)
            cell = ws.cell(row=i + 2, column=j, value=_excel_value(value, unit))
            column = frame.iloc[:, j - 1] if table.row_units is None else pd.Series([value])
            number_format = _excel_format(unit, column)
            if number_format:
                cell.number_format = number_format
    ws.freeze_panes = ws.cell(row=2, column=table.keys + 1)
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"


def _cell_field(
    values: np.ndarray, letter: str, style: int, field: int, first: int
) -> tuple[str, list[Any]]:
    """The template of one column's ``<c>`` element and the values to fill it with.

    Field 0 of the row template is the row number, this column's field is
    `field`. A column with empty cells (NaN, inf, None) or text is rendered cell by
    cell (rows from `first` on) and passed whole.
    """
    s = f' s="{style}"' if style else ""
    kind = values.dtype.kind
    if kind == "b":
        return f'<c r="{letter}{{0}}"{s} t="b"><v>{{{field}}}</v></c>', values.astype(int).tolist()
    if kind in "iu":
        return f'<c r="{letter}{{0}}"{s}><v>{{{field}}}</v></c>', values.tolist()
    if kind == "f":
        values = values + 0.0  # -0.0 becomes 0.0
    if kind == "f" and np.all(np.isfinite(values)):
        return f'<c r="{letter}{{0}}"{s}><v>{{{field}!r}}</v></c>', values.tolist()
    cells = []
    for row, v in enumerate(values.tolist(), start=first):
        ref = f'r="{letter}{row}"{s}'
        if isinstance(v, float):
            cells.append(f"<c {ref}><v>{v!r}</v></c>" if math.isfinite(v) else f"<c {ref}/>")
        elif v is None:
            cells.append(f"<c {ref}/>")
        else:
            text = xml_escape(str(v))
            cells.append(f'<c {ref} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    return f"{{{field}}}", cells


def _bulk_rows(frame: pd.DataFrame, styles: list[int], chunk: int = 20000) -> Iterator[bytes]:
    """The XML rows 2.. of a sheet, in chunks, from one row template per sheet."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(j + 1) for j in range(frame.shape[1])]
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        first = start + 2
        pieces, columns = [], []
        for j in range(part.shape[1]):
            values = part.iloc[:, j].to_numpy()
            piece, cells = _cell_field(values, letters[j], styles[j], j + 1, first)
            pieces.append(piece)
            columns.append(cells)
        template = '<row r="{0}">' + "".join(pieces) + "</row>"
        rows = map(str, range(first, first + len(part)))
        yield "".join(map(template.format, rows, *columns)).encode("utf-8")


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> member path, from the workbook and its relationships."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    import xml.etree.ElementTree as ET

    book = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for sheet in book.findall("m:sheets/m:sheet", ns):
        path = target[sheet.get(f"{{{ns['r']}}}id")]
        out[sheet.get("name", "")] = path.lstrip("/") if path.startswith("/") else f"xl/{path}"
    return out


def _stream_rows(
    source: Path, target: Path, bulk: Mapping[str, tuple[pd.DataFrame, list[int]]]
) -> None:
    """Copy the workbook at `source` to `target`, filling the bulk sheets' rows 2.."""
    with (
        zipfile.ZipFile(source) as src,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        paths = {path: name for name, path in _sheet_paths(src).items()}
        for info in src.infolist():
            data = src.read(info.filename)
            name = paths.get(info.filename, "")
            if name not in bulk:
                dst.writestr(info, data)
                continue
            frame, styles = bulk[name]
            start = data.index(b'<row r="2"')
            end = data.index(b"</sheetData>")
            head = re.sub(
                rb'<dimension ref="[^"]*"',
                f'<dimension ref="A1:{_last_cell(frame)}"'.encode(),
                data[:start],
            )
            # A name, not a ZipInfo: the member then gets the archive's fast compression.
            # Zip64 only when the sheet could pass zipfile's 2 GiB limit (~45 bytes a
            # cell; twice that as margin): some readers mishandle Zip64 otherwise.
            big = frame.size * 90 > 2**31
            with dst.open(info.filename, "w", force_zip64=big) as out:
                out.write(head)
                for piece in _bulk_rows(frame, styles):
                    out.write(piece)
                out.write(data[end:])


def _last_cell(frame: pd.DataFrame) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(frame.shape[1])}{len(frame) + 1}"


def _write_xlsx(tables: Sequence[_Table], path: Path, lang: str, money_unit: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    bulk: dict[str, tuple[pd.DataFrame, list[int]]] = {}
    for table in tables:
        step = _EXCEL_ROWS - 1
        pieces = [table.frame.iloc[a : a + step] for a in range(0, max(len(table.frame), 1), step)]
        for k, piece in enumerate(pieces):
            name = table.name if k == 0 else f"{table.name}_{k + 1}"
            ws = wb.create_sheet(name)
            _layout_sheet(ws, table, piece, lang, money_unit)
            if table.row_units is None and len(piece) > 1:
                styles = [ws.cell(row=2, column=j + 1).style_id for j in range(piece.shape[1])]
                bulk[name] = (piece, styles)  # replaces the layout's row 2
    if not bulk:
        wb.save(path)
        return
    fd, layout = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".layout", dir=path.parent)
    os.close(fd)
    try:
        wb.save(layout)
        _stream_rows(Path(layout), path, bulk)
    finally:
        Path(layout).unlink(missing_ok=True)
