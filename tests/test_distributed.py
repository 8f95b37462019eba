"""Runs on a Dask cluster: a real LocalCluster of worker processes gives the numbers of a
local run, the scenario travels once, and ``--scheduler`` starts or reaches a cluster."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import fundflow
from fundflow import RunSettings
from fundflow.cli import main
from fundflow.run._blocks import _run_block
from fundflow.run.montecarlo import Runner

distributed = pytest.importorskip("distributed")

CONFIG = "configs/open_competition.yaml"
LEVERS = {"government.matching.ratio": [0.2, 0.3], "challenges[0].solvers": [1, 3]}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def sc() -> fundflow.Scenario:
    return fundflow.load_scenario(CONFIG)


def assert_same_run(a: fundflow.SimulationResult, b: fundflow.SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.routes, b.routes, check_exact=True)
    pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=True)


def test_a_cluster_gives_the_simulation_of_a_local_run(client: Any, sc: Any) -> None:
    ref = fundflow.simulate(sc, runs=60, seed=11, workers=1, executor=None, keep_ledgers=2)
    res = fundflow.simulate(sc, runs=60, seed=11, executor=client, keep_ledgers=2)
    assert_same_run(res, ref)
    assert res.provenance.workers == 2  # the cluster's threads, not the default 1
    assert set(res.ledgers) == {0, 1}  # kept on the cluster, sent back
    pd.testing.assert_frame_equal(res.ledger(1), ref.ledger(1), check_exact=True)
    cut = fundflow.simulate(sc, runs=60, seed=11, chunk_size=7, executor=client)
    assert_same_run(cut, ref)  # however the replications are cut into blocks


def test_a_cluster_gives_the_sweep_of_a_local_run(client: Any, sc: Any) -> None:
    ref = fundflow.sweep(sc, LEVERS, runs=12, seed=3, workers=1, executor=None)
    res = fundflow.sweep(sc, LEVERS, settings=RunSettings(runs=12, seed=3, executor=client))
    pd.testing.assert_frame_equal(res.table, ref.table, check_exact=True)
    for k in range(len(ref.table)):
        pd.testing.assert_frame_equal(res.results[k], ref.results[k], check_exact=True)


def test_compare_and_simulate_until_on_a_cluster(client: Any, sc: Any) -> None:
    ref = fundflow.compare(sc, "configs/upfront_grant.yaml", runs=16, seed=5)
    res = fundflow.compare(sc, "configs/upfront_grant.yaml", runs=16, seed=5, executor=client)
    pd.testing.assert_frame_equal(res.table, ref.table, check_exact=True)
    one = fundflow.simulate_until(sc, 0.5, max_runs=40, seed=2, chunk_size=5)
    two = fundflow.simulate_until(sc, 0.5, max_runs=40, seed=2, chunk_size=5, executor=client)
    assert_same_run(one, two)
    assert one.convergence == two.convergence


def test_sensitivity_and_optimize_on_a_cluster(client: Any, sc: Any) -> None:
    from fundflow.analysis.constraints import Search

    inputs = {"government.matching.ratio": (0.1, 0.3), "discount_rate": (0.0, 0.1)}
    args = dict(method="morris", n=2, runs=4, seed=4)
    ref = fundflow.sensitivity(sc, inputs, "gov_net_cost_mean", **args)
    res = fundflow.sensitivity(sc, inputs, "gov_net_cost_mean", executor=client, **args)
    pd.testing.assert_frame_equal(res, ref, check_exact=True)
    levers = {"government.matching.ratio": (0.1, 0.3)}
    search = Search(sampler="lhs", n=4, refine=None)
    one = fundflow.optimize(sc, levers, runs=4, seed=2, search=search)
    two = fundflow.optimize(sc, levers, runs=4, seed=2, search=search, executor=client)
    assert one.best == two.best and one.objective == two.objective
    pd.testing.assert_frame_equal(one.evaluations, two.evaluations, check_exact=True)


class Spy:
    """Wraps a client's scatter and submit, recording what each task carries."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scattered: list[Any] = []
        self.args: list[tuple[Any, ...]] = []
        scatter, submit = client.scatter, client.submit

        def spy_scatter(data: Any, **kw: Any) -> Any:
            self.scattered.append(data)
            return scatter(data, **kw)

        def spy_submit(fn: Any, *args: Any, **kw: Any) -> Any:
            self.args.append(args)
            return submit(fn, *args, **kw)

        monkeypatch.setattr(client, "scatter", spy_scatter)
        monkeypatch.setattr(client, "submit", spy_submit)


def test_the_scenario_travels_once_not_with_every_block(
    client: Any, sc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(client, monkeypatch)
    fundflow.simulate(sc, runs=40, seed=1, chunk_size=5, executor=client)
    assert spy.scattered == [sc]  # sent once, to every worker
    assert len(spy.args) == 8  # one task per block
    for args in spy.args:
        assert not any(isinstance(a, fundflow.Scenario) for a in args)
        assert isinstance(args[0], distributed.Future)  # a reference to the scattered one
    # a sweep: each design point's scenario once, whatever its number of blocks
    spy.scattered.clear()
    fundflow.sweep(sc, LEVERS, runs=8, seed=1, chunk_size=2, executor=client)
    assert len(spy.scattered) == 4
    assert len({id(s) for s in spy.scattered}) == 4


class Starting:
    """A client of a cluster whose workers are still arriving (a batch system's jobs)."""

    def __init__(self) -> None:
        self.workers: dict[str, int] = {}

    def nthreads(self) -> dict[str, int]:
        return self.workers


def test_workers_joining_later_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from fundflow.run import _dask

    starting = Starting()
    executor = _dask.ClientExecutor(starting)
    assert executor.threads == 1 and executor.live_threads() == 1  # none yet: one task
    starting.workers = {"tcp://a": 4, "tcp://b": 4}
    assert executor.live_threads() == 1  # read again only every few seconds
    monkeypatch.setattr(_dask, "_REREAD", 0.0)
    assert executor.live_threads() == 8
    assert not _dask.is_client(starting) and _dask.adapt(starting) is None


def test_the_bar_shows_blocks_rate_and_time_left(client: Any, sc: Any) -> None:
    for executor in (None, client):
        settings = RunSettings(seed=1, progress=True, executor=executor)
        tasks = [(sc, 1, range(a, a + 3), 0) for a in range(0, 12, 3)]
        with Runner(settings, total=12) as runner:
            list(runner.map(_run_block, tasks, [3] * 4))
            shown = str(runner.bar)
        assert "12/12" in shown and "blocks 4/4" in shown, shown
        assert "runs/s" in shown and "left" in shown, shown


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", CONFIG, "--runs", "40", "--seed", "7", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_starts_a_local_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "--workers", "2", "--scheduler", "local")
    assert code == 0, err
    assert "Dask cluster on this machine: 2 worker processes, dashboard http" in err
    code, ref, _ = _cli(capsys, "--workers", "1")
    assert code == 0

    def numbers(text: str) -> list[str]:  # all but the line naming workers and seconds
        return [line for line in text.splitlines() if "replications, seed" not in line]

    assert numbers(out) == numbers(ref)
    assert "2 workers" in out


def test_an_unreachable_scheduler_is_one_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fundflow.cli import _scheduler

    monkeypatch.setattr(_scheduler, "CONNECT_TIMEOUT", 1.0)
    code, out, err = _cli(capsys, "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: --scheduler tcp://127.0.0.1:9: cannot connect within 1 s")
    assert "Traceback" not in err and out == ""


def test_an_address_dask_cannot_read_is_refused_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _cli(capsys, "--scheduler", "tcp://127.0.0.1:port")
    assert code == 2
    wanted = "error: --scheduler = 'tcp://127.0.0.1:port': must be 'local' or a scheduler's"
    assert err.strip().splitlines()[-1].startswith(wanted)


def test_without_distributed_the_option_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    code, _, err = _cli(capsys, "--scheduler", "local")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        'error: --scheduler: needs Dask distributed: pip install "fundflow[distributed]"'
    )
