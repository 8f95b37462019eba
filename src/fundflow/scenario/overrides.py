"""Override scenario keys by their dotted paths.

A path is what an error message shows: keys joined by dots, list items in
brackets, e.g. ``government.matching.ratio`` or
``challenges[0].phases[1].pass_probability``; a list item that is a mapping with
a ``name`` may also be addressed by that name: ``challenges[sensor-chip]``.
Parsing, resolving and reading paths, and which paths exist, is
:mod:`fundflow.scenario.paths`; its public names are importable from here too.

:func:`apply_overrides` edits a deep copy of ``scenario.to_dict()`` and rebuilds
the scenario with :meth:`Scenario.from_dict`, so an overridden value is validated
exactly like the same value written in the file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from fundflow.errors import ConfigError
from fundflow.scenario._reader import load_yaml
from fundflow.scenario.config import Scenario
from fundflow.scenario.paths import (
    SCHEMA,
    _check_exists,
    _join,
    _walk,
    canonical_path,
    get_path,
    known_paths,
    path_tokens,
    resolve_path,
)
from fundflow.scenario.schema import INTEGER_KEYS

__all__ = [
    "INTEGER_KEYS",
    "SCHEMA",
    "apply_overrides",
    "canonical_path",
    "get_path",
    "known_paths",
    "parse_assignment",
    "path_tokens",
    "resolve_path",
]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``"path=value"`` into the path and the value parsed as YAML.

    The value is read as YAML, like a scenario file, so ``null``, ``true``, ``[1, 2]``
    and ``{dist: uniform, low: 1, high: 2}`` work as in a scenario file. A bare
    number in exponent form (``1e3``, which YAML 1.1 reads as text) is taken as a
    number.

    Parameters
    ----------
    text : str
        An assignment such as ``government.matching.ratio=0.3``.

    Returns
    -------
    tuple of (str, object)
        The path (stripped) and the parsed value. The path is not checked against
        a scenario here; :func:`apply_overrides` does that.

    Raises
    ------
    ConfigError
        If there is no ``=``, the path is empty or malformed, the value is missing
        or is not valid YAML.

    Examples
    --------
    >>> parse_assignment("government.matching.ratio=0.3")
    ('government.matching.ratio', 0.3)
    >>> parse_assignment("government.annual_budget = null")
    ('government.annual_budget', None)
    >>> parse_assignment("challenges[0].overrun={dist: uniform, low: 1, high: 1.2}")
    ('challenges[0].overrun', {'dist': 'uniform', 'low': 1, 'high': 1.2})
    """
    if not isinstance(text, str) or "=" not in text:
        raise ConfigError(
            "--set",
            text,
            "must be PATH=VALUE, e.g. government.matching.ratio=0.3 (VALUE is YAML: "
            "null, true, [1, 2], {dist: uniform, low: 1, high: 2})",
        )
    path, raw = (part.strip() for part in text.split("=", 1))
    path_tokens(path)  # a malformed path is an error here already
    if not raw:
        raise ConfigError(
            path, None, "a value is needed after '=' (write null for none)", show_value=False
        )
    try:  # the scenario files' guarded loader: exponent numbers, depth and size limits
        value = load_yaml(raw, "--set")
    except ConfigError as exc:
        raise ConfigError(path, raw, f"the value is {exc.allowed}") from None
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value)
    return path, value


def _as_scenario(scenario: Scenario | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    raise ConfigError("scenario", scenario, "must be a Scenario or a scenario mapping")


def apply_overrides(
    scenario: Scenario | Mapping[str, Any], overrides: Mapping[str, Any]
) -> Scenario:
    """A new scenario with values replaced at dotted paths, validated like the file.

    Parameters
    ----------
    scenario : Scenario or mapping
        The base scenario (not modified).
    overrides : mapping of str to object
        ``{path: value}``, applied in order. A value may be anything a scenario
        file may hold at that place (``None`` for YAML ``null``, a distribution
        mapping, a list; NumPy scalars are taken as the Python numbers they hold).
        A path may address a list item by index or, where the items have a
        ``name``, by name (``challenges[sensor-chip].solvers``), and may name a key
        the file leaves out (``government.annual_budget``).

    Returns
    -------
    Scenario
        Built by :meth:`Scenario.from_dict` from a deep copy of
        ``scenario.to_dict()`` with the overrides written in.

    Raises
    ------
    ConfigError
        If a path does not exist (the nearest valid path is suggested) or a value
        is not allowed there (the validator's message: path, value, what is allowed).

    Examples
    --------
    >>> sc = Scenario.from_dict({"challenges": [{"name": "chip", "total_investment": 10}]})
    >>> new = apply_overrides(
    ...     sc,
    ...     {"government.matching.ratio": 0.3, "challenges[chip].phases[1].pass_probability": 0.8},
    ... )
    >>> new.government.matching.ratio, new.challenges[0].phases[1].pass_probability
    (0.3, 0.8)
    >>> apply_overrides(sc, {"government.matching.rato": 0.3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fundflow.errors.ConfigError: government.matching.rato: no such key; did you mean 'gov...
    """
    base = _as_scenario(scenario)
    if not isinstance(overrides, Mapping):
        raise ConfigError("overrides", overrides, "must be a mapping of path to value")
    data = base.to_dict()
    for path, value in overrides.items():
        container, last, done = _walk(data, path_tokens(path), base)
        _check_exists(data, done, _join(done), base, value, probe=True)
        container[last] = _native(value)
    return Scenario.from_dict(data)


def _native(value: Any) -> Any:
    """A deep copy with NumPy scalars as Python ones (``np.int64(2)`` is not a YAML int)."""
    if isinstance(value, Mapping):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_native(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return copy.deepcopy(value)
