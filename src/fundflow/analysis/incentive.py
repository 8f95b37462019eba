"""The least incentive: the smallest value of a lever at which a challenge attracts
``K`` entrants (docs/model.md, "The least incentive").

For a lever ``x`` (a success award share, the match ratio with ``payee: solver``, a
challenge's contract price: any number of the scenario addressed by a dotted path)
and a target ``K``, a challenge's least incentive is the smallest ``x`` at which
``P(entrants >= K) >= level`` under ``solver.entry: equilibrium`` (the entrants of
each replication and copy given ``V(k)`` estimated at ``x`` and the bidders'
reservation draws), or ``V(K) >= required_npv`` under fixed entry. The search
starts at the lever's current value (0.1 when that is 0), doubles (or halves)
until the answer is bracketed, then bisects to a relative tolerance of 1e-3, every
trial on the same draws (the pilot's and the reservations'). A result that is not
monotone in the lever is an error. A lever of the whole program gets the largest
of the challenges' values; each challenge's own is reported with the budget cost it
implies.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fundflow.engine.entry.admission import entrants_of
from fundflow.engine.layout import Layout
from fundflow.errors import ConfigError
from fundflow.run.blocks import pilot_values
from fundflow.run.montecarlo import as_scenario, simulate
from fundflow.run.settings import RunSettings
from fundflow.scenario.config import Scenario
from fundflow.scenario.overrides import apply_overrides
from fundflow.scenario.paths import canonical_path, get_path

__all__ = ["IncentiveResult", "least_incentive"]

_RTOL = 1e-3
_MAX_STEPS = 40


@dataclass
class IncentiveResult:
    """What :func:`least_incentive` returns.

    Attributes
    ----------
    lever : str
        The lever's canonical dotted path.
    target, level : int, float
    current : float
        The lever's value in the scenario.
    value : float
        For a lever of the whole program, the largest of the challenges' least
        values; for a challenge's lever, that challenge's.
    table : DataFrame
        Per challenge (index ``challenge``): ``least_value``, ``reached`` (the
        criterion at that value: ``P(entrants >= K)``, or ``V(K)``), ``gov_budget_cost``
        (the program's expected budget cost with the lever at ``least_value``) and
        ``gov_budget_cost_now`` (at the current value).
    """

    lever: str
    target: int
    level: float
    current: float
    value: float
    table: pd.DataFrame = field(repr=False)


class _Trials:
    """The criterion at each value of the lever, every trial on the same draws."""

    def __init__(self, sc: Scenario, lever: str, target: int, level: float, entropy: int,
                 runs: int) -> None:  # fmt: skip
        self.sc, self.lever, self.target, self.level = sc, lever, target, level
        self.entropy, self.runs = entropy, runs
        self.n = max(1, min(sc.solver.entry_runs, runs))
        self.cache: dict[float, tuple[Scenario, Any]] = {}

    def scenario(self, x: float) -> Scenario:
        """The scenario with the lever at ``x`` (a contract price replaces the share)."""
        data = self.sc.to_dict()
        if self.lever.endswith(".contract_price"):
            for item in data["challenges"]:
                if item.get("name") == self._name():
                    item.pop("demander_share", None)
        return apply_overrides(data, {self.lever: float(x)})

    def _name(self) -> str | None:
        if not self.lever.startswith("challenges["):
            return None
        return self.sc.challenges[_challenge_index(self.sc, self.lever)].name

    def check(self, x: float, name: str) -> tuple[bool, float]:
        """Whether challenge ``name`` meets the target with the lever at ``x``, and the
        measure: ``P(entrants >= K)``, or ``V(K)`` under fixed entry."""
        if x not in self.cache:
            scx = self.scenario(x)
            self.cache[x] = (scx, pilot_values(scx, self.entropy, self.n))
        scx, values = self.cache[x]
        j = [c.name for c in scx.challenges].index(name)
        if scx.solver.entry != "equilibrium":
            v = float(values.values[j][self.target - 1])
            return v >= scx.solver.required_npv, v
        layout = Layout.of(scx)
        counts = entrants_of(scx, layout, self.entropy, range(self.runs), values.mapping())
        share = float(np.mean(counts[:, layout.challenge_spec == j] >= self.target))
        return share >= self.level, share


def _challenge_index(sc: Scenario, path: str) -> int:
    inside = path[len("challenges[") : path.index("]")]
    if inside.isdigit():
        return int(inside)
    return [c.name for c in sc.challenges].index(inside)


def _search(check: Callable[[float], tuple[bool, float]], x0: float, name: str) -> float:
    """The least ``x >= 0`` with ``check(x)`` met: bracket from ``x0``, then bisect."""
    seen: dict[float, bool] = {}

    def met(x: float) -> bool:
        seen[x] = check(x)[0]
        return seen[x]

    if x0 <= 0 and met(0.0):
        return 0.0  # already met with none of the lever
    start = x0 if x0 > 0 else 0.1
    if met(start):
        lo, hi = start / 2, start
        for _ in range(_MAX_STEPS):
            if not met(lo):
                break
            lo, hi = lo / 2, lo
        else:
            return 0.0 if met(0.0) else hi
    else:
        lo, hi = start, start * 2
        for _ in range(_MAX_STEPS):
            try:
                if met(hi):
                    break
            except ConfigError as exc:  # past the largest value the key allows
                raise ConfigError(
                    "lever", lo, f"{name}: the target is not reached up to this value ({exc})"
                ) from None
            lo, hi = hi, hi * 2
        else:
            raise ConfigError("lever", hi, f"{name}: no value up to this reaches the target")
    while hi - lo > _RTOL * hi:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if met(mid) else (mid, hi)
    xs = sorted(seen)
    oks = [seen[x] for x in xs]
    if any(a and not b for a, b in itertools.pairwise(oks)):
        raise ConfigError(
            "lever", [x for x, ok in zip(xs, oks, strict=True) if ok][:3],
            f"{name}: the target is met at a lower value of the lever and missed at a "
            "higher one (not monotone): no least value",
        )  # fmt: skip
    return hi


def _current(sc: Scenario, path: str) -> float:
    """The lever's value now (a contract price not given: the demander's ``D``)."""
    value = get_path(sc, path)
    if value is None and path.endswith(".contract_price"):
        ch = sc.challenges[_challenge_index(sc, path)]
        value = ch.demander_share * ch.total_investment
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError("lever", path, "must address a number of the scenario")
    return float(value)


def least_incentive(
    scenario: Scenario | str | dict[str, Any],
    lever: str,
    target: int = 1,
    level: float = 0.9,
    *,
    runs: int = 1000,
    seed: int | None = None,
) -> IncentiveResult:
    """The smallest value of ``lever`` at which each challenge has at least ``target``
    entrants with probability ``level`` (under fixed entry: ``V(target) >=
    required_npv``).

    Parameters
    ----------
    scenario : Scenario, path or dict
    lever : str
        A dotted path to a number: ``government.success_award.share``,
        ``government.matching.ratio`` (with ``payee: solver``),
        ``challenges[NAME].contract_price``. A path into one challenge searches that
        challenge only; any other searches every challenge and reports the largest.
    target : int
        ``K``, the entrants wanted (at most the challenge's ``solvers``).
    level : float
        The probability, in (0, 1], of at least ``K`` entrants.
    runs : int
        Replications of the reservation draws and of the budget cost at each answer;
        the pilot uses ``min(solver.entry_runs, runs)``.
    seed : int, optional
        Root entropy; every trial uses the same draws.

    Raises
    ------
    ConfigError
        For a lever that is not a number, a target no challenge admits, a level
        outside (0, 1], a target not reached, or a criterion not monotone in the lever.

    Examples
    --------
    >>> res = fundflow.least_incentive(  # doctest: +SKIP
    ...     "configs/open_competition.yaml", "government.success_award.share", target=2
    ... )
    """
    sc = as_scenario(scenario)
    path = canonical_path(sc, lever)
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        raise ConfigError("target", target, "must be a whole number >= 1")
    if not 0.0 < float(level) <= 1.0:
        raise ConfigError("level", level, "must be in (0, 1]")
    current = _current(sc, path)
    entropy = RunSettings(seed=seed).entropy()
    trials = _Trials(sc, path, target, float(level), entropy, int(runs))
    own = trials._name()
    names = [c.name for c in sc.challenges if own is None or c.name == own]
    least = {n: _least(trials, sc, n, current) for n in names}
    if all(np.isnan(v) for v in least.values()):
        raise ConfigError("target", target, "more routes than any challenge admits")
    table = _table(trials, least, current)
    value = float(np.nanmax(table["least_value"]))
    return IncentiveResult(path, target, float(level), current, value, table)


def _least(trials: _Trials, sc: Scenario, name: str, current: float) -> float:
    """A challenge's least value (NaN where it admits fewer routes than the target)."""
    if trials.target > next(c.solvers for c in sc.challenges if c.name == name):
        return float("nan")
    return _search(lambda x: trials.check(x, name), current, name)


def _table(trials: _Trials, least: dict[str, float], current: float) -> pd.DataFrame:
    """Per challenge: the least value, the criterion there and the budget costs."""
    costs: dict[float, float] = {}

    def cost(x: float) -> float:
        if np.isnan(x):
            return float("nan")
        if x not in costs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. unfilled at the current value
                res = simulate(trials.scenario(x), runs=trials.runs, seed=trials.entropy)
            costs[x] = float(res.runs["gov_budget_cost"].mean())
        return costs[x]

    names = list(least)
    reached = [np.nan if np.isnan(least[n]) else trials.check(least[n], n)[1] for n in names]
    return pd.DataFrame(
        {
            "least_value": [least[n] for n in names],
            "reached": reached,
            "gov_budget_cost": [cost(least[n]) for n in names],
            "gov_budget_cost_now": cost(current),
        },
        index=pd.Index(names, name="challenge"),
    )
