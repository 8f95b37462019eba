"""How the ``fundflow`` subcommands print: plain-text tables, the scenario in one line,
the files written."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NumPy, pandas and the labels are imported by the functions that use
    import pandas as pd  # them, so that importing the command stays quick (`fundflow --help`)


def _emit(text: str = "") -> None:
    """Print to stdout; if the reader has gone (``| head``), carry on without output."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _render(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table; the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(_width(r[j]) for r in [headers, *rows]) for j in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, cell in enumerate(cells):
            pad = " " * (widths[j] - _width(cell))
            out.append(cell + pad if j < left else pad + cell)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _shown(table: pd.DataFrame, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Measures worth printing, and those left out (undefined or zero in every replication)."""
    import numpy as np

    keep: list[str] = []
    dropped: list[str] = []
    for m in table.index:
        values = table.loc[m, list(columns)].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        (keep if finite.size and np.any(finite != 0) else dropped).append(str(m))
    return keep, dropped


def _names(measures: Sequence[str], lang: str) -> str:
    """Measures in a note: code names in English, labels in Chinese."""
    from fundflow.io import labels as lb

    if lang == "en":
        return ", ".join(measures)
    return "、".join(lb.label(m, lang) for m in measures)


def _describe(scenario: Any, lang: str) -> str:
    """``Scenario.describe()`` in ``lang`` (in Chinese the mode and the money unit too)."""
    from fundflow.io import labels as lb

    g = scenario.government.matching
    parts = (("msg_with_fund", scenario.guided_fund), ("msg_with_credit", scenario.credit))
    extras = [lb.text(key, lang) for key, on in parts if on]
    tail = (lb.text("msg_list_sep", lang) + lb.text("msg_and", lang).join(extras)) if extras else ""
    return lb.text(
        "msg_describe",
        lang,
        name=scenario.name,
        challenges=scenario.n_challenges,
        routes=scenario.n_routes,
        ratio=f"{g.ratio:g}",
        mode=lb.label(g.mode, lang),
        horizon=f"{scenario.horizon:g}",
        unit=lb.unit_text("money", lang, scenario.money_unit),
        extras=tail,
    )


def size_text(size: int) -> str:
    """A size in bytes for people: ``812 bytes``, ``2 KB``, ``12.3 MB``, ``1.5 GB``."""
    if size < 1000:
        return f"{size} bytes"
    if size < 999_500:
        return f"{size / 1e3:.0f} KB"
    if size < 999_950_000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"


def _bytes(path: Path) -> int:
    """The size of a file, or of every file under a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _wrote(written: Sequence[Path], out: Any, lang: str, folders: Sequence[Path] = ()) -> str:
    """The closing line: every file (and folder, as the run's dataset) written, with its size."""
    from fundflow.io import labels as lb

    names = ", ".join(f"{p.name} ({size_text(_bytes(p))})" for p in written)
    shown = [p for p in folders if p.is_dir()]
    if not shown:
        return "\n" + lb.text("msg_wrote", lang, count=len(written), out=out, names=names)
    folder = ", ".join(f"{p.name}/" for p in shown)
    size = size_text(sum(_bytes(p) for p in shown))
    return "\n" + lb.text(
        "msg_wrote_folder", lang, count=len(written), folder=folder, size=size, out=out,
        names=names,
    )  # fmt: skip
