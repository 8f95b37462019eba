"""Every measure of :mod:`fundflow.results.measures` for a whole block of replications.

:func:`measure_block` reads a :class:`~fundflow.engine.outcome.BlockOutcome` (the
replications' ledgers stacked) and gives every replication's runs row, routes rows,
net cash and exposure path. Every sum is made by the loops of
:mod:`fundflow.results._block_kernels`, in the one order its docstring defines (a
replication's rows one after the other in time order, from ``0.0``): compiled, or the
same functions run as Python where numba is missing (the same bits) or a ledger's
code is out of range (which they refuse). What is done here in NumPy adds nothing
up: differences, ratios, counts and maxima of those sums. A replication's numbers
therefore do not depend on the block it was measured in. Only the guided fund's LP
IRR, when a fund exists, is computed replication by replication.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from fundflow.engine.ledger import COLUMNS, KINDS, PARTIES, K, Ledger, P
from fundflow.engine.outcome import FINANCING, NOT_STARTED, SUCCEEDED, BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.results import metrics
from fundflow.results.measures import _IS_GOV, _IS_WASTED

__all__ = [
    "BUDGET_KINDS",
    "ROUTE_COLUMNS",
    "ROUTE_KINDS",
    "TAX_KINDS",
    "YEAR_QUANTITIES",
    "BlockMeasures",
    "measure_block",
]

_N_PARTIES = len(PARTIES)
#: Kinds of payment with a per-route total column, and the column's name.
ROUTE_KINDS = {
    "cost_spent": "rd_spending",
    "demander_paid": "demander_installment",
    "gov_compensation": "compensation",
    "gov_clawback": "clawback",
    "gov_success_award": "success_award",
    "solver_value": "solver_value",
}
#: The routes table's columns, in order.
ROUTE_COLUMNS = (
    "status end_time end_review misconduct cost_spent demander_paid gov_matching "
    "gov_compensation gov_clawback gov_success_award solver_value solver_net_cash "
    "solver_npv solver_loss solver_peak_funding_gap gov_budget_cost gov_net_cost "
    "demander_npv demander_gov_npv"
).split()
#: Kinds of payment that are tax forgone (or tax on the subsidy), not budget cash.
TAX_KINDS = ("tax_expenditure", "tax_recapture", "tax_on_subsidy")
#: Kinds of government payment that the annual budget covers (docs/model.md, "Annual
#: budget"); the government's other budget cash (its share of credit losses, the
#: risk pool) is outside it.
BUDGET_KINDS = ("matching", "compensation", "clawback", "success_award")
#: What :attr:`BlockMeasures.years` holds per replication and budget year, in order:
#: budget cash under the annual budget (outlays less claw-backs), budget cash outside
#: it, payments committed and unpaid at the year's end, 1.0 where a payment due by
#: then waited (the budget bound), what the government LP paid into the fund, tax
#: forgone (a memo).
YEAR_QUANTITIES = (
    "budget_cash",
    "outside_budget",
    "committed_unpaid",
    "budget_binds",
    "fund_calls",
    "tax_forgone",
)
#: Kinds of payment whose per-replication totals are runs-table measures.
_RUN_KINDS = (
    "rd_spending",
    "investment",
    "commercial_value",
    "solver_value",
    "tax_expenditure",
    "tax_recapture",
    "tax_on_subsidy",
    "pool_payout",
    "pool_return",
    "bank_link_income",
)


class BlockMeasures(NamedTuple):
    """Everything measured on a block of ``n`` replications of ``R`` routes each."""

    runs: dict[str, np.ndarray]  # the runs table's columns, (n,) each
    routes: dict[str, np.ndarray]  # the routes table's columns, (n * R,) each
    net_cash: np.ndarray  # (n, parties) net cash by party code
    exposure: np.ndarray  # (n, len(grid)) government cumulative net outflow
    years: np.ndarray  # (n, len(YEAR_QUANTITIES), budget years)


class _Sums(NamedTuple):
    """What the loops add up, per replication: ``ru`` the ``RU_*`` totals, ``kinds``
    the totals of :data:`_RUN_KINDS`, what each party received and paid, and ``led``
    the ledger in the order it was summed (time order within each replication)."""

    ru: np.ndarray
    kinds: dict[str, np.ndarray]
    received: np.ndarray
    paid: np.ndarray
    led: Ledger
    loops: Any


def measure_block(plan: EnginePlan, block: BlockOutcome, grid: np.ndarray) -> BlockMeasures:
    """Every measure of every replication of a block.

    Parameters
    ----------
    plan : EnginePlan
        The plan the block was simulated from.
    block : BlockOutcome
        The block's ledgers and per-route facts.
    grid : ndarray
        Times, in increasing order, at which the government's exposure path is
        recorded.

    Returns
    -------
    BlockMeasures
        ``(runs, routes, net_cash, exposure)``; replication ``i``'s values are those of
        a block of replication ``i`` alone.
    """
    grid = np.asarray(grid, dtype=np.float64)
    if np.any(np.diff(grid) < 0):
        raise ValueError("the exposure grid must be in increasing order")
    offsets = np.asarray(block.offsets, dtype=np.int64)
    if offsets[0] != 0 or offsets[-1] != len(block.ledger) or np.any(np.diff(offsets) < 0):
        raise ValueError("the block's offsets do not cover its ledger")
    loops, columns, led, times = _ordered(block, offsets)
    out = loops.measure_rows(
        columns,
        offsets,
        # the discount factors of each run of equal times (ledgers repeat times a lot)
        np.power(1.0 + plan.scenario.discount_rate, -times),
        grid,
        _lookups(plan, block, loops),
        len(_RUN_KINDS),
        _N_PARTIES,
    )
    rt, ru, kinds, received, paid, exposure, flags, counts = out
    routes = _routes(block, rt, flags, counts > 0, loops)
    routes["demander_gov_npv"] = _demander_gov_npv(plan, block)
    sums = _Sums(ru, {k: kinds[:, j] for j, k in enumerate(_RUN_KINDS)}, received, paid, led, loops)
    return BlockMeasures(
        _run_measures(plan, block, routes, sums),
        routes,
        received - paid,
        exposure,
        _years(block, loops, columns),
    )


def _years(block: BlockOutcome, loops: Any, columns: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per replication, :data:`YEAR_QUANTITIES` by budget year: the loops' sums of the
    ledger's rows by year and the engine's year-end facts."""
    year_class = np.full(len(KINDS), loops.Y_NONE, dtype=np.int64)
    for kind in KINDS:
        if kind in TAX_KINDS:
            year_class[K[kind]] = loops.Y_TAX
        elif kind == "capital_call":
            year_class[K[kind]] = loops.Y_FUND
        else:  # budget cash on the government's rows (year_rows weighs the others 0)
            year_class[K[kind]] = loops.Y_BUDGET if kind in BUDGET_KINDS else loops.Y_OUTSIDE
    n_years = block.unpaid_by_year.shape[1]
    sums = loops.year_rows(
        columns, block.offsets, year_class, P["government"], P["gov_lp"], n_years
    )
    out = np.empty((len(block), len(YEAR_QUANTITIES), n_years))
    out[:, 0], out[:, 1] = sums[:, loops.Y_BUDGET], sums[:, loops.Y_OUTSIDE]
    out[:, 2], out[:, 3] = block.unpaid_by_year, block.binds_by_year
    out[:, 4], out[:, 5] = sums[:, loops.Y_FUND], sums[:, loops.Y_TAX]
    return out


def _demander_gov_npv(plan: EnginePlan, block: BlockOutcome) -> np.ndarray:
    """Per route, the NPV of the government's money to the demander: the match it
    received less what was clawed back from it (the demander's NPV without the
    government's money is ``demander_npv`` less this)."""
    led = block.ledger
    n, r = block.status.shape
    counts: np.ndarray = np.diff(np.asarray(block.offsets, dtype=np.int64))
    rep = np.repeat(np.arange(n), counts)
    kind = led.kind.astype(np.int64)
    money = (kind == K["matching"]) | (kind == K["clawback"])
    dem = P["demander"]
    sign = np.where(led.payee == dem, 1.0, np.where(led.payer == dem, -1.0, 0.0))
    disc = np.power(1.0 + plan.scenario.discount_rate, -led.time)
    keep = money & (sign != 0.0) & (led.route >= 0)
    slot = rep[keep] * r + led.route[keep].astype(np.int64)
    flows = led.amount[keep] * sign[keep] * disc[keep]
    return np.bincount(slot, weights=flows, minlength=n * r).astype(np.float64)


def _kernels() -> Any:
    """The compiled loops (:mod:`fundflow.results._block_kernels`), or None without numba."""
    from fundflow.engine.kernel_cache import load
    from fundflow.results import _block_kernels

    return load("fundflow.results._block_kernels") if _block_kernels.COMPILED else None


def _ordered(
    block: BlockOutcome, offsets: np.ndarray
) -> tuple[Any, tuple[np.ndarray, ...], Ledger, np.ndarray]:
    """The loops to run, the ledger's columns for them, the ledger in time order within
    each replication (rows at equal times in ledger order: a stable sort, needed only
    where the rows are not in time order already) and the first time of each run of
    equal times."""
    led = block.ledger
    columns, in_range = _columns(led)
    loops = _kernels() if in_range else None
    if loops is None:  # the same loops, as Python
        from fundflow.results._block_kernels import python_loops

        loops = python_loops()
    in_order, times = loops.run_times(led.time, offsets)
    if not in_order:
        rep = np.repeat(np.arange(len(block)), np.diff(offsets))
        order = np.lexsort((led.time, rep))
        led = Ledger(**{c: getattr(led, c)[order] for c in COLUMNS})
        columns = tuple(col[order] for col in columns)
        times = loops.run_times(led.time, offsets)[1]
    return loops, columns, led, times


def _lookups(plan: EnginePlan, block: BlockOutcome, loops: Any) -> tuple[np.ndarray, ...]:
    """The tables the loops index by code (see ``measure_rows``)."""
    route_col = np.full(len(KINDS), loops.N_RC, dtype=np.int64)  # N_RC: none
    for j, kind in enumerate(ROUTE_KINDS.values()):
        route_col[K[kind]] = j
    kind_slot = np.full(len(KINDS), len(_RUN_KINDS), dtype=np.int64)  # the last: unused
    kind_slot[[K[k] for k in _RUN_KINDS]] = np.arange(len(_RUN_KINDS))
    codes = [P["solver"], P["demander"], P["government"], K["matching"], K["guarantee_payout"]]
    first_route = np.append(plan.layout.first_route, -1).astype(np.int64)
    tax = plan.scenario.government.tax
    budget_kind, all_in_kind = np.ones(len(KINDS)), np.ones(len(KINDS))
    for kind in TAX_KINDS:
        budget_kind[K[kind]] = 0.0  # tax forgone is not budget cash
        all_in_kind[K[kind]] = tax.borne_share * (
            1.0 if kind == "tax_on_subsidy" else tax.additionality
        )
    return (
        _IS_GOV,
        route_col,
        first_route,
        _IS_WASTED,
        np.array([*codes, NOT_STARTED, K["tax_on_subsidy"], P["pool"]], dtype=np.int64),
        kind_slot,
        block.status,
        budget_kind,
        all_in_kind,
    )


def _columns(led: Ledger) -> tuple[tuple[np.ndarray, ...], bool]:
    """The ledger's columns for the loops, party and kind codes as ``uint8`` (indices
    that need no check for a negative value), and whether every code is within its
    table. Where one is not, only the loops run as Python may read them: their
    indexing is checked, and such a code raises ``IndexError`` (no number is made of
    it)."""
    columns, in_range = [], True
    for name in COLUMNS:
        col = getattr(led, name)
        if col.dtype == np.int8:
            size = len(KINDS) if name == "kind" else _N_PARTIES
            in_range &= not col.size or bool(col.min() >= 0 and col.max() < size)
            col = col.view(np.uint8)
        columns.append(col)
    return tuple(columns), in_range


def _routes(
    block: BlockOutcome, rt: np.ndarray, flags: np.ndarray, on_route: np.ndarray, loops: Any
) -> dict[str, np.ndarray]:
    """The routes table from the loops' (columns, n, R) array. A sum column holds
    ``int64`` zeros where no replication of the block has a row to add (the dtype the
    routes table has always had for such a column; concatenated with other blocks'
    floats it becomes float)."""
    n, r = block.status.shape
    empty = np.zeros(n * r, dtype=np.int64)

    def column(j: int, flag: bool = True) -> np.ndarray:
        return rt[j].ravel() if flag else empty  # a contiguous plane: a view

    out = {k: getattr(block, k).ravel() for k in ("status", "end_time", "end_review", "misconduct")}
    for j, name in enumerate(ROUTE_KINDS):
        out[name] = column(j, bool(flags[j]))
    net_cash = column(loops.RC_NET, bool(flags[loops.RC_NET]))
    any_row = len(block.ledger) > 0
    out |= {
        "gov_matching": column(loops.RC_MATCHING, bool(flags[loops.RC_MATCHING])),
        "solver_net_cash": net_cash,
        "solver_npv": column(loops.RC_NPV, bool(flags[loops.RC_NET])),
        "solver_loss": _solver_loss(net_cash, on_route),
        "solver_peak_funding_gap": column(loops.RC_PEAK),
        "gov_budget_cost": column(loops.RC_GOV_COST, any_row),
        "gov_net_cost": column(loops.RC_GOV_ALL, any_row),
        "demander_npv": column(loops.RC_DEM_NPV, any_row),
    }
    return {c: out[c] for c in ROUTE_COLUMNS if c in out}  # demander_gov_npv: measure_block


def _solver_loss(net_cash: np.ndarray, has_rows: np.ndarray) -> np.ndarray:
    """``np.maximum(0.0, -net_cash)``, with 0.0 (not -0.0) in a replication without a row
    on a route (``has_rows`` false)."""
    loss = np.maximum(0.0, -net_cash).reshape(has_rows.size, -1)
    return np.where(has_rows[:, None], loss, 0.0).ravel()


def _positive(x: np.ndarray) -> np.ndarray:
    """Python's ``max(0.0, x)`` elementwise: 0.0 (not -0.0) where ``x <= 0``, and for NaN."""
    return np.where(x > 0.0, x, 0.0)


def _run_measures(
    plan: EnginePlan, block: BlockOutcome, routes: dict[str, np.ndarray], sums: _Sums
) -> dict[str, np.ndarray]:
    """The runs table's columns, in their order (:data:`fundflow.results.catalogue`)."""
    ru, kinds, loops = sums.ru, sums.kinds, sums.loops
    status = block.status
    money = _government_money(plan, block, sums)
    budget, net_cost = money["gov_budget_cost"], money["gov_net_cost"]
    succeeded_ch, started_ch = _challenges(plan, status)
    rd, invested, value = kinds["rd_spending"], kinds["investment"], kinds["commercial_value"]
    delayed = block.delayed_payments
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_delay = np.where(delayed > 0, block.total_delay / np.maximum(delayed, 1), 0.0)
        success_rate = np.where(started_ch > 0, succeeded_ch / np.maximum(started_ch, 1), np.nan)
    out = {
        **money,
        "gov_gross_outlay": ru[:, loops.RU_OUTLAY],
        "gov_recoveries": ru[:, loops.RU_RECOVERIES],
        "gov_npv_budget_cost": ru[:, loops.RU_BUDGET_NPV],
        "gov_npv_net_cost": ru[:, loops.RU_GOV_NPV],
        "gov_peak_exposure": ru[:, loops.RU_PEAK],
        "gov_wasted_outlay": ru[:, loops.RU_WASTED],
        "gov_committed_unpaid": block.committed_unpaid,
        "gov_delayed_payments": delayed,
        "gov_mean_delay": mean_delay,
        "nongov_funding": rd + invested - budget - _gov_paid_in(sums),
        "nongov_funding_all_in": rd + invested - net_cost,
        **_solver_measures(routes, status, ru, loops),
        "demander_net_cost": ru[:, loops.RU_DEM_OUT] + value,
        "demander_value": value,
        "demander_npv": -ru[:, loops.RU_DEM_NPV],
        "solver_value": kinds["solver_value"],
        "rd_spending": rd,
        "routes_started": np.count_nonzero(status != NOT_STARTED, axis=1),
        "challenges_succeeded": succeeded_ch,
        "success_rate": success_rate,
        **_instrument_measures(block, sums),
        # under equilibrium entry, the challenge copies where no route started
        "challenges_unfilled": (plan.layout.n_challenges - started_ch)
        * (plan.scenario.solver.entry == "equilibrium"),
    }
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def _government_money(plan: EnginePlan, block: BlockOutcome, sums: _Sums) -> dict[str, np.ndarray]:
    """The three kinds of government money (docs/model.md, "Kinds of government
    money"): budget cash, the fund stake's net, tax forgone and its attributable part,
    and the all-in net cost, their sum."""
    tax = plan.scenario.government.tax
    kinds, ru, loops = sums.kinds, sums.ru, sums.loops
    net = sums.received - sums.paid
    paid = np.diff(block.offsets) > 0  # no payment: integer net cash, whose negation is 0.0
    budget = ru[:, loops.RU_BUDGET]
    fund_net = np.where(paid, -net[:, P["gov_lp"]], 0.0)
    deducted = kinds["tax_expenditure"] - kinds["tax_recapture"]
    subsidy = ru[:, loops.RU_SUBSIDY]
    attributable = tax.borne_share * (tax.additionality * deducted - subsidy)
    return {
        "gov_budget_cost": budget,
        "gov_fund_net_cost": fund_net,
        "gov_tax_forgone": deducted - subsidy,
        "gov_tax_attributable": attributable,
        "gov_net_cost": budget + fund_net + attributable,
    }


def _gov_paid_in(sums: _Sums) -> np.ndarray:
    """What the government LP paid into the fund (0.0 where nothing)."""
    paid = sums.paid[:, P["gov_lp"]]
    return np.where(paid > 0.0, paid, 0.0)


def _challenges(plan: EnginePlan, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: challenges with a succeeded route, and with a started route."""
    n = status.shape[0]
    n_ch = plan.layout.n_challenges
    key = (np.arange(n)[:, None] * n_ch + plan.layout.route_challenge[None, :]).ravel()

    def count(mask: np.ndarray) -> np.ndarray:
        hits = np.bincount(key, weights=mask.ravel(), minlength=n * n_ch).reshape(n, n_ch)
        return np.count_nonzero(hits, axis=1)

    return count(status == SUCCEEDED), count(status != NOT_STARTED)


def _solver_measures(
    routes: dict[str, np.ndarray], status: np.ndarray, ru: np.ndarray, loops: Any
) -> dict[str, np.ndarray]:
    """The solvers' measures of each replication: the loops' totals over routes, and
    shares and maxima of the (n, R) route columns."""
    started = status != NOT_STARTED
    n_started = started.sum(axis=1)
    some = n_started > 0
    npv = np.asarray(routes["solver_npv"], dtype=np.float64).reshape(status.shape)
    loss = routes["solver_loss"].reshape(status.shape)
    denom = np.maximum(n_started, 1)
    nan = np.full(status.shape[0], np.nan)
    return {
        "solver_net_cash": ru[:, loops.RU_SOLVER_NET],
        "solver_npv": ru[:, loops.RU_SOLVER_NPV],
        "solver_mean_npv": np.where(some, ru[:, loops.RU_STARTED_NPV] / denom, nan),
        "solver_loss": ru[:, loops.RU_SOLVER_LOSS],
        "solver_loss_share": np.where(some, ((loss > 0) & started).sum(axis=1) / denom, nan),
        "solver_participation_share": np.where(
            some, ((npv >= 0) & started).sum(axis=1) / denom, nan
        ),
        "solver_peak_funding_gap": routes["solver_peak_funding_gap"]
        .reshape(status.shape)
        .max(axis=1, initial=0.0),
        "financing_failures": (status == FINANCING).sum(axis=1),
    }


def _lp_columns(sums: _Sums, offsets: np.ndarray, party: int) -> tuple[np.ndarray, ...]:
    """Paid-in, TVPI (received / paid in) and IRR of one LP class per replication; 0.0,
    NaN and NaN where it paid nothing in. The IRR is a root-finding, replication by
    replication, on the LP's yearly flows (:func:`fundflow.results.metrics.irr`)."""
    paid_in, received = sums.paid[:, party], sums.received[:, party]
    pays = paid_in > 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        tvpi = np.where(pays, received / np.where(pays, paid_in, 1.0), np.nan)
    irr = np.full(paid_in.size, np.nan)
    led = sums.led
    for i in np.flatnonzero(pays).tolist():
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        gets, mask = led.payee[lo:hi] == party, (led.payer[lo:hi] == party)
        mask |= gets
        flows = np.where(gets[mask], 1.0, -1.0) * led.amount[lo:hi][mask]
        irr[i] = metrics.irr(led.time[lo:hi][mask], flows)
    return np.where(pays, paid_in, 0.0), tvpi, irr


def _instrument_measures(block: BlockOutcome, sums: _Sums) -> dict[str, np.ndarray]:
    """Guided fund, credit and tax measures (zero or NaN where not configured)."""
    net = sums.received - sums.paid
    gov_paid_in, gov_tvpi, gov_irr = _lp_columns(sums, block.offsets, P["gov_lp"])
    social_paid_in, social_tvpi, social_irr = _lp_columns(sums, block.offsets, P["social_lp"])
    return {
        "gov_guarantee_loss": sums.ru[:, sums.loops.RU_GUARANTEE],
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
        "pool_payouts": sums.kinds["pool_payout"],
        "pool_left": sums.kinds["pool_return"],
        **_bank_measures(block, sums),
    }


def _bank_measures(block: BlockOutcome, sums: _Sums) -> dict[str, np.ndarray]:
    """The bank's link income and its net cash with and without it (principal still
    lent at the horizon counted as the bank's)."""
    bank = sums.received[:, P["bank"]] - sums.paid[:, P["bank"]] + block.loans_outstanding
    link = sums.kinds["bank_link_income"]
    return {"bank_link_income": link, "bank_net": bank, "bank_net_without_link": bank - link}
