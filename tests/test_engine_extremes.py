"""The compiled engine writes the SimPy ledger at the extremes a user may write, and
the differential tests reach every rule of it.

``extreme_scenarios`` draws what a user may write beyond the shipped programs:
booking periods down to 0.01 year (and periods that do not divide a phase), up to
six phases of up to five years (some drawn from unbounded distributions), up to
eight racing routes, horizons up to 50 years (fractional ones too), annual budgets
that bind every year, reserves hit by loan interest, tax, the guided fund, credit
(with risk pools that run dry, IP pledges and the investment-loan link) and
extensions of failed reviews. Each example is run by both engines and compared row
for row; the compiled engine also starts, in every other example, with capacities
of one row, so that every way its preallocated arrays grow is taken.

``test_generated_scenarios_reach_every_rule`` runs a fixed (derandomised) set of
such examples and fails if any ledger kind, event kind of the compiled engine or
capacity growth is never reached; the rare branches no random draw reaches often
have targeted cases below.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundflow import Scenario
from fundflow.engine import compiled, guard
from fundflow.engine.draws import draw
from fundflow.engine.ledger import KINDS, K
from fundflow.engine.outcome import BlockOutcome
from fundflow.engine.plan import EnginePlan
from fundflow.engine.reserve.simpy import ReserveBook
from fundflow.engine.simpy_engine import run_replication
from fundflow.errors import EngineCheckError
from fundflow.run._blocks import entered_draws
from test_compiled_engine import assert_same
from test_invariants_instruments import _amount, _shares
from test_invariants_instruments import scenarios as instrument_scenarios

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")

RUNS = 4
TINY = np.ones(len(compiled.CAPACITIES), dtype=np.int64)


def _duration(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["fixed", "uniform", "lognormal", "fixed"]))
    if kind == "fixed":
        return draw(st.sampled_from([0.25, 1.0, 2.1, 5.0, round(_amount(draw, 0.05, 5.0), 3)]))
    if kind == "uniform":
        low = round(_amount(draw, 0.0, 3.0), 3)
        return {"dist": "uniform", "low": low, "high": low + round(_amount(draw, 0.1, 2.0), 3)}
    return {"dist": "lognormal", "median": round(_amount(draw, 0.5, 3.0), 2), "sigma": 0.5}


def _extension(draw: st.DrawFn) -> dict[str, Any]:
    """A phase's extension, half the time: a failed review extended (sometimes
    always), at a cost, for a drawn duration."""
    if not draw(st.booleans()):
        return {}
    return {
        "extension": {
            "probability": draw(st.sampled_from([1.0, 0.5])),
            "duration": _duration(draw),
            "cost_share": draw(st.sampled_from([0.0, 0.15, 0.5])),
        }
    }


@st.composite
def _challenge(draw: st.DrawFn, k: int) -> dict[str, Any]:
    n_phases = draw(st.integers(1, 6))
    solvers = draw(st.sampled_from([1, 2, 3, 8])) if n_phases > 1 else 1
    inst = _shares(draw, n_phases + 1)
    entry: dict[str, Any] = {
        "name": f"x{k}",
        "count": draw(st.integers(1, 2)),
        "start": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        "total_investment": round(_amount(draw, 1.0, 100.0), 2),
        "demander_share": draw(st.sampled_from([0.0, 0.3, 1.0])),
        "demander_installments": [{"after": m, "share": s} for m, s in enumerate(inst) if s > 0],
        "solvers": solvers,
        "booking_period": draw(
            st.one_of(
                st.none(),
                st.sampled_from([0.01, 0.03, 1 / 12, 0.3, 0.7, 1.0]),
                st.floats(0.01, 1.0),
            )
        ),
        "overrun": draw(
            st.sampled_from([1.0, {"dist": "lognormal", "median": 1.05, "sigma": 0.3}])
        ),
        "phases": [
            {
                "name": f"p{j}",
                "duration": _duration(draw),
                "cost_share": share,
                "pass_probability": draw(st.sampled_from([1.0, 0.9, 0.6, 0.0])),
                **_extension(draw),
            }
            for j, share in enumerate(_shares(draw, n_phases))
        ],
        "value_on_success": draw(st.sampled_from([0.0, 30.0])),
        "solver_value_on_success": draw(st.sampled_from([12.0, 0.0])),
        "value_lag": draw(st.sampled_from([0.0, 1.0])),
    }
    price = draw(st.sampled_from([None, None, 0.0, 0.8, 1.1, 2.5]))
    if price is not None:  # a contract price instead of a share: below, at or above cost
        del entry["demander_share"]
        entry["contract_price"] = round(price * entry["total_investment"], 3)
    if abs(sum(inst) - 1.0) > 1e-12:
        entry["demander_installments"] = [{"after": 0, "share": 1.0}]
    if solvers > 1:
        entry["race"] = {
            "select_after": draw(st.integers(1, n_phases - 1)),
            "keep": draw(st.integers(1, solvers)),
            "compensate_eliminated": draw(st.booleans()),
        }
    return entry


@st.composite
def extreme_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario at the extremes (module docstring); the government's terms,
    the fund and credit come from the instrument strategy."""
    data = draw(instrument_scenarios())
    horizon = draw(st.sampled_from([0.7, 7.5, 12.0, 20.0, 33.3, 50.0]))
    fund = data.get("guided_fund")
    if fund is not None:
        horizon = max(horizon, fund["start"] + fund["life"])
        fund["carry"] = draw(st.sampled_from([0.2, 0.0]))  # profits above the hurdle
        fund["exit_multiple"] = draw(
            st.sampled_from([3.0, {"dist": "lognormal", "median": 1.5, "sigma": 1}, 0.4])
        )
    data["horizon"] = horizon
    data["challenges"] = [draw(_challenge(k)) for k in range(draw(st.integers(1, 3)))]
    data.pop("correlation", None)
    gov = data["government"]
    # a budget that binds every year often: tranches wait, and claw-backs wait for them
    gov["annual_budget"] = draw(st.sampled_from([None, 0.2, 0.2, 3.0, 60.0]))
    gov["clawback_without_tolerance"] = draw(st.sampled_from([0.0, 0.5, 1.0, 1.0]))
    gov["tax"]["match_treatment"] = draw(st.sampled_from(["non_taxable", "taxable"]))
    gov["success_award"] = draw(
        st.sampled_from([{"share": 0.1, "cap": 2.0}, {"share": 0.2, "cap": None}, None])
    )
    if gov["matching"]["mode"] == "milestones":
        gov["matching"]["tranches"] = [{"after": 0, "share": 1.0}]
    data["solver"] = {"reserve": draw(st.sampled_from([None, 0.0, 5.0, 60.0]))}
    if draw(st.booleans()):  # free entry: some, all or none of the routes start
        data["solver"] |= {
            "entry": "equilibrium",
            "entry_runs": 3,
            "reservation_npv": draw(
                st.sampled_from([-1e9, 0.0, {"dist": "normal", "mean": -2.0, "sd": 5.0}])
            ),
        }
        for ch in data["challenges"]:
            ch["bidders"] = draw(st.sampled_from([None, 1, 2, 5]))
    if "credit" in data:
        data["credit"]["interest_rate"] = draw(st.sampled_from([0.05, 0.4]))
        if draw(st.booleans()):  # loans secured on patents, worth more after each review
            data["credit"]["kind"] = "ip_pledge"
            data["credit"]["ip_value"] = draw(
                st.sampled_from([0.4, {"dist": "lognormal", "median": 0.6, "sigma": 0.8}])
            )
            data["credit"]["ip_uplift"] = draw(st.sampled_from([1.0, 1.5]))
        link = draw(st.sampled_from([{"share": 0.3}, None, {"share": 1.0}, {"share": 0.3}]))
        data["credit"]["equity_link"] = link  # the bank's share of the follow-on value
        data["credit"]["risk_pool"] = draw(  # small pools run dry, large ones return money
            st.sampled_from(
                [
                    None,
                    {"size": 0.5, "share": 0.8, "top_up": True},
                    {"size": 3.0, "share": 1.0, "top_up": True},
                    {"size": 40.0, "share": 0.5, "top_up": False},
                ]
            )
        )
    return data


def _compare(scenario: Scenario, seed: int, tiny: bool, counts: np.ndarray) -> BlockOutcome:
    plan = EnginePlan.of(scenario)
    draws = entered_draws(plan, seed, range(RUNS))  # draw(...) under fixed entry
    ref = BlockOutcome.of([run_replication(plan, draws, i) for i in range(RUNS)])
    guard.check(plan, draws, ref)  # the guard's rules hold for the reference too
    got = compiled.run_block(plan, draws, capacities=TINY if tiny else None, counts=counts)
    assert_same(got, ref)
    return got


_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(data=extreme_scenarios(), seed=st.integers(0, 2**32 - 1), tiny=st.booleans())
def test_extreme_scenarios_give_the_simpy_ledger(data: dict[str, Any], seed: int, tiny: bool):
    _compare(Scenario.from_dict(data), seed, tiny, np.zeros(compiled.count_size(), np.int64))


@pytest.fixture
def no_local_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis also draws constants it finds in the modules loaded so far (its
    "local constants"): a derandomised run would then generate other examples after
    other tests loaded other modules. Without them it generates the same ones in any
    order of the tests."""
    from hypothesis.internal.conjecture import providers

    try:
        empty = providers.Constants(
            integers=providers.SortedSet(),
            floats=providers.SortedSet(key=providers.float_to_int),
            bytes=providers.SortedSet(),
            strings=providers.SortedSet(),
        )
    except AttributeError:  # a Hypothesis without local constants
        return
    monkeypatch.setattr(providers, "_get_local_constants", lambda: empty)
    monkeypatch.setattr(providers, "CONSTANTS_CACHE", providers.LRUCache(1024))


@pytest.mark.usefixtures("no_local_constants")
def test_generated_scenarios_reach_every_rule() -> None:
    """A fixed set of generated scenarios reaches every ledger kind, every event kind
    of the compiled engine and every capacity growth (else the strategies above miss
    a rule, and the differential tests would not test it)."""
    counts = np.zeros(compiled.count_size(), np.int64)
    kinds: set[int] = set()

    @settings(_SETTINGS, max_examples=200, derandomize=True, database=None)
    @given(data=extreme_scenarios(), seed=st.integers(0, 2**32 - 1), tiny=st.booleans())
    def run(data: dict[str, Any], seed: int, tiny: bool) -> None:
        got = _compare(Scenario.from_dict(data), seed, tiny, counts)
        kinds.update(got.ledger.kind.tolist())

    run()
    missing_kinds = [KINDS[k] for k in range(len(KINDS)) if k not in kinds]
    names = compiled.event_kinds() + compiled.CAPACITIES
    never = [name for name, n in zip(names, counts, strict=True) if n == 0]
    assert not missing_kinds, f"ledger kinds never written: {missing_kinds}"
    assert not never, f"events never handled / capacities never grown: {never}"


# --------------------------------------------------------------------------- targeted


def _one_challenge(**entry: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "a",
        "total_investment": 100.0,
        "demander_share": 0.5,
        "phases": [
            {"name": "p1", "duration": 2.1, "cost_share": 0.5, "pass_probability": 1.0},
            {"name": "p2", "duration": 2.1, "cost_share": 0.5, "pass_probability": 1.0},
        ],
    }
    base.update(entry)
    return base


def _both(data: dict[str, Any], runs: int, seed: int = 1) -> tuple[BlockOutcome, BlockOutcome]:
    sc = Scenario.from_dict(data)
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, seed, range(runs))
    ref = BlockOutcome.of([run_replication(plan, draws, i) for i in range(runs)])
    got = compiled.run_block(plan, draws)
    assert_same(got, ref)
    return got, ref


def test_a_period_that_does_not_divide_the_phase() -> None:
    """2.1 years at 0.3: 2.1 / 0.3 = 7.000000000000001 in floating point, and the
    phase is booked in 7 payments (not an 8th, near-empty one)."""
    data = {"horizon": 10.0, "challenges": [_one_challenge(booking_period=0.3)]}
    got, _ = _both(data, 2)
    rd = got.ledger.kind[: got.offsets[1]] == K["rd_spending"]
    assert int(rd.sum()) == 14


def test_monthly_booking_over_six_year_phases() -> None:
    """Two six-year phases booked monthly (144 payments a route): the compiled engine
    grows its ledger and gives SimPy's R&D spending of 100 (0.2 printed 0)."""
    phases = [
        {"name": f"p{j}", "duration": 6.0, "cost_share": 0.5, "pass_probability": 1.0}
        for j in range(2)
    ]
    data = {"horizon": 20.0, "challenges": [_one_challenge(booking_period=1 / 12, phases=phases)]}
    got, _ = _both(data, 3)
    rd = got.ledger.amount[got.ledger.kind == K["rd_spending"]]
    assert rd.sum() == pytest.approx(300.0)


def test_booking_every_hundredth_of_a_year_in_every_replication() -> None:
    """0.01-year booking over phases of 1-3 years: hundreds of rows a replication,
    each replication run again from its own draws when the ledger grows."""
    phases = [
        {"name": f"p{j}", "duration": {"dist": "uniform", "low": 1, "high": 3},
         "cost_share": 0.5, "pass_probability": 0.9}
        for j in range(2)
    ]  # fmt: skip
    data = {"horizon": 20.0, "challenges": [_one_challenge(booking_period=0.01, phases=phases)]}
    got, ref = _both(data, 200)
    assert np.diff(ref.offsets).max() > 200
    assert np.isfinite(got.end_time[got.status <= 4]).all()


def test_more_than_1024_fund_calls() -> None:
    """1,100 routes each take a fund ticket: the waterfall's sums over the calls take
    pairwise summation's larger branches (above 128, 512 and 1,024 terms)."""
    data = {
        "horizon": 12.0,
        "challenges": [
            _one_challenge(
                count=1100,
                total_investment=1.0,
                phases=[{"name": "p", "duration": 0.5, "cost_share": 1.0, "pass_probability": 1}],
            )
        ],
        "guided_fund": {
            "size": 2000.0, "government_share": 0.4, "start": 0.0, "life": 10.0,
            "invest_years": 5.0, "ticket": 1.0, "management_fee": 0.02, "hurdle": 0.08,
            "carry": 0.2, "holding_period": {"dist": "uniform", "low": 1.0, "high": 8.0},
            "exit_multiple": {"dist": "lognormal", "median": 1.5, "sigma": 1},
            "early_exit": {"year": 7.0, "rate": 0.03},
        },
    }  # fmt: skip
    got, _ = _both(data, 1)
    calls = int((got.ledger.kind == K["capital_call"]).sum())
    assert calls > 2 * 1024


def test_tax_with_a_fractional_horizon() -> None:
    """Tax settled yearly and at a horizon that cuts a year (7.5)."""
    data = {
        "horizon": 7.5,
        "government": {"tax": {"rd_super_deduction": 1.0, "arrangement": "commissioned"}},
        "challenges": [
            _one_challenge(
                booking_period=0.25,
                phases=[
                    {"name": "p1", "duration": 4.0, "cost_share": 0.5, "pass_probability": 1},
                    {"name": "p2", "duration": 4.0, "cost_share": 0.5, "pass_probability": 1},
                ],
            )
        ],
    }
    got, _ = _both(data, 5)
    tax = got.ledger.time[got.ledger.kind == K["tax_expenditure"]]
    assert 7.5 in set(tax.tolist())


def test_a_tax_recapture_that_breaks_the_reserve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A year's installments exceed its spending, so part of the super-deduction is
    paid back; loan interest has brought the solver to its reserve, so it cannot pay,
    and the route is abandoned (financing failure) at that year's end."""
    broke: list[int] = []
    pays = ReserveBook.solver_pays

    def watched(self: ReserveBook, r: int, payee: int, amount: float, kind: int) -> bool:
        ok = pays(self, r, payee, amount, kind)
        if not ok and kind == K["tax_recapture"]:
            broke.append(r)
        return ok

    monkeypatch.setattr(ReserveBook, "solver_pays", watched)
    data = {
        "horizon": 10.0,
        "government": {
            "matching": {"ratio": 0.0},
            "tax": {"rd_super_deduction": 1.0, "arrangement": "commissioned"},
        },
        "solver": {"reserve": 28.0},
        "challenges": [
            _one_challenge(
                demander_share=0.3,
                demander_installments=[{"after": 1, "share": 1.0}],
                phases=[
                    {"name": "p1", "duration": 1.0, "cost_share": 0.95, "pass_probability": 1},
                    {"name": "p2", "duration": 1.0, "cost_share": 0.05, "pass_probability": 1},
                ],
            )
        ],
        "credit": {
            "enabled": True, "loan_share": 1.0, "interest_rate": 0.5, "guarantee_fee": 0.0,
            "default_probability_on_failure": 0.0, "default_probability_on_success": 0.0,
        },
    }  # fmt: skip
    got, _ = _both(data, 3)
    assert broke, "the scenario no longer reaches the recapture that breaks the reserve"
    assert (got.status == 4).any()


# --------------------------------------------------------------------------- the guard


def _block(runs: int = 20) -> tuple[EnginePlan, Any, BlockOutcome]:
    data = {"horizon": 10.0, "challenges": [_one_challenge(count=3)]}
    sc = Scenario.from_dict(data)
    plan = EnginePlan.of(sc)
    draws = draw(sc, plan.layout, 5, range(runs))
    return plan, draws, compiled.run_block(plan, draws)


def _doctored(out: BlockOutcome, **changes: Any) -> BlockOutcome:
    from dataclasses import replace

    return replace(out, **changes)


def test_the_guard_refuses_a_payment_of_1e196() -> None:
    plan, draws, out = _block()
    amount = out.ledger.amount.copy()
    amount[out.offsets[7] + 2] = 2.46e196
    bad = _doctored(out, ledger=_doctored_ledger(out, amount=amount))
    with pytest.raises(EngineCheckError, match="ledger row 2") as err:
        guard.check(plan, draws, bad)
    assert err.value.replication == 7


def test_the_guard_refuses_missing_rd_spending() -> None:
    """What 0.2 returned silently for monthly booking: routes that ended with no R&D
    spent (their rows overwritten), which every per-row check passes."""
    plan, draws, out = _block()
    kind = out.ledger.kind.copy()
    rows = slice(out.offsets[3], out.offsets[4])
    kind[rows][kind[rows] == K["rd_spending"]] = K["success_award"]
    with pytest.raises(EngineCheckError, match="R&D spending") as err:
        guard.check(plan, draws, _doctored(out, ledger=_doctored_ledger(out, kind=kind)))
    assert err.value.replication == 3


def test_the_guard_refuses_an_end_before_the_start_and_a_time_past_the_horizon() -> None:
    plan, draws, out = _block()
    end = out.end_time.copy()
    end[4, 1] = -1.0
    with pytest.raises(EngineCheckError, match="route 1: an end time"):
        guard.check(plan, draws, _doctored(out, end_time=end))
    time = out.ledger.time.copy()
    time[out.offsets[6] - 1] = 4.6e-310  # the last row, before the rows before it
    with pytest.raises(EngineCheckError, match="earlier than the row before"):
        guard.check(plan, draws, _doctored(out, ledger=_doctored_ledger(out, time=time)))
    time[out.offsets[6] - 1] = math.inf
    with pytest.raises(EngineCheckError, match="outside"):
        guard.check(plan, draws, _doctored(out, ledger=_doctored_ledger(out, time=time)))


def test_a_breach_names_the_scenario_seed_and_replication(monkeypatch: pytest.MonkeyPatch):
    import fundflow
    from fundflow.engine import guard as guard_module

    def always(plan: Any, draws: Any, outcome: Any) -> None:
        raise EngineCheckError("a test breach", 2)

    monkeypatch.setattr(guard_module, "check", always)
    data = {"name": "probe", "horizon": 10.0, "challenges": [_one_challenge()]}
    with pytest.raises(EngineCheckError) as err:
        fundflow.simulate(Scenario.from_dict(data), 5, seed=99, workers=1, chunk_size=5)
    text = str(err.value)
    assert "replication 2 of scenario 'probe' (seed 99)" in text
    assert 'engine="simpy"' in text and "a test breach" in text


def _doctored_ledger(out: BlockOutcome, **columns: np.ndarray) -> Any:
    from dataclasses import replace

    return replace(out.ledger, **columns)
