"""docs/model.md's known-answer cases of the instruments as practised (K16-K19):
an extension's timing and cost, a risk-compensation pool exhausted part-way through
a default, an IP-pledge recovery above and below the principal, the bank's net with
the investment-loan link. The common route is that of tests/test_known_answers.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fundflow
from test_known_answers import INV, RUNS, assert_mean_within, exact, ledger, rows, scenario

EXT = {"probability": 1.0, "duration": 0.5, "cost_share": 0.1}


def _extended(data: dict[str, Any], phase: int = 0, **ext: Any) -> dict[str, Any]:
    data["challenges"][0]["phases"][phase]["extension"] = {**EXT, **ext}
    return data


# --------------------------------------------------------------------------- K16


def test_k14_an_extension_that_fails_again() -> None:
    """p1 = 0: extended at t = 1 at a cost of 2, failed again at t = 1.5; the
    compensation is decided then, on the cost of 10."""
    data = _extended(scenario(p1=0.0, p2=1.0, tolerance=True, rate=0.3))
    led = ledger(data)
    assert rows(led, kind="rd_spending") == [[0.0, exact(8.0)], [1.0, exact(2.0)]]
    assert rows(led, kind="demander_installment") == [[0.0, exact(3.6)]]
    assert rows(led, kind="compensation") == [[1.75, exact(0.3 * (10.0 - 3.6))]]
    res = fundflow.simulate(data, runs=1, seed=0)
    route = res.routes.iloc[0]
    assert (route["status"], route["end_time"], route["end_review"]) == ("failed", 1.5, 1)
    del data["challenges"][0]["phases"][0]["extension"]
    assert rows(ledger(data), kind="compensation") == [[1.25, exact(0.3 * 4.4)]]


def test_k14_an_extension_that_passes() -> None:
    """p1 = 0.5, p2 = 1: accepted at t = 2 (0.5), at t = 2.5 after an extension
    (0.25), or failed at t = 1.5 (0.25); E[R&D] = 20 × (0.4 + 0.05 + 0.45) = 18."""
    data = _extended(scenario(p1=0.5, p2=1.0))
    res = fundflow.simulate(data, runs=RUNS, seed=141)
    routes = res.routes
    ok = routes["status"] == "succeeded"
    assert_mean_within(ok.astype(float), 0.75)
    assert_mean_within((ok & (routes["end_time"] == 2.5)).astype(float), 0.25)
    assert_mean_within(routes["cost_spent"], INV * (0.4 + 0.5 * 0.1 + 0.75 * 0.6))
    late = int(np.flatnonzero((ok & (routes["end_time"] == 2.5)).to_numpy())[0])
    led = res.ledger(late).astype({"payer": str, "payee": str, "kind": str})
    assert rows(led, kind="rd_spending") == [
        [0.0, exact(8.0)], [1.0, exact(2.0)], [1.5, exact(12.0)]
    ]  # fmt: skip
    assert rows(led, kind="demander_installment") == [
        [0.0, exact(3.6)], [1.5, exact(4.8)], [2.5, exact(3.6)]
    ]  # fmt: skip
    assert rows(led, kind="matching") == [[0.25, exact(1.5)], [2.75, exact(3.5)]]


def test_k14_a_race_waits_for_the_extended_route() -> None:
    """Two racing routes, p1 = 0.5: the selection waits for an extended route's second
    review at t = 1.5, so the kept route spends its phase-2 cost (12) then; without
    an extension in the replication, at t = 1."""
    race = {"select_after": 1, "keep": 1, "compensate_eliminated": False}
    data = _extended(scenario(solvers=2, race=race, p1=0.5, p2=1.0))
    res = fundflow.simulate(data, runs=200, seed=142)
    waited = 0
    for i in range(200):
        led = res.ledger(i).astype({"kind": str})
        spend = rows(led, kind="rd_spending")
        extended = any(a == pytest.approx(2.0) for _, a in spend)
        second = [t for t, a in spend if a == pytest.approx(12.0)]
        assert all(t == (1.5 if extended else 1.0) for t in second)
        waited += bool(extended and second)
    assert waited > 20


# --------------------------------------------------------------------------- K17

#: One route that fails its mid-term review at t = 1 and defaults on a loan of 8
#: (I - D = 8, loan_share 1) with loss_given_default 0.5: L = 4, shared 4-3-2-1.
CREDIT = {
    "enabled": True, "loan_share": 1.0, "interest_rate": 0.0, "guarantee_fee": 0.0,
    "default_probability_on_failure": 1.0, "default_probability_on_success": 0.0,
    "loss_given_default": 0.5,
}  # fmt: skip


def _defaulting(**pool: Any) -> dict[str, Any]:
    data = scenario(p1=0.0, p2=1.0)
    data["credit"] = {**CREDIT, "risk_pool": pool or None}
    return data


def test_k15_a_pool_exhausted_part_way_through_a_default() -> None:
    """size 1, share 0.5: the pool pays c = min(1, 2) = 1 to the lenders by 2/9, 4/9,
    3/9; the rest 3 is shared 4-3-2-1 (the guarantors pass the pool's 4/9 and 3/9 on
    to the bank with their shares), the government's 0.3 from the budget."""
    led = ledger(_defaulting(size=1.0, share=0.5))
    assert rows(led, kind="pool_endowment") == [[0.0, exact(1.0)]]
    assert rows(led, kind="pool_payout", payee="bank") == [[1.0, exact(0.2 / 0.9)]]
    assert rows(led, kind="pool_payout", payee="guarantor") == [[1.0, exact(0.4 / 0.9)]]
    assert rows(led, kind="pool_payout", payee="reguarantor") == [[1.0, exact(0.3 / 0.9)]]
    guarantor = [[1.0, exact(1.2 + 0.4 / 0.9)]]
    assert rows(led, kind="guarantee_payout", payer="guarantor") == guarantor
    reguarantor = [[1.0, exact(0.9 + 0.3 / 0.9)]]
    assert rows(led, kind="guarantee_payout", payer="reguarantor") == reguarantor
    assert rows(led, kind="guarantee_payout", payer="government") == [[1.0, exact(0.3)]]
    assert rows(led, kind="pool_return") == []
    runs = fundflow.simulate(_defaulting(size=1.0, share=0.5), runs=1, seed=0).runs.iloc[0]
    assert runs["pool_payouts"] == exact(1.0)
    assert runs["pool_left"] == 0.0
    assert runs["gov_budget_cost"] == exact(1.5 + 1.0 + 0.3)  # first tranche, pool, own share
    # each party bears its share of the rest: the bank 0.2 x 3, 0.2 x 4 without a pool
    assert runs["bank_loss"] == exact(0.6)
    assert runs["guarantor_loss"] == exact(1.2)
    off = fundflow.simulate(_defaulting(), runs=1, seed=0).runs.iloc[0]
    assert (off["bank_loss"], off["guarantor_loss"]) == (exact(0.8), exact(1.6))
    assert off["gov_budget_cost"] == exact(1.5 + 0.4)


def test_k15_a_pool_that_pays_the_government_share_and_returns_the_rest() -> None:
    """size 3: c = 2, the government's 0.2 of the rest 2 from the pool too; 0.8 is
    left and returns at the horizon; the budget cost counts the payouts, 2.2."""
    data = _defaulting(size=3.0, share=0.5)
    led = ledger(data)
    assert rows(led, kind="pool_payout", payee="bank") == [
        [1.0, exact(0.2 / 0.9 * 2.0)], [1.0, exact(0.2)]
    ]  # fmt: skip
    assert rows(led, kind="guarantee_payout", payer="government") == []
    assert rows(led, kind="guarantee_payout", payer="guarantor") == [
        [1.0, exact(0.8 + 0.4 / 0.9 * 2.0)]
    ]
    assert rows(led, kind="pool_return") == [[12.0, exact(0.8)]]
    runs = fundflow.simulate(data, runs=1, seed=0).runs.iloc[0]
    assert runs["pool_payouts"] == exact(2.2)
    assert runs["pool_left"] == exact(0.8)
    assert runs["gov_budget_cost"] == exact(1.5 + 2.2)
    assert runs["gov_gross_outlay"] == exact(1.5 + 2.2)  # not the endowment and return


def test_k15_top_ups_restore_the_pool_each_budget_year() -> None:
    """size 1 with top_up: the pool is emptied at t = 1 and restored at t = 2 (1.0,
    outside the annual budget); 1.0 returns at the horizon."""
    data = _defaulting(size=1.0, share=0.5, top_up=True)
    data["government"]["annual_budget"] = 0.1
    led = ledger(data)
    assert rows(led, kind="pool_topup") == [[2.0, exact(1.0)]]
    assert rows(led, kind="pool_return") == [[12.0, exact(1.0)]]


# --------------------------------------------------------------------------- K18


def _pledged(ip_value: float, p1: float = 0.0, p2: float = 1.0) -> dict[str, Any]:
    data = scenario(p1=p1, p2=p2)
    data["credit"] = {**CREDIT, "kind": "ip_pledge", "ip_value": ip_value, "ip_uplift": 1.5}
    return data


def test_k16_an_ip_recovery_below_the_principal() -> None:
    """ip_value 0.5 of a loan of 8, no review passed: the IP sold recovers 4 at t = 1
    (no repayment by the solver); the loss 4 is shared 4-3-2-1."""
    led = ledger(_pledged(0.5))
    assert rows(led, kind="ip_recovery", payer="external", payee="bank") == [[1.0, exact(4.0)]]
    assert rows(led, kind="repayment") == []
    assert rows(led, kind="guarantee_payout", payer="guarantor") == [[1.0, exact(1.6)]]
    assert rows(led, kind="guarantee_payout", payer="government") == [[1.0, exact(0.4)]]
    runs = fundflow.simulate(_pledged(0.5), runs=1, seed=0).runs.iloc[0]
    assert runs["bank_loss"] == exact(0.8)


def test_k16_an_ip_recovery_above_the_principal_is_capped() -> None:
    """ip_value 1.5: the IP is worth 12, the recovery is the principal 8; no loss."""
    led = ledger(_pledged(1.5))
    assert rows(led, kind="ip_recovery") == [[1.0, exact(8.0)]]
    assert rows(led, kind="guarantee_payout") == []
    assert fundflow.simulate(_pledged(1.5), runs=1, seed=0).runs.iloc[0]["bank_loss"] == 0.0


def test_k16_a_passed_review_raises_the_ip_value() -> None:
    """p1 = 1, p2 = 0: the route passed one review when it fails at t = 2; the IP is
    worth 0.5 × 8 × 1.5 = 6, the loss 2 (guarantor 0.8)."""
    led = ledger(_pledged(0.5, p1=1.0, p2=0.0))
    assert rows(led, kind="ip_recovery") == [[2.0, exact(6.0)]]
    assert rows(led, kind="guarantee_payout", payer="guarantor") == [[2.0, exact(0.8)]]


# --------------------------------------------------------------------------- K19


def _linked(loan_share: float = 1.0, **link: Any) -> dict[str, Any]:
    data = scenario(p1=1.0, p2=1.0, solver_value=8.0, value_lag=1.0)
    data["credit"] = {
        **CREDIT, "loan_share": loan_share, "interest_rate": 0.05,
        "default_probability_on_failure": 0.0, "equity_link": link or None,
    }  # fmt: skip
    return data


def test_k17_the_banks_net_with_the_link() -> None:
    """A loan of 8 at 5%, repaid at acceptance (t = 2): the bank nets 0.8 of interest;
    with share 0.25 of the follow-on value 8 it receives 2 more at t = 3, and the
    solver 6 instead of 8."""
    led = ledger(_linked(share=0.25))
    assert rows(led, kind="bank_link_income", payer="external") == [[3.0, exact(2.0)]]
    assert rows(led, kind="solver_value") == [[3.0, exact(6.0)]]
    runs = fundflow.simulate(_linked(share=0.25), runs=1, seed=0).runs.iloc[0]
    assert runs["bank_link_income"] == exact(2.0)
    assert runs["bank_net"] == exact(2.8)
    assert runs["bank_net_without_link"] == exact(0.8)
    off = fundflow.simulate(_linked(), runs=1, seed=0).runs.iloc[0]
    assert (off["bank_net"], off["bank_link_income"]) == (exact(0.8), 0.0)


def test_k17_no_link_on_a_route_the_bank_did_not_lend_to() -> None:
    led = ledger(_linked(loan_share=0.0, share=0.25))
    assert rows(led, kind="bank_link_income") == []
    assert rows(led, kind="solver_value") == [[3.0, exact(8.0)]]
