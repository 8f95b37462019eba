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
                 [--format ...] [--lang en|zh] [--quiet] [--set PATH=VALUE ...]
    fundflow sweep CONFIG --lever PATH=VALUES ... [--sampler grid|lhs|sobol] [--n N]
                 [--runs N] [--seed S] [--out DIR] [--format ...] [--set PATH=VALUE ...]
    fundflow sensitivity CONFIG --input PATH=LOW:HIGH ... [--output NAME ...]
                 [--method sobol|morris] --n N [--runs R] [--seed S] [--out DIR]
                 [--format ...] [--lang en|zh] [--set PATH=VALUE ...]
    fundflow report CONFIG --out DIR [--lang en|zh] [--unit 万元|亿元|百万元|元]
                 [--runs N] [--seed S] [--set PATH=VALUE ...]
    fundflow report --from RUN_DIR [--out DIR] [--lang en|zh] [--unit ...]
    fundflow examples
    fundflow schema
    fundflow init NAME [PATH] | fundflow init --list FILE [--lang en|zh]

CONFIG, A and B are scenario files or names of shipped examples (``fundflow examples``).

As in SALib's command line, :func:`build_parser` only describes the arguments and
each ``_run_*`` handler turns them into library calls. Exit codes (:data:`EXIT_CODES`):
0 success; 2 bad input, a run too big for this machine, an ``--out`` holding another
run, or a full disk (one ``error: ...`` line on stderr, ``错误：...`` with ``--lang zh``,
nothing written); 3
``--target-se`` not reached within ``--max-runs`` (results printed and written);
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), both with no file left
half-written; 1 an unexpected failure.

Each subcommand is a module (:mod:`~fundflow.cli.validate`, :mod:`~fundflow.cli.run`,
:mod:`~fundflow.cli.compare`, :mod:`~fundflow.cli.sweep`, :mod:`~fundflow.cli.sensitivity`,
:mod:`~fundflow.cli.report`, :mod:`~fundflow.cli.examples`, :mod:`~fundflow.cli.schema`)
that adds its parser and handler; what they share is in ``_common`` (options, loading,
sizing, ``--out``) and ``_print`` (tables, lines). :func:`main` imports only the module of
the command it runs (``_COMMANDS``), and the modules import the library inside their
handlers, so that
``fundflow --help``, ``validate``, ``schema``, ``examples`` and ``init`` load neither
numba nor pandas nor ``scipy.stats`` (tests/test_fast_commands.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Any

from fundflow._version import __version__
from fundflow.cli._common import EXIT_CODES
from fundflow.cli._common import _workers as _workers  # re-exported for the tests
from fundflow.cli._errors import error_line, lang_of
from fundflow.cli._print import _emit as _emit  # re-exported
from fundflow.errors import ConfigError, EngineCheckError

__all__ = ["EXIT_CODES", "build_parser", "main"]


class _UsageError(Exception):
    """An argument argparse could not parse (reported as one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line instead of usage + message
        raise _UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- parsing


#: The subcommands in the order ``fundflow --help`` lists them: the module that adds
#: each one's options and handler, and its line in that list (the same as the module's).
#: Only the module of the command being run is imported, so that a quick command
#: (``validate``, ``schema``) does not pay for the imports of a simulation (numba, pandas).
_COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check a scenario file and print a one-line summary"),
    "run": ("run", "simulate a scenario and report its risk summary"),
    "compare": ("compare", "run two scenarios on common random numbers; paired differences"),
    "sweep": ("sweep", "run design points over levers on common random numbers; one tidy table"),
    "sensitivity": (
        "sensitivity",
        "global sensitivity of outputs to inputs: Sobol' or Morris indices with CIs",
    ),
    "report": (
        "report",
        "write a one-page HTML summary for a director (cost, budget by year, risk)",
    ),
    "incentive": (
        "incentive",
        "the least value of a lever at which each challenge attracts K entrants",
    ),
    "examples": ("examples", "list the example scenarios shipped with fundflow"),
    "init": (
        "examples",
        "write a copy of an example scenario, or a challenge-list template, to edit",
    ),
    "schema": (
        "schema",
        "print the JSON Schema of scenario files, for editors that complete and check YAML",
    ),
}


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``fundflow`` command.

    `commands` (default all) get their options and handlers; the others are listed
    by name and help line only, without importing their modules.
    """
    parser = _Parser(
        prog="fundflow",
        description="Simulate public R&D funding programs and report the parties' risk.",
    )
    parser.add_argument("--version", action="version", version=f"fundflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = {_COMMANDS[c][0] for c in (_COMMANDS if commands is None else commands)}
    for name, (module, summary) in _COMMANDS.items():
        if module in wanted:
            importlib.import_module(f"fundflow.cli.{module}").add_parser(sub)
            wanted.discard(module)  # a module may add several commands (examples, init)
        elif name not in sub.choices:
            sub.add_parser(name, help=summary)
    return parser


def _command(argv: Sequence[str]) -> list[str]:
    """The subcommand `argv` names (its first word not an option), if it is one."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return [word] if word in _COMMANDS else []


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fundflow`` command with `argv` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["validate", "configs/open_competition.yaml"])  # doctest: +SKIP
    open-competition-municipal-list: 30 challenges, 44 routes, ...
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = lang_of(argv)  # the frame of an error line: read before the arguments are parsed
    parser = build_parser(_command(argv))
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc), lang=lang)
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    args.argv = ["fundflow", *argv]
    handler: Callable[[argparse.Namespace], int] = args.handler
    from fundflow.cli._scheduler import cluster_session
    from fundflow.cli._signals import Terminated, terminate_as_interrupt
    from fundflow.io.outdir import is_environment_error

    try:
        from fundflow.cli.examples import resolve_examples

        with terminate_as_interrupt(), cluster_session():
            return handler(resolve_examples(args))
    except ConfigError as exc:
        return _fail(exc, lang=lang)
    except EngineCheckError as exc:  # ours, not the user's: exit 1, nothing reported
        return _fail(exc, code=1, lang=lang)
    except Terminated:
        print("\nterminated: no table was left half-written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("\ninterrupted: no table was left half-written", file=sys.stderr)
        return 130
    except ImportError as exc:  # an optional module (plots, overrides) is missing
        message = f"this installation lacks a module the command needs: {exc}"
        return _fail(message, code=1, lang=lang)
    except OSError as exc:  # a full disk is the user's to fix (2); anything else is ours (1)
        code = 2 if is_environment_error(exc) else 1
        return _fail(f"cannot write: {exc}", code=code, lang=lang)


def _fail(error: BaseException | str, code: int = 2, lang: str = "en") -> int:
    """Print the one error line (``error: ...``; ``错误：...`` with ``--lang zh``)."""
    print(error_line(error, lang), file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
