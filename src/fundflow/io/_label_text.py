"""The rows of the label table for sentences (kind ``"text"``).

Sentences the command line prints or a figure shows, filled in by
:func:`fundflow.io.labels.text`; each row is ``(name, "text", None, English,
Chinese)``, fields in braces.
"""

from __future__ import annotations

__all__ = ["TEXT_ROWS"]

# name, kind, unit, English, Chinese
TEXT_ROWS: tuple[tuple[str, str, str | None, str, str], ...] = (
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
    # the size line printed before a run (English: fundflow.cli._guard.Estimate.text)
    ("msg_size", "text", None, "size: {estimate}", "规模：{estimate}"),
    ("msg_size_of", "text", None, "size {which}: {estimate}", "规模 {which}：{estimate}"),
    (
        "msg_estimate",
        "text",
        None,
        "{challenges:,} challenges, {routes:,} routes; {runs:,} replications on {workers} "
        "workers: {took}{memory} of memory",
        "{challenges:,} 个榜题，{routes:,} 个揭榜团队；{runs:,} 次模拟，{workers} 个进程："
        "{took}内存约 {memory}",
    ),
    ("msg_took", "text", None, "about {time} and ", "约 {time}，"),
    (
        "msg_size_too_big",
        "text",
        None,
        " (more than the memory allowed here: run fewer replications with --runs)",
        "（超出此处允许的内存：请用 --runs 减少模拟次数）",
    ),
    (
        "msg_size_time_later",
        "text",
        None,
        " (the time is measured when the run starts)",
        "（用时在运行开始时测定）",
    ),
    ("msg_duration_s", "text", None, "{n} s", "{n} 秒"),
    ("msg_duration_min", "text", None, "{n} min", "{n} 分钟"),
    ("msg_duration_h", "text", None, "{n} h", "{n} 小时"),
    ("msg_duration_days", "text", None, "{n} days", "{n} 天"),
    (
        "msg_describe",
        "text",
        None,
        "{name}: {challenges} challenges, {routes} routes, matching {ratio} ({mode}), "
        "horizon {horizon} years, money in {unit}{extras}",
        "{name}：{challenges} 个榜题，{routes} 个揭榜团队，财政补助比例 {ratio}（{mode}），"
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
        "已收敛：{runs:,} 次模拟后政府全口径净成本的相对标准误为 {achieved:.4g}，"
        "低于目标 {target:g}",
    ),
    (
        "msg_not_converged",
        "text",
        None,
        "not converged: hit --max-runs {max_runs:,} with relative SE {achieved:.4g} of the "
        "government net cost (target {target:g}); raise --max-runs or the target "
        "(exit status 3)",
        "未收敛：已达 --max-runs {max_runs:,} 次模拟，政府全口径净成本的相对标准误为 {achieved:.4g}"
        "（目标 {target:g}）；请提高 --max-runs 或放宽目标（退出状态 3）",
    ),
    (
        "msg_compiling",
        "text",
        None,
        "compiling the simulation engine (once after install; about a minute)…",
        "正在编译模拟引擎（安装后仅需一次，约一分钟）…",
    ),
    (
        "msg_compiled",
        "text",
        None,
        "compiled in {seconds:.0f} s",
        "编译完成，用时 {seconds:.0f} 秒",
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
        "msg_wrote_folder",
        "text",
        None,
        "wrote {count} files and {folder} ({size}) to {out}: {names}",
        "已写入 {count} 个文件和 {folder}（{size}）到 {out}：{names}",
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
        "最差5%情形平均支出 A − B = {tail_diff}（相对 B {tail_rel}）",
    ),
    (
        "msg_sensitivity_runs",
        "text",
        None,
        "{method} indices of {outputs} output(s) to {inputs} input(s): {points:,} design "
        "points x {runs:,} replications on common random numbers, seed {seed}{note}",
        "{method} 指数：{outputs} 个输出指标、{inputs} 个输入参数；{points:,} 个设计点 × "
        "每点 {runs:,} 次模拟，使用共同随机数，随机种子 {seed}{note}",
    ),
    (
        "msg_sobol_note",
        "text",
        None,
        "S1: the share of the output's variance due to the input alone; ST: with its "
        "interactions; 95% CI from the bootstrap",
        "S1：该输入单独解释的输出方差比例；ST：含其交互作用；95%置信区间由自助法估计",
    ),
    (
        "msg_morris_note",
        "text",
        None,
        "μ*: the mean absolute change of the output when the input moves across its "
        "range, in the output's unit; σ: the spread of those changes (non-linearity or "
        "interactions); 95% CI from the bootstrap",
        "μ*：输入在其范围内变动时输出的平均绝对变化（输出的单位）；σ：这些变化的离散程度"
        "（非线性或交互作用）；95%置信区间由自助法估计",
    ),
    (
        "msg_external",
        "text",
        None,
        "Outside the program (external): the counterpart of R&D spending and commercial "
        "value, not a loss",
        "项目外部：研发支出的收款方、商业价值的付款方，其净额并非损失",
    ),
    (
        "msg_tax_memo",
        "text",
        None,
        "The government's cash includes all tax forgone ({forgone}); of it {attributable} "
        "is attributable to the program (memo: additionality × borne share), so its net "
        "cost is {net} and its budget cost {budget} ({money})",
        "政府现金含全部税式支出（{forgone}），其中归属本项目 {attributable}"
        "（备忘：附加性 × 分担比例），故政府全口径净成本 {net}，财政净支出 {budget}（{money}）",
    ),
    (
        "msg_budget_years",
        "text",
        None,
        "Budget by year ({money}; annual budget: {budget}): budget cash paid in the year "
        "(mean, p95), outside the annual budget, committed and carried into the next year, "
        "the probability that a payment due was not paid in full in the year, tax forgone",
        "分年度预算（{money}；年度预算：{budget}）：当年财政资金支出（均值、95%分位）、年度预算外支出、"
        "结转下年的已确认未拨付资金、当年到期款项未能足额拨付的概率、税式支出",
    ),
    (
        "msg_budget_years_rest",
        "text",
        None,
        "Years {first} to {last}: no government money",
        "第 {first} 至 {last} 年：无财政资金",
    ),
    (
        "rpt_title",
        "text",
        None,
        "{name}: the program's cost and risk, in brief",
        "{name}：项目财政成本与风险摘要",
    ),
    (
        "rpt_run",
        "text",
        None,
        "{runs:,} Monte Carlo replications, seed {seed}; money in {unit}; 95% confidence intervals "
        "in brackets",
        "{runs:,} 次蒙特卡洛模拟，随机种子 {seed}；金额单位：{unit}；方括号内为95%置信区间",
    ),
    (
        "rpt_headline",
        "text",
        None,
        "Budget cost (financial net outlay) over the horizon: {value} {unit} {ci}",
        "财政净支出（模拟期内合计）：{value} {unit} {ci}",
    ),
    (
        "rpt_costs",
        "text",
        None,
        "The government's money, by kind",
        "政府资金（按类别）",
    ),
    (
        "rpt_kind",
        "text",
        None,
        "Kind of money",
        "资金类别",
    ),
    (
        "rpt_mean",
        "text",
        None,
        "Mean",
        "均值",
    ),
    (
        "rpt_ci",
        "text",
        None,
        "95% CI",
        "95%置信区间",
    ),
    (
        "rpt_years",
        "text",
        None,
        "Budget by year",
        "分年度预算",
    ),
    (
        "rpt_no_budget",
        "text",
        None,
        "No annual budget is set: every payment is made when it falls due.",
        "未设年度预算：各笔款项到期即拨付。",
    ),
    (
        "rpt_binds",
        "text",
        None,
        "Annual budget {budget} {unit}: in {p} of replications {ci} a payment due was not paid "
        "in full within its year in at least one year (worst year: {worst}).",
        "年度预算 {budget} {unit}：{p} 的模拟情形 {ci} "
        "中至少有一年到期款项未能当年足额拨付（最不利年度：{worst}）。",
    ),
    (
        "rpt_in_unit",
        "text",
        None,
        "Budget cash ({unit})",
        "财政资金支出（{unit}）",
    ),
    (
        "rpt_tail",
        "text",
        None,
        "Which challenges drive the bad years",
        "哪些榜题推高不利情形",
    ),
    (
        "rpt_tail_note",
        "text",
        None,
        "Average budget cost in the worst 5% of replications (CVaR95): {cvar} {unit}; "
        "each challenge's contribution to it (Euler allocation), the five largest:",
        "最差5%情形平均支出（条件在险价值）：{cvar} {unit}；"
        "各榜题对其的贡献（欧拉分配），列出最大的五项：",
    ),
    (
        "rpt_contribution",
        "text",
        None,
        "Contribution",
        "贡献",
    ),
    (
        "rpt_contribution_axis",
        "text",
        None,
        "Contribution to the CVaR95 of the budget cost ({unit})",
        "对财政净支出条件在险价值的贡献（{unit}）",
    ),
    (
        "rpt_share",
        "text",
        None,
        "Share",
        "占比",
    ),
    (
        "rpt_performance",
        "text",
        None,
        "Performance",
        "绩效指标",
    ),
    (
        "rpt_figure",
        "text",
        None,
        "Figure",
        "指标",
    ),
    (
        "rpt_success_rate",
        "text",
        None,
        "Acceptance rate (challenges accepted per challenge started)",
        "验收通过率（通过验收的榜题 / 已启动榜题）",
    ),
    (
        "rpt_leverage",
        "text",
        None,
        "Enterprise and other money mobilised per unit of budget cash",
        "每单位财政资金撬动的企业及社会资金",
    ),
    (
        "rpt_gov_cost_per_success",
        "text",
        None,
        "Budget cost per accepted challenge ({unit})",
        "每个通过验收榜题的财政净支出（{unit}）",
    ),
    (
        "rpt_footer",
        "text",
        None,
        "Written by fundflow {version}. Tax forgone is a memo (tax expenditure), not budget cash.",
        "由 fundflow {version} 生成。税式支出为备忘项，不属于财政资金支出。",
    ),
    (
        "msg_report_written",
        "text",
        None,
        "wrote {path} ({kb:,.0f} KB): open it in a browser",
        "已写入 {path}（{kb:,.0f} KB）：请用浏览器打开",
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
    ("fig_band", "text", None, "{lo}th–{hi}th percentile", "{lo}%分位–{hi}%分位"),
    ("fig_median", "text", None, "median", "中位数"),
    ("fig_mean", "text", None, "mean", "均值"),
    ("fig_time", "text", None, "Time (years)", "时间（年）"),
    ("fig_outflow", "text", None, "Cumulative net outflow ({unit})", "累计净流出（{unit}）"),
    (
        "fig_exposure_title",
        "text",
        None,
        "Government exposure over time",
        "财政资金累计占用随时间变化",
    ),
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
        "帕累托前沿：财政风险与揭榜方风险",
    ),
    (
        "fig_tail_title",
        "text",
        None,
        "Which challenges drive the tail of {measure}",
        "哪些榜题推高{measure}的尾部风险",
    ),
    (
        "fig_tail_axis",
        "text",
        None,
        "Contribution to the CVaR {level}% ({unit})",
        "对{level}% CVaR的贡献（{unit}）",
    ),
    (
        "fig_tail_total",
        "text",
        None,
        "program CVaR {level}% = {value} {unit}",
        "项目{level}% CVaR = {value} {unit}",
    ),
)
