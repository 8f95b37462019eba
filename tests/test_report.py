"""``fundflow report``: the one-page HTML summary for a director (docs/model.md, "What
is reported"). The page is checked as text and, in headless Chromium, as the DOM a
browser builds and as a screenshot that is not blank. In CI (``CI=true``) the browser
test runs: ``.ci/run`` installs Debian's ``chromium``."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import fundflow
from fundflow.cli import main
from fundflow.io import labels as lb

CONFIG = str(Path(__file__).resolve().parents[1] / "configs" / "open_competition.yaml")
SMALL = ["--runs", "300", "--seed", "4"]


def _headline(directory: Path) -> str:
    page = (directory / "report.html").read_text(encoding="utf-8")
    match = re.search(r"<p class='headline' id='headline'>(.*?)</p>", page)
    assert match, "no headline on the page"
    return html.unescape(match.group(1))


def _budget_cost(unit_factor: float) -> str:
    res = fundflow.simulate(CONFIG, runs=300, seed=4)
    return lb.format_number(res.summary().loc["gov_budget_cost", "mean"] * unit_factor, "money")


@pytest.fixture(scope="module")
def zh_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "r"
    args = ["report", CONFIG, "--lang", "zh", "--unit", "万元", "--out", str(out), *SMALL]
    assert main([*args, "--quiet"]) == 0
    return out


def test_the_page_carries_the_headline_in_the_readers_unit(zh_page: Path) -> None:
    headline = _headline(zh_page)
    assert headline.startswith("财政净支出")
    assert _budget_cost(100.0) in headline  # CNY million -> 万元: x 100
    page = (zh_page / "report.html").read_text(encoding="utf-8")
    for words in ("分年度预算", "哪些榜题推高不利情形", "验收通过率", "95%置信区间", "万元"):
        assert words in page, words
    assert "<html lang='zh-CN'>" in page
    assert "@font-face" in page  # the Chinese glyphs travel with the page


def test_the_page_is_self_contained(zh_page: Path) -> None:
    page = (zh_page / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r"src='([^']*)'", page)
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page
    assert [p.name for p in zh_page.iterdir()] == ["report.html"]


def test_a_stored_run_gives_the_same_page(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert main(["run", CONFIG, *SMALL, "--out", str(run_dir), "--quiet"]) == 0
    assert main(["report", "--from", str(run_dir), "--quiet"]) == 0
    assert _budget_cost(1.0) in _headline(run_dir)
    held = fundflow.simulate(CONFIG, runs=300, seed=4)
    direct = held.report(tmp_path / "held.html")
    stored = fundflow.open_run(run_dir).report(tmp_path / "stored.html")
    assert Path(direct).read_text(encoding="utf-8") == Path(stored).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--unit", "美元"], "--unit = '美元': must be one of 元, 万元, 百万元, 亿元"),
        (["--from", "somewhere"], "not both"),
        ([], "--out"),
    ],
    ids=["unit", "both", "no-out"],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["report", CONFIG, *SMALL, *args])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_money_unit_that_is_not_cny_is_not_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    code = main(
        ["report", CONFIG, *SMALL, "--set", "money_unit=USD million", "--unit", "万元",
         "--out", str(out)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "not a CNY unit" in err and "USD million" in err
    assert not (out / "report.html").exists()


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI"):
        pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
    return found


_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_headless_chromium_shows_the_page(zh_page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed here (CI installs it)")
    url = (zh_page / "report.html").resolve().as_uri()
    base = [browser, *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert _budget_cost(100.0) in dom and "财政净支出" in dom
    shot = tmp_path / "page.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1000,1400", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 900
    assert float(np.var(pixels[..., :3])) > 1e-3  # not a blank page
