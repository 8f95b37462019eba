"""The measures of one replication, written plainly in NumPy: the oracle of the block measures.

:func:`measure` computes, from one :class:`~fundflow.engine.outcome.Outcome`, the runs
row, routes rows, net cash and exposure path that
:func:`fundflow.results.block_measures.measure_block` gives for it, with whole-array
NumPy operations instead of loops over rows. It adds in fundflow's order (the
docstring of :mod:`fundflow.results._block_kernels`), so the two agree to the last
bit:

* a total is :func:`total`: the values one at a time from ``0.0`` (``np.cumsum`` adds
  one after the other; ``ndarray.sum`` would add pairwise), and ``np.bincount``, which
  adds each bin's values in order from ``0.0``, for totals per route or party;
* a running sum is ``0.0 + np.cumsum(...)``;
* the rows are taken in time order, rows at equal times in ledger order.

Definitions of the measures: the docstring of :mod:`fundflow.results.measures`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundflow.engine.ledger import COLUMNS, KINDS, K, Ledger, P
from fundflow.engine.outcome import FINANCING, NOT_STARTED, SUCCEEDED, Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.results import metrics
from fundflow.results.measures import _IS_GOV, _IS_WASTED, Measures

__all__ = ["measure", "total"]

_N_KINDS = len(KINDS)
#: Kinds of payment that are tax forgone (or tax on the subsidy), not budget cash.
TAX_KINDS = ("tax_expenditure", "tax_recapture", "tax_on_subsidy")
_NO_LP = (0.0, np.nan, np.nan)


def total(values: Any) -> float:
    """The values added one at a time, in order, from ``0.0``."""
    values = np.asarray(values, dtype=np.float64)
    return float(0.0 + np.cumsum(values)[-1]) if values.size else 0.0


def _signed(amount: np.ndarray, plus: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """Per row: +amount where ``plus``, -amount where ``minus`` (0 where both or neither)."""
    return np.asarray(amount * (plus.astype(float) - minus.astype(float)))


class _Rows:
    """Per-row arrays of one ledger (in time order) that several measures share."""

    def __init__(self, led: Ledger, rate: float, tax: Any) -> None:
        if not bool(np.all(led.time[1:] >= led.time[:-1])):
            order = np.argsort(led.time, kind="stable")
            led = Ledger(**{c: getattr(led, c)[order] for c in COLUMNS})
        self.led = led
        # not between the government's own accounts (its risk pool)
        self.gov_pays = _IS_GOV[led.payer] & ~_IS_GOV[led.payee]
        self.gov_gets = _IS_GOV[led.payee] & ~_IS_GOV[led.payer]
        gov_out = _signed(led.amount, self.gov_pays, self.gov_gets)  # with its fund stake
        is_tax = np.isin(led.kind, [K[k] for k in TAX_KINDS])
        weight = np.where(
            led.kind == K["tax_on_subsidy"], tax.borne_share, tax.borne_share * tax.additionality
        )
        # all in: budget cash, the fund stake, the tax attributable to the program
        self.all_out = np.where(is_tax, gov_out * weight, gov_out)
        # budget cash: the government's own payments that are not tax
        budget_party = np.isin(np.arange(len(_IS_GOV)), [P["government"], P["pool"]])
        budget = _signed(led.amount, budget_party[led.payer], budget_party[led.payee])
        self.gov_out = np.where(is_tax, 0.0, budget)
        self.disc = np.power(1.0 + rate, -led.time)  # as metrics.npv discounts

    def total(self, kind: str) -> float:
        """The amounts of one kind of payment (0.0 where there is none or no such kind)."""
        code = K.get(kind)
        return 0.0 if code is None else total(self.led.amount[self.led.kind == code])


def measure(plan: EnginePlan, out: Outcome, grid: np.ndarray) -> Measures:
    """Every measure of one replication."""
    rows = _Rows(out.ledger, plan.scenario.discount_rate, plan.scenario.government.tax)
    net = rows.led.net_cash()
    routes = _route_measures(plan, out, rows)
    return Measures(
        row=_run_measures(plan, out, routes, rows, net),
        routes=routes,
        net_cash=net,
        exposure=_exposure_path(rows, grid),
    )


def _per_route_peak(route: np.ndarray, time: np.ndarray, flow: np.ndarray, n: int) -> np.ndarray:
    """Max cumulative net outflow per route (rows in time order), flows at equal times
    netted first, clamped at 0."""
    peak = np.zeros(n)
    order = np.argsort(route, kind="stable")
    r, t, f = route[order], time[order], flow[order]
    new = np.ones(r.size, dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (t[1:] != t[:-1])
    at_time = np.bincount(np.cumsum(new) - 1, weights=f)  # each time's flows, from 0.0
    r = r[new]
    for u in np.unique(r).tolist():
        peak[u] = max(0.0, float((0.0 + np.cumsum(at_time[r == u])).max()))
    return peak


def _route_measures(plan: EnginePlan, out: Outcome, rows: _Rows) -> dict[str, np.ndarray]:
    """Per route: status, costs, the solver's cash, NPV, loss and gap; a sum over no row
    at all is ``int64`` zeros, as ``np.bincount`` gives it."""
    led = rows.led
    n = plan.layout.n_routes
    sol_flow = _signed(led.amount, led.payee == P["solver"], led.payer == P["solver"])
    slot = led.route.astype(np.intp) + 1  # bin 0 collects the rows of no route
    on_route = slot > 0
    by_kind = np.bincount(
        slot * _N_KINDS + led.kind, weights=led.amount, minlength=(n + 1) * _N_KINDS
    ).reshape(n + 1, _N_KINDS)[1:]
    kinds_on_routes = np.bincount(led.kind[on_route], minlength=_N_KINDS)

    def of_kind(kind: str) -> np.ndarray:
        if kind not in K:  # a kind this version does not write
            return np.zeros(n, dtype=np.int64)
        return _by_route(by_kind[:, K[kind]], kinds_on_routes[K[kind]])

    gov_to = (led.payer == P["government"]) & (led.kind == K["matching"])
    matching = np.bincount(slot[gov_to], weights=led.amount[gov_to], minlength=n + 1)[1:]
    any_rows = bool(on_route.any())
    net_cash = _by_route(np.bincount(slot, weights=sol_flow, minlength=n + 1)[1:], any_rows)
    npv = np.bincount(slot, weights=sol_flow * rows.disc, minlength=n + 1)[1:]
    moves = on_route & (sol_flow != 0)
    return {
        "status": out.status,
        "end_time": out.end_time,
        "end_review": out.end_review,
        "misconduct": out.misconduct,
        "cost_spent": of_kind("rd_spending"),
        "demander_paid": of_kind("demander_installment"),
        "gov_matching": _by_route(matching, bool((gov_to & on_route).any())),
        "gov_compensation": of_kind("compensation"),
        "gov_clawback": of_kind("clawback"),
        "gov_success_award": of_kind("success_award"),
        "solver_value": of_kind("solver_value"),
        "solver_net_cash": net_cash,
        "solver_npv": _by_route(npv, any_rows),
        "solver_loss": np.maximum(0.0, -net_cash),
        "solver_peak_funding_gap": _per_route_peak(
            led.route[moves].astype(np.int64), led.time[moves], -sol_flow[moves], n
        ),
        **_challenge_flows(plan, rows),
    }


def _challenge_flows(plan: EnginePlan, rows: _Rows) -> dict[str, np.ndarray]:
    """Government net cost and demander NPV per route (challenge-level rows on its first)."""
    led = rows.led
    n = plan.layout.n_routes
    first = np.append(plan.layout.first_route, -1)  # challenge -1 -> no route
    slot = np.where(led.route >= 0, led.route, first[led.challenge]).astype(np.intp) + 1
    dem_in = _signed(led.amount, led.payee == P["demander"], led.payer == P["demander"])
    gov_money = ((led.kind == K["matching"]) | (led.kind == K["clawback"])) & (led.route >= 0)
    return {
        "gov_budget_cost": np.bincount(slot, weights=rows.gov_out, minlength=n + 1)[1:],
        "gov_net_cost": np.bincount(slot, weights=rows.all_out, minlength=n + 1)[1:],
        "demander_npv": np.bincount(slot, weights=dem_in * rows.disc, minlength=n + 1)[1:],
        "demander_gov_npv": np.bincount(
            slot, weights=dem_in * rows.disc * gov_money, minlength=n + 1
        )[1:].astype(np.float64),
    }


def _by_route(sums: np.ndarray, any_rows: bool | np.integer) -> np.ndarray:
    """Per-route sums as ``np.bincount`` gives them over the rows summed alone."""
    return sums if any_rows else np.zeros(sums.size, dtype=np.int64)


def _run_measures(
    plan: EnginePlan, out: Outcome, routes: dict[str, np.ndarray], rows: _Rows, net: np.ndarray
) -> dict[str, float]:
    led = rows.led
    gov_out = rows.gov_out
    outlay = total(led.amount[rows.gov_pays])
    recoveries = total(led.amount[rows.gov_gets])
    money = _government_money(plan, rows, net)
    status = out.status
    started = status != NOT_STARTED
    # routes that failed, were eliminated or abandoned; the extra False is for
    # rows of no route (route -1)
    on_wasted = np.append(_IS_WASTED[status], False)[led.route]
    n_ch = plan.layout.n_challenges
    route_ch = plan.layout.route_challenge
    succeeded_ch = int(np.count_nonzero(np.bincount(route_ch[status == SUCCEEDED], minlength=n_ch)))
    started_ch = int(np.count_nonzero(np.bincount(route_ch[started], minlength=n_ch)))
    rd = rows.total("rd_spending")
    invested = rows.total("investment")
    dem_out = _signed(led.amount, led.payer == P["demander"], led.payee == P["demander"])
    value = rows.total("commercial_value")
    row = {
        **money,
        "gov_gross_outlay": outlay,
        "gov_recoveries": recoveries,
        "gov_npv_budget_cost": total(gov_out * rows.disc),
        "gov_npv_net_cost": total(rows.all_out * rows.disc),
        "gov_peak_exposure": metrics.peak_exposure(led.time, gov_out),
        "gov_wasted_outlay": total(gov_out[on_wasted]),
        "gov_committed_unpaid": out.committed_unpaid,
        "gov_delayed_payments": float(out.delayed_payments),
        "gov_mean_delay": out.total_delay / out.delayed_payments if out.delayed_payments else 0.0,
        "nongov_funding": rd
        + invested
        - money["gov_budget_cost"]
        - _lp_measures(led, P["gov_lp"])[0],
        "nongov_funding_all_in": rd + invested - money["gov_net_cost"],
        **_solver_measures(routes, status),
        "demander_net_cost": total(dem_out) + value,
        "demander_value": value,
        "demander_npv": -total(dem_out * rows.disc),
        "solver_value": rows.total("solver_value"),
        "rd_spending": rd,
        "routes_started": float(started.sum()),
        "challenges_succeeded": float(succeeded_ch),
        "success_rate": succeeded_ch / started_ch if started_ch else np.nan,
    }
    row.update(_instrument_measures(rows, out, net))
    equilibrium = plan.scenario.solver.entry == "equilibrium"
    row["challenges_unfilled"] = float(plan.layout.n_challenges - started_ch) * equilibrium
    return row


def _solver_measures(routes: dict[str, np.ndarray], status: np.ndarray) -> dict[str, float]:
    """The solvers' measures of one run, from the per-route arrays."""
    started = status != NOT_STARTED
    n_started = int(started.sum())
    loss = routes["solver_loss"]
    npv = routes["solver_npv"]
    return {
        "solver_net_cash": total(routes["solver_net_cash"]),
        "solver_npv": total(npv),
        "solver_mean_npv": total(npv[started]) / n_started if n_started else np.nan,
        "solver_loss": total(loss),
        "solver_loss_share": float((loss[started] > 0).mean()) if n_started else np.nan,
        "solver_participation_share": (float((npv[started] >= 0).mean()) if n_started else np.nan),
        "solver_peak_funding_gap": float(routes["solver_peak_funding_gap"].max(initial=0.0)),
        "financing_failures": float((status == FINANCING).sum()),
    }


def _lp_measures(led: Ledger, party: int) -> tuple[float, float, float]:
    """Paid-in, TVPI and IRR of one LP class (NaN where it paid nothing in)."""
    pays = led.payer == party
    gets = led.payee == party
    paid_in = total(led.amount[pays])
    if paid_in <= 0.0:
        return _NO_LP
    received = total(led.amount[gets])
    mask = pays | gets
    flows = np.where(gets[mask], 1.0, -1.0) * led.amount[mask]
    return paid_in, received / paid_in, metrics.irr(led.time[mask], flows)


def _instrument_measures(rows: _Rows, out: Outcome, net: np.ndarray) -> dict[str, float]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    led = rows.led
    gov_paid_in, gov_tvpi, gov_irr = _lp_measures(led, P["gov_lp"])
    social_paid_in, social_tvpi, social_irr = _lp_measures(led, P["social_lp"])
    gov_payout = (led.kind == K["guarantee_payout"]) & (led.payer == P["government"])
    return {
        "gov_guarantee_loss": total(led.amount[gov_payout]),
        "fund_investments": float(out.fund_investments),
        "fund_gov_paid_in": gov_paid_in,
        "fund_gov_tvpi": gov_tvpi,
        "fund_gov_irr": gov_irr,
        "fund_social_paid_in": social_paid_in,
        "fund_social_tvpi": social_tvpi,
        "fund_social_irr": social_irr,
        "fund_social_net_cash": float(net[P["social_lp"]]),
        "loan_defaults": float(out.defaulted.sum()),
        "loans_outstanding": out.loans_outstanding,
        # principal still lent at the horizon is not (yet) a loss
        "bank_loss": max(0.0, float(-net[P["bank"]]) - out.loans_outstanding),
        "guarantor_loss": max(0.0, float(-net[P["guarantor"]])),
        "reguarantor_loss": max(0.0, float(-net[P["reguarantor"]])),
        "pool_payouts": rows.total("pool_payout"),
        "pool_left": rows.total("pool_return"),
        "bank_link_income": rows.total("bank_link_income"),
        "bank_net": float(net[P["bank"]]) + out.loans_outstanding,
        "bank_net_without_link": float(net[P["bank"]])
        + out.loans_outstanding
        - rows.total("bank_link_income"),
    }


def _government_money(plan: EnginePlan, rows: _Rows, net: np.ndarray) -> dict[str, float]:
    """The kinds of government money (docs/model.md, "Kinds of government money")."""
    led, tax = rows.led, plan.scenario.government.tax
    budget = total(rows.gov_out)
    fund_net = float(-net[P["gov_lp"]])
    deducted = rows.total("tax_expenditure") - rows.total("tax_recapture")
    on_subsidy = led.kind == K["tax_on_subsidy"]
    subsidy = total(
        _signed(led.amount, led.payee == P["government"], led.payer == P["government"])[on_subsidy]
    )
    attributable = tax.borne_share * (tax.additionality * deducted - subsidy)
    return {
        "gov_budget_cost": budget,
        "gov_fund_net_cost": fund_net,
        "gov_tax_forgone": deducted - subsidy,
        "gov_tax_attributable": attributable,
        "gov_net_cost": budget + fund_net + attributable,
    }


def _exposure_path(rows: _Rows, grid: np.ndarray) -> np.ndarray:
    """The government's cumulative net outflow at each time of ``grid`` (flows up to t)."""
    cum = np.concatenate([[0.0], 0.0 + np.cumsum(rows.gov_out)])
    return np.asarray(cum[np.searchsorted(rows.led.time, grid, side="right")])
