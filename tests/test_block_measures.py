"""Measures of a whole block equal the measures of each replication alone, bit for bit.

:func:`fundflow.results.block_measures.measure_block` (compiled loops, or NumPy where
numba is missing or a ledger is out of time order) against
:func:`fundflow.results.measures.measure` on every ``block.outcome(i)``: on the five
shipped configs, on random scenarios using every mechanism, and whatever the cut of
the replications into blocks.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fundflow
import test_invariants
import test_invariants_instruments
from fundflow import Scenario
from fundflow.engine.draws import draw
from fundflow.engine.ledger import COLUMNS, KINDS, PARTIES, Ledger
from fundflow.engine.outcome import BlockOutcome, Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.results import _block_kernels, _segments, block_measures
from fundflow.results.block_measures import measure_block
from fundflow.results.measures import measure
from fundflow.run._blocks import exposure_grid

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
PATHS = ("compiled", "numpy")


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled loops, then with the NumPy operations alone."""
    if request.param == "numpy":
        monkeypatch.setattr(block_measures, "_kernels", lambda: None)
    return str(request.param)


def outcomes(sc: Scenario, reps: range, seed: int = 7) -> tuple[EnginePlan, list[Outcome]]:
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, seed, reps)
    return plan, [run_replication(plan, draws, i) for i in range(len(reps))]


def same(got: Any, want: Any, what: str) -> None:
    """Equal values, dtypes and bits (NaN where NaN; 0.0 and -0.0 told apart)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype)
    if got.dtype.kind == "f":
        diff = got.view(np.int64) != want.view(np.int64)
        assert not diff.any(), (what, got[diff][:5], want[diff][:5])
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def assert_block_equals_replications(plan: EnginePlan, outs: list[Outcome]) -> None:
    grid = exposure_grid(plan.scenario)
    block = BlockOutcome.of(outs)
    got = measure_block(plan, block, grid)
    want = [measure(plan, block.outcome(i), grid) for i in range(len(outs))]
    assert list(got.runs) == list(want[0].row)
    assert list(got.routes) == list(want[0].routes)
    for key in got.runs:
        same(got.runs[key], np.asarray([m.row[key] for m in want]), f"runs.{key}")
    for key in got.routes:
        same(got.routes[key], np.concatenate([m.routes[key] for m in want]), f"routes.{key}")
    # stacked as float, as a replication without payments has integer zeros alone
    same(got.net_cash, np.asarray([m.net_cash for m in want], dtype=float), "net_cash")
    same(got.exposure, np.asarray([m.exposure for m in want], dtype=float), "exposure")


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_shipped_configs(config: Path, path: str) -> None:
    plan, outs = outcomes(fundflow.load_scenario(config), range(300))
    assert_block_equals_replications(plan, outs)


SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(data=test_invariants.scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_programs(data: dict[str, Any], seed: int) -> None:
    plan, outs = outcomes(Scenario.from_dict(data), range(4), seed)
    assert_block_equals_replications(plan, outs)


@SETTINGS
@given(data=test_invariants_instruments.scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_with_fund_credit_and_tax(data: dict[str, Any], seed: int) -> None:
    plan, outs = outcomes(Scenario.from_dict(data), range(4), seed)
    assert_block_equals_replications(plan, outs)


def test_ledgers_out_of_time_order(path: str) -> None:
    """A ledger whose rows are not in time order is sorted as the one-replication path sorts."""
    sc = fundflow.load_scenario(CONFIGS[0])
    plan, outs = outcomes(sc, range(20))
    rng = np.random.default_rng(3)
    shuffled = []
    for out in outs:
        order = rng.permutation(len(out.ledger))
        led = Ledger(**{c: getattr(out.ledger, c)[order] for c in COLUMNS})
        shuffled.append(Outcome(**{**out.__dict__, "ledger": led}))
    assert not bool(np.all(np.diff(shuffled[0].ledger.time) >= 0))
    assert_block_equals_replications(plan, shuffled)


def test_empty_ledgers_and_empty_blocks(path: str) -> None:
    """Replications without a payment (nothing started before the horizon) measure as alone."""
    sc = fundflow.load_scenario(CONFIGS[0])
    plan, outs = outcomes(sc, range(3))
    empty = Ledger(**{c: getattr(outs[0].ledger, c)[:0] for c in COLUMNS})
    assert_block_equals_replications(plan, [Outcome(**{**outs[0].__dict__, "ledger": empty})])
    mixed = [outs[0], Outcome(**{**outs[1].__dict__, "ledger": empty}), outs[2]]
    assert_block_equals_replications(plan, mixed)


@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[3]], ids=lambda p: p.stem)
def test_results_do_not_depend_on_the_cut_into_blocks(config: Path) -> None:
    one = fundflow.simulate(config, 60, seed=11, chunk_size=60, keep_ledgers=3)
    cut = fundflow.simulate(config, 60, seed=11, chunk_size=7, keep_ledgers=3)
    pd.testing.assert_frame_equal(one.runs, cut.runs, check_exact=True)
    pd.testing.assert_frame_equal(one.routes, cut.routes, check_exact=True)
    same(one.exposure, cut.exposure, "exposure")
    same(one.net_cash, cut.net_cash, "net_cash")
    pd.testing.assert_frame_equal(one.ledger(2), cut.ledger(2), check_exact=True)


def test_numpy_sums_have_their_bits() -> None:
    """The helpers give each segment NumPy's own sum and running sum, and the compiled
    pairwise sum is NumPy's at every length (up to 128 values, split above)."""
    rng = np.random.default_rng(5)
    lengths = np.array([0, 1, 7, 8, 9, 127, 128, 129, 300, 1000, 5000])
    values = rng.standard_normal(lengths.sum()) * 10.0 ** rng.uniform(-3, 8, lengths.sum())
    seg = np.repeat(np.arange(lengths.size), lengths)
    edges = np.concatenate([[0], np.cumsum(lengths)])
    parts = [values[a:b] for a, b in itertools.pairwise(edges)]
    same(_segments.seg_sum(values, seg, lengths.size), [p.sum() for p in parts], "seg_sum")
    same(
        _segments.seg_cumsum(values, seg, lengths.size),
        np.concatenate([np.cumsum(p) for p in parts]),
        "seg_cumsum",
    )
    for part in parts:
        same(_block_kernels.array_sum(part), part.sum(), f"pairwise {part.size}")


@pytest.mark.parametrize(
    ("time", "offsets", "applies"),
    [
        ([0.0, 0.0, 1.0, 0.5, 0.5, 2.0], [0, 3, 6], True),  # a replication may start earlier
        ([0.0, 1.0, 1.0, 2.0], [0, 2, 4], True),  # a run of equal times across replications
        ([], [0, 0, 0], True),  # replications without a payment
        ([0.0, 1.0, 0.5], [0, 3], False),  # out of time order
        ([0.0, np.nan, 1.0], [0, 3], False),
        ([np.nan], [0, 1], False),
        ([0.0, 1.0], [0, 1], False),  # the offsets miss a row
    ],
)
def test_compiled_loops_apply_to_ledgers_in_time_order(
    time: list[float], offsets: list[int], applies: bool
) -> None:
    """The first time of each run of equal times of the whole column (the discount
    factors are computed for these), where every replication is in time order; the
    NumPy path measures the others."""
    t = np.asarray(time, dtype=np.float64)
    ok, runs = _block_kernels.run_times(t, np.asarray(offsets, dtype=np.int64))
    assert ok == applies
    if applies:
        new = np.ones(t.size, dtype=bool)
        new[1:] = t[1:] != t[:-1]
        same(runs, t[new], "run times")


def test_codes_out_of_range_are_left_to_numpy() -> None:
    """Party and kind codes go to the compiled loops as unsigned indices, in range only."""
    sc = fundflow.load_scenario(CONFIGS[0])
    _, outs = outcomes(sc, range(2))
    led = outs[0].ledger
    columns = block_measures._unsigned_codes(led)
    assert columns is not None
    assert [c.dtype for c in columns] == [
        np.uint8 if getattr(led, n).dtype == np.int8 else getattr(led, n).dtype for n in COLUMNS
    ]
    for name, bad in (("payer", -1), ("payee", len(PARTIES)), ("kind", len(KINDS))):
        col = getattr(led, name).copy()
        col[-1] = bad
        broken = Ledger(**{c: col if c == name else getattr(led, c) for c in COLUMNS})
        assert block_measures._unsigned_codes(broken) is None, name
