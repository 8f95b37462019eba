"""``fundflow sensitivity``: global sensitivity indices of outputs to inputs (SALib).

Each ``--input PATH=LOW:HIGH`` names a scenario key by its dotted path and the range
it is varied over (uniformly; whole-number keys take equally likely integers). Each
``--output`` is a column of the sweep table (``gov_net_cost_cvar95``...). The indices
are :func:`fundflow.sensitivity`'s, with the same numbers for the same seed, ``--n``
and ``--runs``: Sobol' first-order ``S1`` and total ``ST`` with their 95% confidence
intervals, or Morris' ``mu_star`` (with its interval), ``mu`` and ``sigma``.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path
from typing import Any

from fundflow.cli._common import (
    _add_common,
    _add_set,
    _load,
    _out_dir,
    _seed,
    _settings,
    _sized,
    _whole,
    _workers,
)
from fundflow.cli._print import _describe, _emit, _render, _wrote
from fundflow.errors import ConfigError

__all__ = ["METHODS", "add_parser", "parse_input"]

#: The methods (:data:`fundflow.analysis.sensitivity.METHODS`, not imported with the parser).
METHODS = ("sobol", "morris")

_DEFAULT_RUNS = 100
_NO_WHOLE = "the range holds no whole number, but the key needs one"
_INPUT_FORM = "must be PATH=LOW:HIGH with two numbers, e.g. government.matching.ratio=0.1:0.3"


def add_parser(sub: Any) -> None:
    """Add the ``sensitivity`` subcommand to `sub`."""
    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity of outputs to inputs: Sobol' or Morris indices with CIs",
    )
    p.add_argument("config", metavar="CONFIG", help="scenario YAML file")
    p.add_argument(
        "--input",
        metavar="PATH=LOW:HIGH",
        action="append",
        default=[],
        help="a scenario key varied uniformly over [LOW, HIGH] (repeatable), "
        "e.g. government.matching.ratio=0.1:0.3",
    )
    p.add_argument(
        "--output",
        metavar="NAME",
        action="append",
        default=[],
        help="a column of the sweep table (repeatable; default gov_net_cost_cvar95, "
        "solver_loss_share_mean, challenges_succeeded_mean)",
    )
    p.add_argument("--method", choices=METHODS, default="sobol", help="sobol (default) or morris")
    p.add_argument(
        "--n",
        metavar="N",
        required=True,
        help="sobol: base sample, a power of 2, N x (inputs + 2) design points; "
        "morris: trajectories, N x (inputs + 1) design points",
    )
    _add_common(p, runs_help=f"replications per design point (default {_DEFAULT_RUNS})")
    _add_set(p)  # to the base scenario, before the inputs
    p.set_defaults(handler=_run)


def parse_input(text: str) -> tuple[str, tuple[float, float]]:
    """``'a.b=0.1:0.3'`` -> ``('a.b', (0.1, 0.3))``.

    Raises
    ------
    ConfigError
        Naming ``--input`` unless `text` is PATH=LOW:HIGH with finite numbers LOW < HIGH.
    """
    path, sep, values = text.partition("=")
    low_text, colon, high_text = values.partition(":")
    if not sep or not path.strip() or not colon:
        raise ConfigError("--input", text, _INPUT_FORM)
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ConfigError("--input", text, _INPUT_FORM) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError("--input", text, "LOW and HIGH must be finite numbers")
    if not low < high:
        raise ConfigError("--input", text, f"LOW must be below HIGH ({low:g} >= {high:g})")
    return path.strip(), (low, high)


def _inputs(args: argparse.Namespace, scenario: Any) -> dict[str, tuple[float, float]]:
    """The --input options, each checked against the scenario at both ends of its range."""
    from fundflow.analysis.design import is_integer_lever
    from fundflow.scenario.overrides import apply_overrides, canonical_path

    if not args.input:
        raise ConfigError(
            "--input",
            None,
            "none given: name at least one, e.g. --input government.matching.ratio=0.1:0.3",
            show_value=False,
        )
    inputs: dict[str, tuple[float, float]] = {}
    seen: dict[str, str] = {}
    for text in args.input:
        path, (low, high) = parse_input(text)
        ends: list[Any] = [low, high]
        try:
            if is_integer_lever(path):
                ends = [math.ceil(low), math.floor(high)]
                if ends[0] > ends[1]:
                    raise ConfigError(path, None, _NO_WHOLE, show_value=False)
            for value in ends:
                apply_overrides(scenario, {path: value})
            canonical = canonical_path(scenario, path, ends[0])
        except ConfigError as exc:
            raise ConfigError("--input", text, str(exc)) from None
        if canonical in seen:
            raise ConfigError("--input", text, f"names the same key as --input {seen[canonical]!r}")
        seen[canonical] = text
        inputs[path] = (low, high)
    return inputs


def _outputs(args: argparse.Namespace, scenario: Any) -> list[str]:
    """The --output options (default :data:`~fundflow.analysis.sensitivity.DEFAULT_OUTPUTS`)."""
    import difflib

    from fundflow.analysis.sensitivity import DEFAULT_OUTPUTS, output_names

    names = list(dict.fromkeys(args.output)) or list(DEFAULT_OUTPUTS)
    known = output_names(scenario)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(
                "--output",
                name,
                f"{hint}an output is a column of the sweep table: {{measure}}_mean or _se, "
                "and for loss measures _cvar95 or _prob_loss, e.g. gov_net_cost_cvar95",
            )
    return names


def _n(args: argparse.Namespace) -> int:
    n = _whole("--n", args.n, 1, 2)
    if args.method == "sobol" and n & (n - 1):
        raise ConfigError("--n", n, "Sobol' needs a power of 2 (2, 4, 8, 16, 32, 64, ...)")
    return n


def _header(frame: Any, method: str, n_out: int, n_in: int, runs: int, seed: Any,
            lang: str) -> str:  # fmt: skip
    """The line that says what was run."""
    from fundflow.io import labels as lb

    header = lb.text(
        "msg_sensitivity_runs",
        lang,
        method="Sobol'" if method == "sobol" else "Morris",
        outputs=n_out,
        inputs=n_in,
        points=frame.attrs["points"],
        runs=runs,
        seed=frame.attrs["entropy"],
        note="" if seed is not None else lb.text("msg_fresh_seed", lang),
    )
    for noun, count in (("output", n_out), ("input", n_in)):
        header = header.replace(f"{noun}(s)", noun if count == 1 else f"{noun}s")
    return header


def _run(args: argparse.Namespace) -> int:
    from fundflow.io import labels as lb
    from fundflow.io.export import parse_formats
    from fundflow.io.outdir import run_key

    n = _n(args)
    runs = _whole("--runs", args.runs, _DEFAULT_RUNS, 1)
    seed = _seed(args.seed)
    formats = parse_formats(args.format, option="--format")
    lang = lb.check_lang(args.lang, option="--lang")
    for text in args.input:  # the form first, before the scenario is read
        parse_input(text)
    scenario = _load(args.config, args.set)
    inputs = _inputs(args, scenario)
    outputs = _outputs(args, scenario)
    points = n * (len(inputs) + (2 if args.method == "sobol" else 1))
    workers = _workers(args.workers, runs * points)
    _sized(args, [scenario], runs, workers)  # refuses a design point too big to run
    settings = {"inputs": list(args.input), "outputs": outputs, "method": args.method, "n": n}
    key = run_key("sensitivity", [scenario], seed, runs=runs, **settings)
    with _out_dir(args.out, key, args.overwrite) as out:
        run = _settings(runs, seed, workers, args.quiet, args.scheduler, args.engine)
        frame = _indices(scenario, inputs, outputs, args.method, n, run)
        _emit(_describe(scenario, lang))
        _emit(_header(frame, args.method, len(outputs), len(inputs), runs, seed, lang))
        _emit(lb.text(f"msg_{args.method}_note", lang))
        for output in outputs:
            _emit()
            _emit(_text(frame, output, args.method, lang, scenario.money_unit))
        if out is None:
            return 0
        entries = {
            "inputs": {k: list(v) for k, v in inputs.items()},
            "outputs": outputs,
            "run_key": key,
        }
        written = _write(args, out, frame, scenario, (formats, lang, workers), entries)
    if not args.quiet:
        _emit(_wrote(written, out, lang))
    return 0


def _indices(
    scenario: Any, inputs: dict[str, Any], outputs: list[str], method: str, n: int, settings: Any
) -> Any:
    """:func:`fundflow.sensitivity`; its warnings (an output no input moves) one line each."""
    from fundflow.analysis.sensitivity import sensitivity

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = sensitivity(scenario, inputs, outputs, method=method, n=n, settings=settings)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return frame


#: The indices printed for each method, each with the column of its CI half-width.
_SHOWN: dict[str, tuple[tuple[str, str | None], ...]] = {
    "sobol": (("S1", "S1_conf"), ("ST", "ST_conf")),
    "morris": (("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None)),
}


def _text(frame: Any, output: str, method: str, lang: str, money_unit: str) -> str:
    """The indices of `output`: one row per input, each index with its 95% CI.

    Sobol' indices (shares of variance) with three decimals; Morris' effects in the
    output's unit (a share's in percentage points).
    """
    from fundflow.io import labels as lb

    unit = lb.difference_unit(lb.unit_of(lb.split_statistic(output)[0]))

    def f(x: float) -> str:
        if method == "sobol":
            return "" if math.isnan(x) else f"{x:.3f}"
        return lb.format_number(x, unit, missing="")

    headers = [lb.label("input", lang)]
    for key, conf in _SHOWN[method]:
        headers += [lb.label(key, lang)] + ([lb.label("ci95", lang)] if conf else [])
    table = []
    for _, r in frame[frame["output"] == output].iterrows():
        cells = [str(r["input"])]
        for key, conf in _SHOWN[method]:
            cells.append(f(r[key]))
            if conf:
                half, x = r[conf], r[key]
                ok = math.isfinite(half) and math.isfinite(x)
                cells.append(f"[{f(x - half)}, {f(x + half)}]" if ok else "")
        table.append(cells)
    return lb.column_header(output, lang, money_unit) + "\n" + _render(headers, table)


def _write(
    args: argparse.Namespace,
    out: Path,
    frame: Any,
    scenario: Any,
    style: tuple[Any, str, int],
    entries: dict[str, Any],
) -> list[Path]:
    """Write the indices and the manifest (with `entries`) into `out`; the files written.

    `style` is (formats, language, workers).
    """
    from fundflow.io.export import write_manifest, write_table
    from fundflow.results.provenance import Provenance

    formats, lang, workers = style
    written = write_table(frame, out, "sensitivity", formats, lang, scenario.money_unit)
    provenance = Provenance.of(
        [scenario],
        entropy=frame.attrs["entropy"],
        runs=frame.attrs["runs"],
        workers=workers,
        elapsed=frame.attrs["elapsed"],
        engine=args.engine,
    )
    manifest = write_manifest(
        out,
        provenance,
        written,
        scenario_files=[args.config],
        command=args.argv,
        overrides=list(args.set),
        method=frame.attrs["method"],
        n=frame.attrs["n"],
        points=frame.attrs["points"],
        formats=list(formats),
        lang=lang,
        money_unit=scenario.money_unit,
        **entries,
    )
    return [*written, manifest]
