"""Time a Sobol' study of six levers at full precision (issue target: minutes).

Usage::

    python benchmarks/bench_sobol.py [--n 1024] [--runs 500] [--workers 2] [--engine compiled]

A Sobol' study with ``calc_second_order=False`` evaluates ``n * (d + 2)`` design points
(8192 for six levers and ``n = 1024``), each with ``--runs`` replications on common random
numbers: 4.1 million replications at the defaults. The time printed includes building
every design point's scenario. ``--n 64 --runs 100`` gives a quick check.
"""

from __future__ import annotations

import argparse
import time

import fundflow
from fundflow import sensitivity

LEVERS = {
    "government.matching.ratio": (0.2, 0.3),
    "government.matching.first_share": (0.2, 0.6),
    "government.matching.payment_lag": (0.0, 0.5),
    "government.error_tolerance.rate": (0.0, 0.6),
    "government.error_tolerance.cap": (1.0, 4.0),
    "discount_rate": (0.01, 0.05),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/open_competition.yaml")
    ap.add_argument("--n", type=int, default=1024, help="Sobol' base sample (power of 2)")
    ap.add_argument("--runs", type=int, default=500, help="replications per design point")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="compiled", choices=("compiled", "simpy"))
    args = ap.parse_args()
    sc = fundflow.load_scenario(args.config)
    points = args.n * (len(LEVERS) + 2)
    print(f"{args.config}: {len(LEVERS)} levers, n = {args.n}: {points} design points")
    print(f"x {args.runs} replications = {points * args.runs:,} replications, engine {args.engine}")
    started = time.perf_counter()
    idx = sensitivity(
        sc,
        LEVERS,
        "gov_net_cost_mean",
        n=args.n,
        runs=args.runs,
        seed=2026,
        workers=args.workers,
        engine=args.engine,
        progress=False,
    )
    elapsed = time.perf_counter() - started
    rate = points * args.runs / elapsed
    print(idx[["input", "S1", "ST"]].round(3).to_string(index=False))
    print(f"elapsed {elapsed:.1f} s ({elapsed / 60:.1f} min), {rate:,.0f} replications/s")


if __name__ == "__main__":
    main()
