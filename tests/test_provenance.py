"""Every result carries its provenance the same way; one function writes the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fundflow
from fundflow import Provenance
from fundflow.cli import main
from fundflow.results.provenance import scenario_sha256

CONFIG = "configs/open_competition.yaml"
UPFRONT = "configs/upfront_grant.yaml"
PROVENANCE_KEYS = {
    "fundflow_version",
    "engine",
    "seed_entropy",
    "runs",
    "workers",
    "elapsed_seconds",
}


@pytest.fixture(scope="module")
def sc() -> fundflow.Scenario:
    return fundflow.load_scenario(CONFIG)


def test_run_compare_and_sweep_carry_the_same_provenance(sc: fundflow.Scenario) -> None:
    run = fundflow.simulate(sc, runs=12, seed=3, progress=False)
    cmp = fundflow.compare(sc, UPFRONT, runs=12, seed=3, progress=False)
    swept = fundflow.sweep(sc, {"government.matching.ratio": [0.2, 0.3]}, runs=12, seed=3)
    for result in (run, cmp, swept):
        p = result.provenance
        assert isinstance(p, Provenance)
        assert (p.entropy, p.runs, p.workers) == (3, 12, 1)
        assert p.version == fundflow.__version__ and p.engine == "compiled"  # the default
        assert p.elapsed > 0
        assert p.scenarios[0] == sc.name
        assert p.scenario_sha256[0] == scenario_sha256(sc)
    assert cmp.provenance.scenarios == (sc.name, fundflow.load_scenario(UPFRONT).name)
    assert cmp.provenance.scenario_sha256[0] != cmp.provenance.scenario_sha256[1]
    # the provenance of a run equals that of the same run again, bar the time taken
    again = fundflow.simulate(sc, runs=12, seed=3, progress=False).provenance
    assert again.scenario_sha256 == run.provenance.scenario_sha256
    assert again.entropy == run.provenance.entropy


def test_the_scenario_hash_follows_the_content_not_the_file(sc: fundflow.Scenario) -> None:
    same = fundflow.Scenario.from_dict(dict(sc.source))
    changed = fundflow.apply_overrides(sc, {"government.matching.ratio": 0.31})
    assert scenario_sha256(same) == scenario_sha256(sc)
    assert scenario_sha256(changed) != scenario_sha256(sc)


def _manifest(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def test_run_compare_and_sweep_manifests_hold_the_same_provenance(tmp_path: Path) -> None:
    common = ["--runs", "10", "--seed", "6", "--quiet", "--format", "csv", "--engine", "simpy"]
    assert main(["run", CONFIG, *common, "--out", str(tmp_path / "run")]) == 0
    assert main(["compare", CONFIG, UPFRONT, *common, "--out", str(tmp_path / "cmp")]) == 0
    lever = ["--lever", "government.matching.ratio=0.2,0.3"]
    assert main(["sweep", CONFIG, *lever, *common, "--out", str(tmp_path / "sweep")]) == 0
    run, cmp, swept = (_manifest(tmp_path / d) for d in ("run", "cmp", "sweep"))
    for manifest in (run, cmp, swept):
        assert PROVENANCE_KEYS <= set(manifest)
        assert manifest["seed_entropy"] == 6 and manifest["runs"] == 10
        assert manifest["engine"] == "simpy" and manifest["workers"] == 1
        assert manifest["fundflow_version"] == fundflow.__version__
        assert manifest["files"] and manifest["created"] and manifest["command"]
    sha = run["scenario"]["source_sha256"]
    assert run["scenario"]["file"] == CONFIG and run["scenario"]["file_sha256"]
    assert swept["scenario"]["source_sha256"] == sha
    assert cmp["scenario_a"]["source_sha256"] == sha
    assert cmp["scenario_b"]["file"] == UPFRONT
    assert swept["points"] == 2 and swept["sampler"] == "grid"
