"""Shared helpers for the engine, analytic, invariant and config tests.

``make_scenario(**overrides)`` builds the scenario dict of docs/model.md's known-answer cases: one
challenge, one route, two phases with fixed durations, no overrun, no cap, no error
tolerance and no claw-back. Keyword arguments change one aspect at a time; the
result is a plain dict (what ``Scenario.from_dict`` takes), so a test may still edit
it before use. Import it with ``from conftest import make_scenario``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Defaults of make_scenario; every key may be overridden.
DEFAULTS: dict[str, Any] = {
    "name": "analytic",
    "horizon": 50.0,
    "discount_rate": 0.0,
    # government matching
    "ratio": 0.25,
    "mode": "two_phase",
    "first_share": 0.3,
    "tranches": None,  # mode milestones: [(after, share), ...]
    "cap": None,
    "payment_lag": 0.25,
    "annual_budget": None,
    # error tolerance and claw-back
    "tolerance": False,
    "rate": 0.3,
    "base": "unrecovered_cost",
    "tolerance_cap": None,
    "misconduct": 0.0,
    "clawback": 0.0,
    # the challenge
    "count": 1,
    "start": 0.0,
    "selection_time": 0.0,
    "investment": 100.0,
    "demander_share": 0.5,
    "installments": (0.3, 0.4, 0.3),  # share of D at milestone 0, 1, ..., n
    "p": None,  # all pass probabilities at once (overrides p1, p2)
    "p1": 1.0,
    "p2": 1.0,
    "cost_shares": (0.4, 0.6),
    "durations": (1.0, 1.0),  # numbers or distribution mappings
    "overrun": 1.0,
    "solvers": 1,
    "race": None,  # e.g. {"select_after": 1, "keep": 1, "compensate_eliminated": True}
    "booking_period": None,
    "value": 0.0,
    "value_lag": 1.0,
    "solver_value": 0.0,
    "reserve": None,
    # solver economics and tax (None = key left out)
    "award": None,  # e.g. {"share": 0.1, "cap": 2}
    "tax": None,  # e.g. {"rd_super_deduction": 1.0, "arrangement": "commissioned"}
    "payee": "demander",
}


def make_scenario(**overrides: Any) -> dict[str, Any]:
    """A minimal one-challenge scenario dict; see :data:`DEFAULTS` for the knobs.

    ``p`` (a sequence of pass probabilities) together with ``cost_shares`` and
    ``durations`` of the same length gives any number of phases; otherwise the
    challenge has two phases with pass probabilities ``p1`` and ``p2``.
    """
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"make_scenario got unknown knobs {sorted(unknown)}")
    o = {**DEFAULTS, **overrides}
    probs: Sequence[float] = o["p"] if o["p"] is not None else (o["p1"], o["p2"])
    if not len(probs) == len(o["cost_shares"]) == len(o["durations"]):
        raise ValueError("p, cost_shares and durations must have one entry per phase")
    n = len(probs)
    installments = list(o["installments"])
    if len(installments) != n + 1:
        raise ValueError("installments needs one share per milestone 0..n")
    matching: dict[str, Any] = {
        "ratio": o["ratio"],
        "cap": o["cap"],
        "mode": o["mode"],
        "first_share": o["first_share"],
        "payment_lag": o["payment_lag"],
        "payee": o["payee"],
    }
    if o["tranches"] is not None:
        matching["tranches"] = [{"after": a, "share": s} for a, s in o["tranches"]]
    challenge: dict[str, Any] = {
        "name": "challenge",
        "count": o["count"],
        "start": o["start"],
        "selection_time": o["selection_time"],
        "total_investment": o["investment"],
        "demander_share": o["demander_share"],
        "demander_installments": [
            {"after": m, "share": s} for m, s in enumerate(installments) if s > 0
        ],
        "solvers": o["solvers"],
        "overrun": o["overrun"],
        "booking_period": o["booking_period"],
        "phases": [
            {"name": f"phase{j + 1}", "duration": d, "cost_share": c, "pass_probability": p}
            for j, (d, c, p) in enumerate(zip(o["durations"], o["cost_shares"], probs, strict=True))
        ],
        "value_on_success": o["value"],
        "value_lag": o["value_lag"],
        "solver_value_on_success": o["solver_value"],
    }
    if o["race"] is not None:
        challenge["race"] = dict(o["race"])
    government: dict[str, Any] = {
        "annual_budget": o["annual_budget"],
        "matching": matching,
        "error_tolerance": {
            "enabled": o["tolerance"],
            "rate": o["rate"],
            "base": o["base"],
            "cap": o["tolerance_cap"],
            "misconduct_probability": o["misconduct"],
        },
        "clawback_without_tolerance": o["clawback"],
    }
    if o["award"] is not None:
        government["success_award"] = dict(o["award"])
    if o["tax"] is not None:
        government["tax"] = dict(o["tax"])
    return {
        "name": o["name"],
        "horizon": o["horizon"],
        "discount_rate": o["discount_rate"],
        "government": government,
        "solver": {"reserve": o["reserve"]},
        "challenges": [challenge],
    }


def one_error_line(err: str) -> str:
    """The one ``error:`` line a bad input must give (and no traceback)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]
