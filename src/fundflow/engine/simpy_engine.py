"""The reference engine: one replication as a SimPy discrete-event model.

``run_replication(plan, draws, i)`` is a deterministic function of the scenario's
plan and replication ``i``'s draws. Phases of a run (desmod's pattern): build the
route life cycle (:class:`~fundflow.engine.core.simpy.Core`) and one book per
mechanism the scenario has (matching, race, budget, reserve, tax, fund, credit,
extension;
each in its mechanism's package, reaching the core only through
:class:`~fundflow.engine.hooks.EngineHooks`), start one ``run_route`` process per
route and the books' own processes (the budget clock, the yearly tax, the fund's
life), run to the horizon, collect an :class:`Outcome`. Payments that fall due
later (tranches after ``payment_lag``, compensation, value) are timeouts with a
callback, not processes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from fundflow.engine.budget.simpy import BudgetBook
from fundflow.engine.core.simpy import Core
from fundflow.engine.credit.simpy import CreditBook, defaulted, loan_outstanding
from fundflow.engine.draws import Draws
from fundflow.engine.extension.simpy import ExtensionBook, has_extension
from fundflow.engine.fund.simpy import GuidedFundBook
from fundflow.engine.layout import budget_years
from fundflow.engine.matching.simpy import MatchingBook
from fundflow.engine.outcome import Outcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.pool.simpy import PoolBook
from fundflow.engine.race.simpy import RaceBook
from fundflow.engine.reserve.simpy import ReserveBook
from fundflow.engine.tax.simpy import TaxBook

__all__ = ["Outcome", "build", "gc_paused", "run", "run_replication"]


def build(plan: EnginePlan, draws: Draws, i: int) -> Core:
    """Replication ``i``'s route life cycle with the books of its mechanisms.

    Parameters
    ----------
    plan : EnginePlan
        The scenario's plan.
    draws : Draws
        A block of replications' draws.
    i : int
        The replication's index into the block.

    Returns
    -------
    Core
        The core, its books attached, nothing started yet.
    """
    sc = plan.scenario
    core = Core(plan, draws, i)
    racing = any(cp.select_after for cp in plan.challenges)
    core.attach(
        reserve=ReserveBook(core, plan),
        budget=BudgetBook(core, sc.government.annual_budget),
        matching=MatchingBook(core, plan, draws.misconduct_u[i].tolist()),
        race=RaceBook(core, plan, draws.race_u[i].tolist(), core.entered) if racing else None,
        tax=TaxBook(core, plan) if sc.government.tax.rd_super_deduction > 0.0 else None,
        credit=(
            CreditBook(
                core, plan, sc.credit, draws.default_u[i].tolist(), draws.ip_value[i].tolist()
            )
            if sc.credit
            else None
        ),
        fund=(
            GuidedFundBook(
                core,
                sc.guided_fund,
                draws.holding_period[i].tolist(),
                draws.exit_multiple[i].tolist(),
            )
            if sc.guided_fund
            else None
        ),
        extension=ExtensionBook(core, plan, draws, i) if has_extension(plan) else None,
        pool=PoolBook(core, sc.credit) if sc.credit and sc.credit.risk_pool else None,
    )
    return core


def run(core: Core) -> Outcome:
    """Start the processes, run to the horizon and collect the outcome.

    Parameters
    ----------
    core : Core
        A replication as :func:`build` returns it.

    Returns
    -------
    Outcome
        The ledger and the facts of the routes and the books.
    """
    env = core.env
    if core.pool is not None:  # the endowment, before anything else
        core.pool.start()
    for r in range(len(core.status)):
        if core.entered[r]:  # a route nobody entered never starts
            env.process(core.run_route(r))
    core.budget.start()
    if core.tax is not None:
        core.tax.start()
    if core.fund is not None:
        core.fund.start()
    budget, horizon = core.budget, core.horizon
    years = budget_years(horizon)
    # what env.run(until=horizon) does, closing each budget year before the events
    # of the next (events at the horizon do not happen)
    while env.peek() < horizon:
        budget.year_ends(env.peek(), years)
        env.step()
    env.run(until=horizon)  # nothing is left before it: this moves the clock there
    # the horizon's own events: a fund whose life ends there winds up, then the
    # year that the horizon cuts is settled for tax
    if core.fund is not None:
        core.fund.settle_at_horizon()
    if core.tax is not None:
        core.tax.settle_at_horizon()
    if core.pool is not None:
        core.pool.settle_at_horizon()
    budget.close_years(years)
    return Outcome(
        ledger=core.ledger.freeze(),
        status=np.asarray(core.status, dtype=np.int8),
        end_time=np.asarray(core.end_time, dtype=float),
        end_review=np.asarray(core.end_review, dtype=np.int8),
        misconduct=np.asarray(core.matching.misconduct, dtype=bool),
        committed_unpaid=budget.unpaid if budget.unpaid > 1e-9 else 0.0,
        delayed_payments=budget.delayed,
        total_delay=budget.total_delay,
        defaulted=defaulted(core.credit, len(core.status)),
        loans_outstanding=loan_outstanding(core.credit),
        fund_investments=core.fund.investments if core.fund is not None else 0,
        unpaid_by_year=np.asarray(budget.unpaid_by_year, dtype=float),
        binds_by_year=np.asarray(budget.binds_by_year, dtype=bool),
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    A replication allocates thousands of short-lived objects (SimPy events, closures)
    and almost no reference cycles (about 1 kB a replication, collected once the
    collector is back), so the collector's passes over them are pure overhead:
    about a tenth of the engine's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_replication(plan: EnginePlan, draws: Draws, i: int) -> Outcome:
    """Simulate the ``i``-th replication of ``draws``.

    Parameters
    ----------
    plan : EnginePlan
        The scenario's plan.
    draws : Draws
        A block of replications' draws.
    i : int
        The replication's index into the block.

    Returns
    -------
    Outcome
        The replication's ledger and the facts of its routes.
    """
    with gc_paused():
        return run(build(plan, draws, i))
