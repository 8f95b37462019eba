"""Measures of a whole block equal the measures of each replication alone, bit for bit.

:func:`fundflow.results.block_measures.measure_block` (compiled loops, or the same loops
run as Python where numba is missing or a code is out of range) against the oracle
(``_measure_oracle.measure``, plain NumPy, adding in the same documented order) on every
``block.outcome(i)``: on the five shipped configs, on random scenarios using every
mechanism, on ledgers out of time order, and whatever the cut of the replications into
blocks. The compiled loops and the Python ones give the same bits.
"""

from __future__ import annotations

import functools
import operator
import subprocess
import sys
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
from _measure_oracle import measure
from fundflow import Scenario
from fundflow.engine.draws import draw
from fundflow.engine.ledger import COLUMNS, KINDS, PARTIES, Ledger
from fundflow.engine.outcome import BlockOutcome, Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.results import _block_kernels, block_measures
from fundflow.results.block_measures import BlockMeasures, measure_block
from fundflow.run._blocks import exposure_grid

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
PATHS = ("compiled", "python")


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled loops, then with the same loops as Python."""
    if request.param == "python":
        monkeypatch.setattr(block_measures, "_kernels", lambda: None)
    return str(request.param)


def measure_in_python(plan: EnginePlan, block: BlockOutcome, grid: np.ndarray) -> BlockMeasures:
    """``measure_block`` with the loops run as Python (as where numba is missing)."""
    compiled = block_measures._kernels
    block_measures._kernels = lambda: None  # type: ignore[assignment]
    try:
        return measure_block(plan, block, grid)
    finally:
        block_measures._kernels = compiled  # type: ignore[assignment]


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


def assert_block_equals_replications(
    plan: EnginePlan, outs: list[Outcome], measured: BlockMeasures | None = None
) -> None:
    grid = exposure_grid(plan.scenario)
    block = BlockOutcome.of(outs)
    got = measure_block(plan, block, grid) if measured is None else measured
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


def assert_both_paths_equal_replications(plan: EnginePlan, outs: list[Outcome]) -> None:
    """The compiled loops and the Python ones, each against the oracle."""
    assert_block_equals_replications(plan, outs)
    block = BlockOutcome.of(outs)
    in_python = measure_in_python(plan, block, exposure_grid(plan.scenario))
    assert_block_equals_replications(plan, outs, in_python)


@SETTINGS
@given(data=test_invariants.scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_programs(data: dict[str, Any], seed: int) -> None:
    plan, outs = outcomes(Scenario.from_dict(data), range(4), seed)
    assert_both_paths_equal_replications(plan, outs)


@SETTINGS
@given(data=test_invariants_instruments.scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_with_fund_credit_and_tax(data: dict[str, Any], seed: int) -> None:
    plan, outs = outcomes(Scenario.from_dict(data), range(4), seed)
    assert_both_paths_equal_replications(plan, outs)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_compiled_and_python_loops_give_the_same_bits(config: Path) -> None:
    """The fallback is the kernels' own source run as Python: not one bit differs."""
    plan, outs = outcomes(fundflow.load_scenario(config), range(40), seed=3)
    grid = exposure_grid(plan.scenario)
    block = BlockOutcome.of(outs)
    compiled, in_python = measure_block(plan, block, grid), measure_in_python(plan, block, grid)
    for table in ("runs", "routes"):
        for key, col in getattr(compiled, table).items():
            same(getattr(in_python, table)[key], col, f"{table}.{key}")
    same(in_python.net_cash, compiled.net_cash, "net_cash")
    same(in_python.exposure, compiled.exposure, "exposure")


def test_without_numba_the_loops_run_as_python(tmp_path: Path) -> None:
    """Where numba cannot be imported the kernels' module still loads, its functions
    plain Python, and the measures are those of the compiled loops."""
    code = (
        "import sys, warnings\n"
        "sys.modules['numba'] = None  # import numba fails\n"
        "import fundflow\n"
        "from fundflow.results import _block_kernels\n"
        "assert not _block_kernels.COMPILED\n"
        "warnings.simplefilter('ignore')  # the SimPy engine runs: warned\n"
        f"res = fundflow.simulate({str(CONFIGS[0])!r}, 6, seed=4, progress=False)\n"
        "res.runs.to_pickle(sys.argv[1]); res.routes.to_pickle(sys.argv[2])\n"
    )
    runs, routes = tmp_path / "runs.pkl", tmp_path / "routes.pkl"
    subprocess.run([sys.executable, "-c", code, str(runs), str(routes)], check=True)
    ref = fundflow.simulate(CONFIGS[0], 6, seed=4, progress=False, engine="simpy")
    pd.testing.assert_frame_equal(pd.read_pickle(runs), ref.runs, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_pickle(routes), ref.routes, check_exact=True)


def test_sums_add_one_value_after_the_other() -> None:
    """fundflow's order (``_block_kernels``), not NumPy's pairwise summation: a
    replication's total is its values added left to right from 0.0."""
    plan, outs = outcomes(fundflow.load_scenario(CONFIGS[0]), range(2))
    led = outs[0].ledger
    rng = np.random.default_rng(8)
    amount = rng.uniform(0.5, 2.0, len(led)) * 10.0 ** rng.integers(-3, 9, len(led))
    led = Ledger(**{c: amount if c == "amount" else getattr(led, c) for c in COLUMNS})
    out = Outcome(**{**outs[0].__dict__, "ledger": led})
    got = measure_block(plan, BlockOutcome.of([out]), exposure_grid(plan.scenario))
    rd = amount[led.kind == KINDS.index("rd_spending")]
    assert rd.size > 128  # NumPy sums these pairwise
    in_order = functools.reduce(operator.add, rd.tolist(), 0.0)
    assert in_order != float(np.sum(rd)), "pick values whose two sums differ"
    assert got.runs["rd_spending"][0] == in_order


def test_ledgers_out_of_time_order(path: str) -> None:
    """A ledger whose rows are not in time order is measured in time order, rows at
    equal times in ledger order (a stable sort)."""
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


@pytest.mark.parametrize("loops", PATHS)
@pytest.mark.parametrize(
    ("time", "offsets", "in_order"),
    [
        ([0.0, 0.0, 1.0, 0.5, 0.5, 2.0], [0, 3, 6], True),  # a replication may start earlier
        ([0.0, 1.0, 1.0, 2.0], [0, 2, 4], True),  # a run of equal times across replications
        ([], [0, 0, 0], True),  # replications without a payment
        ([0.0, 1.0, 0.5], [0, 3], False),  # out of time order
        ([0.0, np.nan, 1.0], [0, 3], False),
        ([np.nan], [0, 1], False),
    ],
)
def test_run_times(time: list[float], offsets: list[int], in_order: bool, loops: str) -> None:
    """The first time of each run of equal times of the whole column (the discount
    factors are computed for these), and whether every replication is in time order
    (measure_block sorts those that are not)."""
    kernels = _block_kernels if loops == "compiled" else _block_kernels.python_loops()
    t = np.asarray(time, dtype=np.float64)
    ok, runs = kernels.run_times(t, np.asarray(offsets, dtype=np.int64))
    assert ok == in_order
    new = np.ones(t.size, dtype=bool)
    new[1:] = t[1:] != t[:-1]
    same(runs, t[new], "run times")


def test_bad_grids_and_offsets_are_refused() -> None:
    plan, outs = outcomes(fundflow.load_scenario(CONFIGS[0]), range(2))
    block = BlockOutcome.of(outs)
    with pytest.raises(ValueError, match="increasing"):
        measure_block(plan, block, np.array([0.0, 2.0, 1.0]))
    short = BlockOutcome(**{**block.__dict__, "offsets": block.offsets - 1})
    with pytest.raises(ValueError, match="offsets"):
        measure_block(plan, short, exposure_grid(plan.scenario))


def test_codes_out_of_range_are_refused() -> None:
    """Party and kind codes go to the loops as unsigned indices; one out of range
    leaves the compiled loops (which would read outside a table) to the Python ones,
    whose checked indexing refuses it: no number is made of it."""
    sc = fundflow.load_scenario(CONFIGS[0])
    plan, outs = outcomes(sc, range(2))
    led = outs[0].ledger
    columns, in_range = block_measures._columns(led)
    assert in_range
    assert [c.dtype for c in columns] == [
        np.uint8 if getattr(led, n).dtype == np.int8 else getattr(led, n).dtype for n in COLUMNS
    ]
    for name, bad in (("payer", -1), ("payee", len(PARTIES)), ("kind", len(KINDS))):
        col = getattr(led, name).copy()
        col[-1] = bad
        broken = Ledger(**{c: col if c == name else getattr(led, c) for c in COLUMNS})
        assert not block_measures._columns(broken)[1], name
        out = Outcome(**{**outs[0].__dict__, "ledger": broken})
        with pytest.raises(IndexError):
            measure_block(plan, BlockOutcome.of([out]), exposure_grid(sc))
