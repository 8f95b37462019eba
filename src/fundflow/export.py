"""Write a run's tables to a directory: CSV, Excel, Parquet, Markdown, LaTeX, a manifest.

Layout of ``export_result(result, "out/", formats=("csv", "xlsx", "md"))``::

    out/
      summary.csv  runs.csv  routes.csv      one file per table and text format
      results.xlsx                           sheets summary, runs, routes
      summary.parquet ...                    (parquet, md, tex likewise)
      party_totals.csv                       net cash by party, one row per replication
      ledger_0000.csv                        every payment of the first replication
      manifest.json                          what produced the files (written last)

* CSV and Parquet are for programs: columns keep their code names
  (``gov_net_cost``), and the summary gains ``label`` and ``unit`` columns in the
  chosen language. Excel, Markdown and LaTeX are for people: headers are labels
  with units (``Government net cost (CNY million)``), numbers are formatted
  (money ``#,##0.00``, shares as percentages).
* Every file is written to a hidden temporary name in the target directory and
  renamed (:func:`os.replace`) when complete, so an error or Ctrl-C never leaves a
  half-written file under a final name; ``manifest.json`` comes last, so a
  directory without it holds an interrupted export.
* Markdown and LaTeX are written here, not by pandas (which would need the
  ``tabulate`` and ``jinja2`` packages). The LaTeX tables are ``longtable`` with
  ``booktabs`` rules; Chinese labels need ``xeCJK`` or ``ctex``.
* Excel: openpyxl lays out each sheet (header row, styles, widths, frozen panes)
  and writes its first data row; the remaining rows of the runs and routes sheets
  are then streamed into the sheet's XML with the same cell styles, which is what
  keeps 10,000 replications of the shipped program (440,000 route rows) to
  seconds. A table longer than an Excel sheet continues on ``routes_2``...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd

from . import labels as lb
from .errors import ConfigError

__all__ = [
    "FORMATS",
    "atomic_path",
    "export_result",
    "parse_formats",
    "prepare_directory",
    "write_table",
]

#: Table formats, in the order files are written.
FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet", "md", "tex")

_EXCEL_ROWS = 1_048_576  # rows per sheet, header included
_EXCEL_FORMATS = {
    "money": "#,##0.00",
    "share": "0.0%",
    "count": "#,##0",
    "count_mean": "#,##0.00",
    "years": "0.00",
    "ratio": "0.00",
}


# --------------------------------------------------------------------------- checks


def parse_formats(formats: str | Iterable[str], option: str = "formats") -> tuple[str, ...]:
    """Validate formats given as ``"csv,xlsx"`` or a sequence; duplicates dropped.

    Raises
    ------
    ConfigError
        Naming `option` and listing the allowed formats.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for item in items:
        fmt = str(item).strip().lower().lstrip(".")
        if fmt not in FORMATS:
            raise ConfigError(option, item, f"must be one or more of {', '.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise ConfigError(option, formats, f"must name at least one of {', '.join(FORMATS)}")
    return tuple(out)


def prepare_directory(directory: str | os.PathLike[str], option: str = "directory") -> Path:
    """Create `directory` if missing and check that files can be written in it.

    Raises
    ------
    ConfigError
        Naming `option` (``"--out"`` from the command line) when the directory
        cannot be created or written.
    """
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fundflow-probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(option, str(path), f"cannot be written ({reason})") from None
    return path


@functools.cache
def _file_mode() -> int:
    """Permissions of a new file under the process umask (mkstemp makes 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` when the block succeeds.

    On any exception, KeyboardInterrupt included, the temporary file is removed and
    `path` is left as it was.
    """
    final = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    """A table ready to be written: index reset, one unit per column or per cell."""

    name: str
    frame: pd.DataFrame  # code-named columns, index reset
    units: list[str | None]  # per column
    keys: int  # leading key columns (frozen in Excel)
    row_units: list[str | None] | None = None  # summary: the unit of each row's measure

    def cell_unit(self, row: int, col: int) -> str | None:
        unit = self.units[col]
        if unit == "same" and self.row_units is not None:
            return self.row_units[row]
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
    frame = summary.copy()
    codes = [str(m) for m in frame.index]
    frame.insert(0, "code", codes)
    frame.insert(0, "measure", [lb.header(m, lang, money_unit) for m in codes])
    frame = frame.reset_index(drop=True)
    units = [lb.unit_of(c) for c in frame.columns]
    row_units = [lb.unit_of(m) for m in codes]
    return _Table(name, frame, units, 2, row_units)


def _plain_table(frame: pd.DataFrame, name: str) -> _Table:
    if all(n is None for n in frame.index.names):  # a plain position index: not a key
        return _Table(name, frame.reset_index(drop=True), [lb.unit_of(str(c)) for c in frame], 0)
    keys = frame.index.nlevels
    flat = frame.reset_index()
    units = [lb.unit_of(c) for c in flat.columns]
    return _Table(name, flat, units, keys)


def _machine_frame(table: _Table, lang: str, money_unit: str) -> pd.DataFrame:
    """What CSV and Parquet get: code names; the summary with ``label`` and ``unit``."""
    if table.row_units is None:
        return table.frame
    frame = table.frame.drop(columns="measure").rename(columns={"code": "measure"})
    frame.insert(1, "label", [lb.label(m, lang) for m in frame["measure"]])
    frame.insert(2, "unit", [lb.unit_text(u, lang, money_unit) for u in table.row_units])
    return frame


# --------------------------------------------------------------------------- text formats


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV through Arrow's writer (shortest round-trip floats, ten times pandas' speed)."""
    import pyarrow as pa
    from pyarrow import csv

    plain = frame.copy(deep=False)
    for name in plain.columns:
        if isinstance(plain[name].dtype, pd.CategoricalDtype):
            plain[name] = plain[name].astype(str)
    table = pa.Table.from_pandas(plain, preserve_index=False)
    csv.write_csv(table, path, write_options=csv.WriteOptions(quoting_style="needed"))


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


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


# --------------------------------------------------------------------------- Excel


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


def _excel_value(value: Any) -> Any:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
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
            cell = ws.cell(row=i + 2, column=j, value=_excel_value(value))
            unit = table.cell_unit(i, j - 1)
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


# --------------------------------------------------------------------------- public


def write_table(
    table: pd.DataFrame,
    directory: str | os.PathLike[str],
    name: str,
    formats: Iterable[str] = ("csv",),
    lang: str = "en",
    money_unit: str = "CNY million",
    *,
    summary: bool = False,
) -> list[Path]:
    """Write one table as ``name.<format>`` files (``name.xlsx`` with one sheet).

    `summary` marks a table whose rows are measures and columns statistics (a
    summary or a comparison): its rows carry the units. Files are written
    atomically into an existing directory.
    """
    lb.check_lang(lang)
    fmts = parse_formats(formats)
    spec = _summary_table(table, lang, money_unit, name) if summary else _plain_table(table, name)
    return [_write(spec, Path(directory), fmt, lang, money_unit) for fmt in fmts]


def _write(table: _Table, directory: Path, fmt: str, lang: str, money_unit: str) -> Path:
    final = directory / f"{table.name}.{fmt}"
    with atomic_path(final) as tmp:
        if fmt == "csv":
            _write_csv(_machine_frame(table, lang, money_unit), tmp)
        elif fmt == "parquet":
            _write_parquet(_machine_frame(table, lang, money_unit), tmp)
        elif fmt == "xlsx":
            _write_xlsx([table], tmp, lang, money_unit)
        else:
            _write_text(table, tmp, fmt, lang, money_unit)
    return final


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Plain JSON values: non-finite floats become None, unknown objects text."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def scenario_record(scenario: Any, scenario_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Name, unit, file hash and the validated source mapping of a scenario, for a manifest."""
    source = _jsonable(dict(scenario.source))
    canonical = json.dumps(source, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    record: dict[str, Any] = {
        "name": scenario.name,
        "money_unit": scenario.money_unit,
        "file": None,
        "file_sha256": None,
        "source_sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "source": source,
    }
    if scenario_file is not None:
        record["file"] = str(scenario_file)
        record["file_sha256"] = _sha256(Path(scenario_file))
    return record


def write_manifest(directory: Path, content: Mapping[str, Any], files: Sequence[Path]) -> Path:
    """Write ``manifest.json`` (atomically) listing `files` with their sizes and hashes."""
    record = dict(content)
    record["created"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record["files"] = [
        {"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files
    ]
    final = directory / "manifest.json"
    with atomic_path(final) as tmp:
        text = json.dumps(_jsonable(record), indent=2, ensure_ascii=False, allow_nan=False)
        tmp.write_text(text + "\n", encoding="utf-8")
    return final


def export_result(
    result: Any,
    directory: str | os.PathLike[str],
    formats: str | Iterable[str] = ("csv",),
    lang: str = "en",
    *,
    scenario_file: str | os.PathLike[str] | None = None,
    provenance: Mapping[str, Any] | None = None,
    extra_files: Sequence[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write a run's summary, runs and routes tables, party totals, a ledger and a manifest.

    Parameters
    ----------
    result : SimulationResult
        What :func:`fundflow.simulate` returned.
    directory : str or path-like
        Created if missing.
    formats : str or iterable of str, default ("csv",)
        Any of ``csv, xlsx, parquet, md, tex`` (``"csv,xlsx"`` also accepted).
    lang : {"en", "zh"}
        Language of labels in the summary and of the readable formats' headers.
    scenario_file : path, optional
        The YAML file the scenario was read from; its SHA-256 goes into the manifest.
    provenance : mapping, optional
        Extra entries for the manifest (e.g. the command line and ``--set`` overrides).
    extra_files : sequence of paths, default ()
        Files already written into `directory` (figures) to list in the manifest.

    Returns
    -------
    list of pathlib.Path
        The files written, ``manifest.json`` last.

    Raises
    ------
    ConfigError
        For an unknown format or language, or a directory that cannot be written;
        checked before anything is written.

    Examples
    --------
    >>> res = fundflow.simulate("configs/open_competition.yaml", runs=200, seed=1)  # doctest: +SKIP
    >>> export_result(res, "out", formats="csv,xlsx", lang="zh")  # doctest: +SKIP
    """
    fmts = parse_formats(formats)
    lb.check_lang(lang)
    out = prepare_directory(directory)
    money = result.money_unit
    tables = [
        _summary_table(result.summary(), lang, money, "summary"),
        _plain_table(result.runs, "runs"),
        _plain_table(result.routes, "routes"),
    ]
    first = int(result.replications[0])
    written: list[Path] = []
    with atomic_path(out / f"ledger_{first:04d}.csv") as tmp:
        _write_csv(result.ledger(first), tmp)
    written.append(out / f"ledger_{first:04d}.csv")
    with atomic_path(out / "party_totals.csv") as tmp:
        _write_csv(result.party_totals().reset_index(), tmp)
    written.append(out / "party_totals.csv")
    for fmt in fmts:
        if fmt == "xlsx":
            with atomic_path(out / "results.xlsx") as tmp:
                _write_xlsx(tables, tmp, lang, money)
            written.append(out / "results.xlsx")
        else:
            written.extend(_write(t, out, fmt, lang, money) for t in tables)
    content = {
        "fundflow_version": result.version,
        "scenario": scenario_record(result.scenario, scenario_file),
        "seed_entropy": int(result.entropy),
        "runs": len(result),
        "workers": result.workers,
        "elapsed_seconds": round(float(result.elapsed), 3),
        "convergence": getattr(result, "convergence", None),
        "formats": list(fmts),
        "lang": lang,
        "money_unit": money,
        **dict(provenance or {}),
    }
    written += [Path(p) for p in extra_files]
    written.append(write_manifest(out, content, written))
    return written
