"""SIGTERM handled like Ctrl-C: the same clean-up, then exit status 143.

While :func:`terminate_as_interrupt` is active, SIGTERM raises :class:`Terminated`
(a ``KeyboardInterrupt``) in the main thread, so every ``finally`` and every
``except BaseException`` that removes a temporary file runs, as it does for Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Terminated", "terminate_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration of the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
