"""Sweeps: run many design points of a scenario with common random numbers.

A *lever* is a scenario key named by its dotted path (:mod:`fundflow.scenario.overrides`);
a *design point* gives each lever a value. :func:`sweep` builds the design points
(a full grid, a Latin hypercube or a scrambled Sobol' sequence from
:mod:`scipy.stats.qmc`) and :func:`run_design` simulates them.

Common random numbers: every design point is simulated with the same root
entropy, so replication ``i`` of every point uses the same draws (the same
uniforms for durations, reviews, overruns, values...). A lever that does not touch
outcomes (the matching ratio) leaves which routes succeed unchanged, replication
by replication, and differences between points are paired, not blurred by
sampling noise.

The design points are built in :mod:`fundflow.analysis.design`. Parallelism: every
(design point, block of replications) task goes through one runner
(:class:`fundflow.run.montecarlo.Runner`: with ``workers > 1`` one process pool, or
the executor of the run settings); results do not depend on it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack

import numpy as np
import pandas as pd

from fundflow._version import __version__
from fundflow.analysis.design import SAMPLERS, Levers, _check_levers, _records, make_design
from fundflow.errors import ConfigError
from fundflow.results import metrics
from fundflow.results.catalogue import sweep_statistics
from fundflow.results.measures import LOSS_MEASURES, RATIO_MEASURES
from fundflow.results.provenance import Provenance
from fundflow.results.statistics import SWEEP_ALPHAS, sweep_columns
from fundflow.run.blocks import engine_used, simulate_block
from fundflow.run.montecarlo import Runner, as_scenario
from fundflow.run.settings import RunOptions, RunSettings, resolve_settings
from fundflow.scenario.config import Scenario
from fundflow.scenario.overrides import apply_overrides

__all__ = ["SAMPLERS", "SweepResult", "make_design", "output_names", "run_design", "sweep"]


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
        ``{measure}_prob_loss`` (and ``{measure}_{statistic}`` for any statistic
        registered with ``sweep=True``, :mod:`fundflow.results.statistics`); the
        program ratios ``gov_cost_per_success`` and ``leverage`` as ratios of means
        (``_mean``, with a delta-method ``_se``); then ``solver_npv_min``, the lowest
        over challenges of the solver's expected NPV per route that started (copies of
        a challenge pooled), and its ``solver_npv_min_se``. Money in the scenario's ``money_unit``.
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
    engine : str
        The simulation engine used (``"compiled"`` or ``"simpy"``).
    provenance : Provenance
        The base scenario, its hash, seed, runs, workers, time, version, engine, as
        run and compare results carry them (:mod:`fundflow.results.provenance`).
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
    engine: str = "simpy"
    _scenarios: dict[int, Scenario] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def provenance(self) -> Provenance:
        """Base scenario, its hash, seed, runs per point, workers, time, version."""
        return Provenance.of(
            [self.scenario],
            entropy=self.entropy,
            runs=self.runs,
            workers=self.workers,
            elapsed=self.elapsed,
            version=self.version,
            engine=self.engine,
        )

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


# --- evaluation ----------------------------------------------------------------------


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
    """The sweep statistics of every measure (:func:`~fundflow.results.statistics.sweep_columns`:
    mean and SE; CVaR95 and loss probability of loss measures); the program ratios as
    ratios of means: the numbers of the point's own summary
    (:meth:`fundflow.SimulationResult.summary`), to the last bit."""
    loss = [m in LOSS_MEASURES for m in runs.columns]
    stats = metrics.summary_statistics(runs.to_numpy(dtype=float), 0, loss, alphas=SWEEP_ALPHAS)
    chosen = {flag: sweep_columns(flag) for flag in (False, True)}
    values = {c: stats[c].tolist() for c in chosen[True]}
    row: dict[str, float] = {}
    for i, (m, is_loss) in enumerate(zip(runs.columns, loss, strict=True)):
        for stat in chosen[is_loss]:
            row[f"{m}_{stat}"] = values[stat][i]
    for name, (num, den) in RATIO_MEASURES.items():
        if num in runs.columns and den in runs.columns:
            ratio = metrics.ratio_of_means(runs[num].to_numpy(float), runs[den].to_numpy(float))
            row[f"{name}_mean"], row[f"{name}_se"] = float(ratio.estimate), float(ratio.se)
    return row


class _Evaluator:
    """Simulates design points with common random numbers, through one :class:`Runner`.

    Every (design point, block of replications) is one task; the tasks of all the
    points go through the same runner, so one pool serves a whole sweep (or a
    whole optimisation).
    """

    def __init__(self, scenario: Scenario, settings: RunSettings, entropy: int) -> None:
        assert settings.runs is not None
        self.scenario = scenario
        self.settings = settings
        self.runs: int = settings.runs
        self.entropy = entropy
        self.runner = Runner(settings)
        self.evaluated = 0
        self.engines: set[str] = set()  # the engines that simulated the points

    def __enter__(self) -> _Evaluator:
        self.runner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.__exit__(*exc)

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
        if self.settings.chunk_size is not None:
            return self.settings.chunk_size
        workers = self.runner.workers
        if workers == 1:
            return self.runs
        return max(1, min(self.runs, -(-self.runs * points // (workers * 4))))

    def run(self, design: pd.DataFrame) -> list[tuple[pd.DataFrame, dict[str, float]]]:
        """The runs table and the participation figures of every design point, in order."""
        scenarios = self.scenarios(design)
        size = self._block_size(len(scenarios))
        blocks = [range(a, min(a + size, self.runs)) for a in range(0, self.runs, size)]
        engine = self.settings.engine
        tasks = [(sc, self.entropy, b, engine) for sc in scenarios for b in blocks]
        done = list(self.runner.map(simulate_block, tasks, [len(t[2]) for t in tasks]))
        self.engines.update(p.engine for p in done)
        self.evaluated += len(scenarios)
        index = pd.Index(np.arange(self.runs), name="replication")
        out = []
        for k in range(len(scenarios)):
            cols = done[k * len(blocks) : (k + 1) * len(blocks)]
            runs = {c: np.concatenate([p.runs[c] for p in cols]) for c in cols[0].runs}
            npv = np.concatenate([p.npv for p in cols])
            started = np.concatenate([p.started for p in cols])
            out.append((pd.DataFrame(runs, index=index), _participation(npv, started)))
        return out

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

    Read off the measure catalogue (:func:`fundflow.results.catalogue.sweep_statistics`)
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
    keep_runs: bool = True,
    settings: RunSettings | None = None,
    **options: Unpack[RunOptions],
) -> SweepResult:
    """Simulate given design points with common random numbers.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The base scenario.
    design : DataFrame or mapping of path to list
        One column per lever path, one row per design point (e.g. read from a CSV
        or built by :func:`make_design`).
    keep_runs : bool
        Keep every point's runs table in ``result.results``.
    settings : RunSettings, optional
        The run options together; keywords given as well override its fields.
    **options
        The fields of :class:`~fundflow.run.settings.RunSettings`: ``runs``
        (replications per design point, default 100), ``seed`` (root entropy,
        shared by every point; ``None`` draws fresh entropy, recorded in the
        result), ``workers``, ``progress``, ``chunk_size``, ``executor``
        (results do not depend on these four).

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
    s = resolve_settings(settings, options, "run_design", runs=100, workers=1)
    sc = as_scenario(scenario)  # type: ignore[arg-type]
    frame = _check_design(design)
    levers = [str(c) for c in frame.columns]
    _check_levers(sc, {p: frame[p].tolist() for p in levers})
    return _run(sc, frame, "design", s, s.entropy(), keep_runs)


def _run(
    sc: Scenario,
    frame: pd.DataFrame,
    sampler: str,
    settings: RunSettings,
    entropy: int,
    keep_runs: bool,
) -> SweepResult:
    started = time.perf_counter()
    keep: dict[int, pd.DataFrame] = {}
    with _Evaluator(sc, settings, entropy) as ev:
        table = ev.table(frame, keep if keep_runs else None)
    return SweepResult(
        table=table,
        results=keep,
        scenario=sc,
        levers=tuple(str(c) for c in frame.columns),
        sampler=sampler,
        entropy=entropy,
        runs=ev.runs,
        workers=ev.runner.workers,
        elapsed=time.perf_counter() - started,
        engine=engine_used(sorted(ev.engines)),
    )


def sweep(
    scenario: Scenario | str | Mapping[str, Any],
    levers: Levers,
    *,
    sampler: str = "grid",
    n: int | None = None,
    keep_runs: bool = True,
    settings: RunSettings | None = None,
    **options: Unpack[RunOptions],
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
    sampler : {"grid", "lhs", "sobol"}
        Full grid, Latin hypercube, or scrambled Sobol' points
        (:mod:`scipy.stats.qmc`; ``n`` a power of 2 keeps Sobol's balance).
    n : int, optional
        Points for lhs / sobol (required); values per lever for grid.
    keep_runs : bool
        Keep each point's runs table in ``result.results`` (not the ledgers).
    settings : RunSettings, optional
        The run options together; keywords given as well override its fields.
    **options
        The fields of :class:`~fundflow.run.settings.RunSettings`: ``runs``
        (replications per design point, default 100); ``seed`` (root entropy:
        every design point uses the same replications' draws, and the lhs /
        sobol points are drawn from it too; ``None`` draws fresh entropy,
        recorded as ``result.entropy``); ``workers`` (every (point, block of
        replications) task goes through one runner, one pool), ``progress``,
        ``chunk_size``, ``executor``: results do not depend on these four.

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
    s = resolve_settings(settings, options, "sweep", runs=100, workers=1)
    sc = as_scenario(scenario)  # type: ignore[arg-type]
    entropy = s.entropy()
    frame = make_design(sc, levers, sampler=sampler, n=n, entropy=entropy)
    return _run(sc, frame, sampler, s, entropy, keep_runs)
