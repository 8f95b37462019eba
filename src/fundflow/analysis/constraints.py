"""What :func:`~fundflow.analysis.optimization.optimize` is asked: constraints on the
measures of a design point, and how to search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fundflow.analysis.design import _number
from fundflow.errors import ConfigError

__all__ = ["REFINERS", "Constraint", "Search"]

#: Local refinements :func:`optimize` knows (``None``: no refinement).
REFINERS: tuple[str, ...] = ("pattern", "nelder-mead")

_CONSTRAINT = re.compile(
    r"^\s*(?P<lhs>.+?)\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


@dataclass(frozen=True)
class Constraint:
    """``lhs <= bound`` or ``lhs >= bound``; ``lhs`` a sweep-table column or expression.

    Examples
    --------
    >>> Constraint.parse("solver_npv_min >= 0")
    Constraint(lhs='solver_npv_min', op='>=', bound=0.0)
    """

    lhs: str
    op: str
    bound: float

    @classmethod
    def parse(cls, spec: str | Sequence[Any] | Constraint) -> Constraint:
        """From ``"expr <= 0.3"``, ``(expr, "<=", 0.3)`` or a Constraint."""
        if isinstance(spec, Constraint):
            return spec
        if isinstance(spec, str):
            m = _CONSTRAINT.match(spec)
            if m is None:
                raise ConfigError(
                    "constraints",
                    spec,
                    "must read 'EXPR <= NUMBER' or 'EXPR >= NUMBER', e.g. "
                    "'solver_loss_share_mean <= 0.3'",
                )
            lhs, op, bound = m["lhs"], m["op"], m["bound"]
        elif isinstance(spec, Sequence) and len(spec) == 3:
            lhs, op, bound = spec[0], spec[1], spec[2]
            if not isinstance(lhs, str) or op not in ("<=", ">=", "<", ">") or not _number(bound):
                raise ConfigError("constraints", spec, "must be (expression, '<=' or '>=', number)")
        else:
            raise ConfigError(
                "constraints", spec, "must be 'EXPR <= NUMBER' or (expression, '<=', number)"
            )
        return cls(lhs.strip(), "<=" if op in ("<=", "<") else ">=", float(bound))

    def __str__(self) -> str:
        return f"{self.lhs} {self.op} {self.bound:g}"

    def slack(self, value: np.ndarray) -> np.ndarray:
        """How far inside the bound (negative: violated)."""
        return self.bound - value if self.op == "<=" else value - self.bound

    def holds(self, slack: np.ndarray) -> np.ndarray:
        """Satisfied, to rounding (1e-9 relative to the bound)."""
        return np.asarray(slack >= -1e-9 * max(1.0, abs(self.bound)))


@dataclass(frozen=True)
class Search:
    """How :func:`optimize` searches.

    Attributes
    ----------
    sampler : {"grid", "lhs", "sobol"}
        The global stage (:func:`fundflow.analysis.sweeps.make_design`).
    n : int or None
        Points of the global stage for lhs / sobol (``None``: 32; a power of 2
        keeps Sobol's balance), or values per lever for a grid of (low, high)
        ranges; ``None`` for a grid of listed values.
    refine : {"pattern", "nelder-mead"} or None
        Local refinement around the best point of the global stage.
    max_rounds : int
        Pattern: at most this many batches of ``2 d`` points. Nelder–Mead: at
        most ``max_rounds * 2 d`` evaluations.
    tol : float
        Refinement stops when its step is below ``tol`` times each lever's range.
    """

    sampler: str = "sobol"
    n: int | None = None
    refine: str | None = "pattern"
    max_rounds: int = 30
    tol: float = 1e-3
