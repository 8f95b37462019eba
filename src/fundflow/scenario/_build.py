"""Build the parts of a :class:`~fundflow.scenario.config.Scenario` from a mapping, reading
:data:`SCENARIO`.

Every value is read by :func:`~fundflow.scenario._schema_core.read` from its declaration in
:mod:`fundflow.scenario.schema`; this module only says how the sections combine
into the frozen objects and checks the rules that involve several keys (shares
summing to 1, milestones that exist, a fund that ends within the horizon).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from fundflow.errors import ConfigError
from fundflow.scenario._reader import Section
from fundflow.scenario._schema_core import Key, open_section, read, read_values
from fundflow.scenario.parts import (
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
)
from fundflow.scenario.schema import (
    DEFAULT_RISK_SHARING,
    SCENARIO,
    default_installments,
)

__all__ = ["build_parts"]

_SUM_TOL = 1e-9
_GOV = SCENARIO["government"]
_CHALLENGE = SCENARIO["challenges"]


def build_parts(data: Mapping[str, Any]) -> tuple[Section, dict[str, Any]]:
    """The root section (to finish) and the fields of a Scenario, in reading order."""
    root = Section(data, "")
    root.known.update(k.name for k in SCENARIO.children)
    gov_sec = open_section(root, _GOV)
    assert gov_sec is not None
    government = _government(gov_sec)
    solver_sec = open_section(root, SCENARIO["solver"])
    assert solver_sec is not None
    solver = _solver(solver_sec)
    solver_sec.finish()
    raw = root.items("challenges", min_len=_CHALLENGE.min_len)
    challenges = tuple(_challenge(Section(item, f"challenges[{i}]")) for i, item in enumerate(raw))
    _check_names_unique(challenges)
    _check_tranches(government.matching, challenges)
    correlation = _correlation(root, challenges)
    fields = read_values(root, SCENARIO)
    fields.update(
        government=government,
        solver=solver,
        challenges=challenges,
        correlation=FrozenDict(correlation),
        guided_fund=_guided_fund(root, fields["horizon"]),
        credit=_credit(root),
    )
    return root, fields


def _sum_to_one(path: str, value: Any, total: float, what: str = "shares") -> None:
    if abs(total - 1.0) > _SUM_TOL:
        raise ConfigError(path, value, f"{what} must sum to 1 (they sum to {total:g})")


def _installments(sec: Section, key: Key, default: Any, n_phases: int) -> tuple[Installment, ...]:
    items = sec.items(key.name, default, min_len=key.min_len)
    out: list[Installment] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        s = Section(item, f"{sec.at(key.name)}[{i}]")
        s.known.update(c.name for c in key.children)
        after = read(s, key["after"])
        if after > n_phases:
            raise ConfigError(
                s.at("after"),
                after,
                f"must be a milestone 0..{n_phases} (0 = contract start, j = passing review j;"
                f" there are {n_phases} phases)",
            )
        if after in seen:
            raise ConfigError(s.at("after"), after, "each milestone may appear only once")
        seen.add(after)
        out.append(Installment(after, read(s, key["share"])))
        s.finish()
    _sum_to_one(sec.at(key.name), items, sum(x.share for x in out))
    return tuple(out)  # file order, so errors can name the item as written


def _matching(m: Section) -> Matching:
    spec = _GOV["matching"]
    mode = read(m, spec["mode"])
    tranches: tuple[Installment, ...] = ()
    if mode == "milestones":
        if not m.has("tranches"):
            raise ConfigError(
                m.at("tranches"),
                None,
                "missing: mode 'milestones' needs a list of {after, share}",
                show_value=False,
            )
        tranches = _installments(m, spec["tranches"], None, 10**9)
    else:
        m.raw("tranches", None)
    matching = Matching(
        mode=mode, tranches=tranches, **read_values(m, spec, skip=("mode", "tranches"))
    )
    m.finish()
    return matching


def _finished(sec: Section | None, value: Any) -> Any:
    if sec is not None:
        sec.finish()
    return value


def _government(sec: Section) -> Government:
    m = open_section(sec, _GOV["matching"])
    assert m is not None
    matching = _matching(m)
    e = open_section(sec, _GOV["error_tolerance"])
    assert e is not None
    tolerance = _finished(e, ErrorTolerance(**read_values(e, _GOV["error_tolerance"])))
    t = open_section(sec, _GOV["tax"])
    assert t is not None
    tax = _tax(t)
    award = open_section(sec, _GOV["success_award"])
    success_award = None
    if award is not None:
        success_award = _finished(award, SuccessAward(**read_values(award, _GOV["success_award"])))
    gov = Government(
        matching=matching,
        error_tolerance=tolerance,
        tax=tax,
        success_award=success_award,
        **read_values(sec, _GOV),
    )
    sec.finish()
    return gov


def _tax(t: Section) -> Tax:
    spec = _GOV["tax"]
    per_party: dict[str, Any] = {}
    for key in (c for c in spec.children if c.kind == "section"):
        raw = t.raw(key.name, None)
        if raw is not None and not isinstance(raw, Mapping):
            solver = raw
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 < raw <= 100:
                solver = float(f"{raw / 100:g}")  # a percentage: say the fraction
            raise ConfigError(
                t.at(key.name),
                raw,
                "must be a mapping per party since fundflow 0.2, e.g. "
                f"{key.name}: {{demander: {key['demander'].default:g}, solver: {solver!r}}} "
                "(the old single number was the solver's rate, applied to all R&D)",
            )
        party = open_section(t, key)
        assert party is not None
        per_party[key.name] = _finished(party, FrozenDict(read_values(party, key)))
    tax = Tax(**per_party, **read_values(t, spec))
    t.finish()
    return tax


def _phase(s: Section, spec: Key) -> Phase:
    values = read_values(s, spec, skip=("name",))
    name = read(s, spec["name"], default=s.path.rsplit(".", 1)[-1])
    ext = open_section(s, spec["extension"])
    extension = None
    if ext is not None:
        extension = _finished(ext, Extension(**read_values(ext, spec["extension"])))
    return _finished(s, Phase(name=name, extension=extension, **values))


def _phases(s: Section) -> tuple[Phase, ...]:
    spec = _CHALLENGE["phases"]
    raw = s.items("phases", spec.default, min_len=spec.min_len)
    phases = tuple(_phase(Section(p, f"{s.at('phases')}[{j}]"), spec) for j, p in enumerate(raw))
    total = sum(p.cost_share for p in phases)
    _sum_to_one(s.at("phases"), [p.cost_share for p in phases], total, "the phases' cost_share")
    return phases


def _race(s: Section, solvers: int, n: int) -> Race:
    r = open_section(s, _CHALLENGE["race"])
    assert r is not None
    race = Race(**read_values(r, _CHALLENGE["race"]))
    if solvers > 1 and race.select_after > n - 1:
        raise ConfigError(
            r.at("select_after"),
            race.select_after,
            f"must be a review before acceptance, 1..{n - 1} (the challenge has {n} phases)"
            if n > 1
            else "a horse race needs at least two phases (selection, then acceptance)",
        )
    return _finished(r, race)


def _challenge(s: Section) -> Challenge:
    s.known.update(c.name for c in _CHALLENGE.children)
    phases = _phases(s)
    n = len(phases)
    solvers = read(s, _CHALLENGE["solvers"])
    race = _race(s, solvers, n)
    values = read_values(s, _CHALLENGE, skip=("solvers", "name"))
    _check_one_price(s, values)
    challenge = Challenge(
        name=read(s, _CHALLENGE["name"], default=s.path),
        solvers=solvers,
        race=race,
        phases=phases,
        demander_installments=_installments(
            s, _CHALLENGE["demander_installments"], default_installments(n), n
        ),
        **values,
    )
    return _finished(s, challenge)


def _solver(sec: Section) -> SolverSettings:
    values = read_values(sec, SCENARIO["solver"], skip=("reservation_npv",))
    reservation = None
    if sec.has("reservation_npv"):
        key = SCENARIO["solver"]["reservation_npv"]
        reservation = sec.dist(key.name, what=key.what)
    return SolverSettings(reservation_npv=reservation, **values)


def _check_one_price(s: Section, values: dict[str, Any]) -> None:
    """A challenge gives ``demander_share`` or ``contract_price``, not both."""
    if values["contract_price"] is not None and s.has("demander_share"):
        name = s.raw("name", s.path)
        raise ConfigError(
            s.at("contract_price"),
            values["contract_price"],
            f"challenge {name!r} gives both demander_share and contract_price; give one "
            "(contract_price: the price per route; demander_share: a share of total_investment)",
        )


def _check_names_unique(challenges: tuple[Challenge, ...]) -> None:
    seen: set[str] = set()
    for i, c in enumerate(challenges):
        if c.name in seen:
            raise ConfigError(f"challenges[{i}].name", c.name, "challenge names must be unique")
        seen.add(c.name)


def _check_tranches(matching: Matching, challenges: tuple[Challenge, ...]) -> None:
    if matching.mode != "milestones":
        return
    fewest = min(challenges, key=lambda c: c.n_phases)
    for k, t in enumerate(matching.tranches):
        if t.after > fewest.n_phases:
            raise ConfigError(
                f"government.matching.tranches[{k}].after",
                t.after,
                f"must be a milestone 0..{fewest.n_phases}: challenge '{fewest.name}' has "
                f"only {fewest.n_phases} phases",
            )


def _correlation(root: Section, challenges: tuple[Challenge, ...]) -> dict[str, float]:
    spec = SCENARIO["correlation"]
    sec = root.section(spec.name)
    if sec is None:
        return {}
    groups = {c.group for c in challenges if c.group}
    out: dict[str, float] = {}
    for key in list(sec.data):
        rho = read(
            sec, Key(key, "number", lo=spec.lo, hi=spec.hi, hi_open=spec.hi_open, percent=True)
        )
        if key not in groups:
            warnings.warn(
                f"{sec.at(key)}: no challenge has group '{key}', so this correlation has no "
                f"effect (groups used: {', '.join(sorted(groups)) or 'none'})",
                UserWarning,
                stacklevel=5,
            )
        out[key] = rho
    sec.finish()
    return out


def _check_fund(sec: Section, v: dict[str, Any], horizon: float) -> None:
    start, life, invest_years = v["start"], v["life"], v["invest_years"]
    if v["enabled"] and start + life > horizon + _SUM_TOL:
        raise ConfigError(
            sec.at("life"),
            life,
            f"the fund must end within the horizon: guided_fund.start + guided_fund.life = "
            f"{start + life:g} > horizon = {horizon:g}; shorten the fund's life or start, or "
            "lengthen the horizon (holdings still open at the horizon would count as paid-in "
            "with no value)",
        )
    if invest_years > life:
        raise ConfigError(
            sec.at("life"),
            life,
            f"the fund's life must be at least its invest_years ({invest_years:g})",
        )
    if v["ticket"] > v["size"]:
        raise ConfigError(
            sec.at("ticket"), v["ticket"], f"must not exceed the fund's size ({v['size']:g})"
        )


def _guided_fund(root: Section, horizon: float) -> GuidedFund | None:
    spec = SCENARIO["guided_fund"]
    sec = open_section(root, spec)
    if sec is None:
        return None
    values = read_values(sec, spec)
    _check_fund(sec, values, horizon)
    early = open_section(sec, spec["early_exit"])
    early_exit = None
    if early is not None:
        early_exit = EarlyExit(**read_values(early, spec["early_exit"]))
        end = values["start"] + values["life"]
        if early_exit.year > end:
            raise ConfigError(
                early.at("year"),
                early_exit.year,
                f"must be no later than the fund's end (start + life = {end:g})",
            )
        early.finish()
    enabled = values.pop("enabled")
    fund = _finished(sec, GuidedFund(early_exit=early_exit, **values))
    return fund if enabled else None


def _credit(root: Section) -> Credit | None:
    spec = SCENARIO["credit"]
    sec = open_section(root, spec)
    if sec is None:
        return None
    values = read_values(sec, spec)
    rs = open_section(sec, spec["risk_sharing"])
    if rs is None:
        sharing = dict(DEFAULT_RISK_SHARING)
    else:
        sharing = _finished(rs, read_values(rs, spec["risk_sharing"]))
        _sum_to_one(rs.path, dict(rs.data), math.fsum(sharing.values()))
    pool_sec = open_section(sec, spec["risk_pool"])
    pool = None
    if pool_sec is not None:
        pool = _finished(pool_sec, RiskPool(**read_values(pool_sec, spec["risk_pool"])))
    link_sec = open_section(sec, spec["equity_link"])
    link = None
    if link_sec is not None:
        link = _finished(link_sec, EquityLink(**read_values(link_sec, spec["equity_link"])))
    enabled = values.pop("enabled")
    credit = _finished(
        sec, Credit(risk_sharing=FrozenDict(sharing), risk_pool=pool, equity_link=link, **values)
    )
    return credit if enabled else None
