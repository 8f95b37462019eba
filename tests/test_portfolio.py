"""Portfolios of challenges and correlated review outcomes (docs/model.md, issue 4).

The one-factor Gaussian copula ``u = Phi(sqrt(rho) F + sqrt(1 - rho) eps)`` must
leave every review's marginal pass probability at ``pass_probability`` whatever
``rho``, make outcomes within a group dependent (pairwise joint pass probability
``Phi2(z, z; rho)`` with ``z = Phi^-1(p)``), leave different groups independent,
and so widen the government's net cost distribution (CVaR up, mean unchanged).

Every estimate is compared with its truth within 4 standard errors, the standard
errors computed from per-replication statistics (routes in one replication are
not independent when ``rho > 0``).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

import fundflow
from fundflow import ConfigError, Scenario
from fundflow.results.metrics import cvar

RHOS = (0.0, 0.5, 0.9)
N_ROUTES = 20
P1, P2 = 0.6, 0.7
RUNS = 1000
MATCH = 25.0  # ratio 0.25 x I = 100


def portfolio(rho: float | None, *, count: int = N_ROUTES) -> dict[str, Any]:
    """``count`` one-route, two-phase challenges in one group ``g``."""
    data: dict[str, Any] = {
        "name": f"portfolio rho={rho}",
        "horizon": 5.0,
        "discount_rate": 0.0,
        "government": {
            "matching": {"ratio": 0.25, "mode": "on_acceptance", "payment_lag": 0.25},
            "error_tolerance": {"enabled": True, "rate": 0.3},
        },
        "challenges": [
            {
                "name": "chip",
                "count": count,
                "group": "g",
                "total_investment": 100.0,
                "demander_share": 0.5,
                "phases": [
                    {"name": "a", "duration": 1.0, "cost_share": 0.4, "pass_probability": P1},
                    {"name": "b", "duration": 1.0, "cost_share": 0.6, "pass_probability": P2},
                ],
            }
        ],
    }
    if rho is not None:
        data["correlation"] = {"g": rho}
    return data


@pytest.fixture(scope="module")
def by_rho() -> dict[float, fundflow.SimulationResult]:
    """The same portfolio at each rho, same seed (common random numbers)."""
    return {rho: fundflow.simulate(portfolio(rho), runs=RUNS, seed=7) for rho in RHOS}


def _review_counts(routes: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Per replication: routes reaching / passing review 1 and review 2."""
    failed1 = (routes["status"] == "failed") & (routes["end_review"] == 1)
    reached1 = routes["status"] != "not_started"
    passed1 = reached1 & ~failed1
    passed2 = routes["status"] == "succeeded"
    g = routes.index.get_level_values("replication")
    return (
        reached1.groupby(g).sum(),
        passed1.groupby(g).sum(),
        passed1.groupby(g).sum(),
        passed2.groupby(g).sum(),
    )


def _ratio_and_se(num: pd.Series, den: pd.Series) -> tuple[float, float]:
    """Ratio estimator sum(num)/sum(den) and its linearised (cluster) standard error."""
    p = float(num.sum() / den.sum())
    resid = num.to_numpy(float) - p * den.to_numpy(float)
    return p, float(np.sqrt(np.sum(resid**2)) / den.sum())


@pytest.mark.parametrize("rho", RHOS)
def test_marginal_pass_probability_does_not_depend_on_rho(by_rho, rho) -> None:
    routes = by_rho[rho].routes
    # every route ended at a review (horizon 5 > 2 phases of 1 year)
    assert set(routes["status"]) <= {"succeeded", "failed"}
    reached1, passed1, reached2, passed2 = _review_counts(routes)
    assert (reached1 == N_ROUTES).all()
    p1, se1 = _ratio_and_se(passed1, reached1)
    p2, se2 = _ratio_and_se(passed2, reached2)
    assert abs(p1 - P1) < 4 * se1, (rho, p1, se1)
    assert abs(p2 - P2) < 4 * se2, (rho, p2, se2)
    assert se1 < 0.02 and se2 < 0.02  # the check has teeth


@pytest.mark.parametrize("rho", RHOS)
def test_pairwise_joint_pass_probability_is_the_gaussian_copulas(by_rho, rho) -> None:
    """P(two routes of the group both pass review 1) = Phi2(z, z; rho)."""
    routes = by_rho[rho].routes
    failed1 = (routes["status"] == "failed") & (routes["end_review"] == 1)
    k = (~failed1).groupby(level="replication").sum().to_numpy(float)
    pairs = k * (k - 1) / (N_ROUTES * (N_ROUTES - 1))
    z = norm.ppf(P1)
    truth = float(multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([z, z]))
    est, se = pairs.mean(), pairs.std(ddof=1) / np.sqrt(pairs.size)
    assert abs(est - truth) < 4 * se + 1e-4, (rho, est, truth, se)
    if rho > 0:
        assert est > P1**2 + 4 * se  # dependence is visible


def test_government_net_cost_widens_with_rho_while_its_mean_stays(by_rho) -> None:
    cost = {rho: by_rho[rho].runs["gov_net_cost"].to_numpy() for rho in RHOS}
    tail = {rho: cvar(cost[rho], 0.95) for rho in RHOS}
    sd = {rho: cost[rho].std(ddof=1) for rho in RHOS}
    assert tail[0.0] < tail[0.5] < tail[0.9], tail
    assert sd[0.0] < sd[0.5] < sd[0.9], sd
    # at rho = 0.9 the worst 5% is (nearly) the whole portfolio succeeding
    assert tail[0.9] > tail[0.0] + 3 * MATCH
    se = {rho: sd[rho] / np.sqrt(RUNS) for rho in RHOS}
    for rho in RHOS[1:]:
        diff = cost[rho].mean() - cost[0.0].mean()
        assert abs(diff) < 4 * np.hypot(se[rho], se[0.0]), (rho, diff)


def test_rho_zero_equals_no_correlation_section() -> None:
    """``correlation: {g: 0}`` is the independent model exactly (same draws)."""
    a = fundflow.simulate(portfolio(0.0, count=4), runs=30, seed=3)
    b = fundflow.simulate(portfolio(None, count=4), runs=30, seed=3)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.routes, b.routes)


def test_groups_are_independent_of_each_other() -> None:
    """Two groups at rho = 0.9: strong dependence within, none across."""
    data = portfolio(0.9, count=10)
    other = copy.deepcopy(data["challenges"][0])
    other.update(name="battery", group="h")
    data["challenges"].append(other)
    data["correlation"] = {"g": 0.9, "h": 0.9}
    routes = fundflow.simulate(data, runs=600, seed=11).routes
    passed = ~((routes["status"] == "failed") & (routes["end_review"] == 1))
    frame = passed.to_frame("passed")
    frame["name"] = routes["challenge_name"]
    share = frame.groupby([frame.index.get_level_values("replication"), "name"])["passed"].mean()
    wide = share.unstack("name")
    r_across = np.corrcoef(wide["chip"], wide["battery"])[0, 1]
    # under independence the sample correlation has SE ~ 1/sqrt(n)
    assert abs(r_across) < 4 / np.sqrt(len(wide)), r_across
    assert wide["chip"].std() > 0.3  # within a group the pass share swings a lot


def test_ungrouped_challenges_stay_independent() -> None:
    """Challenges without a group are not pulled into a correlated group."""
    data = portfolio(0.9, count=10)
    loose = copy.deepcopy(data["challenges"][0])
    loose.update(name="loose")
    del loose["group"]
    data["challenges"].append(loose)
    routes = fundflow.simulate(data, runs=400, seed=5).routes
    passed = ~((routes["status"] == "failed") & (routes["end_review"] == 1))
    share = passed.groupby(
        [routes.index.get_level_values("replication"), routes["challenge_name"]]
    ).mean()
    wide = share.unstack()
    # 10 independent routes: the pass share's sd is sqrt(p(1-p)/10) ~ 0.155
    assert wide["loose"].std() < 0.2
    assert wide["chip"].std() > 0.3


# --------------------------------------------------------------------- portfolios


def test_portfolio_of_batches_categories_and_races() -> None:
    """Entries with counts, yearly batches and categories expand into routes in order."""
    base = portfolio(None)["challenges"][0]
    entries = []
    for name, count, solvers, start in [
        ("batch-a", 3, 1, 0.0),
        ("batch-b", 2, 2, 1.0),
        ("batch-c", 2, 1, 4.0),
    ]:
        entry = copy.deepcopy(base)
        entry.update(name=name, count=count, solvers=solvers, start=start, category=name[-1])
        entry["phases"][0]["pass_probability"] = 1.0
        entries.append(entry)
    data = portfolio(None)
    data["challenges"] = entries
    data["horizon"] = 3.5  # batch-c starts at 4: not started
    res = fundflow.simulate(data, runs=3, seed=1, keep_ledgers=3)
    routes = res.routes.xs(0, level="replication")
    assert routes["challenge_name"].tolist() == ["batch-a"] * 3 + ["batch-b"] * 4 + ["batch-c"] * 2
    assert routes["challenge"].tolist() == [0, 1, 2, 3, 3, 4, 4, 5, 6]
    assert (routes.loc[routes["challenge_name"] == "batch-c", "status"] == "not_started").all()
    assert (res.runs["routes_started"] == 7).all()
    ledger = res.ledger(0)
    first_spend = ledger[ledger["kind"] == "rd_spending"].groupby("route")["time"].min()
    assert first_spend.loc[[0, 1, 2]].eq(0.0).all()
    assert first_spend.loc[[3, 4, 5, 6]].eq(1.0).all()
    assert not ledger["route"].isin([7, 8]).any()
    # the two-solver races kept one route each after review 1 (which everyone passes)
    b = routes[routes["challenge_name"] == "batch-b"]
    assert (b.groupby("challenge")["status"].apply(lambda s: (s == "eliminated").sum()) == 1).all()


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("rho", [1.0, 1.5, -0.1, float("nan")])
def test_correlation_outside_unit_interval_is_a_config_error(rho) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(portfolio(rho))
    assert "correlation.g" in str(info.value)
    assert "[0, 1)" in str(info.value)


def test_correlation_of_unused_group_warns_and_still_runs() -> None:
    data = portfolio(0.3)
    data["correlation"]["nobody"] = 0.5
    with pytest.warns(UserWarning, match="nobody"):
        sc = Scenario.from_dict(data)
    assert sc.correlation["g"] == 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fundflow.simulate(sc, runs=2, seed=0)


def test_used_group_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Scenario.from_dict(portfolio(0.3))
