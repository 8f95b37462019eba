"""Tail risk of a loss sample: VaR, CVaR (expected shortfall), probability of a loss.

Part of :mod:`fundflow.results.metrics` (import them from there). Losses are positive.
Each function takes ``axis``: ``None`` (the default) for a one-dimensional sample,
giving a float, or the axis along which replications run, giving an array over
the other axes. Every slice gives the same number, to the last bit, as the slice
alone with ``axis=None``. A slice that is empty or holds a NaN gives NaN.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

__all__ = ["cvar", "prob_loss", "var"]

# Relative distance within which ``(1 - alpha) * n`` is taken to be the nearest
# integer: alpha = 0.95 is meant as 19/20, not as the binary float next to it.
_M_SNAP_RTOL = 1e-9

Reduced = float | npt.NDArray[np.float64]


def _sample(x: npt.ArrayLike, name: str = "x") -> npt.NDArray[np.float64]:
    """Return `x` as a 1-D float array, or raise ``ValueError``."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    return arr


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


def _rows(x: npt.ArrayLike, axis: int | None) -> npt.NDArray[np.float64]:
    """`x` as a C-contiguous array with the replications on its last axis."""
    if axis is None:
        return _sample(x)
    return np.ascontiguousarray(np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1))


def _out(values: npt.NDArray[np.float64]) -> Reduced:
    return float(values) if values.ndim == 0 else values


def _undefined(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Slices with no value or a NaN."""
    if rows.shape[-1] == 0:
        return np.ones(rows.shape[:-1], dtype=bool)
    return np.asarray(np.isnan(rows).any(axis=-1))


@overload
def var(x: npt.ArrayLike, alpha: float = 0.95, axis: None = None) -> float: ...
@overload
def var(x: npt.ArrayLike, alpha: float, axis: int) -> npt.NDArray[np.float64]: ...
def var(x: npt.ArrayLike, alpha: float = 0.95, axis: int | None = None) -> Reduced:
    """Value at Risk: the empirical `alpha`-quantile of a loss sample.

    Uses ``np.quantile(x, alpha, method="inverted_cdf")``, the inverse of the
    empirical distribution function: the smallest observation ``v`` with
    ``F_n(v) >= alpha``. With the sample sorted ascending,
    ``x_(1) <= ... <= x_(n)``, this is ``x_(ceil(alpha * n))``. It is always one
    of the observations (no interpolation), so VaR is a loss that actually
    occurred in the sample.

    Parameters
    ----------
    x : array_like
        Losses, one per replication, positive = loss.
    alpha : float, default 0.95
        Confidence level, in (0, 1).
    axis : int, optional
        The replications' axis; ``None``: `x` is one-dimensional.

    Returns
    -------
    float or numpy.ndarray
        The VaR (per slice along `axis`); NaN for an empty slice or one holding a NaN.

    Raises
    ------
    ValueError
        If `alpha` is not in (0, 1), or `axis` is None and `x` is not one-dimensional.

    Examples
    --------
    >>> var(np.arange(1, 101), 0.95)
    95.0
    >>> var([[1.0, 2.0, 3.0], [4.0, 6.0, 5.0]], 0.5, axis=1)
    array([2., 5.])
    """
    _check_alpha(alpha)
    return _out(_var_rows(_rows(x, axis), alpha))


def _var_rows(rows: npt.NDArray[np.float64], alpha: float) -> npt.NDArray[np.float64]:
    bad = _undefined(rows)
    if bad.all():
        return np.full(bad.shape, np.nan)
    value = np.asarray(np.quantile(rows, alpha, axis=-1, method="inverted_cdf"), dtype=np.float64)
    return np.where(bad, np.nan, value)


@overload
def cvar(x: npt.ArrayLike, alpha: float = 0.95, axis: None = None) -> float: ...
@overload
def cvar(x: npt.ArrayLike, alpha: float, axis: int) -> npt.NDArray[np.float64]: ...
def cvar(x: npt.ArrayLike, alpha: float = 0.95, axis: int | None = None) -> Reduced:
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
    x : array_like
        Losses, one per replication, positive = loss.
    alpha : float, default 0.95
        Confidence level, in (0, 1).
    axis : int, optional
        The replications' axis; ``None``: `x` is one-dimensional.

    Returns
    -------
    float or numpy.ndarray
        The expected shortfall (per slice along `axis`); NaN for an empty slice or
        one holding a NaN.

    Raises
    ------
    ValueError
        If `alpha` is not in (0, 1), or `axis` is None and `x` is not one-dimensional.

    References
    ----------
    C. Acerbi and D. Tasche, "On the coherence of expected shortfall",
    Journal of Banking & Finance 26 (2002) 1487-1503.

    Examples
    --------
    >>> cvar(np.arange(1, 101), 0.95)  # mean of 96..100
    98.0
    >>> cvar([[1.0, 2.0, 3.0, 4.0], [8.0, 0.0, 0.0, 0.0]], 0.5, axis=1)
    array([3.5, 4. ])
    """
    _check_alpha(alpha)
    rows = _rows(x, axis)
    value_at_risk = _var_rows(rows, alpha)
    if np.isnan(value_at_risk).all():
        return _out(value_at_risk)
    desc = np.sort(rows, axis=-1)[..., ::-1]
    top = desc[..., 0]
    m = _tail_size(alpha, rows.shape[-1])
    if m < 1.0:
        return _out(np.where(np.isnan(value_at_risk), np.nan, top))
    k = math.floor(m)
    # Every tail observation is >= VaR in exact arithmetic; the clip only
    # guards against an index off by one from float rounding of alpha * n.
    excess = np.clip(desc[..., : k + 1] - value_at_risk[..., None], 0.0, None)
    weights = np.ones(k + 1)
    weights[k] = m - k  # desc[k] exists: m < n because alpha > 0
    flat = excess.reshape(-1, k + 1)
    # one dot product per slice: a matrix product may add in another order, and
    # every slice must give the bits of the same sample alone
    weighted = np.fromiter((np.dot(weights, row) for row in flat), float, len(flat))
    shortfall = value_at_risk + weighted.reshape(top.shape) / m
    return _out(np.where(np.isnan(value_at_risk), np.nan, np.minimum(shortfall, top)))


@overload
def prob_loss(x: npt.ArrayLike, axis: None = None) -> float: ...
@overload
def prob_loss(x: npt.ArrayLike, axis: int) -> npt.NDArray[np.float64]: ...
def prob_loss(x: npt.ArrayLike, axis: int | None = None) -> Reduced:
    """Share of the sample that is a loss, i.e. strictly greater than zero.

    Parameters
    ----------
    x : array_like
        Losses, positive = loss.
    axis : int, optional
        The replications' axis; ``None``: `x` is one-dimensional.

    Returns
    -------
    float or numpy.ndarray
        ``mean(x > 0)`` (per slice along `axis`); NaN for an empty slice or one
        holding a NaN.

    Examples
    --------
    >>> prob_loss([-1.0, 0.0, 2.0, 3.0])
    0.5
    """
    rows = _rows(x, axis)
    bad = _undefined(rows)
    if bad.all():
        return _out(np.full(bad.shape, np.nan))
    return _out(np.where(bad, np.nan, np.mean(rows > 0.0, axis=-1)))
