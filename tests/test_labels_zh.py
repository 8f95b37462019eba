"""The Chinese a government reader uses: the terms, the error line, the size line and the
CSV files Excel opens."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import fundflow
from fundflow.cli import main
from fundflow.cli._guard import Estimate, size_lines
from fundflow.io import export, labels, writers

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
BOM = b"\xef\xbb\xbf"

#: The terms of a government report (one challenge 榜题, the whole list 榜单).
TERMS = {
    "gov_budget_cost": "财政净支出",
    "gov_tax_forgone": "税式支出（研发费用加计扣除）",
    "gov_matching": "财政补助资金",
    "gov_compensation": "失败项目研发成本补助（容错免责）",
    "gov_peak_exposure": "财政资金最大累计占用",
    "gov_committed_unpaid": "已确认未拨付资金",
    "cvar95": "最差5%情形平均支出（条件在险价值）",
    "cvar99": "最差1%情形平均支出（条件在险价值）",
    "p5": "5%分位",
    "p50": "中位数",
    "p95": "95%分位",
    "challenge": "榜题",
    "route": "揭榜团队",
    "solver": "揭榜方",
    "demander": "发榜方（需求方）",
    "two_phase": "分两期拨付",
    "upfront": "一次性拨付",
    "on_acceptance": "验收后一次性拨付",
    "milestones": "按里程碑拨付",
}


def _chinese_labels() -> dict[str, str]:
    return {name: row.zh for name, row in labels.LABELS.items()}


@pytest.mark.parametrize(("name", "zh"), sorted(TERMS.items()))
def test_the_terms_of_a_government_report(name: str, zh: str) -> None:
    assert labels.label(name, "zh") == zh


def test_matching_is_never_called_co_funding() -> None:
    """配套 is the co-funding of a higher-level grant, not the program's match."""
    found = {name: zh for name, zh in _chinese_labels().items() if "配套" in zh}
    assert not found, f"配套 used for the match: {found}"
    sources = sorted((ROOT / "src" / "fundflow").rglob("*.py"))
    assert sources
    written = [p.name for p in sources if "配套" in p.read_text(encoding="utf-8")]
    assert not written, f"配套 written in {written}"


def test_one_challenge_is_a_bang_ti_never_the_whole_list() -> None:
    found = {name: zh for name, zh in _chinese_labels().items() if "榜单" in zh}
    assert not found, f"榜单 (the whole list) used for one challenge: {found}"


def test_money_units_read_as_in_a_budget() -> None:
    assert labels.unit_text("money", "zh", "CNY 10 thousand") == "万元"
    assert labels.unit_text("money", "zh", "CNY 100 million") == "亿元"
    assert labels.unit_text("money", "zh", "CNY million") == "百万元"
    assert labels.unit_text("money", "en", "CNY million") == "CNY million"


def test_the_matching_mode_reads_in_chinese_and_stays_a_key_in_english() -> None:
    assert labels.label("two_phase", "en") == "two_phase"


# --------------------------------------------------------------------------- the error line


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_an_error_in_chinese_keeps_key_path_and_value(capsys) -> None:
    assert main(["validate", CONFIG, "--set", "discount_rate=3", "--lang", "zh"]) == 2
    line = _error(capsys)
    assert line == "错误：discount_rate = 3：应为 (-1, 1] 内的数（是否应为 0.03？）", line
    assert main(["validate", CONFIG, "--set", "discount_rate=3"]) == 2
    line = _error(capsys)
    assert line == "error: discount_rate = 3: must be in (-1, 1] (did you mean 0.03?)", line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", CONFIG, "--runs", "0", "--lang", "zh"], "错误：--runs = 0：应为 ≥ 1 的整数"),
        (
            ["run", CONFIG, "--set", "government.matching.mode=two", "--lang=zh"],
            "错误：government.matching.mode = 'two'：应为以下之一：two_phase | upfront",
        ),
        (
            ["validate", CONFIG, "--lang", "zh", "--set", "government.matching.rato=0.3"],
            "错误：government.matching.rato：没有这个键；是否应为 'government.matching.ratio'？",
        ),
        (["run", CONFIG, "--lang", "zh", "--runs"], "错误：argument --runs: expected one argument"),
        (["run", CONFIG, "--format", "xls", "--lang", "zh"], "错误：--format = 'xls'：应为以下"),
    ],
)
def test_the_error_frame_in_chinese(argv, expected, capsys) -> None:
    assert main(argv) == 2
    line = _error(capsys)
    assert line.startswith(expected), line
    assert "error:" not in line and "must be" not in line and "did you mean" not in line


def test_an_unknown_language_frames_the_error_in_english(capsys) -> None:
    assert main(["run", CONFIG, "--lang", "fr", "--runs", "1"]) == 2
    assert _error(capsys) == "error: --lang = 'fr': must be one of en, zh"


# --------------------------------------------------------------------------- the size line


def test_the_size_line_in_chinese() -> None:
    est = Estimate(challenges=30, routes=44, runs=1000, workers=2, bytes=184e6, seconds=75.0)
    assert size_lines([est], "zh") == [
        "规模：30 个榜题，44 个揭榜团队；1,000 次模拟，2 个进程：约 1 分钟，内存约 184 MB"
    ]
    assert size_lines([est]) == [
        "size: 30 challenges, 44 routes; 1,000 replications on 2 workers: about 1 min and "
        "184 MB of memory"
    ]
    assert size_lines([est, est], "zh")[1].startswith("规模 B：30 个榜题")


def test_validate_size_line_in_english_reads_as_its_labels() -> None:
    """English is printed without the label table (validate stays quick): the same words."""
    from fundflow.cli._guard import estimate, validate_lines
    from fundflow.scenario.config import load_scenario

    scenario = load_scenario(CONFIG)
    est = estimate(scenario, 1000)
    assert validate_lines(scenario, 1000, allow=True) == [
        labels.text("msg_size", "en", estimate=est.text())
        + labels.text("msg_size_time_later", "en")
    ]
    assert labels.text("msg_size_too_big", "en") == (
        " (more than the memory allowed here: run fewer replications with --runs)"
    )


def test_validate_in_chinese(capsys) -> None:
    assert main(["validate", CONFIG, "--lang", "zh"]) == 0
    captured = capsys.readouterr()
    assert re.fullmatch(
        r"open-competition-municipal-list：30 个榜题，44 个揭榜团队，财政补助比例 0\.25"
        r"（分两期拨付），模拟期 12 年，金额单位 百万元\n",
        captured.out,
    ), captured.out
    assert captured.err.startswith("规模：30 个榜题，44 个揭榜团队；1,000 次模拟")


# --------------------------------------------------------------------------- CSV for Excel


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, runs=6, seed=3, progress=False)


def _csvs(directory: Path) -> list[Path]:
    found = sorted(directory.glob("*.csv"))
    assert len(found) >= 5, found
    return found


def test_csv_in_chinese_starts_with_a_bom_and_english_does_not(result, tmp_path) -> None:
    detail = ("runs", "routes", "party_totals")
    export.export_result(result, tmp_path / "zh", ("csv", "parquet"), lang="zh", tables=detail)
    export.export_result(result, tmp_path / "en", ("csv", "parquet"), tables=detail)
    for path in _csvs(tmp_path / "zh"):
        assert path.read_bytes().startswith(BOM), path.name
        assert re.search(
            r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8-sig").partition("\n")[0]
        ), path.name
    for path in _csvs(tmp_path / "en"):
        assert not path.read_bytes().startswith(BOM), path.name
    runs = pd.read_csv(tmp_path / "zh" / "runs.csv", encoding="utf-8-sig")
    assert runs.columns[:2].tolist() == ["模拟序号", "财政净支出（百万元）"]
    assert runs["财政净支出（百万元）"].tolist() == pytest.approx(
        result.runs["gov_budget_cost"].tolist(), rel=1e-15
    )
    ledger = pd.read_csv(tmp_path / "zh" / "ledger_0000.csv", encoding="utf-8-sig")
    assert ledger.columns[:4].tolist() == ["时间（年）", "付款方", "收款方", "金额（百万元）"]
    # Parquet is for programs in every language
    zh_runs = pd.read_parquet(tmp_path / "zh" / "runs.parquet")
    assert (
        zh_runs.columns.tolist()
        == pd.read_parquet(tmp_path / "en" / "runs.parquet").columns.tolist()
    )


def test_a_stored_run_in_chinese_is_streamed_with_a_bom(tmp_path) -> None:
    stored = fundflow.simulate(CONFIG, 6, seed=3, store=tmp_path / "store", chunk_size=3)
    detail = ("runs", "routes", "party_totals")
    export.export_result(stored, tmp_path / "zh", "csv", lang="zh", tables=detail)
    export.export_result(stored, tmp_path / "en", "csv", tables=detail)
    for name in ("runs.csv", "routes.csv", "party_totals.csv"):
        zh = (tmp_path / "zh" / name).read_bytes()
        assert zh.startswith(BOM) and not (tmp_path / "en" / name).read_bytes().startswith(BOM)
    routes = pd.read_csv(tmp_path / "zh" / "routes.csv", encoding="utf-8-sig")
    assert routes.columns[:3].tolist() == ["模拟序号", "揭榜团队", "榜题"]
    en = pd.read_csv(tmp_path / "en" / "routes.csv")
    assert len(routes) == len(en) and routes.iloc[:, -1].tolist() == en.iloc[:, -1].tolist()


def test_csv_headers_that_share_a_label_keep_apart() -> None:
    headers = writers.csv_headers(["input", "fig_input", "x"], "zh", "CNY million")
    assert headers == ["输入参数 [input]", "输入参数 [fig_input]", "x"]
