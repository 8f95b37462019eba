"""Program-design optimisation: the levers that minimise a government objective
subject to constraints that keep solvers willing to take the challenges.

See :func:`optimize` for the method.
"""

from __future__ import annotations

import difflib
import math
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import pandas as pd

from fundflow.analysis._search import _column, _nelder_mead, _pattern, _rank, _State
from fundflow.analysis.constraints import REFINERS, Constraint, Search
from fundflow.analysis.design import SAMPLERS, _py, make_design
from fundflow.analysis.sweeps import _Evaluator, output_names
from fundflow.errors import ConfigError
from fundflow.results.statistics import sweep_columns
from fundflow.run.montecarlo import as_scenario, check_positive_int
from fundflow.run.settings import RunOptions, RunSettings, resolve_settings
from fundflow.scenario.config import Scenario
from fundflow.scenario.overrides import apply_overrides

__all__ = ["REFINERS", "Constraint", "OptimizeResult", "Search", "optimize"]


@dataclass(eq=False)
class OptimizeResult:
    """What :func:`optimize` returns.

    Attributes
    ----------
    best : dict of str to object
        Lever values of the best design (the least infeasible one when
        ``feasible`` is false).
    objective : float
        The objective at ``best``.
    feasible : bool
        Whether ``best`` satisfies every constraint.
    constraints : pandas.DataFrame
        One row per constraint: ``constraint``, ``value`` at the best design, its
        Monte Carlo ``se`` (for ``{measure}_mean`` and ``solver_npv_min``
        left-hand sides), ``bound``,
        ``slack`` (>= 0 satisfied; 0 means on the boundary), ``binding`` (``|slack|``
        within :data:`BINDING_SE` = 2 standard errors; without a positive standard
        error, slack 0 or an objective that relaxing it alone would improve), and
        ``objective_if_relaxed``: the best objective among the evaluated designs
        that satisfy every *other* constraint (how much this one costs).
    pareto : pandas.DataFrame
        The evaluated designs that no other design beats on both Pareto measures
        (both minimised), sorted by the first: lever values, the two measures,
        ``objective`` and ``feasible``.
    evaluations : pandas.DataFrame
        Every design evaluated (index ``design_point``): levers, ``stage``
        (``search`` / ``refine``), ``objective``, ``violation``, ``feasible``,
        then all sweep-table measures.
    scenario : Scenario
        The best design's scenario.
    message : str
    entropy : int
        Root seed entropy shared by every evaluation.
    runs : int
        Replications per design.
    elapsed : float
        Wall time in seconds.
    """

    best: dict[str, Any]
    objective: float
    feasible: bool
    constraints: pd.DataFrame
    pareto: pd.DataFrame
    evaluations: pd.DataFrame
    scenario: Scenario
    message: str
    entropy: int
    runs: int
    elapsed: float

    def to_frame(self) -> pd.DataFrame:
        """Every evaluated design (``evaluations``)."""
        return self.evaluations


# --- expressions ---------------------------------------------------------------------


def _check_expression(expr: Any, columns: list[str], what: str) -> str:
    if not isinstance(expr, str) or not expr.strip():
        raise ConfigError(what, expr, "must be a column of the sweep table or an expression")
    dummy = pd.DataFrame({c: [1.0] for c in columns})
    try:
        _column(dummy, expr)
    except Exception:  # pandas raises many kinds; all mean "bad expression"
        names = [w for w in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", expr) if w not in columns]
        close = difflib.get_close_matches(names[0], columns, n=1) if names else []
        hint = f"did you mean '{close[0]}'? " if close else ""
        stats = ", _".join(sweep_columns(loss=True))
        raise ConfigError(
            what,
            expr,
            f"{hint}must be a column of the sweep table ({{measure}}_{stats}, "
            "solver_npv_min) or an arithmetic expression of them, e.g. "
            "'gov_net_cost_cvar95 / challenges_succeeded_mean'",
        ) from None
    return expr.strip()


# --- results ----------------------------------------------------------------------------


def _pareto(table: pd.DataFrame, measures: tuple[str, str], levers: list[str]) -> pd.DataFrame:
    a = _column(table, measures[0])
    b = _column(table, measures[1])
    ok = np.isfinite(a) & np.isfinite(b)
    order = [i for i in np.lexsort((b, a)) if ok[i]]
    keep, lowest = [], np.inf
    for i in order:
        if b[i] < lowest:
            keep.append(i)
            lowest = b[i]
    front = table.iloc[keep][levers].copy()
    front[measures[0]] = a[keep]
    front[measures[1]] = b[keep]
    front["objective"] = table["objective"].to_numpy()[keep]
    front["feasible"] = table["feasible"].to_numpy()[keep]
    return front


#: A constraint binds when its slack is within this many Monte Carlo standard errors of 0.
BINDING_SE = 2.0


def _binding(slack: float, se: float, limiting: bool, bound: float) -> bool:
    """Whether a constraint binds at the best design.

    With a positive standard error (a ``{measure}_mean`` left-hand side that
    varies across replications): ``|slack| <=`` :data:`BINDING_SE` standard
    errors, i.e. the design sits on the boundary as far as the Monte Carlo
    estimate can tell. Without one (no noise to measure the slack against): the
    slack is zero up to rounding, or `limiting` (relaxing this constraint alone
    would improve the objective; for an infeasible design, it is violated).
    """
    if math.isfinite(se) and se > 0:
        return bool(abs(slack) <= BINDING_SE * se)
    return bool(abs(slack) <= 1e-9 * max(1.0, abs(bound)) or limiting)


def _constraint_table(
    table: pd.DataFrame, constraints: list[Constraint], best: int, feasible: bool
) -> pd.DataFrame:
    rows = []
    objective = np.nan_to_num(table["objective"].to_numpy(dtype=float), nan=np.inf)
    slacks = [c.slack(_column(table, c.lhs)) for c in constraints]
    oks = [c.holds(s) for s, c in zip(slacks, constraints, strict=True)]
    for i, c in enumerate(constraints):
        others = np.ones(len(table), dtype=bool)
        for k, ok in enumerate(oks):
            if k != i:
                others &= ok
        relaxed = float(objective[others].min()) if others.any() else math.nan
        se_col = c.lhs[: -len("_mean")] + "_se" if c.lhs.endswith("_mean") else c.lhs + "_se"
        se = float(table[se_col].iloc[best]) if se_col in table.columns else math.nan
        here = float(objective[best])
        gain = here - relaxed if math.isfinite(relaxed) else math.nan
        rows.append(
            {
                "constraint": str(c),
                "value": float(_column(table, c.lhs)[best]),
                "se": se,
                "bound": c.bound,
                "slack": float(slacks[i][best]),
                "binding": _binding(
                    float(slacks[i][best]),
                    se,
                    gain > 1e-9 * max(1.0, abs(here)) if feasible else not oks[i][best],
                    c.bound,
                ),
                "objective_if_relaxed": relaxed,
            }
        )
    columns = ["constraint", "value", "se", "bound", "slack", "binding", "objective_if_relaxed"]
    return pd.DataFrame(rows, columns=columns)


def _check_measures(
    sc: Scenario, paths: list[str], objective: Any, constraints: Any, pareto: Any
) -> tuple[str, list[Constraint], tuple[str, str]]:
    """Objective, constraints and Pareto measures checked against the table's columns."""
    columns = output_names(sc) + paths
    objective = _check_expression(objective, columns, "objective")
    if isinstance(constraints, (str, Constraint)):
        constraints = [constraints]
    cons = [Constraint.parse(c) for c in constraints]
    for c in cons:
        _check_expression(c.lhs, columns, "constraints")
    if not isinstance(pareto, Sequence) or isinstance(pareto, str) or len(pareto) != 2:
        raise ConfigError("pareto", pareto, "must be two measures (government, solver)")
    measures = (
        _check_expression(pareto[0], columns, "pareto"),
        _check_expression(pareto[1], columns, "pareto"),
    )
    return objective, cons, measures


def _check_search(search: Search | None) -> Search:
    s = Search() if search is None else search
    if not isinstance(s, Search):
        raise ConfigError("search", s, "must be a fundflow.Search")
    if s.sampler not in SAMPLERS:
        close = difflib.get_close_matches(str(s.sampler), SAMPLERS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError("search.sampler", s.sampler, f"{hint}must be one of grid | lhs | sobol")
    if s.refine is not None and s.refine not in REFINERS:
        close = difflib.get_close_matches(str(s.refine), REFINERS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            "search.refine", s.refine, f"{hint}must be one of pattern | nelder-mead, or None"
        )
    check_positive_int("search.max_rounds", s.max_rounds)
    if not (isinstance(s.tol, (int, float)) and s.tol > 0):
        raise ConfigError("search.tol", s.tol, "must be a number > 0")
    return s


def optimize(
    scenario: Scenario | str | Mapping[str, Any],
    levers: Mapping[str, Any],
    objective: str = "gov_budget_cost_mean",
    constraints: str | Sequence[str | Sequence[Any] | Constraint] = (),
    *,
    pareto: tuple[str, str] = ("gov_budget_cost_cvar95", "solver_loss_share_mean"),
    search: Search | None = None,
    settings: RunSettings | None = None,
    **options: Unpack[RunOptions],
) -> OptimizeResult:
    """Find the levers that minimise a government objective under solver constraints.

    The method is explained under Notes.

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The base scenario.
    levers : mapping of path to (low, high) or list of values
        The design levers: a (low, high) range for lhs / sobol (and for a grid
        with ``search.n``), a list of values for a grid. Non-numeric grid levers
        (``government.matching.mode``) are searched in the global stage only.
    objective : str
        Minimised: a column of the sweep table (``gov_net_cost_mean``,
        ``gov_net_cost_cvar95``...) or a :meth:`pandas.DataFrame.eval` expression of
        columns, e.g. ``"gov_net_cost_cvar95 / challenges_succeeded_mean"`` (CVaR95
        of government net cost per succeeded challenge).
    constraints : sequence of str, tuple or Constraint
        The participation constraint is ``"solver_npv_min >= 0"``: for *every*
        challenge, a solver expects not to lose on a route it starts.
        ``solver_npv_min`` is the lowest over challenges of the expected solver
        NPV per started route (discounted to t = 0; copies of a challenge
        pooled; a challenge name per row of ``SimulationResult.challenges``), so
        the constraint holds only when each challenge clears the bar, not the
        program on average (write the bar in place of 0 when solvers require a
        positive NPV). Program averages can be constrained too:
        ``"solver_loss_share_mean <= 0.3"`` (at most 30% of routes lose money on
        average), ``"solver_npv_mean >= 0"`` (the solvers of the whole program
        together expect not to lose, which can hold while one challenge's
        solvers lose). ``<`` and ``>`` are read as ``<=`` and ``>=``.
    pareto : tuple of two str
        A government risk measure and a solver risk measure, both minimised (write
        ``"-solver_npv_mean"`` for a measure to maximise).
    search : Search, optional
        Sampler, number of points, refinement and its limits.
    settings : RunSettings, optional
        The run options together; keywords given as well override its fields.
    **options
        The fields of :class:`~fundflow.run.settings.RunSettings`: ``runs``
        (replications per design, default 100); ``seed`` (root entropy, shared by
        every design and seeding the sampler); ``workers`` (one runner, one pool
        for the whole search), ``progress`` (default off), ``chunk_size``,
        ``executor``: results do not depend on these four.

    Returns
    -------
    OptimizeResult
        ``best``, ``objective``, ``feasible``, ``constraints`` (slack and how
        binding), ``pareto``, ``evaluations``, ``scenario``, ``message``.

    Raises
    ------
    ConfigError
        For an unknown output or a bad expression (nearest column suggested), a
        malformed constraint, a lever path that does not exist, a lever spec of
        the wrong shape, or bad search options.

    Warns
    -----
    UserWarning
        When no evaluated design is feasible.

    Notes
    -----
    The method:

    1. **Global stage.** The lever box is covered by a sweep
       (:func:`fundflow.analysis.sweeps.make_design`: a scrambled Sobol' sequence by default,
       or a Latin hypercube or a grid). Every design is simulated with the *same*
       replications' draws (common random numbers), so the estimated objective
       and constraints are deterministic functions of the levers and two designs
       are compared on the same simulated futures: the comparison's noise is that
       of a paired difference, and a constraint boundary is sharp.
    2. **Selection.** A design is feasible when every constraint holds for its
       estimates. Designs are ranked feasible first; among feasible ones by the
       objective; among infeasible ones by their total violation (each
       constraint's shortfall divided by the larger of its bound's magnitude and
       the spread of its values in the global stage), then by the objective. The
       best ranked is the incumbent.
    3. **Local refinement** (``search.refine``), around the incumbent, within the
       box. ``"pattern"`` (default): a compass search. Each round evaluates, in
       one parallel batch, the incumbent moved by plus and minus a step along
       each numeric lever; it moves to the best ranked point if that beats the
       incumbent and otherwise halves the steps, until the steps are below
       ``search.tol`` times the levers' ranges (whole-number levers move by at
       least 1). The ranking makes it walk along and up to a constraint
       boundary, which is where optima of such problems lie (the government pays
       the least that keeps solvers in). ``"nelder-mead"``:
       :func:`scipy.optimize.minimize` with Nelder–Mead on the objective plus a
       large multiple of the violation, in the unit box (whole-number levers
       rounded).
    4. The answer is the best ranked of *all* designs evaluated. If none is
       feasible, a ``UserWarning`` says so, ``result.feasible`` is false and the
       least infeasible design is returned.

    The optimum is that of the Monte Carlo estimates with this seed and ``runs``:
    the ``se`` column of ``result.constraints`` says how sure a constraint's side
    is; raise ``runs`` when a slack is within a few standard errors of 0.

    Examples
    --------
    Error-tolerance compensation for a solver whose project fails at acceptance;
    the solver's other project succeeds and earns 2. The government pays the
    least compensation rate that lets the solver expect not to lose over both
    projects together:

    >>> def challenge(name, p2, demander_share, overrun):
    ...     phases = [{"duration": 1, "cost_share": 0.4, "pass_probability": 1},
    ...               {"duration": 1, "cost_share": 0.6, "pass_probability": p2}]
    ...     return {"name": name, "total_investment": 10, "phases": phases,
    ...             "demander_share": demander_share, "overrun": overrun}
    >>> sc = {"discount_rate": 0, "government": {"error_tolerance": {"enabled": True}},
    ...       "challenges": [challenge("fails", 0, 0.5, 1), challenge("earns", 1, 1, 0.8)]}
    >>> res = optimize(sc, {"government.error_tolerance.rate": (0, 1)},
    ...                constraints=["solver_npv_mean >= 0"], runs=2, seed=1)
    >>> round(res.best["government.error_tolerance.rate"], 2)  # 1 - 2 / 6.5 = 0.6923
    0.69
    >>> res.constraints[["constraint", "binding"]].values.tolist()
    [['solver_npv_mean >= 0', True]]

    Asking every challenge to clear the bar on its own (``solver_npv_min``) takes
    full compensation: the failing project alone is then worth 0 to its solver.

    >>> each = optimize(sc, {"government.error_tolerance.rate": (0, 1)},
    ...                 constraints=["solver_npv_min >= 0"], runs=2, seed=1)
    >>> round(each.best["government.error_tolerance.rate"], 2), each.feasible
    (1.0, True)
    """
    started = time.perf_counter()
    sc = as_scenario(scenario)  # type: ignore[arg-type]
    s = _check_search(search)
    rs = resolve_settings(settings, options, "optimize", runs=100, workers=1, progress=False)
    entropy = rs.entropy()
    n = s.n if s.n is not None or s.sampler == "grid" else 32
    design = make_design(sc, levers, sampler=s.sampler, n=n, entropy=entropy)
    paths = list(design.columns)
    objective, cons, measures = _check_measures(sc, paths, objective, constraints, pareto)
    # bounds of the refinement: the (low, high) range, or the listed grid values
    specs = {p: list(levers[p]) for p in paths}
    with _Evaluator(sc, rs, entropy) as ev:
        state = _State(ev, paths, objective, cons)
        state.evaluate(design, "search")
        if s.refine == "pattern":
            _pattern(state, specs, s, len(design))
        elif s.refine == "nelder-mead":
            _nelder_mead(state, specs, s)
    table = state.table
    best_i = int(_rank(table)[0])
    row = table.iloc[best_i]
    feasible = bool(row["feasible"])
    best = {p: _py(row[p]) for p in paths}
    if feasible:
        message = f"best of {len(table)} designs evaluated, all constraints satisfied"
    else:
        message = (
            f"no feasible design among the {len(table)} evaluated: returning the least "
            f"infeasible one ({', '.join(f'{k}={v!r}' for k, v in best.items())}); relax a "
            "constraint or widen the levers' ranges"
        )
        warnings.warn(message, UserWarning, stacklevel=2)
    return OptimizeResult(
        best=best,
        objective=float(row["objective"]),
        feasible=feasible,
        constraints=_constraint_table(table, cons, best_i, feasible),
        pareto=_pareto(table, measures, paths),
        evaluations=table,
        scenario=apply_overrides(sc, best),
        message=message,
        entropy=entropy,
        runs=ev.runs,
        elapsed=time.perf_counter() - started,
    )
