"""A run read back from its store: the same result object, its columns read from disk.

:func:`open_run` returns a :class:`StoredResult`, a
:class:`~fundflow.results.result.SimulationResult` whose columns are read from the
store's Parquet datasets when asked for (:mod:`fundflow.results.store`). Its
summary reads the runs table a few columns at a time, its challenges table the
stored per-challenge sums, its party table one party at a time; so none of them
holds every replication's rows at once, and each gives exactly the numbers of the
run held in memory. ``runs``, ``routes``, ``party_totals()`` and
``exposure_paths()`` read their whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fundflow.engine.ledger import PARTIES
from fundflow.errors import ConfigError
from fundflow.results.provenance import scenario_sha256
from fundflow.results.result import CHALLENGE_SUMS, SimulationResult
from fundflow.results.store import SCHEMA_VERSION, Store, read_manifest
from fundflow.scenario.config import Scenario

__all__ = ["StoredResult", "read_stored"]


class _Columns(Mapping[str, np.ndarray]):
    """A dataset's columns, each read from disk when asked for (never kept)."""

    def __init__(self, store: Store, dataset: str, skip: tuple[str, ...] = ()) -> None:
        self.store, self.dataset = store, dataset
        self.names = [n for n in store.columns(dataset) if n not in skip]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(name)
        return self.store.column(self.dataset, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def take(self, names: list[str]) -> dict[str, np.ndarray]:
        """Columns `names`, read in one pass over the part files."""
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise KeyError(unknown[0])
        return self.store.table(self.dataset, names)


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
        return np.asarray(self.store.column("parties", party), dtype=float)

    def _challenge_sums(self) -> Mapping[str, np.ndarray]:
        return _Sums(self.store, len(self.scenario.challenges))


class _Sums(Mapping[str, np.ndarray]):
    """The stored per-challenge sums, each read when asked for, shape (runs, names)."""

    def __init__(self, store: Store, n_names: int) -> None:
        self.store, self.n_names = store, n_names

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in CHALLENGE_SUMS:
            raise KeyError(name)
        column = np.asarray(self.store.column("challenges", name), dtype=float)  # no copy
        return column.reshape(-1, self.n_names)

    def __iter__(self) -> Iterator[str]:
        return iter(CHALLENGE_SUMS)

    def __len__(self) -> int:
        return len(CHALLENGE_SUMS)


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
