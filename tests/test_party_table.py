"""The party table: the government as one party, realised value apart from program cash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fundflow
from fundflow.cli import main

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT / "configs" / "national_major_project.yaml"


@pytest.fixture(scope="module")
def national() -> fundflow.SimulationResult:
    return fundflow.simulate(NATIONAL, runs=40, seed=8, progress=False)


def test_government_row_is_minus_the_headline_net_cost(national) -> None:
    table, runs = national.party_table(), national.runs
    assert runs["gov_fund_net_cost"].abs().sum() > 0  # the scenario has a guided fund
    # ledger cash: budget cost, the fund stake and all tax forgone (the attributable
    # share is a memo line, docs/model.md "Kinds of government money")
    cash = runs["gov_budget_cost"] + runs["gov_fund_net_cost"] + runs["gov_tax_forgone"]
    assert table.loc["government", "net"] == pytest.approx(-cash.mean(), abs=1e-9)
    totals = national.party_totals()
    assert table.loc["gov_lp_of_which", "net"] == pytest.approx(totals["gov_lp"].mean(), abs=1e-9)
    assert table.loc["gov_lp_of_which", "net"] == pytest.approx(
        -runs["gov_fund_net_cost"].mean(), abs=1e-9
    )
    assert "gov_lp" not in table.index  # folded into the government
    assert table.loc["government", "realised_value"] == 0.0


def test_demander_program_cash_excludes_its_realised_value(national) -> None:
    table, runs = national.party_table(), national.runs
    value = runs["demander_value"].mean()
    assert value > 0
    dem = table.loc["demander"]
    assert dem["realised_value"] == pytest.approx(value, abs=1e-9)
    assert dem["program_cash"] == pytest.approx(-runs["demander_net_cost"].mean(), abs=1e-9)
    assert dem["net"] == pytest.approx(national.party_totals()["demander"].mean(), abs=1e-9)
    ext = table.loc["external"]
    assert ext["realised_value"] == pytest.approx(
        -(runs["demander_value"] + runs["solver_value"]).mean(), abs=1e-9
    )


def test_each_column_sums_to_zero_over_the_parties(national) -> None:
    table = national.party_table().drop(index="gov_lp_of_which")
    scale = table["net"].abs().max()
    for column in ("program_cash", "realised_value", "net"):
        assert abs(table[column].sum()) < 1e-9 * scale, column
    np.testing.assert_allclose(
        table["program_cash"] + table["realised_value"], table["net"], atol=1e-9 * scale
    )
    assert (table["p5"] <= table["p95"]).all()


def test_cli_prints_the_government_as_one_party(capsys) -> None:
    assert main(["run", str(NATIONAL), "--runs", "40", "--seed", "8", "--quiet"]) == 0
    out = capsys.readouterr().out
    runs = fundflow.simulate(NATIONAL, runs=40, seed=8, progress=False).runs
    cash = (runs["gov_budget_cost"] + runs["gov_fund_net_cost"] + runs["gov_tax_forgone"]).mean()
    gov = next(line for line in out.splitlines() if line.startswith("Government  "))
    assert f"{-cash:,.2f}" in gov
    memo = next(line for line in out.splitlines() if line.startswith("The government's cash"))
    assert f"{runs['gov_tax_attributable'].mean():,.2f} is attributable" in memo
    assert f"net cost is {runs['gov_net_cost'].mean():,.2f}" in memo
    assert "of which: guided fund (gov_lp)" in out
    assert "Program cash (excl. realised value)" in out and "Realised value" in out
    assert "Government LP" not in out  # not a party of its own any more


@pytest.mark.parametrize(
    ("lang", "row", "note"),
    [
        (
            "en",
            "Suppliers, buyers and markets (outside the program)",
            "Outside the program (external): the counterpart of R&D spending and commercial "
            "value, not a loss",
        ),
        (
            "zh",
            "供应商、客户与市场（项目外部）",
            "项目外部：研发支出的收款方、商业价值的付款方，其净额并非损失",
        ),
    ],
)
def test_cli_says_who_external_is_under_the_party_table(capsys, lang, row, note) -> None:
    argv = ["run", str(NATIONAL), "--runs", "40", "--seed", "8", "--quiet", "--lang", lang]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    external = next(i for i, line in enumerate(lines) if line.startswith(row))
    assert lines[external + 1] == note  # the line right under the table
    assert not any("Rest of the economy" in line or "外部经济主体" in line for line in lines)
