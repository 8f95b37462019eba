"""Refactoring guard: the bundled scenarios give the same tables, to 1e-12 relative.

For ``configs/<name>.yaml`` at seed 2026 with 40 replications, the tables runs,
routes (its first 20 replications, to keep the files small), ledger(0) and
summary() are pinned as ``tests/pins/<name>/<table>.csv``; so are a comparison
(``compare.csv``) and a sweep (``sweep.csv``). A change to the model's behaviour
must re-pin them on purpose (``FUNDFLOW_REPIN=1 pytest tests/test_regression_pin.py``,
see ``tests/_pins.py``); a change to the code's structure must leave them alone.
Worker counts 1 and 2 give the same tables, exactly (results never depend on the
number of processes).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

import fundflow
from _pins import PINS, assert_matches_pin

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
RUNS = 40
SEED = 2026
#: Routes pinned: those of the first replications only (every replication's routes
#: still count in the pinned runs and summary, and in the workers' equality).
ROUTE_REPLICATIONS = 20
TABLES = ("runs", "routes", "ledger", "summary")


@functools.cache
def tables(name: str, workers: int) -> dict[str, pd.DataFrame]:
    res = fundflow.simulate(CONFIGS / f"{name}.yaml", RUNS, seed=SEED, workers=workers)
    return {
        "runs": res.runs,
        "routes": res.routes,
        "ledger": res.ledger(0),
        "summary": res.summary(),
    }


def test_every_bundled_scenario_is_pinned() -> None:
    pinned = sorted(p.name for p in PINS.iterdir() if p.is_dir())
    assert pinned == NAMES
    for name in NAMES:
        assert sorted(p.stem for p in (PINS / name).glob("*.csv")) == sorted(TABLES)


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("name", NAMES)
def test_tables_unchanged(name: str, table: str) -> None:
    frame = tables(name, 1)[table]
    if table == "routes":
        frame = frame[frame.index.get_level_values("replication") < ROUTE_REPLICATIONS]
    assert_matches_pin(frame, PINS / name / f"{table}.csv", f"{name}.{table}")


@pytest.mark.parametrize("name", NAMES)
def test_worker_count_does_not_change_the_tables(name: str) -> None:
    one, two = tables(name, 1), tables(name, 2)
    for table in TABLES:
        pd.testing.assert_frame_equal(two[table], one[table], check_exact=True, obj=table)


def test_comparison_unchanged() -> None:
    cmp = fundflow.compare(
        CONFIGS / "open_competition.yaml", CONFIGS / "upfront_grant.yaml", runs=RUNS, seed=SEED
    )
    assert_matches_pin(cmp.table, PINS / "compare.csv", "open_competition-upfront_grant")


def test_sweep_unchanged() -> None:
    """Open competition at matching ratio 0.2 and 0.3: its means and SEs are those of
    each point's summary, to the last bit (test_sweep.py)."""
    lever = {"government.matching.ratio": [0.2, 0.3]}
    res = fundflow.sweep(CONFIGS / "open_competition.yaml", lever, runs=RUNS, seed=SEED)
    assert_matches_pin(res.table, PINS / "sweep.csv", "sweep")
