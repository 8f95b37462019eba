"""A run killed with SIGKILL leaves no process behind.

The parent of a run with workers can die without any clean-up (``kill -9``, the
out-of-memory killer). Its pool processes must notice and exit instead of waiting
forever on a pipe nobody reads (each holding its memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "configs" / "open_competition.yaml")

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").is_file(), reason="finds the run's processes in /proc"
)


def _session(sid: int) -> dict[int, str]:
    """The live (not zombie) processes of session `sid`: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        # fields after the command name, which is in parentheses and may hold spaces
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == sid and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_workers_of_a_killed_run_exit(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), *sys.path]))
    argv = [sys.executable, "-m", "fundflow", "run", CONFIG, "--runs", "100000"]
    argv += ["--workers", "2", "--seed", "1", "--quiet"]
    run = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own session: every process it starts is found by it
    )
    try:

        def working() -> bool:
            return any("multiprocessing.spawn" in c for c in _session(run.pid).values())

        assert _wait_for(working, 60), "the run started no worker process"
        time.sleep(3.0)  # the worker imports fundflow and works on its first blocks
        assert run.poll() is None, "the run ended before it was killed"
        os.kill(run.pid, signal.SIGKILL)  # the parent only
        run.wait()
        gone = _wait_for(lambda: not _session(run.pid), 10)
        assert gone, f"left behind: {_session(run.pid)}"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid in _session(run.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
