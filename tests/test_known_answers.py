"""docs/model.md's known-answer cases K1-K15, with the document's parameters and numbers.

The common route of those cases: one challenge, one route started at t = 0, two
phases of 1 year with cost shares 0.4 / 0.6, no overrun, I = 20, D = 0.6 x 20 = 12 in
installments 3.6 / 4.8 / 3.6 at milestones 0, 1, 2, matching g = 0.25 x 20 = 5 in
two_phase with first share 0.3 and a payment lag of 0.25, no cap, no error tolerance,
no claw-back, horizon 12, discount rate 0.03. Deterministic answers are checked to
1e-9 relative; expectations within 4 standard errors (from the sample) of the mean
over a few thousand replications, with fixed seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import fundflow
from conftest import make_scenario
from fundflow import ConfigError, Scenario
from fundflow.cli import main
from fundflow.results import metrics

RUNS = 3000
REL = 1e-9

INV, DS = 20.0, 0.6
D = DS * INV  # 12
C1, C2 = 0.4, 0.6
D0, D1, D2 = 0.3, 0.4, 0.3
G, S = 0.25 * INV, 0.3  # g = 5, first share
R = 0.03
TAX = {"rd_super_deduction": 1.0}  # the default rates and usable shares
RACE = {"select_after": 1, "keep": 1, "compensate_eliminated": True}


def scenario(**knobs: Any) -> dict[str, Any]:
    """The common route of the known-answer cases, with ``make_scenario`` knobs changed."""
    base = {"investment": INV, "demander_share": DS, "horizon": 12.0, "discount_rate": R}
    return make_scenario(**{**base, **knobs})


def ledger(data: dict[str, Any]) -> pd.DataFrame:
    led = fundflow.simulate(data, runs=1, seed=0).ledger(0)
    return led.astype({"payer": str, "payee": str, "kind": str})


def rows(led: pd.DataFrame, **match: str) -> list[list[Any]]:
    """``[time, amount]`` of the ledger rows whose columns equal ``match``."""
    mask = np.ones(len(led), dtype=bool)
    for column, value in match.items():
        mask &= (led[column] == value).to_numpy()
    return led.loc[mask, ["time", "amount"]].values.tolist()


def exact(x: float) -> Any:
    return pytest.approx(x, rel=REL)


def assert_mean_within(sample: Any, expected: float, k: float = 4.0) -> None:
    """The sample mean is within ``k`` standard errors (from the sample) of ``expected``."""
    x = np.asarray(sample, dtype=float)
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    assert se > 0, "degenerate sample"
    z = abs(float(x.mean()) - expected) / se
    assert z <= k, f"mean {x.mean():.6g} vs {expected:.6g}: {z:.2f} SE (se {se:.3g})"


def v(t: float) -> float:
    return (1 + R) ** -t


# --------------------------------------------------------------------------- K1


def test_k1_matching_outlay() -> None:
    p1, p2 = 0.75, 0.7
    res = fundflow.simulate(scenario(p1=p1, p2=p2), runs=RUNS, seed=101)
    outlay = res.runs["gov_gross_outlay"].to_numpy()
    assert set(np.round(outlay, 9)) <= {G * S, G}
    assert G * S + G * (1 - S) * p1 * p2 == exact(3.3375)
    assert_mean_within(outlay, 3.3375)
    matching = res.routes["gov_matching"].to_numpy()
    assert_mean_within(matching == G, p1 * p2)  # the second tranche is paid
    assert INV * (C1 + C2 * p1) == exact(17.0)
    assert_mean_within(res.runs["rd_spending"], 17.0)


def test_k1_upfront_pays_g_in_every_replication() -> None:
    res = fundflow.simulate(scenario(p1=0.75, p2=0.7, mode="upfront"), runs=500, seed=102)
    assert res.runs["gov_gross_outlay"].to_numpy() == pytest.approx(np.full(500, G), rel=REL)
    assert res.runs["challenges_succeeded"].nunique() == 2  # outcomes do vary


# --------------------------------------------------------------------------- K2


@pytest.mark.parametrize(
    ("p1", "p2", "spent", "received", "unrecovered"),
    [(0.0, 1.0, 8.0, 3.6, 4.4), (1.0, 0.0, 20.0, 8.4, 11.6)],
    ids=["review-1", "acceptance"],
)
def test_k2_compensation_of_one_failure(
    p1: float, p2: float, spent: float, received: float, unrecovered: float
) -> None:
    res = fundflow.simulate(scenario(p1=p1, p2=p2, tolerance=True, rate=0.3), runs=1, seed=0)
    route = res.routes.iloc[0]
    assert route["status"] == "failed"
    assert route["cost_spent"] == exact(spent)
    assert route["demander_paid"] == exact(received)
    assert spent - received == exact(unrecovered)
    assert route["gov_compensation"] == exact(0.3 * unrecovered)


def test_k2_expected_compensation() -> None:
    p1, p2, c = 0.75, 0.7, 0.3
    by_formula = c * (
        (1 - p1) * max(0.0, C1 * INV - D0 * D) + p1 * (1 - p2) * max(0.0, INV - (D0 + D1) * D)
    )
    assert by_formula == exact(0.3 * (0.25 * 4.4 + 0.225 * 11.6)) == exact(1.113)
    res = fundflow.simulate(scenario(p1=p1, p2=p2, tolerance=True, rate=c), runs=RUNS, seed=103)
    comp = res.routes["gov_compensation"].to_numpy()
    assert set(np.round(comp, 9)) <= {0.0, round(c * 4.4, 9), round(c * 11.6, 9)}
    assert_mean_within(comp, 1.113)


# --------------------------------------------------------------------------- K3

AWARD = {"share": 0.1, "cap": 1.5}


def test_k3_solver_value_and_award_rows() -> None:
    led = ledger(scenario(solver_value=8.0, value_lag=1.0, award=AWARD))
    assert rows(led, kind="demander_installment")[-1] == [2.0, exact(3.6)]  # acceptance at 2
    assert rows(led, payer="external", payee="solver") == [[3.0, exact(8.0)]]
    assert rows(led, payer="external", payee="solver", kind="solver_value") == [[3.0, exact(8.0)]]
    assert rows(led, payer="government", payee="solver") == [[2.25, exact(1.5)]]
    assert rows(led, payer="government", payee="solver", kind="success_award") == [
        [2.25, exact(min(0.1 * INV, 1.5))]
    ]


@pytest.mark.parametrize(
    ("award_cap", "knobs", "amount"),
    [
        (None, {}, 2.0),
        (None, {"overrun": 1.2}, 2.0),  # the award uses the planned I
        (1.5, {"cap": 0.0}, 1.5),  # outside the matching cap
    ],
    ids=["no-cap", "overrun", "matching-cap-0"],
)
def test_k3_award_uses_the_planned_investment_outside_the_matching_cap(
    award_cap: float | None, knobs: dict[str, Any], amount: float
) -> None:
    data = scenario(solver_value=8.0, award={"share": 0.1, "cap": award_cap}, **knobs)
    led = ledger(data)
    assert rows(led, kind="success_award") == [[2.25, exact(amount)]]
    if "overrun" in knobs:
        assert sum(a for _, a in rows(led, kind="rd_spending")) == exact(1.2 * INV)
    if "cap" in knobs:
        assert rows(led, kind="matching") == []


def test_k3_failed_route_gets_neither() -> None:
    data = scenario(p2=0.0, solver_value=8.0, award=AWARD, clawback=1.0)
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0).astype({"kind": str})
    assert rows(led, kind="success_award") == [] and rows(led, kind="solver_value") == []
    assert res.routes["gov_success_award"].iloc[0] == 0.0


def test_k3_race_pays_each_solver_and_the_demander_once() -> None:
    race = {"select_after": 1, "keep": 2}
    data = scenario(solvers=2, race=race, solver_value=8.0, award=AWARD, value=40.0)
    res = fundflow.simulate(data, runs=1, seed=0)
    assert (res.routes["status"] == "succeeded").all()
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    for route in (0, 1):
        mine = led[led["route"] == route]
        assert rows(mine, kind="solver_value", payee="solver") == [[3.0, exact(8.0)]]
        assert rows(mine, kind="success_award", payee="solver") == [[2.25, exact(1.5)]]
    assert rows(led, kind="commercial_value", payee="demander") == [[3.0, exact(40.0)]]


# --------------------------------------------------------------------------- K4


def k4_expected_npv(p1: float, p2: float, award: float, value: float) -> float:
    return (
        (D0 * D - C1 * INV)
        + p1 * (D1 * D - C2 * INV) * v(1)
        + p1 * p2 * (D2 * D * v(2) + award * v(2.25) + value * v(3))
    )


def test_k4_solver_flows_by_outcome() -> None:
    # the flows the formula sums: -4.4 at 0, -7.2 at 1, 3.6 at 2, the award at 2.25,
    # the value at 3
    assert (D0 * D - C1 * INV, D1 * D - C2 * INV, D2 * D) == (exact(-4.4), exact(-7.2), exact(3.6))
    cases = [(0.0, 1.0, -4.4), (1.0, 0.0, -4.4 - 7.2 * v(1))]
    cases.append((1.0, 1.0, -4.4 - 7.2 * v(1) + 3.6 * v(2) + 1.5 * v(2.25) + 8.0 * v(3)))
    for p1, p2, npv in cases:
        data = scenario(p1=p1, p2=p2, solver_value=8.0, value_lag=1.0, award=AWARD)
        res = fundflow.simulate(data, runs=1, seed=0)
        assert res.routes["solver_npv"].iloc[0] == exact(npv)


@pytest.mark.parametrize(
    ("value", "award", "by_hand"),
    [(8.0, AWARD, -3.2808), (0.0, None, -7.8612)],
    ids=["V=8", "V=0-no-award"],
)
def test_k4_expected_solver_npv(value: float, award: dict | None, by_hand: float) -> None:
    p1, p2 = 0.75, 0.7
    a = 1.5 if award else 0.0
    formula = k4_expected_npv(p1, p2, a, value)
    assert formula == pytest.approx(by_hand, abs=5e-5)
    data = scenario(p1=p1, p2=p2, solver_value=value, value_lag=1.0, award=award)
    res = fundflow.simulate(data, runs=RUNS, seed=104)
    assert_mean_within(res.routes["solver_npv"], formula)


def test_k4_value_that_clears_required_npv_zero() -> None:
    p1p2 = 0.75 * 0.7
    assert p1p2 * 1.5 * v(2.25) == pytest.approx(0.7368, abs=5e-5)
    threshold = (7.8612 - 0.7368) / (p1p2 * v(3))
    assert threshold == pytest.approx(14.83, abs=5e-3)
    assert k4_expected_npv(0.75, 0.7, 1.5, 14.83) >= 0 > k4_expected_npv(0.75, 0.7, 1.5, 14.82)


# --------------------------------------------------------------------------- K5


def tax_rows(led: pd.DataFrame, party: str) -> list[list[Any]]:
    """``[time, signed amount]`` of the tax rows between the government and ``party``."""
    tax = led[led["kind"].isin(["tax_expenditure", "tax_recapture"])]
    out = []
    for t, payer, payee, amount in tax[["time", "payer", "payee", "amount"]].values:
        if party in (payer, payee):
            out.append([t, amount if payee == party else -amount])
    return out


@pytest.mark.parametrize(
    ("arrangement", "demander"),
    [("commissioned", [0.42, 0.96, 0.02]), ("cooperative", [0.525, 1.20, 0.025])],
)
def test_k5_tax_year_by_year(arrangement: str, demander: list[float]) -> None:
    data = scenario(tax={**TAX, "arrangement": arrangement})
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    assert rows(led, kind="rd_spending") == [[0.0, exact(8.0)], [1.0, exact(12.0)]]
    installments = rows(led, kind="demander_installment")
    assert installments == [[0.0, exact(3.6)], [1.0, exact(4.8)], [2.0, exact(3.6)]]
    assert tax_rows(led, "demander") == [[1.0 + n, exact(x)] for n, x in enumerate(demander)]
    # the solver's recognised E: 4.4, 11.6, 8.0 at the ends of years 0, 1, 2
    assert tax_rows(led, "solver") == [[1.0, exact(0.33)], [2.0, exact(0.54)], [3.0, exact(-0.27)]]
    assert rows(led, kind="tax_recapture") == [[3.0, exact(0.27)]]
    assert rows(led, kind="tax_recapture", payer="solver", payee="government") != []
    # the demander's base: installments less the (non-taxable) match received
    assert sum(demander) == exact((0.2 if arrangement == "commissioned" else 0.25) * (D - G))
    assert 0.33 + 0.54 - 0.27 == exact(0.075 * (INV - D))
    assert res.runs["gov_tax_forgone"].iloc[0] == exact(sum(demander) + 0.60)


def test_k5_match_paid_to_the_solver_is_subtracted() -> None:
    led = ledger(scenario(tax=TAX, payee="solver"))
    assert rows(led, kind="matching", payee="solver") == [[0.25, exact(1.5)], [2.25, exact(3.5)]]
    # E = 2.9, 10.1, 3.0 at the ends of years 0, 1, 2
    got = tax_rows(led, "solver")
    assert got == [[1.0, exact(0.2175)], [2.0, exact(0.54)], [3.0, exact(-0.5325)]]
    assert sum(a for _, a in got) == exact(0.225) == exact(0.075 * (INV - D - G))


# --------------------------------------------------------------------------- K6


@pytest.mark.parametrize(
    ("horizon", "status", "last_year"),
    [(2.5, "succeeded", {"demander": 0.02, "solver": -0.27}), (2.0, "running", {})],
)
def test_k6_the_last_years_tax_at_the_horizon(
    horizon: float, status: str, last_year: dict[str, float]
) -> None:
    data = scenario(tax={**TAX, "arrangement": "commissioned"}, horizon=horizon)
    res = fundflow.simulate(data, runs=1, seed=0)
    assert res.routes["status"].iloc[0] == status
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    paid = {
        "demander": [[1.0, exact(0.42)], [2.0, exact(0.96)]],
        "solver": [[1.0, exact(0.33)], [2.0, exact(0.54)]],
    }
    for party, amount in last_year.items():
        paid[party].append([horizon, exact(amount)])
    for party, want in paid.items():
        assert tax_rows(led, party) == want
    if horizon == 2.0:  # acceptance due at the horizon does not happen
        assert rows(led, kind="demander_installment")[-1][0] == 1.0
    assert led["time"].max() == horizon
    at_horizon = set(led.loc[led["time"] == horizon, "kind"])
    assert at_horizon <= {"tax_expenditure", "tax_recapture", "tax_on_subsidy"}
    # nothing lost: the net tax expenditure is the sum of the paid years' rows
    by_hand = 0.42 + 0.96 + 0.33 + 0.54 + sum(last_year.values())
    total = sum(a for party in paid for _, a in tax_rows(led, party))
    assert total == exact(by_hand)
    assert res.runs["gov_tax_forgone"].iloc[0] == exact(by_hand)


# --------------------------------------------------------------------------- K7


def test_k7_fund_that_outlives_the_horizon_is_refused(tmp_path, capsys) -> None:
    data = scenario()
    data["guided_fund"] = {"size": 100, "ticket": 10, "start": 3, "life": 10, "invest_years": 5}
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    message = str(info.value)
    assert "guided_fund.life" in message and "horizon" in message
    path = tmp_path / "fund.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "guided_fund.life" in err[0] and "horizon" in err[0] and "Traceback" not in err[0]
    data["guided_fund"]["start"] = 1  # ends at 11
    assert Scenario.from_dict(data).horizon == 12.0
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["validate", str(path)]) == 0


# --------------------------------------------------------------------------- K8


def test_k8_ratios_of_means_from_the_runs_columns() -> None:
    # the measures themselves are ratios of means of runs columns; checked here on
    # the columns they are computed from
    data = scenario(count=10, mode="upfront", p1=0.75, p2=0.7)
    n = 2000
    runs = fundflow.simulate(data, runs=n, seed=108).runs
    cost = runs["gov_net_cost"].to_numpy()
    assert cost == pytest.approx(np.full(n, 10 * G), rel=REL)
    succeeded = runs["challenges_succeeded"].to_numpy(dtype=float)
    assert_mean_within(succeeded, 10 * 0.525)
    ratio = cost.mean() / succeeded.mean()
    se = 50 * succeeded.std(ddof=1) / (math.sqrt(n) * succeeded.mean() ** 2)
    # the delta-method SE with the covariance terms, which vanish here
    s_xy = np.cov(cost, succeeded, ddof=1)[0, 1]
    general = math.sqrt(
        (cost.var(ddof=1) - 2 * ratio * s_xy + ratio**2 * succeeded.var(ddof=1)) / n
    ) / abs(succeeded.mean())
    assert general == exact(se)
    assert abs(ratio - 5 / 0.525) <= 4 * se
    assert 5 / 0.525 == pytest.approx(9.524, abs=5e-4)
    rd = runs["rd_spending"].to_numpy()
    leverage = (rd - cost).mean() / cost.mean()
    assert leverage == exact(rd.mean() / 50 - 1)
    assert 10 * 17 / 50 - 1 == exact(2.4)
    assert abs(leverage - 2.4) <= 4 * rd.std(ddof=1) / (50 * math.sqrt(n))


# --------------------------------------------------------------------------- K9

CREDIT = {
    "loan_share": 0.5,
    "interest_rate": 0.045,
    "guarantee_fee": 0.01,
    "default_probability_on_failure": 0,
    "default_probability_on_success": 0,
}


def k9(credit: dict[str, Any] | None) -> fundflow.SimulationResult:
    data = scenario(
        investment=10.0,
        demander_share=0.5,
        p=(1.0,),
        cost_shares=(1.0,),
        durations=(2.0,),
        installments=(0.0, 1.0),
        reserve=7.6,
    )
    if credit is not None:
        data["credit"] = dict(credit)
    return fundflow.simulate(data, runs=1, seed=0)


def test_k9_reserve_breached_by_interest() -> None:
    res = k9(CREDIT)
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    assert rows(led, kind="loan") == [[0.0, exact(0.5 * (10 - 5))]]
    assert rows(led, kind="rd_spending") == [[0.0, exact(10.0)]]
    assert rows(led, kind="guarantee_fee") == [[0.0, exact(0.025)]]
    assert 10 - 2.5 + 0.025 == exact(7.525) and 7.525 + 0.1125 == exact(7.6375)
    assert rows(led, kind="interest")[0] == [1.0, exact(0.1125)]
    route = res.routes.iloc[0]
    assert route["status"] == "financing_failure"
    assert route["end_time"] == 1.0 and route["cost_spent"] == exact(10.0)
    assert res.runs["financing_failures"].iloc[0] == 1


def test_k9_without_interest_the_route_succeeds() -> None:
    res = k9({**CREDIT, "interest_rate": 0})
    route = res.routes.iloc[0]
    assert route["status"] == "succeeded" and route["end_time"] == 2.0
    assert route["solver_peak_funding_gap"] <= 7.575 + 1e-12
    led = res.ledger(0).astype({"kind": str})
    at_acceptance = led.loc[led["time"] == 2.0, "kind"].tolist()
    assert at_acceptance.index("demander_installment") < at_acceptance.index("repayment")


def test_k9_without_credit_abandoned_before_spending() -> None:
    res = k9(None)
    route = res.routes.iloc[0]
    assert route["status"] == "financing_failure"
    assert route["end_time"] == 0.0 and route["cost_spent"] == 0.0
    assert rows(res.ledger(0).astype({"kind": str}), kind="rd_spending") == []


# --------------------------------------------------------------------------- K10


@pytest.mark.parametrize("clawback", [0.0, 1.0])
def test_k10_eliminated_route_compensated_without_tolerance(clawback: float) -> None:
    data = scenario(solvers=2, race=RACE, p1=1.0, p2=0.7, demander_share=0.3, clawback=clawback)
    assert data["government"]["error_tolerance"]["enabled"] is False
    res = fundflow.simulate(data, runs=200, seed=110)
    routes = res.routes
    out = routes[routes["status"] == "eliminated"]
    assert len(out) == 200  # one in every replication
    assert out["end_time"].to_numpy() == pytest.approx(np.ones(200), rel=REL)
    assert out["cost_spent"].to_numpy() == pytest.approx(np.full(200, C1 * INV), rel=REL)
    assert out["demander_paid"].to_numpy() == pytest.approx(np.full(200, 4.2), rel=REL)
    assert out["gov_compensation"].to_numpy() == pytest.approx(np.full(200, 1.14), rel=REL)
    assert (out["gov_clawback"] == 0).all()
    assert (routes.loc[routes["status"] != "eliminated", "gov_compensation"] == 0).all()
    led = res.ledger(0).astype({"kind": str})
    assert rows(led, kind="compensation") == [[1.25, exact(0.3 * (8 - 4.2))]]
    data["challenges"][0]["race"]["compensate_eliminated"] = False
    off = fundflow.simulate(data, runs=200, seed=110).routes
    assert (off["gov_compensation"] == 0).all()


def test_k10_expected_compensation_with_p1_below_one() -> None:
    p1 = 0.75
    data = scenario(solvers=2, race=RACE, p1=p1, p2=0.7, demander_share=0.3)
    res = fundflow.simulate(data, runs=RUNS, seed=111)
    routes = res.routes
    assert (routes.loc[routes["status"] == "failed", "gov_compensation"] == 0).all()
    per_challenge = routes.groupby(level="replication")["gov_compensation"].sum()
    assert_mean_within(per_challenge, p1**2 * 1.14)


# --------------------------------------------------------------------------- K11


@pytest.mark.parametrize(
    ("payee", "p1", "p2", "time", "amount"),
    [
        ("solver", 0.0, 1.0, 1.25, 0.3 * (8 - 3.6 - 1.5)),
        ("demander", 0.0, 1.0, 1.25, 0.3 * 4.4),
        ("solver", 1.0, 0.0, 2.25, 0.3 * (20 - 8.4 - 1.5)),
    ],
    ids=["solver-review-1", "demander-review-1", "solver-acceptance"],
)
def test_k11_compensation_when_the_solver_receives_the_match(
    payee: str, p1: float, p2: float, time: float, amount: float
) -> None:
    assert (0.3 * (8 - 3.6 - 1.5), 0.3 * 4.4, 0.3 * (20 - 8.4 - 1.5)) == (
        exact(0.87),
        exact(1.32),
        exact(3.03),
    )
    led = ledger(scenario(payee=payee, tolerance=True, rate=0.3, p1=p1, p2=p2))
    assert rows(led, kind="matching")[0] == [0.25, exact(S * G)]
    assert rows(led, kind="compensation", payee="solver") == [[time, exact(amount)]]


def test_k11_expected_compensation() -> None:
    p1, p2, c = 0.75, 0.7, 0.3
    by_formula = c * (
        (1 - p1) * max(0.0, C1 * INV - D0 * D - S * G)
        + p1 * (1 - p2) * max(0.0, INV - (D0 + D1) * D - S * G)
    )
    data = scenario(payee="solver", tolerance=True, rate=c, p1=p1, p2=p2)
    res = fundflow.simulate(data, runs=RUNS, seed=112)
    assert_mean_within(res.routes["gov_compensation"], by_formula)


def test_k11_match_held_back_by_the_budget_still_counts() -> None:
    # budget 0.4 a year: at the failure (t = 1) only 0.8 of the 1.5 earned is paid
    data = scenario(payee="solver", tolerance=True, rate=0.3, p1=0.0, annual_budget=0.4)
    led = ledger(data)
    paid_by_failure = sum(a for t, a in rows(led, kind="matching") if t <= 1.0)
    assert paid_by_failure == exact(0.8)
    assert sum(a for _, a in rows(led, kind="matching")) == exact(1.5)
    assert sum(a for _, a in rows(led, kind="compensation")) == exact(0.87)


# --------------------------------------------------------------------------- K12, K13


def subsidy_rows(led: pd.DataFrame, party: str) -> list[list[Any]]:
    """``[time, amount paid to the government]`` of ``party``'s tax on the subsidy."""
    tax = led[led["kind"] == "tax_on_subsidy"]
    return [
        [t, amount if payer == party else -amount]
        for t, payer, payee, amount in tax[["time", "payer", "payee", "amount"]].values
        if party in (payer, payee)
    ]


@pytest.mark.parametrize(
    ("treatment", "payee", "demander", "solver", "subsidy"),
    [
        ("non_taxable", "demander", [0.42, 0.96, 0.02], [0.33, 0.54, -0.27], {}),
        (
            "taxable", "demander", [0.72, 0.96, 0.72], [0.33, 0.54, -0.27],
            {"demander": [[1.0, 0.375], [3.0, 0.875]]},
        ),
        (
            "taxable", "solver", [0.72, 0.96, 0.72], [0.33, 0.54, -0.27],
            {"solver": [[1.0, 0.1125], [3.0, 0.2625]]},
        ),
        ("non_taxable", "solver", [0.72, 0.96, 0.72], [0.2175, 0.54, -0.5325], {}),
    ],
)  # fmt: skip
def test_k12_the_tax_treatment_of_the_match(
    treatment: str, payee: str, demander: list[float], solver: list[float], subsidy: dict
) -> None:
    data = scenario(tax={**TAX, "match_treatment": treatment}, payee=payee)
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    assert tax_rows(led, "demander") == [[1.0 + n, exact(x)] for n, x in enumerate(demander)]
    assert tax_rows(led, "solver") == [[1.0 + n, exact(x)] for n, x in enumerate(solver)]
    for party in ("demander", "solver"):
        want = [[t, exact(x)] for t, x in subsidy.get(party, [])]
        assert subsidy_rows(led, party) == want
    paid_on_subsidy = sum(x for rows_ in subsidy.values() for _, x in rows_)
    forgone = sum(demander) + sum(solver) - paid_on_subsidy
    assert res.runs["gov_tax_forgone"].iloc[0] == exact(forgone)


@pytest.mark.parametrize(("treatment", "attributable"), [("non_taxable", 0.40), ("taxable", 0.10)])
def test_k13_additionality_and_borne_share(treatment: str, attributable: float) -> None:
    tax = {**TAX, "match_treatment": treatment, "additionality": 0.5, "borne_share": 0.4}
    run = fundflow.simulate(scenario(tax=tax), runs=1, seed=0).runs.iloc[0]
    assert run["gov_budget_cost"] == exact(G)  # the match, paid in full
    assert run["gov_tax_forgone"] == exact(2.00 if treatment == "non_taxable" else 1.75)
    assert run["gov_tax_attributable"] == exact(attributable)
    assert run["gov_net_cost"] == exact(G + attributable)
    defaults = fundflow.simulate(
        scenario(tax={**TAX, "match_treatment": treatment}), runs=1, seed=0
    )
    base = defaults.runs.iloc[0]  # additionality = borne share = 1: all of it is attributable
    assert base["gov_tax_attributable"] == exact(base["gov_tax_forgone"])


# --------------------------------------------------------------------------- K14


def two_challenges(q: float) -> dict[str, Any]:
    """K14: challenges A and B, each the common route with p1 = 1, p2 = q and g = 10."""
    data = scenario(p1=1.0, p2=q, ratio=0.5)
    a = data["challenges"][0]
    b = {**a, "name": "B"}
    a["name"] = "A"
    data["challenges"] = [a, b]
    return data


def test_k14_tail_contributions_by_hand() -> None:
    # 20 | 13 (A alone) x 3, 13 (B alone) | 6 x 15, in an order that puts B's 13 first
    a = np.array([3.0, 10.0, 10.0, 10.0, 10.0] + [3.0] * 15)
    b = np.array([10.0, 10.0, 3.0, 3.0, 3.0] + [3.0] * 15)
    for order in (np.arange(20), np.arange(20)[::-1]):
        contrib = metrics.euler_cvar((a + b)[order], np.column_stack([a, b])[order], 0.9)
        assert contrib.tolist() == [exact(9.125), exact(7.375)]
    assert metrics.cvar(a + b, 0.9) == exact(16.5)


def test_k14_tail_contributions_of_the_engine() -> None:
    res = fundflow.simulate(two_challenges(0.15), runs=400, seed=140)
    paid = res.routes.reset_index().pivot(
        index="replication", columns="challenge_name", values="gov_budget_cost"
    )
    assert set(np.round(paid.to_numpy().ravel(), 9)) == {3.0, 10.0}
    won_a, won_b = (paid["A"] > 5).to_numpy(), (paid["B"] > 5).to_numpy()
    n20, n_a, n_b = [int(x.sum()) for x in (won_a & won_b, won_a & ~won_b, ~won_a & won_b)]
    m = 20.0  # (1 - 0.95) x 400
    assert n20 < m < n20 + n_a + n_b  # the tie at 13 straddles the boundary
    share = (m - n20) / (n_a + n_b)
    by_hand = {
        "A": (10 * n20 + share * (10 * n_a + 3 * n_b)) / m,
        "B": (10 * n20 + share * (3 * n_a + 10 * n_b)) / m,
    }
    table = res.tail_contributions()
    assert table.loc["A", "contribution"] == exact(by_hand["A"])
    assert table.loc["B", "contribution"] == exact(by_hand["B"])
    assert table.loc["unallocated", "contribution"] == 0.0
    assert table.attrs["cvar"] == exact((20 * n20 + 13 * (m - n20)) / m)
    assert table["contribution"].sum() == exact(table.attrs["cvar"])


def test_k15_budget_by_year() -> None:
    res = fundflow.simulate(scenario(p1=1.0, p2=1.0, annual_budget=2.0), runs=1, seed=0)
    table = res.budget_by_year()
    assert list(table.index) == list(range(12))
    cash = [1.5, 0.0, 2.0, 1.5] + [0.0] * 8
    assert table["budget_cash_mean"].tolist() == [exact(x) for x in cash]
    assert table["committed_unpaid_mean"].tolist() == [exact(x) for x in [0, 0, 1.5] + [0] * 9]
    assert table["budget_binds_probability"].tolist() == [0, 0, 1] + [0] * 9
    assert table["annual_budget"].tolist() == [2.0] * 12
    assert table["budget_cash_mean"].sum() == exact(G)
    assert res.runs["gov_budget_cost"].iloc[0] == exact(G)
    cut = fundflow.simulate(
        scenario(p1=1.0, p2=1.0, annual_budget=2.0, horizon=2.5), runs=1, seed=0
    )
    last = cut.budget_by_year()
    assert list(last.index) == [0, 1, 2]
    assert last["committed_unpaid_mean"].tolist() == [0.0, 0.0, exact(1.5)]
    assert cut.runs["gov_committed_unpaid"].iloc[0] == exact(1.5)
    assert last["budget_binds_probability"].tolist() == [0, 0, 1]


def test_k15_tax_forgone_by_year() -> None:
    res = fundflow.simulate(scenario(p1=1.0, p2=1.0, tax=TAX), runs=1, seed=0)
    table = res.budget_by_year()
    tax = [0.75, 1.50, -0.25] + [0.0] * 9
    assert table["tax_forgone_mean"].tolist() == [exact(x) if x else 0.0 for x in tax]
    assert table["tax_forgone_mean"].sum() == exact(2.00)
    assert res.runs["gov_tax_forgone"].iloc[0] == exact(2.00)
    assert table["budget_binds_probability"].tolist() == [0.0] * 12  # no annual budget
    assert table["annual_budget"].isna().all()
