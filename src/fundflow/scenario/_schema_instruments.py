"""The scenario schema: the guided fund and shared-risk credit sections.

Part of the one declaration of the scenario keys, :data:`fundflow.scenario.schema.SCENARIO`.
"""

from __future__ import annotations

from fundflow.scenario._schema_core import (
    _NN,
    _POS,
    _RATE,
    REQUIRED,
    Key,
    _dist,
    _num,
    _prob,
)

__all__ = ["CREDIT", "DEFAULT_RISK_SHARING", "GUIDED_FUND"]

GUIDED_FUND = Key(
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
        _num(
            "management_fee",
            0.015,
            "× size per year, called from the LPs",
            lo=0.0,
            hi=0.2,
            percent=True,
        ),
        _num("hurdle", 0.06, "European waterfall: the LPs' preferred return", **_RATE),
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
                _num("rate", 0.03, "simple interest per year on paid-in capital", **_RATE),
            ),
        ),
    ),
)

#: Who bears a default's loss when ``credit.risk_sharing`` is left out.
DEFAULT_RISK_SHARING = {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.1}

CREDIT = Key(
    "credit",
    "section",
    "shared-risk loans to the solvers",
    None,
    default_doc="off",
    children=(
        Key("enabled", "boolean", "false: the section is read and checked, then ignored", True),
        _prob("loan_share", 0.5, "of the solver's own funding need `I − D`"),
        _num("interest_rate", 0.045, "per year on the principal", **_RATE),
        _num("guarantee_fee", 0.01, "per year on the principal", **_RATE),
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
        Key(
            "kind",
            "text",
            "`ip_pledge`: loans secured on patents (知识产权质押); on a default the pledged IP "
            "is sold and recovers `min(principal, ip_value × principal × ip_uplift^passed)` "
            "instead of `(1 − loss_given_default) × principal`",
            "unsecured",
            choices=("unsecured", "ip_pledge"),
        ),
        _dist(
            "ip_value",
            0.0,
            "`ip_pledge`: the pledged IP's value as a multiple of the principal, drawn per route",
            "a multiple must be >= 0",
        ),
        _num(
            "ip_uplift",
            1.0,
            "`ip_pledge`: the IP's value is multiplied by this for each review the route "
            "passed before it defaults",
            **_NN,
        ),
        Key(
            "equity_link",
            "section",
            "investment-loan linkage (投贷联动): the bank takes `share` of the follow-on value "
            "`solver_value_on_success` of each succeeded route it lent to",
            None,
            default_doc="off",
            allowed_doc="`{share}`",
            children=(
                _prob("share", REQUIRED, "of the solver's follow-on value paid to the bank"),
            ),
        ),
        Key(
            "risk_pool",
            "section",
            "a government risk-compensation pool (风险补偿资金池): on each default it pays "
            "the lenders `min(balance, share × loss)` by their `risk_sharing` shares, then "
            "the government's share of the rest while money is left",
            None,
            default_doc="off",
            allowed_doc="`{size, share, top_up}`",
            children=(
                _num("size", REQUIRED, "endowed by the government at the start", **_POS),
                _prob("share", REQUIRED, "of each default's loss the pool pays the lenders"),
                Key(
                    "top_up",
                    "boolean",
                    "restored to `size` at each budget year's start (outside the annual budget)",
                    False,
                ),
            ),
        ),
    ),
)

#: The whole scenario file.
