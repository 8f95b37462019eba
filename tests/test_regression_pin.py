"""Refactoring guard: the bundled scenarios give the same tables, to the last bit.

Each digest is the SHA-256 of a table's CSV with every float written exactly
(``%.17g``), for ``configs/<name>.yaml`` at seed 2026 with 40 replications. A
change to the model's behaviour must update these digests on purpose; a change to
the code's structure must leave them alone. Worker counts 1 and 2 give the same
digests (results never depend on the number of processes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import fundflow

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
RUNS = 40
SEED = 2026

#: name -> digests of runs, routes, ledger(0), summary()
PINNED: dict[str, tuple[str, str, str, str]] = {
    "benchmark_100": (
        "e9d90aa8692b76b3400ab1e610470e1832ca8b4b43f1e1a13cbaf6db293f205b",
        "74a1bbd03d63fe3e5a25826c0dc8102a37cb4c3ca333376e046186572d4e161c",
        "a6e3301975203ca9f2d4558e5e4c6c297921dae0f359dc14ddb395c2d4777c9e",
        "38379f6484a60d00f46d716321f9506b86b5d77e5f1086201ef7adcc0ed5ea9f",
    ),
    "chain_leader": (
        "015fd7aceb8f7b35c84030997256995514319492162d3676aa9513d78d3aa7d0",
        "2f73d70fd17a896a6c8b65f7326e15ae31e7c37a26bc50b01fc6881e777a4939",
        "13897fb3e56cdec3efbec260bce234e5de7355cb8e9e1ccff76299e2f6e4bd26",
        "29cf6ee17ac2b5e44768a4386753bf18fcb086ed0a982697a0cff27d128d4018",
    ),
    "national_major_project": (
        "59117a3ae76513de94fa553c3fb8e5616a6adb6ca9d2a0e7539fda7833d16c0e",
        "98c09ceccfc686577912726589b2232c297a8585bf0b19fee35c2cb0573f2cf9",
        "f83f0db63c90ebf5f527342ce64d0deecab412839cc00472ba01f61956c78422",
        "d7a5863cc349ecdb76da1b98c2f56dbff6ac4a3d348af97e75dd1624f99c3391",
    ),
    "open_competition": (
        "0f4e8e74c0949cdd27e2085d34c720f8b8677ea6c9fcf02103c8c88949bd85ab",
        "abc224afd38c43a7e4e7a3e3ae58b052001b53c7773357c95dd7f979e8722d6c",
        "551f4cc4d50ab294c54d311d539a2e18fe8d31501cc14ec6219875db375b06d9",
        "dc77f789f885280a0a2a034f765ff5c7c1e661bdfeabbe598de2b6fd043ebb42",
    ),
    "upfront_grant": (
        "b1225669d4f43b4ff58613fbe2417962a69ae8e917c1f1257a3536fae6a4e28e",
        "2c1bf5ba87cd8c523a3d503e916677ca288b6763e9750fcc14694c76f2d2297a",
        "84c58258730ab86501b48f2f10e1cf2658d83e6bb4e30f3ba0c424dd85b35467",
        "5fad7ab5a9f4601938df63e5f5a796b00ebdfa1e9896efb628e72706ca9383a2",
    ),
}
#: open_competition - upfront_grant, paired table
COMPARE = "4aa03d71b2293dcf65a5b0555e2bb2fa17b1dc2dc47787e0884c271133bdc2dd"
#: open_competition at matching ratio 0.2 and 0.3, sweep table; its means and SEs
#: are those of each point's summary, to the last bit (test_sweep.py)
SWEEP = "0b0f488b296a9d2cb6113d10927d02f25f20203738066b6987a0fd3941da8ecd"


def digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(float_format="%.17g").encode()).hexdigest()


def test_every_bundled_scenario_is_pinned() -> None:
    assert sorted(p.stem for p in CONFIGS.glob("*.yaml")) == sorted(PINNED)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", sorted(PINNED))
def test_tables_unchanged(name: str, workers: int) -> None:
    res = fundflow.simulate(CONFIGS / f"{name}.yaml", RUNS, seed=SEED, workers=workers)
    got = (digest(res.runs), digest(res.routes), digest(res.ledger(0)), digest(res.summary()))
    assert got == PINNED[name]


def test_comparison_unchanged() -> None:
    cmp = fundflow.compare(
        CONFIGS / "open_competition.yaml", CONFIGS / "upfront_grant.yaml", runs=RUNS, seed=SEED
    )
    assert digest(cmp.table) == COMPARE


def test_sweep_unchanged() -> None:
    lever = {"government.matching.ratio": [0.2, 0.3]}
    res = fundflow.sweep(CONFIGS / "open_competition.yaml", lever, runs=RUNS, seed=SEED)
    assert digest(res.table) == SWEEP
