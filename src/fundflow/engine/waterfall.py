"""European distribution waterfall of the guided fund (docs/model.md, "Guided fund").

At the end of the fund's life its proceeds are split between the government LP
(``gov_lp``), the social LPs (``social_lp``) and the fund manager
(``fund_manager``) in four steps:

1. **Return of paid-in capital.** Each LP class gets its paid-in capital back. If
   the proceeds fall short, the government bears the shortfall first, up to
   ``government_first_loss`` times its paid-in capital; the rest of the shortfall
   is shared pro rata to paid-in capital. No LP ever receives a negative amount:
   should the government's share of the loss exceed its capital, the excess falls
   on the social LPs.
2. **Preferred return** at ``hurdle`` per year, compounded from each call to the
   distribution time, paid pro rata to the amounts owed.
3. **Remainder.** ``carry`` of what is left goes to the manager, the rest to the
   LPs pro rata to paid-in capital. There is no catch-up.
4. **Concession (让利).** ``government_concession`` of the government's share of
   step 3 (what it would get beyond its capital and its hurdle) goes to the
   social LPs instead.

Everything here is a pure function of its arguments: no ledger, no SimPy. The
amounts come from the rules both engines share (:mod:`fundflow.engine.fund.rules`,
as Python); this module checks the arguments and names the parts. The SimPy fund
calls :func:`distribute` once at the end of the fund's life and
:func:`early_exit_price` when the government sells its stake early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fundflow.engine.fund import rules as fund_rules

__all__ = ["WaterfallSplit", "WaterfallTerms", "distribute", "early_exit_price"]

AMOUNT, AT_RATE, HURDLE = fund_rules.AMOUNT, fund_rules.AT_RATE, fund_rules.HURDLE
call_sum = fund_rules.call_sum.py_func
waterfall = fund_rules.waterfall.py_func

Calls = Sequence[tuple[float, float]]


def _check_share(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name}(={value}) must be in [0, 1].")


@dataclass(frozen=True)
class WaterfallTerms:
    """Terms of the guided fund's European waterfall.

    Parameters
    ----------
    hurdle : float
        Preferred return per year (``>= 0``), compounded from each capital call to
        the distribution time.
    carry : float
        Share in ``[0, 1]`` of the remainder (after capital and preferred return)
        paid to the fund manager.
    government_concession : float
        Share in ``[0, 1]`` of the government's part of the remainder that goes to
        the social LPs instead (让利).
    government_first_loss : float
        The government bears a shortfall of capital first, up to this share in
        ``[0, 1]`` of its own paid-in capital.

    Raises
    ------
    ValueError
        If a term is not finite or is out of its range.
    """

    hurdle: float
    carry: float
    government_concession: float
    government_first_loss: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.hurdle) and self.hurdle >= 0.0):
            raise ValueError(f"hurdle(={self.hurdle}) must be >= 0.")
        _check_share("carry", self.carry)
        _check_share("government_concession", self.government_concession)
        _check_share("government_first_loss", self.government_first_loss)


@dataclass(frozen=True)
class WaterfallSplit:
    """How a fund's proceeds were split, with the breakdown by step.

    ``government + social + manager == proceeds`` (to rounding) and every field is
    ``>= 0``.

    Attributes
    ----------
    government : float
        Total paid to ``gov_lp``: ``government_capital + government_preferred`` plus
        its share of the remainder less the ``concession``.
    social : float
        Total paid to ``social_lp``: ``social_capital + social_preferred`` plus its
        share of the remainder plus the ``concession``.
    manager : float
        Carried interest paid to ``fund_manager`` (``carry × carry_base``).
    government_capital, social_capital : float
        Step 1: paid-in capital returned to each LP class (less any shortfall).
    first_loss_borne : float
        Step 1: part of the shortfall the government bore first, before the rest
        was shared pro rata (0 if there was no shortfall).
    government_preferred, social_preferred : float
        Step 2: preferred return paid to each LP class.
    carry_base : float
        Step 3: the remainder after capital and preferred return, on which carry
        is charged.
    concession : float
        Step 4: amount moved from the government to the social LPs.
    """

    government: float
    social: float
    manager: float
    government_capital: float
    social_capital: float
    first_loss_borne: float
    government_preferred: float
    social_preferred: float
    carry_base: float
    concession: float


def _as_calls(calls: Calls, name: str) -> NDArray[np.float64]:
    """Validate calls and return them as an ``(n, 2)`` array of (time, amount)."""
    arr = np.asarray(calls, dtype=float)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a sequence of (time, amount) pairs.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite times and amounts.")
    bad = arr[:, 1] <= 0.0
    if np.any(bad):
        raise ValueError(f"{name} amount(={arr[bad, 1][0]}) must be > 0.")
    return arr


def distribute(
    proceeds: float,
    gov_calls: Calls,
    social_calls: Calls,
    end: float,
    terms: WaterfallTerms,
    *,
    government_share: float | None = None,
) -> WaterfallSplit:
    """Split a guided fund's end-of-life proceeds by the European waterfall.

    Parameters
    ----------
    proceeds : float
        Amount to distribute, ``>= 0``.
    gov_calls, social_calls : sequence of (float, float)
        ``(time, amount)`` of each capital call paid by the government LP and by the
        social LPs, with ``amount > 0`` and ``time <= end``. Either may be empty.
        Everything called counts as paid-in capital (management-fee calls
        included, if the caller passes them).
    end : float
        Distribution time in years; the preferred return compounds up to it.
    terms : WaterfallTerms
        Hurdle, carry, concession and first-loss terms.
    government_share : float, optional
        Pro rata key for the LPs' share of the remainder used **only** when no
        capital at all was paid in (the fund's commitment split is the natural
        choice). Then there is no capital or preferred return to pay, everything
        is remainder: ``carry`` goes to the manager and the rest is split by this
        share (the concession still applies). Ignored otherwise.

    Returns
    -------
    WaterfallSplit
        Amounts to the government LP, the social LPs and the manager, with the
        breakdown by step.

    Raises
    ------
    ValueError
        If ``proceeds`` is negative or not finite, a call is malformed, has a
        non-positive amount or comes after ``end``, or if ``proceeds > 0`` while
        nothing was paid in and ``government_share`` is not given.

    Examples
    --------
    >>> terms = WaterfallTerms(hurdle=0.08, carry=0.2, government_concession=0.0,
    ...                        government_first_loss=0.4)
    >>> split = distribute(200.0, [(0.0, 25.0)], [(0.0, 75.0)], end=1.0, terms=terms)
    >>> round(split.government, 6), round(split.social, 6), round(split.manager, 6)
    (45.4, 136.2, 18.4)
    """
    if not (math.isfinite(proceeds) and proceeds >= 0.0):
        raise ValueError(f"proceeds(={proceeds}) must be finite and >= 0.")
    if not math.isfinite(end):
        raise ValueError(f"end(={end}) must be finite.")
    gov = _as_calls(gov_calls, "gov_calls")
    social = _as_calls(social_calls, "social_calls")
    for name, arr in (("gov_calls", gov), ("social_calls", social)):
        if arr.size and arr[:, 0].max() > end:
            raise ValueError(f"{name} time(={arr[:, 0].max()}) must be <= end(={end}).")

    paid_gov = call_sum(gov, len(gov), AMOUNT, 0.0, 0.0)
    paid_social = call_sum(social, len(social), AMOUNT, 0.0, 0.0)
    if paid_gov + paid_social > 0.0:
        key_gov, key_social = paid_gov, paid_social
    elif proceeds == 0.0:
        key_gov, key_social = 1.0, 1.0  # nothing to split; any key will do
    elif government_share is None:
        raise ValueError(
            f"proceeds(={proceeds}) > 0 but no capital was paid in: "
            "pass government_share to split the remainder."
        )
    else:
        _check_share("government_share", government_share)
        key_gov, key_social = government_share, 1.0 - government_share

    lh = math.log1p(terms.hurdle)
    owed_gov = call_sum(gov, len(gov), HURDLE, end, lh)
    owed_social = call_sum(social, len(social), HURDLE, end, lh)
    parts = waterfall(
        proceeds,
        paid_gov,
        paid_social,
        owed_gov,
        owed_social,
        key_gov,
        key_social,
        terms.carry,
        terms.government_concession,
        terms.government_first_loss,
    )
    return WaterfallSplit(*(float(x) for x in parts))


def early_exit_price(gov_calls: Calls, year: float, rate: float) -> float:
    """Price at which the government sells its fund stake to the social LPs.

    Paid-in capital plus simple interest: ``sum a·(1 + rate·(year − t))`` over the
    government's calls ``(t, a)`` with ``t <= year`` (docs/model.md, "Guided fund"). Calls
    after ``year`` are not yet paid in at the sale and are ignored.

    Parameters
    ----------
    gov_calls : sequence of (float, float)
        ``(time, amount)`` of the government LP's capital calls, ``amount > 0``.
    year : float
        Time of the sale, in years.
    rate : float
        Simple interest rate per year, ``>= 0``.

    Returns
    -------
    float
        The sale price (0.0 if nothing was paid in by ``year``).

    Raises
    ------
    ValueError
        If ``year`` or ``rate`` is not finite, ``rate < 0``, or a call is malformed.

    Examples
    --------
    >>> round(early_exit_price([(0.0, 10.0), (2.0, 10.0)], year=5.0, rate=0.03), 9)
    22.4
    """
    if not math.isfinite(year):
        raise ValueError(f"year(={year}) must be finite.")
    if not (math.isfinite(rate) and rate >= 0.0):
        raise ValueError(f"rate(={rate}) must be finite and >= 0.")
    calls = _as_calls(gov_calls, "gov_calls")
    paid = np.ascontiguousarray(calls[calls[:, 0] <= year])
    return float(call_sum(paid, len(paid), AT_RATE, year, rate))
