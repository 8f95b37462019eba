"""Per-replication and per-route measures of docs/model.md ("What is reported"), from an Outcome.

Everything here is arithmetic on one replication's ledger columns; the
:mod:`fundflow.results.metrics` helpers do NPV, IRR and peak exposure. Definitions (money
in the scenario's unit, time in years):

* government flows include ``gov_lp`` (its money is government money);
  **gross outlay** = all it pays, **recoveries** = all it receives (claw-backs,
  fund distributions, stake sale), **net cost** = outlay - recoveries;
* **peak exposure** = maximum over time of cumulative net outflow (same-time flows
  netted first);
* **wasted outlay** = government payments on routes that failed, were eliminated or
  were abandoned, net of what was clawed back from them;
* **non-government funding** = R&D spending + fund investment - government net
  cost: others' money put into the projects;
* **cost per success** and **leverage** are ratios over the program, reported as
  ratios of means in the summary (:data:`RATIO_MEASURES`), not per replication:
  ``E[gov net cost] / E[challenges succeeded]`` and
  ``E[non-government funding] / E[gov net cost]``;
* **bank / guarantor / reguarantor loss** = ``max(0, -net cash)`` (interest and
  fees count as income; principal still lent at the horizon is not a loss);
  **fund TVPI** = what an LP class received / what it paid in, **IRR** from its
  yearly flows;
* **participation share** = share of started routes whose solver NPV is >= 0 (a
  solver takes a challenge only if it expects not to lose);
* a solver's **loss** is ``max(0, -net cash)`` of its route; its **peak funding
  gap** the maximum cumulative net outflow of the route; its net cash and NPV
  count every payment to or from the solver on the route, whatever its kind;
* per route, **government net cost** (``government`` and ``gov_lp``) and
  **demander NPV** count the payments of the route and, on the challenge's first
  route, those of its challenge that belong to no route (the demander's commercial
  value): summed over a challenge's routes they give the challenge's figures.
  Payments of no challenge (the guided fund's calls, fees and distributions) are
  on no route.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from fundflow.engine.ledger import KINDS, PARTIES, K, Ledger, P
from fundflow.engine.outcome import (
    ELIMINATED,
    FAILED,
    FINANCING,
    NOT_STARTED,
    STATUS,
    SUCCEEDED,
    Outcome,
)
from fundflow.engine.plan import EnginePlan
from fundflow.results import metrics
from fundflow.results.catalogue import LOSS_MEASURES, RATIO_MEASURES

__all__ = [
    "LOSS_MEASURES",
    "RATIO_MEASURES",
    "VALUE_KINDS",
    "Measures",
    "challenge_npv",
    "exposure_path",
    "measure",
    "party_net_cash",
    "route_measures",
    "run_measures",
]

#: Realised value: kinds of payment from ``external`` that are value created by a
#: success, not program money, with the party that realises it and its runs column.
VALUE_KINDS: dict[str, tuple[str, str]] = {
    "commercial_value": ("demander", "demander_value"),
    "solver_value": ("solver", "solver_value"),
}

# Lookup tables indexed by code: ``_IS_GOV[ledger.payer]`` is a row mask.
_IS_GOV = np.isin(np.arange(len(PARTIES)), [P["government"], P["gov_lp"]])
_IS_WASTED = np.isin(np.arange(len(STATUS)), [FAILED, ELIMINATED, FINANCING])
_N_KINDS = len(KINDS)
_NO_LP = (0.0, np.nan, np.nan)


class Measures(NamedTuple):
    """Everything measured on one replication."""

    row: dict[str, float]  # its row of the runs table
    routes: dict[str, np.ndarray]  # its rows of the routes table, one entry per route
    net_cash: np.ndarray  # net cash by party code
    exposure: np.ndarray  # government cumulative net outflow at the grid's times


def _signed(amount: np.ndarray, plus: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """Per row: +amount where ``plus``, -amount where ``minus`` (0 where both or neither)."""
    return np.asarray(amount * (plus.astype(float) - minus.astype(float)))


class _Rows:
    """Per-row arrays of one ledger that several measures share, computed once.

    The ledger is written in event order, so its times never decrease
    (``in_time_order``; checked, not assumed): time-ordered sums then need no sort.
    """

    __slots__ = ("disc", "gov_gets", "gov_out", "gov_pays", "in_time_order", "kind_rows", "led")

    def __init__(self, led: Ledger, rate: float) -> None:
        self.led = led
        self.gov_pays = _IS_GOV[led.payer]
        self.gov_gets = _IS_GOV[led.payee]
        self.gov_out = _signed(led.amount, self.gov_pays, self.gov_gets)  # its outflow
        self.disc = np.power(1.0 + rate, -led.time)  # as metrics.npv discounts
        self.in_time_order = bool(np.all(led.time[1:] >= led.time[:-1]))
        self.kind_rows = np.bincount(led.kind, minlength=_N_KINDS)

    def total(self, kind: str) -> float:
        """Sum of the amounts of one kind of payment (0.0 when there is none or no such kind)."""
        code = K.get(kind)
        if code is None or not self.kind_rows[code]:
            return 0.0
        return float(self.led.amount[self.led.kind == code].sum())


def _per_route_peak(
    route: np.ndarray, time: np.ndarray, flow: np.ndarray, n: int, in_time_order: bool = False
) -> np.ndarray:
    """Max cumulative net outflow per route, flows at equal times netted first."""
    peak = np.zeros(n)
    if route.size == 0:
        return peak
    # by route, then time; when the rows are in time order a stable sort by route
    # gives the same permutation as the two-key sort
    order = np.argsort(route, kind="stable") if in_time_order else np.lexsort((time, route))
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


def measure(plan: EnginePlan, out: Outcome, grid: np.ndarray) -> Measures:
    """Every measure of one replication, sharing the per-row work between them.

    The same numbers, bit for bit, as :func:`route_measures`, :func:`run_measures`,
    :func:`party_net_cash` and :func:`exposure_path` called one after the other.
    """
    rows = _Rows(out.ledger, plan.scenario.discount_rate)
    net = out.ledger.net_cash()
    routes = _route_measures(plan, out, rows)
    return Measures(
        row=_run_measures(plan, out, routes, rows, net),
        routes=routes,
        net_cash=net,
        exposure=_exposure_path(rows, grid),
    )


def route_measures(plan: EnginePlan, out: Outcome) -> dict[str, np.ndarray]:
    """One entry per route: status code, costs, the solver's cash, NPV, loss and gap.

    ``status`` holds codes of :data:`fundflow.engine.outcome.STATUS` (``int8``) and
    ``end_review`` is ``int8``: what travels back from a worker is kept small;
    :class:`~fundflow.results.result.SimulationResult` turns them into names and ``int64``.
    """
    return _route_measures(plan, out, _Rows(out.ledger, plan.scenario.discount_rate))


def _route_measures(plan: EnginePlan, out: Outcome, rows: _Rows) -> dict[str, np.ndarray]:
    led = out.ledger
    n = plan.layout.n_routes
    sol_flow = _signed(led.amount, led.payee == P["solver"], led.payer == P["solver"])
    # bin 0 collects the rows of no route; each bin adds its rows in ledger order,
    # as a bincount over the route's rows alone would
    slot = led.route.astype(np.intp) + 1
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
            led.route[moves].astype(np.int64),
            led.time[moves],
            -sol_flow[moves],
            n,
            rows.in_time_order,
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
    return {
        "gov_net_cost": np.bincount(slot, weights=rows.gov_out, minlength=n + 1)[1:],
        "demander_npv": np.bincount(slot, weights=dem_in * rows.disc, minlength=n + 1)[1:],
    }


def _by_route(sums: np.ndarray, any_rows: bool | np.integer) -> np.ndarray:
    """Per-route sums as ``np.bincount`` gives them over the rows summed alone.

    Over no rows at all ``np.bincount`` returns ``int64`` zeros, not floats; the
    routes table has always had that dtype for such a column (e.g.
    ``gov_compensation`` without error tolerance), and it is kept.
    """
    return sums if any_rows else np.zeros(sums.size, dtype=np.int64)


def run_measures(plan: EnginePlan, out: Outcome, routes: dict[str, np.ndarray]) -> dict[str, float]:
    """The runs-table row of one replication (``routes`` from :func:`route_measures`)."""
    rows = _Rows(out.ledger, plan.scenario.discount_rate)
    return _run_measures(plan, out, routes, rows, out.ledger.net_cash())


def _run_measures(
    plan: EnginePlan, out: Outcome, routes: dict[str, np.ndarray], rows: _Rows, net: np.ndarray
) -> dict[str, float]:
    led = out.ledger
    gov_out = rows.gov_out
    outlay = float(led.amount[rows.gov_pays].sum())
    recoveries = float(led.amount[rows.gov_gets].sum())
    net_cost = outlay - recoveries
    status = out.status
    started = status != NOT_STARTED
    # routes that failed, were eliminated or abandoned; the extra False is for
    # rows of no route (route -1)
    on_wasted = np.append(_IS_WASTED[status], False)[led.route]
    wasted = float(gov_out[on_wasted].sum())
    n_ch = plan.layout.n_challenges
    route_ch = plan.layout.route_challenge
    succeeded_ch = int(np.count_nonzero(np.bincount(route_ch[status == SUCCEEDED], minlength=n_ch)))
    started_ch = int(np.count_nonzero(np.bincount(route_ch[started], minlength=n_ch)))
    rd = rows.total("rd_spending")
    invested = rows.total("investment")
    dem_out = _signed(led.amount, led.payer == P["demander"], led.payee == P["demander"])
    value = rows.total("commercial_value")
    n_started = int(started.sum())
    row = {
        "gov_gross_outlay": outlay,
        "gov_recoveries": recoveries,
        "gov_net_cost": net_cost,
        "gov_npv_net_cost": float(np.sum(gov_out * rows.disc)),  # metrics.npv
        "gov_peak_exposure": metrics.peak_exposure(led.time, gov_out),
        "gov_wasted_outlay": wasted,
        "gov_committed_unpaid": out.committed_unpaid,
        "gov_delayed_payments": float(out.delayed_payments),
        "gov_mean_delay": out.total_delay / out.delayed_payments if out.delayed_payments else 0.0,
        "nongov_funding": rd + invested - net_cost,
        **_solver_measures(routes, status),
        "demander_net_cost": float(dem_out.sum()) + value,
        "demander_value": value,
        "demander_npv": -float(np.sum(dem_out * rows.disc)),  # metrics.npv
        "solver_value": rows.total("solver_value"),
        "rd_spending": rd,
        "routes_started": float(n_started),
        "challenges_succeeded": float(succeeded_ch),
        "success_rate": succeeded_ch / started_ch if started_ch else np.nan,
    }
    row.update(_instrument_measures(rows, out, net))
    return row


def _solver_measures(routes: dict[str, np.ndarray], status: np.ndarray) -> dict[str, float]:
    """The solvers' measures of one run, from the per-route arrays."""
    started = status != NOT_STARTED
    n_started = int(started.sum())
    loss = routes["solver_loss"]
    return {
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
    }


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


def _instrument_measures(rows: _Rows, out: Outcome, net: np.ndarray) -> dict[str, float]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    led = rows.led
    payer_rows = np.bincount(led.payer, minlength=len(PARTIES))
    gov_lp, social_lp = P["gov_lp"], P["social_lp"]
    # an LP class that paid nothing has no TVPI or IRR
    gov_paid_in, gov_tvpi, gov_irr = _lp_measures(led, gov_lp) if payer_rows[gov_lp] else _NO_LP
    social_paid_in, social_tvpi, social_irr = (
        _lp_measures(led, social_lp) if payer_rows[social_lp] else _NO_LP
    )
    if rows.kind_rows[K["guarantee_payout"]]:
        gov_payout = (led.kind == K["guarantee_payout"]) & (led.payer == P["government"])
        guarantee_loss = float(led.amount[gov_payout].sum())
    else:
        guarantee_loss = 0.0
    return {
        "gov_tax_expenditure": rows.total("tax_expenditure") - rows.total("tax_recapture"),
        "gov_guarantee_loss": guarantee_loss,
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
    return _exposure_path(_Rows(out.ledger, plan.scenario.discount_rate), grid)


def _exposure_path(rows: _Rows, grid: np.ndarray) -> np.ndarray:
    time, flow = rows.led.time, rows.gov_out
    if not rows.in_time_order:
        order = np.argsort(time, kind="stable")
        time, flow = time[order], flow[order]
    cum = np.concatenate([[0.0], np.cumsum(flow)])
    return np.asarray(cum[np.searchsorted(time, grid, side="right")])


def party_net_cash(out: Outcome) -> dict[str, float]:
    """Net cash (received minus paid) of every party in one replication."""
    return dict(zip(PARTIES, out.ledger.net_cash().tolist(), strict=True))


def challenge_npv(
    layout: Any, status: np.ndarray, npv: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per replication and challenge *name*: solver NPV summed over started routes, and
    the number of routes started (copies of a challenge pooled).

    Parameters
    ----------
    layout : Layout
        The scenario's layout (``route_spec`` maps a route to its challenge entry).
    status : ndarray
        Route status codes (:data:`fundflow.engine.outcome.STATUS`) or names, replication
        by replication (``layout.n_routes`` each).
    npv : ndarray
        The routes' solver NPV, in the same order.

    Returns
    -------
    (ndarray, ndarray)
        Both of shape ``(replications, challenges in the scenario)``: the NPV sums
        and the counts. Their ratio of means is the expected solver NPV per route
        (:func:`fundflow.results.metrics.ratio_of_means`).
    """
    n_routes = int(layout.n_routes)
    status = np.asarray(status)
    if status.dtype.kind not in "iu":
        status = np.asarray([STATUS.index(str(s)) for s in status.tolist()])
    started = (status != NOT_STARTED).reshape(-1, n_routes)
    by_name = np.zeros((n_routes, int(layout.route_spec.max(initial=-1)) + 1))
    by_name[np.arange(n_routes), layout.route_spec] = 1.0
    values = np.where(started, np.asarray(npv, dtype=float).reshape(-1, n_routes), 0.0)
    return values @ by_name, started.astype(float) @ by_name
