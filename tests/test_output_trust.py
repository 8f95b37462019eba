"""What a run writes and prints can be trusted as it reads.

* Per-replication tables are data: ``runs`` and ``routes`` stay in the run's Parquet
  dataset, and go to the export's formats only when asked (``--tables``); an Excel
  sheet never passes the row limit.
* No ``-0.00`` in a table, no ``-0`` in a CSV; a difference of shares is in
  percentage points (``pp``), a relative change in %.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

import fundflow
from fundflow.cli import main
from fundflow.io import _xlsx, export, labels

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"
UPFRONT = ROOT / "configs" / "upfront_grant.yaml"
SMALL = ["--runs", "20", "--seed", "1"]
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(?:[.,]0*)?(?:%| pp)?(?![\w.,]*[1-9])")


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, runs=20, seed=11, progress=False)


# --------------------------------------------------------------------------- which tables


def test_per_replication_tables_are_not_written_by_default(result, tmp_path) -> None:
    written = export.export_result(result, tmp_path, ("csv", "xlsx", "parquet", "md", "tex"))
    names = {p.name for p in written}
    assert {"summary.md", "summary.tex", "summary.csv", "results.xlsx"} <= names
    assert not [n for n in names if n.startswith(("runs.", "routes.", "party_totals."))]
    sheets = openpyxl.load_workbook(tmp_path / "results.xlsx").sheetnames
    assert sheets == ["summary", "challenges", "budget_by_year", "parties", "ledger_0000"]


def test_cli_tables_option_adds_them_to_the_readable_formats(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = ["run", str(CONFIG), *SMALL, "--out", str(out), "--format", "xlsx,md", "--quiet"]
    assert main([*args, "--tables", "routes"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "routes.md" in names and "runs.md" not in names
    sheets = openpyxl.load_workbook(out / "results.xlsx").sheetnames
    assert sheets == ["summary", "challenges", "budget_by_year", "parties", "ledger_0000", "routes"]


def test_the_closing_line_names_every_file_and_folder_with_its_size(tmp_path, capsys) -> None:
    from fundflow.cli._print import size_text

    out = tmp_path / "out"
    args = ["run", str(CONFIG), *SMALL, "--out", str(out), "--format", "csv,xlsx,md"]
    assert main(args) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    found = re.fullmatch(r"wrote (\d+) files and dataset/ \(([^)]+)\) to (.+?): (.+)", line)
    assert found, line
    files = sorted(p for p in out.iterdir() if p.is_file())
    assert int(found[1]) == len(files) and found[3] == str(out)
    dataset = sum(p.stat().st_size for p in (out / "dataset").rglob("*") if p.is_file())
    assert found[2] == size_text(dataset)
    listed = dict(re.findall(r"([\w.]+) \(([^)]+)\)(?:, |$)", found[4]))
    assert listed == {p.name: size_text(p.stat().st_size) for p in files}
    # people-sized: the tables for reading and the first ledger, no per-replication table
    tables = ("summary", "challenges", "budget_by_year", "parties", "ledger_0000")
    expected = {f"{t}.{f}" for t in tables for f in ("csv", "md")}
    assert set(listed) == expected | {"results.xlsx", "manifest.json"}
    assert sum(p.stat().st_size for p in files) < 1_000_000  # 136 KB at 10,000 replications


def test_sizes_are_written_for_people() -> None:
    from fundflow.cli._print import size_text

    assert [size_text(n) for n in (0, 812, 1_000, 2_345, 999_499)] == [
        "0 bytes", "812 bytes", "1 KB", "2 KB", "999 KB"
    ]  # fmt: skip
    assert [size_text(n) for n in (999_500, 12_345_678, 1_500_000_000)] == [
        "1.0 MB", "12.3 MB", "1.5 GB"
    ]  # fmt: skip


def test_cli_unknown_table_is_one_error_line(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["run", str(CONFIG), *SMALL, "--out", str(out), "--tables", "runs,ledger"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --tables = 'ledger': must be one or more of runs, routes, party_totals"]
    assert not out.exists()


class _WithChallenges:
    """A result that also has a per-challenge table."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def __len__(self) -> int:
        return len(self._result)

    def challenges(self) -> pd.DataFrame:
        return pd.DataFrame({"challenge": ["a", "b"], "success_rate": [0.5, 0.25]}).set_index(
            "challenge"
        )


def test_a_per_challenge_table_goes_to_every_format(result, tmp_path) -> None:
    written = export.export_result(_WithChallenges(result), tmp_path, ("csv", "md", "xlsx"))
    names = {p.name for p in written}
    assert {"challenges.csv", "challenges.md"} <= names
    sheets = openpyxl.load_workbook(tmp_path / "results.xlsx").sheetnames
    assert sheets == ["summary", "challenges", "budget_by_year", "parties", "ledger_0000"]
    assert "| a | 50.0% |" in (tmp_path / "challenges.md").read_text(encoding="utf-8")


def test_no_excel_sheet_passes_the_row_limit(result, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_xlsx, "_EXCEL_ROWS", 100)  # header + 99 rows per sheet
    export.export_result(result, tmp_path, ("xlsx",), tables="routes")
    wb = openpyxl.load_workbook(tmp_path / "results.xlsx", read_only=True)
    parts = [n for n in wb.sheetnames if n.startswith("routes")]
    expected = -(-len(result.routes) // 99)
    assert parts == ["routes", *(f"routes_{k}" for k in range(2, expected + 1))]
    assert all(wb[n].max_row <= 100 for n in parts)
    assert sum(wb[n].max_row - 1 for n in parts) == len(result.routes)


# --------------------------------------------------------------------------- numbers


def test_no_negative_zero_in_formatted_numbers() -> None:
    assert labels.format_values([-0.001, -0.0, 0.004, -0.006], "money") == [
        "0.00",
        "0.00",
        "0.00",
        "-0.01",
    ]
    assert labels.format_values([-0.0], None) == ["0"]
    assert labels.format_values([-0.0001], "share") == ["0.0%"]
    assert labels.format_values([-10.0, -0.0], "count") == ["-10", "0"]


def test_no_negative_zero_in_written_files(result, tmp_path) -> None:
    assert np.signbit(result.runs.to_numpy(dtype=float)).any()  # there are -0.0 to hide
    export.export_result(result, tmp_path, ("csv", "md", "tex"), tables="runs,routes")
    for name in ("runs.csv", "routes.csv", "summary.csv"):
        with (tmp_path / name).open(encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert "-0" not in cells and "-0.0" not in cells, name
    for name in ("summary.md", "runs.md", "routes.md", "summary.tex"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not NEGATIVE_ZERO.search(text), (name, NEGATIVE_ZERO.search(text))


def test_share_differences_are_percentage_points() -> None:
    assert labels.difference_unit("share") == "pp"
    assert labels.difference_unit("money") == "money"
    assert labels.format_values([-0.016, 0.1234], "pp") == ["-1.6 pp", "12.3 pp"]
    assert labels.unit_text("pp", "en") == "percentage points"


def test_compare_prints_and_writes_share_differences_in_pp(tmp_path, capsys) -> None:
    args = ["compare", str(CONFIG), str(UPFRONT), *SMALL, "--out", str(tmp_path)]
    assert main([*args, "--format", "csv,md,xlsx", "--quiet"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Share of solvers with a loss"))
    cells = re.split(r"\s{2,}", line.strip())
    mean_a, mean_b, diff, ci = cells[1:5]
    assert mean_a.endswith("%") and mean_b.endswith("%")  # levels are shares
    assert diff.endswith(" pp") and ci.count(" pp") == 2  # their difference is not
    a, b = float(mean_a[:-1]), float(mean_b[:-1])
    assert float(diff[:-3]) == pytest.approx(a - b, abs=0.11)

    md = (tmp_path / "comparison.md").read_text(encoding="utf-8")
    row = next(x for x in md.splitlines() if "| solver_loss_share |" in x)
    cells = [c.strip() for c in row.strip("|").split("|")]
    header = [c.strip() for c in md.splitlines()[0].strip("|").split("|")]
    assert cells[header.index("Difference A − B")].endswith(" pp")
    assert cells[header.index("Difference relative to B")].endswith("%")  # relative: %
    assert cells[header.index("Mean A")].endswith("%")

    table = pd.read_csv(tmp_path / "comparison.csv", index_col="measure")
    wb = openpyxl.load_workbook(tmp_path / "comparison.xlsx")
    ws = wb.active
    heads = [c.value for c in ws[1]]
    row_no = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "solver_loss_share")
    cell = ws.cell(row_no, heads.index("Difference A − B") + 1)
    assert cell.number_format == '0.0" pp"'
    expected = 100 * table.loc["solver_loss_share", "mean_diff"]
    assert cell.value == pytest.approx(expected)


# --------------------------------------------------------------------------- binding


def test_binding_means_slack_within_two_standard_errors() -> None:
    """A constraint that excludes a cheaper design but has slack far beyond its
    standard errors does not bind: the optimum is not on its boundary."""
    from fundflow.analysis.optimization import Search
    from fundflow.analysis.sweeps import sweep

    rate = "government.error_tolerance.rate"
    base = fundflow.apply_overrides(
        fundflow.load_scenario(CONFIG),
        {
            "government.error_tolerance.cap": None,
            "government.matching.payee": "solver",
            "solver.entry": "fixed",  # every route starts: the constraint's numbers alone
        },
    )
    levels = [0.0, 0.5, 1.0]
    runs = 400  # a contract price leaves less to compensate: the difference needs more runs
    npv = sweep(base, {rate: levels}, runs=runs, seed=3, progress=False).table["solver_npv_mean"]
    bound = float(npv.iloc[0] + npv.iloc[1]) / 2  # excludes rate 0, the cheapest
    res = fundflow.optimize(
        base,
        {rate: levels},
        objective="gov_net_cost_mean",
        constraints=[f"solver_npv_mean >= {bound}"],
        runs=runs,
        seed=3,
        search=Search(sampler="grid", refine=None),
    )
    row = res.constraints.iloc[0]
    assert res.best[rate] == 0.5
    assert row["objective_if_relaxed"] < res.objective  # relaxing it would pay less...
    assert row["se"] > 0 and abs(row["slack"]) > 2 * row["se"]  # ...but it is far from 0
    assert not row["binding"]

    tight = fundflow.optimize(
        base,
        {rate: levels},
        objective="gov_net_cost_mean",
        constraints=[f"solver_npv_mean >= {float(npv.iloc[1]) - row['se']}"],
        runs=40,
        seed=3,
        search=Search(sampler="grid", refine=None),
    )
    assert tight.best[rate] == 0.5 and tight.constraints.iloc[0]["binding"]  # slack = 1 se


# --------------------------------------------------------------------------- Chinese


def test_run_lang_zh_prints_every_line_in_chinese(tmp_path, capsys) -> None:
    args = ["run", str(CONFIG), "--runs", "20", "--out", str(tmp_path), "--lang", "zh"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = r"20 次模拟，随机种子 \d+（新生成；用 --seed 复现），1 个进程，用时 .* 秒"
    assert re.fullmatch(header, lines[1]), lines[1]
    describe = r".*：30 个榜题，44 个揭榜团队，财政补助比例 0\.25（分两期拨付），.*金额单位 百万元"
    assert re.fullmatch(describe, lines[0]), lines[0]
    assert "个指标在每次模拟中均为零或无定义：政府引导基金出资净额" in out
    wrote = r"^已写入 \d+ 个文件和 dataset/（[\d.]+ [KM]B）到 .*：summary\.csv \(\d+ KB\), "
    assert re.search(wrote, out, flags=re.M)
    for english in ("replications", "worker", "wrote", "measures zero", "fresh", "challenges,"):
        assert english not in out


def test_compare_lang_zh_prints_chinese(capsys) -> None:
    assert main(["compare", str(CONFIG), str(UPFRONT), *SMALL, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "每个情景 20 次模拟，使用共同随机数，随机种子 1；差值为 A − B" in out
    assert re.search(r"^A: .*：30 个榜题，44 个揭榜团队", out, flags=re.M)
    assert re.search(r"^财政净支出：A − B = .* 百万元（相对 B [-+]", out, flags=re.M)
    assert "最差5%情形平均支出 A − B" in out
    for english in ("replications", "of B", "differences are", "zero or undefined"):
        assert english not in out


def _cjk_font_dir() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.__file__).resolve().parent


def _texts(fig: Any) -> list[Any]:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


def _design_frames() -> dict[str, pd.DataFrame]:
    sweep = pd.DataFrame(
        {
            "government.matching.ratio": [0.1, 0.2, 0.3],
            "gov_net_cost_mean": [1.0, 2.0, 3.5],
            "gov_net_cost_se": [0.1, 0.2, 0.1],
            "solver_loss_share_mean": [0.9, 0.7, 0.65],
        }
    )
    sweep.attrs["money_unit"] = "CNY million"
    tornado = pd.DataFrame({"input": ["a", "b"], "ST": [0.3, 0.6], "ST_conf": [0.05, 0.1]})
    return {"sweep": sweep, "tornado": tornado}


FIGURES = ["loss", "exceedance", "fan", "paired", "sweep", "tornado", "pareto", "tail"]


@pytest.mark.parametrize("figure", FIGURES)
def test_chinese_figures_find_every_glyph_in_the_installed_font(result, figure) -> None:
    import warnings
    from io import BytesIO

    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from fundflow import plots

    frames = _design_frames()
    make = {
        "loss": lambda: plots.loss_distribution(result, "gov_net_cost", lang="zh"),
        "exceedance": lambda: plots.exceedance_curve(result, lang="zh"),
        "fan": lambda: plots.exposure_fan(result, lang="zh"),
        "paired": lambda: plots.paired_comparison(result, result, "solver_loss", lang="zh"),
        "sweep": lambda: plots.sweep_response(
            frames["sweep"], "government.matching.ratio", "gov_net_cost_mean",
            err="gov_net_cost_se", lang="zh",
        ),
        "tornado": lambda: plots.tornado(frames["tornado"], "gov_net_cost", lang="zh"),
        "pareto": lambda: plots.pareto_front(
            frames["sweep"], "gov_net_cost_mean", "solver_loss_share_mean", lang="zh"
        ),
        "tail": lambda: plots.tail_contributions(result, "gov_net_cost", lang="zh"),
    }[figure]  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        fig.savefig(BytesIO(), format="png")
    assert not [str(w.message) for w in caught if "missing from font" in str(w.message)]
    chinese = [t for t in _texts(fig) if re.search(r"[\u4e00-\u9fff]", t.get_text())]
    assert len(chinese) >= 3, [t.get_text() for t in _texts(fig)]
    english = ("replications", "Distribution", "percentile", "Exceedance", "Paired", "values in")
    english += ("design points", "Sensitivity", "Input", "Pareto", "dominated", "bars")
    assert not [t.get_text() for t in _texts(fig) if any(e in t.get_text() for e in english)]
    for t in chinese:
        path = Path(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False))
        assert path.resolve().parent == _cjk_font_dir()  # the font the install brings
        font = FT2Font(str(path))
        missing = [ch for ch in t.get_text() if ord(ch) > 127 and not font.get_char_index(ord(ch))]
        assert not missing, (t.get_text(), missing)


def test_chinese_figures_leave_matplotlib_settings_alone(result) -> None:
    import matplotlib as mpl

    from fundflow import plots

    before = list(mpl.rcParams["font.family"])
    plots.loss_distribution(result, lang="zh")
    assert mpl.rcParams["font.family"] == before
    english = plots.loss_distribution(result)
    assert english.axes[0].get_title().startswith("Distribution of government budget cost")


def test_run_plots_in_chinese(result, tmp_path) -> None:
    from PIL import Image

    from fundflow.plots import write_run_plots

    paths = write_run_plots(result, tmp_path, lang="zh")
    assert [p.name for p in paths][:1] == ["loss_gov_budget_cost.png"]
    for p in paths:
        with Image.open(p) as im:
            assert im.size[0] > 500
    with pytest.raises(fundflow.ConfigError, match="lang"):
        write_run_plots(result, tmp_path, lang="fr")
