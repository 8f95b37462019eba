"""One runner, one seam for the executor, one settings object for the run options."""

from __future__ import annotations

import doctest
import importlib
import inspect
import multiprocessing
import sys
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest

import fundflow
from fundflow import ConfigError, RunSettings

CONFIG = "configs/open_competition.yaml"
LEVERS = {"government.matching.ratio": (0.1, 0.3), "challenges[0].solvers": (1, 3)}


class Recording:
    """An executor that runs each task when submitted and counts the tasks."""

    def __init__(self) -> None:
        self.tasks = 0

    def submit(self, fn: Any, /, *args: Any) -> Future[Any]:
        self.tasks += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future


class Broken:
    """An executor whose workers are gone: every submit fails."""

    def submit(self, fn: Any, /, *args: Any) -> Future[Any]:
        raise BrokenExecutor("the workers are gone")


@pytest.fixture(scope="module")
def sc() -> fundflow.Scenario:
    return fundflow.load_scenario(CONFIG)


def assert_same_run(a: fundflow.SimulationResult, b: fundflow.SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.routes, b.routes, check_exact=True)


def test_a_thread_pool_gives_the_same_simulation_as_one_worker(sc: fundflow.Scenario) -> None:
    ref = fundflow.simulate(sc, runs=37, seed=4, workers=1, progress=False)
    with ThreadPoolExecutor(2) as pool:
        res = fundflow.simulate(
            sc, runs=37, seed=4, workers=2, chunk_size=5, executor=pool, progress=False
        )
    assert_same_run(res, ref)
    assert res.provenance.workers == 2


def test_a_thread_pool_gives_the_same_sweep_as_one_worker(sc: fundflow.Scenario) -> None:
    ref = fundflow.sweep(sc, LEVERS, sampler="lhs", n=4, runs=9, seed=3, workers=1)
    with ThreadPoolExecutor(2) as pool:
        settings = RunSettings(runs=9, seed=3, workers=2, executor=pool)
        res = fundflow.sweep(sc, LEVERS, sampler="lhs", n=4, settings=settings)
    pd.testing.assert_frame_equal(res.table, ref.table, check_exact=True)
    for k in range(4):
        pd.testing.assert_frame_equal(res.results[k], ref.results[k], check_exact=True)


def test_every_block_goes_to_the_executor_given(sc: fundflow.Scenario) -> None:
    ex = Recording()
    fundflow.simulate(sc, runs=20, seed=1, chunk_size=5, executor=ex, progress=False)
    assert ex.tasks == 4
    ex = Recording()
    fundflow.run_design(sc, {"government.matching.ratio": [0.2, 0.3, 0.4]}, runs=6, executor=ex)
    assert ex.tasks == 3  # one block per design point with one worker
    ex = Recording()
    a = fundflow.compare(sc, sc, 12, 2, chunk_size=4, executor=ex, progress=False)
    assert ex.tasks == 6  # both scenarios' blocks through the one executor
    assert_same_run(a.a, a.b)  # the same scenario on common random numbers


def test_compare_and_simulate_until_do_not_depend_on_the_executor(
    sc: fundflow.Scenario,
) -> None:
    ref = fundflow.compare(sc, "configs/upfront_grant.yaml", runs=20, seed=5)
    with ThreadPoolExecutor(2) as pool:
        res = fundflow.compare(
            sc, "configs/upfront_grant.yaml", settings=RunSettings(runs=20, seed=5, executor=pool)
        )
    pd.testing.assert_frame_equal(res.table, ref.table, check_exact=True)
    one = fundflow.simulate_until(sc, 0.5, max_runs=60, seed=2, chunk_size=10, progress=False)
    two = fundflow.simulate_until(
        sc, 0.5, settings=RunSettings(seed=2, chunk_size=10, executor=Recording()), max_runs=60
    )
    assert_same_run(one, two)
    assert one.convergence == two.convergence


def test_a_broken_executor_falls_back_to_this_process_with_one_warning(
    sc: fundflow.Scenario,
) -> None:
    ref = fundflow.simulate(sc, runs=15, seed=9, progress=False)
    with pytest.warns(RuntimeWarning, match="the worker processes stopped") as caught:
        res = fundflow.simulate(sc, runs=15, seed=9, chunk_size=4, executor=Broken())
    assert len(caught) == 1
    assert_same_run(res, ref)


def test_keywords_override_the_settings_and_defaults_fill_the_rest(
    sc: fundflow.Scenario,
) -> None:
    settings = RunSettings(runs=30, seed=7, progress=False)
    assert len(fundflow.simulate(sc, settings=settings)) == 30
    res = fundflow.simulate(sc, 12, settings=settings)  # positional runs wins
    assert len(res) == 12 and res.entropy == 7
    assert fundflow.simulate(sc, settings=settings, seed=8).entropy == 8
    assert len(fundflow.simulate(sc, progress=False)) == 1  # simulate's own default
    assert settings.replace(workers=3) == RunSettings(runs=30, seed=7, workers=3, progress=False)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("runs", 0, "whole number >= 1"),
        ("workers", 1.5, "whole number >= 1"),
        ("seed", -1, "whole number >= 0"),
        ("chunk_size", True, "whole number >= 1"),
        ("progress", "yes", "true, false or None"),
        ("executor", "threads", "'processes', None"),
    ],
)
def test_bad_settings_name_the_field_and_what_is_allowed(
    field: str, value: Any, allowed: str
) -> None:
    with pytest.raises(ConfigError, match=field) as err:
        RunSettings(**{field: value})
    assert allowed in str(err.value)
    with pytest.raises(ConfigError, match=field):
        fundflow.simulate(CONFIG, **{field: value})


def test_a_misspelt_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(TypeError, match=r"'worker'.*did you mean 'workers'"):
        fundflow.sweep(CONFIG, LEVERS, worker=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'runs'"):
        fundflow.simulate_until(CONFIG, 0.1, runs=5)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="settings"):
        fundflow.simulate(CONFIG, settings={"runs": 5})  # type: ignore[arg-type]


def test_no_public_function_takes_more_than_eight_parameters() -> None:
    counted = {}
    for name in fundflow.__all__:
        obj = getattr(fundflow, name)
        if not inspect.isfunction(obj):
            continue
        params = inspect.signature(obj).parameters.values()
        counted[name] = sum(p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params)
    assert {"simulate", "compare", "sweep", "sensitivity", "optimize"} <= set(counted)
    assert {k: v for k, v in counted.items() if v > 8} == {}


def test_every_entry_point_accepts_the_settings_object() -> None:
    for fn in (
        fundflow.simulate,
        fundflow.simulate_until,
        fundflow.compare,
        fundflow.sweep,
        fundflow.run_design,
        fundflow.sensitivity,
        fundflow.optimize,
    ):
        params = inspect.signature(fn).parameters
        assert params["settings"].default is None, fn.__name__
        assert any(p.kind is p.VAR_KEYWORD for p in params.values()), fn.__name__


@pytest.mark.parametrize("module", ["run.settings", "results.provenance", "analysis.design"])
def test_doctests(module: str) -> None:
    mod = importlib.import_module(f"fundflow.{module}")
    result = doctest.testmod(mod)
    assert result.failed == 0 and result.attempted > 0


def test_a_process_pool_given_is_used_and_left_running(sc: fundflow.Scenario) -> None:
    ref = fundflow.simulate(sc, runs=16, seed=6, progress=False)
    design = {"government.matching.ratio": [0.2, 0.3]}
    ref_design = fundflow.run_design(sc, design, runs=16, seed=6)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        first = fundflow.simulate(sc, runs=16, seed=6, chunk_size=8, executor=pool)
        # the first call left the pool running: the second uses it too
        second = fundflow.run_design(sc, design, runs=16, seed=6, executor=pool)
    assert_same_run(first, ref)
    pd.testing.assert_frame_equal(second.table, ref_design.table, check_exact=True)


def test_no_progress_bar_in_a_process_that_merely_imported_ipykernel(monkeypatch) -> None:
    """A test run or script that imported ipykernel is not a notebook: no bar appears
    in its output (a doctest once failed on one)."""
    import types

    from fundflow.run import montecarlo

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert not montecarlo._in_notebook()
    assert montecarlo._progress(10, None) is None


@pytest.mark.parametrize("to_compile", [True, False])
def test_loops_to_compile_compile_here_before_the_pool_gets_a_task(
    monkeypatch: pytest.MonkeyPatch, to_compile: bool
) -> None:
    """On a cold numba cache the first task runs in this process, before the pool's
    processes start (they then load the compiled loops instead of compiling them)."""
    from fundflow.engine import kernel_cache
    from fundflow.run import montecarlo

    events: list[tuple[str, int]] = []

    class Pool:
        def submit(self, fn: Any, /, *args: Any) -> Future[Any]:
            events.append(("submitted", args[0]))
            future: Future[Any] = Future()
            future.set_result(fn(*args))
            return future

        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            pass

    def task(k: int) -> int:
        events.append(("ran", k))
        return k

    monkeypatch.setattr(kernel_cache, "must_compile", lambda engine: to_compile)
    monkeypatch.setattr(montecarlo, "spawn_pool", lambda processes: Pool())
    with montecarlo.Runner(RunSettings(workers=2)) as runner:
        assert list(runner.map(task, [(k,) for k in range(4)], [1] * 4)) == [0, 1, 2, 3]
    if to_compile:
        assert events[:2] == [("ran", 0), ("submitted", 1)]
    else:
        assert events[0] == ("submitted", 0)
