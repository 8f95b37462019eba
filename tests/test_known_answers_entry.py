"""docs/model.md's known-answer cases of the contract price and of entry (K20-K23).

The common route is that of ``test_known_answers``: one challenge, two phases of 1
year with cost shares 0.4 / 0.6, no overrun, I = 20, installments 0.3 / 0.4 / 0.3 at
milestones 0, 1, 2, matching 0.25 in two_phase, no tax, horizon 12.
"""

from __future__ import annotations

from typing import Any

import pytest

import fundflow
from conftest import make_scenario
from fundflow import ConfigError

REL = 1e-9
INV = 20.0


def priced(price: float, **knobs: Any) -> dict[str, Any]:
    """The common route with ``contract_price: price`` instead of a demander share."""
    base = {"investment": INV, "horizon": 12.0, "discount_rate": 0.0}
    data = make_scenario(**{**base, **knobs})
    ch = data["challenges"][0]
    del ch["demander_share"]
    ch["contract_price"] = price
    return data


def exact(x: float) -> Any:
    return pytest.approx(x, rel=REL)


# --------------------------------------------------------------------------- K20


def test_k20_contract_price_installments_and_the_solver_margin() -> None:
    res = fundflow.simulate(priced(22.0), runs=1, seed=0)
    led = res.ledger(0).astype({"payer": str, "payee": str, "kind": str})
    paid = led[(led.payer == "demander") & (led.payee == "solver")]
    assert paid[["time", "amount"]].values.tolist() == [
        [0.0, exact(6.6)],
        [1.0, exact(8.8)],
        [2.0, exact(6.6)],
    ]
    # the route succeeds and ends with P - I = 0.1 x I before any other flow
    assert res.routes["solver_npv"].iloc[0] == exact(2.0)


def test_k20_the_solver_funds_an_overrun_above_the_price() -> None:
    res = fundflow.simulate(priced(22.0, overrun=1.2), runs=1, seed=0)
    assert res.routes["solver_npv"].iloc[0] == exact(22.0 - 24.0)


def test_k20_compensation_base_is_cost_less_the_price_received() -> None:
    data = priced(22.0, p1=0.0, tolerance=True, rate=0.3)
    led = fundflow.simulate(data, runs=1, seed=0).ledger(0).astype({"kind": str})
    comp = led[led.kind == "compensation"]["amount"].tolist()
    assert comp == [exact(0.3 * (8.0 - 6.6))]
    # a price that covers the phase's cost leaves nothing unrecovered
    led = fundflow.simulate(priced(40.0, p1=0.0, tolerance=True), runs=1, seed=0).ledger(0)
    assert led[led.kind.astype(str) == "compensation"]["amount"].sum() == 0.0


def test_k20_a_price_equal_to_share_times_investment_gives_the_same_ledger() -> None:
    share = fundflow.simulate(make_scenario(investment=INV, demander_share=0.6), runs=5, seed=3)
    price = fundflow.simulate(priced(12.0, discount_rate=0.0, horizon=50.0), runs=5, seed=3)
    for rep in range(5):
        assert share.ledger(rep).equals(price.ledger(rep))


def test_k20_both_keys_is_an_error_naming_the_challenge() -> None:
    data = priced(22.0)
    data["challenges"][0]["demander_share"] = 0.5
    with pytest.raises(ConfigError) as err:
        fundflow.Scenario.from_dict(data)
    text = str(err.value)
    assert "challenges[0].contract_price" in text
    assert "'challenge'" in text and "both demander_share and contract_price" in text


# --------------------------------------------------------------------------- K21

P1, PRICE, SVAL = 0.6, 16.0, 30.0


def w(k: int) -> float:
    """The probability that one of ``k`` racing routes is kept: (1 - (1 - p)^k) / k."""
    return (1.0 - (1.0 - P1) ** k) / k


def v_closed(k: int) -> float:
    """V(k) = P - c1 C + w(k) (S - c2 C) of docs/model.md's case K21."""
    return PRICE - 0.4 * INV + w(k) * (SVAL - 0.6 * INV)


def race_data(reservation: Any, solvers: int = 3, bidders: int | None = None) -> dict[str, Any]:
    data = priced(
        PRICE,
        p1=P1,
        p2=1.0,
        solvers=solvers,
        installments=(1.0, 0.0, 0.0),
        solver_value=SVAL,
        race={"select_after": 1, "keep": 1, "compensate_eliminated": False},
        horizon=50.0,
    )
    data["solver"] |= {"entry": "equilibrium", "reservation_npv": reservation, "entry_runs": 4000}
    if bidders is not None:
        data["challenges"][0]["bidders"] = bidders
    return data


def test_k21_the_closed_form() -> None:
    assert [round(v_closed(k), 4) for k in (1, 2, 3)] == [18.8, 15.56, 13.616]


def test_k21_v_of_k_from_the_pilot_matches_the_closed_form() -> None:
    res = fundflow.simulate(race_data(14.0), runs=4000, seed=21)
    assert res.entry is not None and res.entry["runs"] == 4000
    values, ses = res.entry["values"]["challenge"], res.entry["se"]["challenge"]
    for k in (1, 2, 3):
        assert abs(values[k - 1] - v_closed(k)) <= 4 * ses[k - 1], (k, values, ses)
    # every replication: r = 14 for each bidder; V(2) = 15.56 >= 14 > V(3) = 13.6
    assert (res.runs["routes_started"] == 2).all()
    assert (res.runs["challenges_unfilled"] == 0).all()


# --------------------------------------------------------------------------- K22

ENTRY_CASES = [
    ([1.0, 5.0, 9.0, 20.0], 3),  # 9 <= V(3) = 13.616
    ([14.0, 14.5, 15.0], 2),  # 15 > V(3)
    ([19.0, 19.5], 0),  # 19 > V(1) = 18.8: unfilled
    ([2.0], 1),  # one bidder: at most one route
]


@pytest.mark.parametrize(("reservations", "want"), ENTRY_CASES)
def test_k22_the_entry_number(reservations: list[float], want: int) -> None:
    import numpy as np

    from fundflow.engine.entry.rules import entrants

    values = np.array([v_closed(k) for k in (1, 2, 3)])
    r = np.array(reservations)
    assert entrants.py_func(r, values) == want
    assert entrants(r, values) == want  # the compiled rule, the same
    # a V that rises with k: the largest k whose entrants all clear their reservation
    assert entrants.py_func(np.array([1.0, 5.0]), np.array([0.0, 10.0])) == 2


def test_k22_per_replication_entry_from_the_drawn_reservations() -> None:
    import numpy as np

    from fundflow.engine.entry.admission import reservations
    from fundflow.engine.layout import Layout

    data = race_data({"dist": "uniform", "low": 12.0, "high": 26.0}, bidders=4)
    res = fundflow.simulate(data, runs=300, seed=22)
    sc = res.scenario
    drawn = reservations(sc, Layout.of(sc), res.entropy, range(300))[0]
    values = np.asarray(res.entry["values"]["challenge"])
    want = [max([k for k in (1, 2, 3) if drawn[i, k - 1] <= values[k - 1]], default=0)
            for i in range(300)]  # fmt: skip
    assert res.runs["routes_started"].tolist() == want
    assert res.runs["challenges_unfilled"].tolist() == [float(k == 0) for k in want]
    assert 0 < sum(k == 0 for k in want) < 300 and len(set(want)) > 2


def test_k22_an_unfilled_challenge_moves_no_money() -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fundflow.simulate(race_data(100.0), runs=20, seed=3)
    assert len(res.ledger(0)) == 0
    assert (res.routes["status"] == "not_started").all()
    assert (res.runs["challenges_unfilled"] == 1).all()
    assert (res.runs["challenges_succeeded"] == 0).all()
    assert any("unfilled" in str(w.message) for w in caught)


def test_k22_fixed_entry_ignores_bidders_and_reservations() -> None:
    data = race_data(100.0, bidders=5)
    data["solver"]["entry"] = "fixed"
    res = fundflow.simulate(data, runs=20, seed=3)
    assert res.entry is None
    assert (res.runs["routes_started"] == 3).all()
    assert (res.runs["challenges_unfilled"] == 0).all()


def test_entry_is_recorded_in_the_store_and_the_challenges_table(tmp_path) -> None:
    import json

    data = race_data({"dist": "uniform", "low": 12.0, "high": 26.0}, bidders=4)
    res = fundflow.simulate(data, runs=50, seed=9, store=tmp_path / "out")
    manifest = json.loads(next((tmp_path / "out").rglob("manifest.json")).read_text())
    assert manifest["entry"]["runs"] == 50
    assert res.entry == manifest["entry"]
    table = res.challenges
    assert table.loc["challenge", "entry_value_k3"] == pytest.approx(
        manifest["entry"]["values"]["challenge"][2]
    )
    started = res.runs["routes_started"]
    assert table.loc["challenge", "expected_entrants"] == pytest.approx(started.mean())
    assert table.loc["challenge", "unfilled_probability"] == pytest.approx((started == 0).mean())
    again = fundflow.simulate(data, runs=50, seed=9)
    assert again.ledger(7).equals(res.ledger(7))  # a stored run re-simulates with entry
    assert again.runs.equals(res.runs)


# --------------------------------------------------------------------------- K23


def one_route(price: float = 16.0, **solver: Any) -> dict[str, Any]:
    """One route, both reviews passed, cost 20, no value, no discounting."""
    data = priced(price)
    data["solver"] |= solver
    return data


def test_k23_least_contract_price_under_fixed_entry() -> None:
    res = fundflow.least_incentive(one_route(), "challenges[0].contract_price", 1, runs=50, seed=1)
    assert res.current == 16.0
    assert res.value == pytest.approx(20.0, rel=1e-3)  # V(1) = P - 20 >= 0
    assert res.table.loc["challenge", "least_value"] == res.value


def test_k23_least_contract_price_under_equilibrium_entry() -> None:
    data = one_route(entry="equilibrium", reservation_npv=2.0)
    res = fundflow.least_incentive(data, "challenges[challenge].contract_price", 1, runs=50, seed=1)
    assert res.value == pytest.approx(22.0, rel=1e-3)  # V(1) = P - 20 >= r = 2
    assert res.table.loc["challenge", "reached"] == 1.0
    assert res.table.loc["challenge", "gov_budget_cost"] == pytest.approx(5.0)  # the match
    assert res.table.loc["challenge", "gov_budget_cost_now"] == 0.0  # unfilled at 16


def test_k23_least_award_share_and_its_budget_cost() -> None:
    lever = "government.success_award.share"
    res = fundflow.least_incentive(one_route(), lever, 1, runs=50, seed=1)
    assert res.current == 0.0
    assert res.value == pytest.approx(0.2, rel=1e-3)  # 16 - 20 + 20 s >= 0
    # the match (5) and the award (s x 20) at the least value
    assert res.table.loc["challenge", "gov_budget_cost"] == pytest.approx(5.0 + 20 * res.value)


def test_k23_a_target_above_the_routes_admitted_is_refused() -> None:
    with pytest.raises(ConfigError, match="more routes than any challenge admits"):
        fundflow.least_incentive(one_route(), "government.success_award.share", 2, runs=20)


def test_k23_the_command_prints_each_challenge(capsys: pytest.CaptureFixture[str], tmp_path):
    import yaml

    from fundflow.cli import main

    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(one_route()), encoding="utf-8")
    code = main(["incentive", str(path), "--lever", "challenges[0].contract_price",
                 "--entrants", "1", "--runs", "30", "--seed", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "challenge" in out and "20" in out and "Budget cost at it" in out


def test_demander_npv_without_the_governments_money() -> None:
    # the common route, both reviews passed, no discounting: the demander receives the
    # match g = 5 in full; with p1 = 0 and claw-back 1 the tranche of 1.5 comes back
    res = fundflow.simulate(priced(22.0), runs=3, seed=0)
    assert res.routes["demander_gov_npv"].tolist() == [exact(5.0)] * 3
    table = res.challenges
    assert table.loc["challenge", "demander_npv_without_gov"] == exact(
        table.loc["challenge", "demander_npv"] - 5.0
    )
    failed = fundflow.simulate(priced(22.0, p1=0.0, clawback=1.0), runs=2, seed=0)
    assert failed.routes["demander_gov_npv"].tolist() == [0.0, 0.0]  # 1.5 paid, 1.5 back


def test_k22_the_block_rule_agrees_with_the_rule_row_by_row() -> None:
    import numpy as np

    from fundflow.engine.entry.rules import entrants, entrants_each

    rng = np.random.default_rng(5)
    r = np.sort(rng.uniform(10.0, 22.0, size=(200, 4)), axis=1)
    values = np.array([v_closed(k) for k in (1, 2, 3)])
    want = [entrants.py_func(row, values) for row in r]
    assert entrants_each(r, values).tolist() == want
    assert entrants_each.py_func(r, values).tolist() == want


def test_reservation_draws_are_keyed_by_name_copy_and_bidder() -> None:
    import numpy as np

    from fundflow.engine.entry.admission import reservations
    from fundflow.engine.layout import Layout

    data = race_data({"dist": "uniform", "low": 0.0, "high": 1.0}, bidders=4)
    alone = fundflow.Scenario.from_dict(data)
    other = dict(data["challenges"][0], name="another", bidders=7)
    data["challenges"] = [other, data["challenges"][0]]  # before it in the list
    both = fundflow.Scenario.from_dict(data)
    a = reservations(alone, Layout.of(alone), 11, range(50))[0]
    b = reservations(both, Layout.of(both), 11, range(50))[1]
    assert np.array_equal(a, b)  # another challenge changes none of its bidders' draws
    assert b.shape == (50, 4) and (np.diff(b, axis=1) >= 0).all()


def test_design_points_that_move_no_solver_flow_share_v(monkeypatch: pytest.MonkeyPatch) -> None:
    from fundflow.run import _blocks

    calls: list[str] = []
    real = _blocks.pilot_values

    def counted(scenario: Any, entropy: int, n: int) -> Any:
        calls.append(scenario.name)
        return real(scenario, entropy, n)

    monkeypatch.setattr(_blocks, "pilot_values", counted)
    monkeypatch.setattr(_blocks, "_PILOTS", {})
    data = race_data({"dist": "uniform", "low": 12.0, "high": 26.0}, bidders=4)
    res = fundflow.sweep(data, {"government.matching.ratio": [0.1, 0.2, 0.3]}, runs=30, seed=2,
                         progress=False)  # fmt: skip
    assert len(calls) == 1  # the match goes to the demander: V(k) is the same
    assert "challenges_unfilled_mean" in res.table and "routes_started_mean" in res.table
    fundflow.sweep(data, {"solver.reservation_npv": [1.0, 2.0]}, runs=30, seed=2, progress=False)
    assert len(calls) == 1  # who enters changes, not what a route is worth
    lever = {"challenges[0].contract_price": [17.0, 18.0]}
    fundflow.sweep(data, lever, runs=30, seed=2, progress=False)
    assert len(calls) == 3  # a lever of the solver's flows: V(k) per point


def test_the_command_says_what_a_dash_means(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from fundflow.cli import main

    config = Path(__file__).resolve().parents[1] / "configs" / "open_competition.yaml"
    code = main(["incentive", str(config), "--lever", "government.success_award.share",
                 "--entrants", "2", "--runs", "100", "--seed", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    single = [line for line in out.splitlines() if line.startswith("machine-vision")]
    assert single and "—" in single[0]  # a one-route challenge cannot have two entrants
    assert "—: the challenge admits fewer than 2 routes (its solvers)" in out
