"""What :meth:`SimulationResult.export <fundflow.results.result.SimulationResult.export>`
calls: a function of a layer above, registered here.

Results sit below :mod:`fundflow.io` and never import it. The package's
``__init__`` (which names every layer, and runs before any of fundflow's modules)
registers :func:`fundflow.io.export.export_result` here, imported when first called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Exporter", "exporter", "register_exporter"]

#: ``export(result, directory, formats, lang) -> list of paths written``.
Exporter = Callable[[Any, Any, Any, str], list[Any]]

_REGISTERED: list[Exporter] = []


def register_exporter(export: Exporter) -> Exporter | None:
    """Make `export` what ``SimulationResult.export`` calls; return the one it replaces."""
    previous = _REGISTERED.pop() if _REGISTERED else None
    _REGISTERED.append(export)
    return previous


def exporter() -> Exporter:
    """The registered export function.

    Raises
    ------
    RuntimeError
        If none is registered (``import fundflow`` registers one).
    """
    if not _REGISTERED:
        raise RuntimeError("no exporter is registered: import fundflow first")
    return _REGISTERED[-1]
