"""The first run after install compiles the engine once, and says so.

With an empty numba cache (``NUMBA_CACHE_DIR``), ``fundflow run`` prints a line
before the compile and one after it, and compiles in the command's own process
before its worker processes start, which then load the compiled loops from the
cache (they do not each compile them again). The next run finds them cached and
prints neither line. Slow: one compile of every loop (about a minute).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from fundflow.engine import compiled

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def _run(cache: Path, cwd: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``fundflow run`` with numba's cache in `cache`; its result and CPU seconds (all
    its processes)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *sys.path])
    argv = [sys.executable, "-m", "fundflow", "run", CONFIG, "--runs", "300", "--seed", "1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [*argv, *options], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, cpu


def test_the_first_run_says_it_compiles_and_compiles_once(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    first, cpu = _run(cache, tmp_path, "--workers", "2")
    assert first.returncode == 0, first.stderr
    lines = [x for x in first.stderr.splitlines() if not x.startswith("warning:")]
    assert lines[0] == "compiling the simulation engine (once after install; about a minute)…"
    took = re.fullmatch(r"compiled in (\d+) s", lines[1])
    assert took, first.stderr
    assert lines[2].startswith("size: 30 challenges, 44 routes; 300 replications on 2 workers")
    # compiled once: the worker process, started after, loaded the loops (a second compile
    # in it would about double the CPU time)
    assert cpu < 1.4 * int(took.group(1)) + 20, (cpu, first.stderr)

    second, _ = _run(cache, tmp_path, "--workers", "1")
    assert second.returncode == 0, second.stderr
    assert "compil" not in second.stderr
    assert second.stderr.startswith("size: 30 challenges, 44 routes; 300 replications on 1 ")
    assert second.stdout == first.stdout.replace("2 workers", "1 worker").replace(
        _elapsed(first.stdout), _elapsed(second.stdout)
    )


def _elapsed(stdout: str) -> str:
    """The header's seconds (``'12.3 s'``), the one part of a run's output that varies."""
    match = re.search(r"\d+\.\d s\n", stdout)
    assert match, stdout
    return match.group(0)
