"""Compiled route events: milestones, the ends of a route (success, failure,
elimination, financing failure), compensation, claw-back and the loan's close
(the rules of :mod:`fundflow.engine._engine_des` and :mod:`fundflow.engine._credit`)."""

from __future__ import annotations

from numba import njit

from fundflow.engine._nb_money import (
    commit,
    own_funding_changes,
    race_withdraw,
    solver_pays,
    solver_receives,
)
from fundflow.engine._nb_plan import (
    C_AWARD,
    C_COMP_ELIM,
    C_SELECT,
    C_VALUE_LAG,
    PH_INST,
    PH_TR,
    FlatPlan,
)
from fundflow.engine._nb_state import (
    CLAWSH,
    COST,
    DEFAULTED,
    DEMP,
    DR_DEFAULT,
    DR_MISC,
    DR_SVALUE,
    END_TIME,
    EV_CLAW_INIT,
    EV_INVEST,
    EV_SVALUE,
    EV_VALUE,
    GEARN,
    GPAID,
    INTFROM,
    LOAN,
    MISC,
    NORMAL,
    NOT_TRANCHE,
    NOW,
    PHASE,
    PRINC,
    REVIEW,
    STATUS,
    TRANCHE,
    URGENT,
    VALUE_PAID,
    State,
    add,
    kind_codes,
    party_codes,
    push,
    status_codes,
)
from fundflow.engine.credit.rules import accrued_interest, default_split, loss_share
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.matching.rules import clawback, compensation, tranche_after_cap

__all__ = ["abandon", "eliminate", "fail", "milestone", "succeed"]

ELIMINATED, FAILED, FINANCING, SUCCEEDED = status_codes(
    "eliminated", "failed", "financing_failure", "succeeded"
)
SOL, DEM, GOV, BANK = party_codes("solver", "demander", "government", "bank")
K_INST, K_MATCHING, K_COMP = kind_codes("demander_installment", "matching", "compensation")
K_CLAW, K_AWARD = kind_codes("clawback", "success_award")
K_REPAY, K_INTEREST, K_PAYOUT = kind_codes("repayment", "interest", "guarantee_payout")


@njit(cache=CACHE)
def milestone(s: State, p: FlatPlan, r: int, m: int) -> None:
    """Milestone ``m`` reached: the demander's installment, the government's tranche."""
    ch = p.route_ch[r]
    amount = p.ph[PH_INST, ch, m]
    if amount > 0.0:
        solver_receives(s, p, r, DEM, amount, K_INST)
        s.rf[r, DEMP] += amount
        own_funding_changes(s, p, r, -amount)
        if p.tax_on:
            y = int(s.sf[NOW])
            s.yr[y, s.rf.shape[0] + r] += amount
            s.yi[y, s.rf.shape[0] + r] = 1
            s.yi[y, 2 * s.rf.shape[0]] = 1
    tranche = tranche_after_cap(p.ph[PH_TR, ch, m], s.cf[ch])
    if tranche > 0.0:
        s.cf[ch] -= tranche
        s.rf[r, GEARN] += tranche
        commit(s, p, p.lag, p.match_payee, tranche, K_MATCHING, r, TRANCHE)


@njit(cache=CACHE)
def compensate(s: State, p: FlatPlan, r: int) -> None:
    amount = compensation(
        p.tol_rate, p.tol_cap, s.rf[r, COST], s.rf[r, DEMP], s.rf[r, GEARN],
        p.tol_unrecovered, p.match_payee == SOL,
    )  # fmt: skip
    commit(s, p, p.lag, SOL, amount, K_COMP, r, NOT_TRANCHE)


@njit(cache=CACHE)
def claw_back(s: State, p: FlatPlan, r: int) -> None:
    """Recover the route's share of its paid tranches from their payee."""
    amount = clawback(s.rf[r, CLAWSH], s.rf[r, GPAID])
    if p.match_payee == SOL:
        solver_pays(s, p, r, GOV, amount, K_CLAW)
        own_funding_changes(s, p, r, amount)
    else:
        add(s, DEM, GOV, amount, K_CLAW, p.route_ch[r], r)


@njit(cache=CACHE)
def _start_claw(s: State, r: int, share: float) -> None:
    s.rf[r, CLAWSH] = share
    push(s, 0.0, URGENT, EV_CLAW_INIT, r)  # a process starts


@njit(cache=CACHE)
def credit_close(s: State, p: FlatPlan, r: int, succeeded: bool) -> None:
    """Repay, or default, when route ``r`` ends (the route no longer runs: no reserve
    check can fail)."""
    if not s.ri[r, LOAN]:
        return
    s.ri[r, LOAN] = 0
    principal = s.rf[r, PRINC]
    s.rf[r, PRINC] = 0.0
    if principal <= 0.0:
        return
    prob = p.pd_success if succeeded else p.pd_failure
    if s.x[r, DR_DEFAULT] < prob:
        repaid, loss = default_split(p.lgd, principal)
        solver_pays(s, p, r, BANK, repaid, K_REPAY)
        for k in range(p.rs_party.shape[0]):
            share = loss_share(p.rs_share[k], loss)
            add(s, p.rs_party[k], BANK, share, K_PAYOUT, p.route_ch[r], r)
        s.ri[r, DEFAULTED] = 1
        return
    accrued = accrued_interest(p.interest_rate, principal, s.sf[NOW] - s.rf[r, INTFROM])
    solver_pays(s, p, r, BANK, accrued, K_INTEREST)
    solver_pays(s, p, r, BANK, principal, K_REPAY)


@njit(cache=CACHE)
def end(s: State, p: FlatPlan, r: int, status: int, review: int) -> None:
    s.ri[r, STATUS] = status
    s.rf[r, END_TIME] = s.sf[NOW]
    s.ri[r, REVIEW] = review
    if p.cin[p.route_ch[r], C_SELECT] > 0 and status != ELIMINATED:
        race_withdraw(s, p, r)
    if p.credit_on:
        credit_close(s, p, r, status == SUCCEEDED)


@njit(cache=CACHE)
def fail(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, FAILED, review)
    if p.tol_enabled:
        if s.x[r, DR_MISC] < p.misconduct_p:
            s.ri[r, MISC] = 1
            _start_claw(s, r, 1.0)
        else:
            compensate(s, p, r)
    elif p.clawback_share > 0.0:
        _start_claw(s, r, p.clawback_share)


@njit(cache=CACHE)
def abandon(s: State, p: FlatPlan, r: int, review: int) -> None:
    """Financing failure (``review < 0``: the phase reached)."""
    end(s, p, r, FINANCING, s.ri[r, PHASE] if review < 0 else review)
    if p.clawback_share > 0.0:
        _start_claw(s, r, p.clawback_share)


@njit(cache=CACHE)
def eliminate(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, ELIMINATED, review)
    if p.cin[p.route_ch[r], C_COMP_ELIM]:
        compensate(s, p, r)


@njit(cache=CACHE)
def succeed(s: State, p: FlatPlan, r: int, review: int) -> None:
    end(s, p, r, SUCCEEDED, review)
    ch = p.route_ch[r]
    if p.fund_on:
        push(s, p.f_invest_lag, NORMAL, EV_INVEST, r)
    if not s.ci[ch, VALUE_PAID]:
        s.ci[ch, VALUE_PAID] = 1
        if s.value[ch] != 0.0:
            push(s, p.cfl[ch, C_VALUE_LAG], NORMAL, EV_VALUE, ch)
    if s.x[r, DR_SVALUE] > 0.0:
        push(s, p.cfl[ch, C_VALUE_LAG], NORMAL, EV_SVALUE, r)
    commit(s, p, p.lag, SOL, p.cfl[ch, C_AWARD], K_AWARD, r, NOT_TRANCHE)
