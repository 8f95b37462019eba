"""The compiled engine's cold compile: a fresh process, an empty numba cache.

Each repeat starts a fresh Python process with ``NUMBA_CACHE_DIR`` set to a new
empty folder and runs ``fundflow.simulate`` on a small block of a shipped config
with the compiled engine, which compiles every kernel the default run uses (the
engine, the block measures, the compiled Philox). It prints the wall time of that
first run and of a second run in the same process (warm, for scale), then the
number of machine-code variants compiled per kernel function: a kernel reached
with literal argument types compiles once per distinct constant, which is what
makes a cold compile long.

Usage::

    .venv/bin/python benchmarks/bench_compile.py            # 2 repeats
    .venv/bin/python benchmarks/bench_compile.py --repeat 3 --config configs/chain_leader.yaml

The budget (README "Benchmarks"): a cold compile of at most 30 s on a two-core
machine. Read the load average printed first: figures under load are slower.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import fundflow
from fundflow.engine import kernel_cache
t1 = time.perf_counter()
res = fundflow.simulate(sys.argv[1], 20, seed=1, workers=1, engine="compiled")
assert res.engine == "compiled", res.engine
t2 = time.perf_counter()
fundflow.simulate(sys.argv[1], 20, seed=2, workers=1, engine="compiled")
t3 = time.perf_counter()
variants = {}
for name in kernel_cache.KERNEL_MODULES:
    module = sys.modules.get(name)
    if module is None:
        continue
    for attr, value in vars(module).items():
        sigs = getattr(value, "signatures", None)
        if sigs and getattr(value, "__module__", None) == name:
            variants[f"{name.rsplit('.', 1)[1]}.{attr}"] = len(sigs)
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "warm": t3 - t2, "variants": variants}))
"""


def one(config: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="fundflow-cold-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(config)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--config", type=Path, default=ROOT / "configs/open_competition.yaml")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}; config: {args.config.name}")
    runs = [one(args.config) for _ in range(args.repeat)]
    for k, r in enumerate(runs):
        print(
            f"repeat {k + 1}: import {r['import']:.1f} s, first run (cold compile) "
            f"{r['first']:.1f} s, warm run {r['warm']:.2f} s"
        )
    variants = runs[-1]["variants"]
    total = sum(variants.values())
    many = sorted(variants.items(), key=lambda kv: -kv[1])[:8]
    print(f"compiled variants: {total} over {len(variants)} functions; most: ")
    for name, n in many:
        print(f"  {name}: {n}")
    best = min(r["first"] for r in runs)
    print(f"cold compile (best of {len(runs)}): {best:.1f} s")


if __name__ == "__main__":
    main()
