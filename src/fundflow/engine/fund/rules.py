"""The amount rules of the guided fund, written once for both engines.

Leaf functions compiled with numba; the SimPy engine (and the public
:mod:`fundflow.engine.waterfall`) call their Python originals (``rule.py_func``).
Sums over capital calls add the calls in the order they were made, left to right
(fundflow's own order: both engines give the same bits).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from fundflow.engine.kernel_cache import rule

__all__ = ["AMOUNT", "AT_RATE", "HURDLE", "call_sum", "waterfall"]

#: What :func:`call_sum` adds over the calls: amounts, early-exit values at simple
#: interest, preferred returns compounded at the hurdle
AMOUNT, AT_RATE, HURDLE = (cast(int, np.int64(i)) for i in range(3))


@rule
def call_sum(calls: np.ndarray, n: int, mode: int, x: float, y: float) -> float:
    """Over the first ``n`` calls ``(t, a)`` (rows of ``calls``), left to right, the
    sum of ``a`` (``AMOUNT``), ``a·(1 + y·(x − t))`` (``AT_RATE``: the value at year
    ``x`` at simple rate ``y``) or ``a·(e^{(x − t)·y} − 1)`` (``HURDLE``: the
    preferred return to ``x`` with ``y = log1p(hurdle)``)."""
    total = 0.0
    for i in range(n):
        t, a = calls[i, 0], calls[i, 1]
        if mode == 0:
            total += a
        elif mode == 1:
            total += a * (1.0 + y * (x - t))
        else:
            total += a * math.expm1((x - t) * y)
    return total


@rule
def waterfall(proceeds: float, paid_gov: float, paid_social: float, owed_gov: float,
              owed_social: float, key_gov: float, key_social: float, carry: float,
              concession_share: float, first_loss: float) -> tuple:  # fmt: skip
    """The European waterfall of ``proceeds`` (docs/model.md, "Guided fund").

    1. capital back to the LPs (the government bears ``first_loss`` of its capital
       first when proceeds fall short); 2. the preferred returns owed, pro rata when
       short; 3. ``carry`` of the rest to the manager; 4. the rest by ``key_gov`` :
       ``key_social``, the government ceding ``concession_share`` of its part.

    Returns ``(government, social, manager, government_capital, social_capital,
    first_loss_borne, government_preferred, social_preferred, carry_base,
    concession)``.
    """

    def split(amount: float, wa: float, wb: float) -> tuple[float, float]:
        # pro rata to two weights, not both zero; a zero weight gets exactly zero
        if wb == 0.0:
            return amount, 0.0
        if wa == 0.0:
            return 0.0, amount
        part_a = min(amount, amount * wa / (wa + wb))
        return part_a, max(0.0, amount - part_a)

    paid = paid_gov + paid_social
    borne = 0.0
    if proceeds >= paid:
        cap_gov, cap_social = paid_gov, paid_social
    else:
        borne = min(paid - proceeds, first_loss * paid_gov)
        if paid_social == 0.0 or paid_gov == 0.0:
            cap_gov, cap_social = split(proceeds, paid_gov, paid_social)
        else:  # the government's loss is capped at its capital; the excess is social
            cap_gov = (paid_gov * proceeds - borne * paid_social) / paid
            cap_gov = min(max(0.0, cap_gov), proceeds)
            cap_social = max(0.0, proceeds - cap_gov)
    left = max(0.0, proceeds - cap_gov - cap_social)
    if left >= owed_gov + owed_social:
        pref_gov, pref_social = owed_gov, owed_social
    else:
        pref_gov, pref_social = split(left, owed_gov, owed_social)
    base = max(0.0, left - pref_gov - pref_social)
    manager = carry * base
    rest_gov, rest_social = split(base - manager, key_gov, key_social)
    concession = concession_share * rest_gov
    return (
        cap_gov + pref_gov + (rest_gov - concession),
        cap_social + pref_social + rest_social + concession,
        manager, cap_gov, cap_social, borne, pref_gov, pref_social, base, concession,
    )  # fmt: skip
