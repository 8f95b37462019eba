"""The summary statistics, once: how each is computed, its labels and unit, where it shows.

Every reader of the statistics takes them from this registry:

* a summary (:meth:`SimulationResult.summary() <fundflow.results.result.SimulationResult.summary>`,
  :func:`fundflow.results.metrics.summarize`) has one column per statistic, in the
  order of :func:`columns`;
* a sweep table (:func:`fundflow.sweep`, :func:`fundflow.results.catalogue.sweep_statistics`)
  has ``{measure}_{statistic}`` for every statistic registered with ``sweep=True``;
* the label table (:mod:`fundflow.io.labels`) has each statistic's English and
  Chinese label and its unit, so exports, the command line and figures name it;
* the figures of a loss (:func:`fundflow.plots.loss_distribution`,
  :func:`fundflow.plots.exceedance_curve`) mark every statistic registered with
  ``mark=True`` as a vertical line.

Adding a statistic is one call, e.g. the mean absolute deviation of every measure::

    register_statistic(
        "mad",
        lambda s: np.mean(np.abs(s.values - s.mean[:, None]), axis=1),
        label_en="Mean absolute deviation",
        label_zh="平均绝对偏差",
        sweep=True,
    )

or, for a percentile, ``register_statistic("p90", quantile=0.9, label_en=...,
label_zh=...)``. :func:`unregister_statistic` removes it. A statistic is computed
from a :class:`Sample`: the values of one or more measures (a row each, NaN
dropped, at least one replication), with the mean, the standard deviation and the
quantiles computed once for all the statistics that need them. A statistic *of a
level* (``levels=True``: VaR, CVaR) is computed once per confidence level ``alpha``
of the summary, as ``fn(sample, alpha)``, in columns ``{name}{100 alpha}``
(``var95``, ``cvar99``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fundflow.results.tail_risk import cvar, prob_loss, var

__all__ = [
    "ALPHAS",
    "SWEEP_ALPHAS",
    "Sample",
    "Statistic",
    "alpha_label",
    "columns",
    "find",
    "layout",
    "quantiles",
    "register_statistic",
    "registered",
    "sweep_columns",
    "unregister_statistic",
]

#: Confidence levels of a summary's level statistics, unless it is given others.
ALPHAS: tuple[float, ...] = (0.95, 0.99)
#: Confidence levels of a sweep table's level statistics (``gov_net_cost_cvar95``).
SWEEP_ALPHAS: tuple[float, ...] = (0.95,)

Values = npt.NDArray[np.float64]


def alpha_label(alpha: float) -> str:
    """The column suffix of a level: 0.95 -> ``"95"``, 0.975 -> ``"97.5"``."""
    return f"{round(alpha * 100, 6):g}"


class Sample:
    """The values a statistic is computed from, and what several statistics share.

    Attributes
    ----------
    values : numpy.ndarray, shape (measures, n)
        One row per measure, one column per replication: no NaN, ``n >= 1``.
    n : int
        The replications of every row.
    """

    def __init__(self, values: Values, quantiles: Sequence[float] = ()) -> None:
        self.values = values
        self.n = int(values.shape[1])
        self._wanted = tuple(quantiles)  # computed together on the first quantile asked for
        self._quantiles: dict[float, Values] = {}
        self._half: dict[float, Values] = {}

    def quantile(self, q: float) -> Values:
        """The `q`-quantile of every row (``np.quantile``'s default, linear interpolation).

        The quantiles the sample was made for are computed together, in one pass.
        """
        if q not in self._quantiles:
            qs = sorted({q, *(w for w in self._wanted if w not in self._quantiles)})
            values = np.quantile(self.values, qs, axis=1)
            self._quantiles.update(zip(qs, np.asarray(values, dtype=np.float64), strict=True))
        return self._quantiles[q]

    @functools.cached_property
    def mean(self) -> Values:
        """The mean of every row."""
        return np.asarray(np.mean(self.values, axis=1), dtype=np.float64)

    @functools.cached_property
    def std(self) -> Values:
        """The standard deviation of every row (``ddof=1``; NaN with one replication)."""
        if self.n < 2:
            return np.full(len(self.values), np.nan)
        return np.asarray(np.std(self.values, axis=1, ddof=1), dtype=np.float64)

    @functools.cached_property
    def se(self) -> Values:
        """The standard error of the mean, ``std / sqrt(n)``."""
        return self.std / math.sqrt(self.n)

    def half_width(self, confidence: float = 0.95) -> Values:
        """Half the t-interval of the mean: ``t_{(1+confidence)/2, n-1} · se`` (NaN if n < 2)."""
        if self.n < 2:
            return np.full(len(self.values), np.nan)
        if confidence not in self._half:
            from scipy import stats

            t = float(stats.t.ppf(0.5 + confidence / 2.0, df=self.n - 1))
            self._half[confidence] = t * self.se
        return self._half[confidence]


#: ``fn(sample)``, or ``fn(sample, alpha)`` for a statistic of a level: one value per row.
StatisticFn = Callable[..., Values]


@dataclass(frozen=True)
class Statistic:
    """One statistic of a summary. See :func:`register_statistic` for the fields."""

    name: str
    fn: StatisticFn | None
    label_en: str
    label_zh: str
    unit: str | None = "same"
    loss: bool = False
    sweep: bool = False
    mark: bool = False
    levels: bool = False
    symbol: str = ""
    empty: float = math.nan
    quantile: float | None = None

    def compute(self, sample: Sample, alpha: float | None = None) -> Values:
        """The statistic of every row of `sample` (`alpha`: its level, if it has levels)."""
        if self.quantile is not None:
            values = sample.quantile(self.quantile)
        else:
            assert self.fn is not None
            values = self.fn(sample) if alpha is None else self.fn(sample, alpha)
        return np.asarray(values, dtype=np.float64).reshape(len(sample.values))

    def labels(self, level: str | None = None) -> tuple[str, str]:
        """English and Chinese labels; a level's fill in ``{level}`` (``"VaR 95%"``) and
        ``{tail}``, the share of the worst cases beyond it (``"5"``)."""
        if level is None:
            return self.label_en, self.label_zh
        fields = {"level": level, "tail": f"{round(100.0 - float(level), 6):g}"}
        return self.label_en.format(**fields), self.label_zh.format(**fields)


_REGISTRY: dict[str, Statistic] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_LEVEL = re.compile(r"[0-9]+(\.[0-9]+)?")


def register_statistic(
    name: str,
    fn: StatisticFn | None = None,
    *,
    quantile: float | None = None,
    label_en: str,
    label_zh: str,
    unit: str | None = "same",
    loss: bool = False,
    sweep: bool = False,
    mark: bool = False,
    levels: bool = False,
    symbol: str = "",
    empty: float = math.nan,
) -> Statistic:
    """Add a statistic to every summary, and to sweeps, labels and figures as asked.

    Parameters
    ----------
    name : str
        The summary's column (lower case, digits and ``_``); for a statistic of a
        level, the column's prefix (``"var"``: ``var95``, ``var99``).
    fn : callable
        ``fn(sample)`` -> one value per row of ``sample.values`` (a :class:`Sample`);
        with `levels`, ``fn(sample, alpha)``.
    quantile : float, optional
        Instead of `fn`: the statistic is this quantile, in [0, 1]; the quantiles
        of a summary are computed together, in one pass over the values.
    label_en, label_zh : str
        Its labels; with `levels`, ``{level}`` stands for the level (``"VaR {level}%"``)
        and ``{tail}`` for the tail beyond it (95 -> 5: ``"最差{tail}%情形平均支出"``).
    unit : str or None, default "same"
        A unit kind of :data:`fundflow.io.labels.UNITS`: ``"same"`` is the unit of
        the measure it describes; ``"share"``, ``"count"``... its own.
    loss : bool
        Computed for the loss-like measures only (NaN for the others).
    sweep : bool
        A column ``{measure}_{name}`` of sweep tables (levels at :data:`SWEEP_ALPHAS`).
    mark : bool
        Marked on the loss figures (a vertical line per level).
    levels : bool
        One column per confidence level of the summary (``alphas``).
    symbol : str
        Its short name in a figure's legend (``"VaR"``); the label by default.
    empty : float
        Its value with no replication (NaN; ``n``: 0).

    Returns
    -------
    Statistic

    Raises
    ------
    ValueError
        If the name is taken (or a column of it would be), or is not lower case;
        if not exactly one of `fn` and `quantile` is given, or a quantile is not in
        [0, 1] or has levels.
    """
    new = Statistic(
        name,
        fn,
        label_en,
        label_zh,
        unit,
        loss,
        sweep,
        mark,
        levels,
        symbol,
        float(empty),
        quantile,
    )
    if (fn is None) == (quantile is None):
        raise ValueError(f"statistic {name!r}: give either fn or quantile")
    if quantile is not None and (levels or not 0.0 <= quantile <= 1.0):
        raise ValueError(f"statistic {name!r}: quantile {quantile} must be in [0, 1], no levels")
    if not _NAME.fullmatch(name):
        raise ValueError(f"statistic name {name!r}: lower-case letters, digits and _ only")
    for old in _REGISTRY.values():
        if old.name == name or _covers(old, name) or _covers(new, old.name):
            raise ValueError(f"statistic {name!r} collides with the registered {old.name!r}")
    _REGISTRY[name] = new
    return new


def _covers(stat: Statistic, column: str) -> bool:
    """Whether `column` is one of the level columns of `stat` (``var95`` of ``var``)."""
    return (
        stat.levels
        and column.startswith(stat.name)
        and bool(_LEVEL.fullmatch(column[len(stat.name) :]))
    )


def unregister_statistic(name: str) -> Statistic:
    """Remove a statistic (``KeyError`` if none has that name) and return it."""
    return _REGISTRY.pop(name)


def registered() -> tuple[Statistic, ...]:
    """Every statistic, in registration order."""
    return tuple(_REGISTRY.values())


def find(column: str) -> tuple[Statistic, str | None] | None:
    """The statistic of a summary column and its level: ``"cvar97.5"`` -> (cvar, "97.5")."""
    stat = _REGISTRY.get(column)
    if stat is not None and not stat.levels:
        return stat, None
    for stat in _REGISTRY.values():
        if _covers(stat, column):
            return stat, column[len(stat.name) :]
    return None


def _layout(
    stats: Sequence[Statistic], alphas: Sequence[float]
) -> Iterator[tuple[Statistic, str, float | None]]:
    """(statistic, column, level) in column order: registration order, except that
    consecutive statistics of a level go level by level (var95, cvar95, var99, cvar99)."""
    run: list[Statistic] = []
    for stat in [*stats, None]:
        if stat is not None and stat.levels:
            run.append(stat)
            continue
        for alpha in alphas:
            for s in run:
                yield s, f"{s.name}{alpha_label(alpha)}", alpha
        run = []
        if stat is not None:
            yield stat, stat.name, None


def layout(alphas: Sequence[float] = ALPHAS) -> list[tuple[Statistic, str, float | None]]:
    """(statistic, column, level) of every column of a summary, in order."""
    return list(_layout(registered(), alphas))


def columns(alphas: Sequence[float] = ALPHAS) -> list[str]:
    """A summary's columns, in order (``mean, se, ..., var95, cvar95, ..., prob_loss``)."""
    return [column for _, column, _ in _layout(registered(), alphas)]


def quantiles() -> list[float]:
    """The quantiles of the statistics registered as one (computed together)."""
    return [s.quantile for s in registered() if s.quantile is not None]


def sweep_columns(loss: bool) -> list[str]:
    """The statistics of a measure in a sweep table (its columns' suffixes), in order:
    those with ``sweep=True``; the loss-only ones when `loss` (the measure is loss-like)."""
    chosen = [s for s in registered() if s.sweep and (loss or not s.loss)]
    return [column for _, column, _ in _layout(chosen, SWEEP_ALPHAS)]


# --------------------------------------------------------------------------- built-in


# The statistics of every summary, in their column order.
register_statistic("mean", lambda s: s.mean, label_en="Mean", label_zh="均值", sweep=True)
register_statistic("se", lambda s: s.se, label_en="Std. error", label_zh="标准误", sweep=True)
register_statistic(
    "ci_low",
    lambda s: s.mean - s.half_width(),
    label_en="95% CI low",
    label_zh="95%置信区间下限",
)
register_statistic(
    "ci_high",
    lambda s: s.mean + s.half_width(),
    label_en="95% CI high",
    label_zh="95%置信区间上限",
)
register_statistic("std", lambda s: s.std, label_en="Std. dev.", label_zh="标准差")
register_statistic("p5", quantile=0.05, label_en="5th percentile", label_zh="5%分位")
register_statistic("p50", quantile=0.50, label_en="Median", label_zh="中位数")
register_statistic("p95", quantile=0.95, label_en="95th percentile", label_zh="95%分位")
register_statistic(
    "n",
    lambda s: np.full(len(s.values), float(s.n)),
    label_en="Replications",
    label_zh="样本数",
    unit="count",
    empty=0.0,
)
register_statistic(
    "var",
    lambda s, alpha: var(s.values, alpha, axis=1),
    label_en="VaR {level}%",
    label_zh="{level}%分位支出（在险价值）",
    loss=True,
    mark=True,
    levels=True,
    symbol="VaR",
)
register_statistic(
    "cvar",
    lambda s, alpha: cvar(s.values, alpha, axis=1),
    label_en="CVaR {level}%",
    label_zh="最差{tail}%情形平均支出（条件在险价值）",
    loss=True,
    sweep=True,
    mark=True,
    levels=True,
    symbol="CVaR",
)
register_statistic(
    "prob_loss",
    lambda s: prob_loss(s.values, axis=1),
    label_en="Probability of a loss",
    label_zh="亏损概率",
    unit="share",
    loss=True,
    sweep=True,
)
