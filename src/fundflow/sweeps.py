"""Sweeps: run many design points of a scenario with common random numbers.

A *lever* is a scenario key named by its dotted path (:mod:`fundflow.overrides`);
a *design point* gives each lever a value. :func:`sweep` builds the design points
(a full grid, a Latin hypercube or a scrambled Sobol' sequence from
:mod:`scipy.stats.qmc`) and :func:`run_design` simulates them.

Common random numbers: every design point is simulated with the same root
entropy, so replication ``i`` of every point uses the same draws (the same
uniforms for durations, reviews, overruns, values...). A lever that does not touch
outcomes (the matching ratio) leaves which routes succeed unchanged, replication
by replication, and differences between points are paired, not blurred by
sampling noise.

Parallelism: with ``workers > 1`` every (design point, block of replications)
task goes through one process pool (``spawn`` context, as in
:func:`fundflow.simulate`); results do not depend on ``workers``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from . import __version__, metrics
from .config import Scenario
from .errors import ConfigError
from .layout import Layout
from .measure_catalogue import sweep_statistics
from .measures import LOSS_MEASURES, RATIO_MEASURES, challenge_npv
from .montecarlo import (
    _as_scenario,
    _check_positive_int,
    _entropy,
    _progress,
    _run_block,
    spawn_pool,
)
from .overrides import INTEGER_KEYS, _canonical, _tokens, apply_overrides

__all__ = ["SAMPLERS", "SweepResult", "make_design", "output_names", "run_design", "sweep"]

#: The samplers :func:`sweep` knows.
SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol")

#: ``spawn_key`` of the design sampler's own ``SeedSequence`` stream (replications
#: draw from Philox counters, :mod:`fundflow.draws`, so the two never meet).
_DESIGN_STREAM = (0x5357_4545_50,)

Levers = Mapping[str, Any]


@dataclass(eq=False)
class SweepResult:
    """What :func:`sweep` and :func:`run_design` return.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per design point (index ``design_point``): the lever values (one
        column per lever, named by its path as given), then for every measure of
        the runs table ``{measure}_mean`` and ``{measure}_se`` (standard error of
        the mean), and for the loss-like measures also ``{measure}_cvar95`` and
        ``{measure}_prob_loss``; the program ratios ``gov_cost_per_success`` and
        ``leverage`` as ratios of means (``_mean``, with a delta-method ``_se``);
        then ``solver_npv_min``, the lowest over challenges of the solver's expected
        NPV per route that started (copies of a challenge pooled), and its
        ``solver_npv_min_se``. Money in the scenario's ``money_unit``.
    results : dict of int to pandas.DataFrame
        The runs table (one row per replication) of each design point, when
        ``keep_runs`` was true; empty otherwise. Ledgers are not kept.
    scenario : Scenario
        The base scenario.
    levers : tuple of str
        The lever paths, as given.
    sampler : str
        ``"grid"``, ``"lhs"``, ``"sobol"`` or ``"design"`` (a design given as is).
    entropy : int
        Root seed entropy shared by every design point (and seeding the sampler).
    runs : int
        Replications per design point.
    workers : int
    elapsed : float
        Wall time in seconds.
    version : str
        fundflow version.
    """

    table: pd.DataFrame
    results: dict[int, pd.DataFrame]
    scenario: Scenario
    levers: tuple[str, ...]
    sampler: str
    entropy: int
    runs: int
    workers: int
    elapsed: float
    version: str = __version__
    _scenarios: dict[int, Scenario] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def design(self) -> pd.DataFrame:
        """The lever values of every design point (the first columns of ``table``)."""
        return self.table[list(self.levers)]

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (one row per design point)."""
        return self.table

    def scenario_at(self, point: int) -> Scenario:
        """The scenario of one design point (the base with that point's levers)."""
        if point not in self._scenarios:
            (values,) = _records(self.design.loc[[point]])
            self._scenarios[point] = apply_overrides(self.scenario, values)
        return self._scenarios[point]


# --- design points -------------------------------------------------------------------


def _py(value: Any) -> Any:
    """NumPy scalars as Python ones (the validator wants ``int``, not ``int64``)."""
    return value.item() if isinstance(value, np.generic) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python scalars, each column keeping its type (no upcasting)."""
    return [{str(k): _py(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _is_integer_lever(path: str) -> bool:
    last = [t for t in _tokens(path) if isinstance(t, str) and not t.isdigit()][-1]
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
    if _is_integer_lever(path):
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
        canonical = _canonical(scenario, path, _py(first))
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
        (:data:`~fundflow.overrides.INTEGER_KEYS`: ``solvers``, ``count``,
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
        n = _check_positive_int("n", n)
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
        grids.append(
            sorted({round(v) for v in values}) if _is_integer_lever(p) else values.tolist()
        )
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
        if _is_integer_lever(p):
            columns[p] = _whole(p, levers[p], unit[:, j], low, high)
        else:
            columns[p] = (low + unit[:, j] * (high - low)).tolist()
    return columns


# --- evaluation ----------------------------------------------------------------------


@dataclass
class _Point:
    """What a design point's block of replications gives: its runs-table columns and,
    per replication and challenge name, the solver NPV summed over started routes and
    the number of routes started (:func:`fundflow.measures.challenge_npv`)."""

    runs: dict[str, np.ndarray]
    npv: np.ndarray
    started: np.ndarray


def _simulate_block(scenario: Scenario, entropy: int, reps: range) -> _Point:
    """Simulate and measure a block of replications (runs in a worker)."""
    block = _run_block(scenario, entropy, reps, 0)
    npv, started = challenge_npv(
        Layout.of(scenario), block.routes["status"], block.routes["solver_npv"]
    )
    return _Point(block.runs, npv, started)


#: The participation figures of a sweep table (:func:`_participation`).
_PARTICIPATION: tuple[str, ...] = ("solver_npv_min", "solver_npv_min_se")


def _participation(npv: np.ndarray, started: np.ndarray) -> dict[str, float]:
    """``solver_npv_min``: the lowest per-challenge expected solver NPV per route, and its SE.

    Challenges where no route ever started have no such figure and are skipped.
    """
    est, se = metrics.ratio_of_means(npv, started, axis=0)
    est, se = np.atleast_1d(est), np.atleast_1d(se)
    defined = np.flatnonzero(np.isfinite(est))
    if defined.size == 0:
        return {"solver_npv_min": math.nan, "solver_npv_min_se": math.nan}
    low = int(defined[np.argmin(est[defined])])
    return {"solver_npv_min": float(est[low]), "solver_npv_min_se": float(se[low])}


def _summary(runs: pd.DataFrame) -> dict[str, float]:
    """Mean and SE of every measure; CVaR95 and loss probability of loss measures;
    the program ratios as ratios of means: the numbers of the point's own summary
    (:meth:`fundflow.SimulationResult.summary`), to the last bit."""
    loss = [m in LOSS_MEASURES for m in runs.columns]
    stats = metrics.summary_statistics(runs.to_numpy(dtype=float), 0, loss, alphas=(0.95,))
    picked = zip(
        stats["mean"].tolist(),
        stats["se"].tolist(),
        stats["cvar95"].tolist(),
        stats["prob_loss"].tolist(),
        strict=True,
    )
    row: dict[str, float] = {}
    for m, is_loss, (mean, se, cvar95, prob_loss) in zip(runs.columns, loss, picked, strict=True):
        row[f"{m}_mean"], row[f"{m}_se"] = mean, se
        if is_loss:
            row[f"{m}_cvar95"], row[f"{m}_prob_loss"] = cvar95, prob_loss
    for name, (num, den) in RATIO_MEASURES.items():
        if num in runs.columns and den in runs.columns:
            ratio = metrics.ratio_of_means(runs[num].to_numpy(float), runs[den].to_numpy(float))
            row[f"{name}_mean"], row[f"{name}_se"] = float(ratio.estimate), float(ratio.se)
    return row


class _Evaluator:
    """Simulates design points with common random numbers, through one pool."""

    def __init__(
        self, scenario: Scenario, *, runs: int, entropy: int, workers: int, progress: bool | None
    ) -> None:
        self.scenario = scenario
        self.runs = runs
        self.entropy = entropy
        self.workers = workers
        self.progress = progress
        self.pool: ProcessPoolExecutor | None = None
        self.evaluated = 0

    def __enter__(self) -> _Evaluator:
        if self.workers > 1:
            self.pool = spawn_pool(self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def scenarios(self, design: pd.DataFrame) -> list[Scenario]:
        """Each point's scenario, validated before anything runs."""
        out = []
        for point, values in zip(design.index, _records(design), strict=True):
            try:
                out.append(apply_overrides(self.scenario, values))
            except ConfigError as exc:
                where = ", ".join(f"{k}={v!r}" for k, v in values.items())
                raise ConfigError(
                    exc.path, exc.value, f"{exc.allowed} (design point {point}: {where})"
                ) from None
        return out

    def _block_size(self, points: int) -> int:
        if self.workers == 1:
            return self.runs
        return max(1, min(self.runs, -(-self.runs * points // (self.workers * 4))))

    def run(self, design: pd.DataFrame) -> list[tuple[pd.DataFrame, dict[str, float]]]:
        """The runs table and the participation figures of every design point, in order."""
        scenarios = self.scenarios(design)
        size = self._block_size(len(scenarios))
        blocks = [range(a, min(a + size, self.runs)) for a in range(0, self.runs, size)]
        bar = _progress(self.runs * len(scenarios), self.progress)
        tick: Callable[[int], Any] | None = bar.update if bar is not None else None
        try:
            if self.pool is None:
                parts = []
                for sc in scenarios:
                    cols = []
                    for b in blocks:
                        cols.append(_simulate_block(sc, self.entropy, b))
                        if tick:
                            tick(len(b))
                    parts.append(cols)
            else:
                futures: list[list[Future[_Point]]] = [
                    [self.pool.submit(_simulate_block, sc, self.entropy, b) for b in blocks]
                    for sc in scenarios
                ]
                parts = []
                for point in futures:
                    cols = []
                    for b, fut in zip(blocks, point, strict=True):
                        cols.append(fut.result())
                        if tick:
                            tick(len(b))
                    parts.append(cols)
        finally:
            if bar is not None:
                bar.close()
        self.evaluated += len(scenarios)
        index = pd.Index(np.arange(self.runs), name="replication")
        return [
            (
                pd.DataFrame(
                    {k: np.concatenate([c.runs[k] for c in cols]) for k in cols[0].runs},
                    index=index,
                ),
                _participation(
                    np.concatenate([c.npv for c in cols]),
                    np.concatenate([c.started for c in cols]),
                ),
            )
            for cols in parts
        ]

    def table(self, design: pd.DataFrame, keep: dict[int, pd.DataFrame] | None) -> pd.DataFrame:
        """Design columns + summary measures of every point (runs kept in ``keep``)."""
        points = self.run(design)
        rows = [_summary(r) | part for r, part in points]
        if keep is not None:
            keep.update(zip(design.index.tolist(), (r for r, _ in points), strict=True))
        summary = pd.DataFrame(rows, index=design.index)
        return pd.concat([design, summary], axis=1)


def output_names(scenario: Scenario) -> list[str]:
    """The outputs a sweep table offers for ``scenario`` (``{measure}_{stat}``).

    Read off the measure catalogue (:func:`fundflow.measure_catalogue.sweep_statistics`)
    and the participation figures; nothing is simulated. Every scenario has the
    same outputs (a measure of an instrument it lacks is zero or NaN).

    Examples
    --------
    >>> sc = Scenario.from_dict({"challenges": [{"name": "chip", "total_investment": 10}]})
    >>> "gov_net_cost_cvar95" in output_names(sc)
    True
    """
    return [*sweep_statistics(), *_PARTICIPATION]


def _check_design(design: Any) -> pd.DataFrame:
    if isinstance(design, Mapping) and not isinstance(design, pd.DataFrame):
        design = pd.DataFrame(design)
    if not isinstance(design, pd.DataFrame) or design.empty or len(design.columns) == 0:
        raise ConfigError(
            "design", design, "an empty sweep: give a DataFrame with one column per lever path"
        )
    out = design.reset_index(drop=True)
    out.index.name = "design_point"
    return out


def run_design(
    scenario: Scenario | str | Mapping[str, Any],
    design: pd.DataFrame | Mapping[str, Sequence[Any]],
    *,
    runs: int = 100,
    seed: int | None = None,
    workers: int = 1,
    keep_runs: bool = True,
    progress: bool | None = None,
) -> SweepResult:
    """Simulate given design points with common random numbers.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The base scenario.
    design : DataFrame or mapping of path to list
        One column per lever path, one row per design point (e.g. read from a CSV
        or built by :func:`make_design`).
    runs : int
        Replications per design point.
    seed : int, optional
        Root entropy, shared by every point. ``None`` draws fresh entropy,
        recorded in the result.
    workers : int
        Processes; results do not depend on it.
    keep_runs : bool
        Keep every point's runs table in ``result.results``.
    progress : bool, optional
        Progress bar (by default only in a terminal or notebook).

    Returns
    -------
    SweepResult
        ``sampler`` is ``"design"``.

    Raises
    ------
    ConfigError
        For an empty design, a path that does not exist or a value out of range
        (naming the design point).

    Examples
    --------
    >>> sc = {"challenges": [{"name": "chip", "total_investment": 10}]}
    >>> res = run_design(sc, {"government.matching.ratio": [0.2, 0.3]}, runs=20, seed=1)
    >>> res.table["gov_net_cost_mean"].round(3).tolist()
    [1.1, 1.65]
    """
    sc = _as_scenario(scenario)  # type: ignore[arg-type]
    frame = _check_design(design)
    levers = [str(c) for c in frame.columns]
    _check_levers(sc, {p: frame[p].tolist() for p in levers})
    return _run(
        sc,
        frame,
        "design",
        runs=runs,
        seed=seed,
        workers=workers,
        keep_runs=keep_runs,
        progress=progress,
    )


def _run(
    sc: Scenario,
    frame: pd.DataFrame,
    sampler: str,
    *,
    runs: int,
    seed: int | None,
    workers: int,
    keep_runs: bool,
    progress: bool | None,
    entropy: int | None = None,
) -> SweepResult:
    runs = _check_positive_int("runs", runs)
    workers = _check_positive_int("workers", workers)
    entropy = _entropy(seed) if entropy is None else entropy
    started = time.perf_counter()
    keep: dict[int, pd.DataFrame] = {}
    with _Evaluator(sc, runs=runs, entropy=entropy, workers=workers, progress=progress) as ev:
        table = ev.table(frame, keep if keep_runs else None)
    return SweepResult(
        table=table,
        results=keep,
        scenario=sc,
        levers=tuple(str(c) for c in frame.columns),
        sampler=sampler,
        entropy=entropy,
        runs=runs,
        workers=workers,
        elapsed=time.perf_counter() - started,
    )


def sweep(
    scenario: Scenario | str | Mapping[str, Any],
    levers: Levers,
    *,
    runs: int = 100,
    seed: int | None = None,
    sampler: str = "grid",
    n: int | None = None,
    workers: int = 1,
    keep_runs: bool = True,
    progress: bool | None = None,
) -> SweepResult:
    """Run a scenario at many design points, with common random numbers.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The base scenario; every other key keeps its value.
    levers : mapping of path to values or (low, high)
        Dotted paths (``government.matching.ratio``,
        ``challenges[sensor-chip].solvers``, ``challenges[0].phases[1].pass_probability``)
        to the values to try. ``grid``: a list of values per lever (their
        cartesian product is swept), or with ``n`` a (low, high) range giving ``n``
        evenly spaced values. ``lhs`` / ``sobol``: a (low, high) range per lever.
    runs : int
        Replications per design point.
    seed : int, optional
        Root entropy: every design point uses the same replications' draws, and
        the lhs / sobol points are drawn from it too (reproducible). ``None``
        draws fresh entropy, recorded as ``result.entropy``.
    sampler : {"grid", "lhs", "sobol"}
        Full grid, Latin hypercube, or scrambled Sobol' points
        (:mod:`scipy.stats.qmc`; ``n`` a power of 2 keeps Sobol's balance).
    n : int, optional
        Points for lhs / sobol (required); values per lever for grid.
    workers : int
        Processes: every (point, block of replications) task runs in one pool.
        Results do not depend on it.
    keep_runs : bool
        Keep each point's runs table in ``result.results`` (not the ledgers).
    progress : bool, optional
        Progress bar (by default only in a terminal or notebook).

    Returns
    -------
    SweepResult
        ``result.table``: one row per design point (index ``design_point``), the
        lever values then ``{measure}_mean`` / ``_se`` for every measure and
        ``_cvar95`` / ``_prob_loss`` for the loss-like ones.

    Raises
    ------
    ConfigError
        For an empty sweep, an unknown sampler, a lever path that does not exist
        (the nearest valid path is suggested), a value out of the field's range
        (naming the design point), or bad ``runs`` / ``n`` / ``workers``.

    Examples
    --------
    >>> sc = {"challenges": [{"name": "chip", "total_investment": 10, "solvers": 2,
    ...                       "race": {"select_after": 1}}]}
    >>> res = sweep(sc, {"government.matching.ratio": [0.2, 0.3]}, runs=50, seed=7)
    >>> res.table[["government.matching.ratio", "gov_net_cost_mean"]].round(2).values.tolist()
    [[0.2, 1.58], [0.3, 2.33]]
    >>> # the same replications at both points: successes identical, run by run
    >>> res.results[0]["challenges_succeeded"].equals(res.results[1]["challenges_succeeded"])
    True
    """
    sc = _as_scenario(scenario)  # type: ignore[arg-type]
    entropy = _entropy(seed)
    frame = make_design(sc, levers, sampler=sampler, n=n, entropy=entropy)
    return _run(
        sc,
        frame,
        sampler,
        runs=runs,
        seed=seed,
        workers=workers,
        keep_runs=keep_runs,
        progress=progress,
        entropy=entropy,
    )
