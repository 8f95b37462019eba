"""The scenario's terms as flat NumPy arrays and numbers for the compiled engine.

:class:`FlatPlan` is a named tuple numba reads as a struct. Its fields are
declared here, grouped by the mechanism that fills them: the challenges' arrays
and the horizon by :func:`core_section`, each mechanism's terms by its own
``plan_section`` (``engine/<mechanism>/compiled.py``);
:func:`fundflow.engine.compiled_engine.flat_plan` puts them together. Absent options take neutral
values with a flag: no cap is ``inf``, no booking period is NaN, no budget or
reserve has its ``has_*`` flag at 0.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

from fundflow.engine._nb_borrow import borrow
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.plan import EnginePlan

__all__ = ["FlatPlan", "core_section", "plan_ref"]

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
    horizon: float
    # matching and tolerance (matching.compiled.plan_section)
    lag: float
    cap: float
    tol_enabled: bool
    tol_unrecovered: bool
    tol_rate: float
    tol_cap: float
    misconduct_p: float
    clawback_share: float
    # the budget (budget.compiled)
    has_budget: bool
    budget: float
    n_years: int
    # the reserve (reserve.compiled)
    has_reserve: bool
    reserve: float
    match_payee: int
    # tax (tax.compiled)
    tax_on: bool
    solver_tax_rate: float
    demander_tax_rate: float
    match_taxable: bool
    solver_subsidy_rate: float
    demander_subsidy_rate: float
    # credit (credit.compiled)
    credit_on: bool
    loan_share: float
    interest_rate: float
    guarantee_fee: float
    pd_success: float
    pd_failure: float
    lgd: float
    rs_party: np.ndarray
    rs_share: np.ndarray
    rs_passed_on: np.ndarray  # the weight of the pool's cover each passes on to the bank
    ip_pledge: bool  # loans secured on patents
    ip_uplift: float
    link_on: bool  # the investment-loan link
    link_share: float
    # guided fund (fund.compiled)
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
    # extension (extension.compiled)
    ext_on: bool
    ext: np.ndarray  # (2, C, P + 1): probability and cost share by phase
    # the risk-compensation pool (pool.compiled)
    pool_on: bool
    pool_size: float
    pool_share: float
    pool_top_up: bool
    pool_lender: np.ndarray
    pool_weight: np.ndarray


def core_section(plan: EnginePlan) -> dict[str, object]:
    """The challenges' arrays and the horizon: the core's part of the flat plan."""
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
    return {
        "route_ch": route_ch,
        "cfl": cfl,
        "cin": cin,
        "ph": ph,
        "horizon": float(plan.scenario.horizon),
    }


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
