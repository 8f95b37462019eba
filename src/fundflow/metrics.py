"""Risk and cash-flow metrics: pure functions over NumPy arrays.

Nothing here knows about SimPy, files or the ledger's layout. The functions
take plain arrays (anything :func:`numpy.asarray` accepts) and return floats,
arrays or, for :func:`summarize`, a :class:`pandas.DataFrame`.

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

Missing values: :func:`var`, :func:`cvar` and :func:`prob_loss` return NaN when
their sample holds a NaN (or is empty); :func:`summarize` and
:func:`paired_difference` drop NaN values before computing anything.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import numpy_financial as npf

if TYPE_CHECKING:
    import pandas as pd

# pandas and scipy.stats are imported by the functions that use them: the
# per-replication metrics (npv, irr, peak_exposure) run in worker processes, which
# then start without them.

__all__ = [
    "cvar",
    "irr",
    "npv",
    "paired_difference",
    "peak_exposure",
    "prob_loss",
    "ratio_of_means",
    "summarize",
    "summarize_ratios",
    "var",
    "yearly_buckets",
]

# Relative distance within which ``(1 - alpha) * n`` is taken to be the nearest
# integer: alpha = 0.95 is meant as 19/20, not as the binary float next to it.
_M_SNAP_RTOL = 1e-9

_SUMMARY_COLUMNS = ("mean", "se", "ci_low", "ci_high", "std", "p5", "p50", "p95", "n")


# --------------------------------------------------------------------------- helpers


def _sample(x: npt.ArrayLike, name: str = "x") -> npt.NDArray[np.float64]:
    """Return `x` as a 1-D float array, or raise ``ValueError``."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    return arr


def _flows(
    times: npt.ArrayLike, amounts: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return `times` and `amounts` as matching 1-D float arrays, or raise."""
    t = _sample(times, "times")
    a = _sample(amounts, "amounts")
    if t.shape != a.shape:
        raise ValueError(f"times and amounts must have the same length, got {t.size} and {a.size}.")
    if not np.all(np.isfinite(t)):
        raise ValueError("times must be finite.")
    return t, a


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha(={alpha}) must be in (0, 1).")


def _tail_size(alpha: float, n: int) -> float:
    """Return ``m = (1 - alpha) * n``, snapped to an integer when within rounding.

    The result stays below `n` (alpha > 0), so ``x_(floor(m) + 1)`` exists.
    """
    m = (1.0 - alpha) * n
    nearest = round(m)
    if 0 < nearest < n and abs(m - nearest) <= _M_SNAP_RTOL * nearest:
        return float(nearest)
    return m


def _mean_ci(
    values: npt.NDArray[np.float64], confidence: float = 0.95
) -> tuple[float, float, float, float, float]:
    """Return ``(mean, std, se, ci_low, ci_high)`` of a NaN-free sample.

    ``std`` uses ``ddof=1``; ``se = std / sqrt(n)``; the interval is
    ``mean ± t_{(1+confidence)/2, n-1} · se``. With ``n == 0`` everything is
    NaN; with ``n == 1`` only the mean is defined.
    """
    n = values.size
    nan = math.nan
    if n == 0:
        return nan, nan, nan, nan, nan
    mean = float(np.mean(values))
    if n == 1:
        return mean, nan, nan, nan, nan
    from scipy import stats

    std = float(np.std(values, ddof=1))
    se = std / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1)) * se
    return mean, std, se, mean - half, mean + half


def _alpha_label(alpha: float) -> str:
    """Return the column suffix for `alpha`: 0.95 -> ``"95"``, 0.975 -> ``"97.5"``."""
    return f"{round(alpha * 100, 6):g}"


# --------------------------------------------------------------------------- tail risk


def var(x: npt.ArrayLike, alpha: float = 0.95) -> float:
    """Value at Risk: the empirical `alpha`-quantile of a loss sample.

    Uses ``np.quantile(x, alpha, method="inverted_cdf")``, the inverse of the
    empirical distribution function: the smallest observation ``v`` with
    ``F_n(v) >= alpha``. With the sample sorted ascending,
    ``x_(1) <= ... <= x_(n)``, this is ``x_(ceil(alpha * n))``. It is always one
    of the observations (no interpolation), so VaR is a loss that actually
    occurred in the sample.

    Parameters
    ----------
    x : array_like, shape (n,)
        Losses, one per replication, positive = loss.
    alpha : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    float
        The VaR; NaN if `x` is empty or holds a NaN.

    Raises
    ------
    ValueError
        If `alpha` is not in (0, 1) or `x` is not one-dimensional.

    Examples
    --------
    >>> var(np.arange(1, 101), 0.95)
    95.0
    """
    _check_alpha(alpha)
    sample = _sample(x)
    if sample.size == 0 or np.isnan(sample).any():
        return math.nan
    return float(np.quantile(sample, alpha, method="inverted_cdf"))


def cvar(x: npt.ArrayLike, alpha: float = 0.95) -> float:
    """Expected shortfall (CVaR): the mean of the worst ``1 - alpha`` share of `x`.

    The tail holds ``m = (1 - alpha) * n`` observations, where ``m`` may be
    fractional. With the sample sorted descending, ``y_1 >= y_2 >= ... >= y_n``,
    and ``k = floor(m)``, the estimator (Acerbi & Tasche, 2002) is

    .. math:: ES = \\frac{\\sum_{i=1}^{k} y_i + (m - k)\\, y_{k+1}}{m},

    the mean of the ``k`` largest losses plus the fractional weight of the next
    one. When ``m < 1`` the tail is a fraction of the single largest loss and
    ES is ``max(x)``. Ties are handled naturally (a sample of equal values has
    ES equal to that value), and ``var(x) <= cvar(x) <= max(x)`` always.

    It is computed as ``VaR + (weighted mean of the excesses over VaR)``, which
    is the same number in exact arithmetic and keeps both bounds exact in
    floating point. ``m`` is snapped to the nearest integer when it is within
    ``1e-9`` (relative) of it, so that, e.g., ``alpha = 0.95`` with ``n = 100``
    averages exactly the five largest losses.

    Parameters
    ----------
    x : array_like, shape (n,)
        Losses, one per replication, positive = loss.
    alpha : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    float
        The expected shortfall; NaN if `x` is empty or holds a NaN.

    Raises
    ------
    ValueError
        If `alpha` is not in (0, 1) or `x` is not one-dimensional.

    References
    ----------
    C. Acerbi and D. Tasche, "On the coherence of expected shortfall",
    Journal of Banking & Finance 26 (2002) 1487-1503.

    Examples
    --------
    >>> cvar(np.arange(1, 101), 0.95)  # mean of 96..100
    98.0
    """
    value_at_risk = var(x, alpha)
    if math.isnan(value_at_risk):
        return math.nan
    desc = np.sort(_sample(x))[::-1]
    top = float(desc[0])
    m = _tail_size(alpha, desc.size)
    if m < 1.0:
        return top
    k = math.floor(m)
    # Every tail observation is >= VaR in exact arithmetic; the clip only
    # guards against an index off by one from float rounding of alpha * n.
    excess = np.clip(desc[: k + 1] - value_at_risk, 0.0, None)
    weights = np.ones(k + 1)
    weights[k] = m - k  # desc[k] exists: m < n because alpha > 0
    shortfall = value_at_risk + float(np.dot(weights, excess)) / m
    return min(shortfall, top)


def prob_loss(x: npt.ArrayLike) -> float:
    """Share of the sample that is a loss, i.e. strictly greater than zero.

    Parameters
    ----------
    x : array_like, shape (n,)
        Losses, positive = loss.

    Returns
    -------
    float
        ``mean(x > 0)``; NaN if `x` is empty or holds a NaN.

    Examples
    --------
    >>> prob_loss([-1.0, 0.0, 2.0, 3.0])
    0.5
    """
    sample = _sample(x)
    if sample.size == 0 or np.isnan(sample).any():
        return math.nan
    return float(np.mean(sample > 0.0))


# --------------------------------------------------------------------------- cash flows


def npv(times: npt.ArrayLike, amounts: npt.ArrayLike, rate: float) -> float:
    """Net present value at t = 0: ``sum(amounts / (1 + rate) ** times)``.

    Parameters
    ----------
    times : array_like, shape (n,)
        Times of the flows, in years from the start of the program (floats;
        discounting is continuous in time, not by budget year).
    amounts : array_like, shape (n,)
        The flows, signs kept as given.
    rate : float
        Yearly discount rate, > -1.

    Returns
    -------
    float
        The NPV; 0.0 for no flows.

    Raises
    ------
    ValueError
        If the arrays differ in length, `times` is not finite, or ``rate <= -1``.

    Examples
    --------
    >>> round(npv([0.0, 1.0, 2.0], [-100.0, 110.0, 121.0], 0.10), 9)
    100.0
    """
    if not rate > -1.0:
        raise ValueError(f"rate(={rate}) must be > -1.")
    t, a = _flows(times, amounts)
    return float(np.sum(a * np.power(1.0 + rate, -t)))


def yearly_buckets(
    times: npt.ArrayLike, amounts: npt.ArrayLike, n_years: int | None = None
) -> npt.NDArray[np.float64]:
    """Sum the flows per budget year ``[y, y + 1)``.

    Parameters
    ----------
    times : array_like, shape (n,)
        Times of the flows, in years, ``>= 0``.
    amounts : array_like, shape (n,)
        The flows, signs kept as given.
    n_years : int, optional
        Length of the result. By default ``floor(max(times)) + 1`` (and 0 for
        no flows). Flows are never dropped: a flow in a year ``>= n_years`` is
        an error.

    Returns
    -------
    numpy.ndarray, shape (n_years,)
        Element ``y`` is the sum of the amounts with ``y <= time < y + 1``.

    Raises
    ------
    ValueError
        If a time is negative or not finite, the arrays differ in length, or a
        flow falls after the last of `n_years` years.

    Examples
    --------
    >>> yearly_buckets([0.0, 0.5, 1.5, 3.0], [-100.0, 10.0, 20.0, 30.0])
    array([-90.,  20.,   0.,  30.])
    """
    t, a = _flows(times, amounts)
    if np.any(t < 0.0):
        raise ValueError(f"times must be >= 0, got min {t.min()}.")
    if n_years is not None and n_years < 0:
        raise ValueError(f"n_years(={n_years}) must be >= 0.")
    year = np.floor(t).astype(np.int64)
    last = int(year.max()) + 1 if year.size else 0
    if n_years is None:
        n_years = last
    elif last > n_years:
        raise ValueError(f"a flow falls in year {last - 1}, beyond n_years(={n_years}).")
    return np.bincount(year, weights=a, minlength=n_years).astype(np.float64)


def irr(times: npt.ArrayLike, amounts: npt.ArrayLike) -> float:
    """Internal rate of return of the yearly buckets of a party's flows.

    The flows are summed per budget year (:func:`yearly_buckets`) and passed to
    :func:`numpy_financial.irr`, so the result is a yearly rate on year-end
    (bucket) timing, not on the exact times.

    Parameters
    ----------
    times : array_like, shape (n,)
        Times of the flows, in years, ``>= 0``.
    amounts : array_like, shape (n,)
        The party's flows in numpy-financial's convention: money *received*
        positive, money *paid out* negative.

    Returns
    -------
    float
        The IRR; NaN (never an exception or a warning) when it is undefined:
        no flows, all buckets zero, all nonzero buckets of one sign, a
        non-finite amount, or no real positive root (numpy-financial's NaN).
        Where several rates solve the equation, numpy-financial's choice (the
        one closest to zero) is returned.

    Raises
    ------
    ValueError
        If the arrays differ in length or a time is negative or not finite
        (bad input, as opposed to an undefined IRR).

    Examples
    --------
    >>> round(irr([0.0, 1.5], [-100.0, 110.0]), 12)  # buckets [-100, 110]
    0.1
    """
    t, a = _flows(times, amounts)
    if not np.all(np.isfinite(a)):
        return math.nan
    buckets = yearly_buckets(t, a)
    if not (np.any(buckets > 0.0) and np.any(buckets < 0.0)):
        return math.nan
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            rate = float(npf.irr(buckets))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return math.nan
    return rate if math.isfinite(rate) else math.nan


def peak_exposure(times: npt.ArrayLike, amounts: npt.ArrayLike) -> float:
    """Largest cumulative net outflow of a party over time.

    Flows at exactly the same time are netted first (a payment in and a
    payment out at the same instant never create exposure), then the net flow
    per time is accumulated in time order and the maximum is taken. The
    exposure before the first flow is 0, so the result is never negative.

    Parameters
    ----------
    times : array_like, shape (n,)
        Times of the flows, in years (any order).
    amounts : array_like, shape (n,)
        The party's net *outflows*: positive = money out, negative = money in.
        (The opposite sign of :func:`irr`'s input.)

    Returns
    -------
    float
        ``max(0, max_t cumulative outflow up to and including t)``; 0.0 for no
        flows.

    Raises
    ------
    ValueError
        If the arrays differ in length or a time is not finite.

    Examples
    --------
    >>> peak_exposure([0.0, 1.0, 2.0, 3.0], [5.0, 5.0, -8.0, 3.0])
    10.0
    >>> peak_exposure([0.0, 0.0], [10.0, -10.0])
    0.0
    """
    t, a = _flows(times, amounts)
    if t.size == 0:
        return 0.0
    if bool(np.all(t[1:] >= t[:-1])):  # already in time order (a ledger): no sort
        group = np.empty(t.size, dtype=np.intp)
        group[0] = 0
        np.cumsum(t[1:] != t[:-1], out=group[1:])
    else:
        group = np.unique(t, return_inverse=True)[1].ravel()
    # the same group numbers either way, and bincount adds each group's flows in
    # input order, so both paths give the same bits
    net_per_time = np.bincount(group, weights=a)
    return max(0.0, float(np.max(np.cumsum(net_per_time))))


# --------------------------------------------------------------------------- summaries


def _summary_row(
    values: npt.NDArray[np.float64], is_loss: bool, alphas: Sequence[float]
) -> dict[str, float]:
    """Return the summary statistics of one measure (NaN already dropped)."""
    mean, std, se, ci_low, ci_high = _mean_ci(values)
    row: dict[str, float] = {
        "mean": mean,
        "se": se,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "std": std,
    }
    if values.size:
        p5, p50, p95 = np.quantile(values, [0.05, 0.50, 0.95])
        row.update(p5=float(p5), p50=float(p50), p95=float(p95))
    else:
        row.update(p5=math.nan, p50=math.nan, p95=math.nan)
    row["n"] = values.size
    for alpha in alphas:
        label = _alpha_label(alpha)
        row[f"var{label}"] = var(values, alpha) if is_loss else math.nan
        row[f"cvar{label}"] = cvar(values, alpha) if is_loss else math.nan
    row["prob_loss"] = prob_loss(values) if is_loss else math.nan
    return row


def summarize(
    table: Mapping[str, npt.ArrayLike] | pd.DataFrame,
    loss_measures: Collection[str] = (),
    alphas: Sequence[float] = (0.95, 0.99),
) -> pd.DataFrame:
    """Summarise each measure (column) of a per-replication table.

    NaN values are ignored measure by measure (e.g. an IRR that is undefined
    in some replications), and ``n`` counts the values used. ``±inf`` is not
    dropped.

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
        losses. With ``n == 1``, ``se``, ``std`` and the interval are NaN; with
        ``n == 0`` everything but ``n`` is NaN.

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

    columns = {str(name): column for name, column in table.items()}
    unknown = sorted(set(loss_measures) - set(columns))
    if unknown:
        raise ValueError(f"loss_measures {unknown} are not columns of the table.")
    for alpha in alphas:
        _check_alpha(alpha)
    rows = {}
    for name, column in columns.items():
        raw = np.asarray(column)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"column {name!r} has dtype {raw.dtype}: must be numeric or boolean.")
        values = _sample(raw, name)
        rows[name] = _summary_row(values[~np.isnan(values)], name in loss_measures, alphas)
    loss_columns = [f"{kind}{_alpha_label(a)}" for a in alphas for kind in ("var", "cvar")]
    result = pd.DataFrame.from_dict(rows, orient="index")
    result = result.reindex(columns=[*_SUMMARY_COLUMNS, *loss_columns, "prob_loss"])
    result["n"] = result["n"].astype(np.int64)
    result.index.name = "measure"
    return result


class Ratio(NamedTuple):
    """A ratio of means and its delta-method standard error (see :func:`ratio_of_means`)."""

    estimate: npt.NDArray[np.float64] | float
    se: npt.NDArray[np.float64] | float


def ratio_of_means(num: npt.ArrayLike, den: npt.ArrayLike, axis: int = 0) -> Ratio:
    """``mean(num) / mean(den)`` with its delta-method standard error.

    For a program ratio such as the government's net cost per succeeded challenge,
    ``E[cost] / E[successes]`` is the quantity of interest; the mean of
    per-replication ratios is biased and undefined wherever a replication's
    denominator is zero. With ``R = mean(X) / mean(Y)`` over ``n`` replications,

    .. math:: \\widehat{\\mathrm{Var}}(R) = \\frac{s_X^2 - 2 R\\, s_{XY} + R^2 s_Y^2}
              {n\\, \\bar Y^2} = \\frac{s^2_{X - R Y}}{n\\, \\bar Y^2},

    sample (co)variances with ``ddof=1``. Replications are the independent units,
    so a ratio over several items per replication (routes of a challenge) gets an
    SE clustered by replication when `num` and `den` are per-replication sums.

    Parameters
    ----------
    num, den : array_like
        Numerator and denominator, one value per replication along `axis`, of the
        same shape. A NaN makes the result NaN (nothing is dropped).
    axis : int, default 0
        The replication axis.

    Returns
    -------
    Ratio
        ``(estimate, se)``: floats for 1-D input, arrays of the other axes
        otherwise. The estimate is NaN where ``mean(den) == 0``; the SE is NaN
        there and with fewer than two replications.

    Raises
    ------
    ValueError
        If `num` and `den` differ in shape.

    Examples
    --------
    >>> r = ratio_of_means([2.0, 4.0, 0.0], [1.0, 1.0, 0.0])
    >>> r.estimate  # 2 / (2/3), not the mean of 2, 4 and 0/0
    3.0
    >>> round(r.se, 12)  # residuals X - 3Y = -1, 1, 0: sqrt(1 / 3) / (2/3)
    0.866025403784
    """
    x = np.asarray(num, dtype=np.float64)
    y = np.asarray(den, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"num and den must have the same shape, got {x.shape} and {y.shape}.")
    n = x.shape[axis]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y = np.mean(y, axis=axis)
        ratio = np.mean(x, axis=axis) / np.where(mean_y == 0.0, np.nan, mean_y)
        if n > 1:
            resid = x - np.expand_dims(ratio, axis) * y
            se = np.std(resid, axis=axis, ddof=1) / (math.sqrt(n) * np.abs(mean_y))
        else:
            se = np.full(np.shape(ratio), np.nan)
    if np.ndim(ratio) == 0:
        return Ratio(float(ratio), float(se))
    return Ratio(np.asarray(ratio, dtype=np.float64), np.asarray(se, dtype=np.float64))


def t_interval(
    estimate: npt.ArrayLike, se: npt.ArrayLike, n: int, confidence: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``estimate ± t_{(1+confidence)/2, n-1} · se``, as in :func:`summarize` (NaN if n < 2)."""
    est = np.asarray(estimate, dtype=np.float64)
    if n < 2:
        nan = np.full(est.shape, np.nan)
        return nan, nan.copy()
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1)) * np.asarray(se, dtype=np.float64)
    return est - half, est + half


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

    loss_columns = [f"{kind}{_alpha_label(a)}" for a in alphas for kind in ("var", "cvar")]
    columns = [*_SUMMARY_COLUMNS, *loss_columns, "prob_loss"]
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
    mean_diff, _, se, ci_low, ci_high = _mean_ci(x - y)
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
