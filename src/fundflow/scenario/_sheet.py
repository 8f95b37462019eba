"""A scenario's challenge list read from a spreadsheet (.xlsx or .csv).

``challenges: {from: list.xlsx, sheet: 榜单}`` in a scenario file takes the
challenges from a sheet, one row per challenge, columns named by the challenge
keys (:mod:`fundflow.scenario._sheet_columns`). The rows become the same list of mappings a
YAML challenge list gives, so the usual validation applies; its errors are then
mapped back to the cell they came from:
``list.xlsx!榜单!D7 (challenges[5].total_investment) = -3: must be > 0``.

Spreadsheets come from users and are not trusted: an .xlsx is opened in
openpyxl's read-only mode (XML parsed by ``defusedxml``), its unpacked size and its
row and column counts are bounded, and formulas are never evaluated (a cell that
holds one is an error naming the cell); reading the file is
:mod:`fundflow.scenario._sheet_files`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fundflow.errors import ConfigError
from fundflow.scenario._reader import Section
from fundflow.scenario._sheet_columns import KEYS, parse_header
from fundflow.scenario._sheet_files import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    Formula,
    Grid,
    read_grid,
)

__all__ = ["MAX_BYTES", "MAX_COLUMNS", "MAX_ROWS", "SheetMap", "expand_challenges"]

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DIST = re.compile(r"([A-Za-z_]\w*)\s*\((.*)\)")
_INDEX = re.compile(r"\[(\d+)\]")
_ABSENT: Any = object()


@dataclass
class SheetMap:
    """Where each challenge and key of a sheet-based list came from."""

    label: str
    columns: list[tuple[str, str]]  # (column letter, dotted path) in sheet order
    headers: dict[str, str] = field(default_factory=dict)  # column letter -> header as written
    rows: list[int] = field(default_factory=list)  # sheet row of challenges[i]
    filled: list[set[str]] = field(default_factory=list)  # paths given in challenges[i]

    def cell(self, i: int, rest: str) -> str:
        """The reference of the cell holding ``challenges[i].rest`` (or of its row)."""
        row = self.rows[i]
        letter = self._column(i, rest)
        return f"{self.label}!{letter}{row}" if letter else f"{self.label} row {row}"

    def _column(self, i: int, rest: str) -> str | None:
        exact = [c for c, p in self.columns if p == rest]
        if exact:
            return exact[0]
        below = [(c, p) for c, p in self.columns if p.startswith((rest + ".", rest + "["))]
        if below:
            given = [c for c, p in below if p in self.filled[i]]
            return (given or [below[0][0]])[0]
        above = [(c, p) for c, p in self.columns if rest.startswith((p + ".", p + "["))]
        return max(above, key=lambda cp: len(cp[1]))[0] if above else None

    def locate(self, exc: ConfigError) -> ConfigError:
        """`exc` with the cell it concerns, if it concerns one challenge of the sheet."""
        m = re.match(r"challenges\[(\d+)\]\.?(.*)", exc.path)
        if m is None or int(m.group(1)) >= len(self.rows):
            return exc
        i, rest = int(m.group(1)), m.group(2)
        shown = str(exc).startswith(f"{exc.path} = ")
        allowed = exc.allowed
        if self._column(i, rest) is None and allowed.startswith("missing"):
            allowed += f" (the sheet has no column '{rest}')"
        return ConfigError(
            f"{self.cell(i, rest)} ({exc.path})", exc.value, allowed, show_value=shown
        )


def expand_challenges(
    data: Mapping[str, Any], folder: Path
) -> tuple[Mapping[str, Any], Callable[[ConfigError], ConfigError]]:
    """Replace ``challenges: {from: FILE, ...}`` by the rows of that sheet.

    Parameters
    ----------
    data : mapping
        A scenario as read from YAML.
    folder : Path
        The scenario file's folder; a relative ``from:`` is resolved against it.

    Returns
    -------
    data : mapping
        `data` itself when its challenges are a list, else a copy with the sheet's.
    locate : callable
        Maps a :class:`ConfigError` of the scenario to the sheet's cell.
    """
    spec = data.get("challenges")
    if not isinstance(spec, Mapping):
        return data, lambda exc: exc
    sec = Section(spec, "challenges")
    name = sec.text("from")
    sheet = sec.raw("sheet", None)
    if sheet is not None and (not isinstance(sheet, str) or not sheet):
        raise ConfigError(sec.at("sheet"), sheet, "must be the name of a sheet (text)")
    sec.finish()
    grid = read_grid(folder / name, name, sheet)
    challenges, where = _challenges(grid)
    return {**data, "challenges": challenges}, where.locate


# --------------------------------------------------------------------------- rows


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(j + 1))


def _empty(row: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _comment(row: list[Any]) -> bool:
    first = next((v for v in row if v is not None and str(v).strip()), None)
    return isinstance(first, str) and first.strip().startswith("#")


def _challenges(grid: Grid) -> tuple[list[dict[str, Any]], SheetMap]:
    if grid.merged:
        ref = grid.merged[0]
        raise ConfigError(
            f"{grid.label}!{ref}",
            None,
            "merged cells: unmerge them and write the value in every cell",
            show_value=False,
        )
    numbered = [(r, row) for r, row in enumerate(grid.rows, start=1)]
    body = [(r, row) for r, row in numbered if not _empty(row) and not _comment(row)]
    if not body:
        raise ConfigError(grid.label, None, "no header row: the sheet is empty", show_value=False)
    header_row, header = body[0]
    headers = {c: str(header[j]).strip() for j, c in _letters(header)}
    where = SheetMap(grid.label, _columns(grid.label, header_row, header), headers)
    paths = dict(where.columns)
    out: list[dict[str, Any]] = []
    gap: int | None = None
    for r, row in numbered[header_row:]:
        if _empty(row):
            gap = gap or r
            continue
        if _comment(row):
            continue
        if gap is not None:
            raise ConfigError(
                f"{grid.label}!A{gap}",
                None,
                f"an empty row inside the list (challenges continue in row {r}): delete it",
                show_value=False,
            )
        i = len(out)
        item, filled = _challenge(grid.label, r, row, paths, i)
        out.append(item)
        where.rows.append(r)
        where.filled.append(filled)
        _check_race_has_solvers(where, i)
    if not out:
        raise ConfigError(
            f"{grid.label}!A{header_row}",
            None,
            "no challenge rows under the header",
            show_value=False,
        )
    return out, where


def _letters(header: list[Any]) -> list[tuple[int, str]]:
    """``(index, column letter)`` of the headed columns."""
    return [
        (j, _letter(j))
        for j, text in enumerate(header)
        if text is not None and not (isinstance(text, str) and not text.strip())
    ]


def _check_race_has_solvers(where: SheetMap, i: int) -> None:
    """A row that fills race columns must say how many solvers race (the default is one)."""
    filled = where.filled[i]
    race = [c for c, p in where.columns if p in filled and (p == "race" or p.startswith("race."))]
    if not race or "solvers" in filled:
        return
    named = ", ".join(f"{where.headers[c]} ({c})" for c in race)
    path = f"challenges[{i}].solvers"
    letter = where._column(i, "solvers")
    if letter is None:
        raise ConfigError(
            f"{where.label} row {where.rows[i]} ({path})",
            None,
            f"the sheet has no column solvers ({KEYS['solvers'][0]}) but the race columns "
            f"{named} are filled: add it and give the number of solvers (a race runs among "
            "2 or more)",
            show_value=False,
        )
    raise ConfigError(
        f"{where.label}!{letter}{where.rows[i]} ({path})",
        None,
        f"column {where.headers[letter]} is empty but the race columns {named} are filled: "
        "give the number of solvers (a race runs among 2 or more)",
        show_value=False,
    )


def _columns(label: str, r: int, header: list[Any]) -> list[tuple[str, str]]:
    columns: list[tuple[str, str]] = []
    for j, text in enumerate(header):
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        ref = f"{label}!{_letter(j)}{r}"
        if not isinstance(text, str) or isinstance(text, Formula):
            raise ConfigError(ref, text, "a column header must be a challenge key (text)")
        path = parse_header(text, ref)
        for letter, other in columns:
            if other == path:
                raise ConfigError(
                    ref, text, f"a second column for '{path}' (the first is {letter})"
                )
        columns.append((_letter(j), path))
    return columns


def _challenge(
    label: str, r: int, row: list[Any], paths: dict[str, str], i: int
) -> tuple[dict[str, Any], set[str]]:
    tree: dict[Any, Any] = {}
    filled: set[str] = set()
    for j, raw in enumerate(row):
        letter = _letter(j)
        path = paths.get(letter)
        ref = f"{label}!{letter}{r}" + (f" (challenges[{i}].{path})" if path else "")
        value = _value(raw, ref)
        if value is _ABSENT:
            continue
        if path is None:
            raise ConfigError(ref, value, "a value in a column without a header")
        for other in filled:  # e.g. value_on_success and value_on_success.median
            if path.startswith((other + ".", other + "[")) or other.startswith(
                (path + ".", path + "[")
            ):
                raise ConfigError(ref, value, f"'{other}' is given too: fill one or the other")
        _put(tree, path, value)
        filled.add(path)
    try:
        return _lists(tree, f"challenges[{i}]"), filled
    except ConfigError as exc:
        raise ConfigError(f"{label} row {r} ({exc.path})", exc.value, exc.allowed) from None


def _put(tree: dict[Any, Any], path: str, value: Any) -> None:
    keys: list[Any] = []
    for part in path.split("."):
        keys.append(_INDEX.sub("", part))
        keys += [int(k) for k in _INDEX.findall(part)]
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _lists(node: Any, path: str) -> Any:
    """Nested dicts with whole-number keys become lists (items 0, 1, ... without gaps)."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        keys = sorted(node)
        if keys != list(range(len(keys))):
            raise ConfigError(
                path,
                keys,
                "list items must be numbered 0, 1, 2, ... without gaps (columns "
                f"{path}[{next(k for k in range(len(keys) + 1) if k not in node)}] are empty)",
            )
        return [_lists(node[k], f"{path}[{k}]") for k in keys]
    return {k: _lists(v, f"{path}.{k}") for k, v in node.items()}


# --------------------------------------------------------------------------- cells


def _value(raw: Any, ref: str) -> Any:
    """A cell's value as YAML would give it; `_ABSENT` when the cell is empty."""
    if raw is None:
        return _ABSENT
    if isinstance(raw, Formula) or (isinstance(raw, str) and raw.strip().startswith("=")):
        raise ConfigError(
            ref,
            str(raw),
            "a formula: fundflow never evaluates formulas; paste the value itself "
            "(Paste Special > Values)",
        )
    if isinstance(raw, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        raise ConfigError(
            ref,
            str(raw),
            "a date or time where a number or text belongs: times are years from the "
            "program's start (format the cell as a number)",
        )
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else raw
    if isinstance(raw, int):
        return raw
    return _text(str(raw).strip(), ref)


def _number(text: str) -> Any:
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text.endswith("%") and _FLOAT.fullmatch(text[:-1].strip()):
        return float(text[:-1]) / 100
    return None


def _text(text: str, ref: str) -> Any:
    if not text:
        return _ABSENT
    number = _number(text)
    if number is not None:
        return number
    lowered = text.lower()
    if lowered in ("true", "是"):
        return True
    if lowered in ("false", "否"):
        return False
    if lowered in ("null", "~"):
        return None
    if text[0] in "{[":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(ref, text, "not a valid YAML value") from None
    m = _DIST.fullmatch(text)
    if m:
        return _dist(m.group(1), m.group(2), text, ref)
    return text


def _dist(family: str, args: str, text: str, ref: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"dist": family}
    for arg in filter(None, (a.strip() for a in args.split(","))):
        key, eq, value = arg.partition("=")
        number = _number(value.strip()) if eq else None
        if number is None or not key.strip() or not math.isfinite(float(number)):
            raise ConfigError(
                ref, text, "a distribution is written as lognormal(median=40, sigma=1)"
            )
        spec[key.strip()] = number
    return spec
