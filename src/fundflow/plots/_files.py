"""The PNG files of a run's figures, each written atomically through the Agg canvas."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from fundflow.io.labels import check_lang
from fundflow.plots._axes import _language
from fundflow.plots._risk import exceedance_curve, exposure_fan, loss_distribution

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from fundflow.results.result import SimulationResult

#: Resolution of the PNGs written by :func:`write_run_plots`.
DPI = 120


def _save_png(fig: Figure, path: Path, lang: str = "en") -> Path:
    """Write `fig` to `path` through the Agg canvas, via a temporary file in the same directory."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh, _language(lang):  # a fresh name, the usual permissions
            fig.savefig(fh, format="png", dpi=DPI)  # tick labels are made here, in `lang`
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_run_plots(
    result: SimulationResult,
    directory: str | os.PathLike[str],
    *,
    prefix: str = "",
    lang: str = "en",
) -> list[Path]:
    """Write the standard PNGs of a run into `directory` (created if missing).

    Files: ``loss_gov_budget_cost.png`` and ``loss_solver_loss.png``
    (:func:`loss_distribution`), ``exceedance.png`` (:func:`exceedance_curve`)
    and ``exposure_fan.png`` (:func:`exposure_fan`), each prefixed with
    `prefix`, at :data:`DPI` dots per inch. Each is drawn on its own Figure
    with the Agg canvas (no pyplot) and written to a temporary name, then
    renamed, so a reader never sees a half-written file.

    Parameters
    ----------
    result : SimulationResult
        A Monte Carlo run.
    directory : str or path-like
        Where to write.
    prefix : str, default ""
        Prepended to every file name (e.g. ``"baseline_"``).
    lang : {"en", "zh"}, default "en"
        Language of the figures' text; Chinese is set in Noto Sans SC, a font
        that fundflow installs (``pylopdf-fonts-zh-cn``), never in empty boxes.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.
    """
    check_lang(lang)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "loss_gov_budget_cost": lambda: loss_distribution(result, "gov_budget_cost", lang=lang),
        "loss_solver_loss": lambda: loss_distribution(result, "solver_loss", lang=lang),
        "exceedance": lambda: exceedance_curve(result, lang=lang),
        "exposure_fan": lambda: exposure_fan(result, lang=lang),
    }
    return [_save_png(make(), out / f"{prefix}{name}.png", lang) for name, make in figures.items()]
