"""Ratios of means over replications, with delta-method standard errors.

Part of :mod:`fundflow.results.metrics` (import them from there): :func:`ratio_of_means`
takes ``axis`` and is vectorised over the other axes; :func:`t_interval` turns an
estimate and its SE into the t-interval :func:`fundflow.results.metrics.summarize` uses.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Ratio", "ratio_of_means", "t_interval"]


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
