"""Compare two scenarios on common random numbers: paired differences per measure.

Both scenarios are simulated with the same root seed, so replication ``i`` of
each sees the same draws: the same routes pass and fail, the same overruns and
durations (docs/model.md, "Random draws"). The difference ``a[i] - b[i]`` then removes the
noise the two share, and its confidence interval is far narrower than that of
two independent runs wherever the measure is random in both scenarios. (Where
one side is deterministic, e.g. a pure up-front grant's outlay, the paired and
unpaired intervals coincide: there is no shared noise to remove.)

The pairing is meaningful when the two scenarios have the same challenges,
routes and phases and differ in policy levers (matching, tranches, tolerance,
claw-back, caps, budget...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from fundflow.errors import ConfigError
from fundflow.results.measures import LOSS_MEASURES, RATIO_MEASURES
from fundflow.results.provenance import Provenance
from fundflow.results.result import SimulationResult, metrics
from fundflow.run.blocks import engine_used
from fundflow.run.montecarlo import Runner, as_scenario, run_scenario
from fundflow.run.settings import ExecutionOptions, RunSettings, resolve_settings
from fundflow.scenario.config import Scenario

__all__ = ["CompareResult", "compare"]

#: Measures whose tail (CVaR 95%) is compared: the loss-like measures and the
#: government's gross outlay.
TAIL_MEASURES: tuple[str, ...] = ("gov_gross_outlay", *LOSS_MEASURES)

#: Columns of the comparison table that are differences A − B (or their standard
#: errors): for a share they are in percentage points, not a relative change.
DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "mean_diff",
    "ci_low",
    "ci_high",
    "se",
    "unpaired_se",
    "cvar95_diff",
    "cvar95_diff_ci_low",
    "cvar95_diff_ci_high",
)

_BOOTSTRAP = 1000
_ALPHA = 0.95

#: The comparison's headline: the three kinds of government money and their sum
#: (docs/model.md, "Kinds of government money").
HEADLINE = ("gov_budget_cost", "gov_fund_net_cost", "gov_tax_forgone", "gov_net_cost")


@dataclass(frozen=True)
class CompareResult:
    """What :func:`compare` returns.

    Attributes
    ----------
    a, b : SimulationResult
        The two runs, replication ``i`` of each on the same draws.
    table : pandas.DataFrame
        One row per measure (index ``measure``). Columns: ``mean_a``,
        ``mean_b``, ``mean_diff`` (A − B), ``rel_diff`` (``mean_diff / |mean_b|``),
        ``ci_low``, ``ci_high`` (paired 95% CI of the mean difference), ``se``
        (paired), ``unpaired_se`` (what two independent runs would give),
        ``ci_width_ratio`` (``se / unpaired_se``: paired CI width relative to the
        unpaired one, same critical value), ``n`` (pairs used: replications where
        both values are defined); the program ratios ``gov_cost_per_success`` and
        ``leverage`` are ratios of means, their SEs by the delta method; for
        :data:`TAIL_MEASURES` also ``cvar95_a``, ``cvar95_b``, ``cvar95_diff`` and a
        paired-bootstrap 95% interval of the CVaR difference
        (``cvar95_diff_ci_low``, ``cvar95_diff_ci_high``).
        ``table.attrs["differences"]`` lists the columns that are differences
        (:data:`DIFFERENCE_COLUMNS`): for a share measure they are differences of
        probabilities, which the exports and ``fundflow compare`` show in
        percentage points (``-1.6 pp``); ``rel_diff`` is a relative change (%).
    entropy : int
        The root seed both runs used.
    provenance : Provenance
        Both scenarios, their hashes, seed, runs, workers, time, version
        (:mod:`fundflow.results.provenance`).
    """

    a: SimulationResult
    b: SimulationResult
    table: pd.DataFrame
    entropy: int

    def to_frame(self) -> pd.DataFrame:
        """The paired-difference table (a copy)."""
        return self.table.copy()

    @property
    def money_unit(self) -> str:
        return self.a.money_unit

    def headline(self) -> pd.DataFrame:
        """How much A changes the government's expected outlay and net cost, and their tails.

        Returns
        -------
        pandas.DataFrame
            One row for each kind of government money (``gov_budget_cost``,
            ``gov_fund_net_cost``, ``gov_tax_forgone``) and the all-in ``gov_net_cost`` found in
            :attr:`table` (index ``measure``), with its columns ``mean_diff``,
            ``rel_diff``, ``ci_low``, ``ci_high`` and ``cvar95_diff``, and
            ``cvar95_rel_diff``: ``cvar95_diff / cvar95_b``, NaN where B's CVaR 95% is 0.
        """
        rows = [m for m in HEADLINE if m in self.table.index]
        out = self.table.loc[rows, ["mean_diff", "rel_diff", "ci_low", "ci_high", "cvar95_diff"]]
        b = self.table.loc[rows, "cvar95_b"].astype(float)
        return out.assign(cvar95_rel_diff=(out["cvar95_diff"] / b).where(b != 0, math.nan))

    @property
    def names(self) -> tuple[str, str]:
        return self.a.scenario.name, self.b.scenario.name

    @property
    def provenance(self) -> Provenance:
        """Both scenarios (A, B), their hashes, seed, runs of each, workers, time, version."""
        return Provenance.of(
            [self.a.scenario, self.b.scenario],
            entropy=self.entropy,
            runs=len(self.a),
            workers=self.a.workers,
            elapsed=self.a.elapsed + self.b.elapsed,
            version=self.a.version,
            engine=engine_used([self.a.engine, self.b.engine]),
        )


def _bootstrap_cvar_diff(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile 95% interval of ``cvar(x) - cvar(y)`` over paired resamples."""
    n = x.size
    if n < 2:
        return math.nan, math.nan
    diffs = []
    batch = max(1, min(_BOOTSTRAP, 2_000_000 // n))
    for start in range(0, _BOOTSTRAP, batch):
        idx = rng.integers(0, n, size=(min(batch, _BOOTSTRAP - start), n))
        diffs.append(metrics.cvar(x[idx], _ALPHA, axis=1) - metrics.cvar(y[idx], _ALPHA, axis=1))
    low, high = np.quantile(np.concatenate(diffs), [0.025, 0.975])
    return float(low), float(high)


def _row(x: np.ndarray, y: np.ndarray, tail: bool, rng: np.random.Generator) -> dict[str, float]:
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    d = metrics.paired_difference(x, y)
    mean_a = float(np.mean(x)) if x.size else math.nan
    mean_b = float(np.mean(y)) if y.size else math.nan
    unpaired = d["unpaired_se"]
    row = {
        "mean_a": mean_a,
        "mean_b": mean_b,
        "mean_diff": d["mean_diff"],
        "rel_diff": d["mean_diff"] / abs(mean_b) if mean_b else math.nan,
        "ci_low": d["ci_low"],
        "ci_high": d["ci_high"],
        "se": d["se"],
        "unpaired_se": unpaired,
        "ci_width_ratio": d["se"] / unpaired if unpaired > 0 else math.nan,
        "n": d["n"],
    }
    if tail:
        cvar_a, cvar_b = metrics.cvar(x, _ALPHA), metrics.cvar(y, _ALPHA)
        low, high = _bootstrap_cvar_diff(x, y, rng)
        row.update(
            cvar95_a=cvar_a,
            cvar95_b=cvar_b,
            cvar95_diff=cvar_a - cvar_b,
            cvar95_diff_ci_low=low,
            cvar95_diff_ci_high=high,
        )
    return row


def _ratio_row(a: pd.DataFrame, b: pd.DataFrame, num: str, den: str) -> dict[str, float]:
    """Paired difference of two ratios of means, delta method on the same replications.

    Each ratio ``R = mean(X) / mean(Y)`` is linearised per replication as
    ``(X - R Y) / mean(Y)``; the difference's SE is that of the paired
    linearised values, its unpaired SE ``sqrt(se_a^2 + se_b^2)``.
    """
    ra = metrics.ratio_of_means(a[num].to_numpy(float), a[den].to_numpy(float))
    rb = metrics.ratio_of_means(b[num].to_numpy(float), b[den].to_numpy(float))
    n = len(a)

    def lin(t: pd.DataFrame, r: float) -> np.ndarray:
        y = t[den].to_numpy(float)
        return np.asarray((t[num].to_numpy(float) - r * y) / np.mean(y))

    diff = float(ra.estimate) - float(rb.estimate)
    z = lin(a, float(ra.estimate)) - lin(b, float(rb.estimate))
    se = float(np.std(z, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    unpaired = math.hypot(float(ra.se), float(rb.se))
    low, high = metrics.t_interval(diff, se, n)
    return {
        "mean_a": float(ra.estimate),
        "mean_b": float(rb.estimate),
        "mean_diff": diff,
        "rel_diff": diff / abs(float(rb.estimate)) if float(rb.estimate) else math.nan,
        "ci_low": float(low),
        "ci_high": float(high),
        "se": se,
        "unpaired_se": unpaired,
        "ci_width_ratio": se / unpaired if unpaired > 0 else math.nan,
        "n": n,
    }


def paired_table(a: SimulationResult, b: SimulationResult, entropy: int) -> pd.DataFrame:
    """The paired-difference table of two runs on the same replications."""
    if not np.array_equal(a.replications, b.replications):
        raise ConfigError("b", "replications", "must be the same replications as a's")
    measures = [m for m in a.runs.columns if m in b.runs.columns]
    rng = np.random.default_rng([entropy, 0x636F6D70])  # "comp": apart from the model's streams
    rows = {
        m: _row(
            a.runs[m].to_numpy(dtype=float),
            b.runs[m].to_numpy(dtype=float),
            m in TAIL_MEASURES,
            rng,
        )
        for m in measures
    }
    for name, (num, den) in RATIO_MEASURES.items():
        if {num, den} <= set(measures):
            rows[name] = _ratio_row(a.runs, b.runs, num, den)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["n"] = table["n"].astype(np.int64)
    table.index.name = "measure"
    table.attrs["differences"] = [c for c in DIFFERENCE_COLUMNS if c in table.columns]
    return table


def compare(
    a: Scenario | str | Path | dict[str, Any],
    b: Scenario | str | Path | dict[str, Any],
    runs: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    *,
    settings: RunSettings | None = None,
    **options: Unpack[ExecutionOptions],
) -> CompareResult:
    """Run two scenarios on common random numbers and tabulate their paired differences.

    Parameters
    ----------
    a, b : Scenario, path or dict
        The scenarios; differences are ``a - b``.
    runs : int, optional
        Replications of each (>= 1; default 1000).
    seed : int, optional
        Root entropy shared by both runs; ``None`` draws one (recorded in the result).
    workers : int, optional
        Processes (one pool for both runs; default 1); results do not depend on it.
    settings : RunSettings, optional
        The run options together; the arguments and keywords given override its fields.
    **options
        ``progress``, ``chunk_size``, ``executor``, as in :func:`fundflow.simulate`.

    Returns
    -------
    CompareResult

    Raises
    ------
    ConfigError
        For an invalid scenario, ``runs``, ``seed`` or ``workers``.

    Examples
    --------
    >>> cmp = compare("configs/open_competition.yaml", "configs/upfront_grant.yaml",
    ...               runs=2000, seed=1)  # doctest: +SKIP
    >>> cmp.table.loc["gov_gross_outlay", ["mean_diff", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    positional = {"runs": runs, "seed": seed, "workers": workers}
    given: dict[str, Any] = {k: v for k, v in positional.items() if v is not None}
    given.update(options)
    s = resolve_settings(settings, given, "compare", runs=1000, workers=1)
    sc_a, sc_b = as_scenario(a), as_scenario(b)
    entropy = s.entropy()
    assert s.runs is not None
    with Runner(s, total=2 * s.runs) as runner:  # one progress bar for both runs
        res_a = run_scenario(runner, sc_a, entropy)
        res_b = run_scenario(runner, sc_b, entropy)
    return CompareResult(res_a, res_b, paired_table(res_a, res_b, entropy), entropy)
