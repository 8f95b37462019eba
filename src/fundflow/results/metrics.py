"""Risk and cash-flow metrics: pure functions over NumPy arrays.

Nothing here knows about SimPy, files or the ledger's layout. The functions
take plain arrays (anything :func:`numpy.asarray` accepts) and return floats,
arrays or, for :func:`summarize`, a :class:`pandas.DataFrame`. The tail-risk
functions live in :mod:`fundflow.results.tail_risk`, the cash-flow ones in
:mod:`fundflow.results.cashflows`, the ratios of means in :mod:`fundflow.results.metrics_ratios`;
all are importable from here.

Sign conventions differ by function, on purpose, and each docstring says which
one it uses:

* :func:`var`, :func:`cvar`, :func:`prob_loss`: a *loss* sample, losses
  positive (e.g. the government's net cost per replication).
* :func:`npv`, :func:`yearly_buckets`: no convention; the signs of ``amounts``
  are kept as given.
* :func:`irr`: numpy-financial's convention, from the party's point of view:
  money received positive, money paid out negative.
* :func:`peak_exposure`: the party's net *outflows*, positive = money out.
* :func:`ratio_of_means`: no convention; a ratio of two per-replication totals.

Statistics over replications take ``axis`` (:func:`var`, :func:`cvar`,
:func:`prob_loss`, :func:`mean_ci`, :func:`ratio_of_means`) and are vectorised
over the other axes; :func:`summarize` computes the statistics registered in
:mod:`fundflow.results.statistics` (built on them) for every measure at once, and
the sweeps and comparisons use the same functions, so a statistic is computed
one way everywhere.

Missing values: :func:`var`, :func:`cvar` and :func:`prob_loss` return NaN when
their sample holds a NaN (or is empty); :func:`mean_ci`, :func:`summarize` and
:func:`paired_difference` drop NaN values before computing anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from fundflow.results import statistics
from fundflow.results.cashflows import irr, npv, peak_exposure, yearly_buckets
from fundflow.results.metrics_ratios import Ratio, ratio_of_means, t_interval
from fundflow.results.statistics import Sample
from fundflow.results.tail_risk import _check_alpha, _sample, cvar, euler_cvar, prob_loss, var

if TYPE_CHECKING:
    import pandas as pd

# pandas and scipy.stats are imported by the functions that use them: the
# per-replication metrics (npv, irr, peak_exposure) run in worker processes, which
# then start without them.

__all__ = [
    "MeanCI",
    "Ratio",
    "cvar",
    "euler_cvar",
    "irr",
    "mean_ci",
    "npv",
    "paired_difference",
    "peak_exposure",
    "prob_loss",
    "ratio_of_means",
    "summarize",
    "summarize_ratios",
    "summary_statistics",
    "t_interval",
    "var",
    "yearly_buckets",
]

Columns = dict[str, npt.NDArray[np.float64]]


def _by_slice(
    rows: npt.NDArray[np.float64], kernel: Callable[[npt.NDArray[np.float64], np.ndarray], Columns]
) -> Columns:
    """Apply ``kernel(block, which)`` to the rows of `rows` with their NaN dropped;
    ``which`` are the block's row indices. Rows keeping the same number of values
    go in one block (each row's result depends on its own values only)."""
    valid = ~np.isnan(rows)
    count = valid.sum(axis=1)
    out: Columns = {}
    for size in np.unique(count).tolist():
        which = np.flatnonzero(count == size)
        block = rows[which]
        if size < rows.shape[1]:
            block = block[valid[which]].reshape(len(which), size)
        for name, values in kernel(block, which).items():
            out.setdefault(name, np.full(len(rows), np.nan))[which] = values
    return out


def _moments(block: npt.NDArray[np.float64], confidence: float) -> Columns:
    """Mean, std, se and t-interval of every row of a NaN-free block."""
    r, n = block.shape
    nan = np.full(r, np.nan)
    out = {"n": np.full(r, float(n))}
    if n == 0:
        return out | {"mean": nan, "std": nan, "se": nan, "ci_low": nan, "ci_high": nan}
    s = Sample(block)
    half = s.half_width(confidence)
    return out | {
        "mean": s.mean,
        "std": s.std,
        "se": s.se,
        "ci_low": s.mean - half,
        "ci_high": s.mean + half,
    }


class MeanCI(NamedTuple):
    """Mean, spread and confidence interval of a sample (see :func:`mean_ci`)."""

    mean: npt.NDArray[np.float64] | float
    std: npt.NDArray[np.float64] | float
    se: npt.NDArray[np.float64] | float
    ci_low: npt.NDArray[np.float64] | float
    ci_high: npt.NDArray[np.float64] | float
    n: npt.NDArray[np.int64] | int


def mean_ci(x: npt.ArrayLike, axis: int | None = None, confidence: float = 0.95) -> MeanCI:
    """Mean, standard deviation, standard error and t-interval of the mean, NaN dropped.

    ``std`` uses ``ddof=1``; ``se = std / sqrt(n)``; the interval is
    ``mean ± t_{(1+confidence)/2, n-1} · se``, ``n`` the values used. With
    ``n == 0`` everything but ``n`` is NaN; with ``n == 1`` only the mean is defined.

    Parameters
    ----------
    x : array_like
        One value per replication along `axis`.
    axis : int, optional
        The replications' axis; ``None``: `x` is one-dimensional.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    MeanCI
        ``(mean, std, se, ci_low, ci_high, n)``: floats (``n`` an int) for
        ``axis=None``, arrays over the other axes otherwise. Every slice gives the
        bits of the same sample alone.

    Examples
    --------
    >>> m = mean_ci([1.0, 2.0, 3.0, np.nan])
    >>> m.mean, round(m.se, 12), m.n
    (2.0, 0.57735026919, 3)
    >>> mean_ci([[1.0, 3.0], [2.0, 6.0]], axis=0).mean
    array([1.5, 4.5])
    """
    if axis is None:
        arr = _sample(x)
    else:
        arr = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    shape = arr.shape[:-1]
    rows = np.ascontiguousarray(arr.reshape(math.prod(shape), arr.shape[-1]))
    cols = _by_slice(rows, lambda block, _which: _moments(block, confidence))
    if not shape:
        return MeanCI(
            float(cols["mean"][0]),
            float(cols["std"][0]),
            float(cols["se"][0]),
            float(cols["ci_low"][0]),
            float(cols["ci_high"][0]),
            int(cols["n"][0]),
        )
    return MeanCI(
        cols["mean"].reshape(shape),
        cols["std"].reshape(shape),
        cols["se"].reshape(shape),
        cols["ci_low"].reshape(shape),
        cols["ci_high"].reshape(shape),
        cols["n"].astype(np.int64).reshape(shape),
    )


def _summary_kernel(loss: np.ndarray, alphas: Sequence[float]) -> Callable[..., Columns]:
    """The registered statistics (:mod:`fundflow.results.statistics`) of every row of a
    NaN-free block; those of losses only for the loss rows, NaN for the others."""
    plan = statistics.layout(alphas)
    qs = statistics.quantiles()

    def kernel(block: npt.NDArray[np.float64], which: np.ndarray) -> Columns:
        r, n = block.shape
        tail = np.flatnonzero(loss[which])
        rows = Sample(block, qs) if n else None
        tails = Sample(block[tail], qs) if n and tail.size else None
        out: Columns = {}
        for stat, column, alpha in plan:
            if stat.loss and tail.size == 0:
                continue
            values = np.full(r, stat.empty if n == 0 else np.nan)
            if stat.loss and tails is not None:
                values[tail] = stat.compute(tails, alpha)
            elif rows is not None and not stat.loss:
                values = stat.compute(rows, alpha)
            out[column] = values
        return out

    return kernel


def summary_statistics(
    values: npt.ArrayLike,
    axis: int = 0,
    loss: bool | npt.ArrayLike = False,
    alphas: Sequence[float] = (0.95, 0.99),
) -> dict[str, npt.NDArray[np.float64]]:
    """:func:`summarize`'s statistics of every column of a 2-D array, as arrays.

    Parameters
    ----------
    values : array_like, shape (n, m) for ``axis=0``
        One measure per column (``axis=0``) or row (``axis=1``), one value per
        replication along `axis`. NaN values are dropped measure by measure.
    axis : {0, 1}
        The replications' axis.
    loss : bool or array_like of bool
        Which measures are losses (all or none, or one flag per measure): their
        ``var``, ``cvar`` and ``prob_loss`` entries are computed, others are NaN.
    alphas : sequence of float
        Confidence levels of VaR and CVaR.

    Returns
    -------
    dict of str to numpy.ndarray
        :func:`summarize`'s columns (``mean``, ``se``, ..., ``n`` as floats,
        ``var95``, ``cvar95``, ..., ``prob_loss``), one value per measure.

    Examples
    --------
    >>> s = summary_statistics([[1.0, 10.0], [3.0, np.nan]], loss=[True, False])
    >>> s["mean"].tolist(), s["cvar95"].tolist(), s["n"].tolist()
    ([2.0, 10.0], [3.0, nan], [2.0, 1.0])
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or axis not in (0, 1):
        raise ValueError(f"values must be two-dimensional with axis 0 or 1, got {arr.shape}.")
    for alpha in alphas:
        _check_alpha(alpha)
    rows = np.ascontiguousarray(arr.T if axis == 0 else arr)
    flags = np.broadcast_to(np.asarray(loss, dtype=bool), (len(rows),))
    out = _by_slice(rows, _summary_kernel(flags, alphas))
    return {
        c: out[c] if c in out else np.full(len(rows), np.nan) for c in statistics.columns(alphas)
    }


def _numeric(name: str, column: npt.ArrayLike) -> npt.NDArray[np.float64]:
    raw = np.asarray(column)
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"column {name!r} has dtype {raw.dtype}: must be numeric or boolean.")
    return _sample(raw, name)


def _columns(
    table: Mapping[str, npt.ArrayLike] | pd.DataFrame,
) -> dict[str, npt.NDArray[np.float64]]:
    """The table's columns as float arrays (a DataFrame's at once: a sweep has many)."""
    import pandas as pd

    if isinstance(table, pd.DataFrame) and all(d.kind in "biuf" for d in table.dtypes):
        names = [str(c) for c in table.columns]
        if len(set(names)) == len(names):
            return dict(zip(names, table.to_numpy(dtype=np.float64).T, strict=True))
    return {str(name): _numeric(str(name), column) for name, column in table.items()}


def summarize(
    table: Mapping[str, npt.ArrayLike] | pd.DataFrame,
    loss_measures: Collection[str] = (),
    alphas: Sequence[float] = (0.95, 0.99),
) -> pd.DataFrame:
    """Summarise each measure (column) of a per-replication table.

    NaN values are ignored measure by measure (e.g. an IRR that is undefined
    in some replications), and ``n`` counts the values used. ``±inf`` is not
    dropped. The measures are summarised together (:func:`mean_ci`, :func:`var`,
    :func:`cvar`, :func:`prob_loss` along the replications), each with the bits
    it would get alone.

    Parameters
    ----------
    table : mapping of str to array_like, or pandas.DataFrame
        One column per measure, one value per replication. Columns must be
        numeric or boolean (a boolean column summarises to a rate).
    loss_measures : collection of str, default ()
        The columns that are losses (positive = loss); they also get VaR,
        CVaR and the probability of a loss.
    alphas : sequence of float, default (0.95, 0.99)
        Confidence levels of VaR and CVaR; each gives columns
        ``var{100 alpha}`` and ``cvar{100 alpha}`` (``var95``, ``cvar99``,
        ``var97.5``...).

    Returns
    -------
    pandas.DataFrame
        One row per measure, in the table's column order, index named
        ``"measure"``. Columns: ``mean``; ``se = std / sqrt(n)``; ``ci_low``,
        ``ci_high``, the 95% confidence interval of the mean,
        ``mean ± t_{0.975, n-1} · se`` (Student's t); ``std`` (``ddof=1``);
        ``p5``, ``p50``, ``p95`` (``np.quantile``'s default, linear
        interpolation); ``n``; then ``var95, cvar95, var99, cvar99`` (for the
        default `alphas`) and ``prob_loss``, NaN for measures that are not
        losses; then any statistic registered since
        (:func:`fundflow.results.statistics.register_statistic`), in the order of
        :func:`fundflow.results.statistics.columns`. With ``n == 1``, ``se``,
        ``std`` and the interval are NaN; with ``n == 0`` everything but ``n`` is NaN.

    Raises
    ------
    ValueError
        If a loss measure is not a column of `table`, a column is not 1-D, or
        an alpha is not in (0, 1).
    TypeError
        If a column is not numeric or boolean.

    Examples
    --------
    >>> s = summarize({"cost": [1.0, 2.0, 3.0, np.nan]}, loss_measures=["cost"])
    >>> s.loc["cost", ["mean", "se", "prob_loss"]].tolist()
    [2.0, 0.5773502691896258, 1.0]
    >>> int(s.loc["cost", "n"])
    3
    """
    import pandas as pd

    columns = _columns(table)
    unknown = sorted(set(loss_measures) - set(columns))
    if unknown:
        raise ValueError(f"loss_measures {unknown} are not columns of the table.")
    for alpha in alphas:
        _check_alpha(alpha)
    names = list(columns)
    order = statistics.columns(alphas)
    stats = {c: np.full(len(names), np.nan) for c in order}
    loss = np.array([name in loss_measures for name in names], dtype=bool)
    for size in dict.fromkeys(v.size for v in columns.values()):  # usually one size
        which = np.array([i for i, v in enumerate(columns.values()) if v.size == size])
        rows = np.stack([columns[names[i]] for i in which]).reshape(len(which), size)  # C order
        for name, values in summary_statistics(rows, 1, loss[which], alphas).items():
            stats[name][which] = values
    result = pd.DataFrame(stats, index=pd.Index(names, name="measure"), columns=order)
    result["n"] = result["n"].astype(np.int64)
    return result


def summarize_ratios(
    table: Mapping[str, npt.ArrayLike] | pd.DataFrame,
    ratios: Mapping[str, tuple[str, str]],
    alphas: Sequence[float] = (0.95, 0.99),
) -> pd.DataFrame:
    """Summary rows (as :func:`summarize`'s) of ratios of means of a table's columns.

    Parameters
    ----------
    table : mapping of str to array_like, or pandas.DataFrame
        One column per measure, one value per replication.
    ratios : mapping of str to (str, str)
        Name of each ratio to its (numerator, denominator) columns.
    alphas : sequence of float
        As for :func:`summarize` (their columns are NaN here).

    Returns
    -------
    pandas.DataFrame
        One row per ratio, :func:`summarize`'s columns: ``mean`` the ratio of means
        (:func:`ratio_of_means`), ``se`` its delta-method standard error,
        ``ci_low``/``ci_high`` ``mean ± t_{0.975, n-1} · se``, ``n`` the
        replications; ``std``, percentiles, VaR and CVaR are NaN (a ratio of means
        has no per-replication distribution).

    Examples
    --------
    >>> table = {"cost": [3.0, 3.0], "wins": [0.0, 2.0]}
    >>> s = summarize_ratios(table, {"per_win": ("cost", "wins")})
    >>> s.loc["per_win", ["mean", "se"]].round(12).tolist()
    [3.0, 3.0]
    """
    import pandas as pd

    columns = statistics.columns(alphas)
    rows = {}
    for name, (num, den) in ratios.items():
        x, y = _sample(table[num], num), _sample(table[den], den)
        est, se = ratio_of_means(x, y)
        low, high = t_interval(est, se, x.size)
        rows[name] = {"mean": est, "se": se, "ci_low": float(low), "ci_high": float(high)}
        rows[name]["n"] = x.size
    result = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    result["n"] = result["n"].fillna(0).astype(np.int64)
    result.index.name = "measure"
    return result


def paired_difference(a: npt.ArrayLike, b: npt.ArrayLike) -> dict[str, float]:
    """Mean difference of two paired samples, with its t-based 95% interval.

    Meant for two scenarios run on common random numbers: ``a[i]`` and
    ``b[i]`` come from the same replication. Pairs where either value is NaN
    are dropped.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        The paired samples.

    Returns
    -------
    dict of str to float
        ``mean_diff``: mean of ``a - b``; ``se``: ``std(a - b, ddof=1) /
        sqrt(n)``; ``ci_low``, ``ci_high``: ``mean_diff ± t_{0.975, n-1} · se``;
        ``unpaired_se``: ``sqrt(var(a)/n + var(b)/n)`` (``ddof=1``), the
        standard error the same difference would have if the samples were
        independent, for showing what pairing gains; ``n``: the number of
        pairs used. With ``n < 2`` all but ``mean_diff`` and ``n`` are NaN.

    Raises
    ------
    ValueError
        If `a` and `b` differ in length or are not 1-D.

    Examples
    --------
    >>> d = paired_difference([4.0, 5.0, 9.0], [1.0, 2.0, 3.0])
    >>> float(d["mean_diff"]), round(d["se"], 12)
    (4.0, 1.0)
    """
    x = _sample(a, "a")
    y = _sample(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same length, got {x.size} and {y.size}.")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(x.size)
    m = mean_ci(x - y)
    mean_diff, se, ci_low, ci_high = float(m.mean), float(m.se), float(m.ci_low), float(m.ci_high)
    unpaired_se = (
        math.sqrt((float(np.var(x, ddof=1)) + float(np.var(y, ddof=1))) / n) if n >= 2 else math.nan
    )
    return {
        "mean_diff": mean_diff,
        "se": se,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "unpaired_se": unpaired_se,
        "n": n,
    }
