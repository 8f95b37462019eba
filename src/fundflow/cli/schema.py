"""``fundflow schema``: print the JSON Schema of scenario files (docs/scenario.schema.json)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add the ``schema`` subcommand to `sub`."""
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of scenario files, for editors that complete and check YAML",
    )
    p.set_defaults(handler=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    from fundflow.cli._print import _emit
    from fundflow.scenario.reference import json_text

    _emit(json_text().rstrip("\n"))
    return 0
