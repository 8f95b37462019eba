"""The R&D super-deduction (docs/model.md, "Tax"): year by year, by hand.

One route, investment 100, demander share 0.5 (D = 50) in installments of 0.3 /
0.4 / 0.3 at milestones 0, 1, 2, phase costs 40 and 60 at t = 0 and t = 1, reviews
at t = 1 and t = 2, both passed. The solver funds itself 40 − 15 = 25 in year 0,
60 − 20 = 40 more in year 1, and gets 15 back at acceptance in year 2: its
recognised eligible cost is 25, 65, 50 at the ends of years 0, 1, 2. At a rate of
0.15 × 1.0 × usable 0.5 = 0.075 the tax forgone is +1.875 at t = 1, +3.0 at t = 2
and a recapture of 1.125 at t = 3: net 3.75 = 0.075 × 50, what it funded itself.
The demander deducts 80% (commissioned) or 100% (cooperative) of the installments
it paid in the year, at 0.25 × 1.0 × 1.0, when the match is taxable income (it pays
0.25 × the match instead); by default (non-taxable) the match it received is taken
off its base (docs/model.md, K12).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import fundflow
from conftest import make_scenario
from fundflow import ConfigError, Scenario

TAX = {
    "rd_super_deduction": 1.0,
    "corporate_tax_rate": {"demander": 0.25, "solver": 0.15},
    "usable_share": {"demander": 1.0, "solver": 0.5},
}


def tax_rows(data: dict[str, Any]) -> pd.DataFrame:
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0)
    out = led[led["kind"].isin(["tax_expenditure", "tax_recapture"])]
    out = out[["time", "payer", "payee", "amount", "kind"]].reset_index(drop=True)
    return out.astype({"payer": str, "payee": str, "kind": str})


def expected(rows: list[tuple[float, str, str, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["time", "payer", "payee", "amount", "kind"])
    return frame.astype({"payer": str, "payee": str, "kind": str})


@pytest.mark.parametrize(("arrangement", "share"), [("commissioned", 0.8), ("cooperative", 1.0)])
def test_one_route_year_by_year(arrangement: str, share: float) -> None:
    data = make_scenario(tax={**TAX, "arrangement": arrangement, "match_treatment": "taxable"})
    got = tax_rows(data)
    d = 0.25 * share
    want = expected(
        [
            (1.0, "government", "solver", 0.075 * 25, "tax_expenditure"),
            (1.0, "government", "demander", d * 15, "tax_expenditure"),
            (2.0, "government", "solver", 0.075 * 40, "tax_expenditure"),
            (2.0, "government", "demander", d * 20, "tax_expenditure"),
            (3.0, "solver", "government", 0.075 * 15, "tax_recapture"),
            (3.0, "government", "demander", d * 15, "tax_expenditure"),
        ]
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)
    res = fundflow.simulate(data, runs=1, seed=0)
    # the demander's tax on the match (25) it received, as taxable income
    on_subsidy = 0.25 * 25
    assert res.runs.loc[0, "gov_tax_forgone"] == pytest.approx(0.075 * 50 + d * 50 - on_subsidy)


def test_solver_net_tax_equals_what_it_funded_itself() -> None:
    data = make_scenario(tax=TAX, booking_period=0.3, durations=(1.7, 2.2))
    res = fundflow.simulate(data, runs=1, seed=0)
    led = res.ledger(0)
    to_solver = led[(led["kind"] == "tax_expenditure") & (led["payee"] == "solver")]
    back = led[(led["kind"] == "tax_recapture") & (led["payer"] == "solver")]
    funded = 100.0 - 50.0
    assert to_solver["amount"].sum() - back["amount"].sum() == pytest.approx(0.075 * funded)


def test_match_paid_to_the_solver_is_not_its_own_funding() -> None:
    # payee solver: 7.5 of match at t = 0.25 and 17.5 at t = 2.25 reduce its own funding
    data = make_scenario(tax=TAX, payee="solver")
    led = fundflow.simulate(data, runs=1, seed=0).ledger(0)
    solver = led[
        led["kind"].isin(["tax_expenditure", "tax_recapture"])
        & ((led["payee"] == "solver") | (led["payer"] == "solver"))
    ]
    sign = solver["payee"].eq("solver").map({True: 1.0, False: -1.0})
    assert (sign * solver["amount"]).sum() == pytest.approx(0.075 * (50 - 25))
    year0 = solver[solver["time"] == 1.0]["amount"].iloc[0]
    assert year0 == pytest.approx(0.075 * (25 - 7.5))


def test_the_year_the_horizon_cuts_is_paid_at_the_horizon() -> None:
    # start 10.5: year 10 funds 25 (tax at t = 11); phase 2 at 11.5 funds 40 more in
    # year 11, whose end (t = 12) is the horizon: paid there, not lost
    data = make_scenario(tax=TAX, start=10.5, horizon=12.0)
    got = tax_rows(data)
    solver = got[got["payee"] == "solver"].reset_index(drop=True)
    assert solver["time"].tolist() == [11.0, 12.0]
    assert solver["amount"].tolist() == pytest.approx([0.075 * 25, 0.075 * 40])
    cut = tax_rows(make_scenario(tax=TAX, start=10.5, horizon=11.8))
    assert cut[cut["payee"] == "solver"]["time"].tolist() == [11.0, 11.8]


def test_tax_off_without_the_section() -> None:
    assert tax_rows(make_scenario()).empty


def test_old_single_rate_says_what_to_write() -> None:
    data = make_scenario(tax={"rd_super_deduction": 1.0, "corporate_tax_rate": 0.15})
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    message = str(info.value)
    assert "government.tax.corporate_tax_rate = 0.15" in message
    assert "{demander: 0.25, solver: 0.15}" in message


def test_a_tax_rate_written_as_a_percentage_is_refused_with_the_fraction() -> None:
    data = make_scenario(tax={"rd_super_deduction": 1.0, "corporate_tax_rate": 15})
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    assert "= 15: must be a mapping per party" in str(info.value)
    assert "{demander: 0.25, solver: 0.15}" in str(info.value)
    for party, key in (("demander", "corporate_tax_rate"), ("solver", "usable_share")):
        data = make_scenario(tax={"rd_super_deduction": 1.0, key: {party: 25}})
        with pytest.raises(ConfigError) as info:
            Scenario.from_dict(data)
        assert str(info.value) == (
            f"government.tax.{key}.{party} = 25: must be in [0, 1] (did you mean 0.25?)"
        )
    # the super-deduction is a share above 1 for some firms: no hint, and 1.2 is allowed
    Scenario.from_dict(make_scenario(tax={"rd_super_deduction": 1.2}))


def test_arrangement_must_be_known() -> None:
    data = make_scenario(tax={**TAX, "arrangement": "comissioned"})
    with pytest.raises(ConfigError, match="did you mean 'commissioned'"):
        Scenario.from_dict(data)
