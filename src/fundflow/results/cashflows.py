"""Cash-flow metrics of one party: NPV, yearly buckets, IRR, peak exposure.

Part of :mod:`fundflow.results.metrics` (import them from there). Signs: :func:`npv` and
:func:`yearly_buckets` keep the signs of ``amounts`` as given; :func:`irr` takes
numpy-financial's convention (money received positive); :func:`peak_exposure`
takes net *outflows* (positive = money out).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import numpy.typing as npt
import numpy_financial as npf

from fundflow.results.tail_risk import _sample

__all__ = ["irr", "npv", "peak_exposure", "yearly_buckets"]


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
