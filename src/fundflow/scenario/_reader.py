"""Reading scenario files: a guarded YAML loader and a validating reader of mappings.

:func:`load_yaml` reads YAML with PyYAML's safe loader, refusing what a scenario
never needs and what would exhaust the reader: nesting deeper than
:data:`MAX_DEPTH`, documents larger than :data:`MAX_NODES` nodes once aliases are
expanded (an "alias bomb"), aliases that refer to a node containing them, and
duplicate keys in a mapping. Numbers in exponent notation (``1e12``) are numbers.

Each :class:`Section` wraps one mapping and a dotted path. Reading a key both
validates it and marks it known; :meth:`Section.finish` then rejects any key that
was never read, suggesting the nearest known one.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from fundflow.errors import ConfigError
from fundflow.scenario.distributions import Dist, parse_dist

__all__ = ["MAX_DEPTH", "MAX_NODES", "REQUIRED", "Section", "load_yaml"]

#: Deepest nesting of lists and mappings accepted (a scenario needs about 6).
MAX_DEPTH = 64
#: Most nodes (scalars, lists, mappings) in a document, counting each alias as a
#: copy of what it refers to.
MAX_NODES = 500_000


class _Refused(yaml.MarkedYAMLError):
    """A document the guarded loader will not build: `problem` at `mark`."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


if yaml.__with_libyaml__:  # libyaml's parser: linear in the nesting depth
    from yaml._yaml import CParser

    class _Parser(CParser):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Loader(Composer, _Parser, SafeConstructor, Resolver):
    """A safe loader (safe constructor, YAML 1.1 resolver) with limits and no duplicate keys.

    The events come from libyaml when PyYAML has it; the nodes are composed here
    (PyYAML's composer, with the checks added), then built by the safe constructor.
    """

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event: Any = self.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                what = f"the alias *{event.anchor} refers to a node containing it"
                raise _Refused(what, event.start_mark)
            return super().compose_node(parent, index)  # type: ignore[return-value]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            what = f"nested more than {MAX_DEPTH} levels deep"
            raise _Refused(what, event.start_mark)
        node: Any = super().compose_node(parent, index)
        self._depth -= 1
        size = 1 + sum(self._sizes[id(child)] for child in _children(node))
        if size > MAX_NODES:
            what = f"more than {MAX_NODES:,} values once aliases are expanded"
            raise _Refused(what, event.start_mark)
        self._sizes[id(node)] = size
        if isinstance(node, MappingNode):
            _check_unique_keys(node)
        return node  # type: ignore[no-any-return]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_unique_keys(node: MappingNode) -> None:
    seen: dict[tuple[str, Any], Any] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        first: Any = seen.setdefault((key.tag, key.value), key.start_mark)
        if first is not key.start_mark:
            what = (
                f"the key {key.value!r} appears twice in one mapping, at lines "
                f"{first.line + 1} and {key.start_mark.line + 1}; keep one"
            )
            raise _Refused(what, key.start_mark)


# YAML 1.1 reads 1e12 and 1.5e3 as text (its floats need a dot and a signed exponent).
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str, name: str) -> Any:
    """Parse YAML `text` (the contents of file `name`) with the guarded safe loader.

    Raises
    ------
    ConfigError
        Naming the file, the line and the problem: invalid YAML, a Python tag,
        nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` values
        with aliases expanded, a self-referring alias, or a duplicate key.
    """
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark: Any = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError("", name, f"not valid YAML{where}: {problem}", truncate=False) from None
    except RecursionError:  # the limits above make this unreachable for scenario files
        raise ConfigError("", name, "not valid YAML: nested too deeply", truncate=False) from None
    finally:
        loader.dispose()


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


def _percent_hint(v: float, inside: Callable[[float], bool]) -> str:
    """``" (did you mean 0.03?)"`` when ``v`` in (1, 100] is a percentage of an allowed value."""
    if 1.0 < v <= 100.0 and inside(v / 100.0):
        return f" (did you mean {v / 100.0:g}?)"
    return ""


def _finite(allowed: str) -> str:
    """``'must be > 0'`` -> ``'must be a finite number > 0'``."""
    if "finite" in allowed:
        return allowed
    return allowed.replace("must be", "must be a finite number", 1)


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
        percent: bool = False,
    ) -> Any:
        """A finite number in the given interval (``None`` allowed if ``optional``).

        ``percent``: the value is a rate or share, never meant above 1, so a value
        in (1, 100] whose hundredth is allowed (``3`` for 3%) is refused with the hint
        ``(did you mean 0.03?)``.
        """
        value = self.raw(key, default)
        if value is None and optional:
            return None
        allowed = _interval(lo, hi, lo_open, hi_open)
        if optional:
            allowed += ", or null"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(self.at(key), value, "must be a number; " + allowed)
        v = float(value)
        if not math.isfinite(v):
            raise ConfigError(self.at(key), value, _finite(allowed))

        def inside(x: float) -> bool:
            return not (
                (lo is not None and (x <= lo if lo_open else x < lo))
                or (hi is not None and (x >= hi if hi_open else x > hi))
            )

        if not inside(v):
            hint = _percent_hint(v, inside) if percent else ""
            raise ConfigError(self.at(key), value, allowed + hint)
        return v

    def probability(self, key: str, default: Any = REQUIRED) -> float:
        """A number in [0, 1]; ``50`` is refused with the hint ``(did you mean 0.5?)``."""
        return float(self.number(key, default, lo=0.0, hi=1.0, percent=True))

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
