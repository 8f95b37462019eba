"""Per-replication and per-route measures of MODEL.md section 9, from an Outcome.

Everything here is arithmetic on one replication's ledger columns; the
:mod:`fundflow.metrics` helpers do NPV, IRR and peak exposure. Definitions (money
in the scenario's unit, time in years):

* government flows include ``gov_lp`` (its money is government money);
  **gross outlay** = all it pays, **recoveries** = all it receives (claw-backs,
  fund distributions, stake sale), **net cost** = outlay - recoveries;
* **peak exposure** = maximum over time of cumulative net outflow (same-time flows
  netted first);
* **wasted outlay** = government payments on routes that failed, were eliminated or
  were abandoned, net of what was clawed back from them;
* **leverage** = (R&D spending + fund investment - government net cost) /
  government net cost: others' money put into the projects per unit of government
  net cost (NaN when the net cost is not positive);
* **bank / guarantor / reguarantor loss** = ``max(0, -net cash)`` (interest and
  fees count as income; principal still lent at the horizon is not a loss);
  **fund TVPI** = what an LP class received / what it paid in, **IRR** from its
  yearly flows;
* **participation share** = share of started routes whose solver NPV is >= 0 (a
  solver takes a challenge only if it expects not to lose);
* a solver's **loss** is ``max(0, -net cash)`` of its route; its **peak funding
  gap** the maximum cumulative net outflow of the route.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import metrics
from ._engine_des import ELIMINATED, FAILED, FINANCING, NOT_STARTED, STATUS, SUCCEEDED, Outcome
from .ledger import PARTIES, K, P
from .plan import EnginePlan

__all__ = ["LOSS_MEASURES", "route_measures", "run_measures"]

#: Loss-like measures of the runs table (VaR, CVaR and loss probability reported).
LOSS_MEASURES: tuple[str, ...] = (
    "gov_net_cost",
    "gov_npv_net_cost",
    "gov_peak_exposure",
    "solver_loss",
    "demander_net_cost",
    "bank_loss",
    "guarantor_loss",
    "reguarantor_loss",
)

_GOV_CODES = np.array([P["government"], P["gov_lp"]])
_WASTED = np.array([FAILED, ELIMINATED, FINANCING])


def _signed_outflow(ledger: Any, codes: np.ndarray) -> np.ndarray:
    """Per row: +amount when one of ``codes`` pays, -amount when it receives."""
    pays = np.isin(ledger.payer, codes)
    gets = np.isin(ledger.payee, codes)
    return np.asarray(ledger.amount * (pays.astype(float) - gets.astype(float)))


def _per_route_peak(route: np.ndarray, time: np.ndarray, flow: np.ndarray, n: int) -> np.ndarray:
    """Max cumulative net outflow per route, flows at equal times netted first."""
    peak = np.zeros(n)
    if route.size == 0:
        return peak
    order = np.lexsort((time, route))
    r, t, f = route[order], time[order], flow[order]
    new = np.ones(r.size, dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    f = np.add.reduceat(f, starts)
    r = r[starts]
    cum = np.cumsum(f)
    first = np.ones(r.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    seg = np.flatnonzero(first)
    offset = np.repeat(np.concatenate([[0.0], cum[seg[1:] - 1]]), np.diff(np.append(seg, r.size)))
    cum -= offset
    peaks = np.maximum.reduceat(cum, seg)
    peak[r[seg]] = np.maximum(peaks, 0.0)
    return peak


def route_measures(plan: EnginePlan, out: Outcome) -> dict[str, np.ndarray]:
    """One entry per route: status, costs, the solver's cash, NPV, loss and funding gap."""
    led = out.ledger
    n = plan.layout.n_routes
    rate = plan.scenario.discount_rate
    on_route = led.route >= 0
    route = led.route[on_route].astype(np.int64)
    amount = led.amount[on_route]
    time = led.time[on_route]
    kind = led.kind[on_route]
    payer, payee = led.payer[on_route], led.payee[on_route]
    sol_flow = amount * ((payee == P["solver"]).astype(float) - (payer == P["solver"]))
    disc = (1.0 + rate) ** -time

    def by_route(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.bincount(route[mask], weights=weights[mask], minlength=n)

    everything = np.ones(route.size, dtype=bool)
    gov_to = (payer == P["government"]) & (kind == K["matching"])
    net_cash = by_route(everything, sol_flow)
    return {
        "route": np.arange(n),
        "challenge": np.asarray(plan.layout.route_challenge),
        "status": np.asarray(STATUS, dtype=object)[out.status],
        "end_time": out.end_time,
        "end_review": out.end_review.astype(np.int64),
        "misconduct": out.misconduct,
        "cost_spent": by_route(kind == K["rd_spending"], amount),
        "demander_paid": by_route(kind == K["demander_installment"], amount),
        "gov_matching": by_route(gov_to, amount),
        "gov_compensation": by_route(kind == K["compensation"], amount),
        "gov_clawback": by_route(kind == K["clawback"], amount),
        "solver_net_cash": net_cash,
        "solver_npv": by_route(everything, sol_flow * disc),
        "solver_loss": np.maximum(0.0, -net_cash),
        "solver_peak_funding_gap": _per_route_peak(
            route[sol_flow != 0], time[sol_flow != 0], -sol_flow[sol_flow != 0], n
        ),
    }


def run_measures(plan: EnginePlan, out: Outcome, routes: dict[str, np.ndarray]) -> dict[str, float]:
    """The runs-table row of one replication."""
    led = out.ledger
    sc = plan.scenario
    gov_out = _signed_outflow(led, _GOV_CODES)
    outlay = float(led.amount[np.isin(led.payer, _GOV_CODES)].sum())
    recoveries = float(led.amount[np.isin(led.payee, _GOV_CODES)].sum())
    net_cost = outlay - recoveries
    status = out.status
    started = status != NOT_STARTED
    wasted_routes = np.flatnonzero(np.isin(status, _WASTED))
    on_wasted = np.isin(led.route, wasted_routes)
    wasted = float(gov_out[on_wasted].sum())
    succeeded_ch = np.unique(plan.layout.route_challenge[status == SUCCEEDED]).size
    started_ch = np.unique(plan.layout.route_challenge[started]).size
    rd = float(led.amount[led.kind == K["rd_spending"]].sum())
    invested = float(led.amount[led.kind == K["investment"]].sum())
    dem_out = _signed_outflow(led, np.array([P["demander"]]))
    value = float(led.amount[led.kind == K["commercial_value"]].sum())
    n_started = int(started.sum())
    loss = routes["solver_loss"]
    row = {
        "gov_gross_outlay": outlay,
        "gov_recoveries": recoveries,
        "gov_net_cost": net_cost,
        "gov_npv_net_cost": metrics.npv(led.time, gov_out, sc.discount_rate),
        "gov_peak_exposure": metrics.peak_exposure(led.time, gov_out),
        "gov_wasted_outlay": wasted,
        "gov_committed_unpaid": out.committed_unpaid,
        "gov_delayed_payments": float(out.delayed_payments),
        "gov_mean_delay": out.total_delay / out.delayed_payments if out.delayed_payments else 0.0,
        "gov_cost_per_success": net_cost / succeeded_ch if succeeded_ch else np.nan,
        "leverage": (rd + invested - net_cost) / net_cost if net_cost > 0 else np.nan,
        "solver_net_cash": float(routes["solver_net_cash"].sum()),
        "solver_npv": float(routes["solver_npv"].sum()),
        "solver_mean_npv": float(routes["solver_npv"][started].mean()) if n_started else np.nan,
        "solver_loss": float(loss.sum()),
        "solver_loss_share": float((loss[started] > 0).mean()) if n_started else np.nan,
        "solver_participation_share": (
            float((routes["solver_npv"][started] >= 0).mean()) if n_started else np.nan
        ),
        "solver_peak_funding_gap": float(routes["solver_peak_funding_gap"].max(initial=0.0)),
        "financing_failures": float((status == FINANCING).sum()),
        "demander_net_cost": float(dem_out.sum()) + value,
        "demander_value": value,
        "demander_npv": -metrics.npv(led.time, dem_out, sc.discount_rate),
        "rd_spending": rd,
        "routes_started": float(n_started),
        "challenges_succeeded": float(succeeded_ch),
        "success_rate": succeeded_ch / started_ch if started_ch else np.nan,
    }
    row.update(_instrument_measures(led, out))
    return row


def _lp_measures(led: Any, party: int) -> tuple[float, float, float]:
    """Paid-in, TVPI and IRR of one LP class (NaN where it paid nothing in)."""
    pays = led.payer == party
    gets = led.payee == party
    paid_in = float(led.amount[pays].sum())
    if paid_in <= 0.0:
        return 0.0, np.nan, np.nan
    received = float(led.amount[gets].sum())
    mask = pays | gets
    flows = np.where(gets[mask], 1.0, -1.0) * led.amount[mask]
    return paid_in, received / paid_in, metrics.irr(led.time[mask], flows)


def _instrument_measures(led: Any, out: Outcome) -> dict[str, float]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    net = led.net_cash()
    kind = led.kind
    gov_paid_in, gov_tvpi, gov_irr = _lp_measures(led, P["gov_lp"])
    social_paid_in, social_tvpi, social_irr = _lp_measures(led, P["social_lp"])
    gov_payout = (kind == K["guarantee_payout"]) & (led.payer == P["government"])
    return {
        "gov_tax_expenditure": float(led.amount[kind == K["tax_expenditure"]].sum()),
        "gov_guarantee_loss": float(led.amount[gov_payout].sum()),
        "gov_fund_net_cost": float(-net[P["gov_lp"]]),
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
    }


def exposure_path(plan: EnginePlan, out: Outcome, grid: np.ndarray) -> np.ndarray:
    """The government's cumulative net outflow at each time of ``grid`` (flows up to t)."""
    led = out.ledger
    flow = _signed_outflow(led, _GOV_CODES)
    order = np.argsort(led.time, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(flow[order])])
    return np.asarray(cum[np.searchsorted(led.time[order], grid, side="right")])


def party_net_cash(out: Outcome) -> dict[str, float]:
    """Net cash (received minus paid) of every party in one replication."""
    return dict(zip(PARTIES, out.ledger.net_cash().tolist(), strict=True))
