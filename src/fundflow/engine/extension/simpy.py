"""The extension book of the SimPy engine: a failed review extended once
(docs/model.md, "Extension").

When a route fails review ``j + 1`` of a phase with an ``extension``, the book
decides, from the route's own draw of that phase, whether it is extended instead:
the solver spends ``cost_share × I × overrun`` more (at the extension's start, or
in equal payments per booking period), the route waits the extension's drawn
duration and is reviewed again with the same pass probability (the group's factor
of that phase, a second own shock). Nothing else happens meanwhile: the milestone's
installment and tranche wait for the second review, and a race still counts the
route as waiting for its review. It reaches the engine only through the hooks
(:class:`~fundflow.engine.hooks.EngineHooks`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from fundflow.engine.draws import Draws
from fundflow.engine.extension import rules
from fundflow.engine.hooks import EngineHooks
from fundflow.engine.plan import EnginePlan

__all__ = ["ExtensionBook", "has_extension"]

extension_cost = rules.extension_cost.py_func


def has_extension(plan: EnginePlan) -> bool:
    """True if a phase of the scenario may be extended."""
    return any(ph.extension is not None for ch in plan.scenario.challenges for ph in ch.phases)


class ExtensionBook:
    """The extensions of one replication.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    plan : EnginePlan
        The scenario's plan.
    draws : Draws
        A block of replications' draws.
    i : int
        The replication's index into the block.
    """

    def __init__(self, hooks: EngineHooks, plan: EnginePlan, draws: Draws, i: int) -> None:
        self.hooks = hooks
        self.plan = plan
        self.u: list[list[float]] = draws.extension_u[i].tolist()
        self.duration: list[list[float]] = draws.extension_duration[i].tolist()
        self.again: list[list[float]] = draws.review_again_u[i].tolist()
        self.overrun: list[float] = draws.overrun[i].tolist()
        self.terms = [
            tuple(ph.extension for ph in plan.scenario.challenges[spec].phases)
            for spec in plan.layout.challenge_spec.tolist()
        ]

    def extend(self, r: int, j: int) -> Generator[simpy.Event, Any, bool]:
        """Route ``r`` failed the review of phase ``j``: extend it if its draw says so
        (``yield from`` it in the route's process).

        Returns
        -------
        bool
            True if the route was extended and passed the second review; False if it
            was not extended, failed again, or ended during the extension (its
            solver could not pay the extra cost within its reserve).
        """
        ch = self.plan.route_challenge[r]
        ext = self.terms[ch][j]
        if ext is None or self.u[r][j] >= ext.probability:
            return False
        cp = self.plan.challenges[ch]
        cost = extension_cost(cp.investment, self.overrun[r], ext.cost_share)
        duration = self.duration[r][j]
        hooks = self.hooks
        period = cp.booking_period
        n_pay = 1 if period is None else max(1, math.ceil(duration / period - 1e-9))
        for q in range(n_pay):
            if not hooks.spend(r, cost / n_pay):
                hooks.abandon(r)
                return False
            step = duration if period is None else min(period, duration - q * period)
            yield hooks.timeout(step)
            if not hooks.running(r):  # abandoned meanwhile (interest, fees)
                return False
        return self.again[r][j] < cp.pass_probability[j]
