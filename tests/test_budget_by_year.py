"""The budget by year (docs/model.md, "Budget by year"): its years add up to the runs
table, replication by replication; a stored run gives the same table; it is exported
and printed. The hand-derived case is K14 (tests/test_known_answers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fundflow
from fundflow.cli import main
from fundflow.results.block_measures import YEAR_QUANTITIES
from fundflow.scenario.overrides import apply_overrides

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
RUNS = 300


def _binding(path: Path) -> fundflow.Scenario:
    """A shipped program under an annual budget that binds in some years."""
    sc = fundflow.load_scenario(path)
    return apply_overrides(sc, {"government.annual_budget": 12.0})


def _per_replication(res: fundflow.SimulationResult, quantity: str) -> np.ndarray:
    assert res.years is not None
    return res.years[:, YEAR_QUANTITIES.index(quantity), :]


@pytest.mark.parametrize("binding", [False, True], ids=["as-shipped", "annual-budget"])
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_years_add_up_to_the_runs_table(path: Path, binding: bool) -> None:
    sc = _binding(path) if binding else fundflow.load_scenario(path)
    res = fundflow.simulate(sc, runs=RUNS, seed=11)
    runs = res.runs
    cash = _per_replication(res, "budget_cash") + _per_replication(res, "outside_budget")
    np.testing.assert_allclose(cash.sum(axis=1), runs["gov_budget_cost"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        _per_replication(res, "tax_forgone").sum(axis=1), runs["gov_tax_forgone"], atol=1e-9
    )
    np.testing.assert_allclose(
        _per_replication(res, "fund_calls").sum(axis=1), runs["fund_gov_paid_in"], atol=1e-9
    )
    carried = _per_replication(res, "committed_unpaid")
    np.testing.assert_array_equal(carried[:, -1], runs["gov_committed_unpaid"])
    assert (carried >= 0).all()
    table = res.budget_by_year()
    assert len(table) == int(np.ceil(sc.horizon))
    means = table["budget_cash_mean"].sum() + table["outside_budget_mean"].sum()
    assert means == pytest.approx(runs["gov_budget_cost"].mean(), rel=1e-9, abs=1e-9)
    assert table["tax_forgone_mean"].sum() == pytest.approx(
        runs["gov_tax_forgone"].mean(), rel=1e-9, abs=1e-9
    )
    assert (table["budget_cash_p50"] <= table["budget_cash_p95"] + 1e-12).all()
    assert (table["budget_cash_p95"] <= table["budget_cash_max"] + 1e-12).all()
    binds = table["budget_binds_probability"]
    if binding:
        assert binds.max() > 0  # 12 a year binds on every shipped program
        delayed = runs["gov_delayed_payments"] > 0
        assert (_per_replication(res, "budget_binds").any(axis=1) >= delayed).all()
    else:
        assert sc.government.annual_budget is not None or binds.eq(0).all()


def test_both_engines_give_the_same_years() -> None:
    sc = _binding(CONFIGS[0])
    a = fundflow.simulate(sc, runs=200, seed=5, engine="compiled")
    b = fundflow.simulate(sc, runs=200, seed=5, engine="simpy")
    assert a.years is not None and b.years is not None
    np.testing.assert_allclose(a.years, b.years, rtol=1e-9, atol=1e-12)


def test_a_stored_run_gives_the_same_table(tmp_path: Path) -> None:
    sc = _binding(CONFIGS[0])
    held = fundflow.simulate(sc, runs=400, seed=3, chunk_size=100)
    stored = fundflow.simulate(sc, runs=400, seed=3, chunk_size=100, store=tmp_path / "d")
    reopened = fundflow.open_run(tmp_path / "d")
    for res in (stored, reopened):
        got, want = res.budget_by_year(), held.budget_by_year()
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_exported_and_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    code = main(["run", str(CONFIGS[0]), "--runs", "200", "--seed", "1", "--out", str(out),
                 "--format", "csv,md"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "Budget by year" in printed and "P(budget binds)" in printed
    csv = (out / "budget_by_year.csv").read_text().splitlines()
    assert csv[0].startswith('"year","budget_cash_mean","budget_cash_p50"')
    assert "Budget cash" in (out / "budget_by_year.md").read_text()
    main(["run", str(CONFIGS[0]), "--runs", "200", "--seed", "1", "--lang", "zh"])
    assert "分年度预算" in capsys.readouterr().out
