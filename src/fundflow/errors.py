"""The errors fundflow raises for bad input."""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "EngineCheckError", "format_value", "warn_user"]


def format_value(value: Any, limit: int = 60) -> str:
    """Render a user value for an error message, shortened if long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConfigError(ValueError):
    """A scenario, an override or a run option is invalid.

    The message names the dotted path of the offending field, the value found and
    what is allowed, e.g. ``challenges[1].phases[0].pass_probability = -0.4: must be
    in [0, 1]``; a rate or share written as a percentage also gets the fraction it
    stands for: ``discount_rate = 3: must be in (-1, 1] (did you mean 0.03?)``.

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


class EngineCheckError(RuntimeError):
    """A replication's result broke a rule every correct result keeps.

    Raised by the per-replication guard of the compiled engine
    (:mod:`fundflow.engine.guard`): a payment that is not finite, not positive or
    above ten times the money the replication can move, a time outside the
    horizon, a route that ends before it starts, or R&D spending that differs from
    the cost of the phases the route reached. It is a fault of fundflow, never of
    the scenario; the SimPy engine (``engine="simpy"``) gives the reference numbers.

    Attributes
    ----------
    check : str
        What was broken.
    replication : int
        The replication (its number in the run once known, else its index in the block).
    scenario, seed : str or None, int or None
        The scenario's name and the run's seed entropy, once known.
    """

    def __init__(
        self,
        check: str,
        replication: int,
        *,
        scenario: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.check = check
        self.replication = replication
        self.scenario = scenario
        self.seed = seed
        where = f"replication {replication}"
        if scenario is not None:
            where += f" of scenario {scenario!r}"
        if seed is not None:
            where += f" (seed {seed})"
        super().__init__(
            f"the compiled engine's result for {where} failed a check: {check}. "
            "No number was reported. This is a fault of fundflow: please report it "
            "with the scenario; the SimPy engine gives the reference numbers "
            '(fundflow run ... --engine simpy, or simulate(..., engine="simpy"))'
        )

    def located(self, scenario: str, seed: int, replication: int) -> EngineCheckError:
        """The same error, naming the scenario, the seed and the run's replication."""
        return EngineCheckError(self.check, replication, scenario=scenario, seed=seed)


def warn_user(message: str, category: type[Warning] = RuntimeWarning) -> None:
    """Warn with the line of the caller's own code that called into fundflow (a
    script's or a notebook cell's), not a line of fundflow's modules."""
    import sys
    import warnings

    frame: Any = sys._getframe(1)
    level = 2  # warnings.warn counts warn_user itself as 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("fundflow"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
