"""The errors fundflow raises for bad input."""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "format_value"]


def format_value(value: Any, limit: int = 60) -> str:
    """Render a user value for an error message, shortened if long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConfigError(ValueError):
    """A scenario, an override or a run option is invalid.

    The message names the dotted path of the offending field, the value found and
    what is allowed, e.g. ``challenges[1].phases[0].pass_probability = 1.4: must be
    in [0, 1]``.

    Attributes
    ----------
    path : str
        Dotted path of the field (``""`` for the whole file).
    value : object
        The offending value (``None`` when the field is missing).
    allowed : str
        What would have been accepted.
    """

    def __init__(
        self,
        path: str,
        value: Any,
        allowed: str,
        *,
        show_value: bool = True,
        truncate: bool = True,
    ) -> None:
        self.path = path
        self.value = value
        self.allowed = allowed
        where = path or "<scenario>"
        shown = format_value(value) if truncate else repr(value)
        if not show_value:
            message = f"{where}: {allowed}"
        elif path:
            message = f"{path} = {shown}: {allowed}"
        else:  # the whole file: name it
            message = f"{shown}: {allowed}"
        super().__init__(message)
