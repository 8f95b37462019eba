"""fundflow: money flows and risk exposure in public R&D funding programs.

The public API:

* :func:`load_scenario`, :class:`Scenario` -- validated scenario files (MODEL.md §11);
* :func:`simulate`, :func:`simulate_until` -- Monte Carlo replications;
* :class:`SimulationResult` -- runs / routes tables, ledgers, summary;
* :class:`ConfigError` -- every input error, naming the field, value and what is allowed.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Scenario, load_scenario
from .errors import ConfigError
from .montecarlo import simulate, simulate_until
from .results import SimulationResult

__all__ = [
    "ConfigError",
    "Scenario",
    "SimulationResult",
    "__version__",
    "load_scenario",
    "simulate",
    "simulate_until",
]
