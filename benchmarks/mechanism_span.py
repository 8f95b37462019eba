"""How many source files each mechanism spans: ``git grep -l`` of its scenario keys
and ledger kinds under ``src/``, and the compiled engine's line count.

Run from the repository root::

    .venv/bin/python benchmarks/mechanism_span.py

Adding a mechanism should touch about eight files (tests and docs apart); a
mechanism spread over many more is one a maintainer cannot change in one place.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Each mechanism's words: scenario keys and ledger kinds no other mechanism uses.
MECHANISMS: dict[str, tuple[str, ...]] = {
    "matching and tolerance": (
        "error_tolerance", "clawback_without_tolerance", "compensation", "clawback",
        "first_share", "payment_lag",
    ),
    "race": ("select_after", "compensate_eliminated", "race_u"),
    "budget": ("annual_budget",),
    "reserve": ("reserve",),
    "tax": ("rd_super_deduction", "tax_expenditure", "tax_recapture", "usable_share"),
    "fund": (
        "guided_fund", "capital_call", "management_fee", "exit_proceeds", "carried_interest",
        "stake_sale",
    ),
    "credit": ("loan_share", "guarantee_fee", "guarantee_payout", "risk_sharing"),
}  # fmt: skip


def files(words: tuple[str, ...]) -> list[str]:
    args = ["git", "grep", "-l", "-w"]
    for w in words:
        args += ["-e", w]
    out = subprocess.run([*args, "--", "src/"], cwd=ROOT, capture_output=True, text=True)
    return sorted(out.stdout.split())


def compiled_lines() -> int:
    engine = ROOT / "src" / "fundflow" / "engine"
    paths = [p for p in engine.rglob("*.py") if "njit" in p.read_text(encoding="utf-8")]
    paths += [engine / "compiled.py"] if (engine / "compiled.py").exists() else []
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in set(paths))


def main() -> None:
    for name, words in MECHANISMS.items():
        found = files(words)
        engine = [f for f in found if "/engine/" in f]
        print(f"{name:24s} {len(found):3d} files ({len(engine)} in the engine)")
    print(f"compiled engine: {compiled_lines()} lines (modules with numba kernels)")


if __name__ == "__main__":
    main()
