"""Peak memory of ``fundflow run ... --out DIR`` as the replications grow.

Run from the repository root::

    .venv/bin/python benchmarks/bench_memory.py                         # 10^4, 10^5, 10^6
    .venv/bin/python benchmarks/bench_memory.py --runs 10000,100000
    .venv/bin/python benchmarks/bench_memory.py --runs 10000 --in-memory  # without --out

Each figure is one run of the command in a fresh child process, on
``configs/open_competition.yaml`` (30 challenges, 44 routes), seed 1, the default
``--workers`` (every core from 2,000 replications up) and ``--format csv`` (the
default: the summary, challenges and party tables and the first ledger; the
per-replication tables stay in the Parquet dataset, as with every format unless
``--tables`` names them). The peak is ``ru_maxrss`` of the command's process tree
as ``getrusage`` reports it for children: the largest resident set of any one of
its processes (the command, or one of its pool's workers), in MB. With ``--out``
the blocks go to disk as they finish and the summary reads the dataset a few
columns per pass, so the peak should not grow with the replications;
``--in-memory`` runs the same command without ``--out`` (every row held until the
end) for contrast. Also printed: wall time, replications per second, the store's
size on disk and the load average when the run ended. This is a benchmark, never
a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"

#: Runs the command in a child and prints the peak RSS (KB on Linux) of its process tree.
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""
_CLI = "import sys; from fundflow.cli import main; sys.exit(main())"


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(
    runs: int, config: Path, in_memory: bool, workers: str, fmt: str = "csv"
) -> dict[str, float]:
    """One run of the command: peak RSS (MB), seconds, disk (MB) of its output."""
    out = Path(tempfile.mkdtemp(prefix="fundflow-bench-memory-"))
    command = [sys.executable, "-c", _CLI, "run", str(config), "--runs", str(runs)]
    command += ["--seed", "1", "--quiet", "--workers", workers, "--no-size-limit"]
    command += ["--format", fmt]
    if not in_memory:
        command += ["--out", str(out / "run")]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, *command],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - started
        peak_kb, code = done.stdout.split()[-2:]
        if code != "0":
            raise SystemExit(f"the command failed (exit {code}): {' '.join(command)}")
        disk = _size(out) / 1e6
    finally:
        shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    return {"peak_mb": int(peak_kb) / 1024, "seconds": seconds, "disk_mb": disk, "load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--runs",
        default="10000,100000,1000000",
        help="comma-separated replication counts (default 10000,100000,1000000)",
    )
    parser.add_argument("--config", default=str(CONFIG), help="scenario file")
    parser.add_argument("--workers", default="auto", help="--workers of the command")
    parser.add_argument("--in-memory", action="store_true", help="run without --out")
    parser.add_argument(
        "--format",
        default="csv",
        help="--format of the command (default csv; the per-replication tables stay in "
        "the Parquet dataset whatever the format)",
    )
    args = parser.parse_args(argv)
    counts = [int(float(x)) for x in args.runs.split(",") if x.strip()]
    where = "without --out (in memory)" if args.in_memory else "with --out (streamed)"
    print(
        f"fundflow run {Path(args.config).name} {where}, --workers {args.workers}, "
        f"--format {args.format}"
    )
    print(
        f"{'replications':>12}  {'peak RSS':>9}  {'wall':>8}  {'reps/s':>7}  {'on disk':>9}  "
        f"{'load':>5}"
    )
    for runs in counts:
        m = measure(runs, Path(args.config), args.in_memory, args.workers, args.format)
        print(
            f"{runs:>12,}  {m['peak_mb']:>6.0f} MB  {m['seconds']:>7.0f}s  "
            f"{runs / m['seconds']:>7.0f}  {m['disk_mb']:>6.0f} MB  {m['load']:>5.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
