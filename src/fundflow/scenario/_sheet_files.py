"""Reading a challenge sheet's cells from an .xlsx or .csv file, untrusted.

An .xlsx is checked before openpyxl opens it: not an encrypted or Excel 97-2003
file, a zip archive whose unpacked size and number of parts are bounded (no zip
bomb). It is then opened in openpyxl's read-only mode (XML parsed by
``defusedxml``), its row and column counts are bounded whatever size the file
states, and formulas are kept as text, never evaluated. A .csv is bounded in size,
decoded as UTF-8 or GB 18030 and its delimiter sniffed. Turning the cells into
challenges is :mod:`fundflow.scenario._sheet`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError

__all__ = ["MAX_BYTES", "MAX_COLUMNS", "MAX_ROWS", "Formula", "Grid", "read_grid"]

#: Largest unpacked .xlsx, or .csv, accepted (bytes).
MAX_BYTES = 50_000_000
#: Most rows and columns a challenge sheet may have.
MAX_ROWS = 10_000
MAX_COLUMNS = 500

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls files


class Formula(str):
    """The text of a cell that holds a formula (never evaluated)."""


@dataclass
class Grid:
    label: str  # what cell references start with: "list.xlsx!榜单" or "list.csv"
    rows: list[list[Any]]  # rows[r - 1] is sheet row r
    merged: list[str] = field(default_factory=list)


def read_grid(file: Path, shown: str, sheet: str | None) -> Grid:
    suffix = file.suffix.lower()
    if suffix == ".csv":
        if sheet is not None:
            raise ConfigError("challenges.sheet", sheet, "applies only to .xlsx files")
        return _read_csv(file, shown)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(file, shown, sheet)
    raise ConfigError(
        "challenges.from", shown, "must be an .xlsx or .csv file (save an .xls as .xlsx)"
    )


def _fail(shown: str, why: str) -> ConfigError:
    return ConfigError("challenges.from", shown, why, truncate=False)


def _head(file: Path, shown: str) -> bytes:
    try:
        with file.open("rb") as f:
            return f.read(8)
    except FileNotFoundError:
        raise _fail(shown, f"file not found (looked for {file})") from None
    except OSError as exc:
        raise _fail(shown, f"cannot be read ({exc.strerror})") from None


def _read_csv(file: Path, shown: str) -> Grid:
    _head(file, shown)
    if file.stat().st_size > MAX_BYTES:
        raise _fail(shown, f"larger than {MAX_BYTES // 10**6} MB: not a challenge list")
    raw = file.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _fail(shown, "cannot be read: save it as UTF-8 text")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            [v if v.strip() else None for v in r] for r in csv.reader(io.StringIO(text), dialect)
        ]
    except csv.Error as exc:
        raise _fail(shown, f"not valid CSV: {exc}") from None
    _check_size(rows, shown)
    return Grid(shown, rows)


def _check_size(rows: list[list[Any]], shown: str) -> None:
    if len(rows) > MAX_ROWS:
        raise _fail(shown, f"more than {MAX_ROWS:,} rows: not a challenge list")
    wide = max((len(r) for r in rows), default=0)
    if wide > MAX_COLUMNS:
        raise _fail(shown, f"more than {MAX_COLUMNS} columns: not a challenge list")


def _check_zip(file: Path, shown: str) -> None:
    if _head(file, shown) == _OLE:
        raise _fail(
            shown,
            "is password-protected or an Excel 97-2003 file: save it as an unprotected "
            ".xlsx workbook (or as .csv)",
        )
    try:
        with zipfile.ZipFile(file) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _fail(shown, "cannot be read as an .xlsx workbook (not a zip archive)") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_BYTES or len(members) > 10_000:
        raise _fail(
            shown,
            f"unpacks to {unpacked / 1e6:,.0f} MB in {len(members)} parts: refused "
            f"(more than {MAX_BYTES // 10**6} MB is no challenge list)",
        )


def _read_xlsx(file: Path, shown: str, sheet: str | None) -> Grid:
    _check_zip(file, shown)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # any failure to parse a user's file is one error
        raise _fail(shown, f"cannot be read as an .xlsx workbook ({exc})") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise ConfigError(
                "challenges.sheet",
                sheet,
                f"no such sheet in {shown}; it has: " + ", ".join(wb.sheetnames),
            )
        label = f"{shown}!{ws.title}"
        try:
            return Grid(label, _xlsx_rows(ws, shown), _merged(ws))
        except ConfigError:
            raise
        except Exception as exc:  # a malformed sheet part
            raise _fail(shown, f"cannot be read as an .xlsx workbook ({exc})") from None
    finally:
        wb.close()


def _xlsx_rows(ws: Any, shown: str) -> list[list[Any]]:
    ws.reset_dimensions()  # do not trust the file's stated size
    rows: list[list[Any]] = []
    for n, cells in enumerate(ws.iter_rows(), start=1):
        values = [_formula_or_value(c) for c in cells]
        if len(values) > MAX_COLUMNS:
            if any(v is not None for v in values[MAX_COLUMNS:]):
                raise _fail(shown, f"more than {MAX_COLUMNS} columns: not a challenge list")
            values = values[:MAX_COLUMNS]
        if n > MAX_ROWS:
            if any(v is not None for v in values):
                raise _fail(shown, f"more than {MAX_ROWS:,} rows: not a challenge list")
            continue
        rows.append(values)
    return rows


def _formula_or_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" and value is not None:
        return Formula(str(value))
    return value


def _merged(ws: Any) -> list[str]:
    """Merged ranges of a read-only sheet (its XML, parsed with defusedxml)."""
    from defusedxml.ElementTree import iterparse

    source = getattr(ws, "_get_source", None)
    if source is None:
        return []
    out = []
    with source() as f:
        for _, element in iterparse(f):
            if element.tag.endswith("}mergeCell"):
                out.append(str(element.get("ref")))
            element.clear()
    return out
