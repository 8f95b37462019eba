"""Every ```python block of the README runs as a script, unchanged, and prints what it shows.

Each block is saved to a file and run by a fresh interpreter from the repository's
root (where its ``configs/`` paths point). A block followed by ``prints`` and a
```text block must print exactly that text. A script that starts worker
processes from its unguarded top level still runs, with one warning that says
what to add, never a BrokenProcessPool traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```(?:\n\nprints\n\n```text\n(.*?)```)?", README, re.S)


def _run(code: str, tmp_path: Path, name: str = "example.py") -> subprocess.CompletedProcess[str]:
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_readme_has_python_blocks_with_their_output() -> None:
    assert len(BLOCKS) >= 2
    assert all(shown for _, shown in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_block_runs_as_a_script_and_prints_what_it_shows(index: int, tmp_path: Path) -> None:
    code, shown = BLOCKS[index]
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    printed = [line.rstrip() for line in proc.stdout.splitlines()]
    assert printed == [line.rstrip() for line in shown.splitlines()], proc.stdout


def _unguarded_api_example(runs: int) -> str:
    code = BLOCKS[0][0]
    guard = re.search(r'^if __name__ == "__main__":.*\n    main\(\)\n', code, re.M)
    assert guard, "the API example has lost its guard"
    code = code[: guard.start()] + "main()\n"
    assert "workers=2" in code and "runs=1000" in code
    return code.replace("runs=1000", f"runs={runs}")


def test_unguarded_script_with_workers_runs_in_process_with_one_warning(tmp_path: Path) -> None:
    proc = _run(_unguarded_api_example(runs=60), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenProcessPool" not in proc.stderr
    warning = [line for line in proc.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warning) == 1, proc.stderr
    assert 'if __name__ == "__main__":' in warning[0]
    assert "running in this process instead (same results)" in warning[0]
    assert warning[0].startswith(str(tmp_path / "example.py"))
    assert proc.stdout.startswith("government budget cost: mean ")


def test_pool_broken_by_an_unguarded_script_falls_back_with_the_same_results(
    tmp_path: Path,
) -> None:
    """If the guard is not seen (source unreadable), the workers stop quietly and the
    caller finishes the run itself."""
    code = (
        "import fundflow\n"
        "import fundflow.run._spawn\n"
        "fundflow.run._spawn._guarded_lines = lambda path: None  # source unreadable\n"
        "res = fundflow.simulate('configs/open_competition.yaml', runs=40, seed=3, workers=2,\n"
        "                        progress=False)\n"
        "print(repr(float(res.runs['gov_net_cost'].sum())))\n"
    )
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("RuntimeWarning") == 1, proc.stderr
    assert "the worker processes stopped" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr
    import fundflow

    expected = fundflow.simulate(CONFIG, runs=40, seed=3, workers=1, progress=False)
    assert float(proc.stdout.strip()) == float(expected.runs["gov_net_cost"].sum())


def test_guarded_script_uses_the_pool_without_warning(tmp_path: Path) -> None:
    code = (
        "import fundflow\n\n"
        "def main():\n"
        "    res = fundflow.simulate('configs/open_competition.yaml', runs=20, seed=3,\n"
        "                            workers=2, progress=False)\n"
        "    print(res.workers)\n\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout.strip() == "2"
