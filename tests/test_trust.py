"""Every number the default engine prints is right, or the run is refused.

The inputs that made fundflow 0.2's compiled engine return garbage without a word
(docs/model.md, "Engines"): each now gives the SimPy engine's numbers or one
``error:`` line and exit 2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import fundflow
from fundflow import Scenario
from fundflow.cli import main
from fundflow.engine import compiled

ROOT = Path(__file__).resolve().parents[1]
OPEN = ROOT / "configs" / "open_competition.yaml"

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def _same_tables(a: fundflow.SimulationResult, b: fundflow.SimulationResult) -> None:
    for name in ("runs", "routes"):
        x, y = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-9, atol=1e-9)


def test_open_competition_booked_every_hundredth_of_a_year() -> None:
    """0.2: a traceback ("internal error 2"). Now SimPy's numbers."""
    data = yaml.safe_load(OPEN.read_text(encoding="utf-8"))
    for ch in data["challenges"]:
        ch["booking_period"] = 0.01
    sc = Scenario.from_dict(data)
    got = fundflow.simulate(sc, 3, seed=5, workers=1, engine="compiled")
    ref = fundflow.simulate(sc, 3, seed=5, workers=1, engine="simpy")
    assert got.engine == "compiled" and ref.engine == "simpy"
    _same_tables(got, ref)


def test_monthly_booking_of_two_six_year_phases_gives_the_simpy_numbers() -> None:
    """0.2 printed rd_spending 0 and solver NPV +50 here; SimPy prints 100 and -50."""
    data = {
        "name": "monthly",
        "horizon": 20.0,
        "discount_rate": 0.0,
        "challenges": [
            {
                "name": "a",
                "total_investment": 100.0,
                "booking_period": 1 / 12,
                "phases": [
                    {"name": f"p{j}", "duration": 6.0, "cost_share": 0.5, "pass_probability": 1}
                    for j in range(2)
                ],
            }
        ],
    }
    sc = Scenario.from_dict(data)
    got = fundflow.simulate(sc, 3, seed=1, workers=1)
    ref = fundflow.simulate(sc, 3, seed=1, workers=1, engine="simpy")
    _same_tables(got, ref)
    np.testing.assert_allclose(got.runs["rd_spending"], 100.0)


def test_a_horizon_of_1e12_is_refused_before_anything_runs(tmp_path, capsys) -> None:
    """0.2: it validated, then the run died with a MemoryError traceback."""
    out = tmp_path / "o"
    code = main(["run", str(OPEN), "--set", "horizon=1e12", "--runs", "3", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["error: horizon = 1000000000000.0: must be in (0, 200]"]
    assert not out.exists()
