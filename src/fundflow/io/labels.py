"""Readable labels and units, in English and Chinese: one table for the whole package.

Every measure of the ``runs`` and ``routes`` tables, every column of a summary or
a comparison, every party, every route status and every sentence the command
line prints or a figure shows (kind ``"text"``) has one row in :data:`LABELS`:
its English and Chinese label and its unit. Units are kinds, not strings:

* ``"money"`` -- the scenario's ``money_unit`` (``"CNY million"``; in Chinese a
  known unit is translated, ``"百万元"``);
* ``"years"``, ``"count"``, ``"share"`` (a fraction in [0, 1], shown as a
  percentage), ``"ratio"`` (a multiple);
* ``"pp"`` -- a difference of two shares, kept as a fraction and shown in
  percentage points (``-0.016`` -> ``-1.6 pp``), so that it is never read as a
  relative change (:func:`difference_unit`);
* ``"same"`` -- a summary statistic in the unit of the measure it describes (mean,
  percentiles, VaR...);
* ``None`` -- no unit (identifiers, names, flags).

Nothing else in fundflow spells out a label: the CLI, the exports and the
summary relabelling all read this table. A measure added to
:mod:`fundflow.results.measures` needs a row here too (a test checks it); until it has
one it is shown under its code name, never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundflow.errors import ConfigError

__all__ = [
    "LABELS",
    "LANGS",
    "UNITS",
    "Label",
    "check_lang",
    "difference_unit",
    "format_number",
    "format_values",
    "header",
    "label",
    "relabel_columns",
    "relabel_summary",
    "text",
    "unit_of",
    "unit_text",
    "value_format",
]

#: Languages with labels.
LANGS: tuple[str, ...] = ("en", "zh")

#: Unit kinds a label may carry (``None``: no unit).
UNITS: tuple[str, ...] = ("money", "years", "count", "share", "ratio", "pp", "same")


@dataclass(frozen=True)
class Label:
    """One row of the label table."""

    name: str
    kind: str  # "measure", "statistic", "party", "status"
    unit: str | None
    en: str
    zh: str


# name, kind, unit, English, Chinese
_ROWS: tuple[tuple[str, str, str | None, str, str], ...] = (
    # --- runs: government
    ("gov_gross_outlay", "measure", "money", "Government gross outlay", "政府总支出"),
    ("gov_recoveries", "measure", "money", "Government recoveries", "政府回收资金"),
    ("gov_net_cost", "measure", "money", "Government net cost", "政府净成本"),
    ("gov_npv_net_cost", "measure", "money", "Government net cost, NPV", "政府净成本现值"),
    ("gov_peak_exposure", "measure", "money", "Government peak exposure", "政府峰值风险敞口"),
    (
        "gov_wasted_outlay",
        "measure",
        "money",
        "Government outlay on failed routes",
        "政府在失败路线上的支出",
    ),
    (
        "gov_committed_unpaid",
        "measure",
        "money",
        "Government committed but unpaid",
        "政府已承诺未支付资金",
    ),
    ("gov_delayed_payments", "measure", "count", "Delayed government payments", "政府延迟支付笔数"),
    ("gov_mean_delay", "measure", "years", "Mean payment delay", "平均支付延迟"),
    (
        "gov_cost_per_success",
        "measure",
        "money",
        "Government net cost per succeeded challenge",
        "每个成功榜单的政府净成本",
    ),
    (
        "leverage",
        "measure",
        "ratio",
        "Other money per unit of government net cost",
        "财政资金杠杆率",
    ),
    (
        "nongov_funding",
        "measure",
        "money",
        "Non-government money in the projects",
        "投入项目的非财政资金",
    ),
    (
        "gov_tax_expenditure",
        "measure",
        "money",
        "Tax expenditure (R&D super-deduction)",
        "税式支出（研发费用加计扣除）",
    ),
    (
        "gov_guarantee_loss",
        "measure",
        "money",
        "Government share of loan losses",
        "政府分担的贷款损失",
    ),
    (
        "gov_fund_net_cost",
        "measure",
        "money",
        "Government net cost in the guided fund",
        "政府在引导基金中的净成本",
    ),
    # --- runs: solvers, demanders, program
    ("solver_net_cash", "measure", "money", "Solver net cash", "揭榜方净现金流"),
    ("solver_npv", "measure", "money", "Solver NPV", "揭榜方净现值"),
    (
        "solver_mean_npv",
        "measure",
        "money",
        "Mean solver NPV per route",
        "每条路线揭榜方平均净现值",
    ),
    ("solver_loss", "measure", "money", "Solver loss", "揭榜方损失"),
    ("solver_loss_share", "measure", "share", "Share of solvers with a loss", "亏损揭榜方占比"),
    (
        "solver_participation_share",
        "measure",
        "share",
        "Share of solvers not losing in NPV (would take part)",
        "净现值不亏损的揭榜方占比（愿意参与）",
    ),
    (
        "solver_peak_funding_gap",
        "measure",
        "money",
        "Solver peak funding gap",
        "揭榜方最大资金缺口",
    ),
    ("financing_failures", "measure", "count", "Financing failures", "资金链断裂失败数"),
    ("demander_net_cost", "measure", "money", "Demander net cost", "发榜方净成本"),
    ("demander_value", "measure", "money", "Demander value realised", "发榜方实现的商业价值"),
    ("demander_npv", "measure", "money", "Demander NPV", "发榜方净现值"),
    ("solver_value", "measure", "money", "Solver value realised", "揭榜方实现的价值"),
    ("rd_spending", "measure", "money", "R&D spending", "研发支出"),
    ("routes_started", "measure", "count", "Routes started", "启动的技术路线数"),
    ("challenges_succeeded", "measure", "count", "Challenges succeeded", "成功的榜单数"),
    ("success_rate", "measure", "share", "Challenge success rate", "榜单成功率"),
    # --- runs: guided fund, credit
    ("fund_investments", "measure", "count", "Fund investments", "基金投资项目数"),
    (
        "fund_gov_paid_in",
        "measure",
        "money",
        "Government paid-in to the fund",
        "政府对基金实缴出资",
    ),
    ("fund_gov_tvpi", "measure", "ratio", "Government TVPI in the fund", "政府出资的总回报倍数"),
    ("fund_gov_irr", "measure", "share", "Government IRR in the fund", "政府出资的内部收益率"),
    (
        "fund_social_paid_in",
        "measure",
        "money",
        "Social LPs' paid-in to the fund",
        "社会资本对基金实缴出资",
    ),
    ("fund_social_tvpi", "measure", "ratio", "Social LPs' TVPI", "社会资本的总回报倍数"),
    ("fund_social_irr", "measure", "share", "Social LPs' IRR", "社会资本的内部收益率"),
    ("fund_social_net_cash", "measure", "money", "Social LPs' net cash", "社会资本净现金流"),
    ("loan_defaults", "measure", "count", "Loan defaults", "贷款违约笔数"),
    ("loans_outstanding", "measure", "money", "Loans outstanding at the horizon", "期末未偿还贷款"),
    ("bank_loss", "measure", "money", "Bank loss", "银行损失"),
    ("guarantor_loss", "measure", "money", "Guarantor loss", "担保公司损失"),
    ("reguarantor_loss", "measure", "money", "Re-guarantor loss", "再担保机构损失"),
    # --- routes table
    ("replication", "measure", None, "Replication", "模拟序号"),
    ("route", "measure", None, "Route", "技术路线"),
    ("challenge", "measure", None, "Challenge", "榜单"),
    ("challenge_name", "measure", None, "Challenge name", "榜单名称"),
    ("status", "measure", None, "Status", "状态"),
    ("end_time", "measure", "years", "End time", "结束时间"),
    ("end_review", "measure", None, "Last review", "最后一次评审"),
    ("misconduct", "measure", None, "Misconduct", "存在不端行为"),
    ("cost_spent", "measure", "money", "R&D cost spent", "已支出研发成本"),
    ("demander_paid", "measure", "money", "Paid by the demander", "发榜方已付款"),
    ("gov_matching", "measure", "money", "Government matching paid", "政府配套资金"),
    ("gov_compensation", "measure", "money", "Error-tolerance compensation", "容错补偿"),
    ("gov_clawback", "measure", "money", "Clawed back by the government", "政府追回资金"),
    ("gov_success_award", "measure", "money", "Success award", "成功奖励"),
    # --- challenges table (SimulationResult.challenges)
    ("copies", "measure", "count", "Copies", "榜单份数"),
    ("success_probability", "measure", "share", "Success probability", "成功概率"),
    (
        "solver_npv_per_route",
        "measure",
        "money",
        "Solver expected NPV per route",
        "每条路线揭榜方期望净现值",
    ),
    ("solver_npv_se", "measure", "money", "Solver NPV per route, std. error", "揭榜方净现值标准误"),
    (
        "solver_npv_ci_low",
        "measure",
        "money",
        "Solver NPV per route, 95% CI low",
        "揭榜方净现值95%置信区间下限",
    ),
    (
        "solver_npv_ci_high",
        "measure",
        "money",
        "Solver NPV per route, 95% CI high",
        "揭榜方净现值95%置信区间上限",
    ),
    ("required_npv", "measure", "money", "Required solver NPV", "揭榜方要求的最低净现值"),
    (
        "clears_required_npv",
        "measure",
        None,
        "Solvers would take part (NPV clears the bar)",
        "揭榜方愿意参与（净现值达标）",
    ),
    (
        "gov_challenge_net_cost",
        "measure",
        "money",
        "Government net cost per challenge (guided fund excluded)",
        "每个榜单的政府净成本（不含引导基金）",
    ),
    (
        "gov_challenge_net_cost_se",
        "measure",
        "money",
        "Government net cost per challenge, std. error",
        "每个榜单的政府净成本标准误",
    ),
    ("demander_npv_se", "measure", "money", "Demander NPV, std. error", "发榜方净现值标准误"),
    # --- sweep and optimisation outputs that are not {measure}_{statistic}
    (
        "solver_npv_min",
        "measure",
        "money",
        "Lowest solver expected NPV per route over challenges",
        "各榜单每条路线揭榜方期望净现值的最小值",
    ),
    (
        "solver_npv_min_se",
        "measure",
        "money",
        "Lowest solver NPV per route, std. error",
        "揭榜方期望净现值最小值的标准误",
    ),
    # --- party table (SimulationResult.party_table)
    (
        "program_cash",
        "statistic",
        "money",
        "Program cash (excl. realised value)",
        "项目现金流（不含实现的价值）",
    ),
    ("realised_value", "statistic", "money", "Realised value", "实现的价值"),
    ("yes", "statistic", None, "yes", "是"),
    # --- short headers and the caption of the per-challenge table printed by `fundflow run`
    ("success_short", "statistic", None, "P(success)", "成功概率"),
    ("solver_npv_short", "statistic", None, "Solver NPV/route", "揭榜方净现值/路线"),
    ("clears_short", "statistic", None, "Takes part", "愿意参与"),
    ("gov_cost_short", "statistic", None, "Gov. net cost", "政府净成本"),
    ("demander_npv_short", "statistic", None, "Demander NPV", "发榜方净现值"),
    (
        "challenges_caption",
        "statistic",
        None,
        "Per challenge, copies pooled ({money}): solver NPV per route started, discounted,"
        " with its 95% CI; takes part when it is >= {required}; government net cost of one"
        " copy, guided fund excluded",
        "按榜单（同名榜单合并，{money}）：每条已启动路线的揭榜方净现值（贴现）及其95%置信区间；"
        "不低于 {required} 时愿意参与；政府净成本按每个榜单计，不含引导基金",
    ),
    ("no", "statistic", None, "no", "否"),
    ("net", "statistic", "money", "Net incl. value", "含价值的净额"),
    (
        "party_net_cash_sign",
        "statistic",
        "money",
        "Net cash by party, mean (+ received, − paid)",
        "各方净现金流均值（+ 收入，− 支出）",
    ),
    # --- summary statistics (metrics.summarize)
    ("measure", "statistic", None, "Measure", "指标"),
    ("code", "statistic", None, "Code", "代码"),
    ("mean", "statistic", "same", "Mean", "均值"),
    ("se", "statistic", "same", "Std. error", "标准误"),
    ("ci_low", "statistic", "same", "95% CI low", "95%置信区间下限"),
    ("ci_high", "statistic", "same", "95% CI high", "95%置信区间上限"),
    ("std", "statistic", "same", "Std. dev.", "标准差"),
    ("p5", "statistic", "same", "5th percentile", "第5百分位数"),
    ("p50", "statistic", "same", "Median", "中位数"),
    ("p95", "statistic", "same", "95th percentile", "第95百分位数"),
    ("n", "statistic", "count", "Replications", "样本数"),
    ("var95", "statistic", "same", "VaR 95%", "95% VaR"),
    ("cvar95", "statistic", "same", "CVaR 95%", "95% CVaR（期望损失）"),
    ("var99", "statistic", "same", "VaR 99%", "99% VaR"),
    ("cvar99", "statistic", "same", "CVaR 99%", "99% CVaR（期望损失）"),
    ("prob_loss", "statistic", "share", "Probability of a loss", "亏损概率"),
    ("ci95", "statistic", "same", "95% CI", "95%置信区间"),
    ("p5_p95", "statistic", "same", "p5 – p95", "5%–95%分位区间"),
    ("party_net_cash", "statistic", "money", "Net cash by party", "各方净现金流"),
    # --- comparison columns (fundflow.compare)
    ("mean_a", "statistic", "same", "Mean A", "A 均值"),
    ("mean_b", "statistic", "same", "Mean B", "B 均值"),
    ("mean_diff", "statistic", "same", "Difference A − B", "差值 A − B"),
    ("rel_diff", "statistic", "share", "Difference relative to B", "相对 B 的变化"),
    ("unpaired_se", "statistic", "same", "Unpaired std. error", "非配对标准误"),
    (
        "ci_width_ratio",
        "statistic",
        "ratio",
        "CI width, paired / unpaired",
        "置信区间宽度比（配对/非配对）",
    ),
    ("cvar95_a", "statistic", "same", "CVaR 95% A", "A 的 95% CVaR"),
    ("cvar95_b", "statistic", "same", "CVaR 95% B", "B 的 95% CVaR"),
    ("cvar95_diff", "statistic", "same", "CVaR 95% difference A − B", "95% CVaR 差值 A − B"),
    ("cvar95_diff_ci", "statistic", "same", "95% CI of the difference", "差值95%置信区间"),
    (
        "cvar95_diff_ci_low",
        "statistic",
        "same",
        "CVaR difference, 95% CI low",
        "CVaR 差值95%置信区间下限",
    ),
    (
        "cvar95_diff_ci_high",
        "statistic",
        "same",
        "CVaR difference, 95% CI high",
        "CVaR 差值95%置信区间上限",
    ),
    # --- parties (docs/model.md, "Parties")
    ("external", "party", None, "Rest of the economy", "外部经济主体"),
    ("government", "party", None, "Government", "政府"),
    (
        "gov_lp_of_which",
        "party",
        None,
        "  of which: guided fund (gov_lp)",
        "  其中：引导基金（政府出资人）",
    ),
    ("demander", "party", None, "Demander", "发榜方（需求方）"),
    ("solver", "party", None, "Solver", "揭榜方"),
    ("venture", "party", None, "Venture", "成果转化企业"),
    ("fund", "party", None, "Guided fund", "政府引导基金"),
    ("gov_lp", "party", None, "Government LP", "政府出资人"),
    ("social_lp", "party", None, "Social LPs", "社会资本出资人"),
    ("fund_manager", "party", None, "Fund manager", "基金管理人"),
    ("bank", "party", None, "Bank", "银行"),
    ("guarantor", "party", None, "Guarantor", "担保公司"),
    ("reguarantor", "party", None, "Re-guarantor", "再担保机构"),
    # --- route status (the routes table's ``status`` values)
    ("running", "status", None, "running", "进行中"),
    ("succeeded", "status", None, "succeeded", "成功"),
    ("failed", "status", None, "failed", "失败"),
    ("eliminated", "status", None, "eliminated", "被淘汰"),
    ("financing_failure", "status", None, "financing failure", "资金链断裂"),
    ("not_started", "status", None, "not started", "未启动"),
    # --- sentences of the command line and the figures (kind "text"; fields in braces,
    #     filled by text())
    ("msg_replications", "text", None, "{runs:,} replications", "{runs:,} 次模拟"),
    ("msg_seed", "text", None, "seed {seed}", "随机种子 {seed}"),
    (
        "msg_fresh_seed",
        "text",
        None,
        " (fresh; pass --seed to repeat)",
        "（新生成；用 --seed 复现）",
    ),
    ("msg_workers", "text", None, "{workers} worker(s)", "{workers} 个进程"),
    ("msg_seconds", "text", None, "{seconds:.1f} s", "用时 {seconds:.1f} 秒"),
    ("msg_list_sep", "text", None, ", ", "，"),
    (
        "msg_describe",
        "text",
        None,
        "{name}: {challenges} challenges, {routes} routes, matching {ratio} ({mode}), "
        "horizon {horizon} years, money in {unit}{extras}",
        "{name}：{challenges} 个榜单，{routes} 条路线，配套比例 {ratio}（{mode}），"
        "模拟期 {horizon} 年，金额单位 {unit}{extras}",
    ),
    ("msg_with_fund", "text", None, "guided fund", "政府引导基金"),
    ("msg_with_credit", "text", None, "credit", "政银担信贷"),
    ("msg_and", "text", None, " and ", "和"),
    (
        "msg_converged",
        "text",
        None,
        "converged: relative SE of the government net cost {achieved:.4g} < target {target:g} "
        "after {runs:,} replications",
        "已收敛：{runs:,} 次模拟后政府净成本的相对标准误为 {achieved:.4g}，低于目标 {target:g}",
    ),
    (
        "msg_not_converged",
        "text",
        None,
        "not converged: hit --max-runs {max_runs:,} with relative SE {achieved:.4g} "
        "(target {target:g})",
        "未收敛：已达 --max-runs {max_runs:,} 次模拟，相对标准误 {achieved:.4g}（目标 {target:g}）",
    ),
    (
        "msg_dropped",
        "text",
        None,
        "({count} measures zero or undefined in every replication: {names})",
        "（{count} 个指标在每次模拟中均为零或无定义：{names}）",
    ),
    (
        "msg_dropped_both",
        "text",
        None,
        "({count} measures zero or undefined in both: {names})",
        "（{count} 个指标在两个情景中均为零或无定义：{names}）",
    ),
    (
        "msg_wrote",
        "text",
        None,
        "wrote {count} files to {out}: {names}",
        "已写入 {count} 个文件到 {out}：{names}",
    ),
    (
        "msg_compare_runs",
        "text",
        None,
        "{runs:,} replications of each on common random numbers, seed {seed}{note}; "
        "differences are A − B, CI width ratio = paired / unpaired",
        "每个情景 {runs:,} 次模拟，使用共同随机数，随机种子 {seed}{note}；"
        "差值为 A − B，置信区间宽度比 = 配对 / 非配对",
    ),
    (
        "msg_headline",
        "text",
        None,
        "{measure}: A − B = {diff} {money} ({rel} of B; 95% CI {low} to {high}); "
        "CVaR 95% A − B = {tail_diff} ({tail_rel} of B)",
        "{measure}：A − B = {diff} {money}（相对 B {rel}；95%置信区间 {low} 至 {high}）；"
        "95% CVaR A − B = {tail_diff}（相对 B {tail_rel}）",
    ),
    ("fig_replications", "text", None, "replications", "模拟"),
    ("fig_replications_count", "text", None, "Replications (count)", "模拟次数（个）"),
    ("fig_subtitle", "text", None, "{name}, {n:,} replications", "{name}，{n:,} 次模拟"),
    ("fig_mean_is", "text", None, "mean = {value}", "均值 = {value}"),
    ("fig_values_in", "text", None, "values in {unit}", "单位：{unit}"),
    ("fig_distribution", "text", None, "Distribution of {measure}", "{measure}的分布"),
    ("fig_loss", "text", None, "Loss", "损失"),
    ("fig_exceedance", "text", None, "Exceedance probability P(X > x)", "超越概率 P(X > x)"),
    ("fig_exceedance_title", "text", None, "Exceedance curves", "超越概率曲线"),
    ("fig_band", "text", None, "{lo}th–{hi}th percentile", "第 {lo}–{hi} 百分位"),
    ("fig_median", "text", None, "median", "中位数"),
    ("fig_mean", "text", None, "mean", "均值"),
    ("fig_time", "text", None, "Time (years)", "时间（年）"),
    ("fig_outflow", "text", None, "Cumulative net outflow ({unit})", "累计净流出（{unit}）"),
    ("fig_exposure_title", "text", None, "Government exposure over time", "政府风险敞口随时间变化"),
    ("fig_no_difference", "text", None, "no difference", "无差异"),
    ("fig_ci", "text", None, "95% CI [{low}, {high}]", "95%置信区间 [{low}, {high}]"),
    ("fig_paired", "text", None, "Paired difference in {measure}", "{measure}的配对差值"),
    ("fig_pairs", "text", None, "{n:,} pairs", "{n:,} 对"),
    (
        "fig_higher",
        "text",
        None,
        "replications ({a} higher in {share})",
        "模拟（{a} 更高的占 {share}）",
    ),
    ("fig_versus", "text", None, "{measure}: {b} vs {a}", "{measure}：{b} 对 {a}"),
    ("fig_same_replications", "text", None, "same replications", "相同的模拟"),
    ("fig_response", "text", None, "{measure} vs {lever}", "{measure}随 {lever} 的变化"),
    ("fig_design_points", "text", None, "{n:,} design points", "{n:,} 个设计点"),
    ("fig_error_bars", "text", None, "bars ± {k} × {err}", "误差棒 ± {k} × {err}"),
    ("fig_morris", "text", None, "Morris elementary effect ({unit})", "Morris 基本效应（{unit}）"),
    ("fig_output_unit", "text", None, "unit of the output", "输出的单位"),
    (
        "fig_sobol",
        "text",
        None,
        "Sobol index (share of output variance)",
        "Sobol 指数（占输出方差的比例）",
    ),
    ("fig_input", "text", None, "Input", "输入参数"),
    ("fig_inputs", "text", None, "{n} inputs", "{n} 个输入参数"),
    ("fig_sensitivity", "text", None, "Sensitivity of {output}", "{output}的敏感性"),
    ("fig_whiskers", "text", None, "whiskers: 95% confidence", "须线：95%置信区间"),
    ("fig_dominated", "text", None, "dominated", "被占优"),
    ("fig_dominated_inf", "text", None, "dominated, infeasible", "被占优，不可行"),
    ("fig_efficient", "text", None, "Pareto-efficient", "帕累托有效"),
    ("fig_efficient_inf", "text", None, "Pareto-efficient, infeasible", "帕累托有效，不可行"),
    (
        "fig_pareto",
        "text",
        None,
        "Pareto front: government vs solver risk",
        "帕累托前沿：政府风险与揭榜方风险",
    ),
)

#: Every label by name.
LABELS: Mapping[str, Label] = {row[0]: Label(*row) for row in _ROWS}

_UNIT_TEXT: dict[str, tuple[str, str]] = {
    "years": ("years", "年"),
    "count": ("count", "个"),
    "share": ("share", "比例"),
    "ratio": ("ratio", "倍"),
    "pp": ("percentage points", "百分点"),
}

# Money units with a usual Chinese name; others are shown as written.
_MONEY_ZH: dict[str, str] = {
    "CNY": "元",
    "CNY thousand": "千元",
    "CNY 10 thousand": "万元",
    "CNY ten thousand": "万元",
    "CNY million": "百万元",
    "CNY 100 million": "亿元",
    "CNY billion": "十亿元",
    "USD": "美元",
    "USD million": "百万美元",
}


def check_lang(lang: str, option: str = "lang") -> str:
    """Return `lang` if labels exist for it, else raise :class:`ConfigError` naming `option`."""
    if lang not in LANGS:
        raise ConfigError(option, lang, f"must be one of {', '.join(LANGS)}")
    return lang


def label(name: str, lang: str = "en") -> str:
    """The label of `name` in `lang` (the name itself when the table has no row for it)."""
    check_lang(lang)
    row = LABELS.get(str(name))
    if row is None:
        return str(name)
    return row.zh if lang == "zh" else row.en


def text(name: str, lang: str = "en", /, **fields: object) -> str:
    """A sentence of the command line or of a figure in `lang`, `fields` filled in.

    Examples
    --------
    >>> text("msg_replications", "zh", runs=10000)
    '10,000 次模拟'
    """
    return label(name, lang).format(**fields)


def unit_of(name: str) -> str | None:
    """The unit kind of `name` (``None`` for unknown names and unitless columns)."""
    row = LABELS.get(str(name))
    return row.unit if row else None


def unit_text(unit: str | None, lang: str = "en", money_unit: str = "CNY million") -> str:
    """The unit as shown in a header: ``"CNY million"``, ``"百万元"``, ``"years"``..."""
    check_lang(lang)
    if unit is None or unit == "same":
        return ""
    if unit == "money":
        return _MONEY_ZH.get(money_unit, money_unit) if lang == "zh" else money_unit
    en, zh = _UNIT_TEXT[unit]
    return zh if lang == "zh" else en


def difference_unit(unit: str | None) -> str | None:
    """The unit of a difference of two values in `unit`: shares differ in percentage points.

    A change from 12.0% to 10.4% is ``-1.6 pp``; ``-1.6%`` would read as a relative
    change. Other units are unchanged.
    """
    return "pp" if unit == "share" else unit


def header(
    name: str, lang: str = "en", money_unit: str = "CNY million", unit: str | None = None
) -> str:
    """Label with its unit: ``"Government net cost (CNY million)"``, ``"政府净成本（百万元）"``.

    `unit` overrides the table's unit (used for a statistic in its measure's unit).
    """
    text = label(name, lang)
    shown = unit_text(unit if unit is not None else unit_of(name), lang, money_unit)
    if not shown:
        return text
    return f"{text}（{shown}）" if lang == "zh" else f"{text} ({shown})"


_STATISTICS = sorted((n for n, r in LABELS.items() if r.kind == "statistic"), key=len, reverse=True)


def split_statistic(name: str) -> tuple[str, str | None]:
    """A sweep column as (measure, statistic): ``gov_net_cost_cvar95`` -> ``(gov_net_cost,
    cvar95)``; a name with a label of its own, or no known suffix -> ``(name, None)``."""
    if name not in LABELS:
        for stat in _STATISTICS:  # longest first: "_prob_loss" before "_loss"
            base = name[: -len(stat) - 1]
            if name.endswith(f"_{stat}") and base in LABELS:
                return base, stat
    return name, None


def column_header(name: str, lang: str = "en", money_unit: str = "CNY million") -> str:
    """Header of a measure or a sweep column: ``"Government net cost, CVaR 95% (CNY
    million)"``; statistics in their measure's unit unless they have their own."""
    base, stat = split_statistic(name)
    if stat is None:
        return header(name, lang, money_unit)
    unit = unit_of(stat)
    text = f"{label(base, lang)}{'，' if lang == 'zh' else ', '}{label(stat, lang)}"
    if text and lang == "en":
        first, _, rest = label(stat, lang).partition(" ")
        if first.isalpha() and first[1:].islower():
            text = f"{label(base, lang)}, {first.lower()} {rest}".rstrip()
    shown = unit_text(unit_of(base) if unit in (None, "same") else unit, lang, money_unit)
    if not shown:
        return text
    return f"{text}（{shown}）" if lang == "zh" else f"{text} ({shown})"


def relabel_summary(
    summary: pd.DataFrame, lang: str = "en", money_unit: str = "CNY million"
) -> pd.DataFrame:
    """A summary (or comparison) table with readable row and column labels.

    Rows (measures) are labelled with their unit, ``"Government net cost (CNY
    million)"``; columns (statistics) with their names, ``"Mean"``, ``"CVaR 95%"``.
    The values are unchanged.

    Raises
    ------
    ConfigError
        If `lang` is not one of :data:`LANGS`.
    """
    check_lang(lang)
    out = summary.copy()
    out.index = pd.Index(
        [header(m, lang, money_unit) for m in summary.index], name=label("measure", lang)
    )
    out.columns = pd.Index([label(c, lang) for c in summary.columns])
    return out


def relabel_columns(
    frame: pd.DataFrame, lang: str = "en", money_unit: str = "CNY million"
) -> pd.DataFrame:
    """A runs or routes table with headers ``label (unit)``, index levels labelled too.

    Route status values and party names in a column are translated as well.
    """
    check_lang(lang)
    out = frame.copy()
    if "status" in out.columns and lang != "en":
        out["status"] = [label(str(s), lang) for s in out["status"]]
    out.columns = pd.Index([header(str(c), lang, money_unit) for c in frame.columns])
    out.index = out.index.set_names([label(str(n), lang) if n else n for n in frame.index.names])
    return out


# --------------------------------------------------------------------------- numbers


def _number_format(unit: str | None, values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    if unit == "share":
        return "{:.1%}"
    if unit == "pp":  # applied to 100 x the value (format_values)
        return "{:,.1f} pp"
    if unit == "money":
        return "{:,.2f}"
    if unit == "count":
        return "{:,.0f}" if np.all(finite == np.round(finite)) else "{:,.2f}"
    if unit in ("years", "ratio"):
        return "{:.2f}"
    if finite.size and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e15):
        return "{:.0f}"
    return "{:.4g}"


def value_format(values: Iterable[object], unit: str | None) -> str | None:
    """The format spec numbers of a column get in `unit` (``"{:,.2f}"``); None for text.

    Computed once over a whole column so that its chunks are formatted alike.
    """
    arr = _as_array(values)
    if arr.dtype.kind not in "iuf":
        return None
    return _number_format(unit, arr.astype(float))


def _as_array(values: Iterable[object]) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if arr.dtype.kind == "O":
        try:
            return arr.astype(float)
        except (TypeError, ValueError):
            return arr
    return arr


def format_values(
    values: Iterable[object], unit: str | None, missing: str = "", fmt: str | None = None
) -> list[str]:
    """Format a column of values for display in `unit` (money ``1,234.50``, share ``62.3%``).

    Numbers in one column share a format (`fmt`, by default :func:`value_format`
    of `values`); text and flags are shown as they are; NaN and None as `missing`.
    A negative number that rounds to zero is shown without its sign (``0.00``,
    never ``-0.00``).
    """
    arr = _as_array(values)
    if arr.dtype.kind not in "iuf":
        return [missing if _is_missing(v) else str(v) for v in arr.tolist()]
    floats = arr.astype(float)
    if unit == "pp":
        floats = 100.0 * floats
    spec = fmt or _number_format(unit, floats)
    text = list(map(spec.format, floats.tolist()))
    for i in np.flatnonzero(np.signbit(floats) & (floats > -1.0)).tolist():
        if not any(c in "123456789" for c in text[i]):  # "-0.00", "-0.0%", "-0"
            text[i] = text[i].replace("-", "", 1)
    for i in np.flatnonzero(~np.isfinite(floats)).tolist():
        text[i] = missing if math.isnan(floats[i]) else str(floats[i])
    return text


def format_number(value: object, unit: str | None, missing: str = "") -> str:
    """Format one value for display in `unit` (see :func:`format_values`)."""
    return format_values([value], unit, missing)[0]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
