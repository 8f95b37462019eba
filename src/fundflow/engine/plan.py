"""Per-challenge constants the engines need, computed once per scenario.

A :class:`ChallengePlan` turns one entry of the challenge list into plain Python
numbers (amounts per milestone, cost shares, pass probabilities), so the engine's
inner loops touch no dataclasses or NumPy scalars.
"""

from __future__ import annotations

from dataclasses import dataclass

from fundflow.engine.layout import Layout
from fundflow.engine.matching import rules as matching_rules
from fundflow.scenario.config import Scenario, SuccessAward

demander_total = matching_rules.demander_total.py_func  # the rule, as Python

__all__ = ["ChallengePlan", "EnginePlan"]


def _award(award: SuccessAward | None, investment: float) -> float:
    """``min(share × I, cap)`` with ``I`` the planned investment (0 without an award)."""
    if award is None:
        return 0.0
    amount = award.share * investment
    return amount if award.cap is None else min(amount, award.cap)


@dataclass(frozen=True)
class ChallengePlan:
    start: float  # contract start: start + selection_time
    investment: float  # I, per route
    n_phases: int
    cost_shares: tuple[float, ...]
    pass_probability: tuple[float, ...]
    installments: tuple[float, ...]  # demander amount at milestone 0..n
    tranches: tuple[float, ...]  # government amount at milestone 0..n (before the cap)
    solvers: int
    select_after: int  # 0 when there is no race
    keep: int
    compensate_eliminated: bool
    booking_period: float | None
    value_lag: float
    award: float  # government success award per succeeded route

    @property
    def installments_total(self) -> float:
        """The demander's contribution ``D`` per route."""
        return sum(self.installments)


@dataclass(frozen=True, eq=False)
class EnginePlan:
    scenario: Scenario
    layout: Layout
    challenges: tuple[ChallengePlan, ...]  # one per challenge after expanding counts
    route_challenge: tuple[int, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> EnginePlan:
        layout = Layout.of(scenario)
        matching = scenario.government.matching
        award = scenario.government.success_award
        specs: list[ChallengePlan] = []
        for ch in scenario.challenges:
            n = ch.n_phases
            inst = [0.0] * (n + 1)
            price = ch.contract_price
            d_total = demander_total(
                ch.demander_share, ch.total_investment, price or 0.0, price is not None
            )
            for x in ch.demander_installments:
                inst[x.after] += x.share * d_total
            tr = [0.0] * (n + 1)
            match_total = matching.ratio * ch.total_investment
            for x in matching.plan(n):
                tr[x.after] += x.share * match_total
            specs.append(
                ChallengePlan(
                    start=ch.start + ch.selection_time,
                    investment=ch.total_investment,
                    n_phases=n,
                    cost_shares=tuple(p.cost_share for p in ch.phases),
                    pass_probability=tuple(p.pass_probability for p in ch.phases),
                    installments=tuple(inst),
                    tranches=tuple(tr),
                    solvers=ch.solvers,
                    select_after=ch.race.select_after if ch.solvers > 1 else 0,
                    keep=ch.race.keep,
                    compensate_eliminated=ch.race.compensate_eliminated,
                    booking_period=ch.booking_period,
                    value_lag=ch.value_lag,
                    award=_award(award, ch.total_investment),
                )
            )
        return cls(
            scenario=scenario,
            layout=layout,
            challenges=tuple(specs[i] for i in layout.challenge_spec.tolist()),
            route_challenge=tuple(layout.route_challenge.tolist()),
        )
