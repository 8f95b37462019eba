"""The search of :func:`fundflow.optimize`: designs evaluated through one runner,
ranked, and refined locally by a compass (pattern) search or Nelder–Mead.

Every batch of designs goes through the optimisation's one
:class:`~fundflow.analysis.sweeps._Evaluator` (one :class:`~fundflow.run.montecarlo.Runner`,
one pool): a design seen before is not simulated again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from fundflow.analysis.design import _number, _py, is_integer_lever

if TYPE_CHECKING:
    from fundflow.analysis.constraints import Constraint, Search
    from fundflow.analysis.sweeps import _Evaluator


def _column(table: pd.DataFrame, expr: str) -> np.ndarray:
    """A column of the table, or a ``DataFrame.eval`` expression over its columns."""
    if expr in table.columns:
        return table[expr].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        out = table.eval(expr, engine="python")
    return np.broadcast_to(np.asarray(out, dtype=float), (len(table),)).copy()


@dataclass
class _Bounds:
    low: np.ndarray
    high: np.ndarray
    integer: np.ndarray

    @property
    def width(self) -> np.ndarray:
        return np.asarray(self.high - self.low)

    def clip(self, x: np.ndarray) -> np.ndarray:
        y = np.clip(x, self.low, self.high)
        return np.asarray(np.where(self.integer, np.round(y), y))


def _key(values: Any) -> tuple[str, ...]:
    return tuple(repr(_py(v)) for v in values)


@dataclass(eq=False)
class _State:
    """Everything evaluated so far, and how to score it."""

    evaluator: _Evaluator
    levers: list[str]
    objective: str
    constraints: list[Constraint]
    tables: list[pd.DataFrame] = field(default_factory=list)
    rows: dict[tuple[str, ...], pd.Series] = field(default_factory=dict)
    scale: np.ndarray | None = None

    @property
    def table(self) -> pd.DataFrame:
        out = pd.concat(self.tables, ignore_index=True)
        out.index.name = "design_point"
        return out

    def evaluate(self, design: pd.DataFrame, stage: str) -> list[pd.Series]:
        """Score every design point (simulating only those not seen before)."""
        keys = [_key(row) for row in design.itertuples(index=False)]
        fresh: dict[tuple[str, ...], int] = {}
        for i, k in enumerate(keys):
            if k not in self.rows and k not in fresh:
                fresh[k] = i
        if fresh:
            todo = design.iloc[list(fresh.values())].reset_index(drop=True)
            table = self.evaluator.table(todo, None)
            table.insert(len(self.levers), "stage", stage)
            if self.scale is None:
                self.scale = np.array(
                    [_scale(c, _column(table, c.lhs)) for c in self.constraints], dtype=float
                )
            table = self.score(table)
            self.tables.append(table)
            for k, (_, row) in zip(fresh, table.iterrows(), strict=True):
                self.rows[k] = row
        return [self.rows[k] for k in keys]

    def score(self, table: pd.DataFrame) -> pd.DataFrame:
        obj = _column(table, self.objective)
        violation = np.zeros(len(table))
        feasible = np.ones(len(table), dtype=bool)
        assert self.scale is not None
        for c, s in zip(self.constraints, self.scale, strict=True):
            slack = c.slack(_column(table, c.lhs))
            ok = c.holds(slack)
            feasible &= ok
            violation += np.where(ok, 0.0, np.nan_to_num(-slack, nan=np.inf) / s)
        pos = len(self.levers) + 1
        table.insert(pos, "objective", obj)
        table.insert(pos + 1, "violation", violation)
        table.insert(pos + 2, "feasible", feasible)
        return table


def _scale(c: Constraint, values: np.ndarray) -> float:
    """Unit of a constraint's violation: its bound or the spread of its values."""
    finite = values[np.isfinite(values)]
    spread = float(np.std(finite)) if finite.size > 1 else 0.0
    return max(abs(c.bound), spread) or 1.0


def _rank(table: pd.DataFrame) -> np.ndarray:
    """Row order, best first: feasible, then least violation, then least objective."""
    obj = np.nan_to_num(table["objective"].to_numpy(dtype=float), nan=np.inf)
    return np.lexsort((obj, table["violation"].to_numpy(), ~table["feasible"].to_numpy()))


def _best_row(table: pd.DataFrame) -> pd.Series:
    return table.iloc[int(_rank(table)[0])]


def _bounds(levers: Mapping[str, Any], numeric: list[str]) -> _Bounds:
    low, high = [], []
    for p in numeric:
        values = [float(_py(v)) for v in levers[p]]
        low.append(min(values))
        high.append(max(values))
    integer = np.array([is_integer_lever(p) for p in numeric], dtype=bool)
    return _Bounds(np.array(low), np.array(high), integer)


@dataclass(frozen=True)
class _Space:
    """The numeric levers refined locally; the others stay at the incumbent's values."""

    order: list[str]
    numeric: list[str]
    bounds: _Bounds
    fixed: dict[str, Any]

    @classmethod
    def around(cls, state: _State, specs: Mapping[str, list[Any]]) -> _Space | None:
        numeric = [p for p in state.levers if all(_number(v) for v in specs[p])]
        if not numeric:
            return None
        best = _best_row(state.table)
        fixed = {p: _py(best[p]) for p in state.levers if p not in numeric}
        return cls(state.levers, numeric, _bounds(specs, numeric), fixed)

    def design(self, points: np.ndarray) -> pd.DataFrame:
        cols: dict[str, list[Any]] = {p: [v] * len(points) for p, v in self.fixed.items()}
        for j, p in enumerate(self.numeric):
            col = points[:, j]
            cols[p] = [int(v) for v in col] if self.bounds.integer[j] else col.tolist()
        return pd.DataFrame(cols)[self.order]

    def point(self, row: pd.Series) -> np.ndarray:
        return np.array([float(row[p]) for p in self.numeric])


def _pattern(state: _State, specs: Mapping[str, list[Any]], search: Search, n_start: int) -> None:
    """Compass search from the incumbent: try +/- a step on each lever, halve on no gain."""
    space = _Space.around(state, specs)
    if space is None:
        return
    b = space.bounds
    d = len(space.numeric)
    step = b.width / max(2.0, round(n_start ** (1.0 / d)))
    step = np.where(b.integer, np.maximum(1.0, np.round(step)), step)
    done = (b.width == 0) | (~b.integer & (step < search.tol * b.width))
    best = _best_row(state.table)
    for _ in range(search.max_rounds):
        if done.all():
            return
        x = space.point(best)
        moves = []
        for j in np.flatnonzero(~done):
            for sign in (-1.0, 1.0):
                y = x.copy()
                y[j] += sign * step[j]
                y = b.clip(y)
                if not np.array_equal(y, x):
                    moves.append(y)
        if moves:
            state.evaluate(space.design(np.array(moves)), "refine")
        new = _best_row(state.table)
        if _key(new[state.levers]) == _key(best[state.levers]):
            step = np.where(done, step, step / 2.0)
            step = np.where(b.integer, np.floor(step), step)
            done |= (b.integer & (step < 1.0)) | (~b.integer & (step < search.tol * b.width))
        best = new


def _nelder_mead(state: _State, specs: Mapping[str, list[Any]], search: Search) -> None:
    """scipy's Nelder–Mead on the objective plus a large multiple of the violation."""
    space = _Space.around(state, specs)
    if space is None:
        return
    b = space.bounds
    width = np.where(b.width > 0, b.width, 1.0)
    known = np.abs(state.table["objective"].to_numpy(dtype=float))
    penalty = 1e6 * max(1.0, float(np.max(known[np.isfinite(known)], initial=0.0)))

    def f(z: np.ndarray) -> float:
        x = b.clip(b.low + np.clip(z, 0.0, 1.0) * b.width)
        (row,) = state.evaluate(space.design(x[None, :]), "refine")
        obj = float(row["objective"])
        return (obj if math.isfinite(obj) else penalty) + penalty * float(row["violation"])

    z0 = (space.point(_best_row(state.table)) - b.low) / width
    minimize(
        f,
        z0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(space.numeric),
        options={
            "maxfev": search.max_rounds * 2 * len(space.numeric),
            "xatol": search.tol,
            "fatol": 0.0,
            "initial_simplex": _simplex(z0),
        },
    )


def _simplex(z0: np.ndarray) -> np.ndarray:
    d = z0.size
    simplex = np.repeat(z0[None, :], d + 1, axis=0)
    for j in range(d):
        simplex[j + 1, j] += 0.1 if z0[j] <= 0.9 else -0.1
    return simplex
