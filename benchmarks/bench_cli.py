"""Wall time of the quick commands, each in a fresh process, warm disk cache.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cli.py              # median of 5 runs each
    .venv/bin/python benchmarks/bench_cli.py --repeat 11 --baseline

Each command runs as ``python -m fundflow ...`` in a new interpreter (what a user
typing ``fundflow validate`` waits for: the interpreter's start, the imports, the
work), once untimed to warm the disk cache and write the bytecode (as an install
does; ``PYTHONDONTWRITEBYTECODE`` is unset), then ``--repeat`` times; the median and
[min .. max] of the wall times are printed. ``--baseline`` also times a bare
``python -c pass`` and ``python -c "import numpy"`` (the floor of any command, and
what NumPy alone costs). ``--src DIR`` times another checkout's ``src`` (e.g. one
made with ``git archive``) for a before/after figure. The figures are in
benchmarks/README.md ("Quick commands"); tests/test_fast_commands.py checks what
these commands import (not their time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS: dict[str, list[str]] = {
    "fundflow --help": ["-m", "fundflow", "--help"],
    "fundflow validate configs/open_competition.yaml": [
        "-m",
        "fundflow",
        "validate",
        "configs/open_competition.yaml",
    ],
    "fundflow schema": ["-m", "fundflow", "schema"],
    "fundflow examples": ["-m", "fundflow", "examples"],
}
BASELINE: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import numpy'": ["-c", "import numpy"],
}


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    # as an installed fundflow (pip byte-compiles it): the untimed run writes the bytecode
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


def wall(args: list[str], repeat: int, src: Path = ROOT / "src") -> list[float]:
    """Wall seconds of `repeat` fresh ``python ARGS`` processes, after one untimed."""
    env = _env(src)
    times = []
    for i in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, check=True)
        if i:  # the first warms the disk cache
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs a command (5)")
    parser.add_argument("--baseline", action="store_true", help="also time python alone")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="fundflow's src (./src)")
    args = parser.parse_args()
    commands = {**(BASELINE if args.baseline else {}), **COMMANDS}
    width = max(len(name) for name in commands)
    print(f"{'command':<{width}}  median s  [min .. max], {args.repeat} fresh processes")
    for name, argv in commands.items():
        times = wall(argv, args.repeat, args.src.resolve())
        print(
            f"{name:<{width}}  {statistics.median(times):8.3f}  "
            f"[{min(times):.3f} .. {max(times):.3f}]",
            flush=True,
        )


if __name__ == "__main__":
    main()
