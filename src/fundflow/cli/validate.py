"""``fundflow validate``: check a scenario file and print a one-line summary."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fundflow.cli._common import _DEFAULT_RUNS, _add_set, _add_size_limit, _load
from fundflow.cli._print import _emit

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add the ``validate`` subcommand to `sub`."""
    p = sub.add_parser("validate", help="check a scenario file and print a one-line summary")
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    _add_set(p)
    _add_size_limit(p)
    p.add_argument(
        "--lang",
        metavar="LANG",
        default="en",
        help="language of the summary, the size line and an error line: en or zh (default en)",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from fundflow.cli._guard import validate_lines

    lang = args.lang
    if lang != "en":  # English needs no label table (NumPy): validate stays quick
        from fundflow.io.labels import check_lang

        check_lang(lang, option="--lang")
    scenario = _load(args.config, args.set)
    size = validate_lines(scenario, _DEFAULT_RUNS, allow=args.no_size_limit, lang=lang)
    if lang == "en":
        _emit(scenario.describe())
    else:
        from fundflow.cli._print import _describe

        _emit(_describe(scenario, lang))
    print("\n".join(size), file=sys.stderr)
    return 0
