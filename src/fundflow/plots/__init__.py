"""Figures of a run, a comparison, a sweep, a sensitivity analysis and a Pareto front.

Every function draws on the Axes it is given (``ax=``) or on a new
:class:`matplotlib.figure.Figure` made without :mod:`matplotlib.pyplot`, and
returns that figure. Nothing here imports pyplot or selects a backend, so
importing or calling this module changes no global matplotlib state; matplotlib
itself is imported only when a figure is drawn. In a notebook, show a returned
figure with ``display(fig)`` (or draw into ``plt.subplots()`` axes).

Money is in the scenario's ``money_unit`` and time in years. Loss-like measures
are read with losses positive, as :func:`fundflow.results.metrics.var` and
:func:`fundflow.results.metrics.cvar` read them: VaR is the α-quantile, CVaR the mean of
the worst ``1 - α`` share.

Functions
---------
loss_distribution : histogram of one runs measure with VaR and CVaR marked.
exceedance_curve : P(X > x) of one or more loss measures with VaR and CVaR marked.
exposure_fan : percentile bands of the government's cumulative net outflow over time.
paired_comparison : paired differences of two scenarios run on common random numbers.
tail_contributions : each challenge's contribution to the government's CVaR, sorted bars.
sweep_response : a summary measure against a lever, from a sweep's tidy table.
tornado : sensitivity indices per input, sorted, with confidence whiskers.
pareto_mask : which design points are Pareto-efficient, minimising two columns.
pareto_front : design points, government risk against solver risk, the front highlighted.
write_run_plots : the PNGs of a run, written atomically into a directory.

Modules
-------
The figures of a run (``_risk``, ``_tail``), of design exploration (``_design``) and the
writing of files (``_files``) are private modules behind this one, with the
axes, labels and number formats they share in ``_axes``; import from
``fundflow.plots``.
"""

from __future__ import annotations

from fundflow.plots._design import pareto_front, pareto_mask, sweep_response, tornado
from fundflow.plots._files import DPI as DPI  # the PNGs' resolution, outside __all__ as before
from fundflow.plots._files import write_run_plots
from fundflow.plots._risk import (
    exceedance_curve,
    exposure_fan,
    loss_distribution,
    paired_comparison,
)
from fundflow.plots._tail import tail_contributions

__all__ = [
    "exceedance_curve",
    "exposure_fan",
    "loss_distribution",
    "paired_comparison",
    "pareto_front",
    "pareto_mask",
    "sweep_response",
    "tail_contributions",
    "tornado",
    "write_run_plots",
]
