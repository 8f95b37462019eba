"""The scenario reference and the JSON Schema, generated from the scenario declaration.

:func:`json_schema` turns :data:`~fundflow.scenario.schema.SCENARIO` into a JSON
Schema (draft 2020-12) that editors use to complete and check YAML scenario files
(``fundflow schema`` prints it; docs/scenario.schema.json holds it).
:func:`render_reference` writes the key tables of docs/scenario-reference.md
between its markers. Regenerate both files after editing the declaration::

    python -m fundflow.scenario.reference

The schema checks each key's type, bounds and choices; the rules that involve
several keys (shares summing to 1, milestones that exist, a fund ending within
the horizon) are checked by :meth:`fundflow.Scenario.from_dict` only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fundflow.scenario._schema_core import DERIVED, REQUIRED, Key
from fundflow.scenario.schema import SCENARIO

__all__ = ["BEGIN", "END", "json_schema", "json_text", "reference_tables", "render_reference"]

#: The markers between which docs/scenario-reference.md is generated.
BEGIN = "<!-- generated from fundflow.scenario.schema by python -m fundflow.scenario.reference -->"
END = "<!-- end of generated tables -->"

_DIST = "#/$defs/distribution"

# --- JSON Schema ------------------------------------------------------------------------------


def _bounds(key: Key) -> dict[str, float]:
    out: dict[str, float] = {}
    if key.lo is not None:
        out["exclusiveMinimum" if key.lo_open else "minimum"] = key.lo
    if key.hi is not None:
        out["exclusiveMaximum" if key.hi_open else "maximum"] = key.hi
    return out


def _plain_default(key: Key) -> dict[str, Any]:
    d = key.default
    if d is REQUIRED or d is DERIVED or key.kind in ("section", "map"):
        return {}
    return {"default": d}


def _value_schema(key: Key) -> dict[str, Any]:
    kind = key.kind
    if kind in ("number", "probability"):
        out: dict[str, Any] = {"type": ["number", "null"] if key.nullable else "number"}
        return {**out, **_bounds(key)}
    if kind == "integer":
        return {"type": "integer", "minimum": int(key.lo or 0)}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "text":
        out = {"type": ["string", "null"] if key.nullable else "string", "minLength": 1}
        return {**out, "enum": list(key.choices)} if key.choices else out
    if kind == "dist":
        return {"anyOf": [{"type": "number", **_bounds(key)}, {"$ref": _DIST}]}
    if kind == "map":
        return {
            "type": ["object", "null"],
            "additionalProperties": {"type": "number", **_bounds(key)},
        }
    if kind == "list":
        out = {"type": ["array", "null"] if key.default is None else "array"}
        return {**out, "minItems": key.min_len, "items": _object(key)}
    return {**_object(key), "type": ["object", "null"]}


def _object(key: Key) -> dict[str, Any]:
    props = {c.name: _property(c) for c in key.children}
    required = [c.name for c in key.children if c.default is REQUIRED]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    return {**out, "required": required} if required else out


def _property(key: Key) -> dict[str, Any]:
    schema = _value_schema(key)
    if key.name == "challenges" and key.kind == "list":  # or rows of a spreadsheet
        sheet = {
            "type": "object",
            "properties": {
                "from": {"type": "string", "minLength": 1, "description": ".xlsx or .csv file"},
                "sheet": {"type": "string", "minLength": 1, "description": "sheet of an .xlsx"},
            },
            "required": ["from"],
            "additionalProperties": False,
        }
        schema = {"anyOf": [schema, sheet]}
    doc = key.doc or key.default_doc
    return {**({"description": doc} if doc else {}), **_plain_default(key), **schema}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file.

    Returns
    -------
    dict
        Ready for :func:`json.dumps`; ``$defs/distribution`` is the mapping form
        of a number-or-distribution (``{dist: triangular, low: 1, mode: 2, high: 3}``).
    """
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "fundflow scenario",
        "description": "A fundflow scenario file (YAML). docs/scenario-reference.md describes "
        "every key; rules that involve several keys are checked by fundflow itself.",
        **_object(SCENARIO),
        "$defs": {
            "distribution": {
                "type": "object",
                "description": "a distribution: triangular (low, mode, high), lognormal "
                "(median, sigma), uniform (low, high), normal (mean, sd), beta (a, b, low, "
                "high) or another scipy.stats continuous family (its shapes, loc, scale)",
                "properties": {"dist": {"type": "string", "minLength": 1}},
                "required": ["dist"],
                "additionalProperties": {"type": "number"},
            }
        },
    }


def json_text() -> str:
    """:func:`json_schema` as the text of docs/scenario.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- the reference tables ---------------------------------------------------------------------


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, str):
        return f"`{value}`" if value else '""'
    return "null" if value is None else ""


def _default_cell(key: Key) -> str:
    if key.default_doc:
        return key.default_doc
    if key.default is REQUIRED:
        return "required"
    if key.kind in ("section", "map") or key.default is DERIVED:
        return "off" if key.default is None else "its keys' defaults"
    return _shown(key.default)


def _interval(key: Key) -> str:
    lo, hi = key.lo, key.hi
    if lo is not None and hi is not None:
        return f"{'(' if key.lo_open else '['}{lo:g}, {hi:g}{')' if key.hi_open else ']'}"
    if lo is not None:
        return f"{'>' if key.lo_open else '≥'} {lo:g}".replace("-", "−")
    if hi is not None:
        return f"{'<' if key.hi_open else '≤'} {hi:g}"
    return "number"


def _allowed_cell(key: Key) -> str:
    if key.allowed_doc:
        return key.allowed_doc
    kind = key.kind
    null = " or null" if key.nullable or (kind == "section" and key.default is None) else ""
    if kind in ("number", "probability"):
        return _interval(key) + null
    if kind == "integer":
        return f"whole number ≥ {int(key.lo or 0)}"
    if kind == "boolean":
        return "true or false"
    if kind == "text":
        return ", ".join(f"`{c}`" for c in key.choices) if key.choices else "text"
    if kind == "dist":
        return f"number or distribution {_interval(key)}"
    if kind == "list":
        return f"list of ≥ {key.min_len}"
    if kind == "map":
        return f"name → number in {_interval(key)}"
    return "mapping" + null


def _row(path: str, key: Key) -> str:
    cells = (f"`{path}`", _default_cell(key), _allowed_cell(key), key.doc)
    return "| " + " | ".join(cells) + " |"


def _table(rows: list[str]) -> list[str]:
    return ["| key | default | allowed | meaning |", "|---|---|---|---|", *rows]


def reference_tables() -> str:
    """The key tables of docs/scenario-reference.md, one per top-level section."""
    top = [_row(k.name, k) for k in SCENARIO.children]
    parts = ["## Top level", "", *_table(top)]
    for key in SCENARIO.children:
        if key.kind not in ("section", "list"):
            continue
        title = f"{key.name}[i]" if key.kind == "list" else key.name
        rows = [_row(path.replace("[i]", "[j]"), k) for path, k in key.walk()]
        parts += ["", f"## `{title}`", "", *_table(rows)]
    return "\n".join(parts) + "\n"


def render_reference(text: str) -> str:
    """``text`` (docs/scenario-reference.md) with the tables between the markers renewed.

    Raises
    ------
    ValueError
        If the markers are missing.
    """
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the reference needs the lines {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n\n{reference_tables()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/scenario-reference.md and docs/scenario.schema.json under ``argv[0]``.

    ``argv[0]`` is the docs folder (default ``docs``).
    """
    args = sys.argv[1:] if argv is None else argv
    docs = Path(args[0] if args else "docs")
    ref = docs / "scenario-reference.md"
    ref.write_text(render_reference(ref.read_text(encoding="utf-8")), encoding="utf-8")
    (docs / "scenario.schema.json").write_text(json_text(), encoding="utf-8")
    print(f"wrote {ref} and {docs / 'scenario.schema.json'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
