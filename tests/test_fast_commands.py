"""The quick commands stay quick: ``fundflow --help``, ``validate``, ``schema``,
``examples`` and ``init`` import neither numba nor pandas nor ``scipy.stats`` (a
fresh interpreter per command, its ``sys.modules`` read at the end), and an unknown
distribution name is refused without importing SciPy at all.

The wall times are in benchmarks/bench_cli.py (not a timed test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fundflow.cli import _COMMANDS, _guard, build_parser
from fundflow.run.montecarlo import LARGEST_BLOCK
from fundflow.scenario.distributions import SCIPY_FAMILIES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
HEAVY = ("numba", "pandas", "scipy.stats")

_PROBE = (
    "import json, sys\n"
    "from fundflow.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "mods = sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'pandas', 'scipy')\n"
    "              or m.startswith('scipy.stats'))\n"
    "print(json.dumps({'code': code, 'modules': mods}), file=sys.stderr)\n"
)


def _imported(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run ``fundflow ARGV`` in a fresh interpreter: its exit status and the heavy
    modules (numba, pandas, scipy.*) it imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], report["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY[:2] or m.startswith(HEAVY[2])]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["validate", CONFIG],
        ["validate", CONFIG, "--set", "government.matching.ratio=0.3"],
        ["validate", "open_competition"],
        ["schema"],
        ["examples"],
        ["init", "open_competition", "copy.yaml"],
        ["init", "--list", "challenges.csv"],
        ["run", "--help"],
        ["compare", "--help"],
        ["sweep", "--help"],
        ["sensitivity", "--help"],
    ],
    ids=" ".join,
)
def test_a_quick_command_imports_no_numba_pandas_or_scipy_stats(
    argv: list[str], tmp_path: Path
) -> None:
    code, modules = _imported(argv, tmp_path)
    assert code == 0
    assert _heavy(modules) == []


def test_an_unknown_distribution_is_refused_without_scipy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nchallenges:\n  - name: a\n    total_investment: 5\n"
        "    overrun: {dist: lognormall, median: 1.05, sigma: 0.1}\n",
        encoding="utf-8",
    )
    code, modules = _imported(["validate", str(bad)], tmp_path)
    assert code == 2
    assert modules == []


def test_a_scipy_family_is_checked_by_scipy(tmp_path: Path) -> None:
    """A scenario that needs a SciPy family imports scipy.stats, and only then."""
    good = tmp_path / "gamma.yaml"
    good.write_text(
        "name: x\nchallenges:\n  - name: a\n    total_investment: 5\n"
        "    overrun: {dist: gamma, a: 2, loc: 1, scale: 0.05}\n",
        encoding="utf-8",
    )
    code, modules = _imported(["validate", str(good)], tmp_path)
    assert code == 0
    assert "scipy.stats" in modules and "pandas" not in modules and "numba" not in modules


def test_the_families_known_without_scipy_are_scipy_s() -> None:
    """Every continuous family of the installed scipy.stats is known (a newer SciPy with
    more families: add them to SCIPY_FAMILIES), and every name known is one."""
    from scipy import stats

    installed = {n for n in dir(stats) if isinstance(getattr(stats, n), stats.rv_continuous)}
    assert installed <= SCIPY_FAMILIES
    assert all(name.isidentifier() for name in SCIPY_FAMILIES)


def test_the_size_estimate_s_block_is_the_runner_s() -> None:
    """_guard does not import the runner (it loads the engine): its constant must agree."""
    assert _guard._LARGEST_BLOCK == max(LARGEST_BLOCK.values())


def test_the_command_list_is_the_same_with_or_without_the_commands_loaded() -> None:
    """``fundflow --help`` lists each command from cli._COMMANDS without importing it:
    the lines must be the modules' own."""
    full = build_parser()
    assert build_parser(()).format_help() == full.format_help()
    choices = full._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(choices) == list(_COMMANDS)
    for name in _COMMANDS:  # each command alone still parses its own options
        parser = build_parser([name])
        sub = parser._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
        assert sub.format_help() == choices[name].format_help()
