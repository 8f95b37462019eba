"""`fundflow sweep`: levers from the command line, one tidy table, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fundflow.cli import main
from fundflow.cli.sweep import parse_lever

CONFIG = str(Path(__file__).resolve().parents[1] / "configs" / "open_competition.yaml")


def test_parse_lever_lists_ranges_and_null() -> None:
    assert parse_lever("government.matching.ratio=0.2,0.3") == (
        "government.matching.ratio",
        [0.2, 0.3],
    )
    assert parse_lever("government.matching.cap=5,null") == ("government.matching.cap", [5, None])
    assert parse_lever("government.matching.ratio=0.2:0.3") == (
        "government.matching.ratio",
        (0.2, 0.3),
    )


def test_sweep_grid_writes_a_tidy_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            CONFIG,
            "--lever",
            "government.matching.ratio=0.2,0.3",
            "--lever",
            "government.matching.first_share=0.2,0.6",
            "--runs",
            "30",
            "--seed",
            "4",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Government budget cost, mean (CNY million)" in printed
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 4
    assert {"government.matching.ratio", "gov_net_cost_mean", "gov_net_cost_cvar95"} <= set(
        table.columns
    )
    # common random numbers: the match does not change which challenges succeed
    assert table["challenges_succeeded_mean"].nunique() == 1
    # a higher ratio costs the government more at the same first share
    by = table.set_index(["government.matching.first_share", "government.matching.ratio"])
    assert by.loc[(0.2, 0.3), "gov_net_cost_mean"] > by.loc[(0.2, 0.2), "gov_net_cost_mean"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points"] == 4 and manifest["runs"] == 30


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["--lever", "government.matching.rato=0.2,0.3"],
            "did you mean 'government.matching.ratio'",
        ),
        (["--lever", "government.matching.ratio"], "--lever"),
        ([], "an empty sweep"),
        (
            ["--lever", "government.matching.ratio=0.2:0.3", "--sampler", "sobolx", "--n", "4"],
            "sampler",
        ),
        (["--lever", "government.matching.ratio=1.4,0.2"], "must be in [0, 1]"),
        (
            ["--lever", "government.matching.ratio=0.2,0.3", "--set", "government.matching.rato=1"],
            "government.matching.rato: no such key",
        ),
        (["--lever", "government.matching.ratio=0.2,0.3", "--set", "discount_rate"], "--set"),
    ],
)
def test_sweep_bad_input_is_one_error(
    argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    code = main(["sweep", CONFIG, *argv, "--runs", "5", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error:") and needle in err and "Traceback" not in err
    assert not out.exists()


def test_sweep_set_applies_to_every_point_before_the_levers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["sweep", CONFIG, "--lever", "government.matching.ratio=0.2,0.3"]
    base += ["--runs", "20", "--seed", "4", "--quiet"]
    tables = {}
    for name, extra in (
        ("plain", []),
        ("first_share", ["--set", "government.matching.first_share=0.6"]),
        ("lever_wins", ["--set", "government.matching.ratio=0.9"]),
    ):
        assert main([*base, *extra, "--out", str(tmp_path / name)]) == 0
        tables[name] = pd.read_csv(tmp_path / name / "sweep.csv")
    capsys.readouterr()
    plain, moved = tables["plain"], tables["first_share"]
    assert moved["government.matching.ratio"].tolist() == [0.2, 0.3]
    # more paid in phase 1, before routes fail: the government pays more at every point
    assert (moved["gov_net_cost_mean"] > plain["gov_net_cost_mean"]).all()
    # a lever sets its key after --set: the same numbers as without the override
    pd.testing.assert_frame_equal(tables["lever_wins"], plain)
    manifest = json.loads((tmp_path / "first_share" / "manifest.json").read_text())
    assert manifest["overrides"] == ["government.matching.first_share=0.6"]
    assert main([*base, "--set", "government.matching.mode=upfront"]) == 0
    assert "matching 0.25 (upfront)" in capsys.readouterr().out  # the base scenario, echoed
