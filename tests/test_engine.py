"""Behaviour of the SimPy engine (docs/model.md), read off ledgers and route tables.

Each test fixes the outcomes it needs through pass probabilities 0 / 1 or reads the
outcome from the routes table, and checks the money the engine moved.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

import fundflow
from conftest import make_scenario

INV = 100.0
G = 0.25 * INV  # matching per route at the default ratio
S = 0.3  # default first share
LAG = 0.25  # default payment lag


def sim(data: dict, runs: int = 1, seed: int = 1, **kw: object) -> fundflow.SimulationResult:
    return fundflow.simulate(data, runs=runs, seed=seed, **kw)


def rows(led: pd.DataFrame, kind: str, route: int | None = None) -> pd.DataFrame:
    sel = led["kind"] == kind
    if route is not None:
        sel &= led["route"] == route
    return led[sel].reset_index(drop=True)


def amounts(led: pd.DataFrame, kind: str, route: int | None = None) -> list[float]:
    return rows(led, kind, route)["amount"].tolist()


def times(led: pd.DataFrame, kind: str, route: int | None = None) -> list[float]:
    return rows(led, kind, route)["time"].tolist()


# --------------------------------------------------------------------------- tranche modes


@pytest.mark.parametrize(
    ("mode", "extra", "expected"),
    [
        ("two_phase", {}, [(LAG, G * S), (2 + LAG, G * (1 - S))]),
        ("upfront", {}, [(LAG, G)]),
        ("on_acceptance", {}, [(2 + LAG, G)]),
        (
            "milestones",
            {"tranches": [(0, 0.2), (1, 0.5), (2, 0.3)]},
            [(LAG, 0.2 * G), (1 + LAG, 0.5 * G), (2 + LAG, 0.3 * G)],
        ),
    ],
)
def test_tranche_modes(mode: str, extra: dict, expected: list[tuple[float, float]]) -> None:
    led = sim(make_scenario(mode=mode, **extra)).ledger(0)
    m = rows(led, "matching")
    assert m["time"].tolist() == pytest.approx([t for t, _ in expected])
    assert m["amount"].tolist() == pytest.approx([a for _, a in expected])
    assert set(m["payer"]) == {"government"} and set(m["payee"]) == {"demander"}


def test_route_starts_at_start_plus_selection_time() -> None:
    led = sim(make_scenario(start=1.5, selection_time=0.25)).ledger(0)
    assert led["time"].min() == pytest.approx(1.75)
    assert times(led, "rd_spending") == pytest.approx([1.75, 2.75])
    assert times(led, "matching") == pytest.approx([1.75 + LAG, 3.75 + LAG])


# --------------------------------------------------------------------------- cap


def test_cap_cuts_the_last_tranche_to_what_is_left() -> None:
    res = sim(make_scenario(cap=10.0))
    assert amounts(res.ledger(0), "matching") == pytest.approx([G * S, 10.0 - G * S])
    assert res.runs["gov_gross_outlay"].iloc[0] == pytest.approx(10.0, rel=1e-12)


def test_cap_that_does_not_bind_changes_nothing() -> None:
    assert amounts(sim(make_scenario(cap=G)).ledger(0), "matching") == pytest.approx(
        [G * S, G * (1 - S)]
    )
    assert amounts(sim(make_scenario(cap=1e9)).ledger(0), "matching") == pytest.approx(
        [G * S, G * (1 - S)]
    )


def test_cap_is_per_challenge_and_first_come_first_served() -> None:
    data = make_scenario(
        cap=20.0, count=2, solvers=3, race={"keep": 3}, p1=1.0, p2=1.0, first_share=S
    )
    led = sim(data).ledger(0)
    m = rows(led, "matching")
    assert m.groupby("challenge")["amount"].sum().tolist() == pytest.approx([20.0, 20.0])
    first = m[m["challenge"] == 0].sort_values("route")
    assert first["amount"].tolist() == pytest.approx([7.5, 7.5, 5.0])
    assert (m["time"] == LAG).all()  # the cap was used up by the first tranches


def test_cap_zero_pays_nothing() -> None:
    res = sim(make_scenario(cap=0.0))
    assert rows(res.ledger(0), "matching").empty
    assert res.runs["gov_gross_outlay"].iloc[0] == 0


def test_total_matching_per_challenge_never_exceeds_the_cap() -> None:
    cap = 30.0
    data = make_scenario(
        cap=cap, count=4, solvers=3, race={"keep": 2}, p1=0.7, p2=0.6, first_share=S
    )
    res = sim(data, runs=150, seed=4)
    routes = res.routes
    per_challenge = routes.groupby(["replication", "challenge"]).agg(
        paid=("gov_matching", "sum"),
        started=("status", lambda s: int((s != "not_started").sum())),
        succeeded=("status", lambda s: int((s == "succeeded").sum())),
    )
    uncapped = G * S * per_challenge["started"] + G * (1 - S) * per_challenge["succeeded"]
    paid = per_challenge["paid"]
    assert (paid <= cap * (1 + 1e-12)).all()
    binding = uncapped >= cap
    assert binding.any() and (~binding).any()
    assert np.allclose(paid[binding], cap, rtol=1e-12)
    assert np.allclose(paid[~binding], uncapped[~binding], rtol=1e-12)


def test_cap_residue_does_not_block_the_clawback() -> None:
    """Regression: the float residue under the cap is not a tranche that never gets paid."""
    data = make_scenario(
        investment=1.0,
        ratio=0.1,
        cap=0.13,  # 0.13 - 0.03 - 0.03 - 0.07 = 1.4e-17 > 0 in floating point
        mode="milestones",
        tranches=[(0, 0.3), (1, 0.7)],
        solvers=2,
        race={"keep": 2},
        p1=1.0,
        p2=0.0,
        clawback=1.0,
    )
    res = sim(data)
    routes = res.routes.loc[0]
    assert np.allclose(routes["gov_clawback"], routes["gov_matching"], rtol=1e-12)
    assert res.runs["gov_committed_unpaid"].iloc[0] == 0


# --------------------------------------------------------------------------- payment lag


def test_payment_lag_shifts_government_payments_only() -> None:
    def ledger(lag: float) -> pd.DataFrame:
        data = make_scenario(
            payment_lag=lag,
            mode="milestones",
            tranches=[(0, 0.2), (1, 0.5), (2, 0.3)],
            tolerance=True,
        )
        failing = copy.deepcopy(data["challenges"][0])
        failing["name"] = "failing"
        failing["phases"][1]["pass_probability"] = 0.0
        data["challenges"].append(failing)
        return sim(data).ledger(0)

    base, later = ledger(0.0), ledger(0.6)
    for kind in ("matching", "compensation"):
        assert amounts(later, kind) == pytest.approx(amounts(base, kind))
        shifted = np.array(times(later, kind)) - np.array(times(base, kind))
        assert shifted == pytest.approx(np.full(len(shifted), 0.6))
    assert len(times(base, "compensation")) == 1
    assert times(base, "matching") == pytest.approx([0, 0, 1, 1, 2])
    for kind in ("rd_spending", "demander_installment"):
        pd.testing.assert_frame_equal(rows(base, kind), rows(later, kind))


# --------------------------------------------------------------------------- booking period


def test_booking_period_splits_each_phase_into_equal_payments() -> None:
    led = sim(make_scenario(booking_period=0.5, durations=(1.0, 1.5))).ledger(0)
    assert times(led, "rd_spending") == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    assert amounts(led, "rd_spending") == pytest.approx([20.0] * 5)  # 40 / 2, 60 / 3
    # the review still comes at the end of the phase
    assert times(led, "demander_installment") == pytest.approx([0.0, 1.0, 2.5])


def test_booking_period_not_dividing_the_phase() -> None:
    led = sim(make_scenario(booking_period=0.3, durations=(1.0, 0.2))).ledger(0)
    rd = rows(led, "rd_spending")
    assert rd["time"].tolist() == pytest.approx([0.0, 0.3, 0.6, 0.9, 1.0])
    assert rd["amount"].tolist() == pytest.approx([10.0] * 4 + [60.0])
    assert times(led, "demander_installment") == pytest.approx([0.0, 1.0, 1.2])


def test_booking_period_with_random_durations_and_overrun() -> None:
    period = 0.25
    data = make_scenario(
        booking_period=period,
        durations=(
            {"dist": "uniform", "low": 0.3, "high": 2.0},
            {"dist": "uniform", "low": 0.1, "high": 1.0},
        ),
        overrun={"dist": "lognormal", "median": 1.1, "sigma": 0.2},
        installments=(0.3, 0.4, 0.3),
    )
    res = sim(data, runs=20, seed=9, keep_ledgers=20)
    for i in range(20):
        led = res.ledger(i)
        rd = rows(led, "rd_spending")
        review_times = times(led, "demander_installment")  # 0, review 1, review 2
        starts = [0.0, review_times[1]]
        ends = [review_times[1], review_times[2]]
        total = rd["amount"].sum()
        for j, share in enumerate((0.4, 0.6)):
            ph = rd[(rd["time"] >= starts[j] - 1e-12) & (rd["time"] < ends[j] - 1e-12)]
            n = math.ceil((ends[j] - starts[j]) / period - 1e-9)
            assert len(ph) == n
            assert ph["time"].to_numpy() == pytest.approx(starts[j] + period * np.arange(n))
            assert np.allclose(ph["amount"], ph["amount"].iloc[0], rtol=1e-12)
            assert ph["amount"].sum() == pytest.approx(share * total, rel=1e-12)
        assert total == pytest.approx(res.routes.loc[(i, 0), "cost_spent"])


# --------------------------------------------------------------------------- failure


def test_misconduct_voids_compensation_and_claws_back_every_tranche() -> None:
    data = make_scenario(
        tolerance=True,
        misconduct=1.0,
        p1=1.0,
        p2=0.0,
        mode="milestones",
        tranches=[(0, 0.3), (1, 0.3), (2, 0.4)],
        clawback=0.0,  # misconduct claws back everything whatever this says
    )
    res = sim(data)
    led = res.ledger(0)
    assert rows(led, "compensation").empty
    claw = rows(led, "clawback")
    assert claw["amount"].tolist() == pytest.approx([0.6 * G])
    assert claw["payer"].tolist() == ["demander"] and claw["payee"].tolist() == ["government"]
    assert claw["time"].tolist() == pytest.approx([2.0 + LAG])
    route = res.routes.loc[(0, 0)]
    assert route["misconduct"] and route["status"] == "failed"
    assert route["gov_clawback"] == pytest.approx(route["gov_matching"])
    assert res.runs["gov_net_cost"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_misconduct_at_the_mid_term_review() -> None:
    data = make_scenario(tolerance=True, misconduct=1.0, p1=0.0)
    led = sim(data).ledger(0)
    assert rows(led, "compensation").empty
    assert amounts(led, "clawback") == pytest.approx([G * S])
    assert times(led, "clawback") == pytest.approx([1.0 + LAG])


def test_clawback_waits_for_a_tranche_held_back_by_the_budget() -> None:
    data = make_scenario(
        tolerance=True, misconduct=1.0, p1=0.0, durations=(0.5, 1.0), annual_budget=5.0
    )
    res = sim(data)
    led = res.ledger(0)
    m = rows(led, "matching")
    assert m["time"].tolist() == pytest.approx([LAG, 1.0])  # 5 now, 2.5 next budget year
    assert m["amount"].tolist() == pytest.approx([5.0, 2.5])
    assert amounts(led, "clawback") == pytest.approx([G * S])
    assert times(led, "clawback") == pytest.approx([1.0])


@pytest.mark.parametrize("share", [0.6, 1.0, 0.0])
def test_clawback_without_tolerance(share: float) -> None:
    data = make_scenario(tolerance=False, p1=1.0, p2=0.0, clawback=share)
    res = sim(data)
    led = res.ledger(0)
    assert rows(led, "compensation").empty
    if share == 0.0:
        assert rows(led, "clawback").empty
    else:
        assert amounts(led, "clawback") == pytest.approx([share * G * S])
        assert times(led, "clawback") == pytest.approx([2.0 + LAG])
    assert res.routes.loc[(0, 0), "gov_clawback"] == pytest.approx(share * G * S)


def test_clawback_share_defaults_to_one() -> None:
    data = make_scenario(tolerance=False, p1=0.0)
    del data["government"]["clawback_without_tolerance"]
    assert amounts(sim(data).ledger(0), "clawback") == pytest.approx([G * S])


def test_compensation_base_cost_spent_and_cap() -> None:
    def comp(**kw: object) -> list[float]:
        data = make_scenario(tolerance=True, p1=0.0, rate=0.3, **kw)
        return amounts(sim(data).ledger(0), "compensation")

    assert comp() == pytest.approx([0.3 * (40.0 - 15.0)])
    assert comp(base="cost_spent") == pytest.approx([0.3 * 40.0])
    assert comp(base="cost_spent", tolerance_cap=5.0) == pytest.approx([5.0])
    assert comp(tolerance_cap=100.0) == pytest.approx([0.3 * 25.0])
    assert comp(tolerance_cap=0.0) == []


def test_failed_route_stops_spending_and_receiving() -> None:
    data = make_scenario(p1=0.0, tolerance=True)
    led = sim(data).ledger(0)
    assert times(led, "rd_spending") == [0.0]
    assert times(led, "demander_installment") == [0.0]
    assert led["time"].max() == pytest.approx(1.0 + LAG)


# --------------------------------------------------------------------------- horse race


def race_scenario(**kw: object) -> dict:
    args: dict = {
        "solvers": 3,
        "race": {"select_after": 1, "keep": 1, "compensate_eliminated": True},
        "p1": 0.7,
        "p2": 0.8,
        "count": 2,
        "tolerance": True,
        "durations": ({"dist": "uniform", "low": 0.5, "high": 1.5}, 1.0),
    }
    args.update(kw)
    return make_scenario(**args)


@pytest.fixture(scope="module")
def race_run() -> fundflow.SimulationResult:
    return sim(race_scenario(), runs=200, seed=13, keep_ledgers=40)


def _passed_first_review(routes: pd.DataFrame) -> pd.Series:
    return ~((routes["status"] == "failed") & (routes["end_review"] == 1))


@pytest.mark.parametrize("keep", [1, 2])
def test_race_keeps_at_most_keep_routes(keep: int) -> None:
    res = sim(race_scenario(race={"keep": keep}), runs=200, seed=17)
    routes = res.routes
    assert (routes["status"] != "running").all()
    cont = (routes["end_review"] >= 2).groupby(["replication", routes["challenge"]]).sum()
    passed = _passed_first_review(routes).groupby(["replication", routes["challenge"]]).sum()
    assert (cont <= keep).all()
    assert (cont == np.minimum(passed, keep)).all()
    elim = routes[routes["status"] == "eliminated"]
    assert (elim["end_review"] == 1).all()
    assert len(elim) > 0


def test_race_eliminated_routes_are_compensated(race_run: fundflow.SimulationResult) -> None:
    elim = race_run.routes[race_run.routes["status"] == "eliminated"]
    assert len(elim) > 0
    unrecovered = elim["cost_spent"] - elim["demander_paid"]
    assert np.allclose(elim["gov_compensation"], 0.3 * unrecovered.clip(lower=0), rtol=1e-12)
    assert (elim["gov_compensation"] > 0).all()
    assert (elim["gov_clawback"] == 0).all()


def test_race_eliminated_routes_without_compensation() -> None:
    data = race_scenario(race={"keep": 1, "compensate_eliminated": False})
    res = sim(data, runs=100, seed=13)
    routes = res.routes
    elim = routes[routes["status"] == "eliminated"]
    assert len(elim) > 0 and (elim["gov_compensation"] == 0).all()
    # diligent technical failures are still compensated
    failed = routes[routes["status"] == "failed"]
    assert (failed["gov_compensation"] > 0).any()


def test_race_kept_route_starts_its_next_phase_at_the_selection_time(
    race_run: fundflow.SimulationResult,
) -> None:
    checked = 0
    for i in range(40):
        led = race_run.ledger(i)
        routes = race_run.routes.loc[i]
        for ch in (0, 1):
            rs = routes[routes["challenge"] == ch]
            review1 = {}
            for r, row in rs.iterrows():
                if row["status"] == "failed" and row["end_review"] == 1:
                    review1[r] = row["end_time"]
                else:  # passed review 1: its milestone-1 installment came then
                    review1[r] = times(led, "demander_installment", r)[1]
            kept = rs.index[rs["end_review"] >= 2]
            if len(kept) == 0:
                continue
            selection = max(review1.values())
            (k,) = kept
            rd = times(led, "rd_spending", k)
            assert rd[1] == pytest.approx(selection, abs=1e-12)
            assert review1[k] <= selection
            elim = rs[rs["status"] == "eliminated"]
            assert np.allclose(elim["end_time"], selection, atol=1e-12)
            if routes.loc[k, "status"] == "succeeded":
                assert routes.loc[k, "end_time"] == pytest.approx(selection + 1.0)
            checked += 1
    assert checked > 20


def test_race_choice_is_random_among_passers() -> None:
    data = race_scenario(p1=1.0, p2=1.0, count=1)
    res = sim(data, runs=300, seed=21)
    kept = res.routes[res.routes["end_review"] == 2].index.get_level_values("route")
    share = np.bincount(np.asarray(kept), minlength=3) / 300
    assert len(kept) == 300
    assert ((share > 0.25) & (share < 0.42)).all(), share


# --------------------------------------------------------------------------- horizon


def test_nothing_happens_at_or_after_the_horizon() -> None:
    res = sim(make_scenario(horizon=2.1, tolerance=True, p2=0.0))
    led = res.ledger(0)
    assert (led["time"] < 2.1).all()
    # compensation (0.3 * 65) falls due at 2.25: committed but unpaid
    assert rows(led, "compensation").empty
    assert res.runs["gov_committed_unpaid"].iloc[0] == pytest.approx(0.3 * 65.0)


def test_tranche_due_after_the_horizon_is_committed_unpaid() -> None:
    res = sim(make_scenario(horizon=2.1))
    led = res.ledger(0)
    assert (led["time"] < 2.1).all()
    assert amounts(led, "matching") == pytest.approx([G * S])
    assert res.runs["gov_committed_unpaid"].iloc[0] == pytest.approx(G * (1 - S))
    assert res.runs["gov_gross_outlay"].iloc[0] == pytest.approx(G * S)


def test_payment_due_exactly_at_the_horizon_is_not_made() -> None:
    res = sim(make_scenario(horizon=LAG))
    led = res.ledger(0)
    assert (led["time"] < LAG).all()
    assert rows(led, "matching").empty
    assert res.runs["gov_committed_unpaid"].iloc[0] == pytest.approx(G * S)


def test_review_exactly_at_the_horizon_does_not_happen() -> None:
    res = sim(make_scenario(horizon=2.0))
    assert (res.ledger(0)["time"] < 2.0).all()
    assert res.routes.loc[(0, 0), "status"] == "running"
    assert res.runs["gov_committed_unpaid"].iloc[0] == 0.0


def test_no_commitment_after_the_horizon_without_payments_due() -> None:
    res = sim(make_scenario(horizon=30.0))
    assert res.runs["gov_committed_unpaid"].iloc[0] == 0.0


def test_challenge_starting_at_the_horizon_does_not_start() -> None:
    res = sim(make_scenario(horizon=5.0, start=5.0))
    assert res.ledger(0).empty
    assert res.routes.loc[(0, 0), "status"] == "not_started"


# --------------------------------------------------------------------------- demander value


def test_value_paid_once_per_succeeded_challenge() -> None:
    data = make_scenario(
        count=3,
        solvers=2,
        race={"keep": 2},
        p1=1.0,
        p2=0.6,
        value=7.0,
        value_lag=0.5,
        durations=(1.0, {"dist": "uniform", "low": 0.5, "high": 1.5}),
    )
    res = sim(data, runs=30, seed=3, keep_ledgers=30)
    n_value = 0
    for i in range(30):
        led = res.ledger(i)
        routes = res.routes.loc[i]
        val = rows(led, "commercial_value")
        assert (val["payer"] == "external").all() and (val["payee"] == "demander").all()
        assert (val["route"] == -1).all() and (val["amount"] == 7.0).all()
        for ch in range(3):
            rs = routes[routes["challenge"] == ch]
            won = rs[rs["status"] == "succeeded"]
            v = val[val["challenge"] == ch]
            if won.empty:
                assert v.empty
            else:
                assert v["time"].tolist() == pytest.approx([won["end_time"].min() + 0.5])
                n_value += 1
        assert res.runs.loc[i, "demander_value"] == pytest.approx(7.0 * len(val))
    assert n_value > 0


def test_value_after_the_horizon_is_not_paid() -> None:
    res = sim(make_scenario(value=7.0, value_lag=1.0, horizon=2.5))
    assert res.routes.loc[(0, 0), "status"] == "succeeded"
    assert rows(res.ledger(0), "commercial_value").empty


def test_drawn_value_is_positive_and_varies() -> None:
    data = make_scenario(value={"dist": "lognormal", "median": 40, "sigma": 1.0})
    res = sim(data, runs=20, seed=2)
    values = res.runs["demander_value"]
    assert (values > 0).all() and values.nunique() == 20
