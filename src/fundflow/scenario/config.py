"""Scenarios as frozen, validated objects (docs/scenario-reference.md).

``Scenario.from_dict`` is the one constructor; ``load_scenario`` reads YAML at the
edge and calls it. The keys, their defaults and bounds are declared once, in
:mod:`fundflow.scenario.schema`; ``fundflow.scenario._build`` reads them into the
frozen parts of :mod:`fundflow.scenario.parts` (re-exported here), which ``Scenario`` holds.
Every check names the dotted path of the field, the value and
what is allowed (:class:`~fundflow.errors.ConfigError`). The model classes never
see YAML or files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError
from fundflow.scenario._reader import load_yaml
from fundflow.scenario.parts import (
    DEMANDER_DEDUCTIBLE,
    Challenge,
    Credit,
    EarlyExit,
    EquityLink,
    ErrorTolerance,
    Extension,
    FrozenDict,
    Government,
    GuidedFund,
    Installment,
    Matching,
    Phase,
    Race,
    RiskPool,
    SolverSettings,
    SuccessAward,
    Tax,
    freeze,
    thaw,
)

# The parts a Scenario holds are defined in fundflow.scenario.parts and named here too.
__all__ = [
    "DEMANDER_DEDUCTIBLE",
    "Challenge",
    "Credit",
    "EarlyExit",
    "EquityLink",
    "ErrorTolerance",
    "Extension",
    "FrozenDict",
    "Government",
    "GuidedFund",
    "Installment",
    "Matching",
    "Phase",
    "Race",
    "RiskPool",
    "Scenario",
    "SolverSettings",
    "SuccessAward",
    "Tax",
    "load_scenario",
]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :meth:`from_dict` or :func:`load_scenario`.

    Attributes
    ----------
    name, money_unit : str
    horizon : float
        Years simulated; events at or after the horizon do not happen.
    discount_rate : float
    government : Government
    solver : SolverSettings
    challenges : tuple of Challenge
        The entries as written; ``count`` expands each into identical challenges.
    correlation : mapping of group name to rho
    guided_fund : GuidedFund or None
        ``None`` when the section is absent or ``enabled: false``.
    credit : Credit or None
    source : dict
        The validated input mapping (a fresh copy on each access).
    """

    name: str
    money_unit: str
    horizon: float
    discount_rate: float
    government: Government
    solver: SolverSettings
    challenges: tuple[Challenge, ...]
    correlation: Mapping[str, float]
    guided_fund: GuidedFund | None
    credit: Credit | None
    frozen_source: FrozenDict

    @property
    def source(self) -> dict[str, Any]:
        """The validated input mapping, as a fresh plain dict."""
        return dict(thaw(self.frozen_source))

    @property
    def n_challenges(self) -> int:
        """Number of challenges after expanding counts."""
        return sum(c.count for c in self.challenges)

    @property
    def n_routes(self) -> int:
        return sum(c.count * c.solvers for c in self.challenges)

    def describe(self) -> str:
        """A one-line summary of the scenario."""
        g = self.government.matching
        extras = [s for s, on in (("guided fund", self.guided_fund), ("credit", self.credit)) if on]
        tail = f", {' and '.join(extras)}" if extras else ""
        return (
            f"{self.name}: {self.n_challenges} challenges, {self.n_routes} routes, "
            f"matching {g.ratio:g} ({g.mode}), horizon {self.horizon:g} years, "
            f"money in {self.money_unit}{tail}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the validated input mapping."""
        return self.source

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate a mapping (as read from YAML) and build a scenario.

        Raises
        ------
        ConfigError
            Naming the dotted path, the value and what is allowed.
        """
        from fundflow.scenario._build import build_parts

        root, fields = build_parts(data)
        scenario = cls(frozen_source=freeze(data), **fields)
        root.finish()
        return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML scenario file safely and validate it.

    Parameters
    ----------
    path : str or Path
        The scenario file, or the name of an example shipped with fundflow
        (:mod:`fundflow.scenario.examples`). Its challenges may come from a spreadsheet:
        ``challenges: {from: list.xlsx, sheet: 榜单}``, a path relative to the file.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, or holds an invalid scenario.

    Examples
    --------
    >>> from fundflow import load_scenario
    >>> s = load_scenario("configs/open_competition.yaml")  # doctest: +SKIP
    >>> s.n_challenges  # doctest: +SKIP
    10
    """
    from fundflow.scenario._sheet import expand_challenges
    from fundflow.scenario.examples import resolve

    p = resolve(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", str(p), "file not found", truncate=False) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "", str(p), f"cannot be read ({exc.__class__.__name__}: {exc})", truncate=False
        ) from None
    data = load_yaml(text, str(p))
    if not isinstance(data, Mapping):
        raise ConfigError(
            "", str(p), "the file must hold a mapping (name:, challenges:, ...)", truncate=False
        )
    data, locate = expand_challenges(data, p.parent)
    try:
        return Scenario.from_dict(data)
    except ConfigError as exc:
        raise locate(exc) from None
