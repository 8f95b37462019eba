"""Example scenarios shipped inside the package: listing, copying, loading by name, wheel."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fundflow import ConfigError, load_scenario
from fundflow.cli import main
from fundflow.scenario import examples

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("open_competition", "upfront_grant", "chain_leader", "national_major_project")


def test_every_config_is_an_example_with_the_same_text() -> None:
    assert set(SHIPPED) <= set(examples.names())
    assert {p.stem for p in (ROOT / "configs").glob("*.yaml")} == set(examples.names())
    for name in examples.names():
        assert examples.path(name).read_bytes() == (ROOT / "configs" / f"{name}.yaml").read_bytes()


def test_examples_command_lists_one_line_each(capsys) -> None:
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == examples.names()
    assert all(len(line.split()) > 3 for line in lines[: len(SHIPPED)])


@pytest.mark.parametrize("name", SHIPPED)
def test_load_by_name_is_the_config_file(name) -> None:
    by_name = load_scenario(name)
    by_path = load_scenario(ROOT / "configs" / f"{name}.yaml")
    assert by_name.source == by_path.source
    assert by_name.describe() == by_path.describe()


def test_a_file_in_the_folder_takes_precedence(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("open_competition").write_text(
        "name: local\nchallenges: [{name: a, total_investment: 5}]\n", "utf-8"
    )
    assert load_scenario("open_competition").name == "local"


def test_unknown_name_suggests_an_example(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="did you mean the example 'open_competition'"):
        load_scenario("open_competiton")
    with pytest.raises(ConfigError, match="file not found"):
        load_scenario("open_competiton.yaml")  # a file name is never taken for an example


def test_init_writes_a_commented_copy_and_never_overwrites(tmp_path, capsys) -> None:
    target = tmp_path / "x.yaml"
    assert main(["init", "chain_leader", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# A copy of fundflow's example 'chain_leader'")
    assert text.endswith(examples.path("chain_leader").read_text(encoding="utf-8"))
    assert load_scenario(target).source == load_scenario("chain_leader").source
    capsys.readouterr()
    target.write_text("mine", encoding="utf-8")
    assert main(["init", "chain_leader", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine"


def test_init_default_path_and_bad_arguments(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "upfront_grant"]) == 0
    assert Path("upfront_grant.yaml").is_file()
    capsys.readouterr()
    for argv, expected in [
        (["init", "open_compettion"], "did you mean 'open_competition'?"),
        (["init"], "NAME: missing"),
        (["init", "open_competition", "--list", "l.xlsx"], "not both"),
        (["init", "--list", "l.txt"], "must end in .xlsx or .csv"),
        (["init", "--list", "l.xlsx", "--lang", "fr"], "--lang = 'fr'"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and expected in err, (argv, err)
        assert len(err.splitlines()) == 1
    assert not Path("l.xlsx").exists()


def test_run_by_name_records_the_example_file(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["run", "open_competition", "--runs", "20", "--seed", "1", "--out", "o", "--quiet"]
    assert main(argv) == 0
    manifest = json.loads(Path("o/manifest.json").read_text(encoding="utf-8"))
    assert Path(manifest["scenario"]["file"]) == examples.path("open_competition")
    assert manifest["scenario"]["file_sha256"]
    assert main(["compare", "open_competition", "upfront_grant", "--runs", "20", "--seed", "1",
                 "--quiet"]) == 0  # fmt: skip


# --------------------------------------------------------------------------- the wheel


def _build_wheel(tmp_path: Path) -> Path:
    """Build fundflow's wheel from a copy of the files a source distribution holds."""
    src = tmp_path / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", src / "src", ignore=ignore)
    shutil.copytree(ROOT / "configs", src / "configs")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(dist), str(src)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = dist.glob("fundflow-*.whl")
    return wheel


@pytest.mark.skipif(
    importlib.util.find_spec("wheel") is None, reason="building a wheel needs the 'wheel' package"
)
def test_wheel_ships_the_examples_and_runs_outside_the_repository(tmp_path) -> None:
    wheel = _build_wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    work = tmp_path / "user"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}

    def fundflow(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from fundflow.cli import main; sys.exit(main())",
             *args],
            cwd=work, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run(
        [sys.executable, "-c", "import fundflow; print(fundflow.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert Path(where.strip()).is_relative_to(target)
    listed = fundflow("examples")
    assert [line.split()[0] for line in listed.splitlines()][: len(SHIPPED)] == list(SHIPPED)
    fundflow("init", "open_competition", "x.yaml")
    out = fundflow("run", "x.yaml", "--runs", "200", "--seed", "1")
    assert "open-competition-municipal-list: 30 challenges" in out
    assert "200 replications" in out
    out = fundflow("validate", "national_major_project")
    assert out.startswith("national-major-project")
