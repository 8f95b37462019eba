"""fundflow: money flows and risk exposure in public R&D funding programs.

The public API:

* :func:`load_scenario`, :class:`Scenario` -- validated scenario files (docs/scenario-reference.md);
* :func:`simulate`, :func:`simulate_until` -- Monte Carlo replications;
* :class:`SimulationResult` -- runs / routes tables, ledgers, summary;
  :func:`open_run` -- a run streamed to disk (``simulate(..., store=DIR)``) read back;
* :func:`apply_overrides`, :func:`get_path`, :func:`parse_assignment` -- dotted-path levers;
* :func:`sweep`, :func:`run_design`, :class:`SweepResult` -- design points with common
  random numbers; :func:`sensitivity` -- SALib Sobol' / Morris indices;
  :func:`optimize`, :class:`Search`, :class:`OptimizeResult` -- program design;
  :func:`least_incentive`, :class:`IncentiveResult` -- what it takes to attract bidders;
* :class:`ConfigError` -- every input error, naming the field, value and what is allowed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fundflow._version import __version__
from fundflow.results.exporter import register_exporter as _register_exporter

# Public names and the module that defines each. They are imported on first use
# (PEP 562), so a worker process that only simulates does not pay for the analysis
# modules' imports.
_EXPORTS: dict[str, str] = {
    "CompareResult": "analysis.comparison",
    "compare": "analysis.comparison",
    "Scenario": "scenario.config",
    "load_scenario": "scenario.config",
    "ConfigError": "errors",
    "simulate": "run.montecarlo",
    "simulate_until": "run.montecarlo",
    "open_run": "run.stored",
    "OptimizeResult": "analysis.optimization",
    "Search": "analysis.optimization",
    "optimize": "analysis.optimization",
    "apply_overrides": "scenario.overrides",
    "get_path": "scenario.overrides",
    "parse_assignment": "scenario.overrides",
    "Provenance": "results.provenance",
    "SimulationResult": "results.result",
    "RunSettings": "run.settings",
    "sensitivity": "analysis.sensitivity",
    "SweepResult": "analysis.sweeps",
    "run_design": "analysis.sweeps",
    "sweep": "analysis.sweeps",
    "IncentiveResult": "analysis.incentive",
    "least_incentive": "analysis.incentive",
}

__all__ = [
    "CompareResult",
    "ConfigError",
    "IncentiveResult",
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
    "least_incentive",
    "load_scenario",
    "open_run",
    "optimize",
    "parse_assignment",
    "run_design",
    "sensitivity",
    "simulate",
    "simulate_until",
    "sweep",
]

if TYPE_CHECKING:
    from fundflow.analysis.comparison import CompareResult, compare
    from fundflow.analysis.incentive import IncentiveResult, least_incentive
    from fundflow.analysis.optimization import OptimizeResult, Search, optimize
    from fundflow.analysis.sensitivity import sensitivity
    from fundflow.analysis.sweeps import SweepResult, run_design, sweep
    from fundflow.errors import ConfigError
    from fundflow.results.provenance import Provenance
    from fundflow.results.result import SimulationResult
    from fundflow.run.montecarlo import simulate, simulate_until
    from fundflow.run.settings import RunSettings
    from fundflow.run.stored import open_run
    from fundflow.scenario.config import Scenario, load_scenario
    from fundflow.scenario.overrides import apply_overrides, get_path, parse_assignment


def _export_result(result: Any, directory: Any, formats: Any, lang: str) -> list[Any]:
    """``SimulationResult.export``: :func:`fundflow.io.export.export_result`, imported on
    first use (the results layer below io registers it, :mod:`fundflow.results.exporter`)."""
    from fundflow.io.export import export_result

    return export_result(result, directory, formats, lang)


def _write_report(result: Any, path: Any, lang: str, unit: str | None) -> Any:
    """``SimulationResult.report``: :func:`fundflow.plots.report.write_report`, imported
    on first use."""
    from fundflow.plots.report import write_report

    return write_report(result, path, lang=lang, unit=unit)


_register_exporter(_export_result)
_register_exporter(_write_report, "report")


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fundflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
