"""Challenge lists read from a spreadsheet: the same scenario as YAML, errors by cell."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from fundflow import ConfigError, load_scenario
from fundflow.cli import main
from fundflow.scenario._sheet_columns import KEYS, header_of

ROOT = Path(__file__).resolve().parents[1]
OPEN = ROOT / "configs" / "open_competition.yaml"


# --------------------------------------------------------------------------- helpers


def _flat(value: Any, prefix: str, out: dict[str, Any], dist_text: bool) -> None:
    """A YAML challenge as dotted-path columns (distributions as text or in columns)."""
    if isinstance(value, dict) and "dist" in value and dist_text:
        args = ", ".join(f"{k}={v}" for k, v in value.items() if k != "dist")
        out[prefix] = f"{value['dist']}({args})"
    elif isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else k, out, dist_text)
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _flat(v, f"{prefix}[{k}]", out, dist_text)
    else:
        out[prefix] = value


def _table(challenges: list[dict[str, Any]], lang: str, dist_text: bool) -> list[list[Any]]:
    flat = []
    for c in challenges:
        row: dict[str, Any] = {}
        _flat(c, "", row, dist_text)
        flat.append(row)
    paths = list(dict.fromkeys(p for row in flat for p in row))
    return [[header_of(p, lang) for p in paths], *([row.get(p) for p in paths] for row in flat)]


def _write_xlsx(path: Path, rows: list[list[Any]], title: str = "challenges") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(["" if v is None else v for v in row] for row in rows)
    return path


def _scenario_with(tmp_path: Path, spec: str) -> Path:
    """open_competition.yaml with its challenge list replaced by `spec`."""
    data = yaml.safe_load(OPEN.read_text(encoding="utf-8"))
    data["challenges"] = yaml.safe_load(spec)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _error(tmp_path: Path, rows: list[list[Any]], title: str = "challenges") -> str:
    _write_xlsx(tmp_path / "list.xlsx", rows, title)
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nchallenges: {{from: list.xlsx, sheet: {title}}}\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    return str(info.value)


HEAD = ["name", "count", "total_investment", "solvers", "value_on_success"]
GOOD = [HEAD, ["a", 2, 10, 1, "lognormal(median=20, sigma=1)"], ["b", 1, 15, 1, 5]]


# --------------------------------------------------------------------------- same as YAML


@pytest.mark.parametrize(
    ("suffix", "lang", "dist_text"),
    [("xlsx", "en", True), ("xlsx", "zh", False), ("csv", "zh", True), ("csv", "en", False)],
)
def test_sheet_gives_the_yaml_scenario(tmp_path, suffix, lang, dist_text) -> None:
    original = load_scenario(OPEN)
    rows = _table(original.source["challenges"], lang, dist_text)
    sheet = tmp_path / f"list.{suffix}"
    _write_xlsx(sheet, rows, "榜单") if suffix == "xlsx" else _write_csv(sheet, rows)
    spec = f"{{from: list.{suffix}, sheet: 榜单}}" if suffix == "xlsx" else "{from: list.csv}"
    loaded = load_scenario(_scenario_with(tmp_path, spec))
    assert loaded.challenges == original.challenges
    assert loaded.source == original.source
    assert loaded.describe() == original.describe()


def test_chinese_headers_cover_every_key_of_the_template() -> None:
    from fundflow.io.sheet_template import example_row

    values, _ = example_row()
    keys = {part.split("[")[0] for path in values for part in path.split(".")}
    assert keys <= set(KEYS)


def test_a_relative_path_is_read_from_the_scenario_folder(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "program"
    folder.mkdir()
    _write_xlsx(folder / "list.xlsx", GOOD)
    (folder / "s.yaml").write_text("name: t\nchallenges: {from: list.xlsx}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario("program/s.yaml")
    assert [c.name for c in scenario.challenges] == ["a", "b"]
    assert scenario.n_challenges == 3
    assert scenario.challenges[0].value_on_success.family == "lognormal"


def test_comment_rows_gbk_csv_and_percent_text(tmp_path) -> None:
    rows = [
        [
            "名称",
            "总投资（百万元）",
            "发榜方出资比例",
            "阶段[0].通过概率",
            "阶段[0].成本占比",
            "阶段[0].时长",
        ],
        ["# 允许值：文本", ">0", "0–1", "0–1", "0–1", "≥0"],
        ["甲", "12", "40%", "0.5", "1", "2"],
    ]
    _write_csv(tmp_path / "list.csv", rows, encoding="gb18030")
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.csv}\n", "utf-8")
    (c,) = load_scenario(tmp_path / "s.yaml").challenges
    assert (c.name, c.total_investment, c.demander_share) == ("甲", 12.0, 0.4)
    assert [(p.pass_probability, p.cost_share) for p in c.phases] == [(0.5, 1.0)]


@pytest.mark.parametrize(("suffix", "lang"), [("xlsx", "en"), ("xlsx", "zh"), ("csv", "zh")])
def test_template_loads_as_the_first_example_challenge(tmp_path, suffix, lang) -> None:
    target = tmp_path / f"list.{suffix}"
    argv = ["init", "--list", str(target), "--lang", lang]
    assert main(argv) == 0
    assert main(argv) == 2  # never overwrites
    (tmp_path / "s.yaml").write_text(f"name: t\nchallenges: {{from: list.{suffix}}}\n", "utf-8")
    (c,) = load_scenario(tmp_path / "s.yaml").challenges
    assert c == load_scenario(OPEN).challenges[0]
    if suffix == "xlsx":
        ws = openpyxl.load_workbook(target).active
        assert ws.title == ("榜单" if lang == "zh" else "challenges")
        headers = [cell.value for cell in ws[1]]
        assert ("总投资（百万元）" if lang == "zh" else "total_investment (CNY million)") in headers
        assert str(ws["A2"].value).startswith("#")


# --------------------------------------------------------------------------- broken sheets


def _with(row: int, col: int, value: Any, rows: list[list[Any]] | None = None) -> list[list[Any]]:
    out = [list(r) for r in (rows or GOOD)]
    out[row][col] = value
    return out


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            _with(2, 2, -3),
            "list.xlsx!challenges!C3 (challenges[1].total_investment) = -3: must be > 0",
            id="negative",
        ),
        pytest.param(
            _with(1, 2, "twenty"),
            "list.xlsx!challenges!C2 (challenges[0].total_investment) = 'twenty': must be a number",
            id="wrong-type",
        ),
        pytest.param(
            [[r[0], r[1], r[3], r[4]] for r in GOOD],
            "list.xlsx!challenges row 2 (challenges[0].total_investment): missing: this key "
            "is required (the sheet has no column 'total_investment')",
            id="missing-column",
        ),
        pytest.param(
            _with(0, 2, "total_invesment"),
            "list.xlsx!challenges!C2 (challenges[0].total_invesment) = 10: unknown key; "
            "did you mean 'total_investment'?",
            id="unknown-column",
        ),
        pytest.param(
            _with(0, 2, "总投资额"),
            "list.xlsx!challenges!C1 = '总投资额': unknown column; did you mean '总投资' "
            "(total_investment)?",
            id="unknown-chinese-column",
        ),
        pytest.param(
            [GOOD[0], GOOD[1], [None] * 5, GOOD[2]],
            "list.xlsx!challenges!A3: an empty row inside the list (challenges continue in "
            "row 4): delete it",
            id="empty-row",
        ),
        pytest.param(
            _with(1, 2, "=5*2"),
            "list.xlsx!challenges!C2 (challenges[0].total_investment) = '=5*2': a formula: "
            "fundflow never evaluates formulas",
            id="formula",
        ),
        pytest.param(
            _with(1, 2, dt.datetime(2026, 3, 1)),
            "list.xlsx!challenges!C2 (challenges[0].total_investment) = '2026-03-01 00:00:00': "
            "a date or time where a number or text belongs",
            id="date",
        ),
        pytest.param(
            _with(2, 0, "a"),
            "list.xlsx!challenges!A3 (challenges[1].name) = 'a': challenge names must be unique",
            id="duplicated-name",
        ),
        pytest.param(
            _with(0, 3, "count"),
            "list.xlsx!challenges!D1 = 'count': a second column for 'count' (the first is B)",
            id="duplicated-column",
        ),
        pytest.param(
            _with(2, 4, "lognormal(median=20, sigma=-1)"),
            "list.xlsx!challenges!E3 (challenges[1].value_on_success.sigma) = -1.0: must be > 0",
            id="bad-distribution",
        ),
        pytest.param(
            _with(1, 4, "lognormal(median=20; sigma=1)"),
            "list.xlsx!challenges!E2 (challenges[0].value_on_success) = "
            "'lognormal(median=20; sigma=1)': a distribution is written as",
            id="unreadable-distribution",
        ),
        pytest.param(
            [[*GOOD[0], None], [*GOOD[1], 7], GOOD[2]],
            "list.xlsx!challenges!F2 = 7: a value in a column without a header",
            id="value-without-header",
        ),
        pytest.param(
            [GOOD[0]],
            "list.xlsx!challenges!A1: no challenge rows under the header",
            id="no-rows",
        ),
    ],
)
def test_broken_sheet(tmp_path, rows, expected) -> None:
    assert _error(tmp_path, rows).startswith(expected)


def test_nested_errors_name_the_cell_of_the_nested_key(tmp_path) -> None:
    head = ["name", "total_investment", "phases[0].cost_share", "phases[0].pass_probability",
            "phases[0].duration"]  # fmt: skip
    message = _error(tmp_path, [head, ["a", 5, 1, 1.4, 1]])
    assert message.startswith(
        "list.xlsx!challenges!D2 (challenges[0].phases[0].pass_probability) = 1.4: must be in"
    )
    message = _error(tmp_path, [head, ["a", 5, 0.5, 0.4, 1]])
    assert message.startswith("list.xlsx!challenges!C2 (challenges[0].phases) = [0.5]: the phases'")
    gap = [*head, "phases[2].cost_share"]
    message = _error(tmp_path, [gap, ["a", 5, 0.5, 0.4, 1, 0.5]])
    assert message.startswith("list.xlsx!challenges row 2 (challenges[0].phases)")
    assert "without gaps" in message
    both = [*head, "phases[0].duration.dist", "phases[0].duration.low", "phases[0].duration.high"]
    message = _error(tmp_path, [both, ["a", 5, 1, 0.5, None, "uniform", 1, 2],
                                ["b", 5, 1, 0.5, 1, "uniform", 1, 2]])  # fmt: skip
    assert message.startswith(
        "list.xlsx!challenges!F3 (challenges[1].phases[0].duration.dist) = 'uniform': "
        "'phases[0].duration' is given too: fill one or the other"
    )


def test_merged_cells(tmp_path) -> None:
    path = _write_xlsx(tmp_path / "list.xlsx", [*GOOD, ["c", 1, 15, 1, 5]])
    wb = openpyxl.load_workbook(path)
    wb.active.merge_cells("D2:D4")
    wb.save(path)
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.xlsx}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"^list\.xlsx!challenges!D2:D4: merged cells: unmerge"):
        load_scenario(tmp_path / "s.yaml")


def _load_error(tmp_path: Path, name: str, sheet: str | None = None) -> str:
    extra = f", sheet: {sheet}" if sheet else ""
    (tmp_path / "s.yaml").write_text(f"name: t\nchallenges: {{from: {name}{extra}}}\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(tmp_path / "s.yaml")
    return str(info.value)


def test_password_protected_or_legacy_file_is_one_error(tmp_path) -> None:
    # Encrypted .xlsx files are OLE compound documents, not zip archives.
    (tmp_path / "list.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert _load_error(tmp_path, "list.xlsx") == (
        "challenges.from = 'list.xlsx': is password-protected or an Excel 97-2003 file: "
        "save it as an unprotected .xlsx workbook (or as .csv)"
    )


def test_unreadable_files(tmp_path) -> None:
    (tmp_path / "list.xlsx").write_text("name,total_investment\n", "utf-8")
    assert "cannot be read as an .xlsx workbook" in _load_error(tmp_path, "list.xlsx")
    with zipfile.ZipFile(tmp_path / "broken.xlsx", "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    assert "cannot be read as an .xlsx workbook" in _load_error(tmp_path, "broken.xlsx")
    assert "file not found" in _load_error(tmp_path, "missing.xlsx")
    assert "must be an .xlsx or .csv file" in _load_error(tmp_path, "list.xls")


def test_zip_bomb_is_refused_before_parsing(tmp_path) -> None:
    path = _write_xlsx(tmp_path / "list.xlsx", GOOD)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/padding.bin", "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(60):  # 60 MB of zeros, about 60 kB compressed
                f.write(chunk)
    assert path.stat().st_size < 1_000_000
    message = _load_error(tmp_path, "list.xlsx")
    assert message.startswith("challenges.from = 'list.xlsx': unpacks to 63 MB")
    assert "refused" in message


def test_absurd_row_count_is_refused(tmp_path) -> None:
    rows = [HEAD, *([f"c{i}", 1, 10, 1, 5] for i in range(10_001))]
    _write_csv(tmp_path / "list.csv", rows)
    assert "more than 10,000 rows" in _load_error(tmp_path, "list.csv")


def test_unknown_sheet_and_bad_spec(tmp_path) -> None:
    _write_xlsx(tmp_path / "list.xlsx", GOOD, "榜单")
    message = _load_error(tmp_path, "list.xlsx", sheet="榜")
    assert message == "challenges.sheet = '榜': no such sheet in list.xlsx; it has: 榜单"
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {form: list.xlsx}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"challenges\.form = 'list\.xlsx': unknown key; did"):
        load_scenario(tmp_path / "s.yaml")


def test_cli_reports_a_bad_cell_on_one_line(tmp_path, capsys) -> None:
    _write_xlsx(tmp_path / "list.xlsx", _with(2, 2, -3), "榜单")
    (tmp_path / "s.yaml").write_text(
        "name: t\nchallenges: {from: list.xlsx, sheet: 榜单}\n", "utf-8"
    )
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert err == "error: list.xlsx!榜单!C3 (challenges[1].total_investment) = -3: must be > 0\n"


def test_cli_runs_a_scenario_whose_list_is_a_sheet(tmp_path, capsys) -> None:
    _write_xlsx(tmp_path / "list.xlsx", GOOD)
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.xlsx}\n", "utf-8")
    assert main(["run", str(tmp_path / "s.yaml"), "--runs", "20", "--seed", "1", "--quiet"]) == 0
    assert "t: 3 challenges, 3 routes" in capsys.readouterr().out


def test_full_width_headers_and_a_yaml_flow_cell(tmp_path) -> None:
    head = ["名称", "总投资", "阶段［１］.时长", "demander_installments", "阶段[0].时长"]
    head += ["阶段[0].成本占比", "阶段[0].通过概率", "阶段[1].成本占比", "阶段[1].通过概率"]
    row = ["a", 10, 2, "[{after: 0, share: 0.5}, {after: 2, share: 0.5}]", 1, 0.5, 0.5, 0.5, 0.5]
    _write_csv(tmp_path / "list.csv", [head, row])
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.csv}\n", "utf-8")
    (c,) = load_scenario(tmp_path / "s.yaml").challenges
    assert [(i.after, i.share) for i in c.demander_installments] == [(0, 0.5), (2, 0.5)]
    assert [p.duration.mean() for p in c.phases] == [1.0, 2.0]


def test_race_columns_filled_without_solvers_name_the_empty_cell(tmp_path) -> None:
    head = ["名称", "总投资（百万元）", "揭榜方数量", "赛马.选拔评审", "赛马.保留数"]
    rows = [head, ["a", 10, 3, 1, 1], ["b", 10, None, None, None], ["c", 10, None, 1, 2]]
    assert _error(tmp_path, rows, "榜单") == (
        "list.xlsx!榜单!C4 (challenges[2].solvers): column 揭榜方数量 is empty but the race "
        "columns 赛马.选拔评审 (D), 赛马.保留数 (E) are filled: give the number of solvers "
        "(a race runs among 2 or more)"
    )
    no_column = [[r[0], r[1], r[4]] for r in rows]
    assert _error(tmp_path, no_column, "榜单") == (
        "list.xlsx!榜单 row 2 (challenges[0].solvers): the sheet has no column solvers "
        "(揭榜方数量) but the race columns 赛马.保留数 (C) are filled: add it and give the "
        "number of solvers (a race runs among 2 or more)"
    )
    # a race written as one YAML flow cell counts as well; a row without race columns is fine
    flow = [["name", "total_investment", "solvers", "race"], ["a", 10, None, "{keep: 2}"]]
    assert _error(tmp_path, flow).startswith(
        "list.xlsx!challenges!C2 (challenges[0].solvers): column solvers is empty but the "
        "race columns race (D) are filled"
    )


def test_race_columns_with_solvers_given_are_read(tmp_path) -> None:
    rows = [
        ["name", "total_investment", "solvers", "race.keep"],
        ["a", 10, 3, 2],
        ["b", 10, 1, None],
    ]
    _write_xlsx(tmp_path / "list.xlsx", rows)
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.xlsx}\n", "utf-8")
    a, b = load_scenario(tmp_path / "s.yaml").challenges
    assert (a.solvers, a.race.keep, b.solvers) == (3, 2, 1)


def test_cli_reports_race_without_solvers_on_one_line(tmp_path, capsys) -> None:
    rows = [["name", "total_investment", "solvers", "race.keep"], ["a", 10, None, 2]]
    _write_xlsx(tmp_path / "list.xlsx", rows)
    (tmp_path / "s.yaml").write_text("name: t\nchallenges: {from: list.xlsx}\n", "utf-8")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: list.xlsx!challenges!C2 (challenges[0].solvers): column solvers is empty but "
        "the race columns race.keep (D) are filled: give the number of solvers (a race runs "
        "among 2 or more)"
    ]


def test_a_share_written_as_a_percentage_names_the_cell_and_the_fraction(tmp_path) -> None:
    rows = [["name", "total_investment", "demander_share"], ["a", 10, "40%"], ["b", 10, 40]]
    assert _error(tmp_path, rows) == (
        "list.xlsx!challenges!C3 (challenges[1].demander_share) = 40: must be in [0, 1] "
        "(did you mean 0.4?)"
    )
