"""The compiled engine: the reference engine's rules, compiled with numba.

``run_block(plan, draws)`` simulates every replication of ``draws`` in one compiled
call and returns a :class:`~fundflow.engine.outcome.BlockOutcome` whose ledgers and
facts are those the SimPy engine (:mod:`fundflow.engine.simpy_engine`) writes from
the same draws: the same rows in the same order, the same times and amounts.

The ordering rule (both engines)
--------------------------------
Events are taken in the order ``(time, priority, event id)``: earlier first; at
the same time, the start of a process (URGENT, 0) before a timeout or a triggered
event (NORMAL, 1); then the event scheduled first (ids count up as events are
scheduled). This is SimPy's event queue; the compiled engine keeps a heap with the
same key and gives its events ids in the order SimPy would schedule them (events
without an effect are left out, which keeps the relative order). The run stops
before the first event at the horizon; then a fund whose life ends by the horizon
winds up, then the tax of the years not yet settled is paid.

Functions are compiled on first use and cached on disk (``cache=True``), so later
processes load them. :func:`available` says whether numba can be imported.
"""

from __future__ import annotations

import numpy as np

from fundflow.engine.draws import Draws
from fundflow.engine.ledger import COLUMNS, Ledger
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.errors import EngineCheckError

__all__ = ["CAPACITIES", "available", "count_size", "event_kinds", "run_block", "supports"]


def available() -> bool:
    """True if numba can be imported (the compiled engine can run)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def supports(plan: EnginePlan) -> bool:
    """True if the compiled engine implements every rule the plan uses (all of them)."""
    del plan
    return True


def _draw_arrays(draws: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Per route (n, R, 9 + 5P): overrun, misconduct, race, solver value, default,
    holding period, exit multiple, then per phase the durations, the review
    uniforms, the extension's decision, duration and review uniforms, then the
    pledged IP's value, and last 1.0 where the route's bidder entered (0.0 where
    nobody did); and values."""
    names: tuple[str, ...] = ("overrun", "misconduct_u", "race_u", "solver_value", "default_u")
    names += ("holding_period", "exit_multiple")
    phased: tuple[np.ndarray, ...] = (draws.duration, draws.review_u, draws.extension_u)
    phased += (draws.extension_duration, draws.review_again_u)
    n_ph = draws.duration.shape[2]
    x = np.empty((*draws.duration.shape[:2], len(names) + len(phased) * n_ph + 2))
    for k, name in enumerate(names):  # one copy into the engine's layout
        x[:, :, k] = getattr(draws, name)
    for k, block in enumerate(phased):
        at = len(names) + k * n_ph
        x[:, :, at : at + n_ph] = block
    x[:, :, -2] = draws.ip_value
    x[:, :, -1] = 1.0 if draws.entered is None else draws.entered
    return x, np.ascontiguousarray(draws.value, dtype=np.float64)


def run_block(
    plan: EnginePlan,
    draws: Draws,
    *,
    capacities: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> BlockOutcome:
    """Simulate every replication of ``draws`` with the compiled engine.

    Parameters
    ----------
    plan : EnginePlan
        The scenario's plan (its flat arrays are built once per plan object).
    draws : Draws
        The block's draws, from :func:`fundflow.engine.draws.draw`.
    capacities : (4,) int array, optional
        The rows the ledger, the event heap, the government's payments due and the
        fund's capital calls start with (:data:`CAPACITIES` order); by default enough
        for the shipped programs. A replication that needs more runs again from its
        own draws with more room, so these change the speed, never the result
        (tests start them at 1 to reach every growth).
    counts : int array, optional
        Of length :func:`count_size`, incremented in place: events handled by kind
        (:func:`event_kinds`), then growths by capacity (:data:`CAPACITIES`).

    Returns
    -------
    BlockOutcome
        The block's stacked ledgers and facts, equal to what
        ``BlockOutcome.of([run_replication(plan, draws, i) for i ...])`` gives.

    Raises
    ------
    EngineCheckError
        A replication's result broke a rule every correct result keeps
        (:mod:`fundflow.engine.guard`); its ``replication`` is the index in the block.
    """
    from fundflow.engine.compiled_engine import ERR_TOO_LARGE, flat_plan, run_block_nb
    from fundflow.engine.core.state import initial_capacities
    from fundflow.engine.guard import check
    from fundflow.engine.kernel_cache import ensure_fresh

    ensure_fresh()  # no machine code cached from other sources

    n, n_r = len(draws), plan.layout.n_routes
    flat = flat_plan(plan)
    if capacities is None:
        fee_years = flat.f_fee_years
        caps = initial_capacities(n_r, plan.layout.max_phases, fee_years)
    else:
        caps = np.array(capacities, dtype=np.int64)
    seen = np.zeros(count_size(), np.int64)
    per_route = (
        np.empty((n, n_r), np.int8),
        np.empty((n, n_r)),
        np.empty((n, n_r), np.int8),
        np.empty((n, n_r), bool),
        np.empty((n, n_r), bool),
    )
    years = flat.n_years
    per_run = (
        np.empty(n), np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n, np.int64),
        np.empty((n, years)), np.empty((n, years), bool),
    )  # fmt: skip
    offsets = np.zeros(n + 1, np.int64)
    cols, rows, error, at = run_block_nb(
        flat, _draw_arrays(draws), per_route, per_run, offsets, caps, seen
    )
    if counts is not None:
        counts += seen
    if error:
        what = (
            "it needs more than 2**25 ledger rows, heap slots, payments due or capital calls"
            if error == ERR_TOO_LARGE
            else "a rule computed a negative amount"
        )
        raise EngineCheckError(what, int(at))
    outcome = _block_outcome(cols, rows, offsets, per_route, per_run)
    check(plan, draws, outcome)
    return outcome


def _block_outcome(
    cols: tuple, rows: int, offsets: np.ndarray, per_route: tuple, per_run: tuple
) -> BlockOutcome:
    ledger = Ledger(**{c: col[:rows] for c, col in zip(COLUMNS, cols, strict=True)})
    status, end_time, end_review, misconduct, defaulted = per_route
    committed, delayed, delay, loans, investments, unpaid_y, binds_y = per_run
    return BlockOutcome(
        ledger=ledger,
        offsets=offsets,
        status=status,
        end_time=end_time,
        end_review=end_review,
        misconduct=misconduct,
        defaulted=defaulted,
        committed_unpaid=committed,
        delayed_payments=delayed,
        total_delay=delay,
        loans_outstanding=loans,
        fund_investments=investments,
        unpaid_by_year=unpaid_y,
        binds_by_year=binds_y,
    )


#: What the engine sizes in advance and grows when a replication needs more.
CAPACITIES: tuple[str, ...] = ("ledger", "heap", "dues", "calls")


def event_kinds() -> tuple[str, ...]:
    """The compiled engine's event kinds, in code order (each mechanism takes its own
    in ``engine/<mechanism>/compiled.py``)."""
    from fundflow.engine.compiled_engine import EVENT_KINDS

    return EVENT_KINDS


def count_size() -> int:
    """The length of the ``counts`` array of :func:`run_block`: events handled by kind
    (:func:`event_kinds`), then growths by capacity (:data:`CAPACITIES`)."""
    return len(event_kinds()) + len(CAPACITIES)
