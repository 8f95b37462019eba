"""Design points of a sweep: levers, and the grid, Latin-hypercube or Sobol' samplers.

A *lever* is a scenario key named by its dotted path (:mod:`fundflow.scenario.overrides`);
a *design point* gives each lever a value. :func:`make_design` builds the design
points (a full grid, a Latin hypercube or a scrambled Sobol' sequence from
:mod:`scipy.stats.qmc`); :func:`fundflow.sweep`, :func:`fundflow.sensitivity` and
:func:`fundflow.optimize` simulate them.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from fundflow.errors import ConfigError
from fundflow.run.montecarlo import check_positive_int
from fundflow.scenario.config import Scenario
from fundflow.scenario.overrides import INTEGER_KEYS, canonical_path, path_tokens

__all__ = ["SAMPLERS", "Levers", "is_integer_lever", "make_design"]

#: The samplers :func:`sweep` knows.
SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol")

#: ``spawn_key`` of the design sampler's own ``SeedSequence`` stream (replications
#: draw from Philox counters, :mod:`fundflow.engine.draws`, so the two never meet).
_DESIGN_STREAM = (0x5357_4545_50,)

Levers = Mapping[str, Any]


def _py(value: Any) -> Any:
    """NumPy scalars as Python ones (the validator wants ``int``, not ``int64``)."""
    return value.item() if isinstance(value, np.generic) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python scalars, each column keeping its type (no upcasting)."""
    return [{str(k): _py(v) for k, v in row.items()} for row in frame.to_dict("records")]


def is_integer_lever(path: str) -> bool:
    last = [t for t in path_tokens(path) if isinstance(t, str) and not t.isdigit()][-1]
    return last in INTEGER_KEYS


def _number(value: Any) -> bool:
    return isinstance(_py(value), (int, float)) and not isinstance(_py(value), bool)


def _values(path: str, spec: Any) -> list[Any]:
    if isinstance(spec, (str, bytes, Mapping)) or not isinstance(spec, (Sequence, np.ndarray)):
        raise ConfigError(
            f"levers[{path!r}]",
            spec,
            "the grid sampler takes a list of values, e.g. [0.2, 0.25, 0.3]",
        )
    values = [_py(v) for v in spec]
    if not values:
        raise ConfigError(f"levers[{path!r}]", spec, "an empty list of values: nothing to sweep")
    if is_integer_lever(path):
        values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
    return values


def _range(path: str, spec: Any, sampler: str) -> tuple[float, float]:
    ok = (
        isinstance(spec, (Sequence, np.ndarray))
        and not isinstance(spec, (str, bytes))
        and len(spec) == 2
        and all(_number(v) and math.isfinite(float(_py(v))) for v in spec)
    )
    if not ok or float(_py(spec[0])) > float(_py(spec[1])):
        raise ConfigError(
            f"levers[{path!r}]",
            spec,
            f"{sampler} needs a range (low, high) of two numbers with low <= high",
        )
    return float(_py(spec[0])), float(_py(spec[1]))


def _whole(path: str, spec: Any, unit: np.ndarray, low: float, high: float) -> list[int]:
    """Uniforms in [0, 1) to whole numbers, equally likely over [ceil(low), floor(high)]."""
    lo, hi = math.ceil(low), math.floor(high)
    if lo > hi:
        raise ConfigError(f"levers[{path!r}]", spec, "holds no whole number, but the key needs one")
    ints = lo + np.floor(np.asarray(unit) * (hi - lo + 1)).astype(np.int64)
    return [int(v) for v in np.clip(ints, lo, hi)]


def _unit_sample(sampler: str, d: int, n: int, entropy: int) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=_DESIGN_STREAM))
    engine: qmc.QMCEngine
    if sampler == "lhs":
        engine = qmc.LatinHypercube(d, seed=rng)
    else:
        engine = qmc.Sobol(d, scramble=True, seed=rng)
    return np.asarray(engine.random(n))


def _check_sampler(sampler: Any) -> str:
    if sampler not in SAMPLERS:
        close = difflib.get_close_matches(str(sampler), SAMPLERS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError("sampler", sampler, f"{hint}must be one of " + " | ".join(SAMPLERS))
    return str(sampler)


def _check_levers(scenario: Scenario, levers: Any) -> list[str]:
    if not isinstance(levers, Mapping) or not levers:
        raise ConfigError(
            "levers",
            levers,
            "an empty sweep: name at least one lever, e.g. {'government.matching.ratio': "
            "[0.2, 0.3]}",
        )
    seen: dict[str, str] = {}
    for path, spec in levers.items():
        first = spec[0] if isinstance(spec, (Sequence, np.ndarray)) and len(spec) else spec
        canonical = canonical_path(scenario, path, _py(first))
        if canonical in seen:
            raise ConfigError(
                f"levers[{path!r}]",
                None,
                f"names the same key as {seen[canonical]!r}",
                show_value=False,
            )
        seen[canonical] = path
    return list(levers)


def make_design(
    scenario: Scenario,
    levers: Levers,
    *,
    sampler: str = "grid",
    n: int | None = None,
    entropy: int = 0,
) -> pd.DataFrame:
    """The design points of a sweep, one row per point, one column per lever.

    Parameters
    ----------
    scenario : Scenario
    levers : mapping of path to values or (low, high)
        ``grid`` without ``n``: a list of values per lever (any values the key
        accepts, text included); the design is their cartesian product, the first
        lever varying slowest. ``grid`` with ``n``: a (low, high) range per lever,
        ``n`` evenly spaced values each. ``lhs`` / ``sobol``: a (low, high) range
        per lever and ``n`` points in the box.
    sampler : {"grid", "lhs", "sobol"}
    n : int, optional
        Points (lhs, sobol) or values per lever (grid).
    entropy : int
        Seeds the lhs / sobol sampler (a stream apart from the replications').

    Returns
    -------
    pandas.DataFrame
        Index ``design_point``. Levers whose key holds a whole number
        (:data:`~fundflow.scenario.overrides.INTEGER_KEYS`: ``solvers``, ``count``,
        ``keep``...) take whole values: sampled uniformly over the integers of
        ``[ceil(low), floor(high)]``.

    Raises
    ------
    ConfigError
        For an empty sweep, an unknown sampler, a lever path that does not exist
        (nearest suggested), a lever spec of the wrong shape, or a missing ``n``.

    Examples
    --------
    >>> sc = Scenario.from_dict({"challenges": [{"name": "chip", "total_investment": 10}]})
    >>> levers = {"government.matching.ratio": [0.2, 0.3], "challenges[0].solvers": [1, 2]}
    >>> make_design(sc, levers).to_dict("list")
    {'government.matching.ratio': [0.2, 0.2, 0.3, 0.3], 'challenges[0].solvers': [1, 2, 1, 2]}
    >>> d = make_design(sc, {"challenges[0].solvers": (1, 3)}, sampler="lhs", n=4, entropy=1)
    >>> d["challenges[0].solvers"].tolist()
    [2, 1, 2, 3]
    """
    sampler = _check_sampler(sampler)
    paths = _check_levers(scenario, levers)
    if n is not None:
        n = check_positive_int("n", n)
    if sampler == "grid":
        columns = _grid(paths, levers, n)
    elif n is None:
        raise ConfigError("n", None, f"{sampler} needs the number of points n", show_value=False)
    else:
        columns = _sampled(paths, levers, sampler, n, entropy)
    size = len(next(iter(columns.values())))
    # a column mixing null with numbers stays object, so null is not read back as NaN
    data = {
        p: pd.Series(v, dtype=object) if any(x is None for x in v) else v
        for p, v in columns.items()
    }
    return pd.DataFrame(data).set_axis(pd.RangeIndex(size, name="design_point"))


def _grid(paths: list[str], levers: Levers, n: int | None) -> dict[str, list[Any]]:
    """The cartesian product of each lever's values (listed, or n spaced in a range)."""
    grids: list[list[Any]] = []
    for p in paths:
        if n is None:
            grids.append(_values(p, levers[p]))
            continue
        low, high = _range(p, levers[p], "grid with n")
        values = np.linspace(low, high, n)
        grids.append(sorted({round(v) for v in values}) if is_integer_lever(p) else values.tolist())
    rows = list(itertools.product(*grids))
    return {p: [r[j] for r in rows] for j, p in enumerate(paths)}


def _sampled(
    paths: list[str], levers: Levers, sampler: str, n: int, entropy: int
) -> dict[str, list[Any]]:
    """n Latin-hypercube or Sobol' points in the levers' box."""
    bounds = [_range(p, levers[p], sampler) for p in paths]
    unit = _unit_sample(sampler, len(paths), n, entropy)
    columns: dict[str, list[Any]] = {}
    for j, (p, (low, high)) in enumerate(zip(paths, bounds, strict=True)):
        if is_integer_lever(p):
            columns[p] = _whole(p, levers[p], unit[:, j], low, high)
        else:
            columns[p] = (low + unit[:, j] * (high - low)).tolist()
    return columns
