"""The ``fundflow`` command: parse the arguments, then call the library.

Subcommands (``fundflow SUBCOMMAND --help`` lists the options)::

    fundflow validate CONFIG [--set PATH=VALUE ...]
    fundflow run CONFIG [--runs N] [--seed S] [--workers W] [--scheduler ADDRESS|local]
                 [--out DIR]
                 [--format csv,xlsx,parquet,md,tex] [--lang en|zh] [--quiet]
                 [--target-se X [--max-runs M]] [--set PATH=VALUE ...] [--plots]
                 [--tables runs,routes]
    fundflow compare A B [--runs N] [--seed S] [--workers W] [--scheduler ADDRESS|local]
                 [--out DIR]
                 [--format ...] [--lang en|zh] [--quiet]
    fundflow examples
    fundflow init NAME [PATH] | fundflow init --list FILE [--lang en|zh]

CONFIG, A and B are scenario files or names of shipped examples (``fundflow examples``).

As in SALib's command line, :func:`build_parser` only describes the arguments and
each ``_run_*`` handler turns them into library calls. Exit codes (:data:`EXIT_CODES`):
0 success; 2 bad input, a run too big for this machine, an ``--out`` holding another
run, or a full disk (one ``error: ...`` line on stderr, nothing written); 3
``--target-se`` not reached within ``--max-runs`` (results printed and written);
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), both with no file left
half-written; 1 an unexpected failure.

Each subcommand is a module (:mod:`~fundflow.cli.validate`, :mod:`~fundflow.cli.run`,
:mod:`~fundflow.cli.compare`, :mod:`~fundflow.cli.sweep`, :mod:`~fundflow.cli.examples`,
:mod:`~fundflow.cli.schema`) that adds its parser and handler; what they share is in
``_common`` (options, loading, sizing, ``--out``) and ``_print`` (tables, lines).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from fundflow._version import __version__
from fundflow.cli import compare, examples, run, schema, sweep, validate
from fundflow.cli._common import EXIT_CODES, _add_common
from fundflow.cli._common import _workers as _workers  # re-exported for the tests
from fundflow.cli._print import _emit as _emit  # re-exported
from fundflow.errors import ConfigError, EngineCheckError

__all__ = ["EXIT_CODES", "build_parser", "main"]


class _UsageError(Exception):
    """An argument argparse could not parse (reported as one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line instead of usage + message
        raise _UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- parsing


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fundflow`` command."""
    parser = _Parser(
        prog="fundflow",
        description="Simulate public R&D funding programs and report the parties' risk.",
    )
    parser.add_argument("--version", action="version", version=f"fundflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate.add_parser(sub)
    run.add_parser(sub)
    compare.add_parser(sub)
    sweep.add_parser(sub, _add_common)
    examples.add_parsers(sub)
    schema.add_parser(sub)
    return parser


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fundflow`` command with `argv` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["validate", "configs/open_competition.yaml"])  # doctest: +SKIP
    open-competition-municipal-list: 30 challenges, 44 routes, ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc))
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    args.argv = ["fundflow", *(sys.argv[1:] if argv is None else argv)]
    handler: Callable[[argparse.Namespace], int] = args.handler
    from fundflow.cli._scheduler import cluster_session
    from fundflow.cli._signals import Terminated, terminate_as_interrupt
    from fundflow.io.outdir import is_environment_error

    try:
        from fundflow.cli.examples import resolve_examples

        with terminate_as_interrupt(), cluster_session():
            return handler(resolve_examples(args))
    except ConfigError as exc:
        return _fail(str(exc))
    except EngineCheckError as exc:  # ours, not the user's: exit 1, nothing reported
        return _fail(str(exc), code=1)
    except Terminated:
        print("\nterminated: no table was left half-written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("\ninterrupted: no table was left half-written", file=sys.stderr)
        return 130
    except ImportError as exc:  # an optional module (plots, overrides) is missing
        return _fail(f"this installation lacks a module the command needs: {exc}", code=1)
    except OSError as exc:  # a full disk is the user's to fix (2); anything else is ours (1)
        return _fail(f"cannot write: {exc}", code=2 if is_environment_error(exc) else 1)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
