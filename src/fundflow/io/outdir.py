"""The ``--out`` directory of a command: one run's results, never a mix of runs.

Before any work starts, :func:`out_dir`

* creates the directory if missing and checks that it can be written;
* removes temporary files that an interrupted run left behind (killed while
  writing), and says so;
* reads ``manifest.json`` if there is one: a directory holding the results of
  the *same* run (same command, scenario, seed, replications and fundflow
  version, recorded as the manifest's ``run_key``) is replaced; one holding
  another run's results, or results without a manifest, is refused unless
  ``--overwrite`` is given.

When the work fails or is interrupted, the files this run had already written
are removed (and the directories it created, if empty), so what is left is the
directory as it was. When it succeeds, files of the previous run that the new
manifest does not list are removed.
"""

from __future__ import annotations

import errno
import json
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fundflow.errors import ConfigError

__all__ = ["ENVIRONMENT_ERRNOS", "is_environment_error", "out_dir", "run_key"]

MANIFEST = "manifest.json"

#: Names fundflow writes into ``--out`` (tables in every format, ledgers, figures).
_RESULT = re.compile(
    r"^(?:(?:summary|challenges|parties|runs|routes|party_totals|comparison|sweep|results"
    r"|ledger_\d+)\.(?:csv|xlsx|parquet|md|tex)|[\w-]*\.png)$"
)
#: Temporary names of files being written (atomic writes, the Excel layout, the probe).
_TEMPORARY = re.compile(r"^\..+\.(?:part|layout)$|^\.fundflow-probe\.")

#: Errors of the user's environment rather than of fundflow: exit status 2.
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)


def is_environment_error(exc: OSError) -> bool:
    """A full disk, a quota, a read-only or forbidden place: the user's to fix."""
    if exc.errno in ENVIRONMENT_ERRNOS:
        return True
    text = str(exc).lower()  # pyarrow's errors carry the reason only in the text
    return "no space left" in text or "disk quota" in text


@contextmanager
def out_dir(
    directory: str | None, run_key: Mapping[str, Any], *, overwrite: bool = False
) -> Iterator[Path | None]:
    """Prepare ``--out`` for the run `run_key`; undo this run's writes if the block fails.

    Raises
    ------
    ConfigError
        If the directory cannot be written, or holds another run's results and
        `overwrite` is false.
    """
    if directory is None:
        yield None
        return
    from fundflow.io.export import prepare_directory

    path = Path(directory)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    if path.is_dir():
        _check_previous(path, run_key, overwrite)
    previous = _read_manifest(path) if path.is_dir() else None
    prepared = prepare_directory(path, option="--out")
    _remove_temporaries(prepared)
    before = _snapshot(prepared)
    try:
        yield prepared
    except BaseException:
        _undo(prepared, before, previous, missing)
        raise
    _remove_stale(prepared, previous)


def _check_previous(path: Path, run_key: Mapping[str, Any], overwrite: bool) -> None:
    if overwrite:
        return
    how = "pass --overwrite to replace them, or choose another --out"
    manifest = _read_manifest(path)
    if manifest is None:
        found = sorted(p.name for p in path.iterdir() if _RESULT.match(p.name))
        if found:
            shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
            raise ConfigError(
                "--out",
                str(path),
                f"holds results without a {MANIFEST} ({shown}: an interrupted run, or "
                f"files from elsewhere); {how}",
                truncate=False,
            )
        return
    old_key = manifest.get("run_key")
    if old_key == _jsonable(run_key) and run_key.get("seed") is not None:
        return  # the same run again: its files are replaced
    raise ConfigError(
        "--out", str(path), f"holds the results of another run ({_describe(manifest)}); {how}",
        truncate=False,
    )  # fmt: skip


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _describe(manifest: Mapping[str, Any]) -> str:
    """``'fundflow run of open-competition, seed 1, 20 replications'``, from a manifest."""
    command = manifest.get("command")
    what = " ".join(command[:2]) if isinstance(command, list) and command else "a run"
    parts = [what]
    scenario = manifest.get("scenario") or manifest.get("scenario_a")
    if isinstance(scenario, Mapping) and scenario.get("name"):
        parts.append(f"of {scenario['name']}")
    text = " ".join(parts)
    if manifest.get("seed_entropy") is not None:
        text += f", seed {manifest['seed_entropy']}"
    if manifest.get("runs") is not None:
        text += f", {manifest['runs']:,} replications"
    return text


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _remove_temporaries(path: Path) -> None:
    """Delete temporary files a killed run left; say which."""
    removed = []
    for p in sorted(path.iterdir()):
        if _TEMPORARY.match(p.name) and p.is_file():
            try:
                p.unlink()
            except OSError:
                continue
            removed.append(p.name)
    if removed:
        shown = ", ".join(removed[:3]) + (", ..." if len(removed) > 3 else "")
        print(
            f"note: removed {len(removed)} temporary file{'s' if len(removed) != 1 else ''} "
            f"left in {path} by an interrupted run ({shown})",
            file=sys.stderr,
        )


def _snapshot(path: Path) -> dict[str, tuple[int, int]]:
    """Each file's (inode, modification time), to tell what this run wrote."""
    out = {}
    for p in path.iterdir():
        try:
            st = p.stat()
        except OSError:
            continue
        out[p.name] = (st.st_ino, st.st_mtime_ns)
    return out


def _undo(
    path: Path,
    before: dict[str, tuple[int, int]],
    previous: Mapping[str, Any] | None,
    missing: list[Path],
) -> None:
    """Remove what this run wrote; drop an old manifest whose files were replaced."""
    try:
        after = _snapshot(path)
    except OSError:
        return
    changed = [n for n, stamp in after.items() if n in before and before[n] != stamp]
    for name in after:
        if name not in before and (path / name).is_file():
            (path / name).unlink(missing_ok=True)
    if previous is not None and changed and MANIFEST not in changed:
        (path / MANIFEST).unlink(missing_ok=True)  # it no longer describes the files
    for p in missing:  # deepest first; only directories this run made, if now empty
        try:
            p.rmdir()
        except OSError:
            break


def _remove_stale(path: Path, previous: Mapping[str, Any] | None) -> None:
    """After a successful run: delete the previous run's files the new manifest omits."""
    if previous is None:
        return
    current = _read_manifest(path)
    if current is None:
        return
    keep = {f.get("name") for f in current.get("files", []) if isinstance(f, Mapping)}
    keep.add(MANIFEST)
    for entry in previous.get("files", []):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name not in keep and name == Path(name).name:
            (path / name).unlink(missing_ok=True)


def run_key(
    command: str, scenarios: list[Any], seed: int | None, **settings: Any
) -> dict[str, Any]:
    """What identifies a run's results: the command, scenarios' content, seed and settings.

    Two runs with equal keys and a given seed write the same numbers; the key is
    stored in the manifest. A fresh seed (``None``) never matches.
    """
    from fundflow._version import __version__
    from fundflow.io.export import scenario_record

    return {
        "command": command,
        "fundflow_version": __version__,
        "scenarios_sha256": [scenario_record(s, None)["source_sha256"] for s in scenarios],
        "seed": seed,
        **settings,
    }
