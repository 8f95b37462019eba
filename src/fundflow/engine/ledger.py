"""The ledger: every movement of money, stored column-wise.

One row per payment: ``time, payer, payee, amount, kind, challenge, route`` with
``amount > 0`` (docs/model.md, "The ledger"). Parties and kinds are stored as small integer
codes (``int8``), challenge and route as ``int32`` (``-1`` where a payment belongs
to no challenge or route), time and amount as ``float64``: 27 bytes a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EPS", "KINDS", "PARTIES", "Ledger", "LedgerWriter"]

#: Tolerance of money comparisons, in both engines: amounts within it of zero are
#: rounding residue.
EPS = 1e-12

#: Parties, in code order (docs/model.md, "Parties"). Append only.
PARTIES: tuple[str, ...] = (
    "external",
    "government",
    "demander",
    "solver",
    "venture",
    "fund",
    "gov_lp",
    "social_lp",
    "fund_manager",
    "bank",
    "guarantor",
    "reguarantor",
    "pool",  # the government's risk-compensation pool (an account of the government)
)
P = {name: code for code, name in enumerate(PARTIES)}

#: Kinds of payment, in code order. Append only.
KINDS: tuple[str, ...] = (
    "rd_spending",  # solver -> external, the route's R&D cost
    "demander_installment",  # demander -> solver
    "matching",  # government -> demander, a matching tranche
    "compensation",  # government -> solver, error-tolerance compensation
    "clawback",  # demander -> government
    "commercial_value",  # external -> demander, value on success
    "tax_expenditure",  # government -> solver / demander, R&D super-deduction
    "capital_call",  # gov_lp / social_lp -> fund
    "management_fee",  # fund -> fund_manager
    "investment",  # fund -> venture
    "exit_proceeds",  # external -> fund
    "distribution",  # fund -> gov_lp / social_lp
    "carried_interest",  # fund -> fund_manager
    "stake_sale",  # social_lp -> gov_lp, the government's early exit
    "loan",  # bank -> solver
    "interest",  # solver -> bank
    "guarantee_fee",  # solver -> guarantor
    "repayment",  # solver -> bank
    "guarantee_payout",  # guarantor / reguarantor / government -> bank
    "success_award",  # government -> solver, award for a succeeded route
    "solver_value",  # external -> solver, follow-on value of a succeeded route
    "tax_recapture",  # solver / demander -> government, super-deduction paid back
    "tax_on_subsidy",  # recipient -> government, tax on a taxable match (refunds back)
    "pool_endowment",  # government -> pool, at the start
    "pool_topup",  # government -> pool, restoring it at a budget year's start
    "pool_payout",  # pool -> bank / guarantor / reguarantor, on a default
    "pool_return",  # pool -> government, what is left at the horizon
    "ip_recovery",  # external -> bank, the pledged IP sold on a default
    "bank_link_income",  # external -> bank, its share of a succeeded route's follow-on value
)
K = {name: code for code, name in enumerate(KINDS)}

_DTYPES = {
    "time": np.float64,
    "payer": np.int8,
    "payee": np.int8,
    "amount": np.float64,
    "kind": np.int8,
    "challenge": np.int32,
    "route": np.int32,
}
COLUMNS: tuple[str, ...] = tuple(_DTYPES)


class LedgerWriter:
    """Append-only column buffers used while a replication runs."""

    __slots__ = ("amount", "challenge", "kind", "payee", "payer", "route", "time")

    def __init__(self) -> None:
        self.time: list[float] = []
        self.payer: list[int] = []
        self.payee: list[int] = []
        self.amount: list[float] = []
        self.kind: list[int] = []
        self.challenge: list[int] = []
        self.route: list[int] = []

    def add(
        self,
        time: float,
        payer: int,
        payee: int,
        amount: float,
        kind: int,
        challenge: int,
        route: int,
    ) -> None:
        """Record one payment; zero amounts are not recorded."""
        if amount <= 0.0:
            if amount < 0.0:
                raise ValueError(f"amount(={amount}) must be >= 0 ({KINDS[kind]})")
            return
        self.time.append(time)
        self.payer.append(payer)
        self.payee.append(payee)
        self.amount.append(amount)
        self.kind.append(kind)
        self.challenge.append(challenge)
        self.route.append(route)

    def freeze(self) -> Ledger:
        return Ledger(**{c: np.asarray(getattr(self, c), dtype=_DTYPES[c]) for c in COLUMNS})


@dataclass(frozen=True, eq=False)
class Ledger:
    """One replication's payments as NumPy columns (codes for parties and kinds)."""

    time: np.ndarray
    payer: np.ndarray
    payee: np.ndarray
    amount: np.ndarray
    kind: np.ndarray
    challenge: np.ndarray
    route: np.ndarray

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns."""
        return sum(getattr(self, c).nbytes for c in COLUMNS)

    def net_cash(self) -> np.ndarray:
        """Net cash (received minus paid) per party code, length ``len(PARTIES)``."""
        n = len(PARTIES)
        received = np.bincount(self.payee, weights=self.amount, minlength=n)
        paid = np.bincount(self.payer, weights=self.amount, minlength=n)
        return np.asarray(received - paid)

    def to_frame(self) -> pd.DataFrame:
        """The ledger as a DataFrame with party and kind names as categoricals."""
        import pandas as pd  # not at the top: simulating needs no pandas

        parties = pd.CategoricalDtype(list(PARTIES))
        kinds = pd.CategoricalDtype(list(KINDS))
        return pd.DataFrame(
            {
                "time": self.time,
                "payer": pd.Categorical.from_codes(self.payer, dtype=parties),
                "payee": pd.Categorical.from_codes(self.payee, dtype=parties),
                "amount": self.amount,
                "kind": pd.Categorical.from_codes(self.kind, dtype=kinds),
                "challenge": self.challenge,
                "route": self.route,
            }
        )
