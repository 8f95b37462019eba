"""The pieces of the scenario schema: :class:`Key` and the functions that read it.

The declaration itself is :data:`fundflow.scenario.schema.SCENARIO`, a tree of
:class:`Key`. Everything that needs to know the keys of a scenario file reads it:

* the validator (:meth:`fundflow.Scenario.from_dict`) reads each value with
  :func:`read`, which calls the :class:`~fundflow.scenario._reader.Section` checker for the
  key's kind, so a bad value gives one :class:`~fundflow.errors.ConfigError` naming
  the dotted path, the value and what is allowed;
* the dotted paths that ``--set``, :func:`~fundflow.scenario.overrides.apply_overrides` and
  sweeps accept (:func:`override_tree`, :func:`integer_keys`);
* docs/scenario-reference.md and docs/scenario.schema.json
  (:mod:`fundflow.scenario.reference`, ``fundflow schema``).

Adding a key is one :class:`Key` in the declaration plus the engine code that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fundflow.scenario._reader import REQUIRED, Section

__all__ = [
    "DERIVED",
    "KINDS",
    "REQUIRED",
    "Key",
    "integer_keys",
    "open_section",
    "override_tree",
    "read",
    "read_values",
]

#: The kinds of key. ``section`` is a mapping of keys, ``list`` a list of sections,
#: ``map`` a mapping of free names to numbers, ``dist`` a number or distribution.
KINDS = (
    "number",
    "probability",
    "integer",
    "boolean",
    "text",
    "dist",
    "section",
    "list",
    "map",
)


class _Derived:
    def __repr__(self) -> str:
        return "DERIVED"


#: A default computed from the context (a challenge's name is its path); the
#: builder supplies it and ``default_doc`` says what it is.
DERIVED: Any = _Derived()


@dataclass(frozen=True)
class Key:
    """One key of a scenario file.

    Attributes
    ----------
    name : str
        The key as written in YAML.
    kind : str
        One of :data:`KINDS`.
    doc : str
        One-line meaning (Markdown), shown in docs/scenario-reference.md and as the
        JSON Schema description.
    default : object
        :data:`REQUIRED`, :data:`DERIVED`, ``None`` (null) or the value used when the
        key is left out. A ``section`` whose default is ``None`` is off when absent;
        one whose default is ``{}`` is read with all its defaults.
    lo, hi : float or None
        Bounds of a number (of every value a distribution can take for ``dist``).
    lo_open, hi_open : bool
        Whether the bounds are excluded.
    nullable : bool
        ``null`` is allowed (and means "none": no cap, no budget limit...).
    choices : tuple of str
        The allowed texts.
    what : str
        For ``dist``: what is allowed, as the error message says it.
    min_len : int
        For ``list``: the fewest items.
    children : tuple of Key
        For ``section`` and ``list`` (the keys of one item).
    default_doc, allowed_doc : str
        Override the generated "default" and "allowed" cells of the reference.
    label_zh : str
        The key's Chinese label, for tables and templates (optional).
    percent : bool
        A rate or share, never meant above 1: a value in (1, 100] whose hundredth
        is allowed is refused with the hint ``(did you mean 0.03?)``. Always so for
        a ``probability``; for a ``number`` and the values of a ``map`` when set.
    """

    name: str
    kind: str
    doc: str = ""
    default: Any = REQUIRED
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    what: str = ""
    min_len: int = 0
    children: tuple[Key, ...] = ()
    default_doc: str = ""
    allowed_doc: str = ""
    label_zh: str = ""
    percent: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        names = [c.name for c in self.children]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate child keys {names}")

    def __getitem__(self, name: str) -> Key:
        """The child key ``name`` (``SCENARIO["government"]["matching"]``)."""
        for child in self.children:
            if child.name == name:
                return child
        raise KeyError(f"{self.name} has no key {name!r}")

    @property
    def is_value(self) -> bool:
        """A single value (not a section, list of sections or free mapping)."""
        return self.kind not in ("section", "list", "map")

    def walk(self, prefix: str = "") -> Iterator[tuple[str, Key]]:
        """``(dotted path, key)`` of every key below this one, depth first.

        List items are written ``[i]``, the free keys of a ``map`` ``.*``.
        """
        for child in self.children:
            path = f"{prefix}.{child.name}" if prefix else child.name
            yield path, child
            inner = f"{path}[i]" if child.kind == "list" else path
            yield from child.walk(inner)


# --- reading ---------------------------------------------------------------------------


def read(sec: Section, key: Key, default: Any = DERIVED) -> Any:
    """Read and check ``key`` in ``sec`` with the checker of its kind.

    ``default`` replaces a :data:`DERIVED` default. Sections, lists and maps are
    read by the builder (:mod:`fundflow.scenario._build`), which knows how they combine.
    """
    d = key.default if key.default is not DERIVED else default
    if d is DERIVED:
        d = REQUIRED
    kind = key.kind
    if kind == "number":
        return sec.number(
            key.name,
            d,
            lo=key.lo,
            hi=key.hi,
            lo_open=key.lo_open,
            hi_open=key.hi_open,
            optional=key.nullable,
            percent=key.percent,
        )
    if kind == "probability":
        return sec.probability(key.name, d)
    if kind == "integer":
        if key.nullable and not sec.has(key.name):  # absent or null: the default
            return d
        return sec.integer(key.name, d, lo=int(key.lo or 0))
    if kind == "boolean":
        return sec.boolean(key.name, d)
    if kind == "text":
        if key.nullable:  # absent or null: the default
            return sec.text(key.name) if sec.has(key.name) else d
        return sec.text(key.name, d, choices=key.choices)
    if kind == "dist":
        return sec.dist(key.name, d, low=key.lo, what=key.what)
    raise TypeError(f"{key.name}: a {kind} is read by the builder, not by read()")


def open_section(parent: Section, key: Key) -> Section | None:
    """The sub-section ``key`` of ``parent``, its keys marked known.

    ``None`` when absent or null and the key's default is ``None`` (the section
    is off); an empty section when its default is ``{}``.
    """
    sec = parent.section(key.name, default_empty=key.default is not None)
    if sec is not None:
        sec.known.update(c.name for c in key.children)
    return sec


def read_values(sec: Section, key: Key, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every single-value child of ``key`` in ``sec``, in declaration order."""
    sec.known.update(c.name for c in key.children)
    return {c.name: read(sec, c) for c in key.children if c.is_value and c.name not in skip}


# --- derived views ------------------------------------------------------------------------


def override_tree(node: Key) -> dict[str, Any]:
    """The keys as nested dicts for :mod:`fundflow.scenario.overrides`.

    A section is a dict, a list of sections a one-item list holding the item's
    dict, a free mapping ``{"*": None}``, a value ``None``.
    """
    out: dict[str, Any] = {}
    for child in node.children:
        if child.kind == "section":
            out[child.name] = override_tree(child)
        elif child.kind == "list":
            out[child.name] = [override_tree(child)]
        elif child.kind == "map":
            out[child.name] = {"*": None}
        else:
            out[child.name] = None
    return out


def integer_keys(root: Key) -> frozenset[str]:
    """Names of the keys under ``root`` whose values are whole numbers."""
    return frozenset(k.name for _, k in root.walk() if k.kind == "integer")


# --- building blocks of the declaration ---------------------------------------------------

_NN = {"lo": 0.0}  # >= 0
_POS = {"lo": 0.0, "lo_open": True}  # > 0
_UNIT = {"lo": 0.0, "hi": 1.0}  # [0, 1]
_RATE = {**_UNIT, "percent": True}  # [0, 1], 3 refused with "did you mean 0.03?"


def _num(name: str, default: Any, doc: str, **kw: Any) -> Key:
    return Key(name, "number", doc, default, **kw)


def _prob(name: str, default: Any, doc: str, **kw: Any) -> Key:
    return Key(name, "probability", doc, default, lo=0.0, hi=1.0, percent=True, **kw)


def _int(name: str, default: Any, doc: str, lo: int, **kw: Any) -> Key:
    return Key(name, "integer", doc, default, lo=lo, **kw)


def _dist(name: str, default: Any, doc: str, what: str) -> Key:
    return Key(name, "dist", doc, default, lo=0.0, what=what)
