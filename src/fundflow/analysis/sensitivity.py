"""Global sensitivity of program outcomes to uncertain inputs and levers, with SALib.

Two methods:

* **Sobol'** (variance-based): ``SALib.sample.sobol`` (Saltelli's scheme on a
  scrambled Sobol' sequence, ``n * (d + 2)`` model points for ``d`` inputs) and
  ``SALib.analyze.sobol``: first-order ``S1`` (the share of the output's variance
  explained by the input alone) and total ``ST`` (including its interactions),
  with bootstrap confidence half-widths.
* **Morris** (elementary effects, a cheaper screening): ``SALib.sample.morris``
  (``n`` trajectories, ``n * (d + 1)`` points) and ``SALib.analyze.morris``:
  ``mu_star`` (mean absolute effect of moving the input across its range, in the
  output's unit), ``mu``, ``sigma`` (spread: non-linearity or interaction).

The model evaluated at each point is the Monte Carlo estimate of an output (e.g.
the CVaR95 of government net cost over ``runs`` replications). Every point is
simulated with the same replications' draws (common random numbers, through
:mod:`fundflow.analysis.sweeps`), so the estimate is a deterministic, smooth-as-possible
function of the inputs: an input that does not touch an output changes it by
exactly nothing, and gets an index of exactly 0 instead of sampling noise.
"""

from __future__ import annotations

import difflib
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

import numpy as np
import pandas as pd

from fundflow.analysis.design import _check_levers, _range, _whole, is_integer_lever
from fundflow.analysis.sweeps import _Evaluator, output_names
from fundflow.errors import ConfigError
from fundflow.results.statistics import sweep_columns
from fundflow.run.montecarlo import as_scenario, check_positive_int
from fundflow.run.settings import RunOptions, RunSettings, resolve_settings
from fundflow.scenario.config import Scenario

__all__ = ["DEFAULT_OUTPUTS", "METHODS", "output_names", "sensitivity"]

#: The methods :func:`sensitivity` knows.
METHODS: tuple[str, ...] = ("sobol", "morris")

#: Government tail risk, solver risk, program success.
DEFAULT_OUTPUTS: tuple[str, ...] = (
    "gov_budget_cost_cvar95",
    "solver_loss_share_mean",
    "challenges_succeeded_mean",
)

#: ``spawn_key`` of the ``SeedSequence`` stream seeding SALib's samplers and
#: bootstraps (apart from the replications' Philox draws, :mod:`fundflow.engine.draws`).
_SALIB_STREAM = (0x53414C4942,)

_MORRIS_LEVELS = 4


def _check_outputs(scenario: Scenario, outputs: Any) -> list[str]:
    names = [outputs] if isinstance(outputs, str) else list(outputs or [])
    if not names:
        raise ConfigError("outputs", outputs, "name at least one output, e.g. gov_net_cost_cvar95")
    known = output_names(scenario)
    plain = ", _".join(sweep_columns(False))
    losses = ", _".join(c for c in sweep_columns(True) if c not in sweep_columns(False))
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(
                "outputs",
                name,
                f"{hint}an output is a column of the sweep table: {{measure}}_{plain}, and "
                f"for loss measures _{losses}",
            )
    return names


def _problem(scenario: Scenario, inputs: Any) -> dict[str, Any]:
    paths = _check_levers(scenario, inputs)
    bounds = []
    for p in paths:
        low, high = _range(p, inputs[p], "sensitivity")
        if not low < high:
            raise ConfigError(f"inputs[{p!r}]", inputs[p], "the range must have low < high")
        bounds.append([low, high])
    return {"num_vars": len(paths), "names": paths, "bounds": bounds}


def _design(problem: dict[str, Any], x: np.ndarray) -> pd.DataFrame:
    """SALib's sample as design points; whole-number inputs mapped to integers."""
    cols: dict[str, list[Any]] = {}
    for j, (path, (low, high)) in enumerate(zip(problem["names"], problem["bounds"], strict=True)):
        if is_integer_lever(path):
            unit = np.clip((x[:, j] - low) / (high - low), 0.0, 1.0 - 1e-12)
            cols[path] = _whole(path, [low, high], unit, low, high)
        else:
            cols[path] = x[:, j].tolist()
    return pd.DataFrame(cols, index=pd.RangeIndex(len(x), name="design_point"))


def _indices(
    method: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int, output: str
) -> dict[str, np.ndarray]:
    d = problem["num_vars"]
    keys = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else _MORRIS_KEYS
    if not np.all(np.isfinite(y)):
        warnings.warn(
            f"output {output} is NaN or infinite at some points; its indices are NaN",
            UserWarning,
            stacklevel=3,
        )
        return {k: np.full(d, np.nan) for k in keys}
    if np.ptp(y) == 0.0:
        warnings.warn(
            f"output {output} takes the same value at every point: no input moves it, "
            "its indices are 0",
            UserWarning,
            stacklevel=3,
        )
        return {k: np.zeros(d) for k in keys}
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    else:
        from SALib.analyze import morris as morris_analyze

        res = morris_analyze.analyze(problem, x, y, num_levels=_MORRIS_LEVELS, seed=seed)
    return {k: np.asarray(np.ma.filled(res[k], np.nan), dtype=float) for k in keys}


_MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")


def sensitivity(
    scenario: Scenario | str | Mapping[str, Any],
    inputs: Mapping[str, Sequence[float]],
    outputs: str | Sequence[str] = DEFAULT_OUTPUTS,
    *,
    method: str = "sobol",
    n: int = 64,
    settings: RunSettings | None = None,
    **options: Unpack[RunOptions],
) -> pd.DataFrame:
    """Global sensitivity indices of outputs to inputs (SALib Sobol' or Morris).

    Parameters
    ----------
    scenario : Scenario, path or mapping
        The base scenario.
    inputs : mapping of path to (low, high)
        The inputs (levers or uncertainties), each varied uniformly over its range;
        whole-number keys (``solvers``...) are mapped to equally likely integers
        (Morris' elementary effects are then computed on the unrounded sample).
    outputs : str or sequence of str
        Columns of the sweep table (:func:`output_names`): ``{measure}_mean``,
        ``{measure}_se``, and for loss measures ``{measure}_cvar95`` and
        ``{measure}_prob_loss``. Default: government net cost CVaR95, mean share
        of solvers' routes with a loss, mean challenges succeeded.
    method : {"sobol", "morris"}
    n : int
        Sobol': base sample size (a power of 2), ``n * (d + 2)`` points.
        Morris: trajectories, ``n * (d + 1)`` points.
    settings : RunSettings, optional
        The run options together; keywords given as well override its fields.
    **options
        The fields of :class:`~fundflow.run.settings.RunSettings`: ``runs``
        (replications per point, default 100, the same at every point: common
        random numbers); ``seed`` (root entropy of the replications, also seeding
        SALib's sampler and bootstrap; ``None`` draws fresh entropy, in
        ``result.attrs["entropy"]``); ``workers`` (one runner, one pool for every
        point), ``progress``, ``chunk_size``, ``executor``: results do not depend
        on these four.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per (output, input), in the order given. Columns ``output``,
        ``input``, then Sobol': ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
        (confidence half-widths at 95%); Morris: ``mu``, ``mu_star``,
        ``mu_star_conf``, ``sigma`` (in the output's unit, per move across the
        input's range). ``attrs`` records ``method``, ``n``, ``runs``,
        ``entropy``, ``points`` and ``elapsed``. An output that is the same at
        every point gets indices 0 (with a warning); one that is NaN somewhere
        gets NaN (with a warning).

    Raises
    ------
    ConfigError
        For an unknown method or output, no inputs, an input path that does not
        exist, a range that is not (low, high) with low < high, or a value the
        scenario refuses (naming the point).

    Examples
    --------
    >>> sc = {"discount_rate": 0.03, "challenges": [{"name": "chip", "total_investment": 10}]}
    >>> idx = sensitivity(
    ...     sc,
    ...     {"government.matching.ratio": (0.1, 0.3), "discount_rate": (0.0, 0.1)},
    ...     "gov_net_cost_mean",
    ...     n=8,
    ...     runs=10,
    ...     seed=1,
    ... )
    >>> idx[["input", "ST"]].round(2).values.tolist()
    [['government.matching.ratio', 0.91], ['discount_rate', 0.0]]
    """
    sc = as_scenario(scenario)  # type: ignore[arg-type]
    if method not in METHODS:
        close = difflib.get_close_matches(str(method), METHODS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError("method", method, f"{hint}must be one of " + " | ".join(METHODS))
    n = check_positive_int("n", n)
    s = resolve_settings(settings, options, "sensitivity", runs=100, workers=1)
    problem = _problem(sc, inputs)
    names = _check_outputs(sc, outputs)
    entropy = s.entropy()
    salib_seed = int(np.random.SeedSequence(entropy, spawn_key=_SALIB_STREAM).generate_state(1)[0])
    started = time.perf_counter()
    # SALib is imported here, not with fundflow (it pulls in multiprocess and dill)
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        x = sobol_sample.sample(problem, n, calc_second_order=False, seed=salib_seed)
    else:
        from SALib.sample import morris as morris_sample

        x = morris_sample.sample(problem, n, num_levels=_MORRIS_LEVELS, seed=salib_seed)
    design = _design(problem, x)
    with _Evaluator(sc, s, entropy) as ev:
        table = ev.table(design, None)
    rows = []
    for output in names:
        idx = _indices(method, problem, x, table[output].to_numpy(dtype=float), salib_seed, output)
        for j, path in enumerate(problem["names"]):
            rows.append(
                {"output": output, "input": path, **{k: float(v[j]) for k, v in idx.items()}}
            )
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        method=method,
        n=n,
        runs=s.runs,
        entropy=entropy,
        points=len(design),
        elapsed=time.perf_counter() - started,
    )
    return frame
