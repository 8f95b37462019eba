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


def test_importing_fundflow_and_running_locally_loads_no_dask() -> None:
    """Dask is an optional extra: the base install never imports it."""
    import subprocess
    import sys

    code = (
        "import sys, fundflow, fundflow.cli, fundflow.run.montecarlo;"
        "fundflow.simulate('configs/open_competition.yaml', runs=2, seed=1);"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]"]
