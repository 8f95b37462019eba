"""A Monte Carlo run's tables: runs, routes, net cash by party, ledgers, summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import metrics
from ._engine_des import STATUS
from .config import Scenario
from .ledger import Ledger
from .measures import LOSS_MEASURES

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported where a table is built, not here: a worker process imports this
# module (through montecarlo) and never builds one.

__all__ = ["SimulationResult"]


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
    convergence : dict or None
        Set by :func:`fundflow.simulate_until`.
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
    rerun: Callable[[int], Ledger] | None = None
    convergence: dict[str, Any] | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.replications.shape[0])

    @property
    def money_unit(self) -> str:
        return self.scenario.money_unit

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
        import pandas as pd

        if "routes" not in self._cache:
            cols = dict(self.routes_columns)
            if cols["status"].dtype.kind in "iu":  # codes, as simulate() sends them
                cols["status"] = np.asarray(STATUS, dtype=object)[cols["status"]]
            frame = pd.DataFrame(cols).set_index(["replication", "route"])
            names = [c.name for c in self.scenario.challenges]
            spec = [names[i] for i in _challenge_specs(self.scenario)]
            frame.insert(
                1, "challenge_name", np.asarray(spec, dtype=object)[frame["challenge"].to_numpy()]
            )
            self._cache["routes"] = frame
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

        See :func:`fundflow.export.export_result` for the layout and formats
        (``csv, xlsx, parquet, md, tex``); returns the paths written.
        """
        from .export import export_result

        return export_result(self, directory, formats, lang)

    def summary(self, alphas: tuple[float, ...] = (0.95, 0.99)) -> pd.DataFrame:
        """Mean, SE, 95% CI, std, percentiles; VaR/CVaR for loss-like measures.

        Money in the scenario's ``money_unit``; counts and shares as numbers.
        """
        losses = [m for m in LOSS_MEASURES if m in self.runs_columns]
        return metrics.summarize(self.runs, loss_measures=losses, alphas=alphas)


def _challenge_specs(scenario: Scenario) -> list[int]:
    return [i for i, c in enumerate(scenario.challenges) for _ in range(c.count)]
