"""fundflow: money flows and risk exposure in public R&D funding programs.

The public API:

* :func:`load_scenario`, :class:`Scenario` -- validated scenario files (MODEL.md §11);
* :func:`simulate`, :func:`simulate_until` -- Monte Carlo replications;
* :class:`SimulationResult` -- runs / routes tables, ledgers, summary;
* :func:`apply_overrides`, :func:`get_path`, :func:`parse_assignment` -- dotted-path levers;
* :func:`sweep`, :func:`run_design`, :class:`SweepResult` -- design points with common
  random numbers; :func:`sensitivity` -- SALib Sobol' / Morris indices;
  :func:`optimize`, :class:`Search`, :class:`OptimizeResult` -- program design;
* :class:`ConfigError` -- every input error, naming the field, value and what is allowed.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .compare import CompareResult, compare
from .config import Scenario, load_scenario
from .errors import ConfigError
from .montecarlo import simulate, simulate_until
from .optimize import OptimizeResult, Search, optimize
from .overrides import apply_overrides, get_path, parse_assignment
from .results import SimulationResult
from .sensitivity import sensitivity
from .sweep import SweepResult, run_design, sweep

__all__ = [
    "CompareResult",
    "ConfigError",
    "OptimizeResult",
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
