"""Tail risk of a loss sample: VaR, CVaR (expected shortfall), probability of a loss,
and the Euler allocation of CVaR to the parts of a loss (:func:`euler_cvar`).

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

__all__ = ["cvar", "euler_cvar", "prob_loss", "tail_mean", "tail_weights", "var"]

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


def tail_weights(
    total: npt.ArrayLike, alpha: float = 0.95
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], float]:
    """The replications of the CVaR tail of `total` and their weights, order-free.

    With the sample sorted descending, ``y_1 >= ... >= y_n``, and
    ``m = (1 - alpha) * n`` (snapped as :func:`cvar` snaps it), position ``i`` has
    the weight ``1`` for ``i <= floor(m)``, ``m - floor(m)`` for ``i = floor(m) + 1``
    and ``0`` after: the weights of :func:`cvar`. Replications with equal values
    share the weight of their positions equally, so the weights do not depend on
    the order of the replications (a sample in which every value ties gives each
    ``m / n``). ``sum(weights * total[index]) / m`` is ``cvar(total, alpha)`` in
    exact arithmetic.

    Parameters
    ----------
    total : array_like
        Losses, one per replication (one-dimensional).
    alpha : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    index : ndarray of int
        The replications with a positive weight, in increasing order.
    weights : ndarray of float
        Their weights, each in (0, 1].
    m : float
        The tail's size, the weights' sum. NaN (and no replication) where `total`
        is empty or holds a NaN.

    Examples
    --------
    >>> index, weights, m = tail_weights([5.0, 9.0, 7.0, 7.0, 1.0], 0.6)
    >>> index.tolist(), weights.tolist(), m
    ([1, 2, 3], [1.0, 0.5, 0.5], 2.0)
    """
    _check_alpha(alpha)
    x = _sample(total, "total")
    if x.size == 0 or np.isnan(x).any():
        return np.zeros(0, dtype=np.intp), np.zeros(0), math.nan
    n = x.size
    m = _tail_size(alpha, n)
    order = np.argsort(-x, kind="stable")
    desc = x[order]
    k = math.floor(m)
    position = np.zeros(n)
    position[: min(k, n)] = 1.0
    if k < n:
        position[k] = m - k
    # groups of equal values in the sorted sample; each shares its positions' weight
    starts = np.flatnonzero(np.r_[True, desc[1:] != desc[:-1]])
    sizes = np.diff(np.r_[starts, n])
    shared = np.add.reduceat(position, starts) / sizes
    weight = np.empty(n)
    weight[order] = np.repeat(shared, sizes)
    index = np.flatnonzero(weight > 0.0)
    return index, weight[index], m


def tail_mean(weights: npt.ArrayLike, rows: npt.ArrayLike, m: float) -> npt.NDArray[np.float64]:
    """Per column of `rows`, ``sum(weights * rows[:, j]) / m``, each sum exactly rounded.

    The sums are :func:`math.fsum` of the products, so they do not depend on the
    order of the rows: the same tail read in blocks, or shuffled, gives the same bits.

    Parameters
    ----------
    weights : array_like
        Shape ``(t,)``: the weights of :func:`tail_weights`.
    rows : array_like
        Shape ``(t, parts)``: each part's values at those replications.
    m : float
        The tail's size.

    Returns
    -------
    ndarray
        Shape ``(parts,)``.
    """
    w = np.asarray(weights, dtype=np.float64)
    values = np.asarray(rows, dtype=np.float64).reshape(w.size, -1)
    products = w[:, None] * values
    return np.array([math.fsum(products[:, j]) / m for j in range(values.shape[1])])


def euler_cvar(
    total: npt.ArrayLike, parts: npt.ArrayLike, alpha: float = 0.95
) -> npt.NDArray[np.float64]:
    """Each part's contribution to the CVaR of `total` (Euler allocation, sample estimator).

    With ``total = sum(parts, axis=1)`` replication by replication, part ``j``'s
    contribution is the weighted mean of ``parts[:, j]`` over the CVaR tail of
    `total`, with the weights of :func:`tail_weights`: the worst ``m = (1 - alpha) n``
    replications, the boundary one with weight ``m - floor(m)``, replications tied
    with one another sharing their weight equally. The contributions add up to
    ``cvar(total, alpha)`` (to rounding, whatever the ties) and do not depend on the
    order of the replications; with one part, the contribution is the CVaR. Where
    the parts do not add up to `total`, the contributions add up to the weighted
    mean of ``sum(parts)`` over `total`'s tail (give the difference as a part of
    its own to keep the sum).

    Parameters
    ----------
    total : array_like
        Shape ``(n,)``: losses, one per replication, positive = loss.
    parts : array_like
        Shape ``(n, k)`` (or ``(n,)``, one part): each part's loss per replication.
    alpha : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    ndarray
        Shape ``(k,)``: the contributions (NaN where `total` is empty or holds a NaN).

    Raises
    ------
    ValueError
        If `alpha` is not in (0, 1), or the shapes do not match.

    References
    ----------
    D. Tasche, "Euler allocation: theory and practice", 2007 (arXiv:0708.2542).

    Examples
    --------
    >>> a = np.array([1.0, 4.0, 2.0, 0.0])
    >>> b = np.array([1.0, 0.0, 3.0, 4.0])
    >>> euler_cvar(a + b, np.column_stack([a, b]), 0.5)  # tail: 5, then two 4s sharing 1
    array([2. , 2.5])
    """
    x = _sample(total, "total")
    values = np.asarray(parts, dtype=np.float64)
    values = values.reshape(-1, 1) if values.ndim == 1 else values
    if values.ndim != 2 or values.shape[0] != x.size:
        raise ValueError(f"parts must have shape ({x.size}, k), got {np.shape(parts)}.")
    index, weights, m = tail_weights(x, alpha)
    if math.isnan(m):
        return np.full(values.shape[1], np.nan)
    return tail_mean(weights, values[index], m)
