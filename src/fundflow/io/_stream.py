"""The per-replication tables of a stored run, written block by block.

A run streamed to a store (:mod:`fundflow.results.store`) may hold more rows than
memory: its ``runs``, ``routes`` and ``party_totals`` files are written one block
at a time, by the ``stream`` of the format's writer (:mod:`fundflow.io.writers`),
with the columns and values :func:`fundflow.io.export.export_result` writes for a
run held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from fundflow.io._text_tables import _plain_table
from fundflow.io.writers import writer
from fundflow.results.result import routes_frame

__all__ = ["write_stored_table"]


def _frames(result: Any, name: str) -> Iterator[pd.DataFrame]:
    """The table `name` of a stored result, one block at a time, as the file holds it."""
    dataset = {"runs": "runs", "routes": "routes", "party_totals": "parties"}[name]
    for table in result.store.batches(dataset):
        if name == "routes":
            cols = {c: table.column(c).to_numpy() for c in table.column_names}
            yield _plain_table(routes_frame(result.scenario, cols), name).frame
        else:
            yield table.to_pandas()


def write_stored_table(result: Any, name: str, path: Path, fmt: str, lang: str = "en") -> None:
    """Write the table `name` (runs, routes, party_totals) of a stored result to `path`,
    headers in `lang` where the format has them so (a CSV in Chinese).

    Raises
    ------
    ConfigError
        If `fmt` has no writer.
    ValueError
        If its writer cannot write a table block by block (it has no ``stream``).
    """
    found = writer(fmt)
    if found.stream is None:
        raise ValueError(f"format {fmt!r} cannot write a table block by block (no stream)")
    found.stream(_frames(result, name), path, lang, result.money_unit)
