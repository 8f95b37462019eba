"""Pinned tables: a table computed now against the copy committed under ``tests/pins/``.

A pin is a CSV file. Its first line, ``# fundflow pin {...}``, is JSON giving the
names of the table's index levels and the kind of every column (``number``,
``bool`` or ``string``, index levels first); then come the header and the rows,
index levels first. Numbers are written exactly (the shortest text that reads back
as the same double), a missing value as an empty cell (so a pin does not tell an
empty string from a missing one).

:func:`assert_matches_pin` passes when the table has the pin's index (names and
values, exactly), columns and kinds, the same missing cells, the same strings and
booleans, and numbers within ``RTOL`` of the pinned ones (plus ``ATOL`` times the
largest pinned magnitude of the column, for values near zero). Otherwise it fails
listing the first differing cells as ``table[row, column]: pinned X, got Y (rel
diff Z)``. Pins compare numbers, not bytes: another numpy, pandas or compiler may
change the last bits of a sum without the test failing, and a real change of a
figure shows as a readable difference.

Re-pinning, after a change of the model's numbers made on purpose::

    FUNDFLOW_REPIN=1 pytest tests/test_regression_pin.py

rewrites every pin that the table no longer matches (or that is missing) and fails
each test it rewrote, listing what changed. Review ``git diff tests/pins``, run the
tests again without the variable (they must pass), and commit the pins with the
change. Without the variable nothing is ever written.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PINS = Path(__file__).resolve().parent / "pins"

#: Relative tolerance of a pinned number.
RTOL = 1e-12
#: Absolute tolerance, as a share of the largest pinned magnitude of the column.
ATOL = 1e-12
#: Differences listed in a failure message (the count of all of them follows).
SHOWN = 10

_MAGIC = "# fundflow pin "
_REPIN = "FUNDFLOW_REPIN"


@dataclass
class Table:
    """A table as columns of plain values: index levels first, then the columns."""

    index: list[str | None]  # names of the index levels
    columns: list[str]
    kinds: list[str]  # one per index level and column
    values: list[np.ndarray]  # float64 for numbers, object (str/bool/None) otherwise

    @property
    def rows(self) -> int:
        return len(self.values[0]) if self.values else 0

    def label(self, row: int) -> Any:
        """The row's index label, as the table shows it."""
        label = tuple(_show_label(self.values[i][row]) for i in range(len(self.index)))
        return label[0] if len(label) == 1 else label


def _kind(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return _kind(dtype.categories.dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    return "string"


def _values(series: pd.Series, kind: str) -> np.ndarray:
    if kind == "number":
        return series.to_numpy(dtype="float64", na_value=np.nan)
    out = np.empty(len(series), dtype=object)
    for i, value in enumerate(series.astype(object)):
        out[i] = None if pd.isna(value) else (bool(value) if kind == "bool" else str(value))
    return out


def table(frame: pd.DataFrame) -> Table:
    """The frame's index levels and columns as plain values, with their kinds."""
    levels = [frame.index.get_level_values(i) for i in range(frame.index.nlevels)]
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    series = [pd.Series(level) for level in levels] + columns
    kinds = [_kind(s.dtype) for s in series]
    return Table(
        index=list(frame.index.names),
        columns=list(frame.columns),
        kinds=kinds,
        values=[_values(s, k) for s, k in zip(series, kinds, strict=True)],
    )


# --- the file ---------------------------------------------------------------------------


def _cell(value: Any, kind: str) -> str:
    if value is None or (kind == "number" and math.isnan(value)):
        return ""
    if kind != "number":
        return str(value)
    number = float(value)
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))  # reads back as the same double, in fewer characters
    return repr(number)  # the shortest text that reads back as the same double


def _parse(cell: str, kind: str) -> Any:
    if kind == "number":
        return math.nan if cell == "" else float(cell)
    if cell == "":
        return None
    if kind == "bool":
        return {"True": True, "False": False}[cell]
    return cell


def write_pin(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame's pin, and check that it reads back as the same table exactly."""
    if not all(isinstance(c, str) for c in frame.columns):
        raise TypeError(f"a pinned table needs string column names, not {list(frame.columns)}")
    t = table(frame)
    header = {"index": t.index, "kinds": t.kinds}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(_MAGIC + json.dumps(header) + "\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([name or "" for name in t.index] + t.columns)
        cells = [[_cell(v, k) for v in col] for col, k in zip(t.values, t.kinds, strict=True)]
        writer.writerows(zip(*cells, strict=True))
    again = differences("round trip", t, read_pin(path), rtol=0.0, atol=0.0)
    assert not again, "\n".join(again)


def read_pin(path: Path) -> Table:
    with path.open(encoding="utf-8", newline="") as f:
        first = f.readline()
        if not first.startswith(_MAGIC):
            raise ValueError(f"{path} is not a pin: its first line is not {_MAGIC!r}...")
        header = json.loads(first[len(_MAGIC) :])
        rows = list(csv.reader(f))
    index, kinds = header["index"], header["kinds"]
    names, body = rows[0], rows[1:]
    cells = list(zip(*body, strict=True)) if body else [()] * len(kinds)
    values = []
    for col, kind in zip(cells, kinds, strict=True):
        parsed = [_parse(c, kind) for c in col]
        values.append(np.array(parsed, dtype="float64" if kind == "number" else object))
    return Table(index=index, columns=names[len(index) :], kinds=kinds, values=values)


# --- the comparison ---------------------------------------------------------------------


def _show_label(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    return repr(float(value)) if isinstance(value, float) else repr(value)


def _bad_numbers(got: np.ndarray, pinned: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    nan_g, nan_p = np.isnan(got), np.isnan(pinned)
    finite = np.isfinite(pinned)
    scale = float(np.max(np.abs(pinned[finite]))) if finite.any() else 0.0
    with np.errstate(invalid="ignore"):
        close = np.abs(got - pinned) <= rtol * np.abs(pinned) + atol * scale
    return (nan_g != nan_p) | (~nan_g & ~nan_p & ~(close | (got == pinned)))


def _rel(got: Any, pinned: Any) -> str:
    if not isinstance(pinned, float) or math.isnan(pinned) or math.isnan(got):
        return ""
    rel = abs(got - pinned) / abs(pinned) if pinned else math.inf
    return f" (rel diff {rel:.3g})"


def _listed(lines: list[str], total: int, what: str) -> list[str]:
    more = [f"... and {total - SHOWN} more {what}"] if total > SHOWN else []
    return lines[:SHOWN] + more


def differences(
    name: str, got: Table, pinned: Table, rtol: float = RTOL, atol: float = ATOL
) -> list[str]:
    """What differs between two tables, one readable line each (empty: they match)."""
    if got.index != pinned.index:
        return [f"{name}: index levels: pinned {pinned.index}, got {got.index}"]
    if got.columns != pinned.columns:
        missing = [c for c in pinned.columns if c not in got.columns]
        extra = [c for c in got.columns if c not in pinned.columns]
        return [f"{name}: columns differ: missing {missing}, extra {extra} (or reordered)"]
    names = [*(str(n) for n in got.index), *got.columns]
    kinds = [
        f"{name}: column {n!r} holds {p}s when pinned, {g}s now"
        for n, g, p in zip(names, got.kinds, pinned.kinds, strict=True)
        if g != p
    ]
    if kinds:
        return kinds
    if got.rows != pinned.rows:
        return [f"{name}: {pinned.rows} rows pinned, {got.rows} now"]
    levels = len(got.index)
    bad = np.zeros((got.rows, len(names)), dtype=bool)
    for j, (g, p, kind) in enumerate(zip(got.values, pinned.values, got.kinds, strict=True)):
        if kind == "number":
            exact = j < levels  # index labels match exactly
            bad[:, j] = _bad_numbers(g, p, 0.0 if exact else rtol, 0.0 if exact else atol)
        else:
            bad[:, j] = [a != b for a, b in zip(g, p, strict=True)]
    index_rows = np.flatnonzero(bad[:, :levels].any(axis=1))
    if index_rows.size:
        lines = [
            f"{name}.index[{r}]: pinned {pinned.label(r)!r}, got {got.label(r)!r}"
            for r in index_rows[:SHOWN]
        ]
        return _listed(lines, index_rows.size, "rows whose index differs")
    cells = np.argwhere(bad)
    lines = []
    for r, j in cells[:SHOWN]:
        p, g = pinned.values[j][r], got.values[j][r]
        lines.append(
            f"{name}[{pinned.label(r)!r}, {names[j]!r}]: pinned {_show(p)}, got {_show(g)}"
            + _rel(g, p)
        )
    return _listed(lines, len(cells), "differing cells")


def assert_matches_pin(frame: pd.DataFrame, path: Path, name: str | None = None) -> None:
    """Fail unless the frame matches the table pinned at ``path`` (see the module's doc).

    With ``FUNDFLOW_REPIN=1`` a pin that does not match (or is missing) is rewritten
    from the frame, and the test still fails, listing what changed.
    """
    name = name or path.stem
    shown = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    if path.exists():
        problems = differences(name, table(frame), read_pin(path))
        if not problems:
            return
    else:
        problems = [f"{name}: no pin at {shown}"]
    if os.environ.get(_REPIN) == "1":
        write_pin(frame, path)
        pytest.fail(
            f"re-pinned {shown}; review `git diff tests/pins`, then run the tests again "
            f"without {_REPIN}. What changed:\n" + "\n".join(problems),
            pytrace=False,
        )
    pytest.fail(
        f"{name} differs from its pin {shown}:\n"
        + "\n".join(problems)
        + f"\n(if the change is intended: {_REPIN}=1 pytest tests/test_regression_pin.py,"
        " then review and commit the rewritten pins)",
        pytrace=False,
    )
