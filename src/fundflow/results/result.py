"""A Monte Carlo run's tables: runs, routes, challenges, parties, ledgers, summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fundflow.engine.layout import Layout
from fundflow.engine.ledger import Ledger
from fundflow.engine.outcome import NOT_STARTED, STATUS, SUCCEEDED
from fundflow.results import metrics
from fundflow.results.entry_table import entry_columns
from fundflow.results.exporter import exporter
from fundflow.results.measures import LOSS_MEASURES, RATIO_MEASURES, VALUE_KINDS, challenge_npv
from fundflow.scenario.config import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from fundflow.results.provenance import Provenance
# pandas is imported where a table is built, not here: a worker process imports this
# module (through montecarlo) and never builds one.

__all__ = ["CHALLENGE_SUMS", "SimulationResult", "challenge_sums", "routes_frame"]


@dataclass(eq=False)
class SimulationResult:
    """What :func:`fundflow.simulate` returns.

    Attributes
    ----------
    scenario : Scenario
    entropy : int
        Root seed entropy; ``simulate(scenario, runs, seed=entropy)`` reproduces it.
    replications : ndarray of int
    workers : int
    elapsed : float
        Wall time of the run in seconds.
    version : str
        fundflow version that produced the result.
    engine : str
        The simulation engine used: ``"compiled"`` or ``"simpy"``.
    provenance : Provenance
        All of these together with the scenario's hash, as compare and sweep
        results carry them (:mod:`fundflow.results.provenance`).
    convergence : dict or None
        Set by :func:`fundflow.simulate_until`.
    entry : dict or None
        With ``solver.entry: equilibrium``: the pilot's ``V(k)`` per challenge name
        and their standard errors (``{"runs", "values", "se"}``).
    """

    scenario: Scenario
    entropy: int
    replications: np.ndarray
    runs_columns: Mapping[str, np.ndarray]
    routes_columns: Mapping[str, np.ndarray]
    net_cash: np.ndarray
    parties: tuple[str, ...]
    ledgers: dict[int, Ledger]
    exposure: np.ndarray
    exposure_times: np.ndarray
    workers: int
    elapsed: float
    version: str
    engine: str = "simpy"
    rerun: Callable[[int], Ledger] | None = None
    convergence: dict[str, Any] | None = None
    entry: dict[str, Any] | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.replications.shape[0])

    @property
    def money_unit(self) -> str:
        return self.scenario.money_unit

    @property
    def provenance(self) -> Provenance:
        """Scenario, its hash, seed, runs, workers, time, version: :class:`Provenance`."""
        from fundflow.results.provenance import Provenance

        return Provenance.of(
            [self.scenario],
            entropy=self.entropy,
            runs=len(self),
            workers=self.workers,
            elapsed=self.elapsed,
            version=self.version,
            engine=self.engine,
        )

    @property
    def runs(self) -> pd.DataFrame:
        """One row per replication (index ``replication``), the measures of docs/model.md."""
        import pandas as pd

        if "runs" not in self._cache:
            frame = pd.DataFrame(
                dict(self.runs_columns), index=pd.Index(self.replications, name="replication")
            )
            self._cache["runs"] = frame
        return self._cache["runs"]

    @property
    def routes(self) -> pd.DataFrame:
        """One row per replication x route (MultiIndex ``replication, route``)."""
        if "routes" not in self._cache:
            self._cache["routes"] = routes_frame(self.scenario, self.routes_columns)
        return self._cache["routes"]

    def party_totals(self) -> pd.DataFrame:
        """Net cash (received minus paid) by party, one row per replication.

        Every row sums to zero: money is conserved.
        """
        import pandas as pd

        return pd.DataFrame(
            self.net_cash,
            columns=pd.Index(self.parties, name="party"),
            index=pd.Index(self.replications, name="replication"),
        )

    def ledger(self, replication: int = 0) -> pd.DataFrame:
        """The ledger of one replication as a DataFrame.

        Ledgers not kept during the run are re-simulated from the same draws.
        """
        rep = int(replication)
        if rep in self.ledgers:
            return self.ledgers[rep].to_frame()
        if self.rerun is None or rep < 0:
            raise KeyError(f"replication(={replication}) is not available")
        return self.rerun(rep).to_frame()

    def exposure_paths(self) -> pd.DataFrame:
        """Government cumulative net outflow (money unit) at quarterly times.

        One row per replication, one column per time in years (flows up to and
        including that time; ``gov_lp`` included).
        """
        import pandas as pd

        return pd.DataFrame(
            self.exposure,
            index=pd.Index(self.replications, name="replication"),
            columns=pd.Index(self.exposure_times, name="time"),
        )

    def to_frame(self) -> pd.DataFrame:
        """The runs table (one row per replication)."""
        return self.runs

    def export(self, directory: Any, formats: Any = ("csv",), lang: str = "en") -> list[Any]:
        """Write the summary, runs and routes tables, a ledger and a manifest to `directory`.

        See :func:`fundflow.io.export.export_result` for the layout and formats
        (``csv, xlsx, parquet, md, tex``); returns the paths written. The io layer
        is reached through :mod:`fundflow.results.exporter`, never imported here.
        """
        return exporter()(self, directory, formats, lang)

    def summary(self, alphas: tuple[float, ...] = (0.95, 0.99)) -> pd.DataFrame:
        """Mean, SE, 95% CI, std, percentiles; VaR/CVaR for loss-like measures.

        Money in the scenario's ``money_unit``; counts and shares as numbers. The
        program ratios of :data:`~fundflow.results.measures.RATIO_MEASURES`
        (``gov_cost_per_success``, ``leverage``) follow ``gov_mean_delay``: their
        ``mean`` is the ratio of means, ``se`` its delta-method standard error and
        the interval ``mean ± t · se`` (:func:`fundflow.results.metrics.summarize_ratios`);
        they have no percentiles.
        """
        import pandas as pd

        cols = self.runs_columns
        names = list(cols)
        # a few columns at a time: each measure's statistics depend on its own values
        # only, so the numbers are the same however the columns are grouped, and a
        # result read from disk (fundflow.open_run) never holds every column at once
        step = max(1, _COLUMN_BYTES // (8 * max(1, len(self))))
        parts = []
        for at in range(0, len(names), step):
            group = _take(cols, names[at : at + step])
            losses = [m for m in LOSS_MEASURES if m in group]
            parts.append(metrics.summarize(group, loss_measures=losses, alphas=alphas))
        table = pd.concat(parts)
        ratios = {k: v for k, v in RATIO_MEASURES.items() if set(v) <= set(names)}
        needed = {c: cols[c] for c in dict.fromkeys(c for v in ratios.values() for c in v)}
        rows = metrics.summarize_ratios(needed, ratios, alphas=alphas)
        names = list(table.index)
        at = names.index("gov_mean_delay") + 1 if "gov_mean_delay" in names else len(names)
        return pd.concat([table.iloc[:at], rows, table.iloc[at:]])

    def party_table(self) -> pd.DataFrame:
        """Mean net cash by party, with program cash and realised value apart.

        Net cash is received minus paid (+ = the party gains money). The
        government is one party: ``government`` includes the guided fund's
        government LP, so its ``net`` is minus the headline ``gov_net_cost``; the
        row ``gov_lp_of_which`` shows the fund part alone (already included).
        ``realised_value`` is value a success creates
        (:data:`~fundflow.results.measures.VALUE_KINDS`: the demander's commercial value,
        the solver's own value) and ``external`` (suppliers, buyers and markets
        outside the program) its counterpart; ``program_cash`` is the rest, the
        program's money flows.

        Returns
        -------
        pandas.DataFrame
            Index ``party``; columns ``program_cash``, ``realised_value``, ``net``
            (their sum, means over replications), and ``p5``, ``p95`` of ``net``.
            Each column sums to zero over the parties (money is conserved), the
            ``gov_lp_of_which`` row left out.
        """
        import pandas as pd

        value = {p: np.zeros(len(self)) for p in self.parties}
        for party, column in VALUE_KINDS.values():
            if column in self.runs_columns:
                kept = np.asarray(self.runs_columns[column], dtype=float)
                value[party] = value[party] + kept
                value["external"] = value["external"] - kept
        fold = {"government": ("government", "gov_lp"), "gov_lp_of_which": ("gov_lp",)}
        names = ["government", "gov_lp_of_which"]
        names += [p for p in self.parties if p not in ("government", "gov_lp", "external")]
        names.append("external")
        rows = {}
        for name in names:
            parts = fold.get(name, (name,))
            total = np.sum([self._party_net(p) for p in parts], axis=0)
            realised = np.sum([value[p] for p in parts], axis=0)
            p5, p95 = np.quantile(total, [0.05, 0.95])
            rows[name] = {
                "program_cash": float(np.mean(total - realised)),
                "realised_value": float(np.mean(realised)),
                "net": float(np.mean(total)),
                "p5": float(p5),
                "p95": float(p95),
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "party"
        return frame

    def _party_net(self, party: str) -> np.ndarray:
        """One party's net cash, one value per replication."""
        return np.asarray(self.net_cash[:, self.parties.index(party)])

    def _challenge_sums(self) -> Mapping[str, np.ndarray]:
        """Per replication and challenge name: :func:`challenge_sums` of the routes."""
        cols = self.routes_columns
        return challenge_sums(
            Layout.of(self.scenario),
            cols["status"],
            cols["solver_npv"],
            cols["gov_net_cost"],
            cols["demander_npv"],
            cols.get("demander_gov_npv"),
        )

    @property
    def challenges(self) -> pd.DataFrame:
        """One row per challenge name (copies pooled): participation and who pays.

        Columns: ``copies``; ``routes_started`` (per copy, mean);
        ``success_probability`` (share of copies x replications that succeeded);
        ``solver_npv_per_route``: the solver's expected NPV (discounted to t = 0)
        per route that started, ``E[NPV summed over started routes] / E[routes
        started]`` over replications, with ``solver_npv_se`` (delta method,
        clustered by replication) and ``solver_npv_ci_low``/``_high`` (95%);
        ``required_npv`` (``solver.required_npv``) and ``clears_required_npv``
        (``solver_npv_per_route >= required_npv``); ``gov_challenge_net_cost``, the
        government's net cost of one copy (its routes' payments; the guided fund,
        pooled over the program, is left out) and ``demander_npv`` (one copy), each
        a mean over replications with its ``_se``.
        """
        import pandas as pd

        if "challenges" in self._cache:
            return self._cache["challenges"]
        layout = Layout.of(self.scenario)
        sums = self._challenge_sums()
        reps, names = len(self), [c.name for c in self.scenario.challenges]
        copies = np.bincount(layout.challenge_spec, minlength=len(names)).astype(float)
        est, se, routes_started = _npv_per_route(sums["npv_sum"], sums["started"])
        low, high = metrics.t_interval(est, se, reps)
        required = float(getattr(self.scenario.solver, "required_npv", 0.0) or 0.0)

        def per_copy(column: str) -> tuple[np.ndarray, np.ndarray]:
            stats = [_mean_se(col / copies[j]) for j, col in _by_column(sums[column])]
            return np.array([m for m, _ in stats]), np.array([e for _, e in stats])

        gov, gov_se = per_copy("gov_net_cost")
        dem, dem_se = per_copy("demander_npv")
        frame = pd.DataFrame(
            {
                "copies": copies.astype(np.int64),
                "routes_started": routes_started / copies,
                "success_probability": sums["successes"].sum(axis=0) / (reps * copies),
                "solver_npv_per_route": est,
                "solver_npv_se": se,
                "solver_npv_ci_low": low,
                "solver_npv_ci_high": high,
                "required_npv": required,
                "clears_required_npv": np.asarray(est >= required),
                "gov_challenge_net_cost": gov,
                "gov_challenge_net_cost_se": gov_se,
                "demander_npv": dem,
                "demander_npv_se": dem_se,
                **entry_columns(self.scenario, sums, self.entry, copies),
            },
            index=pd.Index(names, name="challenge"),
        )
        self._cache["challenges"] = frame
        return frame


def _by_column(values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """The columns of a (replications, names) array, one contiguous copy at a time."""
    for j in range(values.shape[1]):
        yield j, np.ascontiguousarray(values[:, j])


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean over replications and its standard error (NaN with one replication)."""
    se = float(np.std(x, ddof=1)) / np.sqrt(x.size) if x.size > 1 else np.nan
    return float(np.mean(x)), float(se)


def _npv_per_route(
    npv_sum: np.ndarray, started: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per challenge name: solver NPV per started route (ratio of means), its SE, and the
    mean routes started; one name at a time, so a long run needs one column at once."""
    est, se, mean_started = [], [], []
    for j, x in _by_column(npv_sum):
        y = np.ascontiguousarray(started[:, j])
        ratio = metrics.ratio_of_means(x, y)
        est.append(ratio.estimate)
        se.append(ratio.se)
        mean_started.append(float(np.mean(y)))
    return np.array(est, dtype=float), np.array(se, dtype=float), np.array(mean_started)


def routes_frame(scenario: Scenario, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The routes table of `columns` (``route``, ``challenge``, the measures, ``replication``;
    ``status`` as codes or names), as :attr:`SimulationResult.routes` shows it."""
    import pandas as pd

    cols = dict(columns)
    if cols["status"].dtype.kind in "iu":  # codes, as simulate() sends them
        cols["status"] = np.asarray(STATUS, dtype=object)[cols["status"]]
    frame = pd.DataFrame(cols).set_index(["replication", "route"])
    names = [c.name for c in scenario.challenges]
    spec = [names[i] for i in _challenge_specs(scenario)]
    frame.insert(1, "challenge_name", np.asarray(spec, dtype=object)[frame["challenge"].to_numpy()])
    return frame


#: Bytes of runs-table columns summarised at once (the summary's work takes a few times it).
_COLUMN_BYTES = 8 << 20


def _take(columns: Mapping[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    """Columns `names`, read together where the mapping can (``take``: a stored run's)."""
    take = getattr(columns, "take", None)
    return take(names) if take is not None else {n: columns[n] for n in names}


#: The per-replication, per-challenge-name sums that :attr:`SimulationResult.challenges`
#: is computed from (:func:`challenge_sums`).
CHALLENGE_SUMS = (
    "npv_sum", "started", "successes", "gov_net_cost", "demander_npv", "filled", "demander_gov_npv"
)  # fmt: skip


def challenge_sums(
    layout: Layout,
    status: np.ndarray,
    solver_npv: np.ndarray,
    gov_net_cost: np.ndarray,
    demander_npv: np.ndarray,
    demander_gov_npv: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per replication and challenge name (copies pooled), what the challenges table needs.

    Every row depends on its own replication's routes only, so the sums of a block
    of replications are the rows of the sums of the whole run: a stored run keeps
    them per block (:mod:`fundflow.results.store`).

    Returns
    -------
    dict of str to ndarray
        :data:`CHALLENGE_SUMS`, each of shape ``(replications, challenge names)``:
        the solver NPV summed over started routes, routes started, copies that
        succeeded, and the routes' government net cost and demander NPV summed.
    """
    npv_sum, started = challenge_npv(layout, status, solver_npv)
    return {
        "npv_sum": npv_sum,
        "started": started,
        "successes": _successes(layout, status),
        "gov_net_cost": _by_name(layout, np.asarray(gov_net_cost, dtype=float)),
        "demander_npv": _by_name(layout, np.asarray(demander_npv, dtype=float)),
        "filled": _copies_with(layout, status, started=True),
        "demander_gov_npv": _by_name(
            layout,
            np.zeros(np.asarray(status).size)
            if demander_gov_npv is None
            else np.asarray(demander_gov_npv, dtype=float),
        ),
    }


def _by_name(layout: Layout, values: np.ndarray) -> np.ndarray:
    """Per-route values (replication by replication) summed per challenge name."""
    n_names = int(layout.challenge_spec.max(initial=-1)) + 1
    per_rep = values.reshape(-1, layout.n_routes)
    out = np.zeros((per_rep.shape[0], n_names))
    for spec in range(n_names):
        out[:, spec] = per_rep[:, layout.route_spec == spec].sum(axis=1)
    return out


def _successes(layout: Layout, status: np.ndarray) -> np.ndarray:
    """Per replication and challenge name: copies in which some route succeeded."""
    return _copies_with(layout, status)


def _copies_with(layout: Layout, status: np.ndarray, started: bool = False) -> np.ndarray:
    """Per replication and challenge name: copies in which some route succeeded (or,
    with ``started``, some route started)."""
    codes = np.asarray(status)
    if codes.dtype.kind not in "iu":
        codes = np.asarray([STATUS.index(str(s)) for s in codes.tolist()])
    hit = codes != NOT_STARTED if started else codes == SUCCEEDED
    won = hit.reshape(-1, layout.n_routes)
    n_copies = layout.n_challenges
    per_copy = np.zeros((won.shape[0], n_copies), dtype=bool)
    for c in range(n_copies):
        per_copy[:, c] = won[:, layout.route_challenge == c].any(axis=1)
    n_names = int(layout.challenge_spec.max(initial=-1)) + 1
    out = np.zeros((won.shape[0], n_names))
    for spec in range(n_names):
        out[:, spec] = per_copy[:, layout.challenge_spec == spec].sum(axis=1)
    return out


def _challenge_specs(scenario: Scenario) -> list[int]:
    return [i for i, c in enumerate(scenario.challenges) for _ in range(c.count)]
