"""The per-replication tables of a stored run, written to CSV and Parquet block by block.

A run streamed to a store (:mod:`fundflow.results.store`) may hold more rows than
memory: its ``runs``, ``routes`` and ``party_totals`` files are written one
block at a time, with the columns and values :func:`fundflow.io.export.export_result`
writes for a run held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from fundflow.io._text_tables import _plain_table

__all__ = ["write_stored_table"]


def _frames(result: Any, name: str) -> Iterator[pd.DataFrame]:
    """The table `name` of a stored result, one block at a time, as the file holds it."""
    from fundflow.results.result import routes_frame

    dataset = {"runs": "runs", "routes": "routes", "party_totals": "parties"}[name]
    for table in result.store.batches(dataset):
        if name == "routes":
            cols = {c: table.column(c).to_numpy() for c in table.column_names}
            yield _plain_table(routes_frame(result.scenario, cols), name).frame
        else:
            yield table.to_pandas()


def write_stored_table(result: Any, name: str, path: Path, fmt: str) -> None:
    """Write the table `name` (runs, routes, party_totals) of a stored result to `path`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv

    from fundflow.io.export import _plain_values

    writer: Any = None
    try:
        for frame in _frames(result, name):
            plain = _plain_values(frame, categories_as_text=fmt == "csv")
            table = pa.Table.from_pandas(plain, preserve_index=False)
            if writer is None and fmt == "csv":
                options = csv.WriteOptions(quoting_style="needed")
                writer = csv.CSVWriter(path, table.schema, write_options=options)
            elif writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
