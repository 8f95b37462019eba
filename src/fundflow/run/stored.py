"""Runs streamed to a store as their blocks finish, resumed after an interruption.

``simulate(..., store=DIR)`` cuts the replications into blocks of a fixed size
(``chunk_size``, or :func:`default_block_size` of the replications: never of the
workers, so a resumed run has the same blocks), and this process writes each
block to the store (:mod:`fundflow.results.store`) as its result arrives, in
order. ``resume=True`` keeps the blocks the store already holds with valid
checksums and computes only the others; every replication's numbers depend on
the seed and its index alone, so the finished store is the one an uninterrupted
run writes. :func:`open_run` reads a store back.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from fundflow.engine.layout import Layout
from fundflow.engine.ledger import PARTIES
from fundflow.engine.plan import EnginePlan
from fundflow.errors import ConfigError
from fundflow.results.block_measures import YEAR_QUANTITIES
from fundflow.results.budget_years import year_column_name
from fundflow.results.challenge_sums import challenge_sums
from fundflow.results.provenance import jsonable, scenario_sha256
from fundflow.results.store import Store, check_key, read_manifest, store_key
from fundflow.results.stored import StoredResult, read_stored
from fundflow.run._blocks import _Block, _run_block, entry_values, exposure_grid, replicate
from fundflow.run.entry import warn_unfilled
from fundflow.scenario.config import Scenario

__all__ = [
    "check_store",
    "default_block_size",
    "open_run",
    "resume_note",
    "run_stored",
    "stored_seed",
]


#: What makes a finished stored run "the same run" that a new one replaces.
_SAME_RUN = ("scenario_sha256", "seed_entropy", "runs", "fundflow_version")


def default_block_size(runs: int) -> int:
    """Replications per stored block: a quarter of a small run, 200, or a thousandth of a
    large one (so a run of any size has at most about a thousand blocks)."""
    return max(1, min(math.ceil(runs / 4), max(200, math.ceil(runs / 1000))))


def stored_seed(directory: str | Path) -> int | None:
    """The seed of the run stored in `directory`, if any (a resumed run without a seed
    takes it)."""
    manifest = read_manifest(Path(directory))
    seed = manifest.get("seed_entropy") if manifest else None
    return int(seed) if isinstance(seed, int) else None


def open_run(directory: str | Path, *, partial: bool = False) -> StoredResult:
    """The result of a run stored in `directory`, as :func:`fundflow.simulate` returned it.

    Parameters
    ----------
    directory : str or Path
        A store (``simulate(..., store=DIR)``), or the ``--out`` directory of
        ``fundflow run`` (which stores into ``DIR/dataset``).
    partial : bool, default False
        Open a run that did not finish: its finished blocks only.

    Returns
    -------
    StoredResult
        A :class:`~fundflow.results.result.SimulationResult`: ``runs``,
        ``routes``, ``summary()``, ``challenges``, ``party_table()``,
        ``provenance``, ``ledger(i)`` (re-simulated), with the numbers of the run
        held in memory. The summary, challenges and party tables read the
        datasets a few columns at a time.

    Raises
    ------
    ConfigError
        If `directory` holds no stored run, one of another schema version, or
        an unfinished run (unless `partial`).

    Examples
    --------
    >>> import fundflow
    >>> res = fundflow.open_run("out")  # doctest: +SKIP
    >>> res.summary().loc["gov_net_cost", "mean"]  # doctest: +SKIP
    """
    store, scenario = read_stored(directory, partial=partial)
    entropy = int(store.manifest["seed_entropy"])

    def rerun(rep: int) -> Any:
        entry = entry_values(scenario, entropy, store.manifest.get("runs"))
        return replicate(EnginePlan.of(scenario), entropy, rep, "simpy", entry).ledger

    return StoredResult(store, scenario, rerun=rerun)


def _record(sc: Scenario, workers: int) -> dict[str, Any]:
    return {
        "scenario_name": sc.name,
        "money_unit": sc.money_unit,
        "scenario_source": jsonable(dict(sc.source)),
        "challenge_names": [c.name for c in sc.challenges],
        "parties": list(PARTIES),
        "exposure_times": exposure_grid(sc).tolist(),
        "workers": workers,
    }


def check_store(
    path: Path, key: dict[str, Any], option: str, *, resume: bool, overwrite: bool
) -> dict[str, Any] | None:
    """The manifest of the run stored in `path` that `key`'s run resumes, if any.

    Without `resume` (and `overwrite`), a store holding an unfinished run, or
    another finished run, is refused; the same finished run (scenario, seed,
    replications and version) is replaced. With `resume`, the stored run must
    have `key` (:func:`~fundflow.results.store.check_key`).

    Raises
    ------
    ConfigError
        Naming `option` and `path`, what the store holds, and how to go on.
    """
    manifest = read_manifest(path)
    if manifest is not None and "blocks" not in manifest and not overwrite:
        raise ConfigError(
            option, str(path),
            "holds a manifest.json that is not a stored run's (the tables of a run? its "
            "stored run is in the dataset folder); choose another directory", truncate=False,
        )  # fmt: skip
    if manifest is None or overwrite:
        return None
    if resume:
        check_key(manifest, key, str(path))
        return manifest
    if all(manifest.get(k) == key[k] for k in _SAME_RUN) and manifest.get("complete"):
        return None
    seed, runs = manifest.get("seed_entropy"), manifest.get("runs")
    cli = option.startswith("--")
    what = (
        f"another run (seed {seed}, {runs} replications); "
        if manifest.get("complete")
        else f"an unfinished run ({len(manifest['blocks'])} blocks done, seed {seed}, {runs} "
        f"replications); pass {'--resume' if cli else 'resume=True'} to finish it, "
    )
    raise ConfigError(
        option, str(path),
        f"holds {what}pass {'--overwrite' if cli else 'overwrite=True'} to replace it, or "
        "choose another directory", truncate=False,
    )  # fmt: skip


def resume_note(path: Path, blocks: list[range], todo: list[tuple[int, range]]) -> str:
    """What a resumed run keeps and computes: ``resuming the run in out/dataset: kept 3 of
    4 blocks (225 replications), computing 1 (75 replications)``."""
    computed = sum(len(b) for _, b in todo)
    kept = sum(len(b) for b in blocks) - computed
    return (
        f"resuming the run in {path}: kept {len(blocks) - len(todo):,} of {len(blocks):,} "
        f"blocks ({kept:,} replications), computing {len(todo):,} ({computed:,} replications)"
    )


def block_tables(
    layout: Layout, names: list[str], grid: np.ndarray, block: _Block
) -> dict[str, dict[str, Any]]:
    """A block's rows of every dataset of the store."""
    reps = np.asarray(block.replications, dtype=np.int64)
    n = reps.size
    routes = {
        "route": np.tile(np.arange(layout.n_routes), n),
        "challenge": np.tile(layout.route_challenge, n),
        **block.routes,
        "replication": np.repeat(reps, layout.n_routes),
    }
    routes["end_review"] = np.asarray(routes["end_review"]).astype(np.int64)
    sums = challenge_sums(layout, block.routes)
    challenges = {
        "replication": np.repeat(reps, len(names)),
        "challenge": np.tile(np.asarray(names, dtype=object), n),
        **{k: v.ravel() for k, v in sums.items()},
    }
    return {
        "runs": {"replication": reps, **block.runs},
        "routes": routes,
        "challenges": challenges,
        "parties": {"replication": reps, **dict(zip(PARTIES, block.net_cash.T, strict=True))},
        "exposure": {
            "replication": reps,
            **{f"{t:g}": col for t, col in zip(grid, np.asarray(block.exposure).T, strict=True)},
        },
        "years": {
            "replication": reps,
            **{
                year_column_name(q, y): block.years[:, j, y]
                for y in range(block.years.shape[2])  # year by year: read in that order
                for j, q in enumerate(YEAR_QUANTITIES)
            },
        },
    }


def run_stored(
    runner: Any,
    sc: Scenario,
    entropy: int,
    directory: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    option: str = "store",
) -> StoredResult:
    """Run ``runner.settings.runs`` replications of `sc` into the store `directory`.

    Without `resume` (and `overwrite`), a directory holding an unfinished run, or
    another finished one, is refused (the same finished run is replaced). With
    `resume`, the stored run must have the same key (scenario, seed,
    replications, block size, version, code) and only its missing blocks, or
    blocks whose files fail their checksum, are computed.

    Raises
    ------
    ConfigError
        Naming `option` (``"--out"`` from the command line) for a directory that
        holds another or an unfinished run, or (`resume`) what differs.
    """
    s = runner.settings
    key = store_key(
        scenario_sha256(sc),
        entropy,
        s.runs,
        s.chunk_size or default_block_size(s.runs),
        s.engine,
    )
    path = Path(directory)
    manifest = check_store(path, key, option, resume=resume, overwrite=overwrite)
    if manifest is None:
        store = Store.create(path, key)
    else:
        store = Store(path, manifest)
        store.remove_temporaries()
    store.manifest.update(_record(sc, runner.workers))
    size = int(key["block_size"])
    done = store.verified_blocks()
    blocks = [range(a, min(a + size, s.runs)) for a in range(0, s.runs, size)]
    todo = [(k, b) for k, b in enumerate(blocks) if k not in done]
    if manifest is not None and s.progress is not False:
        print(resume_note(path, blocks, todo), file=sys.stderr, flush=True)
    layout, names, grid = Layout.of(sc), [c.name for c in sc.challenges], exposure_grid(sc)
    started = time.perf_counter()
    entry = entry_values(sc, entropy, s.runs)  # V(k) once, before the run
    if entry is not None:
        store.manifest["entry"] = entry.to_dict()
    tasks = [(sc, entropy, b, 0, s.engine, entry) for _, b in todo]
    results = runner.map(_run_block, tasks, [len(b) for _, b in todo])
    used = set(store.manifest.get("engines_used", []))
    for (k, _), block in zip(todo, results, strict=True):
        store.write_block(k, block_tables(layout, names, grid, block))
        used.add(block.engine)
    store.manifest["engines_used"] = sorted(used)
    store.manifest["complete"] = True
    store.manifest["elapsed_seconds"] += time.perf_counter() - started
    store.save()
    result = open_run(path)
    warn_unfilled(result)
    return result
