"""The README's examples are executed, and CI runs the README's test command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _commands() -> list[str]:
    return [
        line
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.startswith("python3 -m venv")
    ]


def test_quick_start_has_exactly_two_setup_commands() -> None:
    commands = _commands()
    assert len(commands) == 2
    assert "fundflow run configs/" in commands[0]
    assert "pytest" in commands[1]
    # what a new user's pip resolves, not what an earlier install left in the cache
    assert "--no-cache-dir" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _commands()[1] in ci
    assert ci.index("rm -rf .venv") < ci.index(_commands()[1])  # in a fresh venv


def test_quick_start_run_uses_a_shipped_config() -> None:
    args = shlex.split(_commands()[0].split("fundflow run", 1)[1])
    assert (ROOT / args[0]).is_file()


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_examples_run(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = _blocks("python")[index]
    exec(compile(code, f"README.md[python {index}]", "exec"), {"__name__": "readme"})
