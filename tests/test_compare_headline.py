"""CompareResult.headline: the numbers ``fundflow compare`` closes with."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fundflow.analysis.comparison import compare

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_headline_is_the_government_rows_and_their_relative_tail_change() -> None:
    cmp = compare(
        CONFIGS / "open_competition.yaml",
        CONFIGS / "chain_leader.yaml",
        runs=30,
        seed=4,
        progress=False,
    )
    head = cmp.headline()
    # the three kinds of government money and their all-in sum
    assert list(head.index) == [
        "gov_budget_cost", "gov_fund_net_cost", "gov_tax_forgone", "gov_net_cost"
    ]  # fmt: skip
    for m, r in head.iterrows():
        row = cmp.table.loc[m]
        for c in ("mean_diff", "rel_diff", "ci_low", "ci_high", "cvar95_diff"):
            assert r[c] == row[c] or (math.isnan(r[c]) and math.isnan(row[c]))  # no fund: NaN
        if not math.isnan(row["cvar95_diff"]) and row["cvar95_b"] != 0:  # loss-like only
            assert math.isclose(r["cvar95_rel_diff"], row["cvar95_diff"] / row["cvar95_b"])
    # the same table with B's tail at zero: no relative change
    cmp.table.loc["gov_net_cost", "cvar95_b"] = 0.0
    assert np.isnan(cmp.headline().loc["gov_net_cost", "cvar95_rel_diff"])
