"""Export formats: one writer per format, registered once, saying what it can write.

Every format that ``export_result``, ``write_table`` and ``--format`` accept is a
:class:`Writer` registered here; the built-in ones (``csv, xlsx, parquet, md, tex``)
are registered at the bottom of this module, in the order files are written. A
format is known by its writer or not at all: naming one that has none is a
:class:`~fundflow.errors.ConfigError` listing those that have one, and a writer is
only ever asked for what it declares it can write.

A writer declares:

* ``write(tables, path, lang, money_unit)`` -- the tables of one file (one table,
  ``{table}.{format}``, unless the writer has a ``book``: then every table of an
  export goes to ``{book}.{format}``, as Excel's ``results.xlsx``);
* ``readable`` -- a format for people (headers are labels with units, numbers are
  formatted; the per-replication ``runs`` and ``routes`` tables go there only when
  asked for) or for programs (code names, every table);
* ``stream(frames, path, lang, money_unit)`` -- optional: writing one table handed
  over a block of rows at a time, as a run streamed to a store
  (``simulate(..., store=DIR)``) gives its per-replication tables. A format for
  programs without it cannot export such a run, which
  :func:`fundflow.io.export.export_result` says before writing anything.

CSV in English is for programs: code names, UTF-8. CSV in Chinese (``lang="zh"``) is
for people opening it in Excel: its headers are the Chinese labels with units
(``财政净支出（百万元）``; a summary's ``代码, 指标, 单位, 均值, ...``), the values are
the same, and the file starts with a UTF-8 byte-order mark, without which Excel on
Windows reads it in the local code page and garbles the Chinese. Parquet keeps
code names in every language.

Adding a format: write the function(s), then
``register_writer(Writer("json", write=..., readable=False))``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fundflow.errors import ConfigError
from fundflow.io import labels as lb
from fundflow.io._text_tables import _Table, _write_text
from fundflow.io._xlsx import _write_xlsx

__all__ = [
    "Table",
    "Writer",
    "formats",
    "machine_frame",
    "plain_values",
    "readable_formats",
    "register_writer",
    "unregister_writer",
    "write_csv",
    "write_csv_in",
    "write_parquet",
    "writer",
]

#: A table ready to be written: ``name``; ``frame`` (code-named columns, index reset);
#: ``headers(lang, money_unit)`` (labels with units); ``display_chunks(lang,
#: money_unit)`` (the cells as formatted text, column by column); ``units``,
#: ``row_units`` (a summary: the unit of each row's measure) and ``keys`` (leading
#: key columns).
Table = _Table

#: ``write(tables, path, lang, money_unit)``: the tables of one file.
WriteTables = Callable[[Sequence[Table], Path, str, str], None]
#: ``stream(frames, path, lang, money_unit)``: one table, given a block of rows at a time.
StreamFrames = Callable[[Iterable[pd.DataFrame], Path, str, str], None]

#: What starts a CSV written in Chinese: the UTF-8 byte-order mark (``utf-8-sig``).
CSV_BOM = b"\xef\xbb\xbf"

_NAME = re.compile(r"[a-z][a-z0-9]*")


@dataclass(frozen=True)
class Writer:
    """How one export format is written, and what it can write.

    Attributes
    ----------
    name : str
        The format as ``formats=`` and ``--format`` name it, and the files' suffix.
    write : callable
        ``write(tables, path, lang, money_unit)``: writes `tables` (:data:`Table`)
        into the file `path`; given one table at a time unless `book` is set.
    readable : bool
        A format for people: a run's per-replication tables go there only when
        asked for (``tables=``). Otherwise a format for programs, given every table.
    book : str, optional
        Name of the one file an export writes every table into (``"results"``:
        ``results.xlsx``); None: a file per table.
    stream : callable, optional
        ``stream(frames, path, lang, money_unit)``: writes one table given as blocks
        of rows (:class:`pandas.DataFrame`, columns as the table's). Needed by a
        format for programs to export a run streamed to a store.
    """

    name: str
    write: WriteTables
    readable: bool = False
    book: str | None = None
    stream: StreamFrames | None = None


_WRITERS: dict[str, Writer] = {}


def register_writer(new: Writer) -> Writer:
    """Make `new` the writer of its format (``new.name``); return it.

    Raises
    ------
    ValueError
        If the format already has a writer (unregister it first) or its name is not
        lower-case letters and digits.
    """
    if not _NAME.fullmatch(new.name):
        raise ValueError(f"format name {new.name!r}: lower-case letters and digits only")
    if new.name in _WRITERS:
        raise ValueError(f"format {new.name!r} already has a writer")
    _WRITERS[new.name] = new
    return new


def unregister_writer(name: str) -> Writer:
    """Remove the writer of format `name` and return it (``KeyError`` if it has none)."""
    return _WRITERS.pop(name)


def formats() -> tuple[str, ...]:
    """The formats with a writer, in the order an export writes them."""
    return tuple(_WRITERS)


def readable_formats() -> tuple[str, ...]:
    """The formats for people (the per-replication tables only when asked for)."""
    return tuple(name for name, w in _WRITERS.items() if w.readable)


def writer(name: str, option: str = "formats") -> Writer:
    """The writer of format `name`.

    Raises
    ------
    ConfigError
        Naming `option` and listing the formats that have a writer.
    """
    found = _WRITERS.get(name)
    if found is None:
        raise ConfigError(option, name, f"must be one or more of {', '.join(_WRITERS)}")
    return found


# --------------------------------------------------------------------------- frames


def plain_values(frame: pd.DataFrame, categories_as_text: bool = True) -> pd.DataFrame:
    """A shallow copy with every -0.0 as 0.0 (never ``-0`` in a file), categories as text."""
    plain = frame.copy(deep=False)
    for name in plain.columns:
        column = plain[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            if categories_as_text:
                plain[name] = column.astype(str)
        elif column.dtype.kind == "f":
            plain[name] = column + 0.0  # IEEE: -0.0 + 0.0 == +0.0, NaN stays NaN
    return plain


def machine_frame(table: Table, lang: str, money_unit: str) -> pd.DataFrame:
    """What a format for programs gets: code names; a summary with ``label`` and ``unit``."""
    if table.row_units is None:
        return table.frame
    frame = table.frame.drop(columns="measure").rename(columns={"code": "measure"})
    frame.insert(1, "label", [lb.label(m, lang) for m in frame["measure"]])
    frame.insert(2, "unit", [lb.unit_text(u, lang, money_unit) for u in table.row_units])
    return frame


# --------------------------------------------------------------------------- built-in writers


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """UTF-8 CSV through Arrow's writer (shortest round-trip floats, ten times pandas' speed);
    `bom`: the file starts with the UTF-8 byte-order mark (:data:`CSV_BOM`)."""
    import pyarrow as pa
    from pyarrow import csv

    table = pa.Table.from_pandas(plain_values(frame), preserve_index=False)
    options = csv.WriteOptions(quoting_style="needed")
    with pa.OSFile(str(path), "wb") as sink:
        if bom:
            sink.write(CSV_BOM)
        csv.write_csv(table, sink, write_options=options)


def csv_headers(columns: Iterable[object], lang: str, money_unit: str) -> list[str]:
    """The header row of a CSV in `lang`: code names in English; in Chinese the labels
    with their units (a label two columns share is followed by the code name)."""
    names = [str(c) for c in columns]
    if lang == "en":
        return names
    shown = [lb.column_header(c, lang, money_unit) for c in names]
    twice = {s for s, n in Counter(shown).items() if n > 1}
    return [f"{s} [{c}]" if s in twice else s for s, c in zip(shown, names, strict=True)]


def write_csv_in(
    frame: pd.DataFrame, path: Path, lang: str = "en", money_unit: str = "CNY million"
) -> None:
    """A table with code-named columns as CSV in `lang` (see the module's notes on CSV)."""
    if lang == "en":
        write_csv(frame, path)
    else:
        write_csv(
            frame.set_axis(csv_headers(frame.columns, lang, money_unit), axis=1), path, bom=True
        )


def _summary_headers(columns: Iterable[object], lang: str) -> list[str]:
    """A summary's CSV headers in Chinese: 代码, 指标, 单位, then each statistic's label."""
    named = {"measure": "code", "label": "measure", "unit": "unit"}
    return [lb.label(named.get(str(c), str(c)), lang) for c in columns]


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """A Parquet file, categories kept as categories."""
    plain_values(frame, categories_as_text=False).to_parquet(path, index=False)


def _one(tables: Sequence[Table]) -> Table:
    (table,) = tables  # a writer without a book is given one table per file
    return table


def _csv(tables: Sequence[Table], path: Path, lang: str, money_unit: str) -> None:
    table = _one(tables)
    frame = machine_frame(table, lang, money_unit)
    if table.row_units is not None and lang != "en":
        write_csv(frame.set_axis(_summary_headers(frame.columns, lang), axis=1), path, bom=True)
    else:
        write_csv_in(frame, path, lang, money_unit)


def _parquet(tables: Sequence[Table], path: Path, lang: str, money_unit: str) -> None:
    write_parquet(machine_frame(_one(tables), lang, money_unit), path)


def _markdown(tables: Sequence[Table], path: Path, lang: str, money_unit: str) -> None:
    _write_text(_one(tables), path, "md", lang, money_unit)


def _latex(tables: Sequence[Table], path: Path, lang: str, money_unit: str) -> None:
    _write_text(_one(tables), path, "tex", lang, money_unit)


def _arrow_stream(frames: Iterable[pd.DataFrame], path: Path, fmt: str, sink: Any = None) -> None:
    """Write blocks of rows through one Arrow writer: CSV (categories as text) or Parquet,
    to `path` or to the open `sink`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv

    out: Any = None
    try:
        for frame in frames:
            plain = plain_values(frame, categories_as_text=fmt == "csv")
            table = pa.Table.from_pandas(plain, preserve_index=False)
            if out is None and fmt == "csv":
                options = csv.WriteOptions(quoting_style="needed")
                out = csv.CSVWriter(sink or path, table.schema, write_options=options)
            elif out is None:
                out = pq.ParquetWriter(path, table.schema)
            out.write_table(table)
    finally:
        if out is not None:
            out.close()


def _csv_stream(frames: Iterable[pd.DataFrame], path: Path, lang: str, money_unit: str) -> None:
    if lang == "en":
        _arrow_stream(frames, path, "csv")
        return
    import pyarrow as pa

    named = (f.set_axis(csv_headers(f.columns, lang, money_unit), axis=1) for f in frames)
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(CSV_BOM)
        _arrow_stream(named, path, "csv", sink)


def _parquet_stream(frames: Iterable[pd.DataFrame], path: Path, lang: str, money_unit: str) -> None:
    _arrow_stream(frames, path, "parquet")


register_writer(Writer("csv", _csv, stream=_csv_stream))
register_writer(Writer("xlsx", _write_xlsx, readable=True, book="results"))
register_writer(Writer("parquet", _parquet, stream=_parquet_stream))
register_writer(Writer("md", _markdown, readable=True))
register_writer(Writer("tex", _latex, readable=True))
