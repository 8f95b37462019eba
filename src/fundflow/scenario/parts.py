"""The parts of a scenario: frozen dataclasses, one per section (docs/scenario-reference.md).

:class:`~fundflow.scenario.config.Scenario` holds them; ``fundflow.scenario._build``
fills them from a validated mapping (the keys, their defaults and bounds are declared
in :mod:`fundflow.scenario.schema`). They import nothing of the scenario package but
the distributions, so the builder and the scenario both import them and neither
imports the other's module at import time: ``Scenario.from_dict`` calls the builder.
:mod:`fundflow.scenario.config` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fundflow.scenario.distributions import Dist

__all__ = [
    "DEMANDER_DEDUCTIBLE",
    "Challenge",
    "Credit",
    "EarlyExit",
    "EquityLink",
    "ErrorTolerance",
    "Extension",
    "FrozenDict",
    "Government",
    "GuidedFund",
    "Installment",
    "Matching",
    "Phase",
    "Race",
    "RiskPool",
    "SolverSettings",
    "SuccessAward",
    "Tax",
    "freeze",
    "thaw",
]


class FrozenDict(Mapping[str, Any]):
    """A read-only, hashable mapping (scenarios are immutable all the way down)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


def freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


#: Share of the installments the commissioning demander may deduct, per arrangement.
DEMANDER_DEDUCTIBLE = {"commissioned": 0.8, "cooperative": 1.0}


@dataclass(frozen=True)
class Installment:
    """A share of a payment attached to a milestone (0 = contract start, j = review j)."""

    after: int
    share: float


@dataclass(frozen=True)
class Matching:
    ratio: float
    cap: float | None
    mode: str
    first_share: float
    tranches: tuple[Installment, ...]
    payment_lag: float
    payee: str = "demander"

    def plan(self, n_phases: int) -> tuple[Installment, ...]:
        """The government's tranches for a challenge with ``n_phases`` phases."""
        if self.mode == "two_phase":
            return (Installment(0, self.first_share), Installment(n_phases, 1 - self.first_share))
        if self.mode == "upfront":
            return (Installment(0, 1.0),)
        if self.mode == "on_acceptance":
            return (Installment(n_phases, 1.0),)
        return self.tranches


@dataclass(frozen=True)
class ErrorTolerance:
    enabled: bool
    rate: float
    base: str
    cap: float | None
    misconduct_probability: float


@dataclass(frozen=True)
class Tax:
    """The R&D super-deduction and who may use it (docs/model.md, "Tax").

    ``corporate_tax_rate`` and ``usable_share`` map ``demander`` and ``solver`` to a
    number; a party's forgone tax is ``rate × rd_super_deduction × eligible cost ×
    usable share``.
    """

    rd_super_deduction: float
    arrangement: str
    corporate_tax_rate: Mapping[str, float]
    usable_share: Mapping[str, float]
    match_treatment: str = "non_taxable"
    additionality: float = 1.0
    borne_share: float = 1.0

    def rate(self, party: str) -> float:
        """Forgone tax per unit of the party's eligible cost."""
        return self.corporate_tax_rate[party] * self.rd_super_deduction * self.usable_share[party]

    def subsidy_rate(self, party: str) -> float:
        """Tax per unit of match the party receives when the match is taxable income."""
        return self.corporate_tax_rate[party] * self.usable_share[party]

    @property
    def match_taxable(self) -> bool:
        """The match is taxable income (else non-taxable, and not deductible)."""
        return self.match_treatment == "taxable"

    @property
    def demander_deductible(self) -> float:
        """Share of its installments the demander may count as eligible R&D cost."""
        return DEMANDER_DEDUCTIBLE[self.arrangement]


@dataclass(frozen=True)
class SuccessAward:
    """The government's award to a succeeded route's solver: ``min(share × I, cap)``."""

    share: float
    cap: float | None


@dataclass(frozen=True)
class Government:
    annual_budget: float | None
    matching: Matching
    error_tolerance: ErrorTolerance
    clawback_without_tolerance: float
    tax: Tax
    success_award: SuccessAward | None = None


@dataclass(frozen=True)
class SolverSettings:
    reserve: float | None
    required_npv: float = 0.0
    entry: str = "fixed"  # or "equilibrium" (docs/model.md, "Bidders and entry")
    reservation_npv: Dist | None = None  # None: required_npv
    entry_runs: int = 2000


@dataclass(frozen=True)
class Extension:
    """A failed review extended once: with ``probability``, ``duration`` more years
    at ``cost_share × I × overrun``, then reviewed again."""

    probability: float
    duration: Dist
    cost_share: float


@dataclass(frozen=True)
class Phase:
    name: str
    duration: Dist
    cost_share: float
    pass_probability: float
    extension: Extension | None = None


@dataclass(frozen=True)
class Race:
    select_after: int
    keep: int
    compensate_eliminated: bool


@dataclass(frozen=True)
class Challenge:
    """One entry of the challenge list; ``count`` identical challenges."""

    name: str
    count: int
    group: str | None
    category: str
    start: float
    selection_time: float
    total_investment: float
    demander_share: float
    demander_installments: tuple[Installment, ...]
    solvers: int
    race: Race
    overrun: Dist
    booking_period: float | None
    phases: tuple[Phase, ...]
    value_on_success: Dist
    value_lag: float
    solver_value_on_success: Dist
    contract_price: float | None = None  # 揭榜金额: D per route, instead of demander_share
    bidders: int | None = None  # potential solvers (None: solvers)

    @property
    def n_bidders(self) -> int:
        """Potential solvers: ``bidders``, or ``solvers`` when not given."""
        return self.solvers if self.bidders is None else self.bidders

    @property
    def n_phases(self) -> int:
        return len(self.phases)


@dataclass(frozen=True)
class EarlyExit:
    year: float
    rate: float


@dataclass(frozen=True)
class GuidedFund:
    size: float
    government_share: float
    start: float
    life: float
    invest_years: float
    ticket: float
    invest_lag: float
    holding_period: Dist
    exit_multiple: Dist
    management_fee: float
    hurdle: float
    carry: float
    government_concession: float
    government_first_loss: float
    early_exit: EarlyExit | None


@dataclass(frozen=True)
class RiskPool:
    """A government risk-compensation pool of ``size``, paying ``share`` of each
    default's loss to the lenders while money is left."""

    size: float
    share: float
    top_up: bool = False


@dataclass(frozen=True)
class EquityLink:
    """Investment-loan linkage: the bank takes ``share`` of a succeeded route's
    follow-on value."""

    share: float


@dataclass(frozen=True)
class Credit:
    loan_share: float
    interest_rate: float
    guarantee_fee: float
    default_probability_on_failure: float
    default_probability_on_success: float
    loss_given_default: float
    risk_sharing: Mapping[str, float]
    risk_pool: RiskPool | None = None
    kind: str = "unsecured"
    ip_value: Dist | None = None
    ip_uplift: float = 1.0
    equity_link: EquityLink | None = None
