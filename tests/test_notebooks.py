"""Every notebook in notebooks/ runs top to bottom, with CI=true, without a cell error.

Each notebook is executed by nbclient in a fresh kernel of *this* interpreter: a
kernel spec pointing at ``sys.executable`` is written to a temporary directory and
used through its own :class:`~jupyter_client.kernelspec.KernelSpecManager`, so the
test does not depend on the kernels installed on the machine (a ``python3`` spec in
the user's Jupyter directory may point at another Python). The kernel inherits
``CI=true``, so the notebooks use their small replication counts. It runs in
``notebooks/``, as Jupyter would (the notebooks read ``../configs``); a notebook must
not leave files there, nor show this machine's paths in its outputs.

The committed notebooks are kept small (outputs cleared or small).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "fundflow-notebook-test"
CELL_TIMEOUT = 600  # seconds, per cell
MAX_BYTES = 200_000  # per committed notebook


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """A kernel spec manager that knows one kernel: this interpreter's ipykernel."""
    kernels = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(kernels / KERNEL)
    return KernelSpecManager(kernel_dirs=[str(kernels)])


@pytest.fixture
def kernel(kernel_specs: KernelSpecManager) -> Iterator[KernelManager]:
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernel_specs)
    try:
        yield km
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)


def _files() -> set[Path]:
    return {p for p in NOTEBOOKS.rglob("*") if "__pycache__" not in p.parts}


def test_the_notebooks_are_there() -> None:
    names = [p.stem[:3] for p in PATHS]
    assert names[:5] == ["01_", "02_", "03_", "04_", "05_"], [p.name for p in PATHS]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_small_and_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < MAX_BYTES, f"{path.name}: clear its outputs"
    assert str(ROOT) not in text, f"{path.name} holds a path of this machine"
    nbformat.validate(nbformat.reads(text, as_version=4))


# What a tqdm bar leaves in a cell's output, as text or as a widget's fallback:
# "replications:  45%|####5     | 90/200 [00:01<00:01, 80.1run/s]".
TQDM_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+|\[\d\d:\d\d<|run/s\]|tqdm")


def _execute(path: Path, kernel: KernelManager) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, km=kernel, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError at the first cell that fails
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")
    return nb


def _progress_bars(nb: nbformat.NotebookNode) -> list[str]:
    """Outputs that hold a progress bar (a frozen one, once the notebook is saved)."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts = [output.get("text", ""), *output.get("data", {}).values()]
            found += [str(t)[:200] for t in texts if TQDM_BAR.search(str(t))]
    return found


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, kernel: KernelManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")  # the kernel inherits it: small runs
    before = _files()
    nb = _execute(path, kernel)

    assert _files() == before, f"{path.name} left files in notebooks/"
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert str(ROOT) not in outputs, f"{path.name} shows a path of this machine"
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert not _progress_bars(nb), f"{path.name} keeps a progress bar"


def test_an_executed_notebook_keeps_no_progress_bar(
    kernel: KernelManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Executed as a reader would (no CI: full-size runs, seconds long), the quick start
    saves no progress bar, which would stay frozen in the file."""
    monkeypatch.delenv("CI", raising=False)
    nb = _execute(NOTEBOOKS / "01_quickstart.ipynb", kernel)
    assert not _progress_bars(nb)
