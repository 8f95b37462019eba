"""Invariants over many random valid scenarios (docs/model.md, "Conventions").

* money is conserved in every replication, and every ledger amount is > 0;
* the same seed gives the same ledgers and tables, whatever the workers or chunking,
  and any replication re-run on its own gives the ledger of the full run;
* changing only policy levers leaves every route's review outcomes unchanged
  (common random numbers).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fundflow
from conftest import make_scenario
from fundflow import Scenario

RUNS = 3
MODES = ("two_phase", "upfront", "on_acceptance", "milestones")
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- strategies


@st.composite
def shares(draw: st.DrawFn, n: int, allow_zero: bool = True) -> list[float]:
    """``n`` shares in [0, 1] summing to 1 (at least one positive)."""
    lo = 0 if allow_zero else 1
    weights = draw(st.lists(st.integers(lo, 10), min_size=n, max_size=n))
    if sum(weights) == 0:
        weights[draw(st.integers(0, n - 1))] = 1
    total = sum(weights)
    return [w / total for w in weights]


probability = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
duration = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0]),
    st.floats(0.05, 2.5),
    st.builds(
        lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w},
        st.floats(0.0, 1.5),
        st.floats(0.1, 1.5),
    ),
    st.builds(
        lambda m: {"dist": "triangular", "low": 0.2, "mode": m, "high": 2.0},
        st.floats(0.2, 2.0),
    ),
)
money = st.floats(0.5, 300.0)


@st.composite
def levers(draw: st.DrawFn, n_phases: int) -> dict[str, Any]:
    """Policy levers only: matching, tolerance rate / base / cap, claw-back, budget."""
    mode = draw(st.sampled_from(MODES))
    tranches = None
    if mode == "milestones":
        tranche_shares = draw(shares(n_phases + 1))
        tranches = [(m, s) for m, s in enumerate(tranche_shares) if s > 0]
    return {
        "ratio": draw(st.floats(0.0, 1.0)),
        "mode": mode,
        "first_share": draw(probability),
        "tranches": tranches,
        "cap": draw(st.one_of(st.none(), st.floats(0.0, 100.0))),
        "payment_lag": draw(st.sampled_from([0.0, 0.25, 0.6, 1.3])),
        "tolerance": draw(st.booleans()),
        "rate": draw(probability),
        "base": draw(st.sampled_from(["unrecovered_cost", "cost_spent"])),
        "tolerance_cap": draw(st.one_of(st.none(), st.floats(0.0, 20.0))),
        "clawback": draw(probability),
        "annual_budget": draw(st.one_of(st.none(), st.floats(1.0, 60.0))),
    }


@st.composite
def scenarios(draw: st.DrawFn, with_reserve: bool = True) -> dict[str, Any]:
    """A random valid scenario dict (one or two challenge entries)."""
    n = draw(st.integers(1, 3))
    solvers = draw(st.integers(1, 3)) if n > 1 else 1
    race = None
    if solvers > 1:
        race = {
            "select_after": draw(st.integers(1, n - 1)),
            "keep": draw(st.integers(1, solvers)),
            "compensate_eliminated": draw(st.booleans()),
        }
    data = make_scenario(
        horizon=draw(st.sampled_from([0.7, 2.0, 3.5, 8.0, 20.0])),
        p=draw(st.lists(probability, min_size=n, max_size=n)),
        cost_shares=draw(shares(n)),
        durations=draw(st.lists(duration, min_size=n, max_size=n)),
        installments=draw(shares(n + 1)),
        investment=draw(money),
        demander_share=draw(probability),
        count=draw(st.integers(1, 3)),
        start=draw(st.sampled_from([0.0, 0.3, 1.0])),
        selection_time=draw(st.sampled_from([0.0, 0.25])),
        solvers=solvers,
        race=race,
        booking_period=draw(st.one_of(st.none(), st.sampled_from([0.1, 0.25, 0.5, 1.0]))),
        overrun=draw(
            st.one_of(
                st.just(1.0),
                st.floats(0.5, 2.0),
                st.just({"dist": "lognormal", "median": 1.05, "sigma": 0.3}),
            )
        ),
        misconduct=draw(probability),
        value=draw(
            st.one_of(st.just(0.0), money, st.just({"dist": "lognormal", "median": 40, "sigma": 1}))
        ),
        value_lag=draw(st.sampled_from([0.0, 0.5, 1.0])),
        reserve=draw(st.one_of(st.none(), money)) if with_reserve else None,
        **draw(levers(n)),
    )
    if draw(st.booleans()):  # a second entry with its own size and timing
        other = copy.deepcopy(data["challenges"][0])
        other.update(
            name="second",
            count=draw(st.integers(1, 2)),
            start=draw(st.sampled_from([0.0, 0.5, 2.0])),
            total_investment=draw(money),
            solvers=1,
        )
        other.pop("race", None)
        data["challenges"].append(other)
    if draw(st.booleans()):  # correlated outcomes
        for ch in data["challenges"]:
            ch["group"] = "g"
        data["correlation"] = {"g": draw(st.floats(0.0, 0.95))}
    return data


# --------------------------------------------------------------------------- checks


def assert_ledger_valid(led: pd.DataFrame, horizon: float) -> None:
    amount = led["amount"].to_numpy()
    assert np.isfinite(amount).all()
    assert (amount > 0).all(), led[~(amount > 0)]
    t = led["time"].to_numpy()
    assert np.isfinite(t).all() and (t >= 0).all() and (t <= horizon).all()
    # the horizon's own event: the tax of the year it cuts
    assert set(led["kind"][t == horizon].astype(str)) <= {
        "tax_expenditure",
        "tax_recapture",
        "tax_on_subsidy",
    }
    assert (led["payer"].astype(str) != led["payee"].astype(str)).all()
    assert led["payer"].notna().all() and led["payee"].notna().all() and led["kind"].notna().all()


def assert_conserved(res: fundflow.SimulationResult, i: int) -> None:
    led = res.ledger(i)
    totals = res.party_totals().loc[i]
    gross = float(led["amount"].sum())
    assert abs(float(totals.sum())) <= 1e-9 * max(gross, 1.0), (totals.sum(), gross)
    # the party totals are the ledger's net cash
    received = led.groupby("payee", observed=False)["amount"].sum()
    paid = led.groupby("payer", observed=False)["amount"].sum()
    net = received.reindex(totals.index, fill_value=0.0) - paid.reindex(
        totals.index, fill_value=0.0
    )
    assert np.allclose(net.to_numpy(), totals.to_numpy(), rtol=1e-9, atol=1e-9 * max(gross, 1.0))


def outcomes(res: fundflow.SimulationResult) -> pd.DataFrame:
    return res.routes[["status", "end_review", "end_time"]]


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_money_is_conserved_and_amounts_positive(data: dict[str, Any], seed: int) -> None:
    sc = Scenario.from_dict(data)
    res = fundflow.simulate(sc, runs=RUNS, seed=seed, keep_ledgers=RUNS)
    assert len(res.runs) == RUNS
    assert len(res.routes) == RUNS * sc.n_routes
    for i in range(RUNS):
        assert_ledger_valid(res.ledger(i), sc.horizon)
        assert_conserved(res, i)
    assert (res.runs["gov_committed_unpaid"] >= 0).all()

    # the same seed gives the same tables; replications 1.. re-run on their own
    again = fundflow.simulate(sc, runs=RUNS, seed=seed, keep_ledgers=1)
    pd.testing.assert_frame_equal(res.runs, again.runs)
    pd.testing.assert_frame_equal(res.routes, again.routes)
    pd.testing.assert_frame_equal(res.party_totals(), again.party_totals())
    for i in range(RUNS):
        pd.testing.assert_frame_equal(res.ledger(i), again.ledger(i))


@SETTINGS
@given(
    data=scenarios(with_reserve=False),
    change=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_policy_levers_leave_review_outcomes_unchanged(
    data: dict[str, Any], change: st.DataObject, seed: int
) -> None:
    n = len(data["challenges"][0]["phases"])
    new = change.draw(levers(n), label="levers")
    other = make_scenario(
        **{
            **_knobs_of(data),
            **new,
        }
    )
    other["challenges"] = copy.deepcopy(data["challenges"])
    other["correlation"] = copy.deepcopy(data.get("correlation", {}))
    a = fundflow.simulate(data, runs=RUNS, seed=seed, keep_ledgers=0)
    b = fundflow.simulate(other, runs=RUNS, seed=seed, keep_ledgers=0)
    pd.testing.assert_frame_equal(outcomes(a), outcomes(b))
    # and the R&D the solvers spend does not depend on who pays for it
    pd.testing.assert_series_equal(a.routes["cost_spent"], b.routes["cost_spent"])


def _knobs_of(data: dict[str, Any]) -> dict[str, Any]:
    """The make_scenario knobs that are not levers (the challenges are copied over)."""
    return {
        "horizon": data["horizon"],
        "discount_rate": data["discount_rate"],
        "misconduct": data["government"]["error_tolerance"]["misconduct_probability"],
        "reserve": None,
    }


# --------------------------------------------------------------------------- plain tests


RICH: dict[str, Any] = {
    "count": 3,
    "solvers": 3,
    "race": {"select_after": 1, "keep": 1, "compensate_eliminated": True},
    "p1": 0.7,
    "p2": 0.6,
    "durations": ({"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 2.0}, 1.0),
    "overrun": {"dist": "lognormal", "median": 1.05, "sigma": 0.2},
    "cap": 30.0,
    "tolerance": True,
    "misconduct": 0.1,
    "booking_period": 0.5,
    "value": {"dist": "lognormal", "median": 40, "sigma": 1.0},
    "horizon": 6.0,
    "annual_budget": 60.0,
    "discount_rate": 0.05,
}


def rich_scenario(**change: Any) -> dict[str, Any]:
    """Races, tolerance, misconduct, a cap, a budget, booking periods, random durations."""
    data = make_scenario(**{**RICH, **change})
    data["challenges"][0]["group"] = "g"
    data["correlation"] = {"g": 0.3}
    return data


def test_results_do_not_depend_on_workers_or_chunking() -> None:
    data = rich_scenario()
    ref = fundflow.simulate(data, runs=12, seed=99, workers=1, chunk_size=12, keep_ledgers=12)
    variants = [
        fundflow.simulate(data, runs=12, seed=99, workers=1, chunk_size=1),
        fundflow.simulate(data, runs=12, seed=99, workers=1, chunk_size=5),
        fundflow.simulate(data, runs=12, seed=99, workers=2, chunk_size=5, keep_ledgers=12),
    ]
    for res in variants:
        pd.testing.assert_frame_equal(ref.runs, res.runs)
        pd.testing.assert_frame_equal(ref.routes, res.routes)
        pd.testing.assert_frame_equal(ref.party_totals(), res.party_totals())
    for i in (0, 5, 11):
        pd.testing.assert_frame_equal(ref.ledger(i), variants[2].ledger(i))
    assert variants[2].workers == 2


def test_a_replication_rerun_alone_equals_the_full_run() -> None:
    data = rich_scenario()
    full = fundflow.simulate(data, runs=10, seed=5, keep_ledgers=10)
    lean = fundflow.simulate(data, runs=10, seed=5, keep_ledgers=0)
    assert lean.ledgers == {}
    for i in range(10):
        pd.testing.assert_frame_equal(full.ledger(i), lean.ledger(i))
    # and a shorter run has the same first replications
    short = fundflow.simulate(data, runs=4, seed=5)
    pd.testing.assert_frame_equal(full.runs.iloc[:4], short.runs)


def test_recorded_entropy_reproduces_an_unseeded_run() -> None:
    data = rich_scenario()
    first = fundflow.simulate(data, runs=4)
    again = fundflow.simulate(data, runs=4, seed=first.entropy)
    pd.testing.assert_frame_equal(first.runs, again.runs)
    other = fundflow.simulate(data, runs=4, seed=first.entropy + 1)
    assert not first.runs.equals(other.runs)


@pytest.mark.parametrize(
    "change",
    [
        {"ratio": 0.1},
        {"mode": "upfront"},
        {"mode": "on_acceptance"},
        {"mode": "milestones", "tranches": [(0, 0.2), (1, 0.3), (2, 0.5)]},
        {"first_share": 0.9},
        {"cap": 5.0},
        {"cap": None},
        {"payment_lag": 1.0},
        {"tolerance": False},
        {"rate": 0.9, "base": "cost_spent"},
        {"annual_budget": 3.0},
    ],
    ids=lambda c: ",".join(c),
)
def test_common_random_numbers_under_one_lever(change: dict[str, Any]) -> None:
    a = fundflow.simulate(rich_scenario(), runs=60, seed=31, keep_ledgers=0)
    b = fundflow.simulate(rich_scenario(**change), runs=60, seed=31, keep_ledgers=0)
    pd.testing.assert_frame_equal(outcomes(a), outcomes(b))
    pd.testing.assert_series_equal(a.routes["cost_spent"], b.routes["cost_spent"])
    # while the lever did change the money
    assert not a.runs.equals(b.runs)
