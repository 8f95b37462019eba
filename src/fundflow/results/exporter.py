"""What :meth:`SimulationResult.export <fundflow.results.result.SimulationResult.export>`
and :meth:`~fundflow.results.result.SimulationResult.report` call: functions of the
layers above, registered here.

Results sit below :mod:`fundflow.io` and never import it. The package's
``__init__`` (which names every layer, and runs before any of fundflow's modules)
registers :func:`fundflow.io.export.export_result` (``"export"``) and
:func:`fundflow.plots.report.write_report` (``"report"``) here, imported when first
called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Exporter", "exporter", "register_exporter"]

#: ``export(result, directory, formats, lang) -> list of paths written``; a report is
#: ``report(result, path, lang, unit) -> path written``.
Exporter = Callable[..., Any]

_REGISTERED: dict[str, Exporter] = {}


def register_exporter(export: Exporter, what: str = "export") -> Exporter | None:
    """Make `export` what ``SimulationResult.export`` (``what="export"``) or
    ``SimulationResult.report`` (``"report"``) calls; return the one it replaces."""
    previous = _REGISTERED.get(what)
    _REGISTERED[what] = export
    return previous


def exporter(what: str = "export") -> Exporter:
    """The registered function of `what` (``"export"`` or ``"report"``).

    Raises
    ------
    RuntimeError
        If none is registered (``import fundflow`` registers both).
    """
    if what not in _REGISTERED:
        raise RuntimeError(f"no {what} function is registered: import fundflow first")
    return _REGISTERED[what]
