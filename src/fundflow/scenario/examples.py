"""Example scenarios shipped inside the package.

The scenarios of the repository's ``configs/`` folder are package data
(``fundflow/examples/*.yaml`` in a wheel), so an installed fundflow has something to
start from. Wherever fundflow accepts a scenario file it also accepts an example's
name: ``fundflow run open_competition`` or ``load_scenario("open_competition")``.
A file of that name in the working folder takes precedence.

Examples
--------
>>> from fundflow import examples
>>> "open_competition" in examples.names()
True
>>> examples.path("open_competition").name
'open_competition.yaml'
"""

from __future__ import annotations

import difflib
from pathlib import Path

from fundflow._version import __version__
from fundflow.errors import ConfigError

__all__ = ["copy_example", "describe", "names", "path", "resolve"]

# One line per shipped example, for ``fundflow examples`` (others show their name only).
_ABOUT: dict[str, str] = {
    "open_competition": "open competition (揭榜挂帅): a municipal list in two batches, "
    "two-phase matching with a cap, races, error tolerance",
    "upfront_grant": "the same list funded by one up-front grant, no error tolerance "
    "(compare it with open_competition)",
    "chain_leader": "chain-leader system (链长制): one correlated chain, binding budget, "
    "guided fund and shared-risk credit",
    "national_major_project": "whole-nation system (新型举国体制): three large three-phase "
    "challenges, parallel routes, milestone tranches",
    "benchmark_100": "the engine benchmark's reference of 100 challenges: not a program "
    "design (its solvers' economics are 0.2's, which the benchmark's baseline runs)",
}
_ORDER = tuple(_ABOUT)


def _folder() -> Path:
    """Where the examples are: in the package, or ``configs/`` of a source checkout."""
    packaged = Path(__file__).parents[1] / "examples"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "configs"


def names() -> list[str]:
    """The names of the shipped examples, the main ones first."""
    found = {p.stem for p in _folder().glob("*.yaml")}
    return [n for n in _ORDER if n in found] + sorted(found - set(_ORDER))


def path(name: str) -> Path:
    """The file of the example `name`.

    Raises
    ------
    ConfigError
        If there is no such example (the message lists them).
    """
    if name in names():
        return _folder() / f"{name}.yaml"
    close = difflib.get_close_matches(name, names(), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ConfigError("example", name, f"{hint}the examples are: {', '.join(names())}")


def describe(name: str) -> str:
    """One line about the example `name`."""
    return _ABOUT.get(name, "")


def resolve(scenario: str | Path) -> Path:
    """The file a scenario argument names: the path itself, or a shipped example.

    A path that exists, or that has a folder or a suffix, is returned as it is; a
    bare name such as ``open_competition`` that is no file here is the example of
    that name.

    Raises
    ------
    ConfigError
        If `scenario` is a bare name that is neither a file nor an example.
    """
    p = Path(scenario)
    if p.exists() or p.suffix or len(p.parts) != 1:
        return p
    if str(p) in names():
        return path(str(p))
    close = difflib.get_close_matches(str(p), names(), n=1)
    hint = f"did you mean the example '{close[0]}'? " if close else ""
    raise ConfigError(
        "",
        str(p),
        f"file not found, and not a shipped example; {hint}the examples are: {', '.join(names())}",
        truncate=False,
    )


def copy_example(name: str, target: str | Path) -> Path:
    """Write a commented copy of the example `name` to `target`, never overwriting.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        If `name` is no example, or `target` exists or cannot be written.
    """
    source = path(name)
    out = Path(target)
    head = (
        f"# A copy of fundflow's example '{name}' (fundflow {__version__}), to edit.\n"
        f"# Check it with `fundflow validate {out.name}` and run it with\n"
        f"# `fundflow run {out.name} --runs 1000 --seed 1`. Every key, its default and\n"
        "# allowed values: docs/scenario-reference.md in fundflow's source repository.\n"
        "# The challenge list may also come from a spreadsheet, one row per challenge:\n"
        "# `challenges: {from: list.xlsx, sheet: 榜单}` (`fundflow init --list list.xlsx`\n"
        "# writes a template).\n#\n"
    )
    text = head + source.read_text(encoding="utf-8")
    try:
        with out.open("x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise ConfigError(
            "PATH", str(out), "already exists; choose another file (init never overwrites)"
        ) from None
    except OSError as exc:
        raise ConfigError("PATH", str(out), f"cannot be written ({exc.strerror})") from None
    return out
