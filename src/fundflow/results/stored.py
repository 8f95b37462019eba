"""A run read back from its store: the same result object, its columns read from disk.

:func:`open_run` returns a :class:`StoredResult`, a
:class:`~fundflow.results.result.SimulationResult` whose columns are read from the
store's Parquet datasets when asked for (:mod:`fundflow.results.store`). Its
summary reads each column of the runs table once, several columns in one pass over
the part files (:data:`READ_BYTES` of them at a time), and summarises them a few at
a time; its challenges table reads the stored per-challenge sums a group of names at
a time, its tail contributions the stored sums of the tail's replications only, its
party table one party at a time. So none of them holds every
replication's rows at once, and each gives exactly the numbers of the run held in
memory (every statistic of a column, or of a name, is computed from it alone, by
the same code). ``runs``, ``routes``, ``party_totals()`` and ``exposure_paths()``
read their whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fundflow.engine.ledger import PARTIES
from fundflow.errors import ConfigError
from fundflow.results import statistics
from fundflow.results.challenge_sums import CHALLENGE_SUMS
from fundflow.results.provenance import scenario_sha256
from fundflow.results.result import SimulationResult
from fundflow.results.store import SCHEMA_VERSION, Store, read_manifest
from fundflow.scenario.config import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StoredResult", "read_stored"]


#: Bytes of a dataset's columns read in one pass over its part files (the summary's
#: columns, the challenge sums of a group of names); a column of 10^6 replications is 8 MB.
READ_BYTES = 32 << 20


class _Columns(Mapping[str, np.ndarray]):
    """A dataset's columns, each read from disk when asked for.

    :meth:`take` reads ahead: with the columns asked for, those that follow them and
    were not handed out yet, up to `budget` bytes, in the same pass over the part
    files; each is kept until it is handed out, once.
    """

    def __init__(
        self, store: Store, dataset: str, skip: tuple[str, ...] = (), budget: int | None = None
    ) -> None:
        self.store, self.dataset, self.budget = store, dataset, budget
        self.names = [n for n in store.columns(dataset) if n not in skip]
        self.ahead: dict[str, np.ndarray] = {}
        self.given: set[str] = set()  # handed out: not read ahead again

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(name)
        if name in self.ahead:
            return self.ahead.pop(name)
        return self.store.column(self.dataset, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def take(self, names: list[str]) -> dict[str, np.ndarray]:
        """Columns `names`, read in one pass over the part files with those that follow."""
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise KeyError(unknown[0])
        missing = [n for n in names if n not in self.ahead]
        if missing:
            rows = sum(int(b["rows"][self.dataset]) for b in self.store.manifest["blocks"])
            budget = READ_BYTES if self.budget is None else self.budget
            room = max(len(missing), budget // (8 * max(1, rows)))
            after = self.names[self.names.index(missing[-1]) + 1 :]
            new = [n for n in after if n not in self.ahead and n not in self.given]
            self.ahead.update(self.store.table(self.dataset, missing + new[: room - len(missing)]))
        self.given.update(names)
        return {n: self.ahead.pop(n) for n in names}


class StoredResult(SimulationResult):
    """A :class:`~fundflow.results.result.SimulationResult` read from a store directory.

    Made by :func:`open_run` (and returned by ``simulate(..., store=DIR)``); the
    same attributes and methods, with ``store`` the :class:`~fundflow.results.store.Store`.
    """

    def __init__(self, store: Store, scenario: Scenario, rerun: Any = None) -> None:
        m = store.manifest
        self.store = store
        self.scenario = scenario
        self.entropy = int(m["seed_entropy"])
        self.replications = store.column("runs", "replication").astype(np.int64)
        self.parties = tuple(m.get("parties", PARTIES))
        self.ledgers = {}
        self.exposure_times = np.asarray(m["exposure_times"], dtype=float)
        self.workers = int(m.get("workers", 1))
        self.elapsed = float(m.get("elapsed_seconds", 0.0))
        self.version = str(m["fundflow_version"])
        self.engine = "+".join(m.get("engines_used", [])) or str(m.get("engine", "simpy"))
        self.rerun = rerun
        self.convergence = None
        self.entry = m.get("entry")
        self._cache = {}
        self._kept: dict[Any, pd.DataFrame] = {}
        self._ahead: _Columns | None = None
        self._years: _Columns | None = None  # the years' columns, while the table is made

    def __repr__(self) -> str:
        return f"StoredResult({self.store.path}, {len(self):,} replications)"

    @property
    def runs_columns(self) -> Mapping[str, np.ndarray]:  # type: ignore[override]
        return _Columns(self.store, "runs", skip=("replication",))

    @property
    def routes_columns(self) -> Mapping[str, np.ndarray]:  # type: ignore[override]
        return {n: self.store.column("routes", n) for n in self.store.columns("routes")}

    @property
    def net_cash(self) -> np.ndarray:  # type: ignore[override]
        return self.store.matrix("parties", list(self.parties))

    @property
    def exposure(self) -> np.ndarray:  # type: ignore[override]
        names = [n for n in self.store.columns("exposure") if n != "replication"]
        return self.store.matrix("exposure", names)

    def _party_net(self, party: str) -> np.ndarray:
        if self._ahead is not None:
            return np.asarray(self._ahead.take([party])[party], dtype=float)
        return np.asarray(self.store.column("parties", party), dtype=float)

    def budget_by_year(self) -> pd.DataFrame:
        """As :meth:`SimulationResult.budget_by_year`; the year columns read in a few
        passes over the part files (year by year, as they are stored), not one each."""
        if "budget_by_year" not in self._kept:
            self._years = _Columns(self.store, "years", ("replication",))
            try:
                self._kept["budget_by_year"] = super().budget_by_year()
            finally:
                self._years = None
        return self._kept["budget_by_year"].copy()

    def year_values(self, quantity: str, year: int) -> np.ndarray:
        from fundflow.results.budget_years import year_column_name

        name = year_column_name(quantity, year)
        if self._years is not None:
            return self._years.take([name])[name]
        return self.store.column("years", name)

    def summary(self, alphas: tuple[float, ...] = (0.95, 0.99)) -> pd.DataFrame:
        """As :meth:`SimulationResult.summary`; computed once per `alphas` and statistics."""
        key = ("summary", tuple(alphas), tuple(statistics.columns(alphas)))
        if key not in self._kept:
            self._kept[key] = super().summary(alphas)
        return self._kept[key].copy()

    def party_table(self) -> pd.DataFrame:
        """As :meth:`SimulationResult.party_table`; computed once, the parties' columns read
        several in a pass."""
        if "party_table" not in self._kept:
            # a few parties at a time: the table's own work holds several columns too
            self._ahead = _Columns(self.store, "parties", ("replication",), READ_BYTES // 3)
            try:
                self._kept["party_table"] = super().party_table()
            finally:
                self._ahead = None
        return self._kept["party_table"].copy()

    def _challenge_groups(self) -> Iterator[tuple[slice, Mapping[str, np.ndarray]]]:
        """The stored per-challenge sums, a group of names at a time: each group's in one
        pass over the part files, shape (replications, names of the group)."""
        n_names = len(self.scenario.challenges)
        size = max(1, READ_BYTES // (8 * len(CHALLENGE_SUMS) * max(1, len(self))))
        for start in range(0, n_names, size):
            which = slice(start, min(start + size, n_names))
            yield which, _name_sums(self.store, n_names, which, len(self))

    def _tail_rows(self, measure: str, index: np.ndarray) -> np.ndarray:
        """The stored per-name sums of `measure` at replications `index` (positions),
        read part file by part file: only those rows are kept."""
        n_names = len(self.scenario.challenges)
        index = np.asarray(index, dtype=np.int64)
        kept, at = [], 0
        for part in self.store.column_parts("challenges", measure):
            rows = np.asarray(part, dtype=float).reshape(-1, n_names)
            lo, hi = np.searchsorted(index, [at, at + rows.shape[0]])
            kept.append(rows[index[lo:hi] - at])
            at += rows.shape[0]
        return np.concatenate(kept) if kept else np.zeros((0, n_names))


def _name_sums(store: Store, n_names: int, which: slice, reps: int) -> dict[str, np.ndarray]:
    """:data:`CHALLENGE_SUMS` of the names `which`, shape (replications, names): views of
    (names, replications) arrays, so that each name's column is contiguous."""
    names = list(CHALLENGE_SUMS)
    width = len(range(n_names)[which])
    out = {k: np.empty((width, reps)) for k in names}
    at = 0
    for part in store.parts("challenges", names):
        rows = part.num_rows // n_names
        for k in names:
            block = part.column(k).to_numpy().reshape(rows, n_names)
            out[k][:, at : at + rows] = block[:, which].T
        at += rows
    return {k: v.T for k, v in out.items()}


def read_stored(directory: str | Path, *, partial: bool = False) -> tuple[Store, Scenario]:
    """The store in `directory` (or in ``directory/dataset``) and its scenario, checked.

    Raises
    ------
    ConfigError
        If `directory` holds no store, one of another schema version, or an
        unfinished run (unless `partial`).
    """
    path = Path(directory)
    if "blocks" not in (read_manifest(path) or {}) and (path / "dataset").is_dir():
        path = path / "dataset"  # the --out directory of ``fundflow run``
    manifest = read_manifest(path)
    where = str(directory)
    if manifest is None or "blocks" not in manifest:
        raise ConfigError("directory", where, "holds no stored run", truncate=False)
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            "directory", where,
            f"holds a store of schema {manifest.get('schema_version')!r}; this fundflow "
            f"reads schema {SCHEMA_VERSION}", truncate=False,
        )  # fmt: skip
    if not manifest.get("complete") and not partial:
        done = len(manifest["blocks"])
        raise ConfigError(
            "directory", where,
            f"holds an unfinished run ({done} blocks done); finish it with --resume "
            "(resume=True), or open it with partial=True", truncate=False,
        )  # fmt: skip
    if not manifest["blocks"]:
        raise ConfigError("directory", where, "holds no finished block yet", truncate=False)
    scenario = Scenario.from_dict(manifest["scenario_source"])
    if scenario_sha256(scenario) != manifest["scenario_sha256"]:
        raise ConfigError(
            "directory", where, "holds a scenario that does not match its recorded hash",
            truncate=False,
        )  # fmt: skip
    return Store(path, manifest), scenario
