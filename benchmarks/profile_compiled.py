"""Where the compiled engine and the block measures spend their time, by function.

Run from the repository root (Linux, with ``perf`` installed)::

    .venv/bin/python benchmarks/profile_compiled.py             # engine, blocks of 2000
    .venv/bin/python benchmarks/profile_compiled.py --measures  # the block measures' kernel

numba's machine code has no symbols that ``perf`` can read. This script compiles the
kernels afresh into a temporary cache folder (a cached library keeps no symbol table;
the compile takes one to three minutes), then writes the addresses of every function
of the compiled library to ``perf-<pid>.map`` in ``/tmp``, the file in which ``perf report``
looks up code generated at run time. It then re-runs itself under ``perf record`` (or,
with ``--child``, just runs the block ``--repeat`` times) and prints each function's
share of the samples taken in compiled code. Functions that LLVM inlined into their
callers count as their callers; ``NRT_incref``/``NRT_decref`` are numba's reference
counts.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "open_competition.yaml"


def _symbols(dispatcher: Any) -> dict[int, str]:
    """Address -> short name of every function defined in the dispatcher's libraries."""
    out: dict[int, str] = {}
    for cres in dispatcher.overloads.values():
        library = cres.library
        for fn in library._final_module.functions:
            if fn.is_declaration:
                continue
            address = library.get_pointer_to_function(fn.name)
            if address:
                name = re.sub(r"B\d+v\d+.*", "", fn.name)  # drop numba's ABI tags
                out[address] = re.sub(r"^_ZN\d+|\d+(?=[A-Za-z_])", ".", name).strip(".")
    return out


def _write_map(symbols: dict[int, str]) -> str:
    rows = sorted(symbols.items())
    path = os.path.join("/tmp", f"perf-{os.getpid()}.map")  # perf's fixed place for them
    with open(path, "w") as f:
        for k, (address, name) in enumerate(rows):
            size = rows[k + 1][0] - address if k + 1 < len(rows) else 4096
            f.write(f"{address:x} {min(size, 1 << 20):x} {name}\n")
    return path


def child(measures: bool, runs: int, repeat: int) -> None:
    """Compile, write the symbol map, then run the block ``repeat`` times."""
    from fundflow.engine import compiled
    from fundflow.engine.compiled_engine import run_block_nb
    from fundflow.engine.draws import draw
    from fundflow.engine.plan import EnginePlan
    from fundflow.results import block_measures
    from fundflow.run._blocks import exposure_grid
    from fundflow.scenario.config import load_scenario

    sc = load_scenario(CONFIG)
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, 1, list(range(runs)))
    outcome = compiled.run_block(plan, draws)
    grid = exposure_grid(sc)
    block_measures.measure_block(plan, outcome, grid)
    kernels = block_measures._kernels()
    print("map:", _write_map(_symbols(kernels.measure_rows if measures else run_block_nb)))
    t0 = time.process_time()
    for _ in range(repeat):
        if measures:
            block_measures.measure_block(plan, outcome, grid)
        else:
            compiled.run_block(plan, draws)
    per_rep = (time.process_time() - t0) / repeat / runs * 1e6
    print(f"{'measures' if measures else 'engine'}: {per_rep:.1f} us of CPU a replication")


def _report(data: Path) -> None:
    out = subprocess.run(
        ["perf", "report", "-i", str(data), "--no-children", "--sort", "sym", "-g", "none"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shares: dict[str, float] = defaultdict(float)
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[\.\]\s+(\S+)", line)
        if m and ("fundflow" in m[2] or m[2].startswith("NRT_")):
            shares[m[2]] += float(m[1])
    total = sum(shares.values())
    if not total:
        sys.exit("perf recorded no sample in compiled code (see perf_event_paranoid)")
    print(f"\nshare of the samples in compiled code ({total:.1f}% of all samples):")
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {100 * share / total:5.1f}%  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--measures", action="store_true", help="profile the block measures")
    ap.add_argument("--runs", type=int, default=2000, help="replications a block")
    ap.add_argument("--repeat", type=int, default=200, help="blocks timed")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.measures, args.runs, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
        data = Path(tmp) / "perf.data"
        cmd = [sys.executable, __file__, "--child", f"--runs={args.runs}"]
        cmd += [f"--repeat={args.repeat}"] + (["--measures"] if args.measures else [])
        perf = ["perf", "record", "-q", "-F", "999", "-o", str(data), "--"]
        run = subprocess.run(perf + cmd, env=env, check=True, capture_output=True, text=True)
        lines = run.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("map: ")))
        try:
            _report(data)
        finally:
            for line in lines:
                if line.startswith("map: "):
                    Path(line[5:]).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
