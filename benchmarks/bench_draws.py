"""Cost of drawing a replication's random inputs: identity-keyed Philox vs the old draws.

Run from the repository root::

    .venv/bin/python benchmarks/bench_draws.py                       # open_competition.yaml
    .venv/bin/python benchmarks/bench_draws.py --config configs/benchmark_100.yaml

``legacy_draw`` below is the position-keyed scheme fundflow used before 0.2 (one
``SeedSequence(entropy, spawn_key=(i, k))`` and one PCG64 generator per stream and
replication, a Python loop over the replications), kept here as the baseline; it
has no ``solver_value`` stream, the new draws do. The new draws are timed twice:
with Philox compiled by numba (the default) and with the NumPy Philox (the fallback
without numba); and the compiled Philox alone, the cost of just generating the
random numbers a replication needs. All are timed in this process, interleaved,
with a CPU-time clock; the median of the repeats is printed per block size, in
microseconds per replication, with the ratios old / new and NumPy / compiled
(above 1: the second is cheaper) and draws / Philox alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
from scipy.special import ndtr

import fundflow
from fundflow.engine import _philox
from fundflow.engine import draws as draws_module
from fundflow.engine.draws import _Blocks, draw, philox_key
from fundflow.engine.layout import Layout
from fundflow.scenario.config import Scenario

ROOT = Path(__file__).resolve().parents[1]
OLD_STREAMS = (
    "duration",
    "review",
    "factor",
    "overrun",
    "misconduct",
    "race",
    "value",
    "holding_period",
    "exit_multiple",
    "default",
)
_TINY = 2.0**-60


def _uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.maximum(rng.random(shape), _TINY)


def legacy_draw(sc: Scenario, layout: Layout, entropy: int, replications: Sequence[int]) -> dict:
    """The old position-keyed draws (numbers, copula and inverse CDFs), as a dict."""
    reps = np.asarray(list(replications), dtype=np.int64)
    n, r, c, p = len(reps), layout.n_routes, layout.n_challenges, layout.max_phases
    g = len(layout.group_rho)
    u_dur, eps, factor = np.empty((n, r, p)), np.empty((n, r, p)), np.empty((n, g, p))
    per_route = {k: np.empty((n, r)) for k in ("over", "mis", "race", "hold", "exit", "def")}
    u_value = np.empty((n, c))
    for i, rep in enumerate(reps):
        s = {
            name: np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(int(rep), k)))
            )
            for k, name in enumerate(OLD_STREAMS)
        }
        u_dur[i] = _uniform(s["duration"], (r, p))
        eps[i] = s["review"].standard_normal((r, p))
        factor[i] = s["factor"].standard_normal((g, p))
        per_route["over"][i] = _uniform(s["overrun"], (r,))
        per_route["mis"][i] = s["misconduct"].random(r)
        per_route["race"][i] = s["race"].random(r)
        u_value[i] = _uniform(s["value"], (c,))
        per_route["hold"][i] = _uniform(s["holding_period"], (r,))
        per_route["exit"][i] = _uniform(s["exit_multiple"], (r,))
        per_route["def"][i] = s["default"].random(r)
    group = layout.challenge_group[layout.route_challenge]
    rho = np.sqrt(layout.group_rho[group])[None, :, None]
    review_u = ndtr(rho * factor[:, group, :] + np.sqrt(1.0 - rho**2) * eps)
    duration = np.full((n, r, p), np.nan)
    overrun, value = np.empty((n, r)), np.empty((n, c))
    for spec_idx, spec in enumerate(sc.challenges):
        routes = layout.route_spec == spec_idx
        for j, phase in enumerate(spec.phases):
            duration[:, routes, j] = phase.duration.ppf(u_dur[:, routes, j])
        overrun[:, routes] = spec.overrun.ppf(per_route["over"][:, routes])
        chs = layout.challenge_spec == spec_idx
        value[:, chs] = spec.value_on_success.ppf(u_value[:, chs])
    if sc.guided_fund is not None:
        per_route["hold"] = sc.guided_fund.holding_period.ppf(per_route["hold"])
        per_route["exit"] = sc.guided_fund.exit_multiple.ppf(per_route["exit"])
    return {"duration": duration, "review_u": review_u, "overrun": overrun, "value": value}


def cpu_us_per_rep(
    fn: Callable[..., object], sc: Scenario, lay: Layout, block: int, total: int
) -> float:
    """CPU microseconds per replication drawing ``total`` replications in blocks."""
    t = time.process_time()
    for start in range(0, total, block):
        fn(sc, lay, 9, range(start, min(start + block, total)))
    return (time.process_time() - t) / total * 1e6


@contextmanager
def numpy_philox() -> Iterator[None]:
    """Draw with the NumPy Philox, as without numba."""
    compiled = draws_module.philox_uniforms
    draws_module.philox_uniforms = partial(_philox.philox_uniforms, compiled=False)
    try:
        yield
    finally:
        draws_module.philox_uniforms = compiled


def numpy_draw(sc: Scenario, lay: Layout, entropy: int, replications: Sequence[int]) -> object:
    """:func:`draw` with the NumPy Philox."""
    with numpy_philox():
        return draw(sc, lay, entropy, replications)


def philox_only(
    words: np.ndarray, sc: Scenario, lay: Layout, entropy: int, replications: Sequence[int]
) -> object:
    """Just the uniforms of the Philox blocks ``words`` of the replications (compiled)."""
    reps = np.asarray(list(replications))
    return _philox.philox_uniforms(philox_key(entropy), reps, words, _TINY)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "open_competition.yaml"))
    ap.add_argument("--blocks", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--total", type=int, default=4000, help="replications per timing")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sc = fundflow.load_scenario(args.config)
    lay = Layout.of(sc)
    words = _Blocks.of(sc, lay).words
    print(
        f"{Path(args.config).name}: {lay.n_challenges} challenges, {lay.n_routes} routes, "
        f"{lay.max_phases} phases, {len(lay.group_rho)} groups, "
        f"{words.shape[1]} Philox blocks a replication; "
        f"compiled Philox: {'yes' if _philox.compiled_kernel() else 'no (numba missing)'}"
    )
    fns: dict[str, Callable[..., object]] = {
        "old": legacy_draw,
        "numpy": numpy_draw,
        "new": draw,
        "philox": partial(philox_only, words),
    }
    for fn in fns.values():  # warm up imports, caches and the compiled kernel
        fn(sc, lay, 9, range(10))
    print(
        f"{'block':>6} {'old':>8} {'numpy':>8} {'new':>8} {'philox':>8} {'old/new':>8} "
        f"{'numpy/new':>9} {'new/philox':>10}   (CPU us/rep, median of {args.repeat}, "
        f"{args.total} replications each)"
    )
    for block in args.blocks:
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(args.repeat):
            for k, fn in fns.items():
                times[k].append(cpu_us_per_rep(fn, sc, lay, block, args.total))
        m = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"{block:>6} {m['old']:8.1f} {m['numpy']:8.1f} {m['new']:8.1f} {m['philox']:8.2f} "
            f"{m['old'] / m['new']:7.2f}x {m['numpy'] / m['new']:8.2f}x "
            f"{m['new'] / m['philox']:9.2f}x"
        )


if __name__ == "__main__":
    main()
