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
