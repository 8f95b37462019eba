"""The shipped programs attract bidders (docs/calibration.md, "Checks of the calibration").

On every shipped program with ``solver.entry: equilibrium``: every challenge is
filled in most replications, a route that succeeds ends better off than a rival
eliminated in the same race in at least 90% of such pairs, and the participation
column (expected NPV per route that started clears ``required_npv``) agrees with
the routes that started.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import fundflow
from fundflow.engine.layout import Layout

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PROGRAMS = ["open_competition", "upfront_grant", "national_major_project", "chain_leader"]
RUNS = 1000


def winner_better_share(res: fundflow.SimulationResult) -> tuple[float, int]:
    """Among (succeeded, eliminated) route pairs of one race, the share where the
    route that succeeded has the higher solver NPV, and the number of pairs."""
    routes = res.routes.reset_index()
    copy = Layout.of(res.scenario).route_challenge[routes["route"].to_numpy()]
    key = routes["replication"].to_numpy() * 10_000 + copy
    status, npv = routes["status"].astype(str).to_numpy(), routes["solver_npv"].to_numpy()
    better = pairs = 0
    for k in np.unique(key[status == "eliminated"]):
        here = key == k
        won, lost = npv[here & (status == "succeeded")], npv[here & (status == "eliminated")]
        better += int((won[:, None] > lost[None, :]).sum())
        pairs += won.size * lost.size
    return better / max(pairs, 1), pairs


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_shipped_program_attracts_bidders(name: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fundflow.simulate(CONFIGS / f"{name}.yaml", runs=RUNS, seed=2026)
    assert not [w for w in caught if "unfilled" in str(w.message)]
    assert res.scenario.solver.entry == "equilibrium"
    table = res.challenges
    assert (table["unfilled_probability"] < 0.5).all(), table["unfilled_probability"]
    share, pairs = winner_better_share(res)
    assert pairs > 100
    assert share >= 0.9, share
    started = table["expected_entrants"] > 0
    assert table.loc[started, "clears_required_npv"].all()


def test_chain_leader_keeps_the_demander_share() -> None:
    sc = fundflow.load_scenario(CONFIGS / "chain_leader.yaml")
    assert all(c.contract_price is None for c in sc.challenges)


def test_an_entry_warning_points_at_the_callers_line() -> None:
    """A warning about entry names the line of the user's code that ran fundflow (a
    script's, a notebook cell's), not one of fundflow's modules."""
    sc = fundflow.load_scenario(CONFIGS / "open_competition.yaml")
    sc = fundflow.apply_overrides(sc, {"solver.reservation_npv": 50})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fundflow.simulate(sc, runs=200, seed=1)
    unfilled = [w for w in caught if "unfilled" in str(w.message)]
    assert unfilled and all(w.filename == __file__ for w in unfilled)
