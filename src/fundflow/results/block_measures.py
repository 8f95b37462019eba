"""The measures of :mod:`fundflow.results.measures` for a whole block of replications at once.

:func:`measure_block` reads a :class:`~fundflow.engine.outcome.BlockOutcome` (the
replications' ledgers stacked) and gives, for every replication, the numbers
:func:`fundflow.results.measures.measure` gives on it alone, to the last bit: every sum
adds the same values in the same order (``np.bincount`` on (replication, bin) keys adds
each bin's rows in ledger order; :mod:`fundflow.results._segments` gives each
replication's pairwise sums and running sums their own bits). A replication's numbers
therefore do not depend on the block it was measured in. Only the guided fund's LP
IRR, when a fund exists, is computed replication by replication.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fundflow.engine.ledger import COLUMNS, PARTIES, K, Ledger, P
from fundflow.engine.outcome import FINANCING, NOT_STARTED, SUCCEEDED, BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.results._block_routes import Rows, route_measures
from fundflow.results._segments import seg_cumsum, seg_max, seg_starts, seg_sum
from fundflow.results.measures import _IS_WASTED, _lp_measures

__all__ = ["BlockMeasures", "measure_block"]

_N_PARTIES = len(PARTIES)


class BlockMeasures(NamedTuple):
    """Everything measured on a block of ``n`` replications of ``R`` routes each."""

    runs: dict[str, np.ndarray]  # the runs table's columns, (n,) each
    routes: dict[str, np.ndarray]  # the routes table's columns, (n * R,) each
    net_cash: np.ndarray  # (n, parties) net cash by party code
    exposure: np.ndarray  # (n, len(grid)) government cumulative net outflow


def measure_block(plan: EnginePlan, block: BlockOutcome, grid: np.ndarray) -> BlockMeasures:
    """Every measure of every replication of a block.

    Parameters
    ----------
    plan : EnginePlan
        The plan the block was simulated from.
    block : BlockOutcome
        The block's ledgers and per-route facts.
    grid : ndarray
        Times at which the government's exposure path is recorded.

    Returns
    -------
    BlockMeasures
        ``(runs, routes, net_cash, exposure)``; replication ``i``'s values equal, bit
        for bit, those of ``measure(plan, block.outcome(i), grid)``.
    """
    rows = Rows(block, plan.scenario.discount_rate)
    routes = route_measures(plan, block, rows)
    net = _net_cash(rows)
    peak, exposure = _gov_paths(rows, np.asarray(grid, dtype=np.float64))
    runs = _run_measures(plan, block, rows, routes, net, peak)
    return BlockMeasures(runs, routes, net, exposure)


def _positive(x: np.ndarray) -> np.ndarray:
    """Python's ``max(0.0, x)`` elementwise: 0.0 (not -0.0) where ``x <= 0``, and for NaN."""
    return np.where(x > 0.0, x, 0.0)


def _net_cash(rows: Rows) -> np.ndarray:
    led, n = rows.led, rows.n
    key = rows.rep * _N_PARTIES
    size = n * _N_PARTIES
    received = np.bincount(key + led.payee, weights=led.amount, minlength=size)
    paid = np.bincount(key + led.payer, weights=led.amount, minlength=size)
    return np.asarray(received - paid, dtype=np.float64).reshape(n, _N_PARTIES)


def _gov_paths(rows: Rows, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peak exposure and the exposure path of each replication.

    Rows without a government flow add exactly 0.0 to a running sum and are left
    out; rows at equal times are netted first for the peak (as
    :func:`fundflow.results.metrics.peak_exposure` does).
    """
    n = rows.n
    keep = rows.gov_out != 0.0
    rep, time, flow = rows.rep[keep], rows.led.time[keep], rows.gov_out[keep]
    if not rows.in_time_order:
        order = np.lexsort((time, rep))
        rep, time, flow = rep[order], time[order], flow[order]
    new = np.ones(rep.size, dtype=bool)
    new[1:] = (rep[1:] != rep[:-1]) | (time[1:] != time[:-1])
    group = np.cumsum(new) - 1
    net = np.bincount(group, weights=flow, minlength=int(new.sum()))
    group_rep = rep[new]
    peak = _positive(seg_max(seg_cumsum(net, group_rep, n), group_rep, n, 0.0))
    cum = seg_cumsum(flow, rep, n)
    g = grid.size
    # rows of a replication at or before grid[j]: those with searchsorted(grid, t) <= j
    first_j = np.searchsorted(grid, time, side="left")
    upto = np.bincount(rep * (g + 1) + first_j, minlength=n * (g + 1)).reshape(n, g + 1)
    count = np.cumsum(upto[:, :g], axis=1)
    _, starts = seg_starts(rep, n)
    last = starts[:, None] + count - 1
    exposure = np.where(count > 0, cum[np.maximum(last, 0)] if cum.size else 0.0, 0.0)
    return peak, np.asarray(exposure, dtype=np.float64)


def _run_measures(
    plan: EnginePlan,
    block: BlockOutcome,
    rows: Rows,
    routes: dict[str, np.ndarray],
    net: np.ndarray,
    peak: np.ndarray,
) -> dict[str, np.ndarray]:
    led, n, rep = rows.led, rows.n, rows.rep
    outlay = seg_sum(led.amount[rows.gov_pays], rep[rows.gov_pays], n)
    recoveries = seg_sum(led.amount[rows.gov_gets], rep[rows.gov_gets], n)
    net_cost = outlay - recoveries
    status = block.status
    r = plan.layout.n_routes
    # the extra False is for rows of no route (route -1)
    wasted_route = np.concatenate([_IS_WASTED[status], np.zeros((n, 1), dtype=bool)], axis=1)
    on_wasted = wasted_route.ravel()[rep * (r + 1) + led.route]
    wasted = seg_sum(rows.gov_out[on_wasted], rep[on_wasted], n)
    succeeded_ch, started_ch = _challenges(plan, status)
    rd, invested = rows.total("rd_spending"), rows.total("investment")
    value = rows.total("commercial_value")
    dem_out = rows.signed(led.payer == P["demander"], led.payee == P["demander"])
    delayed = block.delayed_payments
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_delay = np.where(delayed > 0, block.total_delay / np.maximum(delayed, 1), 0.0)
        success_rate = np.where(started_ch > 0, succeeded_ch / np.maximum(started_ch, 1), np.nan)
    out = {
        "gov_gross_outlay": outlay,
        "gov_recoveries": recoveries,
        "gov_net_cost": net_cost,
        "gov_npv_net_cost": seg_sum(rows.gov_out * rows.disc, rep, n),
        "gov_peak_exposure": peak,
        "gov_wasted_outlay": wasted,
        "gov_committed_unpaid": block.committed_unpaid,
        "gov_delayed_payments": delayed,
        "gov_mean_delay": mean_delay,
        "nongov_funding": rd + invested - net_cost,
        **_solver_measures(routes, status),
        "demander_net_cost": seg_sum(dem_out, rep, n) + value,
        "demander_value": value,
        "demander_npv": -seg_sum(dem_out * rows.disc, rep, n),
        "solver_value": rows.total("solver_value"),
        "rd_spending": rd,
        "routes_started": np.count_nonzero(status != NOT_STARTED, axis=1),
        "challenges_succeeded": succeeded_ch,
        "success_rate": success_rate,
        **_instrument_measures(block, rows, net),
    }
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def _challenges(plan: EnginePlan, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: challenges with a succeeded route, and with a started route."""
    n = status.shape[0]
    n_ch = plan.layout.n_challenges
    key = (np.arange(n)[:, None] * n_ch + plan.layout.route_challenge[None, :]).ravel()

    def count(mask: np.ndarray) -> np.ndarray:
        hits = np.bincount(key, weights=mask.ravel(), minlength=n * n_ch).reshape(n, n_ch)
        return np.count_nonzero(hits, axis=1)

    return count(status == SUCCEEDED), count(status != NOT_STARTED)


def _solver_measures(routes: dict[str, np.ndarray], status: np.ndarray) -> dict[str, np.ndarray]:
    """The solvers' measures of each replication, from the (n, R) route columns."""
    n = status.shape[0]
    started = status != NOT_STARTED
    n_started = started.sum(axis=1)
    some = n_started > 0
    npv = np.asarray(routes["solver_npv"], dtype=np.float64).reshape(status.shape)
    loss = routes["solver_loss"].reshape(status.shape)
    rep = np.broadcast_to(np.arange(n)[:, None], status.shape)[started]
    npv_sum = seg_sum(npv[started], rep, n)
    denom = np.maximum(n_started, 1)
    nan = np.full(n, np.nan)
    return {
        "solver_net_cash": routes["solver_net_cash"].reshape(status.shape).sum(axis=1),
        "solver_npv": routes["solver_npv"].reshape(status.shape).sum(axis=1),
        "solver_mean_npv": np.where(some, npv_sum / denom, nan),
        "solver_loss": loss.sum(axis=1),
        "solver_loss_share": np.where(some, ((loss > 0) & started).sum(axis=1) / denom, nan),
        "solver_participation_share": np.where(
            some, ((npv >= 0) & started).sum(axis=1) / denom, nan
        ),
        "solver_peak_funding_gap": routes["solver_peak_funding_gap"]
        .reshape(status.shape)
        .max(axis=1, initial=0.0),
        "financing_failures": (status == FINANCING).sum(axis=1),
    }


def _lp_columns(block: BlockOutcome, rows: Rows, party: int) -> tuple[np.ndarray, ...]:
    """Paid-in, TVPI and IRR of one LP class per replication (NaN where it paid nothing)."""
    n = rows.n
    paid_in, tvpi, irr = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    pays = np.bincount(rows.rep[rows.led.payer == party], minlength=n)
    for i in np.flatnonzero(pays).tolist():
        lo, hi = int(block.offsets[i]), int(block.offsets[i + 1])
        one = Ledger(**{c: getattr(rows.led, c)[lo:hi] for c in COLUMNS})
        paid_in[i], tvpi[i], irr[i] = _lp_measures(one, party)
    return paid_in, tvpi, irr


def _instrument_measures(
    block: BlockOutcome, rows: Rows, net: np.ndarray
) -> dict[str, np.ndarray]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    led, n = rows.led, rows.n
    gov_paid_in, gov_tvpi, gov_irr = _lp_columns(block, rows, P["gov_lp"])
    social_paid_in, social_tvpi, social_irr = _lp_columns(block, rows, P["social_lp"])
    payout = (led.kind == K["guarantee_payout"]) & (led.payer == P["government"])
    return {
        "gov_tax_expenditure": rows.total("tax_expenditure") - rows.total("tax_recapture"),
        "gov_guarantee_loss": seg_sum(led.amount[payout], rows.rep[payout], n),
        "gov_fund_net_cost": -net[:, P["gov_lp"]],
        "fund_investments": block.fund_investments,
        "fund_gov_paid_in": gov_paid_in,
        "fund_gov_tvpi": gov_tvpi,
        "fund_gov_irr": gov_irr,
        "fund_social_paid_in": social_paid_in,
        "fund_social_tvpi": social_tvpi,
        "fund_social_irr": social_irr,
        "fund_social_net_cash": net[:, P["social_lp"]],
        "loan_defaults": block.defaulted.sum(axis=1),
        "loans_outstanding": block.loans_outstanding,
        # principal still lent at the horizon is not (yet) a loss
        "bank_loss": _positive(-net[:, P["bank"]] - block.loans_outstanding),
        "guarantor_loss": _positive(-net[:, P["guarantor"]]),
        "reguarantor_loss": _positive(-net[:, P["reguarantor"]]),
    }

