"""What a solver gets, and the rules around it (docs/model.md, "Known-answer cases").

The route of ``make_scenario``: investment I = 100, demander share 0.5 (D = 50) in
installments 15 / 20 / 15 at milestones 0 / 1 / 2, phase costs 40 at t = 0 and 60
at t = 1, reviews at t = 1 and t = 2, match 25 with 7.5 at milestone 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow import ConfigError, Scenario

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def ledger(data: dict, **kw: object) -> pd.DataFrame:
    led = fundflow.simulate(data, runs=1, seed=0, **kw).ledger(0)
    return led.astype({"payer": str, "payee": str, "kind": str})


def of_kind(led: pd.DataFrame, kind: str) -> pd.DataFrame:
    return led[led["kind"] == kind].reset_index(drop=True)


def test_succeeded_route_gets_its_value_and_the_award() -> None:
    data = make_scenario(solver_value=30.0, value_lag=1.5, award={"share": 0.1, "cap": 4.0})
    led = ledger(data)
    award = of_kind(led, "success_award")
    assert award[["time", "payer", "payee", "amount"]].values.tolist() == [
        [2.25, "government", "solver", 4.0]  # min(0.1 × 100, 4) a payment lag after acceptance
    ]
    value = of_kind(led, "solver_value")
    assert value[["time", "payer", "payee", "amount"]].values.tolist() == [
        [3.5, "external", "solver", 30.0]  # value_lag after acceptance
    ]
    res = fundflow.simulate(data, runs=1, seed=0)
    # own funding 50, value 30, award 4
    assert res.routes["solver_net_cash"].iloc[0] == pytest.approx(-50 + 30 + 4)
    assert res.routes["gov_success_award"].iloc[0] == pytest.approx(4.0)


def test_failed_route_gets_neither() -> None:
    led = ledger(make_scenario(p2=0.0, solver_value=30.0, award={"share": 0.1, "cap": None}))
    assert of_kind(led, "success_award").empty and of_kind(led, "solver_value").empty


def test_award_counts_against_the_annual_budget() -> None:
    # budget 8 a year: tranche 7.5 in year 0, the award (10) and the second
    # tranche (17.5) both fall due at 2.25: 8 in year 2, the rest later, FIFO
    data = make_scenario(annual_budget=8.0, award={"share": 0.1, "cap": None})
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0)
    assert res.runs.loc[0, "gov_delayed_payments"] >= 1
    per_year = led[led["payer"] == "government"].groupby(np.floor(led["time"]))["amount"].sum()
    assert (per_year <= 8.0 + 1e-9).all()
    assert of_kind(led.astype({"kind": str}), "success_award")["amount"].sum() == pytest.approx(10)


def test_expected_solver_npv_of_a_one_route_challenge() -> None:
    p1, p2, r, lag, value = 0.6, 0.5, 0.05, 1.0, 80.0
    data = make_scenario(p1=p1, p2=p2, discount_rate=r, solver_value=value, value_lag=lag)
    by_hand = (
        (-40 + 15)
        + p1 * (20 - 60) / (1 + r)
        + p1 * p2 * (15 / (1 + r) ** 2 + value / (1 + r) ** (2 + lag))
    )
    res = fundflow.simulate(data, runs=4000, seed=11)
    npv = res.routes["solver_npv"]
    se = npv.std(ddof=1) / math.sqrt(len(npv))
    assert abs(npv.mean() - by_hand) < 4 * se
    # deterministic when both reviews pass
    sure = fundflow.simulate(make_scenario(discount_rate=r, solver_value=value), runs=1, seed=0)
    exact = -25 + (20 - 60) / (1 + r) + 15 / (1 + r) ** 2 + value / (1 + r) ** 3
    assert sure.routes["solver_npv"].iloc[0] == pytest.approx(exact, rel=1e-12)


def test_fund_that_outlives_the_horizon_is_refused() -> None:
    data = make_scenario(horizon=8.0)
    data["guided_fund"] = {"size": 100, "ticket": 10, "life": 10, "invest_years": 5}
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    message = str(info.value)
    assert message.startswith("guided_fund.life = 10")
    assert "horizon = 8" in message and "guided_fund.start + guided_fund.life" in message
    data["guided_fund"]["enabled"] = False  # a switched-off fund is not checked
    Scenario.from_dict(data)


def test_reserve_breached_by_interest_is_a_financing_failure() -> None:
    # loan 0.5 × (100 − 50) = 25 at t = 0, fee 0.25; net outflow 40 − 15 − 25 + 0.25 =
    # 0.25. At t = 1: +20 installment, −60 R&D: 40.25 (within 41); interest 1.125
    # would make it 41.375 > 41: the route is abandoned there
    data = make_scenario(reserve=41.0)
    data["credit"] = {"enabled": True, "default_probability_on_failure": 0.0}
    res = fundflow.simulate(data, runs=1, seed=0)
    route = res.routes.iloc[0]
    assert route["status"] == "financing_failure"
    assert route["end_time"] == pytest.approx(1.0)
    assert res.runs.loc[0, "financing_failures"] == 1
    led = ledger(data)
    assert not ((led["kind"] == "rd_spending") & (led["time"] > 1.0)).any()
    # with room for the interest it succeeds
    data["solver"]["reserve"] = 42.0
    assert fundflow.simulate(data, runs=1, seed=0).routes["status"].iloc[0] == "succeeded"


def test_eliminated_routes_are_compensated_without_tolerance() -> None:
    # both routes pass review 1 at t = 1; the loser spent 40 and got 15 + 20:
    # unrecovered 5, compensation 0.3 × 5 a payment lag later
    race = {"select_after": 1, "keep": 1, "compensate_eliminated": True}
    data = make_scenario(solvers=2, race=race, tolerance=False)
    led = ledger(data)
    comp = of_kind(led, "compensation")
    assert comp[["time", "amount"]].values.tolist() == [[1.25, pytest.approx(1.5)]]
    data["challenges"][0]["race"]["compensate_eliminated"] = False
    assert of_kind(ledger(data), "compensation").empty


@pytest.mark.parametrize(("payee", "base"), [("demander", 100 - 35), ("solver", 100 - 35 - 7.5)])
def test_compensation_base_subtracts_the_match_the_solver_earned(payee: str, base: float) -> None:
    # fails acceptance at t = 2 after spending 100 and receiving 15 + 20 from the
    # demander; paid to the solver, the 7.5 of match earned at milestone 0 is
    # recovered cost too
    data = make_scenario(p2=0.0, tolerance=True, rate=0.3, payee=payee)
    comp = of_kind(ledger(data), "compensation")
    assert comp["amount"].tolist() == [pytest.approx(0.3 * base)]


@pytest.mark.parametrize(
    "name", ["open_competition", "upfront_grant", "chain_leader", "national_major_project"]
)
def test_a_winning_solver_is_better_off_than_an_eliminated_one(name: str) -> None:
    res = fundflow.simulate(CONFIGS / f"{name}.yaml", runs=300, seed=5)
    cash = res.routes.groupby("status", observed=True)["solver_net_cash"].mean()
    assert cash["succeeded"] > cash["eliminated"]
    assert cash["succeeded"] > 0
