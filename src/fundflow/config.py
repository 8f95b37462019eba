"""Scenarios as frozen, validated objects (docs/scenario-reference.md).

``Scenario.from_dict`` is the one constructor; ``load_scenario`` reads YAML at the
edge and calls it. Every check names the dotted path of the field, the value and
what is allowed (:class:`~fundflow.errors.ConfigError`). The model classes never
see YAML or files.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._reader import Section, load_yaml
from .distributions import Dist
from .errors import ConfigError

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


MODES = ("two_phase", "upfront", "on_acceptance", "milestones")
BASES = ("unrecovered_cost", "cost_spent")
PAYEES = ("demander", "solver")
ARRANGEMENTS = ("commissioned", "cooperative")
TAX_PARTIES = ("demander", "solver")
#: Share of the installments the commissioning demander may deduct, per arrangement.
DEMANDER_DEDUCTIBLE = {"commissioned": 0.8, "cooperative": 1.0}
_SUM_TOL = 1e-9


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
        root = Section(data, "")
        gov_sec = root.section("government", default_empty=True)
        assert gov_sec is not None
        government = _government(gov_sec)
        solver_sec = root.section("solver", default_empty=True)
        assert solver_sec is not None
        solver = SolverSettings(
            reserve=solver_sec.number("reserve", None, lo=0, optional=True),
            required_npv=solver_sec.number("required_npv", 0.0),
        )
        solver_sec.finish()
        raw_challenges = root.items("challenges", min_len=1)
        challenges = tuple(
            _challenge(Section(item, f"challenges[{i}]")) for i, item in enumerate(raw_challenges)
        )
        _check_names_unique(challenges)
        _check_tranches(government.matching, challenges)
        correlation = _correlation(root.section("correlation"), challenges)
        horizon = root.number("horizon", 12.0, lo=0, lo_open=True)
        scenario = cls(
            name=root.text("name", "unnamed scenario"),
            money_unit=root.text("money_unit", "CNY million"),
            horizon=horizon,
            discount_rate=root.number("discount_rate", 0.03, lo=-1, lo_open=True),
            government=government,
            solver=solver,
            challenges=challenges,
            correlation=FrozenDict(correlation),
            guided_fund=_guided_fund(root.section("guided_fund"), horizon),
            credit=_credit(root.section("credit")),
            frozen_source=_freeze(data),
        )
        root.finish()
        return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML scenario file safely and validate it.

    Parameters
    ----------
    path : str or Path
        The scenario file, or the name of an example shipped with fundflow
        (:mod:`fundflow.examples`). Its challenges may come from a spreadsheet:
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
    from ._sheet import expand_challenges
    from .examples import resolve

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


# --- sections -----------------------------------------------------------------


def _installments(sec: Section, key: str, default: Any, n_phases: int) -> tuple[Installment, ...]:
    items = sec.items(key, default, min_len=1)
    out: list[Installment] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        s = Section(item, f"{sec.at(key)}[{i}]")
        after = s.integer("after")
        if after > n_phases:
            raise ConfigError(
                s.at("after"),
                after,
                f"must be a milestone 0..{n_phases} (0 = contract start, j = passing review j;"
                f" there are {n_phases} phases)",
            )
        if after in seen:
            raise ConfigError(s.at("after"), after, "each milestone may appear only once")
        seen.add(after)
        out.append(Installment(after, s.probability("share")))
        s.finish()
    total = sum(x.share for x in out)
    if abs(total - 1.0) > _SUM_TOL:
        raise ConfigError(sec.at(key), items, f"shares must sum to 1 (they sum to {total:g})")
    return tuple(out)  # file order, so errors can name the item as written


def _government(sec: Section) -> Government:
    m = sec.section("matching", default_empty=True)
    assert m is not None
    mode = m.text("mode", "two_phase", choices=MODES)
    tranches: tuple[Installment, ...] = ()
    if mode == "milestones":
        if not m.has("tranches"):
            raise ConfigError(
                m.at("tranches"),
                None,
                "missing: mode 'milestones' needs a list of {after, share}",
                show_value=False,
            )
        tranches = _installments(m, "tranches", None, 10**9)
    else:
        m.raw("tranches", None)
    matching = Matching(
        ratio=m.number("ratio", 0.25, lo=0, hi=1),
        cap=m.number("cap", None, lo=0, optional=True),
        mode=mode,
        first_share=m.probability("first_share", 0.3),
        tranches=tranches,
        payment_lag=m.number("payment_lag", 0.25, lo=0),
        payee=m.text("payee", "demander", choices=PAYEES),
    )
    m.finish()
    e = sec.section("error_tolerance", default_empty=True)
    assert e is not None
    tolerance = ErrorTolerance(
        enabled=e.boolean("enabled", False),
        rate=e.number("rate", 0.3, lo=0, hi=1),
        base=e.text("base", "unrecovered_cost", choices=BASES),
        cap=e.number("cap", None, lo=0, optional=True),
        misconduct_probability=e.probability("misconduct_probability", 0.0),
    )
    e.finish()
    t = sec.section("tax", default_empty=True)
    assert t is not None
    tax = _tax(t)
    award = sec.section("success_award")
    success_award = None
    if award is not None:
        success_award = SuccessAward(
            share=award.number("share", lo=0, hi=1),
            cap=award.number("cap", None, lo=0, optional=True),
        )
        award.finish()
    gov = Government(
        annual_budget=sec.number("annual_budget", None, lo=0, lo_open=True, optional=True),
        matching=matching,
        error_tolerance=tolerance,
        clawback_without_tolerance=sec.probability("clawback_without_tolerance", 1.0),
        tax=tax,
        success_award=success_award,
    )
    sec.finish()
    return gov


_TAX_DEFAULTS = {
    "corporate_tax_rate": {"demander": 0.25, "solver": 0.15},
    "usable_share": {"demander": 1.0, "solver": 0.5},
}


def _tax(t: Section) -> Tax:
    per_party: dict[str, FrozenDict] = {}
    for key, defaults in _TAX_DEFAULTS.items():
        raw = t.raw(key, None)
        if raw is not None and not isinstance(raw, Mapping):
            raise ConfigError(
                t.at(key),
                raw,
                "must be a mapping per party since fundflow 0.2, e.g. "
                f"{key}: {{demander: {defaults['demander']:g}, solver: {raw!r}}} "
                "(the old single number was the solver's rate, applied to all R&D)",
            )
        party = t.section(key, default_empty=True)
        assert party is not None
        per_party[key] = FrozenDict({p: party.probability(p, defaults[p]) for p in TAX_PARTIES})
        party.finish()
    tax = Tax(
        rd_super_deduction=t.number("rd_super_deduction", 0.0, lo=0, hi=5),
        arrangement=t.text("arrangement", "commissioned", choices=ARRANGEMENTS),
        corporate_tax_rate=per_party["corporate_tax_rate"],
        usable_share=per_party["usable_share"],
    )
    t.finish()
    return tax


_DEFAULT_PHASES = (
    {"name": "development", "duration": 1.0, "cost_share": 0.4, "pass_probability": 0.75},
    {"name": "validation", "duration": 1.0, "cost_share": 0.6, "pass_probability": 0.67},
)


def _default_installments(n: int) -> list[dict[str, Any]]:
    if n == 1:
        return [{"after": 0, "share": 0.5}, {"after": 1, "share": 0.5}]
    return [{"after": 0, "share": 0.3}, {"after": 1, "share": 0.4}, {"after": n, "share": 0.3}]


def _phase(s: Section) -> Phase:
    phase = Phase(
        name=s.text("name", s.path.rsplit(".", 1)[-1]),
        duration=s.dist("duration", low=0, what="durations must be >= 0 years"),
        cost_share=s.probability("cost_share"),
        pass_probability=s.probability("pass_probability"),
    )
    s.finish()
    return phase


def _challenge(s: Section) -> Challenge:
    raw_phases = s.items("phases", list(_DEFAULT_PHASES), min_len=1)
    phases = tuple(_phase(Section(p, f"{s.at('phases')}[{j}]")) for j, p in enumerate(raw_phases))
    n = len(phases)
    total = sum(p.cost_share for p in phases)
    if abs(total - 1.0) > _SUM_TOL:
        raise ConfigError(
            s.at("phases"),
            [p.cost_share for p in phases],
            f"the phases' cost_share must sum to 1 (they sum to {total:g})",
        )
    solvers = s.integer("solvers", 1, lo=1)
    r = s.section("race", default_empty=True)
    assert r is not None
    race = Race(
        select_after=r.integer("select_after", 1, lo=1),
        keep=r.integer("keep", 1, lo=1),
        compensate_eliminated=r.boolean("compensate_eliminated", True),
    )
    if solvers > 1 and race.select_after > n - 1:
        raise ConfigError(
            r.at("select_after"),
            race.select_after,
            f"must be a review before acceptance, 1..{n - 1} (the challenge has {n} phases)"
            if n > 1
            else "a horse race needs at least two phases (selection, then acceptance)",
        )
    r.finish()
    challenge = Challenge(
        name=s.text("name", s.path),
        count=s.integer("count", 1, lo=1),
        group=s.text("group") if s.has("group") else None,
        category=s.text("category") if s.has("category") else "",
        start=s.number("start", 0.0, lo=0),
        selection_time=s.number("selection_time", 0.0, lo=0),
        total_investment=s.number("total_investment", lo=0, lo_open=True),
        demander_share=s.probability("demander_share", 0.5),
        demander_installments=_installments(
            s, "demander_installments", _default_installments(n), n
        ),
        solvers=solvers,
        race=race,
        overrun=s.dist("overrun", 1.0, low=0, what="an overrun factor must be >= 0"),
        booking_period=s.number("booking_period", None, lo=0, lo_open=True, optional=True),
        phases=phases,
        value_on_success=s.dist("value_on_success", 0.0, low=0, what="a value must be >= 0"),
        value_lag=s.number("value_lag", 1.0, lo=0),
        solver_value_on_success=s.dist(
            "solver_value_on_success", 0.0, low=0, what="a value must be >= 0"
        ),
    )
    s.finish()
    return challenge


def _check_names_unique(challenges: tuple[Challenge, ...]) -> None:
    seen: set[str] = set()
    for i, c in enumerate(challenges):
        if c.name in seen:
            raise ConfigError(f"challenges[{i}].name", c.name, "challenge names must be unique")
        seen.add(c.name)


def _check_tranches(matching: Matching, challenges: tuple[Challenge, ...]) -> None:
    if matching.mode != "milestones":
        return
    fewest = min(challenges, key=lambda c: c.n_phases)
    for k, t in enumerate(matching.tranches):
        if t.after > fewest.n_phases:
            raise ConfigError(
                f"government.matching.tranches[{k}].after",
                t.after,
                f"must be a milestone 0..{fewest.n_phases}: challenge '{fewest.name}' has "
                f"only {fewest.n_phases} phases",
            )


def _correlation(sec: Section | None, challenges: tuple[Challenge, ...]) -> dict[str, float]:
    if sec is None:
        return {}
    groups = {c.group for c in challenges if c.group}
    out: dict[str, float] = {}
    for key in list(sec.data):
        rho = sec.number(key, lo=0, hi=1, hi_open=True)
        if key not in groups:
            warnings.warn(
                f"{sec.at(key)}: no challenge has group '{key}', so this correlation has no "
                f"effect (groups used: {', '.join(sorted(groups)) or 'none'})",
                UserWarning,
                stacklevel=4,
            )
        out[key] = rho
    sec.finish()
    return out


def _guided_fund(sec: Section | None, horizon: float) -> GuidedFund | None:
    if sec is None:
        return None
    enabled = sec.boolean("enabled", True)
    size = sec.number("size", lo=0, lo_open=True)
    life = sec.number("life", 10.0, lo=0, lo_open=True)
    invest_years = sec.number("invest_years", 5.0, lo=0)
    start = sec.number("start", 0.0, lo=0)
    if enabled and start + life > horizon + _SUM_TOL:
        raise ConfigError(
            sec.at("life"),
            life,
            f"the fund must end within the horizon: guided_fund.start + guided_fund.life = "
            f"{start + life:g} > horizon = {horizon:g}; shorten the fund's life or start, or "
            "lengthen the horizon (holdings still open at the horizon would count as paid-in "
            "with no value)",
        )
    if invest_years > life:
        raise ConfigError(
            sec.at("life"),
            life,
            f"the fund's life must be at least its invest_years ({invest_years:g})",
        )
    ticket = sec.number("ticket", lo=0, lo_open=True)
    if ticket > size:
        raise ConfigError(sec.at("ticket"), ticket, f"must not exceed the fund's size ({size:g})")
    early = sec.section("early_exit")
    early_exit = None
    if early is not None:
        early_exit = EarlyExit(
            year=early.number("year", lo=0), rate=early.number("rate", 0.03, lo=0)
        )
        if early_exit.year > start + life:
            raise ConfigError(
                early.at("year"),
                early_exit.year,
                f"must be no later than the fund's end (start + life = {start + life:g})",
            )
        early.finish()
    fund = GuidedFund(
        size=size,
        government_share=sec.probability("government_share", 0.25),
        start=start,
        life=life,
        invest_years=invest_years,
        ticket=ticket,
        invest_lag=sec.number("invest_lag", 0.5, lo=0),
        holding_period=sec.dist("holding_period", 4.0, low=0, what="must be >= 0 years"),
        exit_multiple=sec.dist("exit_multiple", 1.0, low=0, what="a multiple must be >= 0"),
        management_fee=sec.number("management_fee", 0.015, lo=0, hi=0.2),
        hurdle=sec.number("hurdle", 0.06, lo=0, hi=1),
        carry=sec.probability("carry", 0.2),
        government_concession=sec.probability("government_concession", 0.0),
        government_first_loss=sec.probability("government_first_loss", 0.0),
        early_exit=early_exit,
    )
    sec.finish()
    return fund if enabled else None


RISK_PARTIES = ("guarantor", "reguarantor", "bank", "government")


def _credit(sec: Section | None) -> Credit | None:
    if sec is None:
        return None
    enabled = sec.boolean("enabled", True)
    rs = sec.section("risk_sharing")
    if rs is None:
        sharing = {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.1}
    else:
        sharing = {p: rs.probability(p, 0.0) for p in RISK_PARTIES}
        rs.finish()
        total = math.fsum(sharing.values())
        if abs(total - 1.0) > _SUM_TOL:
            raise ConfigError(
                rs.path, dict(rs.data), f"shares must sum to 1 (they sum to {total:g})"
            )
    credit = Credit(
        loan_share=sec.probability("loan_share", 0.5),
        interest_rate=sec.number("interest_rate", 0.045, lo=0, hi=1),
        guarantee_fee=sec.number("guarantee_fee", 0.01, lo=0, hi=1),
        default_probability_on_failure=sec.probability("default_probability_on_failure", 0.5),
        default_probability_on_success=sec.probability("default_probability_on_success", 0.02),
        loss_given_default=sec.probability("loss_given_default", 0.6),
        risk_sharing=FrozenDict(sharing),
    )
    sec.finish()
    return credit if enabled else None
