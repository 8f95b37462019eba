"""The scenario's terms as flat NumPy arrays and numbers for the compiled engine.

:func:`flat_plan` turns an :class:`~fundflow.engine.plan.EnginePlan` into a
:class:`FlatPlan` (a named tuple numba reads as a struct), once per plan object.
Absent options take neutral values with a flag: no cap is ``inf``, no booking
period is NaN, no budget or reserve has its ``has_*`` flag at 0.
"""

from __future__ import annotations

import math
import weakref
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

from fundflow.engine._nb_borrow import borrow
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import P
from fundflow.engine.plan import EnginePlan

__all__ = ["FlatPlan", "flat_plan"]


# per-challenge floats (cfl) and integers (cin)
C_START, C_INV, C_INST_TOTAL, C_BOOKING, C_VALUE_LAG, C_AWARD = range(6)
C_NPH, C_SOLVERS, C_SELECT, C_KEEP, C_COMP_ELIM, C_FIRST = range(6)
# per challenge and milestone (ph): cost shares and pass probabilities by phase,
# installments and tranches by milestone
PH_COST, PH_PASS, PH_INST, PH_TR = range(4)


class FlatPlan(NamedTuple):
    route_ch: np.ndarray  # (R,)
    cfl: np.ndarray  # (C, 6); C_BOOKING is NaN without a booking period
    cin: np.ndarray  # (C, 6)
    ph: np.ndarray  # (4, C, P + 1)
    # government and solver
    horizon: float
    lag: float
    cap: float
    tol_enabled: bool
    tol_unrecovered: bool
    tol_rate: float
    tol_cap: float
    misconduct_p: float
    clawback_share: float
    has_budget: bool
    budget: float
    has_reserve: bool
    reserve: float
    match_payee: int
    tax_on: bool
    solver_tax_rate: float
    demander_tax_rate: float
    # credit
    credit_on: bool
    loan_share: float
    interest_rate: float
    guarantee_fee: float
    pd_success: float
    pd_failure: float
    lgd: float
    rs_party: np.ndarray
    rs_share: np.ndarray
    # guided fund
    fund_on: bool
    f_start: float
    f_end: float
    f_size: float
    f_gov_share: float
    f_fee: float
    f_fee_years: int
    f_invest_lag: float
    f_invest_years: float
    f_ticket: float
    f_early: bool
    f_early_year: float
    f_early_rate: float
    f_hurdle: float
    f_carry: float
    f_concession: float
    f_first_loss: float


def _challenge_arrays(plan: EnginePlan) -> dict[str, np.ndarray]:
    cps = plan.challenges
    ph = np.zeros((4, len(cps), plan.layout.max_phases + 1))
    ph[PH_PASS] = 1.0
    cfl = np.zeros((len(cps), 6))
    cin = np.zeros((len(cps), 6), np.int64)
    for k, cp in enumerate(cps):
        n = cp.n_phases
        ph[PH_COST, k, :n] = cp.cost_shares
        ph[PH_PASS, k, :n] = cp.pass_probability
        ph[PH_INST, k, : n + 1] = cp.installments
        ph[PH_TR, k, : n + 1] = cp.tranches
        booking = math.nan if cp.booking_period is None else cp.booking_period
        cfl[k] = (cp.start, cp.investment, cp.installments_total, booking, cp.value_lag, cp.award)
        first = int(plan.layout.first_route[k])
        cin[k] = (n, cp.solvers, cp.select_after, cp.keep, cp.compensate_eliminated, first)
    route_ch = np.asarray(plan.layout.route_challenge, dtype=np.int64)
    return {"route_ch": route_ch, "cfl": cfl, "cin": cin, "ph": ph}


def _government(plan: EnginePlan) -> dict[str, object]:
    sc = plan.scenario
    gov = sc.government
    tol = gov.error_tolerance
    tax = gov.tax
    return {
        "horizon": float(sc.horizon),
        "lag": float(gov.matching.payment_lag),
        "cap": math.inf if gov.matching.cap is None else float(gov.matching.cap),
        "tol_enabled": bool(tol.enabled),
        "tol_unrecovered": tol.base == "unrecovered_cost",
        "tol_rate": float(tol.rate),
        "tol_cap": math.inf if tol.cap is None else float(tol.cap),
        "misconduct_p": float(tol.misconduct_probability),
        "clawback_share": float(gov.clawback_without_tolerance),
        "has_budget": gov.annual_budget is not None,
        "budget": 0.0 if gov.annual_budget is None else float(gov.annual_budget),
        "has_reserve": sc.solver.reserve is not None,
        "reserve": 0.0 if sc.solver.reserve is None else float(sc.solver.reserve),
        "match_payee": P["solver"] if gov.matching.payee == "solver" else P["demander"],
        "tax_on": tax.rd_super_deduction > 0.0,
        "solver_tax_rate": float(tax.rate("solver")),
        "demander_tax_rate": float(tax.rate("demander") * tax.demander_deductible),
    }


def _credit(plan: EnginePlan) -> dict[str, object]:
    cr = plan.scenario.credit
    if cr is None:
        z = {k: 0.0 for k in ("loan_share", "interest_rate", "guarantee_fee")}
        z.update(pd_success=0.0, pd_failure=0.0, lgd=0.0)
        return {
            "credit_on": False,
            **z,
            "rs_party": np.zeros(0, np.int64),
            "rs_share": np.zeros(0),
        }
    others = [(P[k], float(v)) for k, v in cr.risk_sharing.items() if k != "bank"]
    return {
        "credit_on": True,
        "loan_share": float(cr.loan_share),
        "interest_rate": float(cr.interest_rate),
        "guarantee_fee": float(cr.guarantee_fee),
        "pd_success": float(cr.default_probability_on_success),
        "pd_failure": float(cr.default_probability_on_failure),
        "lgd": float(cr.loss_given_default),
        "rs_party": np.array([p for p, _ in others], dtype=np.int64),
        "rs_share": np.array([s for _, s in others], dtype=np.float64),
    }


def _fund(plan: EnginePlan) -> dict[str, object]:
    f = plan.scenario.guided_fund
    if f is None:
        names: tuple[str, ...] = (
            "f_start",
            "f_end",
            "f_size",
            "f_gov_share",
            "f_fee",
            "f_invest_lag",
        )
        names += ("f_invest_years", "f_ticket", "f_early_year", "f_early_rate", "f_hurdle")
        names += ("f_carry", "f_concession", "f_first_loss")
        return {"fund_on": False, "f_fee_years": 0, "f_early": False} | dict.fromkeys(names, 0.0)
    early = f.early_exit
    return {
        "fund_on": True,
        "f_start": float(f.start),
        "f_end": float(f.start + f.life),
        "f_size": float(f.size),
        "f_gov_share": float(f.government_share),
        "f_fee": float(f.management_fee * f.size),
        "f_fee_years": math.ceil(f.life - 1e-9),
        "f_invest_lag": float(f.invest_lag),
        "f_invest_years": float(f.invest_years),
        "f_ticket": float(f.ticket),
        "f_early": early is not None,
        "f_early_year": 0.0 if early is None else float(early.year),
        "f_early_rate": 0.0 if early is None else float(early.rate),
        "f_hurdle": float(f.hurdle),
        "f_carry": float(f.carry),
        "f_concession": float(f.government_concession),
        "f_first_loss": float(f.government_first_loss),
    }


_CACHE: weakref.WeakKeyDictionary[EnginePlan, FlatPlan] = weakref.WeakKeyDictionary()


def flat_plan(plan: EnginePlan) -> FlatPlan:
    """The plan's terms as a :class:`FlatPlan`, built once per plan object."""
    flat = _CACHE.get(plan)
    if flat is None:
        fields = _challenge_arrays(plan) | _government(plan) | _credit(plan) | _fund(plan)
        flat = FlatPlan(**fields)  # type: ignore[arg-type]
        _CACHE[plan] = flat
    return flat


@structref.register
class _PlanType(types.StructRef):
    def preprocess_fields(self, fields):  # type: ignore[no-untyped-def]
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class PlanRef(structref.StructRefProxy):
    """A :class:`FlatPlan` that compiled functions take by reference (one pointer)."""


structref.define_proxy(PlanRef, _PlanType, list(FlatPlan._fields))


@njit(cache=CACHE)
def plan_ref(p: FlatPlan) -> FlatPlan:
    """The plan's fields in a :class:`PlanRef` (typed as the :class:`FlatPlan` whose
    fields it has: the compiled functions read either alike). Its arrays are borrowed
    (:mod:`fundflow.engine._nb_borrow`): ``p`` must outlive the result."""
    return PlanRef(*borrow(p))  # type: ignore[return-value]
