"""Cases with known answers (docs/model.md, "Known-answer cases").

One route, two phases, pass probabilities p1, p2, no overrun, no cap. Deterministic
answers are checked exactly (every replication, or outcomes fixed through pass
probabilities 0 and 1); expectations are checked within 4 standard errors of the
sample mean over 4000 replications, the SE computed from the sample.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario

RUNS = 4000
INV = 100.0  # I, the total investment per route
DS = 0.5  # demander share
D = DS * INV
C1, C2 = 0.4, 0.6  # phase cost shares
RATIO = 0.25
G = RATIO * INV
S = 0.3  # two_phase first share
RATE = 0.3  # compensation rate
LAG = 0.25


def assert_mean_within(sample: np.ndarray | pd.Series, expected: float, k: float = 4.0) -> None:
    """The sample mean is within ``k`` standard errors (from the sample) of ``expected``."""
    x = np.asarray(sample, dtype=float)
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    assert se > 0, "the sample is degenerate: pick parameters with some randomness"
    z = abs(mean - expected) / se
    assert z <= k, f"mean {mean:.6g} vs expected {expected:.6g}: {z:.2f} SE (se {se:.3g})"


def route_rows(res: fundflow.SimulationResult) -> pd.DataFrame:
    """The routes table of a one-route scenario, one row per replication."""
    return res.routes.xs(0, level="route")


def ledger_of(res: fundflow.SimulationResult, i: int = 0, kind: str | None = None) -> pd.DataFrame:
    led = res.ledger(i)
    return led if kind is None else led[led["kind"] == kind].reset_index(drop=True)


# --------------------------------------------------------------------------- deterministic


def test_upfront_pays_exactly_g_in_every_replication() -> None:
    data = make_scenario(mode="upfront", p1=0.5, p2=0.5, ratio=RATIO, investment=INV)
    res = fundflow.simulate(data, runs=300, seed=11, keep_ledgers=5)
    outlay = res.runs["gov_gross_outlay"].to_numpy()
    assert (outlay == RATIO * INV).all()
    assert (route_rows(res)["gov_matching"].to_numpy() == G).all()
    # outcomes do vary: the answer is deterministic, not the replications
    assert route_rows(res)["status"].nunique() > 1
    for i in range(5):
        m = ledger_of(res, i, "matching")
        assert m["amount"].tolist() == [G] and m["time"].tolist() == [LAG]
        assert m["payer"].tolist() == ["government"] and m["payee"].tolist() == ["demander"]


@pytest.mark.parametrize(
    ("p1", "p2", "outlay", "second_paid", "rd"),
    [
        (1.0, 1.0, G, True, INV),
        (0.0, 1.0, G * S, False, C1 * INV),
        (1.0, 0.0, G * S, False, INV),
        (0.0, 0.0, G * S, False, C1 * INV),
    ],
)
def test_two_phase_with_fixed_outcomes(
    p1: float, p2: float, outlay: float, second_paid: bool, rd: float
) -> None:
    data = make_scenario(p1=p1, p2=p2, first_share=S, ratio=RATIO, investment=INV)
    res = fundflow.simulate(data, runs=20, seed=3)
    assert np.allclose(res.runs["gov_gross_outlay"], outlay, rtol=1e-12, atol=0)
    assert np.allclose(res.runs["rd_spending"], rd, rtol=1e-12, atol=0)
    m = ledger_of(res, 0, "matching")
    expected_times = [LAG, 2.0 + LAG] if second_paid else [LAG]
    assert m["time"].tolist() == pytest.approx(expected_times)
    assert m["amount"].tolist() == pytest.approx([G * S, G * (1 - S)][: len(expected_times)])


def test_two_phase_outlay_is_exact_given_the_outcome() -> None:
    """Per replication: g*s, plus g*(1-s) exactly when the route succeeded."""
    data = make_scenario(p1=0.7, p2=0.6, first_share=S, ratio=RATIO, investment=INV)
    res = fundflow.simulate(data, runs=400, seed=5)
    succeeded = (route_rows(res)["status"] == "succeeded").to_numpy()
    expected = np.where(succeeded, G * S + G * (1 - S), G * S)
    assert np.allclose(res.runs["gov_gross_outlay"].to_numpy(), expected, rtol=1e-12, atol=0)
    rd = np.where(route_rows(res)["end_review"].to_numpy() >= 2, INV, C1 * INV)
    assert np.allclose(res.runs["rd_spending"].to_numpy(), rd, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("installments", "p1", "p2", "review", "unrecovered"),
    [
        ((0.3, 0.4, 0.3), 0.0, 1.0, 1, C1 * INV - 0.3 * D),  # 40 - 15 = 25
        ((0.3, 0.4, 0.3), 1.0, 0.0, 2, INV - (0.3 + 0.4) * D),  # 100 - 35 = 65
        ((0.1, 0.2, 0.7), 0.0, 1.0, 1, C1 * INV - 0.1 * D),
        ((0.1, 0.2, 0.7), 1.0, 0.0, 2, INV - (0.1 + 0.2) * D),
        ((0.5, 0.5, 0.0), 1.0, 0.0, 2, INV - 1.0 * D),
    ],
)
def test_unrecovered_cost_of_a_failed_route(
    installments: tuple[float, float, float],
    p1: float,
    p2: float,
    review: int,
    unrecovered: float,
) -> None:
    data = make_scenario(
        p1=p1,
        p2=p2,
        installments=installments,
        demander_share=DS,
        investment=INV,
        tolerance=True,
        rate=RATE,
        misconduct=0.0,
    )
    res = fundflow.simulate(data, runs=5, seed=2)
    rows = route_rows(res)
    assert (rows["status"] == "failed").all() and (rows["end_review"] == review).all()
    assert np.allclose(rows["cost_spent"] - rows["demander_paid"], unrecovered, rtol=1e-12)
    assert np.allclose(rows["gov_compensation"], RATE * unrecovered, rtol=1e-12)
    comp = ledger_of(res, 0, "compensation")
    assert comp["amount"].tolist() == pytest.approx([RATE * unrecovered], rel=1e-12)
    assert comp["payer"].tolist() == ["government"] and comp["payee"].tolist() == ["solver"]
    assert comp["time"].tolist() == pytest.approx([float(review) + LAG])
    assert (rows["gov_clawback"] == 0).all()


def test_no_compensation_when_nothing_is_unrecovered() -> None:
    """max(0, c1*I - d0*D): a demander that paid more than the cost spent leaves nothing."""
    data = make_scenario(
        p1=0.0, installments=(0.9, 0.1, 0.0), investment=INV, tolerance=True, rate=RATE
    )
    assert C1 * INV - 0.9 * D < 0
    res = fundflow.simulate(data, runs=5, seed=2)
    assert (route_rows(res)["gov_compensation"] == 0).all()
    assert ledger_of(res, 0, "compensation").empty


# --------------------------------------------------------------------------- Monte Carlo


P1, P2 = 0.6, 0.5


@pytest.fixture(scope="module")
def two_phase_run() -> fundflow.SimulationResult:
    data = make_scenario(
        p1=P1,
        p2=P2,
        first_share=S,
        ratio=RATIO,
        investment=INV,
        durations=({"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 2.0}, 1.0),
    )
    return fundflow.simulate(data, runs=RUNS, seed=20240601)


def test_expected_government_outlay(two_phase_run: fundflow.SimulationResult) -> None:
    assert_mean_within(two_phase_run.runs["gov_gross_outlay"], G * S + G * (1 - S) * P1 * P2)
    assert (two_phase_run.runs["gov_recoveries"] == 0).all()  # no claw-back


def test_probability_second_tranche_paid(two_phase_run: fundflow.SimulationResult) -> None:
    matching = route_rows(two_phase_run)["gov_matching"].to_numpy()
    paid = matching > G * S + 1e-9
    assert np.allclose(matching[paid], G) and np.allclose(matching[~paid], G * S)
    assert_mean_within(paid.astype(float), P1 * P2)


def test_expected_solver_rd_spending(two_phase_run: fundflow.SimulationResult) -> None:
    assert_mean_within(two_phase_run.runs["rd_spending"], INV * (C1 + C2 * P1))


def test_pass_rates_match_the_probabilities(two_phase_run: fundflow.SimulationResult) -> None:
    review = route_rows(two_phase_run)["end_review"].to_numpy()
    assert_mean_within((review >= 2).astype(float), P1)
    passed1 = review >= 2
    succeeded = (route_rows(two_phase_run)["status"] == "succeeded").to_numpy()
    assert_mean_within(succeeded[passed1].astype(float), P2)


@pytest.mark.parametrize(
    "installments",
    [(0.3, 0.4, 0.3), (0.9, 0.1, 0.0)],
    ids=["both-terms", "clipped-first-term"],
)
def test_expected_compensation(installments: tuple[float, float, float]) -> None:
    d0, d1, _ = installments
    data = make_scenario(
        p1=P1,
        p2=P2,
        installments=installments,
        demander_share=DS,
        investment=INV,
        tolerance=True,
        rate=RATE,
        misconduct=0.0,
    )
    res = fundflow.simulate(data, runs=RUNS, seed=77)
    expected = RATE * (
        (1 - P1) * max(0.0, C1 * INV - d0 * D) + P1 * (1 - P2) * max(0.0, INV - (d0 + d1) * D)
    )
    assert_mean_within(route_rows(res)["gov_compensation"], expected)
    # with tolerance and no misconduct nothing is clawed back
    assert (res.runs["gov_recoveries"] == 0).all()


def test_marginal_pass_probability_holds_under_correlation() -> None:
    """The copula keeps each route's pass probability for any rho (docs/model.md)."""
    data = make_scenario(p1=P1, p2=P2, first_share=S, ratio=RATIO, investment=INV, count=5)
    data["challenges"][0]["group"] = "g"
    data["correlation"] = {"g": 0.6}
    res = fundflow.simulate(data, runs=800, seed=8)
    # replications are independent; challenges inside one are not: average per replication
    outlay = res.runs["gov_gross_outlay"].to_numpy() / 5
    assert_mean_within(outlay, G * S + G * (1 - S) * P1 * P2)
    rd = res.runs["rd_spending"].to_numpy() / 5
    assert_mean_within(rd, INV * (C1 + C2 * P1))
    # and the outcomes are indeed correlated: the count of successes is overdispersed
    wins = res.runs["challenges_succeeded"].to_numpy()
    p = P1 * P2
    assert wins.var(ddof=1) > 1.5 * 5 * p * (1 - p)


def test_section_10_expectations_lie_in_the_summary_confidence_intervals() -> None:
    """Known-answer cases K1 and K2 through the Monte Carlo summary: each mean's 95% CI holds it."""
    p1, p2, s, ratio, investment = 0.7, 0.6, 0.3, 0.25, 20.0
    g = ratio * investment
    data = make_scenario(p1=p1, p2=p2, first_share=s, ratio=ratio, count=20, investment=investment)
    summary = fundflow.simulate(data, runs=800, seed=20261121).summary()
    expected = {
        # per challenge g*s + g*(1-s)*p1*p2, 20 identical challenges
        "gov_gross_outlay": 20 * (g * s + g * (1 - s) * p1 * p2),
        # R&D spending I*(c1 + c2*p1) per route
        "rd_spending": 20 * investment * (0.4 + 0.6 * p1),
        "challenges_succeeded": 20 * p1 * p2,
    }
    for measure, value in expected.items():
        row = summary.loc[measure]
        assert row["ci_low"] <= value <= row["ci_high"], (measure, value, row.to_dict())
