"""Numbers or distributions in a scenario file, sampled by inverse CDF.

A value in a scenario may be a plain number or a mapping such as
``{dist: lognormal, median: 1.5, sigma: 0.9}``. Every distribution is the
equivalent ``scipy.stats`` distribution below, sampled by its inverse CDF from
uniforms drawn up front (``draws`` module), so that changing a parameter moves every
replication's value monotonically (common random numbers).

The five named families' inverse CDFs and supports are computed here in closed form
with ``scipy.special`` (``ndtri``, ``betaincinv``), as ``scipy.stats`` computes them
(``standard_ppf(u) * scale + loc``), so that simulating does not import
``scipy.stats`` (about 0.6 s of a worker process's start-up). ``scipy.stats`` is
imported when first needed: other families, ``Dist.mean``, ``Dist.frozen``.
Reading a scenario imports neither SciPy nor NumPy unless a value needs them (a
SciPy family): ``fundflow validate`` takes a fraction of a second, and an
unknown family name is refused against :data:`SCIPY_FAMILIES` without SciPy.

Supported families, with the parameter names users write:

============  =================================  ==============================
``dist``      parameters                         scipy.stats equivalent
============  =================================  ==============================
triangular    low, mode, high                    triang(c, loc=low, scale=high-low)
lognormal     median, sigma                      lognorm(s=sigma, scale=median)
uniform       low, high                          uniform(loc=low, scale=high-low)
normal        mean, sd                           norm(loc=mean, scale=sd)
beta          a, b, [low=0, high=1]              beta(a, b, loc=low, scale=high-low)
any other     its scipy.stats shape names,       getattr(scipy.stats, dist)(...)
              optional loc and scale
============  =================================  ==============================
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fundflow.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SCIPY_FAMILIES", "Dist", "parse_dist"]

_NAMED: dict[str, tuple[str, ...]] = {
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "beta": ("a", "b"),
}
_OPTIONAL: dict[str, dict[str, float]] = {"beta": {"low": 0.0, "high": 1.0}}

#: The continuous families of ``scipy.stats`` (1.17), by name: a ``dist`` outside these
#: and :data:`_NAMED` is refused without importing SciPy. A family an older SciPy lacks
#: is refused when the scenario is read, naming the installed version.
SCIPY_FAMILIES: frozenset[str] = frozenset(
    """
    alpha anglit arcsine argus beta betaprime bradford burr burr12 cauchy chi chi2
    cosine crystalball dgamma dpareto_lognorm dweibull erlang expon exponnorm exponpow
    exponweib f fatiguelife fisk foldcauchy foldnorm gamma gausshyper genexpon
    genextreme gengamma genhalflogistic genhyperbolic geninvgauss genlogistic gennorm
    genpareto gibrat gompertz gumbel_l gumbel_r halfcauchy halfgennorm halflogistic
    halfnorm hypsecant invgamma invgauss invweibull irwinhall jf_skew_t johnsonsb
    johnsonsu kappa3 kappa4 ksone kstwo kstwobign landau laplace laplace_asymmetric levy
    levy_l levy_stable loggamma logistic loglaplace lognorm loguniform lomax maxwell
    mielke moyal nakagami ncf nct ncx2 norm norminvgauss pareto pearson3 powerlaw
    powerlognorm powernorm rayleigh rdist recipinvgauss reciprocal rel_breitwigner rice
    semicircular skewcauchy skewnorm studentized_range t trapezoid triang truncexpon
    truncnorm truncpareto truncweibull_min tukeylambda uniform vonmises vonmises_line
    wald weibull_max weibull_min wrapcauchy
    """.split()
)


@dataclass(frozen=True)
class Dist:
    """A fixed number or a continuous distribution.

    Attributes
    ----------
    family : str
        ``"fixed"`` or the family name as written in the scenario.
    params : tuple of (str, float)
        The parameters as written (for ``fixed``: ``(("value", v),)``).
    """

    family: str
    params: tuple[tuple[str, float], ...]

    @classmethod
    def fixed(cls, value: float) -> Dist:
        """A degenerate distribution at ``value``."""
        return cls("fixed", (("value", float(value)),))

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed"

    def frozen(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution (not for ``fixed``)."""
        return _freeze(self.family, dict(self.params))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in (0, 1) to values of this distribution.

        As ``self.frozen().ppf(u)``: the support's ends at 0 and 1, NaN outside
        [0, 1]. For the named families the same numbers are computed without
        ``scipy.stats`` (bit for bit, except ``beta`` where ``betaincinv`` and
        ``scipy.stats.beta`` may differ in the last bits).
        """
        import numpy as np

        if self.is_fixed:
            return np.full(np.shape(u), self.params[0][1])
        closed = _closed_form(self.family, dict(self.params))
        if closed is None:
            return np.asarray(self.frozen().ppf(u), dtype=float)
        return closed.ppf(np.asarray(u, dtype=float))

    def mean(self) -> float:
        if self.is_fixed:
            return self.params[0][1]
        return float(self.frozen().mean())

    def support(self) -> tuple[float, float]:
        if self.is_fixed:
            v = self.params[0][1]
            return v, v
        closed = _closed_form(self.family, dict(self.params))
        lo, hi = closed.support() if closed is not None else self.frozen().support()
        return float(lo), float(hi)

    def to_plain(self) -> float | dict[str, Any]:
        """The value as it would be written in a scenario file."""
        if self.is_fixed:
            return self.params[0][1]
        return {"dist": self.family, **dict(self.params)}

    def __str__(self) -> str:
        if self.is_fixed:
            return f"{self.params[0][1]:g}"
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params)
        return f"{self.family}({inner})"


@dataclass(frozen=True)
class _ClosedForm:
    """A named family as ``scipy.stats`` has it: a standard ppf, its support, loc, scale."""

    standard_ppf: Callable[[np.ndarray], np.ndarray]  # on (0, 1)
    a: float  # support of the standard distribution
    b: float
    loc: float
    scale: float
    valid: bool  # scipy.stats' argument check: NaN everywhere when False

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """``scipy.stats.rv_continuous.ppf``, step by step."""
        import numpy as np

        out = np.full(q.shape, np.nan)
        if not self.valid:
            return out
        out[q == 0] = self.a * self.scale + self.loc
        out[q == 1] = self.b * self.scale + self.loc
        inside = (q > 0) & (q < 1)
        out[inside] = self.standard_ppf(q[inside]) * self.scale + self.loc
        return out

    def support(self) -> tuple[float, float]:
        if not self.valid:
            return math.nan, math.nan
        return self.a * self.scale + self.loc, self.b * self.scale + self.loc


def _closed_form(family: str, p: dict[str, float]) -> _ClosedForm | None:
    """The named family ``family`` without ``scipy.stats``; None for other families.

    NumPy and ``scipy.special`` are imported when a quantile is computed, not here
    (reading a scenario asks only for supports).
    """
    if family == "triangular":
        width = p["high"] - p["low"]
        c = (p["mode"] - p["low"]) / width if width > 0 else math.nan

        def triang(q: np.ndarray) -> np.ndarray:
            import numpy as np

            return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

        return _ClosedForm(triang, 0.0, 1.0, p["low"], width, width > 0 and 0 <= c <= 1)
    if family == "lognormal":
        s = p["sigma"]

        def lognorm(q: np.ndarray) -> np.ndarray:
            import numpy as np
            from scipy import special

            return np.exp(s * special.ndtri(q))

        return _ClosedForm(lognorm, 0.0, math.inf, 0.0, p["median"], s > 0 and p["median"] > 0)
    if family == "uniform":
        width = p["high"] - p["low"]
        return _ClosedForm(lambda q: q, 0.0, 1.0, p["low"], width, width > 0)
    if family == "normal":
        return _ClosedForm(_ndtri, -math.inf, math.inf, p["mean"], p["sd"], p["sd"] > 0)
    if family == "beta":
        a, b = p["a"], p["b"]
        lo, hi = p.get("low", 0.0), p.get("high", 1.0)

        def beta(q: np.ndarray) -> np.ndarray:
            import numpy as np
            from scipy import special

            x = np.asarray(special.betaincinv(a, b, q), dtype=float)
            lost = np.isnan(x)  # betaincinv gives up in the far tails, scipy.stats does not
            if lost.any():
                from scipy import stats

                x[lost] = stats.beta(a, b).ppf(q[lost])
            return x

        return _ClosedForm(beta, 0.0, 1.0, lo, hi - lo, a > 0 and b > 0 and hi > lo)
    return None


def _ndtri(q: np.ndarray) -> np.ndarray:
    """The standard normal quantile, ``scipy.special.ndtri``."""
    from scipy import special

    return special.ndtri(q)  # type: ignore[no-any-return]


def _freeze(family: str, p: dict[str, float]) -> Any:
    from scipy import stats

    if family == "triangular":
        width = p["high"] - p["low"]
        return stats.triang((p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
    if family == "lognormal":
        return stats.lognorm(s=p["sigma"], scale=p["median"])
    if family == "uniform":
        return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
    if family == "normal":
        return stats.norm(loc=p["mean"], scale=p["sd"])
    if family == "beta":
        lo, hi = p.get("low", 0.0), p.get("high", 1.0)
        return stats.beta(p["a"], p["b"], loc=lo, scale=hi - lo)
    return getattr(stats, family)(**p)


def _check_named(family: str, p: dict[str, float], path: str) -> None:
    def need(cond: bool, key: str, allowed: str) -> None:
        if not cond:
            raise ConfigError(f"{path}.{key}", p[key], allowed)

    if family == "triangular":
        need(p["low"] < p["high"], "high", f"must be greater than low ({p['low']:g})")
        need(p["low"] <= p["mode"] <= p["high"], "mode", "must lie in [low, high]")
    elif family == "lognormal":
        need(p["median"] > 0, "median", "must be > 0")
        need(p["sigma"] > 0, "sigma", "must be > 0")
    elif family == "uniform":
        need(p["low"] < p["high"], "high", f"must be greater than low ({p['low']:g})")
    elif family == "normal":
        need(p["sd"] > 0, "sd", "must be > 0")
    elif family == "beta":
        need(p["a"] > 0, "a", "must be > 0")
        need(p["b"] > 0, "b", "must be > 0")
        if "high" in p:
            need(p["high"] > p.get("low", 0.0), "high", "must be greater than low")


def parse_dist(
    raw: Any,
    path: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    what: str = "",
) -> Dist:
    """Validate a number-or-distribution and return a :class:`Dist`.

    Parameters
    ----------
    raw : number or mapping
        What the scenario holds.
    path : str
        Dotted path, for error messages.
    low, high : float
        Every value the distribution can take must lie in ``[low, high]``.
    what : str
        Description of the allowed range, for error messages.

    Raises
    ------
    ConfigError
        If the value is neither a number nor a valid distribution, or its support
        leaves ``[low, high]``.
    """
    rng_text = what or f"must lie in [{low:g}, {high:g}]"
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Mapping)):
        raise ConfigError(
            path,
            raw,
            "must be a number or a distribution such as {dist: triangular, "
            "low: 1, mode: 2, high: 3}",
        )
    if not isinstance(raw, Mapping):
        return _fixed(raw, path, low, high, rng_text)
    spec = dict(raw)
    family = spec.pop("dist", None)
    if not isinstance(family, str):
        raise ConfigError(
            f"{path}.dist",
            family,
            "a distribution needs 'dist': one of "
            + ", ".join(_NAMED)
            + " or a scipy.stats continuous family",
        )
    params = _numbers(spec, path)
    if family in _NAMED:
        _check_named_keys(family, params, path)
        _check_named(family, params, path)
    else:
        _check_scipy(family, params, path, raw)
    dist = Dist(family, tuple(params.items()))
    lo, hi = dist.support()
    if lo < low or hi > high:
        raise ConfigError(
            path, raw, f"{rng_text}, but this distribution ranges over [{lo:g}, {hi:g}]"
        )
    return dist


def _fixed(raw: float, path: str, low: float, high: float, rng_text: str) -> Dist:
    """A plain number as a fixed distribution, checked to be finite and in range."""
    value = float(raw)
    if not math.isfinite(value):
        raise ConfigError(path, raw, f"must be a finite number ({rng_text})")
    if not low <= value <= high:
        raise ConfigError(path, raw, rng_text)
    return Dist.fixed(value)


def _numbers(spec: Mapping[Any, Any], path: str) -> dict[str, float]:
    """A distribution's parameters, each checked to be a finite number."""
    params: dict[str, float] = {}
    for key, value in spec.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{path}.{key}", value, "must be a finite number")
        params[str(key)] = float(value)
    return params


def _check_named_keys(family: str, params: dict[str, float], path: str) -> None:
    """Raise on a parameter a named family does not take or one it needs but lacks."""
    required = _NAMED[family]
    allowed = set(required) | set(_OPTIONAL.get(family, {}))
    for key in params:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"{path}.{key}",
                params[key],
                f"unknown parameter of {family}{hint} ({family} takes "
                + ", ".join(sorted(allowed))
                + ")",
            )
    for key in required:
        if key not in params:
            raise ConfigError(
                f"{path}.{key}",
                None,
                f"missing: {family} needs " + ", ".join(required),
                show_value=False,
            )


def _check_scipy(family: str, params: dict[str, float], path: str, raw: Any) -> None:
    """Raise unless ``family`` is a scipy.stats continuous family these parameters fit.

    An unknown name is refused against :data:`SCIPY_FAMILIES`, before SciPy is imported.
    """
    families = sorted(SCIPY_FAMILIES)
    if family not in SCIPY_FAMILIES:
        close = difflib.get_close_matches(family, list(_NAMED), n=1, cutoff=0.6)
        close = close or difflib.get_close_matches(family, families, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(
            f"{path}.dist",
            family,
            "unknown distribution"
            + hint
            + " (use "
            + ", ".join(_NAMED)
            + " or a scipy.stats continuous family)",
        )
    import numpy as np
    import scipy
    from scipy import stats

    if not isinstance(getattr(stats, family, None), stats.rv_continuous):
        raise ConfigError(
            f"{path}.dist",
            family,
            f"not in the installed SciPy {scipy.__version__}: upgrade SciPy, or use "
            + ", ".join(_NAMED),
        )
    try:
        frozen = _freeze(family, params)
        ok = bool(np.isfinite(frozen.mean()) or np.isfinite(frozen.ppf(0.5)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(path, raw, f"not a valid scipy.stats.{family}: {exc}") from None
    if not ok:
        raise ConfigError(path, raw, f"parameters out of range for scipy.stats.{family}")
