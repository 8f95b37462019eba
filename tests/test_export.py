"""Labels (one table, both languages) and the export of a run's tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import fundflow
from fundflow.engine.ledger import PARTIES
from fundflow.engine.outcome import STATUS
from fundflow.errors import ConfigError
from fundflow.io import _xlsx, export, labels, writers
from fundflow.results.measures import LOSS_MEASURES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, runs=20, seed=11, progress=False)


@pytest.fixture(scope="module")
def instruments() -> fundflow.SimulationResult:
    """A run of the config with a guided fund and shared-risk credit (every measure set)."""
    return fundflow.simulate(ROOT / "configs" / "chain_leader.yaml", runs=3, seed=1, progress=False)


# --------------------------------------------------------------------------- labels


def _assert_labelled(names: list[str], what: str) -> None:
    missing = [n for n in names if n not in labels.LABELS]
    assert not missing, f"{what} without a row in fundflow.io.labels: {missing}"
    for name in names:
        row = labels.LABELS[name]
        assert row.en.strip() and row.zh.strip(), name
        assert CJK.search(row.zh) or row.kind == "statistic", f"{name}: zh label {row.zh!r}"
        assert row.unit is None or row.unit in labels.UNITS, name


def test_every_measure_has_a_label_in_both_languages(instruments) -> None:
    _assert_labelled(list(instruments.runs.columns), "runs measures")
    _assert_labelled(list(instruments.routes.columns), "routes columns")
    _assert_labelled([str(n) for n in instruments.routes.index.names], "routes index")
    _assert_labelled(list(LOSS_MEASURES), "loss measures")


def test_every_summary_column_party_and_status_has_a_label(instruments) -> None:
    _assert_labelled(list(instruments.summary().columns), "summary columns")
    _assert_labelled(list(PARTIES), "parties")
    _assert_labelled(list(STATUS), "route statuses")


def test_header_carries_the_unit() -> None:
    assert labels.header("gov_net_cost") == "Government all-in net cost (CNY million)"
    assert labels.header("gov_net_cost", "zh") == "政府全口径净成本（百万元）"
    assert labels.header("gov_budget_cost", "zh", "CNY 10 thousand") == "财政净支出（万元）"
    assert labels.header("gov_budget_cost", "zh", "CNY 100 million") == "财政净支出（亿元）"
    assert labels.header("gov_net_cost", "en", "USD") == "Government all-in net cost (USD)"
    assert labels.header("success_rate") == "Challenge success rate (share)"
    assert labels.header("route") == "Route"
    assert labels.header("a_new_measure") == "a_new_measure"  # shown, never dropped


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lang = 'fr': must be one of en, zh"):
        labels.label("gov_net_cost", "fr")
    with pytest.raises(ConfigError, match="lang"):
        labels.relabel_summary(pd.DataFrame({"mean": [1.0]}, index=["gov_net_cost"]), "fr")


def test_relabel_summary(result) -> None:
    zh = labels.relabel_summary(result.summary(), "zh", result.money_unit)
    assert "政府全口径净成本（百万元）" in zh.index
    assert "均值" in zh.columns and "最差5%情形平均支出（条件在险价值）" in zh.columns
    assert "最差1%情形平均支出（条件在险价值）" in zh.columns
    assert {"5%分位", "中位数", "95%分位"} <= set(zh.columns)
    en = labels.relabel_summary(result.summary(), "en", result.money_unit)
    assert en.loc["Government all-in net cost (CNY million)", "Mean"] == pytest.approx(
        result.summary().loc["gov_net_cost", "mean"]
    )


def test_format_values_by_unit() -> None:
    assert labels.format_values([1234.5, np.nan], "money") == ["1,234.50", ""]
    assert labels.format_values([0.623], "share") == ["62.3%"]
    assert labels.format_values([3.0, 4.0], "count") == ["3", "4"]
    assert labels.format_values(["a", None], None, missing="-") == ["a", "-"]
    assert labels.format_values(np.array([True, False]), None) == ["True", "False"]


# --------------------------------------------------------------------------- export


ALL = ("csv", "xlsx", "parquet", "md", "tex")


def test_export_writes_every_format_and_a_manifest(result, tmp_path) -> None:
    out = tmp_path / "new" / "dir"  # created, parents too
    written = export.export_result(result, out, ALL, scenario_file=CONFIG)
    names = {p.name for p in written}
    tables = (
        "summary",
        "challenges",
        "budget_by_year",
        "parties",
        "ledger_0000",
    )  # export.DEFAULT_TABLES
    expected = {f"{t}.{f}" for t in tables for f in ("csv", "parquet", "md", "tex")}
    assert names == expected | {"results.xlsx", "manifest.json"}  # no per-replication table
    assert written[-1].name == "manifest.json"
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary left over
    parties = pd.read_csv(out / "parties.csv", index_col="party")
    pd.testing.assert_frame_equal(parties, result.party_table(), rtol=1e-15)
    wb = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    assert wb.sheetnames == list(tables)
    rows = list(wb["parties"].iter_rows(min_row=2, max_col=1, values_only=True))
    assert [r[0] for r in rows] == list(result.party_table().index)

    export.export_result(result, out, ("csv", "parquet"), tables="runs,routes,party_totals")
    runs = pd.read_csv(out / "runs.csv", index_col="replication")
    pd.testing.assert_frame_equal(runs, result.runs, check_dtype=False, rtol=1e-15)
    routes = pd.read_parquet(out / "routes.parquet")
    assert len(routes) == len(result.routes)
    summary = pd.read_csv(out / "summary.csv", index_col="measure")
    assert summary.loc["gov_net_cost", "label"] == "Government all-in net cost"
    assert summary.loc["gov_net_cost", "unit"] == "CNY million"
    assert summary.loc["gov_net_cost", "cvar95"] == pytest.approx(
        result.summary().loc["gov_net_cost", "cvar95"]
    )
    ledger = pd.read_csv(out / "ledger_0000.csv")
    assert list(ledger.columns) == [
        "time",
        "payer",
        "payee",
        "amount",
        "kind",
        "challenge",
        "route",
    ]
    assert len(ledger) == len(result.ledger(0))
    totals = pd.read_csv(out / "party_totals.csv", index_col="replication")
    assert np.allclose(totals.sum(axis=1), 0.0, atol=1e-6)

    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("| Measure | Code | Mean |")
    assert "| Government all-in net cost (CNY million) | gov_net_cost |" in md
    tex = (out / "summary.tex").read_text(encoding="utf-8")
    assert r"\begin{longtable}" in tex and r"gov\_net\_cost" in tex and r"\toprule" in tex


def test_manifest_content(result, tmp_path) -> None:
    export.export_result(result, tmp_path, "csv,md", scenario_file=CONFIG, provenance={"x": 1})
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fundflow_version"] == fundflow.__version__
    assert manifest["seed_entropy"] == 11
    assert manifest["runs"] == 20 and manifest["workers"] == 1
    assert manifest["elapsed_seconds"] >= 0
    assert manifest["formats"] == ["csv", "md"]
    assert manifest["money_unit"] == "CNY million"
    assert manifest["x"] == 1
    assert manifest["created"]
    scenario = manifest["scenario"]
    assert scenario["name"] == result.scenario.name
    import hashlib

    assert scenario["file_sha256"] == hashlib.sha256(CONFIG.read_bytes()).hexdigest()
    assert scenario["source"] == json.loads(json.dumps(dict(result.scenario.source)))
    assert fundflow.Scenario.from_dict(scenario["source"]).describe() == result.scenario.describe()
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {p.name for p in tmp_path.iterdir()} - {"manifest.json"}
    assert listed["summary.csv"]["bytes"] == (tmp_path / "summary.csv").stat().st_size
    assert manifest["tables"] == [
        "summary",
        "challenges",
        "budget_by_year",
        "parties",
        "ledger_0000",
    ]


def test_excel_sheets_headers_frozen_panes_and_number_formats(result, tmp_path) -> None:
    export.export_result(result, tmp_path, ("xlsx",), tables="runs,routes")
    wb = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert wb.sheetnames == [
        "summary",
        "challenges",
        "budget_by_year",
        "parties",
        "ledger_0000",
        "runs",
        "routes",
    ]
    summary, runs, routes = wb["summary"], wb["runs"], wb["routes"]
    assert summary.freeze_panes == "C2"
    assert runs.freeze_panes == "B2"
    assert routes.freeze_panes == "C2"
    assert summary["A1"].value == "Measure" and summary["C1"].value == "Mean"
    header = [c.value for c in runs[1]]
    assert header[:4] == [
        "Replication",
        "Government budget cost (CNY million)",
        "Government net cost in the guided fund (calls less what came back) (CNY million)",
        "Tax forgone (memo) (CNY million)",
    ]
    col = header.index("Challenge success rate (share)") + 1
    assert runs.cell(row=2, column=col).number_format == "0.0%"
    assert runs.cell(row=2, column=4).number_format == "#,##0.00"
    assert runs.cell(row=runs.max_row, column=4).number_format == "#,##0.00"
    # every replication, in order, with its values
    assert runs.max_row == len(result) + 1
    reps = [runs.cell(row=i, column=1).value for i in range(2, runs.max_row + 1)]
    assert reps == list(result.runs.index)
    assert runs.cell(row=2, column=4).value == pytest.approx(result.runs["gov_tax_forgone"].iloc[0])
    assert routes.max_row == len(result.routes) + 1
    assert summary.column_dimensions["A"].width > 20
    net = next(r for r in summary.iter_rows(min_row=2, values_only=True) if r[1] == "gov_net_cost")
    assert net[0] == "Government all-in net cost (CNY million)"
    frame = pd.read_excel(tmp_path / "results.xlsx", sheet_name="routes")
    assert len(frame) == len(result.routes)
    assert frame["Status"].tolist() == result.routes["status"].tolist()
    assert frame["Misconduct"].dtype == bool


def test_zh_labels_in_every_readable_format(result, tmp_path) -> None:
    export.export_result(result, tmp_path, ("csv", "xlsx", "md"), lang="zh", tables=["routes"])
    summary = pd.read_csv(tmp_path / "summary.csv", index_col="代码", encoding="utf-8-sig")
    assert summary.loc["gov_net_cost", "指标"] == "政府全口径净成本"
    assert summary.loc["gov_net_cost", "单位"] == "百万元"
    assert summary.loc["gov_budget_cost", "均值"] == pytest.approx(
        result.summary().loc["gov_budget_cost", "mean"]
    )
    wb = openpyxl.load_workbook(tmp_path / "results.xlsx", read_only=True)
    first = next(wb["summary"].iter_rows(min_row=1, max_row=1, values_only=True))
    assert first[0] == "指标" and first[2] == "均值"
    assert "政府全口径净成本（百万元）" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "被淘汰" in (tmp_path / "routes.md").read_text(encoding="utf-8") or "失败" in (
        tmp_path / "routes.md"
    ).read_text(encoding="utf-8")


def test_bad_format_language_or_directory_writes_nothing(result, tmp_path) -> None:
    with pytest.raises(ConfigError, match="must be one or more of csv, xlsx, parquet, md, tex"):
        export.export_result(result, tmp_path / "a", ("csv", "xls"))
    with pytest.raises(ConfigError, match="lang"):
        export.export_result(result, tmp_path / "b", ("csv",), lang="de")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"directory = .*cannot be written"):
        export.export_result(result, blocker / "out", ("csv",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_parse_formats() -> None:
    assert export.parse_formats("csv, XLSX,csv") == ("csv", "xlsx")
    with pytest.raises(ConfigError, match="--format"):
        export.parse_formats("", option="--format")


def test_interrupted_export_leaves_no_partial_table(result, tmp_path, monkeypatch) -> None:
    real = writers._write_text

    def interrupted(table, path, fmt, lang, money_unit):
        real(table, path, fmt, lang, money_unit)  # the temporary file is complete...
        if table.name == "runs":
            raise KeyboardInterrupt  # ...but Ctrl-C comes before the rename

    monkeypatch.setattr(writers, "_write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export.export_result(result, tmp_path, ("csv", "md"), tables=("runs", "routes"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "runs.md" not in names and "routes.md" not in names
    assert "manifest.json" not in names  # written last: its absence marks the export unfinished
    assert not [n for n in names if n.startswith(".")]  # no temporary left
    assert "summary.md" in names  # complete files are kept


def test_interrupted_excel_leaves_no_workbook(result, tmp_path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_xlsx, "_bulk_rows", boom)
    with pytest.raises(KeyboardInterrupt):
        export.export_result(result, tmp_path, ("xlsx",), tables="runs")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_export_overwrites_a_previous_one(result, tmp_path) -> None:
    (tmp_path / "runs.csv").write_text("stale")
    export.export_result(result, tmp_path, "csv", tables="runs")
    assert len(pd.read_csv(tmp_path / "runs.csv")) == len(result)


def test_result_export_method(result, tmp_path) -> None:
    written = result.export(tmp_path, formats=("md",), lang="zh")
    assert (tmp_path / "summary.md").exists()
    assert written[-1] == tmp_path / "manifest.json"


def test_write_table_with_plain_index(tmp_path) -> None:
    frame = pd.DataFrame({"gov_net_cost": [1.5, 2.5], "status": ["failed", "succeeded"]})
    export.write_table(frame, tmp_path, "t", ("csv", "md", "xlsx"), lang="zh")
    csv = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert csv.columns.tolist() == ["政府全口径净成本（百万元）", "状态"]
    assert "| 政府全口径净成本（百万元） | 状态 |" in (tmp_path / "t.md").read_text(
        encoding="utf-8"
    )
    export.write_table(frame, tmp_path, "e", ("csv",))
    assert pd.read_csv(tmp_path / "e.csv").columns.tolist() == ["gov_net_cost", "status"]
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb["t"]["A3"].value == 2.5 and wb["t"]["B3"].value == "succeeded"


def test_relabel_columns(result) -> None:
    zh = labels.relabel_columns(result.routes, "zh", result.money_unit)
    assert "揭榜方损失（百万元）" in zh.columns
    assert list(zh.index.names) == ["模拟序号", "揭榜团队"]
    assert set(zh["状态"]) <= {labels.label(s, "zh") for s in STATUS}
    en = labels.relabel_columns(result.runs)
    assert en.columns[0] == "Government budget cost (CNY million)"


# --------------------------------------------------------------------------- the writer registry


def test_the_builtin_formats_are_registered_in_export_order() -> None:
    assert writers.formats() == ("csv", "xlsx", "parquet", "md", "tex")
    assert writers.readable_formats() == ("xlsx", "md", "tex")
    assert [w for w in writers.formats() if writers.writer(w).stream] == ["csv", "parquet"]
    assert writers.writer("xlsx").book == "results"


def _write_json(tables, path, lang, money_unit) -> None:
    (table,) = tables
    writers.machine_frame(table, lang, money_unit).to_json(path, orient="records")


@pytest.fixture
def json_format():
    """A format for programs registered for one test: it writes whole tables only."""
    writers.register_writer(writers.Writer("json", _write_json))
    yield "json"
    writers.unregister_writer("json")


def test_a_registered_format_is_exported_like_the_others(result, tmp_path, json_format) -> None:
    assert export.parse_formats("csv,JSON") == ("csv", "json")
    written = export.export_result(result, tmp_path, ("csv", json_format), tables="runs,routes")
    names = {p.name for p in written}
    assert {"summary.json", "challenges.json", "runs.json", "routes.json"} <= names
    rows = pd.read_json(tmp_path / "summary.json", orient="records")
    assert rows["measure"].tolist() == list(result.summary().index)
    assert len(pd.read_json(tmp_path / "runs.json", orient="records")) == len(result)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["formats"] == ["csv", "json"]


def test_a_format_without_a_writer_is_refused(result, tmp_path, json_format) -> None:
    writers.unregister_writer(json_format)
    try:
        with pytest.raises(ConfigError, match="must be one or more of csv, xlsx, parquet, md, tex"):
            export.export_result(result, tmp_path / "a", json_format)
        with pytest.raises(ConfigError, match="formats = 'json'"):
            writers.writer(json_format)
    finally:
        writers.register_writer(writers.Writer("json", _write_json))
    assert not (tmp_path / "a").exists()


def test_a_writer_is_registered_once() -> None:
    with pytest.raises(ValueError, match="'csv' already has a writer"):
        writers.register_writer(writers.Writer("csv", _write_json))
    with pytest.raises(ValueError, match="lower-case letters and digits"):
        writers.register_writer(writers.Writer("x.y", _write_json))
    assert writers.writer("csv").write is not _write_json


def test_a_stored_run_goes_only_to_formats_that_stream(tmp_path, json_format) -> None:
    """A stored run's per-replication tables are written block by block: a format whose
    writer cannot is refused before anything is written, never handed another's bytes."""
    stored = fundflow.simulate(CONFIG, 30, seed=2, store=tmp_path / "store", chunk_size=10)
    with pytest.raises(ConfigError, match="formats = 'json': cannot write a run streamed"):
        export.export_result(stored, tmp_path / "out", ("csv", json_format), tables="runs")
    assert not (tmp_path / "out").exists()
    from fundflow.io._stream import write_stored_table

    with pytest.raises(ValueError, match="'json' cannot write a table block by block"):
        write_stored_table(stored, "runs", tmp_path / "runs.json", json_format)
    assert not (tmp_path / "runs.json").exists()
    # without per-replication tables, any format will do: the tables for people are small
    written = export.export_result(stored, tmp_path / "people", ("csv", json_format))
    assert {"summary.json", "parties.json", "ledger_0000.json"} <= {p.name for p in written}
    export.export_result(stored, tmp_path / "out", ("parquet", "md"), tables="runs")
    assert len(pd.read_parquet(tmp_path / "out" / "runs.parquet")) == 30
