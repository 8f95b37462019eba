"""The reserve book of the SimPy engine: the solver's payments and its reserve
(docs/model.md, "Solver reserve").

:class:`ReserveBook` owns each route's cumulative net outflow (what its solver has
paid less what it has received) and answers the engine's ``solver_pays`` and
``solver_receives`` hooks, through which every part of the engine moves the
solver's money: a payment that would take a running route's net outflow above the
reserve (:func:`~fundflow.engine.reserve.rules.exceeds`) is refused, and whoever
asked abandons the route (a financing failure). It reaches the engine only through
the hooks (:class:`~fundflow.engine.hooks.EngineHooks`); being the engine's busiest
path, it appends its rows to the hooks' ledger itself rather than through ``pay``.
"""

from __future__ import annotations

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import P
from fundflow.engine.plan import EnginePlan
from fundflow.engine.reserve import rules

__all__ = ["ReserveBook"]

SOL = P["solver"]

# the reserve rule both engines share, as Python
exceeds = rules.exceeds.py_func


class ReserveBook:
    """The solver's cash of each route, held within its reserve.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    plan : EnginePlan
        The scenario's plan (the reserve, the horizon, the routes).
    """

    def __init__(self, hooks: EngineHooks, plan: EnginePlan) -> None:
        sc = plan.scenario
        self.hooks = hooks
        self.reserve = sc.solver.reserve  # None: no limit
        self.horizon = sc.horizon
        self.net_outflow = [0.0] * plan.layout.n_routes
        self.route_challenge = plan.route_challenge
        self._add = hooks.ledger.add
        self._now = hooks.now

    def solver_receives(self, r: int, payer: int, amount: float, kind: int) -> None:
        """The solver of route ``r`` receives ``amount`` from ``payer``."""
        self._add(self._now(), payer, SOL, amount, kind, self.route_challenge[r], r)
        self.net_outflow[r] -= amount

    def solver_pays(self, r: int, payee: int, amount: float, kind: int) -> bool:
        """The solver of route ``r`` pays ``payee``.

        Returns
        -------
        bool
            False, and nothing paid, if the route is running before the horizon and
            its cumulative net outflow would exceed the reserve (every outflow
            counts); the caller then abandons the route.
        """
        if (
            self.reserve is not None
            and self.hooks.running(r)
            and self._now() < self.horizon
            and exceeds(self.net_outflow[r], amount, self.reserve)
        ):
            return False
        self._add(self._now(), SOL, payee, amount, kind, self.route_challenge[r], r)
        self.net_outflow[r] += amount
        return True
