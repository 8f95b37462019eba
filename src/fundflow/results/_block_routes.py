"""Per-row arrays of a block's stacked ledgers, and the routes table of the block.

The routes table of :func:`fundflow.results.measures.route_measures`, for every
replication of a :class:`~fundflow.engine.outcome.BlockOutcome` at once: sums per
(replication, route) are ``np.bincount``'s on ``replication * (R + 1) + route + 1``
keys (the extra bin of each replication collects its rows of no route), which add
each bin's rows in ledger order as the one-replication bincount does.
"""

from __future__ import annotations

import numpy as np

from fundflow.engine.ledger import K, P
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.results._segments import seg_cumsum, seg_sum
from fundflow.results.measures import _IS_GOV

__all__ = ["ROUTE_COLUMNS", "ROUTE_KINDS", "Rows", "route_measures", "solver_loss"]

#: Kinds of payment with a per-route total column, and the column's name.
ROUTE_KINDS = {
    "cost_spent": "rd_spending",
    "demander_paid": "demander_installment",
    "gov_compensation": "compensation",
    "gov_clawback": "clawback",
    "gov_success_award": "success_award",
    "solver_value": "solver_value",
}
#: The routes table's columns, in order (those of a measure's ``routes``).
ROUTE_COLUMNS = (
    "status end_time end_review misconduct cost_spent demander_paid gov_matching "
    "gov_compensation gov_clawback gov_success_award solver_value solver_net_cash "
    "solver_npv solver_loss solver_peak_funding_gap gov_net_cost demander_npv"
).split()


class Rows:
    """Per-row arrays of a block's ledger that several measures share, computed once.

    ``rep`` is each row's replication (an index into the block); ``in_time_order``
    says that every replication's rows are in time order (checked, not assumed).
    """

    def __init__(self, block: BlockOutcome, rate: float) -> None:
        led = block.ledger
        self.led = led
        self.n = len(block)
        self.rep = np.repeat(np.arange(self.n, dtype=np.intp), np.diff(block.offsets))
        self.gov_pays = _IS_GOV[led.payer]
        self.gov_gets = _IS_GOV[led.payee]
        self.gov_out = self.signed(self.gov_pays, self.gov_gets)
        self.disc = np.power(1.0 + rate, -led.time)
        same_rep = self.rep[1:] == self.rep[:-1]
        self.in_time_order = bool(np.all((led.time[1:] >= led.time[:-1]) | ~same_rep))

    def signed(self, plus: np.ndarray, minus: np.ndarray) -> np.ndarray:
        """Per row: +amount where ``plus``, -amount where ``minus`` (0 where both or neither)."""
        return np.asarray(self.led.amount * (plus.astype(float) - minus.astype(float)))

    def total(self, kind: str) -> np.ndarray:
        """Per replication, the sum of the amounts of one kind of payment."""
        code = K.get(kind)
        if code is None:
            return np.zeros(self.n)
        rows = self.led.kind == code
        return seg_sum(self.led.amount[rows], self.rep[rows], self.n)


def route_measures(plan: EnginePlan, block: BlockOutcome, rows: Rows) -> dict[str, np.ndarray]:
    """The routes table's columns for the block, replication after replication.

    A sum column holds ``int64`` zeros where no replication of the block has a row to
    add (as :func:`fundflow.results.measures.route_measures` gives for one
    replication; concatenated with other blocks' floats it becomes float).
    """
    led, n = rows.led, rows.n
    r = plan.layout.n_routes
    sol_flow = rows.signed(led.payee == P["solver"], led.payer == P["solver"])
    on_route = led.route >= 0
    key = rows.rep * (r + 1) + led.route.astype(np.intp) + 1
    size = n * (r + 1)

    def per_route(mask: np.ndarray | None, weights: np.ndarray, any_rows: bool) -> np.ndarray:
        k, w = (key, weights) if mask is None else (key[mask], weights[mask])
        sums = np.bincount(k, weights=w, minlength=size).reshape(n, r + 1)[:, 1:].ravel()
        return sums if any_rows else np.zeros(n * r, dtype=np.int64)

    gov_to = (led.payer == P["government"]) & (led.kind == K["matching"])
    any_rows = bool(on_route.any())
    net_cash = per_route(None, sol_flow, any_rows)
    moves = on_route & (sol_flow != 0)
    out = {
        "status": block.status.ravel(),
        "end_time": block.end_time.ravel(),
        "end_review": block.end_review.ravel(),
        "misconduct": block.misconduct.ravel(),
    }
    for column, kind in ROUTE_KINDS.items():
        if kind not in K:  # a kind this version does not write
            out[column] = np.zeros(n * r, dtype=np.int64)
            continue
        of_kind = led.kind == K[kind]
        out[column] = per_route(of_kind, led.amount, bool((of_kind & on_route).any()))
    out["gov_matching"] = per_route(gov_to, led.amount, bool((gov_to & on_route).any()))
    out |= {
        "solver_net_cash": net_cash,
        "solver_npv": per_route(None, sol_flow * rows.disc, any_rows),
        "solver_loss": solver_loss(net_cash, np.bincount(rows.rep[on_route], minlength=n) > 0),
        "solver_peak_funding_gap": _route_peaks(rows, moves, -sol_flow[moves], r),
        **_challenge_flows(plan, rows),
    }
    return {c: out[c] for c in ROUTE_COLUMNS}


def solver_loss(net_cash: np.ndarray, has_rows: np.ndarray) -> np.ndarray:
    """``np.maximum(0.0, -net_cash)``, with 0.0 (not -0.0) in a replication without a row
    on a route (``has_rows`` false): alone, its net cash is integer zeros."""
    loss = np.maximum(0.0, -net_cash).reshape(has_rows.size, -1)
    return np.where(has_rows[:, None], loss, 0.0).ravel()


def _route_peaks(rows: Rows, moves: np.ndarray, flow: np.ndarray, r: int) -> np.ndarray:
    """Max cumulative net outflow per (replication, route), flows at equal times netted
    first, with the bits of :func:`fundflow.results.measures._per_route_peak`: its
    running sum runs over a replication's routes one after the other."""
    n = rows.n
    peak = np.zeros(n * r)
    if flow.size == 0:
        return peak
    key = rows.rep[moves] * r + rows.led.route[moves].astype(np.intp)
    time = rows.led.time[moves]
    # in time order, a stable sort by key gives the two-key sort's permutation
    order = np.argsort(key, kind="stable") if rows.in_time_order else np.lexsort((time, key))
    k, t, f = key[order], time[order], flow[order]
    new = np.ones(k.size, dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    f = np.add.reduceat(f, starts)
    k = k[starts]
    rep = k // r
    cum = seg_cumsum(f, rep, n)
    first = np.ones(k.size, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    seg = np.flatnonzero(first)
    rep_first = np.ones(seg.size, dtype=bool)
    rep_first[1:] = rep[seg[1:]] != rep[seg[:-1]]
    offset = np.where(rep_first, 0.0, cum[seg - 1])
    cum -= np.repeat(offset, np.diff(np.append(seg, k.size)))
    peak[k[seg]] = np.maximum(np.maximum.reduceat(cum, seg), 0.0)
    return peak


def _challenge_flows(plan: EnginePlan, rows: Rows) -> dict[str, np.ndarray]:
    """Government net cost and demander NPV per route (challenge-level rows on its first)."""
    led, n = rows.led, rows.n
    r = plan.layout.n_routes
    first = np.append(plan.layout.first_route, -1)  # challenge -1 -> no route
    slot = np.where(led.route >= 0, led.route, first[led.challenge]).astype(np.intp) + 1
    key = rows.rep * (r + 1) + slot
    dem_in = rows.signed(led.payee == P["demander"], led.payer == P["demander"])

    def per_route(weights: np.ndarray) -> np.ndarray:
        sums = np.bincount(key, weights=weights, minlength=n * (r + 1))
        return np.asarray(sums.reshape(n, r + 1)[:, 1:].ravel())

    return {
        "gov_net_cost": per_route(rows.gov_out),
        "demander_npv": per_route(dem_in * rows.disc),
    }
