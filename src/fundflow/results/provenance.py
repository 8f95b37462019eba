"""Where a result came from: scenario, its hash, seed, runs, workers, time, version.

A :class:`~fundflow.results.result.SimulationResult`, a
:class:`~fundflow.analysis.comparison.CompareResult` and a
:class:`~fundflow.analysis.sweeps.SweepResult` carry one :class:`Provenance` each, as
``result.provenance``; :func:`fundflow.io.export.write_manifest` writes it, the same
way for a run, a comparison and a sweep, into ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fundflow._version import __version__
from fundflow.scenario.config import Scenario

__all__ = ["ENGINE", "Provenance", "jsonable", "scenario_sha256"]

#: The simulation engine recorded where none is given (the reference engine).
ENGINE = "simpy"


def jsonable(value: Any) -> Any:
    """Plain JSON values: non-finite floats become None, unknown objects text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the scenario's validated source mapping, as canonical JSON.

    Two scenarios with the same hash simulate identically with the same seed,
    whatever file (or dict) they were read from.
    """
    source = jsonable(dict(scenario.source))
    canonical = json.dumps(source, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What produced a result; the same fields for a run, a comparison and a sweep.

    Attributes
    ----------
    scenarios : tuple of str
        Scenario names: one for a run or a sweep (its base scenario), two (A, B)
        for a comparison.
    scenario_sha256 : tuple of str
        :func:`scenario_sha256` of each.
    entropy : int
        Root seed entropy: ``seed=entropy`` reproduces the result.
    runs : int
        Replications (per scenario, per design point).
    workers : int
    elapsed : float
        Wall time in seconds.
    version : str
        fundflow version.
    engine : str
        The engine that simulated the replications: ``"compiled"`` or ``"simpy"``
        (``"compiled+simpy"`` where parts of the result came from each).
    sources : tuple of Scenario
        The scenarios themselves (not shown, not compared).

    Examples
    --------
    >>> sc = Scenario.from_dict({"name": "chip", "challenges": [{"name": "c",
    ...                          "total_investment": 10}]})
    >>> p = Provenance.of([sc], entropy=1, runs=20, workers=1, elapsed=0.5)
    >>> p.scenarios, p.engine, len(p.scenario_sha256[0])
    (('chip',), 'simpy', 64)
    >>> p.manifest()["seed_entropy"]
    1
    """

    scenarios: tuple[str, ...]
    scenario_sha256: tuple[str, ...]
    entropy: int
    runs: int
    workers: int
    elapsed: float
    version: str = __version__
    engine: str = ENGINE
    sources: tuple[Scenario, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(
        cls,
        scenarios: Sequence[Scenario],
        *,
        entropy: int,
        runs: int,
        workers: int,
        elapsed: float,
        version: str = __version__,
        engine: str = ENGINE,
    ) -> Provenance:
        """The provenance of a result computed from `scenarios`."""
        return cls(
            scenarios=tuple(sc.name for sc in scenarios),
            scenario_sha256=tuple(scenario_sha256(sc) for sc in scenarios),
            entropy=int(entropy),
            runs=int(runs),
            workers=int(workers),
            elapsed=float(elapsed),
            version=version,
            engine=engine,
            sources=tuple(scenarios),
        )

    def manifest(self) -> dict[str, Any]:
        """The manifest's entries for it (the scenarios' records aside)."""
        return {
            "fundflow_version": self.version,
            "engine": self.engine,
            "seed_entropy": self.entropy,
            "runs": self.runs,
            "workers": self.workers,
            "elapsed_seconds": round(self.elapsed, 3),
        }
