"""A cheap check of every replication the compiled engine returns.

The compiled engine is fast because it trusts its own bookkeeping (preallocated
arrays, borrowed views, no bounds checks). :func:`check` holds each replication of
its result against what the plan and the replication's own draws allow, so that a
fault there can never come out as a number:

* every payment finite, positive and at most ten times the money the replication
  can move (its routes' costs with their overruns, awards and follow-on values, the
  challenges' values, the fund's and the risk pool's sizes times the fund's best
  exit multiple);
* every time within ``[0, horizon]``, the ledger in time order, every code known;
* every route that ended did so between its start and the horizon;
* a route that succeeded, failed or was eliminated spent exactly the cost of the
  phases it reached and of the extensions its draws give them (``I × overrun × Σ
  cost shares``, to 1e-9); one still running or abandoned for financing spent no
  more than its whole cost; one not started spent nothing.

A breach raises :class:`~fundflow.errors.EngineCheckError` naming the replication
and the rule. One compiled pass over the block's rows: about 1 µs a replication
(``benchmarks/README.md``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from fundflow.engine.draws import Draws
from fundflow.engine.ledger import KINDS, PARTIES, K, P
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.errors import EngineCheckError

__all__ = ["CHECKS", "check"]

#: What each code of the compiled check means (``_nb_guard``'s codes, in order).
CHECKS: tuple[str, ...] = (
    "none",
    "ledger row {at}: a payment that is not finite and positive, or above ten times "
    "the money the replication can move",
    "ledger row {at}: a time outside [0, horizon]",
    "ledger row {at}: a time earlier than the row before",
    "ledger row {at}: an unknown party, kind or route code",
    "route {at}: an end time before its start or after the horizon",
    "route {at}: R&D spending differs from the cost of the phases it reached",
    "route {at}: R&D spending above the route's whole cost (or before its start)",
)


@dataclass(frozen=True)
class _Terms:
    route_ch: np.ndarray
    start: np.ndarray
    inv: np.ndarray
    award: np.ndarray
    cum_cost: np.ndarray
    fund_size: float
    horizon: float
    ext: np.ndarray | None  # (3, C, P): pass probability, extension's probability, cost share


_TERMS: weakref.WeakKeyDictionary[EnginePlan, _Terms] = weakref.WeakKeyDictionary()


def _terms(plan: EnginePlan) -> _Terms:
    terms = _TERMS.get(plan)
    if terms is None:
        cps = plan.challenges
        cum = np.zeros((len(cps), plan.layout.max_phases + 1))
        for k, cp in enumerate(cps):
            cum[k, 1 : cp.n_phases + 1] = np.cumsum(cp.cost_shares)
            cum[k, cp.n_phases + 1 :] = cum[k, cp.n_phases]
        fund = plan.scenario.guided_fund
        terms = _Terms(
            route_ch=np.asarray(plan.layout.route_challenge, dtype=np.int64),
            start=np.array([cp.start for cp in cps], dtype=np.float64),
            inv=np.array([cp.investment for cp in cps], dtype=np.float64),
            award=np.array([cp.award for cp in cps], dtype=np.float64),
            cum_cost=cum,
            fund_size=(0.0 if fund is None else float(fund.size)) + _pool_size(plan),
            horizon=float(plan.scenario.horizon),
            ext=_extension_terms(plan),
        )
        _TERMS[plan] = terms
    return terms


def _pool_size(plan: EnginePlan) -> float:
    """The risk pool's size (0 without one): its endowment and top-ups, none larger,
    count with the fund's size in the bound of a payment."""
    credit = plan.scenario.credit
    return 0.0 if credit is None or credit.risk_pool is None else float(credit.risk_pool.size)


def _extension_terms(plan: EnginePlan) -> np.ndarray | None:
    """Per challenge and phase: the pass probability, the extension's probability and
    its cost share (None: no phase has an extension)."""
    specs = plan.scenario.challenges
    if not any(ph.extension is not None for ch in specs for ph in ch.phases):
        return None
    ext = np.zeros((3, len(plan.challenges), plan.layout.max_phases))
    for k, spec in enumerate(plan.layout.challenge_spec.tolist()):
        for j, ph in enumerate(specs[spec].phases):
            ext[0, k, j] = ph.pass_probability
            if ph.extension is not None:
                ext[1:, k, j] = ph.extension.probability, ph.extension.cost_share
    return ext


def _extension_shares(t: _Terms, draws: Draws) -> np.ndarray:
    """``(n, R, P + 1)``: the cost share of the extensions each route is drawn to take
    in its first ``j`` phases (a failed review, extended)."""
    n, r, p = draws.review_u.shape
    out = np.zeros((n, r, p + 1))
    if t.ext is not None:
        pass_p, prob, share = t.ext[:, t.route_ch]
        with np.errstate(invalid="ignore"):  # NaN beyond a route's phases: no extension
            taken = (draws.review_u >= pass_p) & (draws.extension_u < prob)
        out[:, :, 1:] = np.cumsum(np.where(taken, share, 0.0), axis=2)
    return out


def check(plan: EnginePlan, draws: Draws, outcome: BlockOutcome) -> None:
    """Raise :class:`~fundflow.errors.EngineCheckError` if a replication of
    ``outcome`` (simulated from ``plan`` and ``draws``) breaks a rule above; its
    ``replication`` is the index in the block."""
    from fundflow.engine._nb_guard import check_block

    t = _terms(plan)
    led = outcome.ledger
    f64 = np.float64
    i, code, at = check_block(
        led.time, led.payer, led.payee, led.amount, led.kind, led.route,
        outcome.offsets, outcome.status, outcome.end_time,
        outcome.end_review.astype(np.int64), t.route_ch, t.start, t.inv, t.award,
        t.cum_cost, np.asarray(draws.overrun, f64), np.asarray(draws.value, f64),
        np.asarray(draws.solver_value, f64), np.asarray(draws.exit_multiple, f64),
        t.fund_size, t.horizon, len(PARTIES), len(KINDS), K["rd_spending"], P["solver"],
        _extension_shares(t, draws), np.zeros(len(t.route_ch)),
    )  # fmt: skip
    if code:
        raise EngineCheckError(CHECKS[code].format(at=at), int(i))
    _check_years(outcome)


def _check_years(outcome: BlockOutcome) -> None:
    """Each budget year's committed-unpaid stock is finite and not negative, and the
    last year's is the stock at the horizon."""
    unpaid = outcome.unpaid_by_year
    bad = ~np.isfinite(unpaid) | (unpaid < 0.0)
    if unpaid.shape[1]:
        bad[:, -1] |= unpaid[:, -1] != outcome.committed_unpaid
    rows = np.flatnonzero(bad.any(axis=1))
    if rows.size:
        raise EngineCheckError(
            "a budget year's committed and unpaid payments are not a finite amount "
            "of at least zero ending at the horizon's",
            int(rows[0]),
        )
