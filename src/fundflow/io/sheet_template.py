"""A challenge-list template (.xlsx or .csv) for ``fundflow init --list``.

The columns are those of a validated challenge (the first of the
``open_competition`` example), flattened to dotted paths, so a key added to the
challenge schema appears here without further work. Row 1 holds the headers (with
units), row 2 the allowed values (a comment row, skipped when read: its first cell
starts with ``#``), row 3 an example challenge.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError
from fundflow.io import labels as lb
from fundflow.scenario.distributions import Dist
from fundflow.scenario.sheet_columns import KEYS, header_of, last_key

__all__ = ["example_row", "write_template"]

_TITLE = {"en": "challenges", "zh": "榜单"}
_ALLOWED_MARK = {"en": "# allowed: ", "zh": "# 允许值："}


def _plain(value: Any) -> Any:
    if isinstance(value, Dist):
        plain = value.to_plain()
        return str(value) if isinstance(plain, dict) else _plain(plain)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _flatten(obj: Any, prefix: str, out: dict[str, Any]) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, (type, Dist)):
        for f in dataclasses.fields(obj):
            _flatten(getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name, out)
    elif isinstance(obj, tuple):
        for k, item in enumerate(obj):
            _flatten(item, f"{prefix}[{k}]", out)
    else:
        out[prefix] = _plain(obj)


def example_row() -> tuple[dict[str, Any], str]:
    """The first challenge of the ``open_competition`` example by dotted path, and its unit."""
    from fundflow.scenario.config import load_scenario

    scenario = load_scenario("open_competition")
    out: dict[str, Any] = {}
    _flatten(scenario.challenges[0], "", out)
    if out.get("contract_price") is not None:
        out["demander_share"] = None  # a challenge gives one of the two: this cell empty
    return out, scenario.money_unit


def _header(path: str, lang: str, money_unit: str) -> str:
    unit = KEYS.get(last_key(path), ("", None, "", ""))[1]
    text = lb.unit_text(unit, lang, money_unit) if unit in ("money", "years", "ratio") else ""
    name = header_of(path, lang)
    if not text:
        return name
    return f"{name}（{text}）" if lang == "zh" else f"{name} ({text})"


def _allowed(path: str, lang: str) -> str:
    row = KEYS.get(last_key(path))
    if row is None:
        return ""
    if last_key(path) == "name" and path != "name":  # a phase's name need not be unique
        return "文本" if lang == "zh" else "text"
    return row[3] if lang == "zh" and row[3] else row[2]


def _table(lang: str) -> list[list[Any]]:
    values, money_unit = example_row()
    paths = list(values)
    headers = [_header(p, lang, money_unit) for p in paths]
    allowed = [_allowed(p, lang) for p in paths]
    allowed[0] = _ALLOWED_MARK[lang] + allowed[0]
    return [headers, allowed, [values[p] for p in paths]]


def write_template(target: str | Path, lang: str = "en") -> Path:
    """Write a challenge-list template to `target` (.xlsx or .csv), never overwriting.

    Raises
    ------
    ConfigError
        If `target` exists, has another suffix, or cannot be written.
    """
    lb.check_lang(lang, option="--lang")
    out = Path(target)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ConfigError("--list", str(out), "must end in .xlsx or .csv")
    if out.exists():
        raise ConfigError(
            "--list", str(out), "already exists; choose another file (init never overwrites)"
        )
    rows = _table(lang)
    try:
        if suffix == ".csv":
            with out.open("x", encoding="utf-8-sig", newline="") as f:
                csv.writer(f).writerows(rows)
        else:
            _write_xlsx(out, rows, _TITLE[lang])
    except OSError as exc:
        raise ConfigError("--list", str(out), f"cannot be written ({exc.strerror})") from None
    return out


def _write_xlsx(out: Path, rows: list[list[Any]], title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[2]:
        cell.font = Font(italic=True, color="808080")
    for j, header in enumerate(rows[0], start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(str(header)) + 2))
    ws.freeze_panes = "B3"
    with out.open("xb") as f:
        wb.save(f)
