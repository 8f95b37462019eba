"""The compiled engine writes the SimPy engine's ledger (docs/model.md, "Engines").

From the same draws, :func:`fundflow.engine.compiled.run_block` must give the rows
that ``run_replication`` gives, in the same order, with the same codes and the same
times and amounts (to 1e-9 relative), and the same per-route and per-run facts: on
the shipped configs and on random scenarios that use every mechanism (races,
booking periods, binding budgets and reserves, tolerance with misconduct, a payee
solver, both tax arrangements, the guided fund and credit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundflow import Scenario
from fundflow.engine import compiled
from fundflow.engine.draws import draw
from fundflow.engine.ledger import COLUMNS
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.run._blocks import entered_draws
from fundflow.scenario.config import load_scenario
from test_invariants import scenarios as core_scenarios
from test_invariants_instruments import scenarios as instrument_scenarios

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
#: Replications per shipped config; the SimPy side dominates the test's time.
CONFIG_RUNS = 1000


def assert_same(got: BlockOutcome, ref: BlockOutcome) -> None:
    """Ledgers row for row and every fact, codes exact, money and times to 1e-9."""
    np.testing.assert_array_equal(got.offsets, ref.offsets)
    for c in COLUMNS:
        a, b = getattr(got.ledger, c), getattr(ref.ledger, c)
        assert a.dtype == b.dtype, c
        if c in ("time", "amount"):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=0.0, err_msg=c)
        else:
            np.testing.assert_array_equal(a, b, err_msg=c)
    for k in ("status", "end_review", "misconduct", "defaulted", "binds_by_year"):
        np.testing.assert_array_equal(getattr(got, k), getattr(ref, k), err_msg=k)
    for k in ("delayed_payments", "fund_investments"):
        np.testing.assert_array_equal(getattr(got, k), getattr(ref, k), err_msg=k)
    for k in ("end_time", "committed_unpaid", "total_delay", "loans_outstanding", "unpaid_by_year"):
        np.testing.assert_allclose(getattr(got, k), getattr(ref, k), rtol=1e-9, err_msg=k)


def both(scenario: Scenario, entropy: int, runs: int) -> tuple[BlockOutcome, BlockOutcome]:
    plan = EnginePlan.of(scenario)
    draws = entered_draws(plan, entropy, range(runs))  # with the routes that enter
    ref = BlockOutcome.of([run_replication(plan, draws, i) for i in range(runs)])
    return compiled.run_block(plan, draws), ref


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_configs_give_the_simpy_ledger(path: Path) -> None:
    got, ref = both(load_scenario(path), 20261129, CONFIG_RUNS)
    assert len(ref.ledger) > 0
    assert_same(got, ref)


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(data=instrument_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_scenarios_with_every_instrument(data: dict[str, Any], seed: int) -> None:
    got, ref = both(Scenario.from_dict(data), seed, 8)
    assert_same(got, ref)


@_SETTINGS
@given(data=core_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_core_scenarios(data: dict[str, Any], seed: int) -> None:
    """Short horizons, booking periods, reserves that bind, races, budgets."""
    got, ref = both(Scenario.from_dict(data), seed, 8)
    assert_same(got, ref)


def test_a_replication_alone_equals_it_in_a_block() -> None:
    sc = load_scenario(CONFIGS[0])
    plan = EnginePlan.of(sc)
    block = compiled.run_block(plan, draw(sc, plan.layout, 7, range(40)))
    for i in (0, 17, 39):
        alone = compiled.run_block(plan, draw(sc, plan.layout, 7, [i]))
        assert_same(alone, BlockOutcome.of([block.outcome(i)]))


def test_mechanisms_are_exercised() -> None:
    """The configs reach the rules the test means to cover (a guard on the test)."""
    kinds: set[int] = set()
    statuses: set[int] = set()
    for path in CONFIGS:
        got, _ = both(load_scenario(path), 3, 50)
        kinds |= set(got.ledger.kind.tolist())
        statuses |= set(got.status.ravel().tolist())
    assert len(kinds) >= 15 and {1, 2}.issubset(statuses)


def test_block_outcome_is_the_documented_shape() -> None:
    sc = load_scenario(CONFIGS[0])
    plan = EnginePlan.of(sc)
    out = compiled.run_block(plan, draw(sc, plan.layout, 1, range(5)))
    n_r = plan.layout.n_routes
    assert len(out) == 5 and out.status.shape == (5, n_r) and out.status.dtype == np.int8
    assert out.offsets[0] == 0 and out.offsets[-1] == len(out.ledger)
    assert compiled.supports(plan)
