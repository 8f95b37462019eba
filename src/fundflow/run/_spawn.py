"""Worker pools and scripts without an ``if __name__ == "__main__":`` guard.

A ``spawn`` worker starts by re-running the main script. If the script starts the
pool from its top level, unguarded, each worker would start a pool of its own:
Python refuses, the workers die and the caller gets ``BrokenProcessPool``. So
before a pool is started, :func:`unguarded_caller` looks for the script's
top-level line that led to the call; if it is not inside the guard, the work runs
in this process (:class:`InProcessPool`) with one warning saying what to add.
Results do not depend on the number of processes.

A pool process also watches its parent (:func:`watch_parent`, the pool's
initializer): if the parent dies without shutting the pool down (``kill -9``, the
out-of-memory killer), the process exits within a second instead of waiting
forever on a pipe nobody reads, holding its memory.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from typing import Any

__all__ = [
    "GUARD_ADVICE",
    "InProcessPool",
    "unguarded_caller",
    "warn_in_process",
    "watch_parent",
]

#: What a script that uses several workers needs.
GUARD_ADVICE = (
    "a script that uses workers > 1 must run fundflow under "
    "'if __name__ == \"__main__\":' (worker processes re-run the script's top level)"
)


def unguarded_caller() -> tuple[str, int] | None:
    """``(file, line)`` of the main script's unguarded top-level line on the call stack.

    ``None`` when there is no main script (a notebook, ``python -c``, the REPL),
    when the call comes from inside ``if __name__ == "__main__":``, or when the
    script's source cannot be read.

    Raises
    ------
    SystemExit
        In a worker process that is re-running the script's top level (spawn
        imports it as ``__mp_main__``): such a worker could only fail.
    """
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            if frame.f_globals.get("__name__") == "__mp_main__":
                # a worker re-running the unguarded script could only fail: stop it
                # quietly (the caller's pool breaks and its blocks run in the caller)
                raise SystemExit(3)
            frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not isinstance(path, str):
        return None
    for frame in frames:
        if frame.f_globals is main.__dict__:
            guarded = _guarded_lines(path)
            lineno = frame.f_lineno
            if guarded is None or any(a <= lineno <= b for a, b in guarded):
                return None
            return path, lineno
    return None


@cache
def _guarded_lines(path: str) -> tuple[tuple[int, int], ...] | None:
    """Line ranges of the bodies of top-level ``if __name__ == "__main__":`` blocks."""
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    out = []
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            out.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))
    return tuple(out)


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and consts == ["__main__"]


def warn_in_process(where: tuple[str, int], processes: int) -> None:
    """One warning, attributed to the script's line, that the pool runs in this process."""
    warnings.warn_explicit(
        f"{processes + 1} workers requested from the top level of a script: running "
        f"in this process instead (same results); {GUARD_ADVICE}",
        RuntimeWarning,
        filename=where[0],
        lineno=where[1],
        module="__main__",
    )


#: Seconds between two looks of a pool process at its parent.
WATCH_INTERVAL = 0.5


def watch_parent(parent: int) -> None:
    """In a pool process: exit as soon as the process `parent` is gone.

    Starts a daemon thread that looks every :data:`WATCH_INTERVAL` seconds whether
    this process's parent is still `parent` (an orphan is adopted by another
    process) and, if not, ends this process at once (``os._exit``: nothing is left
    to hand results to). It runs while the main thread simulates or is blocked
    writing a result to the pipe.
    """
    if os.getppid() != parent:  # gone before this process got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="fundflow-watch-parent", daemon=True).start()


class InProcessPool(ProcessPoolExecutor):
    """A stand-in for a process pool that runs each task when it is submitted."""

    def __init__(self) -> None:  # no processes, no queues
        self._shutdown_flag = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered through the future, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown_flag = True
