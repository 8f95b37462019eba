"""The measures of the runs table, once: name, unit, loss-like or not, label.

Every reader of the measures takes its facts from here: :mod:`fundflow.results.measures`
(:data:`LOSS_MEASURES`, :data:`RATIO_MEASURES`), the summary (which measures get
the statistics of losses: VaR, CVaR, a loss probability), the sweep table's columns
(:func:`sweep_statistics`, without simulating anything) and the label table
(:mod:`fundflow.io.labels`, whose units a test checks against these). Definitions
of the measures: docs/model.md, "What is reported".

Units are :mod:`fundflow.io.labels`' unit kinds: ``"money"`` (the scenario's money
unit), ``"years"``, ``"count"``, ``"share"``, ``"ratio"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fundflow.results.statistics import sweep_columns

__all__ = [
    "LOSS_MEASURES",
    "RATIOS",
    "RATIO_MEASURES",
    "RUN_MEASURES",
    "MeasureInfo",
    "RatioInfo",
    "run_columns",
    "sweep_statistics",
]


@dataclass(frozen=True)
class MeasureInfo:
    """One column of the runs table.

    Attributes
    ----------
    name : str
        The column's name.
    unit : str
        Its unit kind (:data:`fundflow.io.labels.UNITS`).
    loss : bool
        Loss-like (positive = loss): its summary adds VaR, CVaR and the
        probability of a loss, a sweep its CVaR 95% and loss probability.
    label : str
        Its key in :data:`fundflow.io.labels.LABELS`.
    """

    name: str
    unit: str
    loss: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


@dataclass(frozen=True)
class RatioInfo:
    """A program ratio, reported as the ratio of the means of two runs columns."""

    name: str
    unit: str
    numerator: str
    denominator: str
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


_M, _LOSS = MeasureInfo, True

#: The runs table's columns, in their order (:func:`fundflow.results.block_measures.measure_block`).
RUN_MEASURES: tuple[MeasureInfo, ...] = (
    # government, by kind of money (docs/model.md, "Kinds of government money")
    _M("gov_budget_cost", "money", _LOSS),
    _M("gov_fund_net_cost", "money"),
    _M("gov_tax_forgone", "money"),
    _M("gov_tax_attributable", "money"),
    _M("gov_net_cost", "money", _LOSS),
    _M("gov_gross_outlay", "money"),
    _M("gov_recoveries", "money"),
    _M("gov_npv_budget_cost", "money", _LOSS),
    _M("gov_npv_net_cost", "money", _LOSS),
    _M("gov_peak_exposure", "money", _LOSS),
    _M("gov_wasted_outlay", "money"),
    _M("gov_committed_unpaid", "money"),
    _M("gov_delayed_payments", "count"),
    _M("gov_mean_delay", "years"),
    _M("nongov_funding", "money"),
    _M("nongov_funding_all_in", "money"),
    # solvers, demanders, the program
    _M("solver_net_cash", "money"),
    _M("solver_npv", "money"),
    _M("solver_mean_npv", "money"),
    _M("solver_loss", "money", _LOSS),
    _M("solver_loss_share", "share"),
    _M("solver_participation_share", "share"),
    _M("solver_peak_funding_gap", "money"),
    _M("financing_failures", "count"),
    _M("demander_net_cost", "money", _LOSS),
    _M("demander_value", "money"),
    _M("demander_npv", "money"),
    _M("solver_value", "money"),
    _M("rd_spending", "money"),
    _M("routes_started", "count"),
    _M("challenges_succeeded", "count"),
    _M("success_rate", "share"),
    # tax, guided fund, credit
    _M("gov_guarantee_loss", "money"),
    _M("fund_investments", "count"),
    _M("fund_gov_paid_in", "money"),
    _M("fund_gov_tvpi", "ratio"),
    _M("fund_gov_irr", "share"),
    _M("fund_social_paid_in", "money"),
    _M("fund_social_tvpi", "ratio"),
    _M("fund_social_irr", "share"),
    _M("fund_social_net_cash", "money"),
    _M("loan_defaults", "count"),
    _M("loans_outstanding", "money"),
    _M("bank_loss", "money", _LOSS),
    _M("guarantor_loss", "money", _LOSS),
    _M("reguarantor_loss", "money", _LOSS),
    _M("pool_payouts", "money"),
    _M("pool_left", "money"),
    _M("bank_link_income", "money"),
    _M("bank_net", "money"),
    _M("bank_net_without_link", "money"),
    # entry
    _M("challenges_unfilled", "count"),
)

#: Program ratios, reported as ratios of means (docs/model.md, "What is reported").
RATIOS: tuple[RatioInfo, ...] = (
    RatioInfo("gov_cost_per_success", "money", "gov_budget_cost", "challenges_succeeded"),
    RatioInfo("leverage", "ratio", "nongov_funding", "gov_budget_cost"),
    RatioInfo("leverage_all_in", "ratio", "nongov_funding_all_in", "gov_net_cost"),
)

#: Loss-like measures of the runs table (VaR, CVaR and loss probability reported).
LOSS_MEASURES: tuple[str, ...] = tuple(m.name for m in RUN_MEASURES if m.loss)

#: Program ratios, name -> (numerator, denominator) columns of the runs table.
RATIO_MEASURES: dict[str, tuple[str, str]] = {r.name: (r.numerator, r.denominator) for r in RATIOS}


def run_columns() -> list[str]:
    """The runs table's columns, in order."""
    return [m.name for m in RUN_MEASURES]


def sweep_statistics() -> list[str]:
    """The statistics a sweep table has per design point, in its column order.

    ``{measure}_{statistic}`` of every runs measure for the statistics registered
    with ``sweep=True`` (:func:`fundflow.results.statistics.sweep_columns`):
    ``_mean`` and ``_se``, with ``_cvar95`` and ``_prob_loss`` after those of a
    loss-like one; then ``{ratio}_mean`` and ``_se`` of every program ratio.
    """
    names: list[str] = []
    for m in RUN_MEASURES:
        names += [f"{m.name}_{stat}" for stat in sweep_columns(m.loss)]
    for r in RATIOS:
        names += [f"{r.name}_mean", f"{r.name}_se"]
    return names
