"""Benchmark fundflow's SimPy engine against a naive SimPy baseline of the same model.

Run from the repository root::

    .venv/bin/python benchmarks/bench_engine.py            # full run (a few minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick    # smoke run (~20 s)

In one process it prints, on the reference program ``configs/benchmark_100.yaml``
(100 challenges, 145 routes):

a. replications per second of fundflow, single worker: the full pipeline as
   ``simulate(..., workers=1)`` runs it (draws + engine + per-replication measures +
   result assembly), and the engine alone (``draw`` + ``run_replication``);
b. the same for the naive baseline below, with its mean government outlay next to
   fundflow's (they must agree within Monte Carlo error);
c. the ratios fundflow / naive (goal >= 2x per core);
d. the scaling of ``simulate`` from 1 to 2 workers (this process and a pool of one),
   with the pool started inside ``simulate`` (cold) and with a pool started and
   warmed beforehand (goal >= 1.8x);
e. the ledger's bytes per row (goal <= 48).

Each timing is repeated ``--repeat`` times, fundflow and the baseline interleaved
in every repeat so that machine load hits both alike; the median is reported.

The naive baseline is written the way one writes a SimPy model first: one
``env.process`` per route, a generator yielding timeouts for phases, a sub-process
per delayed payment (tranche, compensation, claw-back, value), a list of dict rows
as the ledger, random numbers drawn on the fly from one ``numpy`` Generator, and a
``pandas.DataFrame`` built from the rows at the end of every replication. It
implements the rules of docs/model.md ("A challenge and its routes") that the reference program uses
(two_phase tranches and the per-challenge cap, demander installments, the horse
race with selection after a review and ``keep``, compensation of failed and
eliminated routes, misconduct claw-back, correlated reviews, booking periods,
the matching payee); it does not implement the annual budget, the solver reserve,
the guided fund, credit or tax, and refuses scenarios that use them.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

import fundflow
from fundflow.engine.draws import draw
from fundflow.engine.plan import EnginePlan
from fundflow.engine.simpy_engine import run_replication
from fundflow.run import montecarlo
from fundflow.scenario.config import Scenario
from fundflow.scenario.distributions import Dist

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where the naive baseline uses it, not here: a spawn worker
# re-imports this script (as ``__mp_main__``) before it runs fundflow's blocks, and
# the scaling figure should time fundflow's start-up, not the benchmark's.

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "configs" / "benchmark_100.yaml"
BLOCK = 200  # replications per draw block, as simulate() uses at most
_SQRT2 = math.sqrt(2.0)


# =============================================================================
# The naive baseline
# =============================================================================


def sample(dist: Dist, rng: np.random.Generator) -> float:
    """One value of a scenario distribution, drawn now from ``rng``."""
    p = dict(dist.params)
    family = dist.family
    if family == "fixed":
        return p["value"]
    if family == "triangular":
        return float(rng.triangular(p["low"], p["mode"], p["high"]))
    if family == "lognormal":
        return float(rng.lognormal(math.log(p["median"]), p["sigma"]))
    if family == "uniform":
        return float(rng.uniform(p["low"], p["high"]))
    if family == "normal":
        return float(rng.normal(p["mean"], p["sd"]))
    if family == "beta":
        lo, hi = p.get("low", 0.0), p.get("high", 1.0)
        return lo + (hi - lo) * float(rng.beta(p["a"], p["b"]))
    return float(dist.frozen().rvs(random_state=rng))


def naive_replication(sc: Scenario, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Simulate one replication the obvious way; the ledger is a list of dict rows."""
    unsupported = {
        "government.annual_budget": sc.government.annual_budget is not None,
        "solver.reserve": sc.solver.reserve is not None,
        "guided_fund": sc.guided_fund is not None,
        "credit": sc.credit is not None,
        "government.tax": sc.government.tax.rd_super_deduction > 0,
    }
    if any(unsupported.values()):
        names = ", ".join(k for k, on in unsupported.items() if on)
        raise ValueError(f"the naive baseline does not model {names}")
    env = simpy.Environment()
    ledger: list[dict[str, Any]] = []
    gov = sc.government
    matching = gov.matching
    tol = gov.error_tolerance
    lag = matching.payment_lag
    payee = getattr(matching, "payee", "demander")  # who receives the matching tranches
    factors: dict[tuple[str, int], float] = {}

    challenges: list[dict[str, Any]] = []
    routes: list[dict[str, Any]] = []
    for spec in sc.challenges:
        for _ in range(spec.count):
            ch: dict[str, Any] = {
                "id": len(challenges),
                "spec": spec,
                "cap_left": math.inf if matching.cap is None else matching.cap,
                "value_paid": False,
                "race": None,
            }
            if spec.solvers > 1:
                ch["race"] = {"waiting": spec.solvers, "passed": [], "heard": set()}
            challenges.append(ch)
            for _ in range(spec.solvers):
                routes.append(
                    {
                        "id": len(routes),
                        "ch": ch,
                        "status": "not_started",
                        "cost_spent": 0.0,
                        "demander_paid": 0.0,
                        "gov_paid": 0.0,
                        "pending": 0,
                        "settled": None,
                    }
                )

    def pay(payer: str, payee: str, amount: float, kind: str, ch: int, route: int) -> None:
        if amount > 0:
            ledger.append(
                {
                    "time": env.now,
                    "payer": payer,
                    "payee": payee,
                    "amount": amount,
                    "kind": kind,
                    "challenge": ch,
                    "route": route,
                }
            )

    # --- delayed payments, one process each ---------------------------------
    def pay_tranche(route: dict[str, Any], amount: float):  # type: ignore[no-untyped-def]
        yield env.timeout(lag)
        pay("government", payee, amount, "matching", route["ch"]["id"], route["id"])
        route["gov_paid"] += amount
        route["pending"] -= 1
        if route["pending"] == 0 and route["settled"] is not None:
            route["settled"].succeed()
            route["settled"] = None

    def pay_compensation(route: dict[str, Any], amount: float):  # type: ignore[no-untyped-def]
        yield env.timeout(lag)
        pay("government", "solver", amount, "compensation", route["ch"]["id"], route["id"])

    def claw_back(route: dict[str, Any], share: float):  # type: ignore[no-untyped-def]
        yield env.timeout(lag)
        if route["pending"] > 0:
            route["settled"] = env.event()
            yield route["settled"]
        amount = share * route["gov_paid"]
        pay("demander", "government", amount, "clawback", route["ch"]["id"], route["id"])

    def pay_value(ch: dict[str, Any], amount: float, delay: float):  # type: ignore[no-untyped-def]
        yield env.timeout(delay)
        pay("external", "demander", amount, "commercial_value", ch["id"], -1)

    # --- route events ----------------------------------------------------------
    def milestone(route: dict[str, Any], m: int) -> None:
        ch = route["ch"]
        spec = ch["spec"]
        share = sum(x.share for x in spec.demander_installments if x.after == m)
        if share > 0:
            amount = share * spec.demander_share * spec.total_investment
            pay("demander", "solver", amount, "demander_installment", ch["id"], route["id"])
            route["demander_paid"] += amount
        tr_share = sum(x.share for x in matching.plan(spec.n_phases) if x.after == m)
        tranche = min(tr_share * matching.ratio * spec.total_investment, ch["cap_left"])
        if tranche > 0:
            ch["cap_left"] -= tranche
            route["pending"] += 1
            env.process(pay_tranche(route, tranche))

    def passes(route: dict[str, Any], j: int) -> bool:
        spec = route["ch"]["spec"]
        rho = sc.correlation.get(spec.group, 0.0) if spec.group else 0.0
        z = rng.standard_normal()
        if rho > 0:
            key = (spec.group, j)
            if key not in factors:
                factors[key] = rng.standard_normal()
            z = math.sqrt(rho) * factors[key] + math.sqrt(1 - rho) * z
        u = 0.5 * math.erfc(-z / _SQRT2)
        return bool(u < spec.phases[j].pass_probability)

    def race_heard(race: dict[str, Any], route: dict[str, Any]) -> None:
        race["heard"].add(route["id"])
        race["waiting"] -= 1
        if race["waiting"] == 0:
            passed = race["passed"]
            keep = min(route["ch"]["spec"].race.keep, len(passed))
            chosen = set(rng.choice(len(passed), size=keep, replace=False).tolist())
            for k, (_, event) in enumerate(passed):
                event.succeed(k in chosen)

    def end(route: dict[str, Any], status: str) -> None:
        route["status"] = status
        race = route["ch"]["race"]
        if race is not None and status != "eliminated" and route["id"] not in race["heard"]:
            race_heard(race, route)

    def compensate(route: dict[str, Any]) -> None:
        base = route["cost_spent"]
        if tol.base == "unrecovered_cost":
            base -= route["demander_paid"]
            if payee == "solver":
                base -= route["gov_paid"]
        amount = tol.rate * max(0.0, base)
        if tol.cap is not None:
            amount = min(amount, tol.cap)
        if amount > 0:
            env.process(pay_compensation(route, amount))

    def fail(route: dict[str, Any]) -> None:
        end(route, "failed")
        if tol.enabled:
            if rng.random() < tol.misconduct_probability:
                route["status"] = "misconduct"
                env.process(claw_back(route, 1.0))
            else:
                compensate(route)
        elif gov.clawback_without_tolerance > 0:
            env.process(claw_back(route, gov.clawback_without_tolerance))

    def run_route(route: dict[str, Any]):  # type: ignore[no-untyped-def]
        ch = route["ch"]
        spec = ch["spec"]
        yield env.timeout(spec.start + spec.selection_time)
        route["status"] = "running"
        milestone(route, 0)
        cost = spec.total_investment * sample(spec.overrun, rng)
        for j, phase in enumerate(spec.phases):
            duration = sample(phase.duration, rng)
            phase_cost = cost * phase.cost_share
            if spec.booking_period is None:
                pay("solver", "external", phase_cost, "rd_spending", ch["id"], route["id"])
                route["cost_spent"] += phase_cost
                yield env.timeout(duration)
            else:
                period = spec.booking_period
                n_pay = max(1, math.ceil(duration / period - 1e-9))
                for q in range(n_pay):
                    amount = phase_cost / n_pay
                    pay("solver", "external", amount, "rd_spending", ch["id"], route["id"])
                    route["cost_spent"] += amount
                    yield env.timeout(min(period, duration - q * period))
            review = j + 1
            if not passes(route, j):
                fail(route)
                return
            milestone(route, review)
            race = ch["race"]
            if race is not None and review == spec.race.select_after:
                event = env.event()
                race["passed"].append((route["id"], event))
                race_heard(race, route)
                kept = yield event
                if not kept:
                    end(route, "eliminated")
                    if tol.enabled and spec.race.compensate_eliminated:
                        compensate(route)
                    return
        end(route, "succeeded")
        if not ch["value_paid"]:
            ch["value_paid"] = True
            value = sample(spec.value_on_success, rng)
            env.process(pay_value(ch, value, spec.value_lag))

    for route in routes:
        env.process(run_route(route))
    env.run(until=sc.horizon)
    return ledger


def naive_measures(df: pd.DataFrame, rate: float) -> dict[str, float]:
    """A subset of the runs-table measures, computed the obvious pandas way."""
    gov_pays = df["payer"] == "government"
    gov_gets = df["payee"] == "government"
    outlay = df.loc[gov_pays, "amount"].sum()
    recoveries = df.loc[gov_gets, "amount"].sum()
    gov_out = df["amount"].where(gov_pays, 0.0) - df["amount"].where(gov_gets, 0.0)
    npv = (gov_out / (1.0 + rate) ** df["time"]).sum()
    peak = max(0.0, gov_out.groupby(df["time"]).sum().cumsum().max())
    on_route = df[df["route"] >= 0]
    flow = on_route["amount"].where(on_route["payee"] == "solver", 0.0) - on_route["amount"].where(
        on_route["payer"] == "solver", 0.0
    )
    net_cash = flow.groupby(on_route["route"]).sum()
    gap = (
        ((-flow).groupby([on_route["route"], on_route["time"]]).sum().groupby(level=0).cumsum())
        .groupby(level=0)
        .max()
    )
    dem_out = df["amount"].where(df["payer"] == "demander", 0.0) - df["amount"].where(
        df["payee"] == "demander", 0.0
    )
    value = df.loc[df["kind"] == "commercial_value", "amount"].sum()
    return {
        "gov_gross_outlay": float(outlay),
        "gov_recoveries": float(recoveries),
        "gov_net_cost": float(outlay - recoveries),
        "gov_npv_net_cost": float(npv),
        "gov_peak_exposure": float(peak),
        "solver_net_cash": float(net_cash.sum()),
        "solver_loss": float((-net_cash).clip(lower=0.0).sum()),
        "solver_peak_funding_gap": float(max(0.0, gap.max())),
        "demander_net_cost": float(dem_out.sum() + value),
        "rows": float(len(df)),
    }


# =============================================================================
# Timings: every figure is measured as wall time and as CPU time
# =============================================================================


class Clock:
    """Wall and CPU seconds of a ``with`` block (CPU of this process and, with
    ``children=True``, of child processes that were waited for in the block)."""

    def __init__(self, children: bool = False) -> None:
        self.children = children
        self.wall = self.cpu = 0.0

    @staticmethod
    def _child_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.process_time()
        self._k = self._child_cpu() if self.children else 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c
        if self.children:
            self.cpu += self._child_cpu() - self._k


class NaiveTiming:
    """Time spent in each stage of the naive baseline over ``runs`` replications."""

    def __init__(self, sc: Scenario, runs: int, seed: int) -> None:
        import pandas as pd

        rng = np.random.default_rng(seed)
        self.sim, self.frame, self.measures = Clock(), Clock(), Clock()
        rows: list[dict[str, float]] = []
        for _ in range(runs):
            with self.sim:
                ledger = naive_replication(sc, rng)
            with self.frame:
                df = pd.DataFrame(ledger)
            with self.measures:
                rows.append(naive_measures(df, sc.discount_rate))
        self.runs = pd.DataFrame(rows)

    def seconds(self, stages: str, kind: str) -> float:
        """Sum of ``kind`` ('wall' or 'cpu') over the stages named in ``stages``."""
        clocks = {"sim": self.sim, "frame": self.frame, "measures": self.measures}
        return sum(getattr(clocks[s], kind) for s in stages.split("+"))


class EngineTiming:
    """fundflow's engine alone: ``draw`` + ``run_replication`` in blocks of ``BLOCK``."""

    def __init__(self, sc: Scenario, runs: int, seed: int) -> None:
        self.total, self.draws = Clock(), Clock()
        self.rows = self.nbytes = 0
        with self.total:
            plan = EnginePlan.of(sc)
            for start in range(0, runs, BLOCK):
                reps = range(start, min(start + BLOCK, runs))
                with self.draws:
                    d = draw(sc, plan.layout, seed, reps)
                for i in range(len(reps)):
                    out = run_replication(plan, d, i)
                    self.rows += len(out.ledger)
                    self.nbytes += out.ledger.nbytes


class SimulateTiming:
    """``simulate(...)`` with ``workers`` workers; CPU includes the pool's workers."""

    def __init__(self, sc: Scenario, runs: int, seed: int, workers: int = 1) -> None:
        self.clock = Clock(children=workers > 1)
        with self.clock:
            self.result = fundflow.simulate(sc, runs, seed=seed, workers=workers, progress=False)


def proc_cpu(pids: set[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far (Linux)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def warm_worker(sc: Scenario, seed: int) -> int:
    """Import fundflow, run a small block, hold the worker a moment; return its pid."""
    montecarlo._run_block(sc, seed, range(0, 10), 0)
    time.sleep(0.3)
    return os.getpid()


class WarmPool:
    """``simulate``'s pool (``workers - 1`` spawn processes), started and warmed
    (imports, a first block) before timing."""

    def __init__(self, sc: Scenario, workers: int, seed: int) -> None:
        self.workers = workers
        self.startup = Clock()
        with self.startup:
            self.pool = ProcessPoolExecutor(
                max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn")
            )
            futures = [self.pool.submit(warm_worker, sc, seed) for _ in range(2 * (workers - 1))]
            self.pids = {f.result() for f in futures}

    def simulate(self, sc: Scenario, runs: int, seed: int) -> tuple[Clock, Any]:
        """What ``simulate(workers=...)`` does, with this pool (same blocks, same runner)."""
        clock = Clock()
        before = proc_cpu(self.pids)
        with clock:
            settings = montecarlo.RunSettings(runs=runs, workers=self.workers, progress=False)
            with montecarlo.Runner(settings, pool=self.pool) as runner:
                res = montecarlo.run_scenario(runner, sc, seed)
        clock.cpu += proc_cpu(self.pids) - before
        return clock, res

    def close(self) -> None:
        self.pool.shutdown(wait=True)


# =============================================================================
# Report
# =============================================================================


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def _spread(xs: list[float]) -> str:
    return f"[{min(xs):.3g} .. {max(xs):.3g}]" if len(xs) > 1 else ""


def _line(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<54} {value:>15}  {note}".rstrip())


def _rate_line(label: str, runs: int, walls: list[float], cpus: list[float]) -> None:
    w = [runs / x for x in walls]
    c = [runs / x for x in cpus]
    _line(label, f"{_median(w):8.1f} {_median(c):6.1f}", _spread(w))


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(x.size))


def _goal(ok: bool) -> str:
    return "goal met" if ok else "goal NOT met"


def _repeats(repeat: int, stages: list[tuple[str, Callable[[int], Any]]]) -> dict[str, list[Any]]:
    """Run each stage once per repeat, interleaved; collect what each returns."""
    out: dict[str, list[Any]] = {name: [] for name, _ in stages}
    for k in range(repeat):
        for name, fn in stages:
            out[name].append(fn(k))
        print(f"  repeat {k + 1}/{repeat} done", file=sys.stderr, flush=True)
    return out


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _header(args: argparse.Namespace, sc: Scenario, scaling_runs: int) -> None:
    import pandas as pd

    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    print("fundflow engine benchmark")
    print(f"  date       {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"  CPUs       os.cpu_count() = {cpus}, usable by this process = {usable}")
    print(f"  load avg   {_loadavg()} (1, 5, 15 min; other processes compete for the CPUs)")
    print(
        f"  software   Python {platform.python_version()}, fundflow {fundflow.__version__}, "
        f"simpy {simpy.__version__}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(f"  scenario   {args.config.name}: {sc.describe()}")
    print(
        f"  settings   --runs {args.runs} --repeat {args.repeat} "
        f"--scaling-runs {scaling_runs} --seed {args.seed}"
    )
    print("  rates are replications per second by wall clock and by CPU time of the work;")
    print("  figures are medians over the repeats, [min .. max] of the wall figure after them")


def per_core(args: argparse.Namespace, sc: Scenario) -> EngineTiming:
    """Figures (a), (b) and (c)."""
    import pandas as pd

    n = args.runs
    print("per-core timings (single worker), interleaved repeats ...", file=sys.stderr)
    res = _repeats(
        args.repeat,
        [
            ("full", lambda k: SimulateTiming(sc, n, args.seed + k)),
            ("engine", lambda k: EngineTiming(sc, n, args.seed + k)),
            ("naive", lambda k: NaiveTiming(sc, n, args.seed + 1000 + k)),
        ],
    )
    full: list[SimulateTiming] = res["full"]
    eng: list[EngineTiming] = res["engine"]
    nv: list[NaiveTiming] = res["naive"]
    cols = f"{'wall':>8} {'CPU':>6}"

    print(f"\n(a) fundflow, 1 worker, {n} replications [rep/s]{cols:>{74 - 45}}")
    _rate_line(
        "full pipeline: simulate(workers=1)",
        n,
        [x.clock.wall for x in full],
        [x.clock.cpu for x in full],
    )
    _rate_line(
        "engine only: draw + run_replication",
        n,
        [x.total.wall for x in eng],
        [x.total.cpu for x in eng],
    )
    share = _median([x.draws.cpu / x.total.cpu for x in eng])
    _line("  share of engine-only CPU time spent in draw()", f"{share:.1%}")
    ms_full = _median([x.clock.cpu for x in full]) / n * 1e3
    ms_eng = _median([x.total.cpu for x in eng]) / n * 1e3
    _line("  CPU ms per replication: full / engine only", f"{ms_full:.2f} / {ms_eng:.2f}")

    print(f"\n(b) naive SimPy baseline, {n} replications [rep/s]{cols:>{74 - 49}}")
    for label, stages in (
        ("full: simulate + DataFrame + pandas measures", "sim+frame+measures"),
        ("engine: simulate + DataFrame of the rows", "sim+frame"),
        ("  simulate only (list-of-dict ledger)", "sim"),
    ):
        _rate_line(
            label,
            n,
            [x.seconds(stages, "wall") for x in nv],
            [x.seconds(stages, "cpu") for x in nv],
        )
    parts = " / ".join(
        f"{_median([x.seconds(s, 'cpu') for x in nv]) / n * 1e3:.2f}"
        for s in ("sim", "frame", "measures")
    )
    _line("  CPU ms per replication: sim / DataFrame / measures", parts)
    ff_runs = pd.concat([x.result.runs for x in full])
    naive_runs = pd.concat([x.runs for x in nv])
    print(
        f"  sanity check: mean per replication +- standard error, {len(ff_runs)} replications"
        " each, all repeats pooled (independent seeds)"
    )
    for col in ("gov_gross_outlay", "gov_net_cost", "solver_loss", "demander_net_cost"):
        m1, s1 = _mean_se(ff_runs[col].to_numpy())
        m2, s2 = _mean_se(naive_runs[col].to_numpy())
        z = (m1 - m2) / math.hypot(s1, s2) if s1 or s2 else 0.0
        _line(
            f"  {col}: fundflow / naive",
            f"{m1:.2f} / {m2:.2f}",
            f"(+-{s1:.2f} / +-{s2:.2f}, z = {z:+.2f})",
        )
    _line(
        "  ledger rows per replication: fundflow / naive",
        f"{sum(x.rows for x in eng) / (n * len(eng)):.1f} / {naive_runs['rows'].mean():.1f}",
    )

    print(f"\n(c) ratio fundflow / naive, per core (goal >= 2x){cols:>{74 - 50}}")
    for label, ff, stages in (
        ("full pipeline", [x.clock for x in full], "sim+frame+measures"),
        ("engine only", [x.total for x in eng], "sim+frame"),
        ("engine only vs naive simulate without DataFrame", [x.total for x in eng], "sim"),
    ):
        rw = [x.seconds(stages, "wall") / c.wall for x, c in zip(nv, ff, strict=True)]
        rc = [x.seconds(stages, "cpu") / c.cpu for x, c in zip(nv, ff, strict=True)]
        goal = "" if "without" in label else _goal(_median(rw) >= 2 and _median(rc) >= 2)
        _line(label, f"{_median(rw):7.2f}x {_median(rc):5.2f}x", f"{_spread(rw)} {goal}")
    return eng[0]


def scaling(args: argparse.Namespace, sc: Scenario, m: int) -> None:
    """Figure (d)."""
    print("scaling timings ...", file=sys.stderr)
    warm = WarmPool(sc, 2, args.seed)
    try:
        res = _repeats(
            args.repeat,
            [
                ("w1", lambda k: SimulateTiming(sc, m, args.seed, workers=1)),
                ("w2", lambda k: SimulateTiming(sc, m, args.seed, workers=2)),
                ("warm", lambda k: warm.simulate(sc, m, args.seed)),
            ],
        )
    finally:
        warm.close()
    w1 = [x.clock for x in res["w1"]]
    w2 = [x.clock for x in res["w2"]]
    ww = [c for c, _ in res["warm"]]
    reference = res["w1"][0].result.runs
    same = all(x.result.runs.equals(reference) for x in res["w2"]) and all(
        r.runs.equals(reference) for _, r in res["warm"]
    )
    print(f"\n(d) scaling 1 -> 2 workers, simulate(), {m} replications (goal >= 1.8x)")
    print(f"  {'':<54} {'wall s':>8} {'CPU s':>6}  CPU: this process + its workers")
    for label, clocks in (
        ("workers=1", w1),
        ("workers=2, pool started inside simulate (cold)", w2),
        ("workers=2, pre-warmed pool", ww),
    ):
        wall = _median([c.wall for c in clocks])
        cpu = _median([c.cpu for c in clocks])
        got = _median([c.cpu / c.wall for c in clocks])
        _line(label, f"{wall:8.2f} {cpu:6.2f}", f"{m / wall:5.0f} rep/s, {got:.2f} CPUs obtained")
    _line(
        "  pool start-up + warm-up of the pre-warmed pool [s]",
        f"{warm.startup.wall:8.2f}",
        f"({len(warm.pids)} of 1 pool process warmed)",
    )
    sizes = [len(b) for b in montecarlo._guided_blocks(0, m, 2)]
    _line(
        "  blocks (simulate's default for 2 workers)",
        f"{len(sizes):8d}",
        f"of {max(sizes)} down to {min(sizes)} replications",
    )
    for label, clocks in (("speed-up, cold pool", w2), ("speed-up, pre-warmed pool", ww)):
        s = [a.wall / b.wall for a, b in zip(w1, clocks, strict=True)]
        _line(label, f"{_median(s):7.2f}x", f"{_spread(s)} {_goal(_median(s) >= 1.8)}")
        bound = [2 * a.cpu / b.cpu for a, b in zip(w1, clocks, strict=True)]
        _line(
            "  CPU-work bound on 2 idle cores: 2 x CPU(1) / CPU(2)",
            f"{_median(bound):7.2f}x",
        )
    # What two otherwise idle cores would give, from CPU time (robust to other load):
    # per-replication CPU with 1 and with 2 workers, and the cold pool's extra CPU
    # (spawning its process and importing fundflow there), spread over the 2 cores.
    t1 = _median([c.cpu for c in w1]) / m
    t2 = _median([c.cpu for c in ww]) / m / 2
    start = _median([b.cpu - c.cpu for b, c in zip(w2, ww, strict=True)])
    _line("  cold pool's extra CPU (spawn, imports) [s]", f"{start:8.2f}")
    if start <= 0.0:
        _line("  idle-machine estimate: runs for 1.8x with a cold pool", "n/a", "(within noise)")
    elif t1 > 1.8 * t2:
        need = math.ceil(1.8 * start / 2 / (t1 - 1.8 * t2))
        _line("  idle-machine estimate: runs for 1.8x with a cold pool", f"{need:8d}")
    else:
        _line("  idle-machine estimate: runs for 1.8x with a cold pool", "never")
    _line("  idle-machine estimate: limit for many runs", f"{t1 / t2:7.2f}x")
    _line("  runs tables identical for 1 and 2 workers", str(same))


def ledger_size(sc: Scenario, eng: EngineTiming, seed: int) -> None:
    """Figure (e)."""
    import pandas as pd

    per_row = eng.nbytes / eng.rows
    print("\n(e) ledger size (goal <= 48 bytes per row)")
    _line("Ledger.nbytes / len(Ledger) [bytes/row]", f"{per_row:.1f}", _goal(per_row <= 48))
    rows = naive_replication(sc, np.random.default_rng(seed))
    frame = pd.DataFrame(rows)
    _line(
        "  for contrast: naive DataFrame, deep [bytes/row]",
        f"{frame.memory_usage(deep=True).sum() / len(frame):.0f}",
    )
    _line(
        "  for contrast: naive list of dicts, dicts only [bytes/row]",
        f"{sum(sys.getsizeof(r) for r in rows) / len(rows):.0f}",
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="replications per timing (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats; medians are reported (3)")
    ap.add_argument(
        "--scaling-runs",
        type=int,
        default=None,
        help="replications for the 1 -> 2 worker scaling (default 4 x --runs)",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 200 runs, 1 repeat")
    ap.add_argument("--config", type=Path, default=REFERENCE, help="scenario (default: reference)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--only",
        choices=("all", "core", "scaling"),
        default="all",
        help="core: figures a, b, c, e; scaling: figure d (default: all)",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.repeat = 200, 1
        args.scaling_runs = args.scaling_runs or 800
    scaling_runs = args.scaling_runs or 4 * args.runs
    if args.runs < 2 or args.repeat < 1 or scaling_runs < 2:
        ap.error("--runs and --scaling-runs must be >= 2, --repeat >= 1")

    sc = fundflow.load_scenario(args.config)
    _header(args, sc, scaling_runs)
    # Warm imports and caches on both sides before timing anything.
    fundflow.simulate(sc, 5, seed=args.seed, workers=1, progress=False)
    NaiveTiming(sc, 5, args.seed)
    if args.only in ("all", "core"):
        eng = per_core(args, sc)
    if args.only in ("all", "scaling"):
        scaling(args, sc, scaling_runs)
    if args.only in ("all", "core"):
        ledger_size(sc, eng, args.seed)
    print(f"\n  load avg at end: {_loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
