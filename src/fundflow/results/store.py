"""A run stored on disk as it is computed: Parquet datasets and a manifest of blocks.

Layout of a store directory (``simulate(..., store="out/dataset")``; the command
``fundflow run --out DIR`` stores into ``DIR/dataset``)::

    manifest.json                 the run and its finished blocks (rewritten after each)
    runs/part-000000.parquet      one row per replication (the runs table)
    routes/part-000000.parquet    one row per replication x route (the routes table)
    challenges/part-000000.parquet  per replication and challenge name, the sums the
                                  challenges table is computed from (``challenge_sums``)
    parties/part-000000.parquet   net cash by party, one row per replication
    exposure/part-000000.parquet  the government's exposure path, one row per replication
    years/part-000000.parquet     its money by budget year (``budget_cash_0``, ...), one
                                  row per replication (``budget_by_year``)

Block ``k`` holds replications ``k * block_size`` up to the next block's first. Each
part file is written under a temporary name and renamed when complete; the block
enters the manifest (its replications, rows and the SHA-256 of its files) only once
all its files are in place, and the manifest itself is replaced atomically. So a
run killed at any moment leaves finished blocks that a resumed run keeps, and no
half-written file under a final name. The manifest also records what made the
numbers (scenario hash, seed, replications, block size, fundflow version, a
schema version and a fingerprint of fundflow's code); a resumed run must match
every one of them (:func:`check_key`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fundflow._version import __version__
from fundflow.errors import ConfigError

__all__ = [
    "DATASETS",
    "MANIFEST",
    "SCHEMA_VERSION",
    "Store",
    "check_key",
    "code_fingerprint",
    "store_key",
]

#: The layout of the store's files; a store of another schema is not read or resumed.
SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
DATASETS = ("runs", "routes", "challenges", "parties", "exposure", "years")

#: The manifest entries a resumed run must match, with the words that name them.
KEY_FIELDS = {
    "scenario_sha256": "the scenario (hash of its validated content)",
    "seed_entropy": "the seed",
    "runs": "the number of replications",
    "block_size": "the block size",
    "fundflow_version": "the fundflow version",
    "schema_version": "the store's schema version",
    "code_fingerprint": "fundflow's code (fingerprint of its sources)",
    "engine": "the engine (compiled or simpy)",
}


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of fundflow's Python sources (paths and contents): what made the numbers."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def store_key(
    scenario_sha256: str, entropy: int, runs: int, block_size: int, engine: str = "compiled"
) -> dict[str, Any]:
    """The identity of a stored run (:data:`KEY_FIELDS`)."""
    return {
        "scenario_sha256": scenario_sha256,
        "seed_entropy": int(entropy),
        "runs": int(runs),
        "block_size": int(block_size),
        "fundflow_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "code_fingerprint": code_fingerprint(),
        "engine": engine,
    }


def check_key(manifest: Mapping[str, Any], key: Mapping[str, Any], where: str) -> None:
    """Refuse to resume the stored run of `manifest` as the run `key` if they differ.

    Raises
    ------
    ConfigError
        Naming the first entry that differs and both values.
    """
    for name, words in KEY_FIELDS.items():
        if manifest.get(name) != key[name]:
            raise ConfigError(
                "--resume",
                where,
                f"holds a run that cannot be resumed as this one: {words} differs "
                f"({name} {manifest.get(name)!r} stored, {key[name]!r} now); run with the "
                "stored settings, pass --overwrite to start again, or choose another directory",
                truncate=False,
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The store manifest in directory `path`, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class Store:
    """A store directory being written or read (see the module's description).

    Parameters
    ----------
    path : Path
        The directory.
    manifest : dict
        Its manifest: the run's key and record, and ``blocks``.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest
        self._schemas: dict[tuple[str, int], Any] = {}

    # ------------------------------------------------------------------ writing

    @classmethod
    def create(cls, path: Path, record: Mapping[str, Any]) -> Store:
        """A new, empty store in `path` (anything stored there before is removed)."""
        clear(path)
        path.mkdir(parents=True, exist_ok=True)
        for name in DATASETS:
            (path / name).mkdir(exist_ok=True)
        store = cls(path, {**record, "complete": False, "elapsed_seconds": 0.0, "blocks": []})
        store.save()
        return store

    def save(self) -> None:
        """Write the manifest (atomically)."""
        _write_json(self.path / MANIFEST, self.manifest)

    def part(self, dataset: str, index: int) -> Path:
        """The part file of block `index` in `dataset`."""
        return self.path / dataset / f"part-{index:06d}.parquet"

    def write_block(self, index: int, tables: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Write block `index`'s tables (dataset name to columns), then record the block."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        digests, rows = {}, {}
        for name in DATASETS:
            final = self.part(name, index)
            tmp = final.with_name(f".{final.name}.tmp")
            table = pa.table({k: np.asarray(v) for k, v in tables[name].items()})
            pq.write_table(table, tmp)
            os.replace(tmp, final)
            digests[name], rows[name] = _sha256(final), table.num_rows
        # Arrow's allocator keeps what writing took for later (some 70 MB after a few
        # blocks of 1,000 replications, with mimalloc): give back what it can
        pa.default_memory_pool().release_unused()
        replications = np.asarray(tables["runs"]["replication"])
        entry = {
            "index": index,
            "start": int(replications[0]),
            "stop": int(replications[-1]) + 1,
            "rows": rows,
            "sha256": digests,
        }
        blocks = [b for b in self.manifest["blocks"] if b["index"] != index]
        self.manifest["blocks"] = sorted([*blocks, entry], key=lambda b: b["index"])
        self.save()

    def verified_blocks(self) -> set[int]:
        """Blocks whose part files are all present with their recorded SHA-256.

        A block that fails is dropped from the manifest (to be computed again).
        """
        good, kept = set(), []
        for block in self.manifest.get("blocks", []):
            k = int(block["index"])
            files = [(self.part(n, k), block["sha256"].get(n)) for n in DATASETS]
            if all(p.is_file() and _sha256(p) == digest for p, digest in files):
                good.add(k)
                kept.append(block)
        if len(kept) != len(self.manifest.get("blocks", [])):
            self.manifest["blocks"] = kept
            self.save()
        return good

    def remove_temporaries(self) -> None:
        """Delete part files a killed run left under their temporary names."""
        for name in DATASETS:
            folder = self.path / name
            if folder.is_dir():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading

    def files(self, dataset: str) -> list[Path]:
        """The part files of `dataset`, in the order of the replications."""
        return [self.part(dataset, int(b["index"])) for b in self.manifest["blocks"]]

    def schema(self, dataset: str) -> Any:
        """The Arrow schema of `dataset`: its part files' schemas unified.

        A money column is ``int64`` zeros in a block where no payment of its kind
        happened (as a run in memory has it) and floats elsewhere; read together,
        such a column is float, as NumPy concatenates it.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        key = (dataset, len(self.manifest["blocks"]))
        if key not in self._schemas:
            schemas = [pq.read_schema(p) for p in self.files(dataset)]
            self._schemas[key] = pa.unify_schemas(schemas, promote_options="permissive")
        return self._schemas[key]

    def columns(self, dataset: str) -> list[str]:
        """The column names of `dataset`."""
        return list(self.schema(dataset).names) if self.manifest["blocks"] else []

    def column(self, dataset: str, name: str) -> np.ndarray:
        """One column of `dataset`, every replication, as a NumPy array."""
        return self.table(dataset, [name])[name]

    def table(self, dataset: str, names: list[str]) -> dict[str, np.ndarray]:
        """Columns `names` of `dataset`, read in one pass over the part files into NumPy
        arrays (so no more than the arrays and one block's columns are in memory at once)."""
        schema = self.schema(dataset)
        total = sum(int(b["rows"][dataset]) for b in self.manifest["blocks"])
        out = {n: np.empty(total, dtype=schema.field(n).type.to_pandas_dtype()) for n in names}
        at = 0
        for part in self.parts(dataset, names):
            for n in names:
                out[n][at : at + part.num_rows] = part.column(n).to_numpy()
            at += part.num_rows
        return out

    def parts(self, dataset: str, names: list[str]) -> Iterator[Any]:
        """Columns `names` of `dataset` as Arrow tables, one per block, in the dataset's
        types (:meth:`schema`); only these columns are read from each part file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self.schema(dataset)
        types = [schema.field(n).type for n in names]
        for path in self.files(dataset):
            part = pq.ParquetFile(path).read(columns=names, use_threads=False)
            columns = [part.column(n).cast(t) for n, t in zip(names, types, strict=True)]
            yield pa.table(dict(zip(names, columns, strict=True)))

    def matrix(self, dataset: str, names: list[str]) -> np.ndarray:
        """Columns `names` of `dataset` side by side, shape (rows, len(names)), as floats."""
        columns = self.table(dataset, names)
        out = np.empty((len(columns[names[0]]) if names else 0, len(names)))
        for j, name in enumerate(names):
            out[:, j] = columns.pop(name)
        return out

    def column_parts(self, dataset: str, name: str) -> Iterator[np.ndarray]:
        """One column of `dataset`, part file by part file (in the order of the
        replications), each as a NumPy array of the column's unified type."""
        import pyarrow.parquet as pq

        field = self.schema(dataset).field(name)
        for path in self.files(dataset):
            part = pq.read_table(path, columns=[name], use_threads=False)
            yield part.column(name).cast(field.type).to_numpy()

    def batches(self, dataset: str) -> Iterator[Any]:
        """`dataset` as Arrow tables, one per block."""
        import pyarrow.parquet as pq

        schema = self.schema(dataset)
        for path in self.files(dataset):
            yield pq.read_table(path).cast(schema)


def clear(path: Path) -> None:
    """Remove a store's files from `path` (its datasets' part files and its manifest)."""
    for name in DATASETS:
        folder = path / name
        if folder.is_dir():
            for p in folder.iterdir():
                if p.is_file() and p.name.endswith((".parquet", ".tmp")):
                    p.unlink()
            try:
                folder.rmdir()
            except OSError:
                pass  # files of someone else's: left alone
    (path / MANIFEST).unlink(missing_ok=True)
