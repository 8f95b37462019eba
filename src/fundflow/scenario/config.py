"""Scenarios as frozen, validated objects (docs/scenario-reference.md).

``Scenario.from_dict`` is the one constructor; ``load_scenario`` reads YAML at the
edge and calls it. The keys, their defaults and bounds are declared once, in
:mod:`fundflow.scenario.schema`; ``fundflow.scenario._build`` reads them into these objects.
Every check names the dotted path of the field, the value and
what is allowed (:class:`~fundflow.errors.ConfigError`). The model classes never
see YAML or files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError
from fundflow.scenario._reader import load_yaml
from fundflow.scenario.distributions import Dist

__all__ = [
    "Challenge",
    "Credit",
    "ErrorTolerance",
    "Government",
    "GuidedFund",
    "Installment",
    "Matching",
    "Phase",
    "Race",
    "Scenario",
    "SolverSettings",
    "SuccessAward",
    "Tax",
    "load_scenario",
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


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenDict({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
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

    def rate(self, party: str) -> float:
        """Forgone tax per unit of the party's eligible cost."""
        return self.corporate_tax_rate[party] * self.rd_super_deduction * self.usable_share[party]

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


@dataclass(frozen=True)
class Phase:
    name: str
    duration: Dist
    cost_share: float
    pass_probability: float


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
class Credit:
    loan_share: float
    interest_rate: float
    guarantee_fee: float
    default_probability_on_failure: float
    default_probability_on_success: float
    loss_given_default: float
    risk_sharing: Mapping[str, float]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :meth:`from_dict` or :func:`load_scenario`.

    Attributes
    ----------
    name, money_unit : str
    horizon : float
        Years simulated; events at or after the horizon do not happen.
    discount_rate : float
    government : Government
    solver : SolverSettings
    challenges : tuple of Challenge
        The entries as written; ``count`` expands each into identical challenges.
    correlation : mapping of group name to rho
    guided_fund : GuidedFund or None
        ``None`` when the section is absent or ``enabled: false``.
    credit : Credit or None
    source : dict
        The validated input mapping (a fresh copy on each access).
    """

    name: str
    money_unit: str
    horizon: float
    discount_rate: float
    government: Government
    solver: SolverSettings
    challenges: tuple[Challenge, ...]
    correlation: Mapping[str, float]
    guided_fund: GuidedFund | None
    credit: Credit | None
    frozen_source: FrozenDict

    @property
    def source(self) -> dict[str, Any]:
        """The validated input mapping, as a fresh plain dict."""
        return dict(_thaw(self.frozen_source))

    @property
    def n_challenges(self) -> int:
        """Number of challenges after expanding counts."""
        return sum(c.count for c in self.challenges)

    @property
    def n_routes(self) -> int:
        return sum(c.count * c.solvers for c in self.challenges)

    def describe(self) -> str:
        """A one-line summary of the scenario."""
        g = self.government.matching
        extras = [s for s, on in (("guided fund", self.guided_fund), ("credit", self.credit)) if on]
        tail = f", {' and '.join(extras)}" if extras else ""
        return (
            f"{self.name}: {self.n_challenges} challenges, {self.n_routes} routes, "
            f"matching {g.ratio:g} ({g.mode}), horizon {self.horizon:g} years, "
            f"money in {self.money_unit}{tail}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the validated input mapping."""
        return self.source

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate a mapping (as read from YAML) and build a scenario.

        Raises
        ------
        ConfigError
            Naming the dotted path, the value and what is allowed.
        """
        from fundflow.scenario._build import build_parts

        root, fields = build_parts(data)
        scenario = cls(frozen_source=_freeze(data), **fields)
        root.finish()
        return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML scenario file safely and validate it.

    Parameters
    ----------
    path : str or Path
        The scenario file, or the name of an example shipped with fundflow
        (:mod:`fundflow.scenario.examples`). Its challenges may come from a spreadsheet:
        ``challenges: {from: list.xlsx, sheet: 榜单}``, a path relative to the file.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, or holds an invalid scenario.

    Examples
    --------
    >>> from fundflow import load_scenario
    >>> s = load_scenario("configs/open_competition.yaml")  # doctest: +SKIP
    >>> s.n_challenges  # doctest: +SKIP
    10
    """
    from fundflow.scenario._sheet import expand_challenges
    from fundflow.scenario.examples import resolve

    p = resolve(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", str(p), "file not found", truncate=False) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "", str(p), f"cannot be read ({exc.__class__.__name__}: {exc})", truncate=False
        ) from None
    data = load_yaml(text, str(p))
    if not isinstance(data, Mapping):
        raise ConfigError(
            "", str(p), "the file must hold a mapping (name:, challenges:, ...)", truncate=False
        )
    data, locate = expand_challenges(data, p.parent)
    try:
        return Scenario.from_dict(data)
    except ConfigError as exc:
        raise locate(exc) from None
