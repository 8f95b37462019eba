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
        "not converged: hit --max-runs {max_runs:,} with relative SE {achieved:.4g} of the "
        "government net cost (target {target:g}); raise --max-runs or the target "
        "(exit status 3)",
        "未收敛：已达 --max-runs {max_runs:,} 次模拟，政府净成本的相对标准误为 {achieved:.4g}"
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
        "95% CVaR A − B = {tail_diff}（相对 B {tail_rel}）",
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
        "项目外部：研发支出与商业价值的对方，并非损失",
    ),
    (
        "msg_tax_memo",
        "text",
        None,
        "The government's cash includes all tax forgone ({forgone}); of it {attributable} "
        "is attributable to the program (memo: additionality × borne share), so its net "
        "cost is {net} and its budget cost {budget} ({money})",
        "政府现金含全部税式支出（{forgone}），其中归属本项目 {attributable}"
        "（备忘：附加性 × 分担比例），故政府净成本 {net}，财政净支出 {budget}（{money}）",
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
