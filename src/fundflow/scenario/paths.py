"""Dotted paths into a scenario: parse them, resolve them, list them, read them.

A path is what an error message shows: keys joined by dots, list items in
brackets, e.g. ``government.matching.ratio`` or
``challenges[0].phases[1].pass_probability``. A list item that is a mapping with
a ``name`` may also be addressed by that name: ``challenges[sensor-chip]``,
``challenges[sensor-chip].phases[validation].duration``.

Which paths exist
-----------------
A path is valid when it is present in the scenario's mapping, or when it names a
key the schema knows but this file leaves out (``government.annual_budget`` in a
file that does not mention it: setting it is allowed). The keys the schema knows
come from :data:`SCHEMA`, derived from the one declaration of the scenario keys
(:mod:`fundflow.scenario.schema`) that the validator also reads. A path that is in
neither the file nor :data:`SCHEMA` is still *tried*, set on a copy and validated,
and refused with the validator's message if it is not accepted. :data:`SCHEMA` is
used to suggest the nearest valid path (``difflib``) in error messages.

Lists the file leaves out but the scenario fills with defaults (a challenge's
``phases`` or ``demander_installments``) are written out from the validated
scenario when a path indexes into them.

Setting values at these paths is :mod:`fundflow.scenario.overrides`.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from fundflow.errors import ConfigError
from fundflow.scenario.config import Scenario
from fundflow.scenario.distributions import Dist
from fundflow.scenario.schema import SCENARIO, override_tree

__all__ = [
    "SCHEMA",
    "Token",
    "canonical_path",
    "get_path",
    "known_paths",
    "path_tokens",
    "resolve_path",
]


#: The keys of a scenario file, from the declaration in :mod:`fundflow.scenario.schema`.
#: Mappings are sections, a one-item list is "a list of this", ``None`` a value and
#: ``{"*": None}`` a mapping of free names (``correlation``: group names).
SCHEMA: dict[str, Any] = override_tree(SCENARIO)
_ANY_KEY = "*"

Token = str | int


# --- parsing ---------------------------------------------------------------------


class _Name(str):
    """A bracketed selector that is not a number: the ``name`` of a list item."""


def path_tokens(path: str) -> list[Token]:
    """Split a dotted path into keys (str), indices (int) and names (:class:`_Name`)."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(
            "", path, "a path must be non-empty text such as government.matching.ratio"
        )
    text = path.strip()
    out: list[Token] = []
    i, expect_key = 0, True
    while i < len(text):
        ch = text[i]
        if ch == "[":
            close = text.find("]", i)
            if close < 0 or not out:
                raise ConfigError(
                    text, None, "malformed path: '[' without a key and ']'", show_value=False
                )
            inner = text[i + 1 : close].strip()
            if not inner:
                raise ConfigError(text, None, "malformed path: empty []", show_value=False)
            out.append(int(inner) if inner.isdigit() else _Name(inner))
            i, expect_key = close + 1, False
        elif ch == ".":
            if expect_key:
                raise ConfigError(text, None, "malformed path: empty key", show_value=False)
            i, expect_key = i + 1, True
        else:
            if not expect_key:
                raise ConfigError(
                    text, None, "malformed path: keys must be separated by '.'", show_value=False
                )
            m = re.match(r"[^.\[\]]+", text[i:])
            assert m is not None
            key = m.group(0).strip()
            if "]" in key or not key:
                raise ConfigError(text, None, "malformed path", show_value=False)
            out.append(key)
            i, expect_key = i + m.end(), False
    if expect_key:
        raise ConfigError(text, None, "malformed path: it ends with '.'", show_value=False)
    return out


def _join(tokens: list[Token]) -> str:
    parts: list[str] = []
    for tok in tokens:
        if isinstance(tok, (int, _Name)):
            parts.append(f"[{tok}]")
        else:
            parts.append(f".{tok}" if parts else tok)
    return "".join(parts)


# --- the valid paths ---------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A validated object as it would be written in a scenario file."""
    if isinstance(value, Dist):
        return value.to_plain()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


class _Missing(Exception):
    pass


def _effective(scenario: Scenario, tokens: list[Token]) -> Any:
    """The value the validated scenario uses at ``tokens`` (raises :class:`_Missing`)."""
    node: Any = scenario
    for tok in tokens:
        if node is None:
            raise _Missing
        if isinstance(tok, int):
            if not isinstance(node, (tuple, list)) or tok >= len(node):
                raise _Missing
            node = node[tok]
        elif isinstance(node, Mapping):
            if tok not in node:
                raise _Missing
            node = node[tok]
        elif dataclasses.is_dataclass(node) and tok in {f.name for f in dataclasses.fields(node)}:
            node = getattr(node, tok)
        else:
            raise _Missing
    return _plain(node)


def _present(data: Any, prefix: str = "") -> Iterator[str]:
    """Every path present in a mapping (inner nodes included)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _present(value, path)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            path = f"{prefix}[{i}]"
            yield path
            yield from _present(value, path)


def _schema_paths(spec: Any, scenario: Scenario, tokens: list[Token]) -> Iterator[str]:
    if isinstance(spec, list):
        try:
            items = _effective(scenario, tokens)
        except _Missing:
            items = []
        for i in range(len(items) if isinstance(items, list) else 0):
            yield _join([*tokens, i])
            yield from _schema_paths(spec[0], scenario, [*tokens, i])
    elif isinstance(spec, dict):
        for key, sub in spec.items():
            keys = (
                sorted({c.group for c in scenario.challenges if c.group})
                if key == _ANY_KEY
                else [key]
            )
            for k in keys:
                yield _join([*tokens, k])
                yield from _schema_paths(sub, scenario, [*tokens, k])


def known_paths(scenario: Scenario) -> list[str]:
    """Every path that can be read or set on ``scenario``, sorted.

    The paths present in its mapping (distribution parameters included) and
    those :data:`SCHEMA` knows, with list indices expanded for this scenario.

    Examples
    --------
    >>> sc = Scenario.from_dict({"challenges": [{"name": "chip", "total_investment": 10}]})
    >>> "government.annual_budget" in known_paths(sc)
    True
    >>> "challenges[0].phases[1].pass_probability" in known_paths(sc)  # default phases
    True
    """
    return sorted(set(_present(scenario.source)) | set(_schema_paths(SCHEMA, scenario, [])))


def _suggest(path: str, scenario: Scenario, parent: str) -> str:
    """ "did you mean ...?" and the keys under the nearest existing parent."""
    candidates = known_paths(scenario)
    near = [
        c for c in candidates if parent and c.startswith(parent) and c[len(parent) :][:1] in ".["
    ]
    close = difflib.get_close_matches(path, near, n=1, cutoff=0.6) or difflib.get_close_matches(
        path, candidates, n=1, cutoff=0.6
    )
    hint = f"did you mean '{close[0]}'? " if close else ""
    under = sorted(
        {
            re.split(r"[.\[]", c[len(parent) :].lstrip("."), maxsplit=1)[0]
            for c in candidates
            if c.startswith(parent) and c != parent and (not parent or c[len(parent)] in ".[")
        }
        if parent
        else {re.split(r"[.\[]", c, maxsplit=1)[0] for c in candidates}
    )
    keys = [k for k in under if k]
    where = f"under {parent}" if parent else "at the top level"
    return f"{hint}keys {where}: {', '.join(keys)}" if keys else f"{hint}".strip()


def _unknown(path: str, scenario: Scenario, parent: str, extra: str = "") -> ConfigError:
    tail = _suggest(path, scenario, parent)
    return ConfigError(path, None, f"no such key; {tail}{extra}", show_value=False)


# --- walking -------------------------------------------------------------------------


def _by_name(items: list[Any], name: str, at: str, scenario: Scenario) -> int:
    names = [it.get("name") if isinstance(it, Mapping) else None for it in items]
    if at == "challenges":
        names = [
            n if n is not None else c.name for n, c in zip(names, scenario.challenges, strict=False)
        ]
    if name in names:
        return names.index(name)
    listed = [str(n) for n in names if n is not None]
    close = difflib.get_close_matches(name, listed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ConfigError(
        f"{at}[{name}]",
        None,
        f"no item named '{name}'; {hint}names: {', '.join(listed) or 'none'}",
        show_value=False,
    )


def _walk(
    data: dict[str, Any], tokens: list[Token], scenario: Scenario
) -> tuple[Any, Token, list[Token]]:
    """Find the container of the last token; names become indices.

    Absent sections on the way become ``{}`` and absent lists are written out
    from the validated scenario (``data`` is edited). Returns ``(container,
    last_token, resolved_tokens)``; the last key may be absent from the container.
    """
    node: Any = data
    done: list[Token] = []
    for pos, tok in enumerate(tokens):
        last = pos == len(tokens) - 1
        at = _join(done)
        if isinstance(tok, (int, _Name)):
            if not isinstance(node, list):
                raise ConfigError(at, node, "not a list, so it has no items [...]")
            idx = _by_name(node, tok, at, scenario) if isinstance(tok, _Name) else tok
            if idx >= len(node):
                raise ConfigError(
                    _join([*done, idx]),
                    None,
                    f"index out of range: {at} has {len(node)} item(s), 0..{len(node) - 1}",
                    show_value=False,
                )
            tok = idx
        else:
            if not isinstance(node, Mapping):
                raise ConfigError(
                    at,
                    node,
                    f"not a mapping, so it has no key '{tok}'; set the whole value instead "
                    f"({at}=...)",
                )
        done.append(tok)
        if last:
            return node, tok, done
        child = node[tok] if (isinstance(tok, int) or tok in node) else None
        if child is None:
            nxt = tokens[pos + 1]
            if isinstance(nxt, (int, _Name)):
                try:
                    child = _effective(scenario, done)
                except _Missing:
                    child = None
                if not isinstance(child, list):
                    raise ConfigError(
                        _join(done), None, "is not a list in this scenario", show_value=False
                    )
            else:
                child = {}
            node[tok] = child
        node = child
    raise AssertionError("unreachable")


def resolve_path(scenario: Scenario, path: str) -> str:
    """The canonical form of ``path`` (names replaced by indices), checked to exist.

    Parameters
    ----------
    scenario : Scenario
    path : str
        A dotted path, e.g. ``challenges[sensor-chip].solvers``.

    Returns
    -------
    str
        E.g. ``challenges[0].solvers``.

    Raises
    ------
    ConfigError
        If the path is malformed or names no key, with the nearest valid path. A key
        that is neither in the file nor in :data:`SCHEMA` is refused here;
        :func:`apply_overrides`, which has a value, tries it on the validator.

    Examples
    --------
    >>> sc = Scenario.from_dict({"challenges": [{"name": "chip", "total_investment": 10}]})
    >>> resolve_path(sc, "challenges[chip].solvers")
    'challenges[0].solvers'
    """
    return canonical_path(scenario, path)


_NOTHING: Any = object()


def canonical_path(scenario: Scenario, path: str, probe_value: Any = _NOTHING) -> str:
    """:func:`resolve_path`; with ``probe_value``, a path outside SCHEMA is tried."""
    data = scenario.to_dict()
    _, _, done = _walk(data, path_tokens(path), scenario)
    canonical = _join(done)
    probe = probe_value is not _NOTHING
    _check_exists(data, done, canonical, scenario, probe_value if probe else None, probe=probe)
    return canonical


def _check_exists(
    data: dict[str, Any],
    done: list[Token],
    canonical: str,
    scenario: Scenario,
    value: Any,
    *,
    probe: bool,
) -> None:
    """Raise unless ``canonical`` is present, in the schema, or (``probe``) accepted."""
    container = data
    try:
        for tok in done[:-1]:
            container = container[tok]  # type: ignore[index]
        present = isinstance(done[-1], int) or done[-1] in container
    except (KeyError, IndexError, TypeError):
        present = False
    if present or canonical in set(_schema_paths(SCHEMA, scenario, [])):
        return
    parent = _join(done[:-1])
    if not probe:
        raise _unknown(canonical, scenario, parent)
    # Not in the file nor in SCHEMA: try it, in case the validator knows more keys.
    trial = copy.deepcopy(data)
    node, last, _ = _walk(trial, list(done), scenario)
    node[last] = value
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Scenario.from_dict(trial)
    except ConfigError as exc:
        said = "" if "unknown key" in exc.allowed else f" (the scenario then says: {exc})"
        raise _unknown(canonical, scenario, parent, said) from None


# --- public --------------------------------------------------------------------------


def _walk_plain(data: Mapping[str, Any], tokens: list[Token], path: str) -> Any:
    """The value at ``tokens`` in a plain mapping; every step must be present."""
    node: Any = data
    for i, tok in enumerate(tokens):
        if isinstance(node, list) and isinstance(tok, _Name):
            names = [it.get("name") if isinstance(it, Mapping) else None for it in node]
            tok = names.index(tok) if tok in names else len(node)
        if isinstance(node, list) and isinstance(tok, int) and tok < len(node):
            node = node[tok]
        elif isinstance(node, Mapping) and not isinstance(tok, int) and tok in node:
            node = node[tok]
        else:
            close = difflib.get_close_matches(path, sorted(_present(data)), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            missing = _join([*tokens[:i], tok])
            raise ConfigError(path, None, f"not present (no {missing}){hint}", show_value=False)
    return node


def get_path(scenario: Scenario | Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path.

    Parameters
    ----------
    scenario : Scenario or mapping
        For a :class:`Scenario`, a key the file leaves out gives the value the
        scenario uses instead (its default; ``None`` for a section that is off).
        For a plain mapping, the path must be present.
    path : str
        E.g. ``government.matching.ratio``, ``challenges[0].phases[1].pass_probability``,
        ``challenges[sensor-chip].solvers``.

    Returns
    -------
    object
        A copy of the value as it would be written in a scenario file (numbers,
        text, lists, mappings; distributions as ``{dist: ...}`` mappings).

    Raises
    ------
    ConfigError
        If the path names no key, with the nearest valid path suggested.

    Examples
    --------
    >>> sc = Scenario.from_dict(
    ...     {"challenges": [{"name": "chip", "total_investment": 10, "solvers": 2}]}
    ... )
    >>> get_path(sc, "challenges[chip].solvers")
    2
    >>> get_path(sc, "challenges[0].phases[1].pass_probability")  # a default phase
    0.67
    >>> get_path(sc, "government.annual_budget") is None  # absent: unlimited
    True
    """
    tokens = path_tokens(path)
    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, Mapping):
            raise ConfigError("scenario", scenario, "must be a Scenario or a mapping")
        return copy.deepcopy(_walk_plain(scenario, tokens, path))
    data = scenario.to_dict()
    container, last, done = _walk(data, tokens, scenario)
    canonical = _join(done)
    _check_exists(data, done, canonical, scenario, None, probe=False)
    if isinstance(last, int) or last in container:
        return copy.deepcopy(container[last])
    try:
        return _effective(scenario, done)
    except _Missing:
        return None
