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

from typing import Any, NamedTuple

import numpy as np

from fundflow.engine.ledger import COLUMNS, KINDS, PARTIES, K, Ledger, P
from fundflow.engine.outcome import FINANCING, NOT_STARTED, SUCCEEDED, BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.results._block_routes import (
    ROUTE_COLUMNS,
    ROUTE_KINDS,
    Rows,
    route_measures,
    solver_loss,
)
from fundflow.results._segments import seg_cumsum, seg_max, seg_starts, seg_sum
from fundflow.results.measures import _IS_GOV, _IS_WASTED, _lp_measures

__all__ = ["BlockMeasures", "measure_block"]

_N_PARTIES = len(PARTIES)
LP_CLASSES = ("gov_lp", "social_lp")
#: Kinds of payment whose per-replication totals are runs-table measures.
_RUN_KINDS = (
    "rd_spending",
    "investment",
    "commercial_value",
    "solver_value",
    "tax_expenditure",
    "tax_recapture",
)


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
    grid = np.asarray(grid, dtype=np.float64)
    found = _compiled_sums(plan, block, grid)
    routes, sums = found if found is not None else _numpy_sums(plan, block, grid)
    runs = _run_measures(plan, block, routes, sums)
    return BlockMeasures(runs, routes, sums.net, sums.exposure)


class _Sums(NamedTuple):
    """Per-replication sums that the runs table is made of, (n,) arrays each."""

    outlay: np.ndarray
    recoveries: np.ndarray
    gov_npv: np.ndarray  # government net outflows discounted to t = 0
    peak: np.ndarray  # government peak exposure
    wasted: np.ndarray
    dem_out: np.ndarray  # demander's net outflow
    dem_npv: np.ndarray  # demander's net outflow discounted
    guarantee: np.ndarray  # government's guarantee payouts
    kinds: dict[str, np.ndarray]  # totals of the kinds of _RUN_KINDS
    net: np.ndarray  # (n, parties)
    exposure: np.ndarray  # (n, grid)
    lp_payers: np.ndarray  # (n, 2): gov_lp, social_lp paid something


def _numpy_sums(
    plan: EnginePlan, block: BlockOutcome, grid: np.ndarray
) -> tuple[dict[str, np.ndarray], _Sums]:
    """The routes table and the sums with NumPy operations over the whole block."""
    rows = Rows(block, plan.scenario.discount_rate)
    routes = route_measures(plan, block, rows)
    led, n, rep = rows.led, rows.n, rows.rep
    r = plan.layout.n_routes
    # the extra False is for rows of no route (route -1)
    wasted_route = np.concatenate([_IS_WASTED[block.status], np.zeros((n, 1), dtype=bool)], 1)
    on_wasted = wasted_route.ravel()[rep * (r + 1) + led.route]
    dem_out = rows.signed(led.payer == P["demander"], led.payee == P["demander"])
    payout = (led.kind == K["guarantee_payout"]) & (led.payer == P["government"])
    peak, exposure = _gov_paths(rows, grid)
    sums = _Sums(
        outlay=seg_sum(led.amount[rows.gov_pays], rep[rows.gov_pays], n),
        recoveries=seg_sum(led.amount[rows.gov_gets], rep[rows.gov_gets], n),
        gov_npv=seg_sum(rows.gov_out * rows.disc, rep, n),
        peak=peak,
        wasted=seg_sum(rows.gov_out[on_wasted], rep[on_wasted], n),
        dem_out=seg_sum(dem_out, rep, n),
        dem_npv=seg_sum(dem_out * rows.disc, rep, n),
        guarantee=seg_sum(led.amount[payout], rep[payout], n),
        kinds={k: rows.total(k) for k in _RUN_KINDS},
        net=_net_cash(rows),
        exposure=exposure,
        lp_payers=np.stack(
            [np.bincount(rep[led.payer == P[lp]], minlength=n) > 0 for lp in LP_CLASSES], 1
        ),
    )
    return routes, sums


def _kernels() -> Any:
    """The compiled loops (:mod:`fundflow.results._block_kernels`), or None without numba."""
    from fundflow.engine.kernel_cache import load

    return load("fundflow.results._block_kernels")


def _compiled_sums(
    plan: EnginePlan, block: BlockOutcome, grid: np.ndarray
) -> tuple[dict[str, np.ndarray], _Sums] | None:
    """The routes table and the sums from the compiled loops; None where they do not
    apply (numba missing, a replication's rows or the grid out of time order, a party
    or kind code out of range)."""
    kernels = _kernels()
    if kernels is None or np.any(np.diff(grid) < 0):
        return None
    led = block.ledger
    columns = _unsigned_codes(led)
    in_order, times = kernels.run_times(led.time, np.asarray(block.offsets, dtype=np.int64))
    if columns is None or not in_order:
        return None
    route_col = np.full(len(KINDS), kernels.N_RC, dtype=np.uint64)  # N_RC: none
    for j, kind in enumerate(ROUTE_KINDS.values()):
        route_col[K[kind]] = j
    kind_slot = np.full(len(KINDS), len(_RUN_KINDS), dtype=np.uint64)  # the last: unused
    kind_slot[[K[k] for k in _RUN_KINDS]] = np.arange(len(_RUN_KINDS))
    codes = [P["solver"], P["demander"], P["government"], K["matching"], K["guarantee_payout"]]
    codes += [P["gov_lp"], P["social_lp"]]
    first_route = np.append(plan.layout.first_route, -1).astype(np.int64)
    lookup = (_IS_GOV, route_col, first_route, _IS_WASTED, np.array(codes, dtype=np.int64))
    rt, ru, kinds, net, exposure, flags, counts = kernels.measure_rows(
        columns,
        np.asarray(block.offsets, dtype=np.int64),
        # the discount factors of each run of equal times (ledgers repeat times a lot)
        np.power(1.0 + plan.scenario.discount_rate, -times),
        grid,
        (*lookup, kind_slot, block.status),
        len(_RUN_KINDS),
        _N_PARTIES,
    )
    routes = _compiled_routes(block, rt, flags, counts[:, 0] > 0, kernels)
    sums = _Sums(
        outlay=ru[:, kernels.RU_OUTLAY],
        recoveries=ru[:, kernels.RU_RECOVERIES],
        gov_npv=ru[:, kernels.RU_GOV_NPV],
        peak=ru[:, kernels.RU_PEAK],
        wasted=ru[:, kernels.RU_WASTED],
        dem_out=ru[:, kernels.RU_DEM_OUT],
        dem_npv=ru[:, kernels.RU_DEM_NPV],
        guarantee=ru[:, kernels.RU_GUARANTEE],
        kinds={k: kinds[:, j] for j, k in enumerate(_RUN_KINDS)},
        net=net,
        exposure=exposure,
        lp_payers=counts[:, 1:] > 0,
    )
    return routes, sums


def _unsigned_codes(led: Ledger) -> tuple[np.ndarray, ...] | None:
    """The ledger's columns for the compiled loops, party and kind codes as ``uint8``
    (indices that need no check for a negative value); None where a code is out of
    its range (the NumPy path then handles the ledger)."""
    columns = []
    for name in COLUMNS:
        col = getattr(led, name)
        if col.dtype == np.int8:
            size = len(KINDS) if name == "kind" else _N_PARTIES
            if col.size and (col.min() < 0 or col.max() >= size):
                return None
            col = col.view(np.uint8)
        columns.append(col)
    return tuple(columns)


def _compiled_routes(
    block: BlockOutcome, rt: np.ndarray, flags: np.ndarray, on_route: np.ndarray, kernels: Any
) -> dict[str, np.ndarray]:
    """The routes table from the compiled loops' (columns, n, R) array."""
    n, r = block.status.shape
    empty = np.zeros(n * r, dtype=np.int64)  # a sum over no row at all (see route_measures)

    def column(j: int, flag: bool = True) -> np.ndarray:
        return rt[j].ravel() if flag else empty  # a contiguous plane: a view

    out = {k: getattr(block, k).ravel() for k in ("status", "end_time", "end_review", "misconduct")}
    for j, name in enumerate(ROUTE_KINDS):
        out[name] = column(j, bool(flags[j]))
    net_cash = column(kernels.RC_NET, bool(flags[kernels.RC_NET]))
    any_row = len(block.ledger) > 0
    out |= {
        "gov_matching": column(kernels.RC_MATCHING, bool(flags[kernels.RC_MATCHING])),
        "solver_net_cash": net_cash,
        "solver_npv": column(kernels.RC_NPV, bool(flags[kernels.RC_NET])),
        "solver_loss": solver_loss(net_cash, on_route),
        "solver_peak_funding_gap": column(kernels.RC_PEAK),
        "gov_net_cost": column(kernels.RC_GOV_COST, any_row),
        "demander_npv": column(kernels.RC_DEM_NPV, any_row),
    }
    return {c: out[c] for c in ROUTE_COLUMNS}


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
    plan: EnginePlan, block: BlockOutcome, routes: dict[str, np.ndarray], sums: _Sums
) -> dict[str, np.ndarray]:
    """The runs table's columns, in the order of the one-replication row."""
    status = block.status
    net_cost = sums.outlay - sums.recoveries
    succeeded_ch, started_ch = _challenges(plan, status)
    rd, invested = sums.kinds["rd_spending"], sums.kinds["investment"]
    value = sums.kinds["commercial_value"]
    delayed = block.delayed_payments
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_delay = np.where(delayed > 0, block.total_delay / np.maximum(delayed, 1), 0.0)
        success_rate = np.where(started_ch > 0, succeeded_ch / np.maximum(started_ch, 1), np.nan)
    out = {
        "gov_gross_outlay": sums.outlay,
        "gov_recoveries": sums.recoveries,
        "gov_net_cost": net_cost,
        "gov_npv_net_cost": sums.gov_npv,
        "gov_peak_exposure": sums.peak,
        "gov_wasted_outlay": sums.wasted,
        "gov_committed_unpaid": block.committed_unpaid,
        "gov_delayed_payments": delayed,
        "gov_mean_delay": mean_delay,
        "nongov_funding": rd + invested - net_cost,
        **_solver_measures(routes, status),
        "demander_net_cost": sums.dem_out + value,
        "demander_value": value,
        "demander_npv": -sums.dem_npv,
        "solver_value": sums.kinds["solver_value"],
        "rd_spending": rd,
        "routes_started": np.count_nonzero(status != NOT_STARTED, axis=1),
        "challenges_succeeded": succeeded_ch,
        "success_rate": success_rate,
        **_instrument_measures(block, sums),
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


def _lp_columns(block: BlockOutcome, party: str, pays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Paid-in, TVPI and IRR of one LP class per replication (NaN where it paid nothing:
    ``pays`` false), replication by replication (an IRR is a root-finding)."""
    n = len(block)
    paid_in, tvpi, irr = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    for i in np.flatnonzero(pays).tolist():
        paid_in[i], tvpi[i], irr[i] = _lp_measures(block.outcome(i).ledger, P[party])
    return paid_in, tvpi, irr


def _instrument_measures(block: BlockOutcome, sums: _Sums) -> dict[str, np.ndarray]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    net = sums.net
    # a replication without a payment has integer net cash alone: its negation is 0.0
    paid = np.diff(block.offsets) > 0
    gov_paid_in, gov_tvpi, gov_irr = _lp_columns(block, "gov_lp", sums.lp_payers[:, 0])
    social_paid_in, social_tvpi, social_irr = _lp_columns(block, "social_lp", sums.lp_payers[:, 1])
    return {
        "gov_tax_expenditure": sums.kinds["tax_expenditure"] - sums.kinds["tax_recapture"],
        "gov_guarantee_loss": sums.guarantee,
        "gov_fund_net_cost": np.where(paid, -net[:, P["gov_lp"]], 0.0),
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
