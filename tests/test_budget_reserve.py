"""Annual government budget and solver reserve (docs/model.md, "Program-level constraints").

* Budget: matching tranches plus compensation paid by the government within a
  budget year ``[n, n+1)`` never exceed ``annual_budget``; the excess waits first
  in first out and is paid at the start of a later year, in parts if needed;
  nothing is dropped (paid + committed-but-unpaid equals the unlimited run's,
  replication by replication, under common random numbers); the delay counts
  reported equal those recomputed from the ledgers.
* An unlimited budget and no reserve written out change nothing.
* Reserve: a route whose cumulative net outflow would exceed the reserve (loans
  count as inflow) is abandoned, a financing failure apart from technical ones;
  with the match paid to the solver, budget delays cause financing failures.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow import ConfigError, Scenario

GOV_KINDS = ("matching", "compensation")
TOL = 1e-9
UNIFORM = {"dist": "uniform", "low": 0.5, "high": 1.5}


def gov_payments(ledger: pd.DataFrame) -> pd.DataFrame:
    """Government matching and compensation rows, in ledger (time) order."""
    rows = ledger[(ledger["payer"] == "government") & ledger["kind"].isin(GOV_KINDS)]
    return rows.reset_index(drop=True)


def busy_portfolio(budget: float | None, *, horizon: float = 6.0) -> dict[str, Any]:
    """Ten challenges with random durations, compensation on: a budget of 30 binds."""
    data = make_scenario(
        count=10,
        p1=0.7,
        p2=0.8,
        tolerance=True,
        horizon=horizon,
        durations=(UNIFORM, UNIFORM),
        annual_budget=budget,
    )
    return data


RUNS = 40
BUDGET = 30.0


@pytest.fixture(scope="module")
def pair() -> tuple[fundflow.SimulationResult, fundflow.SimulationResult]:
    """(binding budget, unlimited budget), same seed, every ledger kept."""
    tight = fundflow.simulate(busy_portfolio(BUDGET), runs=RUNS, seed=2, keep_ledgers=RUNS)
    free = fundflow.simulate(busy_portfolio(None), runs=RUNS, seed=2, keep_ledgers=RUNS)
    return tight, free


def _items(tight: pd.DataFrame, free: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Match the budget run's payment parts to the unlimited run's payments.

    A payment is identified by (route, kind, occurrence on that route and kind)
    and numbered by its position in the unlimited run's ledger, i.e. in the order
    the payments fell due. Returns the payment number of every row of ``tight``
    and, per payment paid at least in part, its due time (its time in the
    unlimited run), amount, first and last part time and sum of parts.
    """
    number: dict[tuple, int] = {}
    seen: dict[tuple, int] = {}
    for k, row in enumerate(free.itertuples()):
        key = (row.route, str(row.kind))
        number[(*key, seen.get(key, 0))] = k
        seen[key] = seen.get(key, 0) + 1
    filled = np.zeros(len(free))
    current: dict[tuple, int] = {}
    labels = np.empty(len(tight), dtype=np.int64)
    for j, row in enumerate(tight.itertuples()):
        key = (row.route, str(row.kind))
        item = (*key, current.get(key, 0))
        assert item in number, f"a payment {item} that the unlimited run never made"
        k = number[item]
        filled[k] += row.amount
        amount = free["amount"].iat[k]
        assert filled[k] <= amount * (1 + 1e-9), (item, filled[k], amount)
        if filled[k] >= amount * (1 - 1e-9):
            current[key] = current.get(key, 0) + 1
        labels[j] = k
    per = (
        tight.assign(item=labels)
        .groupby("item")
        .agg(first=("time", "min"), last=("time", "max"), paid=("amount", "sum"))
    )
    per["due"] = free["time"].to_numpy()[per.index]
    per["amount"] = free["amount"].to_numpy()[per.index]
    return labels, per


# ------------------------------------------------------------------- annual budget


def test_budget_year_totals_never_exceed_the_annual_budget(pair) -> None:
    tight, _ = pair
    binding = 0
    for rep in range(RUNS):
        pay = gov_payments(tight.ledger(rep))
        per_year = pay.groupby(np.floor(pay["time"]))["amount"].sum()
        assert (per_year <= BUDGET * (1 + TOL)).all(), (rep, per_year)
        binding += int((per_year >= BUDGET * (1 - TOL)).sum())
    assert binding > RUNS  # the budget really binds (more than one full year per run)


def test_nothing_is_dropped(pair) -> None:
    """Per replication: paid + committed-but-unpaid equals the unlimited run's."""
    tight, free = pair
    # the budget changes no outcome (match paid to the demander, no reserve)
    pd.testing.assert_series_equal(tight.routes["status"], free.routes["status"])
    pd.testing.assert_series_equal(tight.routes["cost_spent"], free.routes["cost_spent"])

    def committed(res: fundflow.SimulationResult) -> np.ndarray:
        by_rep = res.routes.groupby(level="replication")
        paid = by_rep["gov_matching"].sum() + by_rep["gov_compensation"].sum()
        return (paid + res.runs["gov_committed_unpaid"]).to_numpy()

    np.testing.assert_allclose(committed(tight), committed(free), rtol=1e-9, atol=1e-9)
    # ... and the routes table's government columns agree with the ledger
    for rep in (0, RUNS - 1):
        paid = gov_payments(tight.ledger(rep))["amount"].sum()
        routes = tight.routes.xs(rep, level="replication")
        assert math.isclose(
            paid, routes["gov_matching"].sum() + routes["gov_compensation"].sum(), rel_tol=1e-12
        )
    assert (tight.runs["gov_committed_unpaid"] > 0).all()  # the queue is not empty at 6
    # the unlimited run leaves unpaid only what falls due after the horizon
    assert (free.runs["gov_committed_unpaid"] < tight.runs["gov_committed_unpaid"]).all()


def test_delays_reported_when_binding_and_zero_when_unlimited(pair) -> None:
    tight, free = pair
    assert (tight.runs["gov_delayed_payments"] > 0).all()
    assert (tight.runs["gov_mean_delay"] > 0).all()
    assert (free.runs["gov_delayed_payments"] == 0).all()
    assert (free.runs["gov_mean_delay"] == 0).all()


def test_fifo_in_parts_at_year_starts(pair) -> None:
    """Parts of one payment are contiguous, payments are completed in due order,
    late parts are paid at a year's start, and a year is full whenever something
    waits past it."""
    tight, free = pair
    for rep in range(RUNS):
        t_pay = gov_payments(tight.ledger(rep))
        f_pay = gov_payments(free.ledger(rep))
        labels, per = _items(t_pay, f_pay)
        # contiguous parts, in the unlimited run's (due) order: a prefix of it
        collapsed = [int(x) for k, x in enumerate(labels) if k == 0 or x != labels[k - 1]]
        assert len(collapsed) == len(set(collapsed)), "a payment's parts were interleaved"
        assert collapsed == list(range(len(collapsed))), "not first in first out"
        # nothing paid before it fell due; late parts only at the start of a year
        due = per.loc[labels, "due"].to_numpy()
        assert (t_pay["time"].to_numpy() >= due - TOL).all()
        late = t_pay["time"].to_numpy()[t_pay["time"].to_numpy() > due + TOL]
        assert late.size > 0
        np.testing.assert_array_equal(late, np.round(late))
        # a payment that waits past a year's end found that year's budget used up
        spent = t_pay.groupby(np.floor(t_pay["time"]).astype(int))["amount"].sum()
        for item, it in per.iterrows():
            for year in range(math.floor(it["due"]), math.floor(it["last"])):
                assert spent.get(year, 0.0) >= BUDGET * (1 - 1e-9), (rep, item, year)
        # the parts of a completed payment add up to it
        done = per[per["paid"] >= per["amount"] * (1 - 1e-9)]
        np.testing.assert_allclose(done["paid"], done["amount"], rtol=1e-9)


def test_delay_statistics_match_the_ledgers(pair) -> None:
    """gov_delayed_payments / gov_mean_delay: completed payments whose last part
    came after they fell due, and the mean of (last part - due)."""
    tight, free = pair
    for rep in range(RUNS):
        _, per = _items(gov_payments(tight.ledger(rep)), gov_payments(free.ledger(rep)))
        done = per[per["paid"] >= per["amount"] * (1 - 1e-9)]
        late = done[done["last"] > done["due"] + 1e-9]
        row = tight.runs.loc[rep]
        assert row["gov_delayed_payments"] == len(late), rep
        assert math.isclose(
            row["gov_mean_delay"], (late["last"] - late["due"]).mean(), rel_tol=1e-9
        ), rep


def test_budget_that_never_binds_changes_nothing() -> None:
    a = fundflow.simulate(busy_portfolio(1e9), runs=10, seed=4)
    b = fundflow.simulate(busy_portfolio(None), runs=10, seed=4)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.routes, b.routes)


def test_tax_expenditure_is_not_held_back_by_the_budget() -> None:
    data = busy_portfolio(BUDGET)
    data["government"]["tax"] = {  # a taxable match: no deduction waits for its timing
        "rd_super_deduction": 1.0,
        "corporate_tax_rate": {"demander": 0.25, "solver": 0.15},
        "match_treatment": "taxable",
    }
    tight = fundflow.simulate(data, runs=3, seed=8, keep_ledgers=3)
    data["government"]["annual_budget"] = None
    free = fundflow.simulate(data, runs=3, seed=8, keep_ledgers=3)
    assert (tight.runs["gov_delayed_payments"] > 0).all()
    for rep in range(3):
        a, b = tight.ledger(rep), free.ledger(rep)
        ta = a[a["kind"] == "tax_expenditure"].reset_index(drop=True)
        tb = b[b["kind"] == "tax_expenditure"].reset_index(drop=True)
        assert len(ta) > 0
        pd.testing.assert_frame_equal(ta, tb)


# ------------------------------------------------- unlimited and no reserve = absent


def rich_scenario() -> dict[str, Any]:
    """Tolerance, claw-back, race, overrun, fund, credit and tax all switched on."""
    data = make_scenario(
        count=3,
        p1=0.7,
        p2=0.8,
        tolerance=True,
        misconduct=0.1,
        clawback=0.5,
        solvers=2,
        race={"select_after": 1, "keep": 1, "compensate_eliminated": True},
        overrun={"dist": "lognormal", "median": 1.05, "sigma": 0.2},
        durations=(UNIFORM, UNIFORM),
        booking_period=0.5,
        value={"dist": "lognormal", "median": 40, "sigma": 1.0},
        horizon=12.0,
    )
    data["government"]["tax"] = {  # a taxable match: no deduction waits for its timing
        "rd_super_deduction": 1.0,
        "corporate_tax_rate": {"demander": 0.25, "solver": 0.15},
        "match_treatment": "taxable",
    }
    data["guided_fund"] = {
        "size": 60,
        "ticket": 10,
        "life": 8,
        "invest_years": 4,
        "holding_period": {"dist": "uniform", "low": 2, "high": 6},
        "exit_multiple": {"dist": "lognormal", "median": 1.5, "sigma": 0.8},
        "government_concession": 0.3,
        "government_first_loss": 0.2,
    }
    data["credit"] = {"enabled": True}
    return data


def test_unlimited_budget_and_no_reserve_equal_leaving_the_keys_out() -> None:
    written = rich_scenario()
    assert written["government"]["annual_budget"] is None
    assert written["solver"] == {"reserve": None}
    omitted = copy.deepcopy(written)
    del omitted["government"]["annual_budget"]
    del omitted["solver"]
    a = fundflow.simulate(written, runs=20, seed=12)
    b = fundflow.simulate(omitted, runs=20, seed=12)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.routes, b.routes)
    pd.testing.assert_frame_equal(a.party_totals(), b.party_totals())
    pd.testing.assert_frame_equal(a.ledger(0), b.ledger(0))
    assert (a.runs["fund_investments"] > 0).any()  # the fund and credit are exercised
    assert (a.runs["loan_defaults"] > 0).any()


# ----------------------------------------------------------------- solver reserve


def two_routes(reserve: float | None, **extra: Any) -> dict[str, Any]:
    """Route 0 fails review 1 (technical); route 1 passes both reviews.

    I = 100, D = 50 paid 30/40/30%, phases 40/60, durations 1.5 and 1: each
    solver's net outflow is 25 after t = 0 and 65 after the phase-2 spend at 1.5.
    """
    data = make_scenario(reserve=reserve, durations=(1.5, 1.0), **extra)
    tech = data["challenges"][0]
    money = copy.deepcopy(tech)
    tech["name"] = "tech"
    tech["phases"][0]["pass_probability"] = 0.0
    money["name"] = "money"
    data["challenges"].append(money)
    return data


def test_financing_failure_is_counted_apart_from_technical_failure() -> None:
    res = fundflow.simulate(
        two_routes(60.0, tolerance=True, clawback=1.0), runs=2, seed=0, keep_ledgers=2
    )
    routes = res.routes.xs(0, level="replication")
    assert routes["status"].tolist() == ["failed", "financing_failure"]
    assert routes["end_review"].tolist() == [1, 1]
    assert routes["end_time"].tolist() == [1.5, 1.5]
    assert (res.runs["financing_failures"] == 1).all()
    ledger = res.ledger(0)
    money = ledger[ledger["route"] == 1]
    # abandoned before paying phase 2: only phase 1's 40 was spent
    assert money.loc[money["kind"] == "rd_spending", "amount"].tolist() == [40.0]
    # the exemption covers technical dead ends only
    assert routes["gov_compensation"].tolist()[1] == 0.0
    assert routes["gov_compensation"].tolist()[0] > 0.0
    # financing failure: claw-back at clawback_without_tolerance, payment_lag later
    back = money[money["kind"] == "clawback"]
    assert back["amount"].tolist() == [7.5] and back["time"].tolist() == [1.75]
    assert res.runs["gov_wasted_outlay"].iloc[0] == pytest.approx(
        routes["gov_matching"].sum() - 7.5 + routes["gov_compensation"].sum()
    )


@pytest.mark.parametrize(
    ("reserve", "status", "spent", "tech"),
    [
        (None, "succeeded", 100.0, "failed"),
        (65.0, "succeeded", 100.0, "failed"),  # reaching the reserve is allowed
        (64.9, "financing_failure", 40.0, "failed"),
        (25.0, "financing_failure", 40.0, "failed"),
        (24.9, "financing_failure", 0.0, "financing_failure"),  # cannot even pay phase 1
    ],
)
def test_reserve_threshold(reserve, status, spent, tech) -> None:
    res = fundflow.simulate(two_routes(reserve), runs=1, seed=0)
    route = res.routes.xs((0, 1))
    assert route["status"] == status
    assert route["cost_spent"] == pytest.approx(spent)
    if status == "financing_failure":
        assert route["end_time"] == (0.0 if spent == 0.0 else 1.5)
    assert res.routes.xs((0, 0))["status"] == tech
    expected = (status == "financing_failure") + (tech == "financing_failure")
    assert res.runs["financing_failures"].iloc[0] == expected


def test_a_loan_counts_against_the_reserve() -> None:
    """Reserve plus credit: the loan, 0.5 x (I - D) = 25, keeps route 1 alive.

    Net outflow when phase 2 must be paid at 1.5: 25 - 25 (loan) + fee 0.25 at 0,
    interest 1.125 and fee 0.25 at 1, - 20 + 60 at 1.5 = 41.625.
    """
    credit = {
        "enabled": True,
        "loan_share": 0.5,
        "default_probability_on_failure": 0.0,
        "default_probability_on_success": 0.0,
    }
    without = fundflow.simulate(two_routes(60.0), runs=1, seed=0)
    data = two_routes(60.0)
    data["credit"] = credit
    with_loan = fundflow.simulate(data, runs=1, seed=0)
    assert without.routes.xs((0, 1))["status"] == "financing_failure"
    assert with_loan.routes.xs((0, 1))["status"] == "succeeded"
    # the peak comes at repayment: 41.625 + 1.375 at 2, then -15 + 0.5625 + 25 at 2.5
    assert with_loan.routes.xs((0, 1))["solver_peak_funding_gap"] == pytest.approx(53.5625)
    # every outflow counts: interest 1.125 and fee 0.25 at 2 take it to 43.0 ...
    data["solver"]["reserve"] = 43.0
    assert fundflow.simulate(data, runs=1, seed=0).routes.xs((0, 1))["status"] == "succeeded"
    # ... so 41.625, enough for the R&D payment at 1.5, fails at 2 on the interest
    data["solver"]["reserve"] = 41.625
    abandoned = fundflow.simulate(data, runs=1, seed=0).routes.xs((0, 1))
    assert abandoned["status"] == "financing_failure"
    assert abandoned["end_time"] == pytest.approx(2.0)
    # and just below it the R&D payment itself fails, loan or not
    data["solver"]["reserve"] = 41.6
    assert fundflow.simulate(data, runs=1, seed=0).routes.xs((0, 1))["status"] == (
        "financing_failure"
    )


def solver_paid(budget: float | None, durations: tuple[Any, Any]) -> dict[str, Any]:
    """Ten challenges whose whole match (25) is paid to the solver at start + 0.25.

    Net outflow per route: 25 after t = 0, 0 once the match is in, 40 after the
    phase-2 spend. With a reserve of 50 a route survives only if its match came
    before phase 2; with a budget of 50 only two matches are paid per year.
    """
    data = make_scenario(
        count=10, mode="upfront", durations=durations, reserve=50.0, annual_budget=budget
    )
    data["government"]["matching"]["payee"] = "solver"
    return data


def test_budget_delays_cause_financing_failures_deterministic() -> None:
    free = fundflow.simulate(solver_paid(None, (1.5, 1.0)), runs=1, seed=0)
    tight = fundflow.simulate(solver_paid(50.0, (1.5, 1.0)), runs=1, seed=0, keep_ledgers=1)
    assert free.runs["financing_failures"].iloc[0] == 0
    assert (free.routes["status"] == "succeeded").all()
    # two matches paid at 0.25, two at 1.0, the other six wait past phase 2 at 1.5
    assert tight.runs["financing_failures"].iloc[0] == 6
    status = tight.routes.xs(0, level="replication")["status"].tolist()
    assert status == ["succeeded"] * 4 + ["financing_failure"] * 6
    assert tight.runs["gov_delayed_payments"].iloc[0] > 0


def test_budget_delays_raise_financing_failures_monte_carlo() -> None:
    """The feedback the discrete-event model exists for, over random durations."""
    durations = ({"dist": "uniform", "low": 0.6, "high": 2.5}, 1.0)
    free = fundflow.simulate(solver_paid(None, durations), runs=30, seed=21)
    tight = fundflow.simulate(solver_paid(50.0, durations), runs=30, seed=21, keep_ledgers=30)
    assert (free.runs["financing_failures"] == 0).all()
    assert tight.runs["financing_failures"].mean() > 1.0
    # per route: a failure without the budget is one with it too (never the reverse)
    fail_free = free.routes["status"] == "financing_failure"
    fail_tight = tight.routes["status"] == "financing_failure"
    assert not (fail_free & ~fail_tight).any()
    # every financing failure happened while the route's match was still unpaid
    for (rep, route), row in tight.routes[fail_tight].iterrows():
        ledger = tight.ledger(rep)
        got = ledger[(ledger["route"] == route) & (ledger["kind"] == "matching")]
        assert got.loc[got["time"] <= row["end_time"], "amount"].sum() < 25.0 - 1e-9


def test_clawback_comes_from_the_solver_when_the_solver_is_the_payee() -> None:
    data = make_scenario(p2=0.0, clawback=1.0)
    data["government"]["matching"]["payee"] = "solver"
    res = fundflow.simulate(data, runs=1, seed=0)
    ledger = res.ledger(0)
    back = ledger[ledger["kind"] == "clawback"]
    assert back["amount"].tolist() == [7.5]
    assert back["payer"].tolist() == ["solver"]
    # the demander never received the match, so it cannot be charged for it
    assert res.party_totals().loc[0, "demander"] == pytest.approx(-35.0)


def test_nothing_is_dropped_when_the_solver_is_the_payee() -> None:
    data = busy_portfolio(BUDGET)
    data["government"]["matching"]["payee"] = "solver"
    tight = fundflow.simulate(data, runs=10, seed=2)
    data["government"]["annual_budget"] = None
    free = fundflow.simulate(data, runs=10, seed=2)
    pd.testing.assert_series_equal(tight.routes["status"], free.routes["status"])

    def committed(res: fundflow.SimulationResult) -> np.ndarray:
        by_rep = res.routes.groupby(level="replication")
        paid = by_rep["gov_matching"].sum() + by_rep["gov_compensation"].sum()
        return (paid + res.runs["gov_committed_unpaid"]).to_numpy()

    np.testing.assert_allclose(committed(tight), committed(free), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("budget", [0, 0.0, -5.0, float("inf"), "lots", True])
def test_annual_budget_must_be_positive(budget) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(make_scenario(annual_budget=budget))
    assert "government.annual_budget" in str(info.value)
    assert "> 0" in str(info.value)


@pytest.mark.parametrize("reserve", [-1.0, "none", float("nan")])
def test_reserve_must_be_non_negative(reserve) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(make_scenario(reserve=reserve))
    assert "solver.reserve" in str(info.value)


def test_reserve_zero_is_valid_and_stops_every_route() -> None:
    res = fundflow.simulate(make_scenario(reserve=0.0, count=3), runs=1, seed=0)
    # contract start: demander pays 15, then 40 must be spent: outflow 25 > 0
    assert (res.routes["status"] == "financing_failure").all()
    assert res.runs["financing_failures"].iloc[0] == 3
