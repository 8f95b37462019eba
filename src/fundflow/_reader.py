"""A small validating reader for nested scenario mappings.

Each :class:`Section` wraps one mapping and a dotted path. Reading a key both
validates it and marks it known; :meth:`Section.finish` then rejects any key that
was never read, suggesting the nearest known one.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .distributions import Dist, parse_dist
from .errors import ConfigError

__all__ = ["REQUIRED", "Section"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def _interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"must be in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"must be {'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"must be {'<' if hi_open else '<='} {hi:g}"
    return "must be a finite number"


class Section:
    """A mapping being validated, with its dotted path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(path, data, "must be a mapping of keys to values")
        for key in data:
            if not isinstance(key, str):
                raise ConfigError(self._join(path, str(key)), key, "keys must be text")
        self.data: dict[str, Any] = dict(data)
        self.path = path
        self.known: set[str] = set()

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def at(self, key: str) -> str:
        """Dotted path of ``key`` in this section."""
        return self._join(self.path, key)

    def has(self, key: str) -> bool:
        self.known.add(key)
        return key in self.data and self.data[key] is not None

    def raw(self, key: str, default: Any = REQUIRED) -> Any:
        self.known.add(key)
        if key not in self.data:
            if default is REQUIRED:
                self._misspelt(key)
                raise ConfigError(
                    self.at(key), None, "missing: this key is required", show_value=False
                )
            return default
        return self.data[key]

    def _misspelt(self, key: str) -> None:
        """A required key is missing: if an unknown key looks like it, name that one."""
        unknown = [k for k in self.data if k not in self.known]
        close = difflib.get_close_matches(key, unknown, n=1, cutoff=0.75)
        if close:
            raise ConfigError(
                self.at(close[0]),
                self.data[close[0]],
                f"unknown key; did you mean '{key}'? ('{key}' is required here)",
            )

    def number(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
        optional: bool = False,
    ) -> Any:
        """A finite number in the given interval (``None`` allowed if ``optional``)."""
        value = self.raw(key, default)
        if value is None and optional:
            return None
        allowed = _interval(lo, hi, lo_open, hi_open)
        if optional:
            allowed += ", or null"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(self.at(key), value, "must be a number; " + allowed)
        v = float(value)
        bad = (
            not math.isfinite(v)
            or (lo is not None and (v <= lo if lo_open else v < lo))
            or (hi is not None and (v >= hi if hi_open else v > hi))
        )
        if bad:
            raise ConfigError(self.at(key), value, allowed)
        return v

    def probability(self, key: str, default: Any = REQUIRED) -> float:
        return float(self.number(key, default, lo=0.0, hi=1.0))

    def integer(self, key: str, default: Any = REQUIRED, *, lo: int = 0) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise ConfigError(self.at(key), value, f"must be a whole number >= {lo}")
        return int(value)

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.at(key), value, "must be true or false")
        return value

    def text(self, key: str, default: Any = REQUIRED, *, choices: Sequence[str] = ()) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(self.at(key), value, "must be non-empty text")
        if choices and value not in choices:
            close = difflib.get_close_matches(value, list(choices), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(self.at(key), value, f"{hint}must be one of " + " | ".join(choices))
        return value

    def dist(self, key: str, default: Any = REQUIRED, **limits: Any) -> Dist:
        return parse_dist(self.raw(key, default), self.at(key), **limits)

    def section(self, key: str, *, default_empty: bool = False) -> Section | None:
        """The sub-mapping at ``key``; ``None`` when absent or null."""
        value = self.raw(key, None)
        if value is None:
            return Section({}, self.at(key)) if default_empty else None
        return Section(value, self.at(key))

    def items(self, key: str, default: Any = REQUIRED, *, min_len: int = 0) -> list[Any]:
        value = self.raw(key, default)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(self.at(key), value, "must be a list")
        if len(value) < min_len:
            raise ConfigError(self.at(key), value, f"must hold at least {min_len} item(s)")
        return list(value)

    def finish(self) -> None:
        """Reject keys that were never read, naming the nearest known key."""
        for key in self.data:
            if key not in self.known:
                close = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.5)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise ConfigError(
                    self.at(key),
                    self.data[key],
                    f"unknown key; {hint}allowed here: " + ", ".join(sorted(self.known)),
                )
