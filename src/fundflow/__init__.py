"""fundflow: money flows and risk exposure in public R&D funding programs.

The public API:

* :func:`load_scenario`, :class:`Scenario` -- validated scenario files (docs/scenario-reference.md);
* :func:`simulate`, :func:`simulate_until` -- Monte Carlo replications;
* :class:`SimulationResult` -- runs / routes tables, ledgers, summary;
* :func:`apply_overrides`, :func:`get_path`, :func:`parse_assignment` -- dotted-path levers;
* :func:`sweep`, :func:`run_design`, :class:`SweepResult` -- design points with common
  random numbers; :func:`sensitivity` -- SALib Sobol' / Morris indices;
  :func:`optimize`, :class:`Search`, :class:`OptimizeResult` -- program design;
* :class:`ConfigError` -- every input error, naming the field, value and what is allowed.
"""

from __future__ import annotations

__version__ = "0.2.0"

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module that defines each. They are imported on first use
# (PEP 562), so a worker process that only simulates does not pay for the analysis
# modules' imports.
_EXPORTS: dict[str, str] = {
    "CompareResult": "comparison",
    "compare": "comparison",
    "Scenario": "config",
    "load_scenario": "config",
    "ConfigError": "errors",
    "simulate": "montecarlo",
    "simulate_until": "montecarlo",
    "OptimizeResult": "optimization",
    "Search": "optimization",
    "optimize": "optimization",
    "apply_overrides": "overrides",
    "get_path": "overrides",
    "parse_assignment": "overrides",
    "Provenance": "provenance",
    "SimulationResult": "results",
    "RunSettings": "settings",
    "sensitivity": "sensitivity_analysis",
    "SweepResult": "sweeps",
    "run_design": "sweeps",
    "sweep": "sweeps",
}

__all__ = [
    "CompareResult",
    "ConfigError",
    "OptimizeResult",
    "Provenance",
    "RunSettings",
    "Scenario",
    "Search",
    "SimulationResult",
    "SweepResult",
    "__version__",
    "apply_overrides",
    "compare",
    "get_path",
    "load_scenario",
    "optimize",
    "parse_assignment",
    "run_design",
    "sensitivity",
    "simulate",
    "simulate_until",
    "sweep",
]

if TYPE_CHECKING:
    from .comparison import CompareResult, compare
    from .config import Scenario, load_scenario
    from .errors import ConfigError
    from .montecarlo import simulate, simulate_until
    from .optimization import OptimizeResult, Search, optimize
    from .overrides import apply_overrides, get_path, parse_assignment
    from .provenance import Provenance
    from .results import SimulationResult
    from .sensitivity_analysis import sensitivity
    from .settings import RunSettings
    from .sweeps import SweepResult, run_design, sweep


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fundflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
