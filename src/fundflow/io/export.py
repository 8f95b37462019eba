"""Write a run's tables to a directory: CSV, Excel, Parquet, Markdown, LaTeX, a manifest.

Layout of ``export_result(result, "out/", formats=("csv", "xlsx", "md"))``::

    out/
      summary.csv  runs.csv  routes.csv      every table in the machine formats
      summary.md  challenges.md              summary and challenges in the readable formats
      results.xlsx                           sheets summary, challenges
      party_totals.csv                       net cash by party, one row per replication
      ledger_0000.csv                        every payment of the first replication
      manifest.json                          what produced the files (written last)

* The per-replication tables ``runs`` (one row per replication) and ``routes``
  (one per replication and route: 440,000 rows for 10,000 replications of the
  shipped program) are data, not reading: they go to CSV and Parquet only,
  unless ``tables=("runs", "routes")`` (``--tables runs,routes``) asks for them
  in Excel, Markdown and LaTeX too. The summary (and a per-challenge table, when
  the result has one) goes to every format.

* CSV and Parquet are for programs: columns keep their code names
  (``gov_net_cost``), and the summary gains ``label`` and ``unit`` columns in the
  chosen language. Excel, Markdown and LaTeX are for people: headers are labels
  with units (``Government net cost (CNY million)``), numbers are formatted
  (money ``#,##0.00``, shares as percentages).
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
    "DETAIL_TABLES",
    "atomic_path",
    "export_result",
    "parse_formats",
    "parse_tables",
    "prepare_directory",
    "write_table",
]

#: Per-replication tables: always in CSV and Parquet, in the readable formats on request.
DETAIL_TABLES: tuple[str, ...] = ("runs", "routes")


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


def _ledger_and_parties(result: Any, out: Path, stored: bool) -> list[Path]:
    """Write the first replication's ledger and the party totals; their paths."""
    first = int(result.replications[0])
    with atomic_path(out / f"ledger_{first:04d}.csv") as tmp:
        writers.write_csv(result.ledger(first), tmp)
    with atomic_path(out / "party_totals.csv") as tmp:
        if stored:
            write_stored_table(result, "party_totals", tmp, "csv")
        else:
            writers.write_csv(result.party_totals().reset_index(), tmp)
    return [out / f"ledger_{first:04d}.csv", out / "party_totals.csv"]


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


def _challenges(result: Any) -> pd.DataFrame | None:
    """The result's per-challenge table (attribute or method ``challenges``), if it has one."""
    table = getattr(result, "challenges", None)
    if callable(table):
        table = table()
    return table if isinstance(table, pd.DataFrame) else None


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
    """Write a run's summary, runs, routes and challenges tables, party totals, a ledger
    and a manifest.

    The summary (and a per-challenge table, when the result has a ``challenges``
    table) is written in every format; the per-replication ``runs`` and
    ``routes`` tables in CSV and Parquet, and in Excel, Markdown and LaTeX only
    when named in `tables`.

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
        Per-replication tables (``runs``, ``routes``) to write in the readable
        formats (xlsx, md, tex) as well; they always go to csv and parquet. An
        Excel sheet holds at most 1,048,576 rows: a longer table continues on
        sheets ``routes_2``, ``routes_3``...

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
    _check_streams(fmts, stored)
    out = prepare_directory(directory)
    money = result.money_unit
    readable = [_summary_table(result.summary(), lang, money, "summary")]
    challenges = _challenges(result)
    if challenges is not None:
        readable.append(_plain_table(challenges, "challenges"))
    per_replication = [
        _plain_table(getattr(result, name), name)
        for name in DETAIL_TABLES
        if not stored or (name in detail and any(f.readable for f in fmts))
    ]
    written = _ledger_and_parties(result, out, stored)
    for fmt in fmts:
        chosen = readable + [
            t for t in per_replication if (t.name in detail if fmt.readable else not stored)
        ]
        if fmt.book:
            written.append(_write(chosen, out, fmt, lang, money, fmt.book))
        else:
            written.extend(_write([t], out, fmt, lang, money) for t in chosen)
        if stored and not fmt.readable:
            for name in DETAIL_TABLES:
                with atomic_path(out / f"{name}.{fmt.name}") as tmp:
                    write_stored_table(result, name, tmp, fmt.name)
                written.append(out / f"{name}.{fmt.name}")
    content = {
        "convergence": getattr(result, "convergence", None),
        "entry": getattr(result, "entry", None),
        "formats": [f.name for f in fmts],
        "tables_in_readable_formats": ["summary", *[t.name for t in readable[1:]], *detail],
        "lang": lang,
        "money_unit": money,
        **dict(provenance or {}),
    }
    written += [Path(p) for p in extra_files]
    written.append(
        write_manifest(out, result.provenance, written, scenario_files=[scenario_file], **content)
    )
    return written
