"""Guided fund, shared-risk credit and tax super-deduction in the engine
(docs/model.md: "Guided fund", "Credit with shared risk", "Tax"; issue 4).

The waterfall itself is tested on hand-computed cases in test_waterfall.py; here
the fund's cash flows in the ledger are checked against the rules: calls pro rata
to commitment, fees, investment window, exits, early exit, distribution of all
cash at the end, and the direction of concession and first loss. Credit is
checked on one route with fixed durations where every amount can be worked out
by hand; tax per solver and budget year.
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

UNIFORM = {"dist": "uniform", "low": 0.5, "high": 2.0}


def rows(ledger: pd.DataFrame, kind: str, **where: str) -> pd.DataFrame:
    out = ledger[ledger["kind"] == kind]
    for column, value in where.items():
        out = out[out[column] == value]
    return out


# ----------------------------------------------------------------------- the fund

FUND: dict[str, Any] = {
    "size": 200.0,
    "government_share": 0.3,
    "start": 0.5,
    "life": 8.0,
    "invest_years": 4.0,
    "ticket": 10.0,
    "invest_lag": 0.5,
    "holding_period": {"dist": "uniform", "low": 1.0, "high": 6.0},
    "exit_multiple": {"dist": "lognormal", "median": 1.5, "sigma": 0.8},
    "management_fee": 0.02,
    "hurdle": 0.06,
    "carry": 0.2,
}


def with_fund(horizon: float = 12.0, **fund: Any) -> dict[str, Any]:
    """Six challenges from year 0 and four from year 3 (some accepted after the
    investment period), random durations, a fund large enough for every ticket."""
    data = make_scenario(count=6, p1=0.8, p2=0.9, durations=(UNIFORM, UNIFORM), horizon=horizon)
    late = copy.deepcopy(data["challenges"][0])
    late.update(name="late", count=4, start=3.0)
    data["challenges"].append(late)
    data["guided_fund"] = {**FUND, **fund}
    return data


RUNS = 25


@pytest.fixture(scope="module")
def fund_run() -> fundflow.SimulationResult:
    return fundflow.simulate(with_fund(), runs=RUNS, seed=5, keep_ledgers=RUNS)


def test_fund_cash_is_fully_distributed_at_its_end(fund_run) -> None:
    fund_cash = fund_run.party_totals()["fund"].to_numpy()
    for rep in range(RUNS):
        ledger = fund_run.ledger(rep)
        gross = ledger.loc[(ledger["payer"] == "fund") | (ledger["payee"] == "fund"), "amount"]
        assert abs(fund_cash[rep]) <= 1e-9 * gross.sum(), rep
        # the distribution is the fund's last act, at its end (start + life)
        fund_rows = ledger[(ledger["payer"] == "fund") | (ledger["payee"] == "fund")]
        assert fund_rows["time"].max() <= 8.5
        assert set(rows(ledger, "distribution")["time"]) <= {8.5}
    assert (fund_run.runs["fund_investments"] > 0).mean() > 0.8


def test_capital_calls_pro_rata_to_commitment(fund_run) -> None:
    for rep in range(RUNS):
        calls = rows(fund_run.ledger(rep), "capital_call")
        by_time = calls.pivot_table(
            index="time", columns="payer", values="amount", aggfunc="sum", observed=True
        )
        total = by_time.sum(axis=1)
        np.testing.assert_allclose(by_time["gov_lp"], 0.3 * total, rtol=1e-12)
        np.testing.assert_allclose(by_time["social_lp"], 0.7 * total, rtol=1e-12)
        assert fund_run.runs.loc[rep, "fund_gov_paid_in"] == pytest.approx(
            by_time["gov_lp"].sum(), rel=1e-12
        )
        # calls never exceed commitments
        assert total.sum() <= 200.0 * (1 + 1e-12)


def test_management_fee_each_fund_year(fund_run) -> None:
    for rep in range(RUNS):
        fees = rows(fund_run.ledger(rep), "management_fee")
        assert fees["payee"].eq("fund_manager").all()
        assert fees["time"].tolist() == [0.5 + k for k in range(8)]
        np.testing.assert_allclose(fees["amount"], 0.02 * 200.0)


def test_investments_only_in_succeeded_routes_inside_the_investment_period(fund_run) -> None:
    in_window = out_of_window = 0
    for rep in range(RUNS):
        ledger = fund_run.ledger(rep)
        routes = fund_run.routes.xs(rep, level="replication")
        inv = rows(ledger, "investment").set_index("route")
        assert inv["payee"].eq("venture").all()
        assert (inv["amount"] == 10.0).all()
        assert (inv["time"] >= 0.5).all() and (inv["time"] < 4.5).all()
        won = routes[routes["status"] == "succeeded"]
        when = won["end_time"] + 0.5
        expected = when[(when >= 0.5) & (when < 4.5)]
        assert sorted(inv.index) == sorted(expected.index), rep
        np.testing.assert_allclose(inv.loc[expected.index, "time"], expected)
        assert fund_run.runs.loc[rep, "fund_investments"] == len(inv)
        in_window += len(expected)
        out_of_window += len(when) - len(expected)
    assert in_window > 0 and out_of_window > 0  # both sides of the window are exercised


def test_investment_stops_when_commitment_is_used_up_fees_reserved() -> None:
    """Size 50, fees 0.02 x 50 = 1 a year for 8 years reserved: 42 can be invested,
    four tickets of 10 and a last one of 2; calls never exceed the commitment."""
    data = with_fund(size=50.0, exit_multiple=1.0)
    for entry in data["challenges"]:
        for phase in entry["phases"]:
            phase["pass_probability"] = 1.0
    res = fundflow.simulate(data, runs=3, seed=1, keep_ledgers=3)
    for rep in range(3):
        ledger = res.ledger(rep)
        inv = rows(ledger, "investment")["amount"].tolist()
        assert inv == [10.0, 10.0, 10.0, 10.0, pytest.approx(2.0)]
        assert rows(ledger, "capital_call")["amount"].sum() == pytest.approx(50.0)
        assert rows(ledger, "management_fee")["amount"].sum() == pytest.approx(8.0)


def test_exits_pay_ticket_times_multiple_and_late_ones_settle_at_the_end() -> None:
    data = with_fund(holding_period=5.0, exit_multiple=1.7)
    res = fundflow.simulate(data, runs=5, seed=2, keep_ledgers=5)
    for rep in range(5):
        ledger = res.ledger(rep)
        inv = rows(ledger, "investment")
        ex = rows(ledger, "exit_proceeds")
        assert ex["payer"].eq("external").all() and ex["payee"].eq("fund").all()
        assert len(ex) == len(inv)
        np.testing.assert_allclose(ex["amount"], 17.0)
        expected = np.sort(np.minimum(inv["time"].to_numpy() + 5.0, 8.5))
        np.testing.assert_allclose(np.sort(ex["time"].to_numpy()), expected)
    late = [(rows(res.ledger(r), "investment")["time"] + 5.0 > 8.5).any() for r in range(5)]
    early = [(rows(res.ledger(r), "investment")["time"] + 5.0 < 8.5).any() for r in range(5)]
    assert any(late) and any(early)


@pytest.mark.parametrize("year", [3.0, 3.3, 8.5])
def test_early_exit_sells_the_stake_at_paid_in_plus_simple_interest(year) -> None:
    data = with_fund(early_exit={"year": year, "rate": 0.04})
    res = fundflow.simulate(data, runs=8, seed=3, keep_ledgers=8)
    for rep in range(8):
        ledger = res.ledger(rep)
        gov = ledger[(ledger["payer"] == "gov_lp") | (ledger["payee"] == "gov_lp")]
        sale = rows(ledger, "stake_sale")
        assert len(sale) == 1
        assert sale["time"].iloc[0] == year
        assert (sale["payer"].iloc[0], sale["payee"].iloc[0]) == ("social_lp", "gov_lp")
        calls = rows(gov, "capital_call")
        assert (calls["time"] <= year).all()
        price = (calls["amount"] * (1 + 0.04 * (year - calls["time"]))).sum()
        assert sale["amount"].iloc[0] == pytest.approx(price, rel=1e-12)
        # the government takes no further part
        after = gov[(gov["time"] > year) | ((gov["time"] == year) & (gov["kind"] != "stake_sale"))]
        assert after.empty, after
        # before the sale, calls were pro rata; from it on, the social LPs pay all
        all_calls = rows(ledger, "capital_call")
        before = all_calls[all_calls["time"] < year]
        assert before.loc[before["payer"] == "gov_lp", "amount"].sum() == pytest.approx(
            0.3 * before["amount"].sum()
        )
        assert all_calls.loc[all_calls["time"] >= year, "payer"].eq("social_lp").all()
        assert abs(res.party_totals().loc[rep, "fund"]) < 1e-9 * all_calls["amount"].sum()
        assert res.runs.loc[rep, "fund_gov_tvpi"] == pytest.approx(
            sale["amount"].iloc[0] / calls["amount"].sum()
        )


def test_early_exit_before_any_call_leaves_the_government_out() -> None:
    data = with_fund(management_fee=0.0, early_exit={"year": 0.25, "rate": 0.04})
    res = fundflow.simulate(data, runs=4, seed=3, keep_ledgers=4)
    for rep in range(4):
        ledger = res.ledger(rep)
        assert not ((ledger["payer"] == "gov_lp") | (ledger["payee"] == "gov_lp")).any()
    assert (res.runs["fund_investments"] > 0).all()
    assert res.runs["fund_gov_tvpi"].isna().all()
    assert np.isfinite(res.runs["fund_social_tvpi"]).all()


def test_fund_wholly_owned_by_the_government() -> None:
    """government_share = 1 (allowed): no zero social calls, the waterfall runs."""
    res = fundflow.simulate(with_fund(government_share=1.0), runs=3, seed=1, keep_ledgers=3)
    assert (res.party_totals()["fund"].abs() < 1e-9).all()
    assert (res.party_totals()["social_lp"] == 0).all()
    assert np.isfinite(res.runs["fund_gov_tvpi"]).all()


def _lp_received(res: fundflow.SimulationResult, party: str) -> np.ndarray:
    return np.array(
        [rows(res.ledger(r), "distribution", payee=party)["amount"].sum() for r in range(len(res))]
    )


def test_concession_moves_upside_from_government_to_social_lps() -> None:
    """Large gain (every venture exits at 4x): the concession lowers the
    government's TVPI and raises the social LPs', the total unchanged."""
    runs = 8
    base = fundflow.simulate(with_fund(exit_multiple=4.0), runs=runs, seed=9, keep_ledgers=runs)
    ceded = fundflow.simulate(
        with_fund(exit_multiple=4.0, government_concession=0.5),
        runs=runs,
        seed=9,
        keep_ledgers=runs,
    )
    gained = base.runs["fund_investments"] > 0
    assert gained.sum() >= runs - 1
    b, c = base.runs[gained], ceded.runs[gained]
    assert (c["fund_gov_tvpi"] < b["fund_gov_tvpi"] - 1e-6).all()
    assert (c["fund_social_tvpi"] > b["fund_social_tvpi"] + 1e-6).all()
    np.testing.assert_allclose(c["fund_gov_paid_in"], b["fund_gov_paid_in"])
    total_b = _lp_received(base, "gov_lp") + _lp_received(base, "social_lp")
    total_c = _lp_received(ceded, "gov_lp") + _lp_received(ceded, "social_lp")
    np.testing.assert_allclose(total_c, total_b, rtol=1e-12)
    # in a large gain the government still gets more than its capital back
    assert (c["fund_gov_tvpi"] > 1.0).all()


def test_first_loss_lowers_the_governments_distributions_in_a_loss() -> None:
    """Loss (every venture exits at 0.3x): the government bears the shortfall first."""
    runs = 8
    base = fundflow.simulate(with_fund(exit_multiple=0.3), runs=runs, seed=9, keep_ledgers=runs)
    first = fundflow.simulate(
        with_fund(exit_multiple=0.3, government_first_loss=0.5),
        runs=runs,
        seed=9,
        keep_ledgers=runs,
    )
    gov_b, gov_f = _lp_received(base, "gov_lp"), _lp_received(first, "gov_lp")
    soc_b, soc_f = _lp_received(base, "social_lp"), _lp_received(first, "social_lp")
    assert (gov_f < gov_b - 1e-9).all()
    assert (soc_f > soc_b + 1e-9).all()
    np.testing.assert_allclose(gov_f + soc_f, gov_b + soc_b, rtol=1e-12)
    assert (first.runs["fund_gov_tvpi"] < base.runs["fund_gov_tvpi"]).all()
    assert (base.runs["fund_gov_tvpi"] < 1.0).all()  # it is a loss


def test_tvpi_and_irr_present_finite_and_from_the_ledger(fund_run) -> None:
    runs = fund_run.runs
    for col in ("fund_gov_tvpi", "fund_gov_irr", "fund_social_tvpi", "fund_social_irr"):
        assert col in runs.columns
        assert np.isfinite(runs[col]).all(), col  # the fund ended (8.5 < horizon 12)
    for rep in range(RUNS):
        ledger = fund_run.ledger(rep)
        for party, col in (("gov_lp", "fund_gov_tvpi"), ("social_lp", "fund_social_tvpi")):
            paid = ledger.loc[ledger["payer"] == party, "amount"].sum()
            got = ledger.loc[ledger["payee"] == party, "amount"].sum()
            assert runs.loc[rep, col] == pytest.approx(got / paid, rel=1e-12)
    # a fund that only paid fees lost money for both LP classes
    poor = runs["fund_investments"] == 0
    assert (runs.loc[poor, "fund_gov_tvpi"] < 1).all()


def test_tvpi_and_irr_without_a_fund_are_nan() -> None:
    res = fundflow.simulate(make_scenario(), runs=2, seed=0)
    for col in ("fund_gov_tvpi", "fund_gov_irr", "fund_social_tvpi", "fund_social_irr"):
        assert res.runs[col].isna().all()
    assert (res.runs["fund_investments"] == 0).all()


def test_fund_flows_are_in_the_governments_net_cost() -> None:
    """Adding a fund changes no route outcome; the government's net cost moves by
    exactly its LP net cost (gov_lp money is government money)."""
    data = with_fund()
    plain = copy.deepcopy(data)
    del plain["guided_fund"]
    a = fundflow.simulate(data, runs=10, seed=4)
    b = fundflow.simulate(plain, runs=10, seed=4)
    pd.testing.assert_series_equal(a.routes["status"], b.routes["status"])
    gov_lp = -a.party_totals()["gov_lp"]
    np.testing.assert_allclose(a.runs["gov_fund_net_cost"], gov_lp, atol=1e-9)
    np.testing.assert_allclose(
        a.runs["gov_net_cost"] - b.runs["gov_net_cost"], gov_lp, rtol=1e-9, atol=1e-9
    )


def test_fund_that_would_outlive_the_horizon_is_refused() -> None:
    """Holdings still open at the horizon would count as paid-in with no value."""
    with pytest.raises(ConfigError, match=r"guided_fund\.life = .*horizon = 6"):
        Scenario.from_dict(with_fund(horizon=6.0))


# ----------------------------------------------------------------------- credit

P = 25.0  # loan = 0.5 x (I - D) = 0.5 x (100 - 50)


def one_loan(p1: float = 1.0, p2: float = 1.0, horizon: float = 10.0, **credit: Any) -> dict:
    """One route, reviews at 1.5 and 2.25 (never on a loan anniversary)."""
    data = make_scenario(p1=p1, p2=p2, durations=(1.5, 0.75), horizon=horizon)
    data["credit"] = {
        "enabled": True,
        "loan_share": 0.5,
        "interest_rate": 0.045,
        "guarantee_fee": 0.01,
        "default_probability_on_failure": 1.0,
        "default_probability_on_success": 0.0,
        "loss_given_default": 0.6,
        **credit,
    }
    return data


def _credit_run(data: dict) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    res = fundflow.simulate(data, runs=1, seed=0)
    return res.ledger(0), res.runs.iloc[0], res.party_totals().iloc[0]


def test_loan_at_start_interest_fees_and_repayment_at_acceptance() -> None:
    ledger, run, net = _credit_run(one_loan())
    loan = rows(ledger, "loan")
    assert loan[["time", "payer", "payee", "amount"]].values.tolist() == [
        [0.0, "bank", "solver", P]
    ]
    interest = rows(ledger, "interest")
    assert interest["time"].tolist() == [1.0, 2.0, 2.25]
    np.testing.assert_allclose(interest["amount"], [0.045 * P, 0.045 * P, 0.045 * P * 0.25])
    fees = rows(ledger, "guarantee_fee")
    assert fees["time"].tolist() == [0.0, 1.0, 2.0]
    assert fees["payee"].eq("guarantor").all()
    np.testing.assert_allclose(fees["amount"], 0.01 * P)
    repay = rows(ledger, "repayment")
    assert repay[["time", "amount"]].values.tolist() == [[2.25, P]]
    assert rows(ledger, "guarantee_payout").empty
    assert net["bank"] == pytest.approx(0.045 * P * 2.25)
    assert net["guarantor"] == pytest.approx(0.03 * P)
    assert run["bank_loss"] == 0 and run["guarantor_loss"] == 0 and run["loan_defaults"] == 0
    assert run["loans_outstanding"] == 0


@pytest.mark.parametrize(
    "sharing",
    [
        None,  # default 4-3-2-1
        {"guarantor": 0.5, "reguarantor": 0.0, "bank": 0.3, "government": 0.2},
        {"guarantor": 0.0, "reguarantor": 0.0, "bank": 1.0, "government": 0.0},
    ],
)
def test_default_on_failure_loss_shared_by_risk_sharing(sharing) -> None:
    extra = {} if sharing is None else {"risk_sharing": sharing}
    shares = sharing or {"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.1}
    ledger, run, net = _credit_run(one_loan(p2=0.0, **extra))  # fails at acceptance, 2.25
    loss = 0.6 * P
    repay = rows(ledger, "repayment")
    assert repay[["time", "amount"]].values.tolist() == [[2.25, P - loss]]
    payouts = rows(ledger, "guarantee_payout")
    assert payouts["payee"].eq("bank").all() and payouts["time"].eq(2.25).all()
    paid_by = payouts.groupby("payer", observed=True)["amount"].sum()
    for party in ("guarantor", "reguarantor", "government"):
        assert paid_by.get(party, 0.0) == pytest.approx(shares[party] * loss)
    assert "bank" not in paid_by.index or paid_by["bank"] == 0
    interest = rows(ledger, "interest")["amount"].sum()
    assert interest == pytest.approx(2 * 0.045 * P)  # anniversaries 1 and 2; none on default
    assert run["bank_loss"] == pytest.approx(max(0.0, shares["bank"] * loss - interest))
    assert net["bank"] == pytest.approx(interest - shares["bank"] * loss)
    fees = 3 * 0.01 * P
    assert run["guarantor_loss"] == pytest.approx(max(0.0, shares["guarantor"] * loss - fees))
    assert run["reguarantor_loss"] == pytest.approx(shares["reguarantor"] * loss)
    assert run["gov_guarantee_loss"] == pytest.approx(shares["government"] * loss)
    assert run["loan_defaults"] == 1


def test_default_4321_worked_example() -> None:
    """Default split: loss 15; guarantor 6, reguarantor 4.5, government 1.5;
    bank loss = 0.2 x 15 - interest 2.25 = 0.75."""
    _, run, _ = _credit_run(one_loan(p2=0.0))
    assert run["bank_loss"] == pytest.approx(0.75)
    assert run["guarantor_loss"] == pytest.approx(6.0 - 0.75)
    assert run["reguarantor_loss"] == pytest.approx(4.5)
    assert run["gov_guarantee_loss"] == pytest.approx(1.5)


def test_default_at_the_mid_term_review() -> None:
    ledger, run, _ = _credit_run(one_loan(p1=0.0))  # fails at 1.5
    assert rows(ledger, "repayment")[["time", "amount"]].values.tolist() == [[1.5, 0.4 * P]]
    assert rows(ledger, "interest")["time"].tolist() == [1.0]
    assert rows(ledger, "guarantee_payout")["time"].eq(1.5).all()
    assert run["bank_loss"] == pytest.approx(0.2 * 0.6 * P - 0.045 * P)


def test_no_default_probability_no_payouts() -> None:
    ledger, run, net = _credit_run(one_loan(p2=0.0, default_probability_on_failure=0.0))
    assert rows(ledger, "guarantee_payout").empty
    assert rows(ledger, "repayment")[["time", "amount"]].values.tolist() == [[2.25, P]]
    assert run["loan_defaults"] == 0 and run["bank_loss"] == 0
    assert run["gov_guarantee_loss"] == 0 and run["reguarantor_loss"] == 0
    assert net["bank"] == pytest.approx(0.045 * P * 2.25)


def test_default_on_success() -> None:
    ledger, run, _ = _credit_run(
        one_loan(default_probability_on_failure=0.0, default_probability_on_success=1.0)
    )
    assert rows(ledger, "repayment")["amount"].tolist() == [pytest.approx(0.4 * P)]
    assert len(rows(ledger, "guarantee_payout")) == 3
    assert run["loan_defaults"] == 1


def test_loan_outstanding_at_the_horizon_is_no_loss() -> None:
    ledger, run, _ = _credit_run(one_loan(horizon=2.0))
    assert rows(ledger, "repayment").empty
    assert run["loans_outstanding"] == pytest.approx(P)
    assert run["bank_loss"] == 0


def test_default_frequency_matches_its_probability() -> None:
    data = make_scenario(count=50, p1=0.0, durations=(1.5, 0.75))
    data["credit"] = {"enabled": True, "default_probability_on_failure": 0.3}
    res = fundflow.simulate(data, runs=10, seed=6)
    n = 500
    rate = res.runs["loan_defaults"].sum() / n
    assert abs(rate - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)


# --------------------------------------------------------------------------- tax
# Year-by-year tax cases under each arrangement are in test_tax.py.


def test_no_super_deduction_no_tax_rows() -> None:
    data = make_scenario(booking_period=0.5)
    data["government"]["tax"] = {"rd_super_deduction": 0.0}
    res = fundflow.simulate(data, runs=1, seed=0)
    assert rows(res.ledger(0), "tax_expenditure").empty
    assert res.runs["gov_tax_forgone"].iloc[0] == 0


# ---------------------------------------------------------------------- bad input


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_risk_sharing_must_sum_to_one() -> None:
    data = one_loan(
        risk_sharing={"guarantor": 0.4, "reguarantor": 0.3, "bank": 0.2, "government": 0.2}
    )
    message = _error(data)
    assert "credit.risk_sharing" in message and "sum to 1" in message


def test_risk_sharing_share_outside_unit_interval() -> None:
    data = one_loan(
        risk_sharing={"guarantor": 1.2, "reguarantor": -0.2, "bank": 0.0, "government": 0.0}
    )
    assert "credit.risk_sharing." in _error(data)


def test_fund_ticket_larger_than_size() -> None:
    message = _error(with_fund(ticket=250.0))
    assert "guided_fund.ticket" in message and "200" in message


def test_fund_life_shorter_than_investment_period() -> None:
    message = _error(with_fund(life=3.0, invest_years=4.0))
    assert "guided_fund.life" in message or "guided_fund.invest_years" in message


def test_early_exit_after_the_funds_end() -> None:
    message = _error(with_fund(early_exit={"year": 9.0, "rate": 0.03}))  # end 0.5 + 8
    assert "guided_fund.early_exit.year" in message


def test_early_exit_at_the_funds_end_is_allowed() -> None:
    Scenario.from_dict(with_fund(early_exit={"year": 8.5, "rate": 0.03}))
