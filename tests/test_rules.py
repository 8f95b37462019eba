"""The money rules both engines share are written once, and are leaves.

A rule (``engine/<mechanism>/rules.py``, declared with ``kernel_cache.rule``) is
compiled for the compiled engine and called as Python (``.py_func``) by the SimPy
engine. A rule that called another compiled rule would drag numba into the SimPy
engine, so none does; and no rule is written a second time elsewhere.
"""

from __future__ import annotations

import ast
import importlib
import math
from pathlib import Path

import numpy as np
import pytest

from fundflow.engine.kernel_cache import KERNEL_MODULES

SRC = Path(__file__).resolve().parents[1] / "src" / "fundflow"
RULE_MODULES = [m for m in KERNEL_MODULES if m.endswith(".rules")]


def _rules(module_name: str) -> dict[str, object]:
    module = importlib.import_module(module_name)
    return {
        name: value
        for name, value in vars(module).items()
        if hasattr(value, "py_func") and getattr(value, "__module__", None) == module_name
    }


def test_every_mechanism_has_its_rules() -> None:
    names = {m.split(".")[2] for m in RULE_MODULES}
    assert names == {
        "budget", "credit", "entry", "extension", "fund", "matching", "pool", "reserve", "tax",
    }  # fmt: skip
    for module in RULE_MODULES:
        assert _rules(module), f"{module} declares no rule"


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rules_are_leaves(module: str) -> None:
    """No rule's Python original names another compiled function."""
    mod = importlib.import_module(module)
    for name, fn in _rules(module).items():
        called = set(fn.py_func.__code__.co_names)  # type: ignore[attr-defined]
        for inner in fn.py_func.__code__.co_consts:  # type: ignore[attr-defined]
            if hasattr(inner, "co_names"):
                called |= set(inner.co_names)
        compiled = [n for n in called if hasattr(getattr(mod, n, None), "py_func")]
        assert not compiled, f"{module}.{name} calls the compiled {compiled}"


#: Rules once written in each engine: no function of these names may be defined in
#: the engine outside the rules modules.
ONCE = ("_split", "_return_capital", "_preferred", "compensate_amount", "pairwise_sum")


def test_no_rule_is_written_twice() -> None:
    defined: dict[str, list[str]] = {}
    for path in (SRC / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module-level functions (a method may wrap a rule)
            if isinstance(node, ast.FunctionDef):
                defined.setdefault(node.name, []).append(str(path.relative_to(SRC)))
    for name in ONCE:
        assert name not in defined, f"{name} is defined in {defined.get(name)}"
    rule_names = {n for m in RULE_MODULES for n in _rules(m)}
    for name in rule_names:
        places = [p for p in defined.get(name, []) if not p.endswith("rules.py")]
        assert not places, f"rule {name} is also defined in {places}"
    # the SimPy side uses the rules, not copies: the old inline formulas are gone
    text = "\n".join(p.read_text(encoding="utf-8") for p in (SRC / "engine").rglob("*.py"))
    assert "self.solver_tax_rate * abs(change)" not in text
    assert "p.solver_tax_rate * abs(change)" not in text
    assert "terms.loss_given_default * principal" not in text


def test_the_rules_give_the_documented_amounts() -> None:
    from fundflow.engine.credit import rules as credit
    from fundflow.engine.fund import rules as fund
    from fundflow.engine.matching import rules as matching
    from fundflow.engine.tax import rules as tax

    for f in (lambda r: r, lambda r: r.py_func):  # compiled and as Python alike
        assert f(matching.tranche_after_cap)(10.0, 4.0) == 4.0
        assert f(matching.tranche_after_cap)(10.0, 1e-13) == 0.0  # the cap's residue
        # 0.3 of the cost less the demander's 20 and the solver's matched 10, cap 100
        assert f(matching.compensation)(0.3, math.inf, 60.0, 20.0, 10.0, True, True) == (
            pytest.approx(9.0)
        )
        assert f(matching.compensation)(0.3, 5.0, 60.0, 20.0, 10.0, False, True) == 5.0
        assert f(tax.recognise)(0.15, -3.0, 2.0) == (pytest.approx(0.3), -2.0)
        assert f(credit.default_split)(0.6, 50.0) == (pytest.approx(20.0), pytest.approx(30.0))
        calls = np.array([[0.0, 10.0], [2.0, 10.0]])
        assert f(fund.call_sum)(calls, 2, fund.AT_RATE, 5.0, 0.03) == pytest.approx(22.4)
        parts = f(fund.waterfall)(200.0, 25.0, 75.0, 2.0, 6.0, 25.0, 75.0, 0.2, 0.0, 0.4)
        assert sum(parts[:3]) == pytest.approx(200.0)
