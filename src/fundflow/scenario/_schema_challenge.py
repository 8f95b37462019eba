"""The scenario schema: a challenge's keys (the items of ``challenges``).

Part of the one declaration of the scenario keys, :data:`fundflow.scenario.schema.SCENARIO`.
"""

from __future__ import annotations

from dataclasses import replace

from fundflow.scenario._schema_core import (
    _NN,
    _POS,
    DERIVED,
    REQUIRED,
    Key,
    _dist,
    _int,
    _num,
    _prob,
)

__all__ = ["CHALLENGE", "CHALLENGE_LABELS_ZH", "DEFAULT_PHASES", "INSTALLMENT"]

INSTALLMENT = (
    _int("after", REQUIRED, "milestone: 0 = contract start, j = passing review j", lo=0),
    _prob("share", REQUIRED, "share of the payment due at that milestone"),
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
    Key(
        "extension",
        "section",
        "a failed review extended once (延期), at extra cost, then reviewed again with the "
        "same pass probability",
        None,
        default_doc="off",
        allowed_doc="`{probability, duration, cost_share}`",
        children=(
            _prob("probability", REQUIRED, "a failed review is extended instead, per route"),
            _dist(
                "duration", REQUIRED, "drawn per route and phase", "durations must be >= 0 years"
            ),
            _prob("cost_share", REQUIRED, "extra cost, a share of `I × overrun`"),
        ),
    ),
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
    "contract_price": "揭榜金额",
    "demander_installments": "发榜方分期",
    "after": "里程碑",
    "share": "比例",
    "solvers": "揭榜方数量",
    "bidders": "潜在揭榜方数量",
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
    "extension": "延期",
    "probability": "延期概率",
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
    _prob(
        "demander_share",
        0.5,
        "`D = demander_share × I`; used when the challenge gives no `contract_price`",
    ),
    _num(
        "contract_price",
        None,
        "揭榜金额: `D`, the price paid per route for the work (planned cost, overhead and "
        "margin), instead of `demander_share`; give one of the two",
        nullable=True,
        **_NN,
    ),
    Key(
        "demander_installments",
        "list",
        "paid to the solver at each milestone; shares sum to 1",
        DERIVED,
        min_len=1,
        children=INSTALLMENT,
        default_doc="0.3 at 0, 0.4 at 1, 0.3 at acceptance (one phase: 0.5 at 0 and 1)",
        allowed_doc="list of `{after, share}` summing to 1",
    ),
    _int("solvers", 1, "parallel routes", lo=1),
    _int(
        "bidders",
        None,
        "potential solvers; with `solver.entry: equilibrium` at most `solvers` of them start",
        lo=1,
        nullable=True,
        default_doc="`solvers`",
    ),
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

#: A challenge's keys, with their Chinese names.
CHALLENGE = _labelled(_CHALLENGE)
