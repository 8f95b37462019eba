"""How many source files each mechanism spans: ``git grep -l`` of its scenario keys
and ledger kinds under ``src/``, and the compiled engine's line count.

Run from the repository root::

    .venv/bin/python benchmarks/mechanism_span.py              # the working tree
    .venv/bin/python benchmarks/mechanism_span.py --rev fb54090 # fundflow 0.2's last commit

Adding a mechanism should touch about eight files (tests and docs apart); a
mechanism spread over many more is one a maintainer cannot change in one place.
"""

from __future__ import annotations

import argparse
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


#: Each mechanism's package under ``engine/`` (fundflow 0.3).
PACKAGES = {
    "matching and tolerance": "matching", "race": "race", "budget": "budget",
    "reserve": "reserve", "tax": "tax", "fund": "fund", "credit": "credit",
}  # fmt: skip


def files(words: tuple[str, ...], rev: str | None = None) -> list[str]:
    """Source files under ``src/`` (at ``rev``, else the working tree) with a line that
    names one of ``words``, import lines apart (a package named for the mechanism
    is where it lives, not a place it spans)."""
    args = ["git", "grep", "-n", "-w"]
    for w in words:
        args += ["-e", w]
    args += [rev] if rev else []
    out = subprocess.run([*args, "--", "src/"], cwd=ROOT, capture_output=True, text=True)
    found = set()
    for line in out.stdout.splitlines():
        parts = line.split(":", 3 if rev else 2)
        path, text = parts[-3], parts[-1]
        if not text.lstrip().startswith(("from ", "import ")):
            found.add(path)
    return sorted(found)


def compiled_lines() -> int:
    engine = ROOT / "src" / "fundflow" / "engine"
    paths = [p for p in engine.rglob("*.py") if "njit" in p.read_text(encoding="utf-8")]
    paths += [engine / "compiled.py"] if (engine / "compiled.py").exists() else []
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in set(paths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", help="a git revision to measure instead of the working tree")
    args = parser.parse_args()
    for name, words in MECHANISMS.items():
        found = files(words, args.rev)
        engine = [f for f in found if "/engine/" in f]
        home = f"/engine/{PACKAGES[name]}/"
        outside = [f for f in engine if home not in f]
        print(
            f"{name:24s} {len(found):3d} files ({len(engine)} in the engine, "
            f"{len(outside)} of them outside engine/{PACKAGES[name]}/)"
        )
    if not args.rev:
        print(f"compiled engine: {compiled_lines()} lines (modules with numba kernels)")


if __name__ == "__main__":
    main()
