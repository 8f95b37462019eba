"""``fundflow examples`` and ``fundflow init``: the shipped scenarios, and templates to edit.

``examples`` lists the example scenarios shipped inside the package;
``init NAME [PATH]`` writes a commented copy of one to edit, and
``init --list FILE`` a challenge-list template (.xlsx or .csv, ``--lang zh`` for
Chinese headers). Neither overwrites an existing file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError
from fundflow.scenario import examples

__all__ = ["add_parser", "resolve_examples"]

_CONFIG_ARGS = ("config", "config_a", "config_b")


def add_parser(sub: Any) -> None:
    """Add the ``examples`` and ``init`` subcommands to `sub`."""
    p = sub.add_parser("examples", help="list the example scenarios shipped with fundflow")
    p.set_defaults(handler=_run_examples)
    p = sub.add_parser(
        "init", help="write a copy of an example scenario, or a challenge-list template, to edit"
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="an example (see 'fundflow examples')")
    p.add_argument("path", nargs="?", metavar="PATH", help="where to write it (default NAME.yaml)")
    p.add_argument(
        "--list",
        dest="list_file",
        metavar="FILE",
        help="write a challenge-list template instead (.xlsx or .csv), one row per challenge",
    )
    p.add_argument(
        "--lang", metavar="LANG", default="en", help="template headers: en or zh (default en)"
    )
    p.set_defaults(handler=_run_init)


def resolve_examples(args: argparse.Namespace) -> argparse.Namespace:
    """Replace a scenario argument that names a shipped example by that example's file."""
    for attr in _CONFIG_ARGS:
        value = getattr(args, attr, None)
        if isinstance(value, str) and examples.resolve(value) != Path(value):
            setattr(args, attr, str(examples.resolve(value)))
    return args


def _run_examples(args: argparse.Namespace) -> int:
    from fundflow.cli._print import _emit

    names = examples.names()
    width = max(len(n) for n in names) + 2
    for name in names:
        _emit(f"{name:<{width}}{examples.describe(name)}".rstrip())
    return 0


def _run_init(args: argparse.Namespace) -> int:
    from fundflow.cli._print import _emit

    if args.list_file is not None:
        if args.name is not None:
            raise ConfigError(
                "NAME", args.name, "give either an example NAME or --list FILE, not both"
            )
        from fundflow.io.sheet_template import write_template

        out = write_template(args.list_file, args.lang)
        _emit(
            f"wrote {out}: a challenge-list template (headers, allowed values, one example "
            f"row). Use it in a scenario as  challenges: {{from: {out.name}}}"
        )
        return 0
    if args.name is None:
        raise ConfigError(
            "NAME",
            None,
            "missing: name an example ('fundflow examples' lists them) or give --list FILE",
            show_value=False,
        )
    if args.lang != "en":
        raise ConfigError("--lang", args.lang, "applies only with --list")
    out = examples.copy_example(args.name, args.path or f"{args.name}.yaml")
    _emit(f"wrote {out}, a copy of the example '{args.name}'; run it with: fundflow run {out}")
    return 0
