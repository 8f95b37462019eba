"""Tests of fundflow.plots: what each figure draws, and the PNGs of a run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

import fundflow
from fundflow import plots
from fundflow.results import metrics

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "open_competition.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> fundflow.SimulationResult:
    return fundflow.simulate(CONFIG, runs=50, seed=7)


@pytest.fixture(autouse=True)
def no_pyplot_figures() -> Iterator[None]:
    """No function of the module may register a figure with pyplot."""
    assert plt.get_fignums() == []
    yield
    assert plt.get_fignums() == []


def line(ax: Axes, gid: str):
    found = [ln for ln in ax.lines if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one line with gid {gid!r}, got {len(found)}"
    return found[0]


def vline_x(ax: Axes, gid: str) -> float:
    xs = np.asarray(line(ax, gid).get_xdata(), dtype=float)
    assert xs[0] == xs[1]
    return float(xs[0])


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


# --------------------------------------------------------------------------- one run


class TestLossDistribution:
    def test_lines_at_var_and_cvar(self, result: fundflow.SimulationResult) -> None:
        fig = plots.loss_distribution(result, "gov_net_cost")
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        x = result.runs["gov_net_cost"].to_numpy()
        assert vline_x(ax, "var95") == metrics.var(x, 0.95)
        assert vline_x(ax, "cvar95") == metrics.cvar(x, 0.95)
        assert vline_x(ax, "var99") == metrics.var(x, 0.99)
        assert vline_x(ax, "cvar99") == metrics.cvar(x, 0.99)
        assert vline_x(ax, "mean") == pytest.approx(x.mean())
        summary = result.summary().loc["gov_net_cost"]
        assert vline_x(ax, "cvar95") == summary["cvar95"]

    def test_labels_units_and_counts(self, result: fundflow.SimulationResult) -> None:
        ax = plots.loss_distribution(result, "solver_loss").axes[0]
        assert "solver loss" in ax.get_title()
        assert result.scenario.name in ax.get_title()
        assert ax.get_xlabel() == f"Solver loss ({result.money_unit})"
        assert ax.get_ylabel() == "Replications (count)"
        texts = legend_texts(ax)
        var95 = metrics.var(result.runs["solver_loss"].to_numpy(), 0.95)
        assert any(t.startswith("VaR95 = ") and t.endswith(f"{var95:,.1f}") for t in texts)
        assert sum(p.get_height() for p in ax.patches) == len(result)

    def test_draws_on_given_axes(self, result: fundflow.SimulationResult) -> None:
        fig = Figure()
        axes = fig.subplots(1, 2)
        assert plots.loss_distribution(result, ax=axes[1], alphas=(0.9,)) is fig
        assert not axes[0].lines
        assert {ln.get_gid() for ln in axes[1].lines} == {"mean", "var90", "cvar90"}
        sub = Figure().subfigures(1, 2)[1]
        assert plots.loss_distribution(result, ax=sub.add_subplot()) is sub.figure

    def test_unknown_measure_suggests_nearest(self, result: fundflow.SimulationResult) -> None:
        with pytest.raises(ValueError, match="did you mean 'gov_net_cost'"):
            plots.loss_distribution(result, "gov_net_cots")


class TestExceedanceCurve:
    def test_survival_and_var_lines(self, result: fundflow.SimulationResult) -> None:
        ax = plots.exceedance_curve(result).axes[0]
        for measure in ("gov_budget_cost", "solver_loss"):
            x = np.sort(result.runs[measure].to_numpy())
            curve = line(ax, measure)
            xs, ys = curve.get_xdata(), curve.get_ydata()
            np.testing.assert_allclose(xs[1:], x)
            # P(X > x_(i)) = (n - i) / n after the i-th smallest value (no ties here).
            np.testing.assert_allclose(ys[1:], 1.0 - np.arange(1, x.size + 1) / x.size)
            assert vline_x(ax, f"{measure}:var95") == metrics.var(x, 0.95)
            assert vline_x(ax, f"{measure}:cvar95") == metrics.cvar(x, 0.95)
        assert ax.get_yscale() == "log"
        assert ax.get_xlabel() == f"Loss ({result.money_unit})"
        assert "P(X > x)" in ax.get_ylabel()
        assert "Government budget cost" in legend_texts(ax)

    def test_measures_in_different_units_are_refused(
        self, result: fundflow.SimulationResult
    ) -> None:
        with pytest.raises(ValueError, match="different units"):
            plots.exceedance_curve(result, ("gov_net_cost", "success_rate"))


class TestExposureFan:
    def test_percentile_bands(self, result: fundflow.SimulationResult) -> None:
        ax = plots.exposure_fan(result).axes[0]
        paths = result.exposure_paths()
        times = paths.columns.to_numpy(dtype=float)
        median = line(ax, "p50")
        np.testing.assert_allclose(median.get_xdata(), times)
        np.testing.assert_allclose(median.get_ydata(), np.percentile(paths, 50, axis=0))
        np.testing.assert_allclose(line(ax, "mean").get_ydata(), paths.mean().to_numpy())
        gids = {c.get_gid() for c in ax.collections}
        assert gids == {"p5-p95", "p25-p75"}
        assert ax.get_xlabel() == "Time (years)"
        assert result.money_unit in ax.get_ylabel()
        assert "Government exposure" in ax.get_title()
        assert "median" in legend_texts(ax)

    def test_bad_band(self, result: fundflow.SimulationResult) -> None:
        with pytest.raises(ValueError, match="percentiles"):
            plots.exposure_fan(result, bands=(5, 50, 120))


# --------------------------------------------------------------------------- comparisons


class TestPairedComparison:
    def test_both_panels(self, result: fundflow.SimulationResult) -> None:
        other = result.runs.copy()
        other["gov_net_cost"] = other["gov_net_cost"] * 0.9
        fig = plots.paired_comparison(result, other, "gov_net_cost", labels=("base", "cut"))
        diff_ax, scatter_ax = fig.axes
        d = metrics.paired_difference(result.runs["gov_net_cost"], other["gov_net_cost"])
        assert vline_x(diff_ax, "mean_diff") == pytest.approx(d["mean_diff"])
        assert vline_x(diff_ax, "zero") == 0.0
        assert diff_ax.get_xlabel() == f"base − cut ({result.money_unit})"
        assert any(t.startswith("95% CI [") for t in legend_texts(diff_ax))
        diagonal = line(scatter_ax, "diagonal")
        np.testing.assert_array_equal(diagonal.get_xdata(), diagonal.get_ydata())
        assert scatter_ax.get_xlabel() == f"base ({result.money_unit})"
        assert scatter_ax.get_ylabel() == f"cut ({result.money_unit})"
        assert any("base higher in 100%" in t for t in legend_texts(scatter_ax))

    def test_pairs_by_replication(self) -> None:
        a = pd.DataFrame({"m": [1.0, 2.0, 3.0]}, index=[0, 1, 2])
        b = pd.DataFrame({"m": [0.0, 1.0, 5.0]}, index=[2, 1, 0])  # other order
        ax = plots.paired_comparison(a, b, "m", kind="difference", unit="x").axes[0]
        assert vline_x(ax, "mean_diff") == pytest.approx(((1 - 5) + (2 - 1) + (3 - 0)) / 3)
        assert ax.get_xlabel() == "A − B (x)"

    def test_axes_must_match_kind(self, result: fundflow.SimulationResult) -> None:
        fig = Figure()
        ax = fig.add_subplot()
        with pytest.raises(ValueError, match="2 panel"):
            plots.paired_comparison(result, result, "gov_net_cost", ax=ax)
        with pytest.raises(ValueError, match="kind"):
            plots.paired_comparison(result, result, "gov_net_cost", kind="violin")  # type: ignore[arg-type]
        assert plots.paired_comparison(result, result, "gov_net_cost", ax=ax, kind="scatter") is fig


# --------------------------------------------------------------------------- exploration


@pytest.fixture
def sweep_table() -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "government.matching.ratio": [0.3, 0.1, 0.2, 0.3, 0.1, 0.2],
            "government.matching.cap": [5, 5, 5, 10, 10, 10],
            "gov_net_cost_cvar95": [30.0, 10.0, 20.0, 40.0, 12.0, 25.0],
            "gov_net_cost_cvar95_se": [1.0, 0.5, 0.7, 1.2, 0.4, 0.9],
            "solver_loss_prob_loss": [0.2, 0.5, 0.3, 0.15, 0.45, 0.25],
        }
    )
    table.attrs["money_unit"] = "CNY million"
    return table


class TestSweepResponse:
    def test_one_line_per_group(self, sweep_table: pd.DataFrame) -> None:
        lever, measure = "government.matching.ratio", "gov_net_cost_cvar95"
        ax = plots.sweep_response(
            sweep_table, lever, measure, err=f"{measure}_se", hue="government.matching.cap"
        ).axes[0]
        low = line(ax, "government.matching.cap=5")
        np.testing.assert_allclose(low.get_xdata(), [0.1, 0.2, 0.3])
        np.testing.assert_allclose(low.get_ydata(), [10.0, 20.0, 30.0])
        assert low.get_linestyle() == "-"
        # error bars: +/- 1.96 SE around each point
        bars = ax.containers[0].lines[2][0].get_segments()
        np.testing.assert_allclose(
            [s[1, 1] - s[0, 1] for s in bars], [2 * 1.96 * e for e in (0.5, 0.7, 1.0)]
        )
        assert ax.get_ylabel() == "Government all-in net cost, CVaR 95% (CNY million)"
        assert ax.get_xlabel() == lever
        assert ax.get_legend().get_title().get_text().startswith("government.matching.cap")

    def test_repeated_lever_values_are_not_joined(self, sweep_table: pd.DataFrame) -> None:
        ax = plots.sweep_response(
            sweep_table, "government.matching.ratio", "solver_loss_prob_loss",
            units={"government.matching.ratio": "share of investment"},
        ).axes[0]  # fmt: skip
        assert line(ax, "response").get_linestyle() == "None"
        assert ax.get_ylabel() == "Solver loss, probability of a loss (share)"
        assert ax.get_xlabel() == "government.matching.ratio (share of investment)"

    def test_missing_column(self, sweep_table: pd.DataFrame) -> None:
        with pytest.raises(ValueError, match=r"did you mean 'government\.matching\.ratio'"):
            plots.sweep_response(sweep_table, "government.matching.rate", "gov_net_cost_cvar95")


class TestTornado:
    frame = pd.DataFrame(
        {
            "input": ["a", "b", "c", "a", "b", "c"],
            "output": ["cost"] * 3 + ["loss"] * 3,
            "S1": [0.1, 0.6, 0.0, 0.3, 0.3, 0.3],
            "ST": [0.2, 0.7, 0.01, 0.3, 0.3, 0.3],
            "ST_conf": [0.05, 0.1, 0.01, 0.0, 0.0, 0.0],
        }
    )

    def test_sorted_bars_with_whiskers(self) -> None:
        ax = plots.tornado(self.frame, "cost").axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "a", "b"]  # largest on top
        widths = [p.get_width() for p in ax.patches if p.get_gid() == "ST"]
        assert widths == [0.01, 0.2, 0.7]
        (whiskers,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        half = [(s[1, 0] - s[0, 0]) / 2 for s in whiskers.lines[2][0].get_segments()]
        np.testing.assert_allclose(half, [0.01, 0.05, 0.1])  # ST_conf, in bar order
        assert ax.get_xlabel() == "Sobol index (share of output variance)"
        assert ax.get_ylabel() == "Input"
        assert "cost" in ax.get_title()

    def test_two_indices_and_morris_units(self) -> None:
        ax = plots.tornado(self.frame, "cost", index=("ST", "S1")).axes[0]
        assert {p.get_gid() for p in ax.patches} == {"ST", "S1"}
        morris = pd.DataFrame({"input": ["a", "b"], "mu_star": [3.0, 1.0]})
        ax = plots.tornado(morris, "cost", index="mu_star", unit="CNY million").axes[0]
        assert ax.get_xlabel() == "Morris elementary effect (CNY million)"
        morris = morris.assign(output="solver_loss_share_mean")
        ax = plots.tornado(morris, "solver_loss_share_mean", index="mu_star").axes[0]
        assert ax.get_xlabel() == "Morris elementary effect (share)"
        assert ax.get_title().startswith("Sensitivity of share of solvers with a loss, mean")

    def test_unknown_output(self) -> None:
        with pytest.raises(ValueError, match=r"outputs are \['cost', 'loss'\]"):
            plots.tornado(self.frame, "npv")


class TestParetoFront:
    def test_mask(self) -> None:
        v = [[1, 3], [2, 2], [3, 3], [2, 1], [np.nan, 0], [1, 3]]
        assert plots.pareto_mask(v).tolist() == [True, False, False, True, False, True]

    def test_front_highlighted_and_joined(self, sweep_table: pd.DataFrame) -> None:
        x, y = "gov_net_cost_cvar95", "solver_loss_prob_loss"
        ax = plots.pareto_front(sweep_table, x, y).axes[0]
        mask = plots.pareto_mask(sweep_table[[x, y]].to_numpy())
        front = next(c for c in ax.collections if c.get_gid() == "front")
        expected = sweep_table.loc[mask, [x, y]].to_numpy()
        np.testing.assert_allclose(front.get_offsets(), expected)
        np.testing.assert_allclose(line(ax, "front_line").get_xdata(), np.sort(expected[:, 0]))
        assert ax.get_xlabel() == "Government all-in net cost, CVaR 95% (CNY million)"
        assert ax.get_ylabel() == "Solver loss, probability of a loss (share)"
        assert f"Pareto-efficient ({mask.sum()})" in legend_texts(ax)

    def test_given_mask_and_feasibility(self, sweep_table: pd.DataFrame) -> None:
        x, y = "gov_net_cost_cvar95", "solver_loss_prob_loss"
        table = sweep_table.assign(best=[True] + [False] * 5, ok=[False, True] * 3)
        ax = plots.pareto_front(table, x, y, "best", feasible="ok").axes[0]
        drawn = {c.get_gid(): len(c.get_offsets()) for c in ax.collections}
        assert drawn == {"points": 3, "points_infeasible": 2, "front_infeasible": 1}
        hollow = next(c for c in ax.collections if c.get_gid() == "front_infeasible")
        assert hollow.get_facecolor().size == 0
        with pytest.raises(ValueError, match="front_mask has shape"):
            plots.pareto_front(table, x, y, [True])


class _FakeSweep:
    """Stands for a SweepResult: a ``table`` and a ``scenario`` with a money unit."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.scenario = type("S", (), {"money_unit": "EUR"})()


def test_results_holding_tables(sweep_table: pd.DataFrame) -> None:
    sweep = _FakeSweep(sweep_table.copy())
    sweep.table.attrs.clear()
    x, y = "gov_net_cost_cvar95", "solver_loss_prob_loss"
    ax = plots.sweep_response(sweep, "government.matching.ratio", x).axes[0]
    assert ax.get_ylabel() == "Government all-in net cost, CVaR 95% (EUR)"
    ax = plots.pareto_front(sweep, x, y, units={"money": "USD"}).axes[0]
    assert ax.get_xlabel() == "Government all-in net cost, CVaR 95% (USD)"
    with pytest.raises(TypeError, match="DataFrame or a fundflow result"):
        plots.pareto_front([1, 2], x, y)


# --------------------------------------------------------------------------- files


def test_write_run_plots(result: fundflow.SimulationResult, tmp_path: Path) -> None:
    out = tmp_path / "plots"
    paths = plots.write_run_plots(result, out)
    names = ["loss_gov_budget_cost", "loss_solver_loss", "exceedance", "exposure_fan"]
    assert paths == [out / f"{n}.png" for n in names]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files
    again = plots.write_run_plots(result, out, prefix="b_")
    assert [p.name for p in again] == [f"b_{n}.png" for n in names]


def test_no_global_matplotlib_state(tmp_path: Path) -> None:
    """Importing fundflow.plots loads no matplotlib; using it imports no pyplot, sets no backend."""
    code = textwrap.dedent(
        f"""
        import sys
        import fundflow, fundflow.plots
        assert "matplotlib" not in sys.modules, "matplotlib imported with fundflow.plots"
        import matplotlib
        before = matplotlib.rcParams._get_backend_or_none()
        res = fundflow.simulate({str(CONFIG)!r}, runs=5, seed=1)
        fundflow.plots.write_run_plots(res, {str(tmp_path)!r})
        fundflow.plots.paired_comparison(res, res, "gov_net_cost")
        assert "matplotlib.pyplot" not in sys.modules, "pyplot imported"
        assert matplotlib.rcParams._get_backend_or_none() == before, "backend changed"
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(list(tmp_path.glob("*.png"))) == 4
