"""The shortcuts the simulation takes for speed give the numbers of the plain way.

* the named distributions' closed-form inverse CDFs equal ``scipy.stats``' ``ppf``;
* the engine writes every ledger in time order (the measures' sort-free path);
* ``peak_exposure``'s sort-free path equals its general one;
* a worker process that simulates imports neither pandas nor ``scipy.stats``;
* results do not depend on the runner (this process helped by a pool) or the blocks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fundflow
from fundflow.engine.draws import draw
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.results import metrics
from fundflow.run.montecarlo import _guided_blocks
from fundflow.scenario.distributions import Dist, parse_dist

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))

# uniforms over (0, 1): both tails down to the smallest the draws make, and the middle
U = np.concatenate(
    [
        [2.0**-60, 1e-300, 5e-324, 1e-15, 1e-10, 1e-6, 1e-3, 0.5],
        1.0 - np.array([1e-3, 1e-6, 1e-10, 1e-15, 2.0**-53]),
        np.random.default_rng(0).random(2000),
    ]
)

DISTS = [
    {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.5},
    {"dist": "triangular", "low": 1.0, "mode": 1.0, "high": 3.0},
    {"dist": "triangular", "low": -2.0, "mode": 5.0, "high": 5.0},
    {"dist": "lognormal", "median": 1.05, "sigma": 0.15},
    {"dist": "lognormal", "median": 300.0, "sigma": 1.2},
    {"dist": "uniform", "low": 0.5, "high": 2.0},
    {"dist": "uniform", "low": -3.0, "high": 1e-3},
    {"dist": "normal", "mean": 1.0, "sd": 0.2},
    {"dist": "normal", "mean": -40.0, "sd": 7.5},
    {"dist": "beta", "a": 2.0, "b": 5.0},
    {"dist": "beta", "a": 0.5, "b": 0.5, "low": 1.0, "high": 4.0},
    {"dist": "beta", "a": 30.0, "b": 2.0, "low": -1.0, "high": 0.0},
]


@pytest.mark.filterwarnings("ignore:Error in function boost")  # beta's far tail
@pytest.mark.parametrize("raw", DISTS, ids=lambda r: str(parse_dist(r, "x")))
def test_closed_form_ppf_equals_scipy_stats(raw: dict[str, float]) -> None:
    dist = parse_dist(raw, "x")
    frozen = dist.frozen()
    with np.errstate(all="ignore"):
        expected = frozen.ppf(U)
    got = dist.ppf(U)
    if dist.family == "beta":  # betaincinv, not scipy.stats' boost call: last bits
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0.0)
    else:
        np.testing.assert_array_equal(got, expected)
    # the ends and outside the unit interval, as scipy.stats has them
    edges = np.array([0.0, 1.0, -0.5, 1.5, np.nan])
    np.testing.assert_array_equal(dist.ppf(edges), frozen.ppf(edges))
    assert dist.ppf(np.float64(0.25)).shape == ()
    assert dist.support() == tuple(float(x) for x in frozen.support())


def test_other_families_still_go_through_scipy_stats() -> None:
    dist = parse_dist({"dist": "gamma", "a": 2.0, "scale": 3.0}, "x")
    np.testing.assert_array_equal(dist.ppf(U), stats.gamma(a=2.0, scale=3.0).ppf(U))
    assert dist.support() == (0.0, np.inf)


def test_invalid_parameters_give_nan_as_in_scipy_stats() -> None:
    dist = Dist("normal", (("mean", 0.0), ("sd", -1.0)))  # not validated
    assert np.isnan(dist.ppf(U)).all()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_engine_writes_ledgers_in_time_order(path: Path) -> None:
    sc = fundflow.load_scenario(path)
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, 5, range(40))
    for i in range(40):
        time = run_replication(plan, draws, i).ledger.time
        assert np.all(time[1:] >= time[:-1])


def _peak_by_sorting(times: np.ndarray, amounts: np.ndarray) -> float:
    """``peak_exposure`` as it was written before its sort-free path."""
    if times.size == 0:
        return 0.0
    _, group = np.unique(times, return_inverse=True)
    return max(0.0, float(np.max(np.cumsum(np.bincount(group.ravel(), weights=amounts)))))


def test_sort_free_paths_equal_the_general_ones() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(0, 400))
        times = np.sort(rng.integers(0, 48, n) / 4.0)  # many ties
        amounts = rng.standard_normal(n) * 10.0 ** rng.uniform(-2, 4, n)
        assert metrics.peak_exposure(times, amounts) == _peak_by_sorting(times, amounts)
        shuffled = rng.permutation(n)
        assert metrics.peak_exposure(times[shuffled], amounts[shuffled]) == _peak_by_sorting(
            times[shuffled], amounts[shuffled]
        )


def test_a_simulating_worker_imports_neither_pandas_nor_scipy_stats() -> None:
    code = (
        "import sys, fundflow.run.montecarlo; "
        "print(sorted(m for m in ('pandas', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_guided_blocks_cover_the_runs_in_order() -> None:
    for runs, workers in [(1, 2), (2, 2), (10, 2), (333, 3), (4000, 2), (4000, 1), (50, 8)]:
        blocks = _guided_blocks(0, runs, workers)
        assert [r for b in blocks for r in b] == list(range(runs))
        assert max(len(b) for b in blocks) <= 200


def test_results_do_not_depend_on_the_runner() -> None:
    sc = fundflow.load_scenario(CONFIGS[0].parent / "chain_leader.yaml")
    ref = fundflow.simulate(sc, runs=23, seed=8, workers=1, keep_ledgers=23)
    for workers, chunk in [(2, None), (3, None), (3, 2)]:
        res = fundflow.simulate(
            sc, runs=23, seed=8, workers=workers, chunk_size=chunk, keep_ledgers=23
        )
        pd.testing.assert_frame_equal(res.runs, ref.runs, check_exact=True)
        pd.testing.assert_frame_equal(res.routes, ref.routes, check_exact=True)
        np.testing.assert_array_equal(res.exposure, ref.exposure)
        np.testing.assert_array_equal(res.net_cash, ref.net_cash)
        for rep in (0, 11, 22):
            pd.testing.assert_frame_equal(res.ledger(rep), ref.ledger(rep))
