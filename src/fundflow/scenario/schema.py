"""The scenario schema: every key of a scenario file, declared once.

:data:`SCENARIO` is a tree of :class:`~fundflow.scenario._schema_core.Key`: each key's kind,
default, bounds or choices and one-line meaning. The validator
(:meth:`fundflow.Scenario.from_dict`), the paths ``--set`` and sweeps accept
(:mod:`fundflow.scenario.overrides`), docs/scenario-reference.md and the JSON Schema that
``fundflow schema`` prints (docs/scenario.schema.json) all come from it.

The declaration spans three modules: this one (the top level, ``government`` and
``solver``), :mod:`fundflow.scenario._schema_challenge` (the keys of a challenge) and
:mod:`fundflow.scenario._schema_instruments` (``guided_fund`` and ``credit``).

Adding a scenario key: add a ``Key`` to the section it belongs to, give the
dataclass in :mod:`fundflow.scenario.config` the field of the same name, use it in the
engine, then regenerate the documents with ``python -m fundflow.scenario.reference``.
"""

from __future__ import annotations

from typing import Any

from fundflow.scenario._schema_challenge import (
    CHALLENGE,
    CHALLENGE_LABELS_ZH,
    DEFAULT_PHASES,
    INSTALLMENT,
)
from fundflow.scenario._schema_core import (
    _NN,
    _POS,
    _RATE,
    REQUIRED,
    Key,
    _int,
    _num,
    _prob,
    integer_keys,
    override_tree,
)
from fundflow.scenario._schema_instruments import CREDIT, DEFAULT_RISK_SHARING, GUIDED_FUND

__all__ = [
    "CHALLENGE_LABELS_ZH",
    "DEFAULT_PHASES",
    "DEFAULT_RISK_SHARING",
    "INTEGER_KEYS",
    "SCENARIO",
    "default_installments",
    "override_tree",
]


def default_installments(n_phases: int) -> list[dict[str, Any]]:
    """A challenge's demander installments when the file gives none."""
    if n_phases == 1:
        return [{"after": 0, "share": 0.5}, {"after": 1, "share": 0.5}]
    return [
        {"after": 0, "share": 0.3},
        {"after": 1, "share": 0.4},
        {"after": n_phases, "share": 0.3},
    ]


_MATCHING = Key(
    "matching",
    "section",
    "the government's match of the investment",
    {},
    children=(
        _num("ratio", 0.25, "match `g = ratio × I` per route", **_RATE),
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
            children=INSTALLMENT,
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
        _num("rate", 0.3, "compensation = `min(rate × base, cap)`", **_RATE),
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
        Key(
            "match_treatment",
            "text",
            "the recipient books the match as non-taxable income (不征税收入, 财税〔2011〕70号: "
            "R&D paid with it may not be deducted) or as taxable income (it pays "
            "rate × usable share of it as `tax_on_subsidy`)",
            "non_taxable",
            choices=("non_taxable", "taxable"),
        ),
        _num(
            "additionality",
            1.0,
            "share of the program's tax forgone that the program causes (the rest would "
            "have been deducted anyway); scales the attributable tax only",
            **_RATE,
        ),
        _num(
            "borne_share",
            1.0,
            "share of the forgone corporate income tax that falls on the program's "
            "government (shared 60:40 central:local; a municipal or provincial program "
            "writes 0.4)",
            **_RATE,
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
                _num("share", REQUIRED, "of the planned investment `I`", **_RATE),
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
            "route is at least this (reported; enforced only through `entry`)",
        ),
        Key(
            "entry",
            "text",
            "how many routes start: `fixed`, every challenge's `solvers`; `equilibrium`, the "
            "bidders who expect at least their reservation NPV enter (free entry, "
            "[model.md](model.md#bidders-and-entry))",
            "fixed",
            choices=("fixed", "equilibrium"),
        ),
        Key(
            "reservation_npv",
            "dist",
            "what a potential bidder could earn elsewhere (money), drawn per replication and "
            "bidder; used with `entry: equilibrium`",
            None,
            nullable=True,
            default_doc="`required_npv`",
            what="a number or a distribution",
        ),
        _int(
            "entry_runs",
            2000,
            "replications of the pilot that estimates `V(k)`, the expected NPV per route with "
            "`k` racing routes (at most the run's replications)",
            lo=1,
        ),
    ),
)


SCENARIO = Key(
    "",
    "section",
    "a fundflow scenario",
    {},
    children=(
        Key("name", "text", "shown in summaries and manifests", "unnamed scenario"),
        Key("money_unit", "text", "the unit of every amount", "CNY million"),
        _num(
            "horizon",
            12.0,
            "years simulated; nothing happens at or after it (at most 200: the engine "
            "keeps a row per year)",
            lo=0.0,
            lo_open=True,
            hi=200.0,
        ),
        _num(
            "discount_rate",
            0.03,
            "for NPVs: `x / (1 + r)^t`",
            lo=-1.0,
            lo_open=True,
            hi=1.0,
            percent=True,
        ),
        _GOVERNMENT,
        _SOLVER,
        Key(
            "challenges",
            "list",
            "the published challenge list (or `{from: FILE, sheet: NAME}`, "
            "[challenge-lists.md](challenge-lists.md))",
            REQUIRED,
            min_len=1,
            children=CHALLENGE,
        ),
        Key(
            "correlation",
            "map",
            "one-factor Gaussian copula of review outcomes per group",
            None,
            lo=0.0,
            hi=1.0,
            hi_open=True,
            percent=True,
            default_doc="none",
            allowed_doc="group → ρ in [0, 1)",
        ),
        GUIDED_FUND,
        CREDIT,
    ),
)

#: Keys whose values are whole numbers (sweeps round sampled values of these).
INTEGER_KEYS: frozenset[str] = integer_keys(SCENARIO)
