"""A Monte Carlo run's tables: runs, routes, challenges, parties, ledgers, summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fundflow.engine.layout import Layout, budget_years
from fundflow.engine.ledger import Ledger
from fundflow.engine.outcome import STATUS
from fundflow.results import metrics
from fundflow.results.challenge_sums import by_name, challenge_sums, name_statistics
from fundflow.results.contributions import EULER_MEASURES, contributions
from fundflow.results.entry_table import entry_columns
from fundflow.results.exporter import exporter
from fundflow.results.measures import LOSS_MEASURES, RATIO_MEASURES, VALUE_KINDS
from fundflow.scenario.config import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from fundflow.results.provenance import Provenance
# pandas is imported where a table is built, not here: a worker process imports this
# module (through montecarlo) and never builds one.

__all__ = ["SimulationResult", "routes_frame"]


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
    #: (n, len(YEAR_QUANTITIES), budget years): the replications' money by budget year
    years: np.ndarray | None = None
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
        """The government's cumulative net budget outflow (money unit) at quarterly times.

        One row per replication, one column per time in years (flows up to and
        including that time; budget cash only: the guided fund's stake and tax forgone
        are not in it).
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
        """Write the summary, challenges and party tables, a ledger and a manifest to `directory`.

        See :func:`fundflow.io.export.export_result` for the layout and formats
        (``csv, xlsx, parquet, md, tex``); returns the paths written. The io layer
        is reached through :mod:`fundflow.results.exporter`, never imported here.
        """
        return exporter()(self, directory, formats, lang)

    def budget_by_year(self) -> pd.DataFrame:
        """The government's money by budget year (分年度预算), one row per year
        ``0 .. ceil(horizon) - 1``: budget cash under the annual budget (mean, median,
        95th percentile, maximum), outside it, commitments carried into the next year,
        the probability that the year's budget bound, fund calls and tax forgone (memo
        columns) and the annual budget (:mod:`fundflow.results.budget_years`). Money
        in the scenario's ``money_unit``; the years' means add up to the runs table's.
        """
        from fundflow.results.budget_years import budget_by_year

        if "budget_by_year" not in self._cache:
            sc = self.scenario
            self._cache["budget_by_year"] = budget_by_year(
                self.year_values, budget_years(sc.horizon), sc.government.annual_budget
            )
        return self._cache["budget_by_year"]

    def year_values(self, quantity: str, year: int) -> np.ndarray:
        """The replications' values of a quantity of
        :data:`~fundflow.results.block_measures.YEAR_QUANTITIES` (``"budget_cash"``,
        ``"budget_binds"``, ...) in budget year ``year``, one per replication."""
        from fundflow.results.block_measures import YEAR_QUANTITIES

        if self.years is None:
            raise ValueError("this result holds no values by budget year")
        return self.years[:, YEAR_QUANTITIES.index(quantity), year]

    def report(self, path: Any, lang: str = "en", unit: str | None = None) -> Any:
        """Write the one-page summary for a director, one self-contained HTML file
        (:func:`fundflow.plots.report.write_report`): the cost by kind of money, the
        budget by year, the probability that a year's budget binds, the challenges that
        drive the tail, the performance figures, in ``unit`` (万元, 亿元, 百万元, 元)
        when the scenario's money is in CNY. Returns the path written.
        """
        return exporter("report")(self, path, lang, unit)

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
        needed = _take(cols, list(dict.fromkeys(c for v in ratios.values() for c in v)))
        rows = metrics.summarize_ratios(needed, ratios, alphas=alphas)
        names = list(table.index)
        at = names.index("gov_mean_delay") + 1 if "gov_mean_delay" in names else len(names)
        return pd.concat([table.iloc[:at], rows, table.iloc[at:]])

    def party_table(self) -> pd.DataFrame:
        """Mean net cash by party, with program cash and realised value apart.

        Net cash is received minus paid (+ = the party gains money). The
        government is one party: ``government`` includes the guided fund's
        government LP, so its ``net`` is minus the headline ``gov_net_cost``; the
        row ``gov_lp_of_which`` shows the fund part alone (already included), and
        ``pool_of_which`` the risk-compensation pool's (a government account).
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
            ``gov_lp_of_which`` and ``pool_of_which`` rows left out.
        """
        import pandas as pd

        zero = np.zeros(len(self))  # shared, never written to: one array, not one a party
        value = dict.fromkeys(self.parties, zero)
        for party, column in VALUE_KINDS.values():
            if column in self.runs_columns:
                kept = np.asarray(self.runs_columns[column], dtype=float)
                value[party] = value[party] + kept
                value["external"] = value["external"] - kept
        fold = {
            "government": ("government", "gov_lp", "pool"),
            "gov_lp_of_which": ("gov_lp",),
            "pool_of_which": ("pool",),
        }
        names = ["government", "gov_lp_of_which"]
        credit = self.scenario.credit
        names += ["pool_of_which"] if credit is not None and credit.risk_pool else []
        own = ("government", "gov_lp", "pool", "external")
        names += [p for p in self.parties if p not in own]
        names.append("external")
        rows = {}
        for name in names:
            parts = fold.get(name, (name,))
            total = _added(self._party_net(p) for p in parts)
            realised = _added(value[p] for p in parts)
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
        return challenge_sums(Layout.of(self.scenario), cols)

    def _tail_rows(self, measure: str, index: np.ndarray) -> np.ndarray:
        """Per challenge name, the routes' `measure` summed at replications `index`
        (positions in the runs table), shape ``(len(index), names)``."""
        values = np.asarray(self.routes_columns[measure], dtype=float)
        return by_name(Layout.of(self.scenario), values)[index]

    def tail_contributions(
        self, measure: str = "gov_budget_cost", alpha: float = 0.95
    ) -> pd.DataFrame:
        """Which challenges drive the tail: each one's contribution to the CVaR of `measure`.

        The Euler allocation of the program's CVaR (docs/model.md, "Contribution to
        the tail"): a challenge name's contribution (copies summed) is the weighted
        mean of its part of `measure` over the worst ``(1 - alpha)`` share of the
        replications, replications tied at the boundary sharing its weight equally.
        What belongs to no challenge (the guided fund's net cost, payments of no
        challenge) is the ``unallocated`` row, so the rows add up to the CVaR.

        Parameters
        ----------
        measure : {"gov_budget_cost", "gov_net_cost"}, default "gov_budget_cost"
            The budget cost or the all-in net cost.
        alpha : float, default 0.95
            Confidence level, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Index ``challenge``: the challenge names, largest contribution first, then
            ``unallocated``; columns ``contribution`` (money, the scenario's
            ``money_unit``) and ``share`` (of the CVaR). ``attrs["cvar"]`` is the
            program's CVaR (the summary's), ``attrs["measure"]``, ``attrs["alpha"]``
            and ``attrs["money_unit"]`` say what it is.

        Raises
        ------
        ValueError
            If `measure` is another one, or `alpha` is not in (0, 1).
        """
        from fundflow.results.contributions import contribution_table

        return contribution_table(self, measure, alpha)

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
        (``solver_npv_per_route >= required_npv``); ``gov_challenge_budget_cost``
        and ``gov_challenge_net_cost``, the government's budget cost and all-in net
        cost of one copy (its routes' payments; the guided fund, pooled over the
        program, is left out) and ``demander_npv`` (one copy), each a mean over
        replications with its ``_se``; ``cvar95_gov_budget_cost`` and
        ``cvar95_gov_net_cost``, the name's contribution (all copies) to the CVaR 95%
        of the program's budget cost and net cost (:meth:`tail_contributions`, whose
        ``unallocated`` row holds the rest).
        """
        import pandas as pd

        if "challenges" in self._cache:
            return self._cache["challenges"]
        layout = Layout.of(self.scenario)
        reps, names = len(self), [c.name for c in self.scenario.challenges]
        copies = np.bincount(layout.challenge_spec, minlength=len(names)).astype(float)
        parts, entry_keys = [], []
        for which, sums in self._challenge_groups():
            part = name_statistics(sums, copies[which])
            extra = entry_columns(self.scenario, sums, self.entry, copies[which], which)
            entry_keys = list(extra)
            parts.append({**part, **extra})
            del sums  # before the next group is read: one group's sums in memory at a time
        cols = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
        low, high = metrics.t_interval(cols["est"], cols["se"], reps)
        required = float(getattr(self.scenario.solver, "required_npv", 0.0) or 0.0)
        tail = {m: contributions(self, m)[0][:-1] for m in EULER_MEASURES}
        frame = pd.DataFrame(
            {
                "copies": copies.astype(np.int64),
                "routes_started": cols["routes_started"] / copies,
                "success_probability": cols["successes"] / (reps * copies),
                "solver_npv_per_route": cols["est"],
                "solver_npv_se": cols["se"],
                "solver_npv_ci_low": low,
                "solver_npv_ci_high": high,
                "required_npv": required,
                "clears_required_npv": np.asarray(cols["est"] >= required),
                "gov_challenge_budget_cost": cols["budget"],
                "gov_challenge_budget_cost_se": cols["budget_se"],
                "gov_challenge_net_cost": cols["gov"],
                "gov_challenge_net_cost_se": cols["gov_se"],
                "demander_npv": cols["dem"],
                "demander_npv_se": cols["dem_se"],
                **{f"cvar95_{m}": values for m, values in tail.items()},
                **{k: cols[k] for k in entry_keys},
            },
            index=pd.Index(names, name="challenge"),
        )
        self._cache["challenges"] = frame
        return frame

    def _challenge_groups(self) -> Iterator[tuple[slice, Mapping[str, np.ndarray]]]:
        """The challenge names in groups (a slice of them) with their :data:`CHALLENGE_SUMS`,
        each of shape (replications, names of the group): here all of them at once."""
        yield slice(None), self._challenge_sums()


def _added(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """The arrays added one after the other (the bits of ``np.sum(list, axis=0)``),
    holding two at a time instead of all of them stacked."""
    it = iter(arrays)
    total = np.array(next(it), dtype=float)
    for a in it:
        total += a
    return total


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


def _challenge_specs(scenario: Scenario) -> list[int]:
    return [i for i, c in enumerate(scenario.challenges) for _ in range(c.count)]
