"""The curated public API of fundflow/__init__.py."""

from __future__ import annotations


def test_public_api_is_complete_and_lazy() -> None:
    import subprocess
    import sys

    import fundflow

    for name in fundflow.__all__:
        assert getattr(fundflow, name) is not None, name
    # importing the package does not import the analysis modules
    code = "import sys, fundflow; print(sorted(m for m in sys.modules if m.startswith('fundflow')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (
        "fundflow.analysis.sweeps" not in out.stdout
        and "fundflow.analysis.optimization" not in out.stdout
    )
