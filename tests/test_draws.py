"""Draws keyed by identity: counter layout, block independence, moments, CRN."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, ndtri

import fundflow
from conftest import make_scenario
from fundflow.engine.draws import STREAMS, Draws, draw, identity_hash, philox_key
from fundflow.engine.layout import Layout
from fundflow.errors import ConfigError
from fundflow.scenario.config import Scenario

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# ``entered`` is None until equilibrium entry sets it (fundflow.engine.entry.admission)
FIELDS = [f for f in Draws.__dataclass_fields__ if f not in ("replications", "entered")]


def pinned_scenario() -> Scenario:
    """Two copies of a 2-solver, 2-phase challenge in group ``g`` (rho 0.25)."""
    d = make_scenario(
        count=2,
        solvers=2,
        durations=({"dist": "uniform", "low": 1.0, "high": 2.0}, 1.0),
        overrun={"dist": "uniform", "low": 1.0, "high": 1.5},
        value={"dist": "uniform", "low": 0.0, "high": 10.0},
        race={"select_after": 1, "keep": 1},
        p1=0.5,
    )
    d["challenges"][0]["name"] = "sensor-chip"
    d["challenges"][0]["group"] = "g"
    d["correlation"] = {"g": 0.25}
    return Scenario.from_dict(d)


def numpy_uniform(entropy: int, counter: tuple[int, int, int, int], stream: str) -> float:
    """The documented uniform, computed with NumPy's own Philox.

    NumPy adds one to word 0 before its first block, hence ``replication - 1``.
    """
    key = np.array(philox_key(entropy), dtype=np.uint64)
    start = np.array([counter[0] - 1, *counter[1:]], dtype=np.uint64)
    x = np.random.Philox(key=key, counter=start).random_raw(4)[STREAMS.index(stream) % 4]
    return max(float(x >> np.uint64(11)) * 2.0**-53, 2.0**-60)


def test_identity_hash_is_blake2b_of_the_utf8_name() -> None:
    want = hashlib.blake2b("传感器".encode(), digest_size=8, person=b"fundflow:chal")
    assert identity_hash("传感器") == int.from_bytes(want.digest(), "little")
    assert identity_hash("sensor-chip") == 0xDAB87DFB22CEB0DF
    assert identity_hash("g", "group") != identity_hash("g")  # groups apart from challenges
    with pytest.raises(ValueError, match="kind"):
        identity_hash("g", "route")


def test_counter_layout_is_pinned() -> None:
    sc, entropy, rep = pinned_scenario(), 20240601, 7
    d = draw(sc, Layout.of(sc), entropy, [rep])
    h, g = identity_hash("sensor-chip"), identity_hash("g", "group")
    copy1_route1 = (1 << 32) | (1 << 16)  # route 3 = copy 1, route 1 of the challenge
    race = numpy_uniform(entropy, (rep, 1, h, copy1_route1), "race")
    assert d.race_u[0, 3] == race
    assert race == 0.1176561341429675  # the pin itself
    for name, field in [("misconduct", d.misconduct_u), ("default", d.default_u)]:
        assert field[0, 3] == numpy_uniform(
            entropy, (rep, 2 if name == "default" else 1, h, copy1_route1), name
        )
    assert d.solver_value_u[0, 3] == numpy_uniform(
        entropy, (rep, 2, h, copy1_route1), "solver_value"
    )
    u_dur = numpy_uniform(entropy, (rep, 0, h, copy1_route1 | 0), "duration")
    assert d.duration[0, 3, 0] == pytest.approx(1.0 + u_dur, rel=1e-15)
    u_over = numpy_uniform(entropy, (rep, 0, h, copy1_route1), "overrun")
    assert d.overrun[0, 3] == pytest.approx(1.0 + 0.5 * u_over, rel=1e-15)
    u_value = numpy_uniform(entropy, (rep, 1, h, 1 << 32), "value")
    assert d.value[0, 1] == pytest.approx(10.0 * u_value, rel=1e-15)
    eps = ndtri(numpy_uniform(entropy, (rep, 0, h, copy1_route1 | 1), "review"))
    factor = ndtri(numpy_uniform(entropy, (rep, 0, g, 1), "factor"))
    want = ndtr(0.5 * factor + np.sqrt(0.75) * eps)
    assert d.review_u[0, 3, 1] == pytest.approx(want, rel=1e-14)


def test_ungrouped_factor_is_keyed_by_the_challenge_copy() -> None:
    d = make_scenario(count=2, p1=0.5)
    d["correlation"] = {}
    sc = Scenario.from_dict(d)
    lay = Layout.of(sc)
    assert len(lay.group_rho) == 2 and not lay.group_rho.any()
    got = draw(sc, lay, 5, [3])
    h = identity_hash("challenge")
    # rho = 0: the route's own uniform is the review uniform
    assert got.review_u[0, 1, 0] == numpy_uniform(5, (3, 0, h, 1 << 32), "review")


def test_beyond_a_routes_phases_is_nan() -> None:
    d = make_scenario()
    three = make_scenario(
        p=(0.9, 0.9, 0.9),
        cost_shares=(0.3, 0.3, 0.4),
        durations=(1, 1, 1),
        installments=(0.25, 0.25, 0.25, 0.25),
    )
    three["challenges"][0]["name"] = "three"
    d["challenges"].append(three["challenges"][0])
    sc = Scenario.from_dict(d)
    got = draw(sc, Layout.of(sc), 1, range(4))
    assert np.isnan(got.duration[:, 0, 2]).all() and np.isnan(got.review_u[:, 0, 2]).all()
    assert np.isfinite(got.review_u[:, 1, :]).all()


@pytest.fixture(scope="module")
def open_competition() -> Scenario:
    return fundflow.load_scenario(CONFIGS / "open_competition.yaml")


def test_a_replication_alone_equals_it_in_any_block() -> None:
    sc = fundflow.load_scenario(CONFIGS / "chain_leader.yaml")  # fund and credit too
    lay = Layout.of(sc)
    block = draw(sc, lay, 9, [11, 0, 5, 123456789])
    assert block.holding_period.any() and block.exit_multiple.any()
    for i, rep in enumerate(block.replications):
        alone = draw(sc, lay, 9, [int(rep)])
        for f in FIELDS:
            np.testing.assert_array_equal(getattr(alone, f)[0], getattr(block, f)[i], err_msg=f)
    other_seed = draw(sc, lay, 10, [11])
    assert not np.array_equal(other_seed.overrun[0], block.overrun[0])


def test_uniforms_are_inside_zero_one_and_shapes_are_kept(open_competition: Scenario) -> None:
    lay = Layout.of(open_competition)
    d = draw(open_competition, lay, 3, range(50))
    r, c, p = lay.n_routes, lay.n_challenges, lay.max_phases
    assert d.duration.shape == d.review_u.shape == (50, r, p)
    assert d.value.shape == (50, c)
    for f in ("misconduct_u", "race_u", "default_u", "solver_value_u", "review_u"):
        u = getattr(d, f)
        assert u.shape[:2] == (50, r)
        assert ((u > 0) & (u < 1)).all(), f


def within(sample: np.ndarray, mean: float, var: float, k: float = 4.0) -> bool:
    se = np.sqrt(var / sample.size)
    return bool(abs(sample.mean() - mean) < k * se)


def test_moments(open_competition: Scenario) -> None:
    sc = open_competition
    lay = Layout.of(sc)
    d = draw(sc, lay, 77, range(3000))
    u = d.race_u.ravel()
    assert within(u, 0.5, 1 / 12)
    assert within((u - 0.5) ** 2, 1 / 12, 1 / 180)  # variance of U(0,1) and its own variance
    # standard normals by inverse CDF
    z = ndtri(d.solver_value_u.ravel())
    assert within(z, 0.0, 1.0) and within(z**2, 1.0, 2.0)
    # lognormal overrun of sensor-chip: mean = median exp(sigma^2 / 2)
    over = d.overrun[:, lay.route_spec == 0].ravel()
    sigma = 0.15
    mean = 1.05 * np.exp(sigma**2 / 2)
    var = (np.exp(sigma**2) - 1) * mean**2
    assert within(over, mean, var)
    # triangular duration (0.8, 1.0, 1.5) of sensor-chip's first phase
    dur = d.duration[:, lay.route_spec == 0, 0].ravel()
    a, m, b = 0.8, 1.0, 1.5
    var = (a * a + m * m + b * b - a * m - a * b - m * b) / 18
    assert within(dur, (a + m + b) / 3, var)
    # the copula keeps the marginal uniform and gives routes of a group correlation rho
    rev = d.review_u[:, lay.route_spec == 0, 0]
    assert within(rev.ravel(), 0.5, 1 / 12)
    corr = np.corrcoef(ndtri(rev[:, 0]), ndtri(rev[:, 2]))[0, 1]  # copies 0 and 1
    assert abs(corr - 0.3) < 4 * (1 - 0.3**2) / np.sqrt(3000)


def test_streams_sharing_a_block_are_uncorrelated(open_competition: Scenario) -> None:
    d = draw(open_competition, Layout.of(open_competition), 78, range(2000))
    pairs = [(d.misconduct_u, d.race_u), (d.race_u, d.solver_value_u), (d.default_u, d.race_u)]
    for x, y in pairs:
        corr = np.corrcoef(x.ravel(), y.ravel())[0, 1]
        assert abs(corr) < 4 / np.sqrt(x.size)


def route_map(before: Scenario, after: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Routes of ``before`` and the same routes (by identity) in ``after``."""

    def ids(sc: Scenario) -> list[tuple[str, int, int]]:
        lay = Layout.of(sc)
        copy = np.arange(lay.n_challenges) - np.searchsorted(
            lay.challenge_spec, lay.challenge_spec, side="left"
        )
        return [
            (
                sc.challenges[lay.route_spec[r]].name,
                int(copy[lay.route_challenge[r]]),
                int(r - lay.first_route[lay.route_challenge[r]]),
            )
            for r in range(lay.n_routes)
        ]

    a, b = ids(before), ids(after)
    where = {x: i for i, x in enumerate(b)}
    shared = [i for i, x in enumerate(a) if x in where]
    return np.array(shared), np.array([where[a[i]] for i in shared])


def assert_same_draws(before: Scenario, after: Scenario, skip: str, reps: range) -> int:
    d0 = draw(before, Layout.of(before), 9, reps)
    d1 = draw(after, Layout.of(after), 9, reps)
    r0, r1 = route_map(before, after)
    lay0 = Layout.of(before)
    keep = np.array([before.challenges[lay0.route_spec[r]].name != skip for r in r0])
    r0, r1 = r0[keep], r1[keep]
    assert len(r0) > 0
    for f in FIELDS:
        if f == "value":
            continue
        np.testing.assert_array_equal(getattr(d0, f)[:, r0], getattr(d1, f)[:, r1], err_msg=f)
    return len(r0)


def modified(sc: Scenario, edit: Any) -> Scenario:
    d = sc.to_dict()
    edit(d)
    return Scenario.from_dict(d)


def test_more_solvers_leaves_the_other_routes_draws_and_outcomes(
    open_competition: Scenario,
) -> None:
    base = open_competition
    assert base.government.annual_budget is None and base.guided_fund is None
    more = fundflow.apply_overrides(base, {"challenges[sensor-chip].solvers": 3})
    n_other = assert_same_draws(base, more, "sensor-chip", range(500))
    # the sensor-chip routes that exist in both keep their draws too
    assert_same_draws(base, more, "", range(20))
    r0, r1 = route_map(base, more)
    lay0 = Layout.of(base)
    other = np.array([base.challenges[lay0.route_spec[r]].name != "sensor-chip" for r in r0])
    cols = ["status", "end_review", "end_time"]
    a = fundflow.simulate(base, runs=500, seed=9).routes[cols]
    b = fundflow.simulate(more, runs=500, seed=9).routes[cols]
    ra = a.to_numpy().reshape(500, lay0.n_routes, 3)[:, r0[other]]
    rb = b.to_numpy().reshape(500, Layout.of(more).n_routes, 3)[:, r1[other]]
    assert ra.shape[1] == n_other
    same = ((ra == rb) | (pd.isna(ra) & pd.isna(rb))).all(axis=2)  # NaN: a route not started
    assert same.mean() == 1.0


def test_new_challenge_in_front_and_other_count_leave_draws(open_competition: Scenario) -> None:
    base = open_competition

    def front(d: dict[str, Any]) -> None:
        new = dict(d["challenges"][1], name="new-front", count=3)
        d["challenges"].insert(0, new)

    assert_same_draws(base, modified(base, front), "", range(50))
    d0 = draw(base, Layout.of(base), 9, range(50))
    d1 = draw(modified(base, front), Layout.of(modified(base, front)), 9, range(50))
    np.testing.assert_array_equal(d0.value, d1.value[:, 3:])  # the new one's 3 copies first
    more = fundflow.apply_overrides(base, {"challenges[new-materials].count": 7})
    assert_same_draws(base, more, "", range(50))  # copies 0-4 keep theirs too
    reordered = modified(base, lambda d: d["challenges"].reverse())
    assert_same_draws(base, reordered, "", range(50))


def test_renaming_a_challenge_changes_its_draws(open_competition: Scenario) -> None:
    base = open_competition
    renamed = modified(base, lambda d: d["challenges"][2].update(name="materials-2"))
    lay = Layout.of(base)
    d0, d1 = draw(base, lay, 9, range(5)), draw(renamed, Layout.of(renamed), 9, range(5))
    mine = lay.route_spec == 2
    assert not np.array_equal(d0.overrun[:, mine], d1.overrun[:, mine])
    np.testing.assert_array_equal(d0.overrun[:, ~mine], d1.overrun[:, ~mine])


def test_too_many_solvers_is_a_config_error() -> None:
    sc = Scenario.from_dict(make_scenario(solvers=1 << 16))
    with pytest.raises(ConfigError, match=r"challenges\[0\]\.solvers"):
        draw(sc, Layout.of(sc), 1, [0])
