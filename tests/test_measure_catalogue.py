"""The measure catalogue is the one list of runs measures: everything else agrees with it."""

from __future__ import annotations

import pytest

import fundflow
from conftest import make_scenario
from fundflow.io import labels
from fundflow.results import catalogue as measure_catalogue
from fundflow.results import measures
from fundflow.results.catalogue import LOSS_MEASURES, RATIOS, RUN_MEASURES, run_columns


@pytest.fixture(scope="module")
def runs() -> object:
    data = make_scenario()
    return fundflow.simulate(data, runs=2, seed=1).runs


def test_runs_table_has_the_catalogue_columns_in_order(runs) -> None:
    assert list(runs.columns) == run_columns()
    assert len(set(run_columns())) == len(RUN_MEASURES)


def test_measures_reads_the_catalogue() -> None:
    assert measures.LOSS_MEASURES == LOSS_MEASURES
    assert measures.RATIO_MEASURES == {r.name: (r.numerator, r.denominator) for r in RATIOS}
    assert set(LOSS_MEASURES) == {
        "gov_budget_cost",
        "gov_net_cost",
        "gov_npv_budget_cost",
        "gov_npv_net_cost",
        "gov_peak_exposure",
        "solver_loss",
        "demander_net_cost",
        "bank_loss",
        "guarantor_loss",
        "reguarantor_loss",
    }


@pytest.mark.parametrize("info", [*RUN_MEASURES, *RATIOS], ids=lambda m: m.name)
def test_every_measure_has_a_label_with_the_catalogue_unit(info) -> None:
    row = labels.LABELS[info.label]
    assert row.kind == "measure"
    assert row.unit == info.unit
    assert info.unit in labels.UNITS


def test_ratio_columns_are_runs_measures() -> None:
    for r in RATIOS:
        assert {r.numerator, r.denominator} <= set(run_columns())


def test_summary_tail_columns_exactly_for_the_loss_measures() -> None:
    res = fundflow.simulate(make_scenario(p1=0.5), runs=20, seed=3)
    s = res.summary()
    has_tail = set(s.index[s["prob_loss"].notna()])
    assert has_tail == set(LOSS_MEASURES)


def test_sweep_statistics_follow_the_catalogue() -> None:
    names = measure_catalogue.sweep_statistics()
    assert names[:2] == ["gov_budget_cost_mean", "gov_budget_cost_se"]  # the headline first
    assert [n for n in names if n.endswith("_cvar95")] == [f"{m}_cvar95" for m in LOSS_MEASURES]
    assert names[-4:] == [
        "leverage_mean",
        "leverage_se",
        "leverage_all_in_mean",
        "leverage_all_in_se",
    ]
