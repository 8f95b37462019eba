"""The scenario schema: every key of a scenario file, declared once.

:data:`SCENARIO` is a tree of :class:`~fundflow.scenario._schema_core.Key`: each key's kind,
default, bounds or choices and one-line meaning. The validator
(:meth:`fundflow.Scenario.from_dict`), the paths ``--set`` and sweeps accept
(:mod:`fundflow.scenario.overrides`), docs/scenario-reference.md and the JSON Schema that
``fundflow schema`` prints (docs/scenario.schema.json) all come from it.

Adding a scenario key: add a ``Key`` to the section it belongs to, give the
dataclass in :mod:`fundflow.scenario.config` the field of the same name, use it in the
engine, then regenerate the documents with ``python -m fundflow.scenario.reference``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fundflow.scenario._schema_core import DERIVED, REQUIRED, Key, integer_keys, override_tree

__all__ = [
    "CHALLENGE_LABELS_ZH",
    "INTEGER_KEYS",
    "SCENARIO",
    "default_installments",
    "override_tree",
]

_NN = {"lo": 0.0}  # >= 0
_POS = {"lo": 0.0, "lo_open": True}  # > 0
_UNIT = {"lo": 0.0, "hi": 1.0}  # [0, 1]


def _num(name: str, default: Any, doc: str, **kw: Any) -> Key:
    return Key(name, "number", doc, default, **kw)


def _prob(name: str, default: Any, doc: str, **kw: Any) -> Key:
    return Key(name, "probability", doc, default, lo=0.0, hi=1.0, **kw)


def _int(name: str, default: Any, doc: str, lo: int, **kw: Any) -> Key:
    return Key(name, "integer", doc, default, lo=lo, **kw)


def _dist(name: str, default: Any, doc: str, what: str) -> Key:
    return Key(name, "dist", doc, default, lo=0.0, what=what)


def default_installments(n_phases: int) -> list[dict[str, Any]]:
    """A challenge's demander installments when the file gives none."""
    if n_phases == 1:
        return [{"after": 0, "share": 0.5}, {"after": 1, "share": 0.5}]
    return [
        {"after": 0, "share": 0.3},
        {"after": 1, "share": 0.4},
        {"after": n_phases, "share": 0.3},
    ]


_INSTALLMENT = (
    _int("after", REQUIRED, "milestone: 0 = contract start, j = passing review j", lo=0),
    _prob("share", REQUIRED, "share of the payment due at that milestone"),
)

_MATCHING = Key(
    "matching",
    "section",
    "the government's match of the investment",
    {},
    children=(
        _num("ratio", 0.25, "match `g = ratio × I` per route", **_UNIT),
        _num(
            "cap",
            None,
            "most matching paid on one challenge, across its routes; a tranche is cut to "
            "what is left",
            nullable=True,
            **_NN,
        ),
        Key(
            "mode",
            "text",
            "when tranches are earned",
            "two_phase",
            choices=("two_phase", "upfront", "on_acceptance", "milestones"),
        ),
        _prob(
            "first_share",
            0.3,
            "`two_phase`: share earned at milestone 0 (contract start), the rest at acceptance",
        ),
        Key(
            "tranches",
            "list",
            "`milestones`: shares per milestone (0 = start, j = passing review j), summing to "
            "1; every milestone must exist in every challenge",
            None,
            min_len=1,
            children=_INSTALLMENT,
            allowed_doc="list of `{after, share}`",
        ),
        _num(
            "payment_lag",
            0.25,
            "years from a milestone (or failure) to the government's payment",
            **_NN,
        ),
        Key(
            "payee",
            "text",
            "who receives the match (the policy documents: the demander; see "
            "[model.md](model.md#government-matching)); `solver` models cities that pay the "
            "undertaker directly — then claw-backs come from the solver and budget delays "
            "reach the solver's cash",
            "demander",
            choices=("demander", "solver"),
        ),
    ),
)

_ERROR_TOLERANCE = Key(
    "error_tolerance",
    "section",
    "compensation of diligent failures",
    {},
    children=(
        Key("enabled", "boolean", "failed routes are exempt and compensated", False),
        _num("rate", 0.3, "compensation = `min(rate × base, cap)`", **_UNIT),
        Key(
            "base",
            "text",
            "unrecovered = cost spent − demander installments received (− matching earned "
            "for the route when the payee is the solver)",
            "unrecovered_cost",
            choices=("unrecovered_cost", "cost_spent"),
        ),
        _num("cap", None, "per route", nullable=True, **_NN),
        _prob(
            "misconduct_probability",
            0.0,
            "a failure is misconduct instead: no compensation, every tranche of the route "
            "clawed back",
        ),
    ),
)


def _per_party(name: str, doc: str, demander: float, solver: float) -> Key:
    return Key(
        name,
        "section",
        doc,
        {},
        children=(
            _prob("demander", demander, "the demander's"),
            _prob("solver", solver, "the solver's"),
        ),
    )


_TAX = Key(
    "tax",
    "section",
    "the R&D super-deduction and who may use it",
    {},
    children=(
        _num(
            "rd_super_deduction",
            0.0,
            "extra deductible share of R&D cost (1.0 since 2023); 0 = off",
            lo=0.0,
            hi=5.0,
        ),
        Key(
            "arrangement",
            "text",
            "who may deduct what: the demander deducts 80% (commissioned) or 100% "
            "(cooperative) of the installments it pays in the year; the solver what it "
            "funds itself",
            "commissioned",
            choices=("commissioned", "cooperative"),
        ),
        _per_party(
            "corporate_tax_rate",
            "forgone tax = rate × super-deduction × eligible cost × usable share, paid at "
            "each budget year's end (the year the horizon cuts: at the horizon). A single "
            "number (before 0.2) is an error that says what to write",
            0.25,
            0.15,
        ),
        _per_party(
            "usable_share",
            "share of the deduction the party can use within the horizon (it needs taxable profit)",
            1.0,
            0.5,
        ),
    ),
)

_GOVERNMENT = Key(
    "government",
    "section",
    "matching, error tolerance, awards and tax",
    {},
    default_doc="see below",
    children=(
        _num(
            "annual_budget",
            None,
            "matching tranches and compensation paid per budget year `[n, n+1)`; the excess "
            "waits first in first out (paid in parts if one payment exceeds the room)",
            nullable=True,
            default_doc="null (unlimited)",
            **_POS,
        ),
        _MATCHING,
        _ERROR_TOLERANCE,
        _prob(
            "clawback_without_tolerance",
            1.0,
            "without tolerance, share of a failed route's tranches clawed back",
        ),
        Key(
            "success_award",
            "section",
            "per succeeded route, `min(share × I, cap)` paid to the solver `payment_lag` "
            "after acceptance, through the annual budget, never clawed back",
            None,
            default_doc="null (none)",
            children=(
                _num("share", REQUIRED, "of the planned investment `I`", **_UNIT),
                _num("cap", None, "per route", nullable=True, **_NN),
            ),
        ),
        _TAX,
    ),
)

_SOLVER = Key(
    "solver",
    "section",
    "the solvers' finances",
    {},
    default_doc="off",
    children=(
        _num(
            "reserve",
            None,
            "a running route whose cumulative net outflow (loans count as inflow) would "
            "exceed this at any payment of the solver (R&D, interest, fees, tax recapture) "
            "is abandoned: a financing failure",
            nullable=True,
            default_doc="null (unlimited)",
            **_NN,
        ),
        _num(
            "required_npv",
            0.0,
            "participation: a challenge attracts its solvers when their expected NPV per "
            "route is at least this (reported, not enforced)",
        ),
    ),
)

#: The phases of a challenge that gives none.
DEFAULT_PHASES = (
    {"name": "development", "duration": 1.0, "cost_share": 0.4, "pass_probability": 0.75},
    {"name": "validation", "duration": 1.0, "cost_share": 0.6, "pass_probability": 0.67},
)

_PHASE = (
    Key("name", "text", "shown in tables", DERIVED, default_doc="`phases[j]`"),
    _dist("duration", REQUIRED, "drawn per route and phase", "durations must be >= 0 years"),
    _prob(
        "cost_share",
        REQUIRED,
        "share of `I` spent in the phase; the phases' shares sum to 1",
        allowed_doc="[0, 1], summing to 1",
    ),
    _prob("pass_probability", REQUIRED, "the review at the end of the phase"),
)

_RACE = Key(
    "race",
    "section",
    "a horse race among the `solvers` routes",
    {},
    children=(
        _int(
            "select_after",
            1,
            "review after which the race selects",
            lo=1,
            allowed_doc="1 .. phases − 1",
        ),
        _int("keep", 1, "routes kept (chosen at random among those that passed)", lo=1),
        Key(
            "compensate_eliminated",
            "boolean",
            "eliminated routes are compensated as diligent failures (rate, base and cap of "
            "`error_tolerance`), whether or not error tolerance is on",
            True,
        ),
    ),
)

_VALUE = "a value must be >= 0"

#: Chinese names of a challenge's keys (column headers of a challenge list).
CHALLENGE_LABELS_ZH = {
    "name": "名称",
    "count": "数量",
    "group": "相关组",
    "category": "领域",
    "start": "发布时间",
    "selection_time": "遴选用时",
    "total_investment": "总投资",
    "demander_share": "发榜方出资比例",
    "demander_installments": "发榜方分期",
    "after": "里程碑",
    "share": "比例",
    "solvers": "揭榜方数量",
    "race": "赛马",
    "select_after": "选拔评审",
    "keep": "保留数",
    "compensate_eliminated": "补偿淘汰方",
    "overrun": "超支系数",
    "booking_period": "入账期",
    "phases": "阶段",
    "duration": "时长",
    "cost_share": "成本占比",
    "pass_probability": "通过概率",
    "value_on_success": "成功价值",
    "value_lag": "价值实现滞后",
    "solver_value_on_success": "揭榜方成功收益",
}


def _labelled(keys: tuple[Key, ...]) -> tuple[Key, ...]:
    """``keys`` (and the keys below them) with their Chinese names."""
    return tuple(
        replace(k, label_zh=CHALLENGE_LABELS_ZH[k.name], children=_labelled(k.children))
        for k in keys
    )


_CHALLENGE = (
    Key(
        "name",
        "text",
        "shown in tables and error messages; addresses the challenge in `--set`",
        DERIVED,
        default_doc="`challenges[i]`",
        allowed_doc="unique text",
    ),
    _int("count", 1, "identical challenges", lo=1),
    Key("group", "text", "correlation group; no group = independent", None, nullable=True),
    Key("category", "text", "free label carried into tables", "", nullable=True),
    _num("start", 0.0, "year the challenge is published", **_NN),
    _num("selection_time", 0.0, "from publication to contract start", **_NN),
    _num("total_investment", REQUIRED, "`I`, planned investment per route", **_POS),
    _prob("demander_share", 0.5, "`D = demander_share × I`"),
    Key(
        "demander_installments",
        "list",
        "paid to the solver at each milestone; shares sum to 1",
        DERIVED,
        min_len=1,
        children=_INSTALLMENT,
        default_doc="0.3 at 0, 0.4 at 1, 0.3 at acceptance (one phase: 0.5 at 0 and 1)",
        allowed_doc="list of `{after, share}` summing to 1",
    ),
    _int("solvers", 1, "parallel routes", lo=1),
    _RACE,
    _dist(
        "overrun",
        1.0,
        "actual cost = `I × overrun`, drawn per route",
        "an overrun factor must be >= 0",
    ),
    _num(
        "booking_period",
        None,
        "null: one payment per phase at its start; else equal payments at the start of each period",
        nullable=True,
        **_POS,
    ),
    Key(
        "phases",
        "list",
        "the stages of the work, each ending in a review",
        list(DEFAULT_PHASES),
        min_len=1,
        children=_PHASE,
        default_doc="development (1 y, 0.4, p 0.75), validation (1 y, 0.6, p 0.67)",
    ),
    _dist(
        "value_on_success",
        0.0,
        "paid by `external` to the demander once per succeeded challenge",
        _VALUE,
    ),
    _num("value_lag", 1.0, "years after acceptance", **_NN),
    _dist(
        "solver_value_on_success",
        0.0,
        "follow-on value (supply, licences, transfer) paid by `external` to each "
        "succeeded route's solver `value_lag` after acceptance",
        _VALUE,
    ),
)

_GUIDED_FUND = Key(
    "guided_fund",
    "section",
    "a government guided venture fund investing in succeeded routes",
    None,
    default_doc="off",
    children=(
        Key("enabled", "boolean", "false: the section is read and checked, then ignored", True),
        _num("size", REQUIRED, "commitments", **_POS),
        _prob("government_share", 0.25, "the government's commitment share (`gov_lp`)"),
        _num("start", 0.0, "year the fund starts", **_NN),
        _num(
            "life",
            10.0,
            "years; a fund that would outlive the horizon is refused",
            allowed_doc="> 0, ≥ invest_years; start + life ≤ horizon",
            **_POS,
        ),
        _num("invest_years", 5.0, "years in which the fund invests", **_NN),
        _num(
            "ticket",
            REQUIRED,
            "investment per succeeded route's venture",
            allowed_doc="(0, size]",
            **_POS,
        ),
        _num("invest_lag", 0.5, "after acceptance", **_NN),
        _dist("holding_period", 4.0, "drawn per venture", "must be >= 0 years"),
        _dist("exit_multiple", 1.0, "drawn per venture", "a multiple must be >= 0"),
        _num("management_fee", 0.015, "× size per year, called from the LPs", lo=0.0, hi=0.2),
        _num("hurdle", 0.06, "European waterfall: the LPs' preferred return", **_UNIT),
        _prob("carry", 0.2, "European waterfall: the GP's share of profit beyond the hurdle"),
        _prob(
            "government_concession",
            0.0,
            "share of the government's profit beyond capital and hurdle ceded to social LPs",
        ),
        _prob(
            "government_first_loss",
            0.0,
            "share of its paid-in capital the government loses first",
        ),
        Key(
            "early_exit",
            "section",
            "the government sells its stake at paid-in plus simple interest",
            None,
            allowed_doc="`{year, rate}`, year ≤ start + life",
            children=(
                _num("year", REQUIRED, "when the government sells", **_NN),
                _num("rate", 0.03, "simple interest per year on paid-in capital", **_NN),
            ),
        ),
    ),
)

#: Who bears a default's loss when ``credit.risk_sharing`` is left out.
DEFAULT_RISK_SHARING = {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.1}

_CREDIT = Key(
    "credit",
    "section",
    "shared-risk loans to the solvers",
    None,
    default_doc="off",
    children=(
        Key("enabled", "boolean", "false: the section is read and checked, then ignored", True),
        _prob("loan_share", 0.5, "of the solver's own funding need `I − D`"),
        _num("interest_rate", 0.045, "per year on the principal", **_UNIT),
        _num("guarantee_fee", 0.01, "per year on the principal", **_UNIT),
        _prob("default_probability_on_failure", 0.5, "a failed route's loan defaults"),
        _prob("default_probability_on_success", 0.02, "a succeeded route's loan defaults"),
        _prob("loss_given_default", 0.6, "share of the principal lost in a default"),
        Key(
            "risk_sharing",
            "section",
            "who bears a default's loss; a party left out bears none",
            None,
            default_doc="guarantor 0.4, reguarantor 0.3, bank 0.2, government 0.1",
            allowed_doc="shares summing to 1",
            children=tuple(_prob(p, 0.0, f"the {p}'s share") for p in DEFAULT_RISK_SHARING),
        ),
    ),
)

#: The whole scenario file.
SCENARIO = Key(
    "",
    "section",
    "a fundflow scenario",
    {},
    children=(
        Key("name", "text", "shown in summaries and manifests", "unnamed scenario"),
        Key("money_unit", "text", "the unit of every amount", "CNY million"),
        _num("horizon", 12.0, "years simulated; nothing happens at or after it", **_POS),
        _num("discount_rate", 0.03, "for NPVs: `x / (1 + r)^t`", lo=-1.0, lo_open=True),
        _GOVERNMENT,
        _SOLVER,
        Key(
            "challenges",
            "list",
            "the published challenge list (or `{from: FILE, sheet: NAME}`, "
            "[challenge-lists.md](challenge-lists.md))",
            REQUIRED,
            min_len=1,
            children=_labelled(_CHALLENGE),
        ),
        Key(
            "correlation",
            "map",
            "one-factor Gaussian copula of review outcomes per group",
            None,
            lo=0.0,
            hi=1.0,
            hi_open=True,
            default_doc="none",
            allowed_doc="group → ρ in [0, 1)",
        ),
        _GUIDED_FUND,
        _CREDIT,
    ),
)

#: Keys whose values are whole numbers (sweeps round sampled values of these).
INTEGER_KEYS: frozenset[str] = integer_keys(SCENARIO)
