"""The rows of the label table for the budget by year (``SimulationResult.budget_by_year``,
its printed table and the report's): ``(name, kind, unit, English, Chinese)`` like
:mod:`fundflow.io._label_rows`'s."""

from __future__ import annotations

__all__ = ["YEAR_ROWS"]

# name, kind, unit, English, Chinese
YEAR_ROWS: tuple[tuple[str, str, str | None, str, str], ...] = (
    # --- budget by year (SimulationResult.budget_by_year)
    ("year", "measure", None, "Budget year", "预算年度"),
    (
        "budget_cash_mean",
        "measure",
        "money",
        "Budget cash in the year, mean",
        "当年财政资金支出（均值）",
    ),
    ("budget_cash_p50", "measure", "money", "Budget cash, median", "当年财政资金支出（中位数）"),
    ("budget_cash_p95", "measure", "money", "Budget cash, p95", "当年财政资金支出（95%分位）"),
    ("budget_cash_max", "measure", "money", "Budget cash, maximum", "当年财政资金支出（最大值）"),
    (
        "outside_budget_mean",
        "measure",
        "money",
        "Outside the annual budget (credit losses), mean",
        "年度预算外支出（信贷损失分担，均值）",
    ),
    (
        "committed_unpaid_mean",
        "measure",
        "money",
        "Commitments carried into the next year, mean",
        "结转下年已确认未拨付资金（均值）",
    ),
    (
        "budget_binds_probability",
        "measure",
        "share",
        "Probability that a payment due was not paid in full in the year",
        "当年到期款项未能足额拨付的概率",
    ),
    (
        "fund_calls_mean",
        "measure",
        "money",
        "Fund calls (memo), mean",
        "引导基金出资（备忘，均值）",
    ),
    (
        "tax_forgone_mean",
        "measure",
        "money",
        "Tax forgone (memo), mean",
        "税式支出（备忘，均值）",
    ),
    ("annual_budget", "measure", "money", "Annual budget", "年度预算"),
    # --- short headers of the budget by year printed by `fundflow run`
    ("budget_cash_mean_short", "statistic", None, "Budget cash", "财政资金支出"),
    ("budget_cash_p95_short", "statistic", None, "p95", "95%分位"),
    ("outside_budget_mean_short", "statistic", None, "Outside budget", "预算外"),
    ("committed_unpaid_mean_short", "statistic", None, "Carried over", "结转下年"),
    ("budget_binds_probability_short", "statistic", None, "P(budget binds)", "预算不足概率"),
    ("tax_forgone_mean_short", "statistic", None, "Tax forgone (memo)", "税式支出（备忘）"),
    ("no_annual_budget", "statistic", None, "none", "未设"),
    ("net", "statistic", "money", "Net incl. value", "含价值的净额"),
    (
        "party_net_cash_sign",
        "statistic",
        "money",
        "Net cash by party, mean (+ received, − paid)",
        "各方净现金流均值（+ 收入，− 支出）",
    ),
)
