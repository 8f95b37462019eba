"""Build hook: the scenarios of ``configs/`` become package data (``fundflow/examples``).

``configs/`` stays the one copy in the repository; a wheel carries it as
``fundflow/examples/*.yaml`` (read by :mod:`fundflow.scenario.examples`). Everything else
about the build is in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithExamples(build_py):
    """Copy ``configs/*.yaml`` into the built package as ``fundflow/examples``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib, "fundflow", "examples")
        target.mkdir(parents=True, exist_ok=True)
        for scenario in sorted((HERE / "configs").glob("*.yaml")):
            shutil.copyfile(scenario, target / scenario.name)


setup(cmdclass={"build_py": BuildWithExamples})
