"""Write a run's tables to a directory: CSV, Excel, Parquet, Markdown, LaTeX, a manifest.

Layout of ``export_result(result, "out/", formats=("csv", "xlsx", "md"))``::

    out/
      summary.csv  challenges.csv  budget_by_year.csv  parties.csv  ledger_0000.csv
      summary.md   challenges.md   budget_by_year.md   parties.md   ledger_0000.md
      results.xlsx     sheets summary, challenges, budget_by_year, parties, ledger_0000
      manifest.json                 what produced the files (written last)

* Every export writes the tables of :data:`DEFAULT_TABLES` in each format: the
  summary, the per-challenge table, the budget by year, the party table (mean net cash by party,
  ``result.party_table()``) and the first replication's ledger. Their size does
  not grow with the replications.
* The per-replication tables of :data:`DETAIL_TABLES`, ``runs`` (one row per
  replication), ``routes`` (one per replication and route: 440,000 rows for
  10,000 replications of the shipped program) and ``party_totals`` (net cash by
  party, one row per replication), are data, not reading: a run stored while it
  goes (``simulate(..., store=DIR)``, ``fundflow run --out DIR``, which stores
  into ``DIR/dataset``) keeps them there as Parquet. They are written in the
  export's formats only when named in ``tables`` (``--tables runs,routes``); an
  Excel sheet then continues on ``routes_2``, ... past 1,048,576 rows.

* CSV and Parquet are for programs: columns keep their code names
  (``gov_net_cost``), and the summary gains ``label`` and ``unit`` columns in the
  chosen language. In Chinese a CSV is for people opening it in Excel instead:
  headers are labels with units, and the file starts with a UTF-8 byte-order mark
  (:mod:`fundflow.io.writers`). Excel, Markdown and LaTeX are for people: headers
  are labels with units (``Government all-in net cost (CNY million)``), numbers are
  formatted (money ``#,##0.00``, shares as percentages).
* Every file is written to a hidden temporary name in the target directory and
  renamed (:func:`os.replace`) when complete, so an error or Ctrl-C never leaves a
  half-written file under a final name; ``manifest.json`` comes last, so a
  directory without it holds an interrupted export.
* This module chooses the tables and files; each format is written by its
  writer, registered once in :mod:`fundflow.io.writers` (a format without one is
  an error, and a writer is given only what it declares it can write). The
  tables themselves and their Markdown and LaTeX text come from
  :mod:`fundflow.io._text_tables` (written there, not by pandas, which would need
  ``tabulate`` and ``jinja2``), the Excel workbook from :mod:`fundflow.io._xlsx`
  (openpyxl lays out each sheet, the bulk rows are streamed into its XML; a table
  longer than an Excel sheet continues on ``routes_2``...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from fundflow.errors import ConfigError
from fundflow.io import labels as lb
from fundflow.io import writers
from fundflow.io._stream import write_stored_table
from fundflow.io._text_tables import _plain_table, _summary_table, _Table
from fundflow.io.writers import Writer, writer
from fundflow.results.provenance import Provenance, scenario_sha256
from fundflow.results.provenance import jsonable as _jsonable

__all__ = [
    "DEFAULT_TABLES",
    "DETAIL_TABLES",
    "atomic_path",
    "export_result",
    "parse_formats",
    "parse_tables",
    "prepare_directory",
    "write_table",
]

#: The tables every export writes, in each of its formats (one the result does not have
#: is skipped): sized for people, whatever the replications. ``ledger`` is the first
#: replication's ledger (``ledger_0000``); ``parties`` the party table.
DEFAULT_TABLES: tuple[str, ...] = (
    "summary",
    "challenges",
    "budget_by_year",
    "parties",
    "ledger",
)

#: Per-replication tables: in a stored run's Parquet dataset; in the export's formats
#: only when asked for (``tables=``, ``--tables``).
DETAIL_TABLES: tuple[str, ...] = ("runs", "routes", "party_totals")


# --------------------------------------------------------------------------- checks


def parse_formats(formats: str | Iterable[str], option: str = "formats") -> tuple[str, ...]:
    """Validate formats given as ``"csv,xlsx"`` or a sequence; duplicates dropped.

    Raises
    ------
    ConfigError
        Naming `option` and listing the allowed formats.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    known = writers.formats()
    out: list[str] = []
    for item in items:
        fmt = str(item).strip().lower().lstrip(".")
        if fmt not in known:
            raise ConfigError(option, item, f"must be one or more of {', '.join(known)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise ConfigError(option, formats, f"must name at least one of {', '.join(known)}")
    return tuple(out)


def parse_tables(tables: str | Iterable[str], option: str = "tables") -> tuple[str, ...]:
    """Validate per-replication tables given as ``"runs,routes"`` or a sequence.

    An empty string or sequence means none.

    Raises
    ------
    ConfigError
        Naming `option` and listing the allowed tables.
    """
    items = tables.split(",") if isinstance(tables, str) else list(tables)
    out: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if not name:
            continue
        if name not in DETAIL_TABLES:
            allowed = ", ".join(DETAIL_TABLES)
            raise ConfigError(option, item, f"must be one or more of {allowed}")
        if name not in out:
            out.append(name)
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


# --------------------------------------------------------------------------- files


def _default_table(result: Any, name: str, lang: str, money: str) -> _Table | None:
    """The table `name` of :data:`DEFAULT_TABLES`, ready to write; None if `result` has none.

    A name other than the built-in ones is the result's attribute or method of that name
    (a :class:`pandas.DataFrame`).
    """
    if name == "summary":
        return _summary_table(result.summary(), lang, money, "summary")
    if name == "parties":
        return _plain_table(result.party_table(), "parties")
    if name == "ledger":
        first = int(result.replications[0])
        return _plain_table(result.ledger(first), f"ledger_{first:04d}")
    table = getattr(result, name, None)
    if callable(table):
        table = table()
    return _plain_table(table, name) if isinstance(table, pd.DataFrame) else None


def _detail_frame(result: Any, name: str) -> pd.DataFrame:
    """The per-replication table `name` of :data:`DETAIL_TABLES`, whole."""
    return result.party_totals().reset_index() if name == "party_totals" else getattr(result, name)


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
    return [_write([spec], Path(directory), writer(fmt), lang, money_unit) for fmt in fmts]


def _write(
    tables: list[_Table], directory: Path, fmt: Writer, lang: str, money_unit: str, name: str = ""
) -> Path:
    """Write `tables` into one file, ``{name}.{format}``; `name` defaults to the table's."""
    final = directory / f"{name or tables[0].name}.{fmt.name}"
    with atomic_path(final) as tmp:
        fmt.write(tables, tmp, lang, money_unit)
    return final


def _check_streams(chosen: Sequence[Writer], stored: bool) -> None:
    """A stored run's per-replication tables go block by block to every format for
    programs: each must be able to (:attr:`Writer.stream`)."""
    for fmt in chosen:
        if stored and not fmt.readable and fmt.stream is None:
            raise ConfigError(
                "formats",
                fmt.name,
                "cannot write a run streamed to a store (its writer writes no table block "
                "by block); choose another format",
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scenario_record(scenario: Any, scenario_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Name, unit, file hash and the validated source mapping of a scenario, for a manifest."""
    record: dict[str, Any] = {
        "name": scenario.name,
        "money_unit": scenario.money_unit,
        "file": None,
        "file_sha256": None,
        "source_sha256": scenario_sha256(scenario),
        "source": _jsonable(dict(scenario.source)),
    }
    if scenario_file is not None:
        record["file"] = str(scenario_file)
        record["file_sha256"] = _sha256(Path(scenario_file))
    return record


def write_manifest(
    directory: Path,
    provenance: Provenance,
    files: Sequence[Path],
    *,
    scenario_files: Sequence[str | os.PathLike[str] | None] = (),
    **entries: Any,
) -> Path:
    """Write ``manifest.json`` (atomically) for a run, a comparison or a sweep.

    The manifest holds the result's provenance (``fundflow_version``,
    ``engine``, ``seed_entropy``, ``runs``, ``workers``, ``elapsed_seconds``), a
    record of each scenario (:func:`scenario_record`: ``scenario``, or
    ``scenario_a`` and ``scenario_b`` for a comparison), the `entries` given
    (command line, formats...), when it was written, and `files` with their
    sizes and SHA-256.

    Parameters
    ----------
    directory : Path
    provenance : Provenance
        ``result.provenance`` of a SimulationResult, CompareResult or SweepResult.
    files : sequence of Path
        The files written, to list.
    scenario_files : sequence of path or None
        The YAML file each scenario was read from, in order (their hashes are
        recorded).
    **entries
        Further entries; they override the provenance's of the same name.
    """
    record = provenance.manifest()
    scenarios = provenance.sources
    keys = ["scenario"] if len(scenarios) == 1 else [f"scenario_{k}" for k in "ab"]
    given = list(scenario_files) + [None] * len(scenarios)
    for key, scenario, file in zip(keys, scenarios, given, strict=False):
        record[key] = scenario_record(scenario, file)
    record.update(entries)
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
    tables: str | Iterable[str] = (),
) -> list[Path]:
    """Write a run's summary, challenges and party tables, its first ledger and a manifest;
    its per-replication tables on request.

    The tables of :data:`DEFAULT_TABLES` are written in every format; the
    per-replication tables of :data:`DETAIL_TABLES` (``runs``, ``routes``,
    ``party_totals``) only when named in `tables`: a run stored while it went
    (``simulate(..., store=DIR)``) keeps them in its Parquet dataset.

    Parameters
    ----------
    result : SimulationResult
        What :func:`fundflow.simulate` returned.
    directory : str or path-like
        Created if missing.
    formats : str or iterable of str, default ("csv",)
        Any of ``csv, xlsx, parquet, md, tex`` (``"csv,xlsx"`` also accepted), or
        another format registered in :mod:`fundflow.io.writers`.
    lang : {"en", "zh"}
        Language of labels in the summary and of the readable formats' headers.
    scenario_file : path, optional
        The YAML file the scenario was read from; its SHA-256 goes into the manifest.
    provenance : mapping, optional
        Extra entries for the manifest (e.g. the command line and ``--set`` overrides).
    extra_files : sequence of paths, default ()
        Files already written into `directory` (figures) to list in the manifest.
    tables : str or iterable of str, default ()
        Per-replication tables (``runs``, ``routes``, ``party_totals``) to write in
        every format too. A stored run's are written block by block to the formats
        for programs (csv, parquet). An Excel sheet holds at most 1,048,576 rows: a
        longer table continues on sheets ``routes_2``, ``routes_3``...

    Returns
    -------
    list of pathlib.Path
        The files written, ``manifest.json`` last.

    Raises
    ------
    ConfigError
        For an unknown format, table or language, or a directory that cannot be
        written; checked before anything is written.

    Examples
    --------
    >>> res = fundflow.simulate("configs/open_competition.yaml", runs=200, seed=1)  # doctest: +SKIP
    >>> export_result(res, "out", formats="csv,xlsx", lang="zh")  # doctest: +SKIP
    """
    fmts = [writer(f) for f in parse_formats(formats)]
    detail = parse_tables(tables)
    lb.check_lang(lang)
    stored = getattr(result, "store", None) is not None  # streamed: written block by block
    _check_streams(fmts, stored and bool(detail))
    out = prepare_directory(directory)
    money = result.money_unit
    chosen = [t for n in DEFAULT_TABLES if (t := _default_table(result, n, lang, money))]
    whole = stored and not any(f.readable for f in fmts)  # then streamed, never held whole
    details = [] if whole else [_plain_table(_detail_frame(result, n), n) for n in detail]
    written: list[Path] = []
    for fmt in fmts:
        streamed = stored and not fmt.readable
        these = chosen + ([] if streamed else details)
        if fmt.book:
            written.append(_write(these, out, fmt, lang, money, fmt.book))
        else:
            written.extend(_write([t], out, fmt, lang, money) for t in these)
        for name in detail if streamed else ():
            with atomic_path(out / f"{name}.{fmt.name}") as tmp:
                write_stored_table(result, name, tmp, fmt.name, lang)
            written.append(out / f"{name}.{fmt.name}")
    content = {
        "convergence": getattr(result, "convergence", None),
        "entry": getattr(result, "entry", None),
        "formats": [f.name for f in fmts],
        "tables": [*(t.name for t in chosen), *detail],
        "lang": lang,
        "money_unit": money,
        **dict(provenance or {}),
    }
    written += [Path(p) for p in extra_files]
    written.append(
        write_manifest(out, result.provenance, written, scenario_files=[scenario_file], **content)
    )
    return written
