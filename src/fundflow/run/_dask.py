"""A ``dask.distributed.Client`` as the runner's executor: tasks on a Dask cluster.

:class:`~fundflow.run.montecarlo.Runner` hands its tasks to any object with
``submit``; a ``Client`` is recognised (:func:`adapt`) and wrapped in
:class:`ClientExecutor`, which

* sends each scenario to the cluster once (``client.scatter``, to every worker)
  and passes the tasks a reference to it, so a block's task carries only its
  seed and replication numbers;
* submits the tasks as impure (``pure=False``: no hashing of the arguments);
* sizes the work in flight from the cluster's threads (``client.nthreads()``),
  read again every few seconds, so that workers joining a cluster that is still
  starting (a batch system's jobs) get work too.

The results are those of any other executor: a block's numbers depend only on
the scenario, the seed and its replications. This module does not import dask:
a ``Client`` passed in is recognised by its class, so the base install and
``import fundflow`` are unchanged.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fundflow.scenario.config import Scenario

__all__ = ["ClientExecutor", "adapt", "is_client"]

#: Scenarios kept on the cluster at once (a sweep's design points go in order).
_KEPT = 32
#: Seconds between two readings of the cluster's threads.
_REREAD = 2.0


def is_client(obj: object) -> bool:
    """Whether `obj` is a ``distributed.Client`` (or a subclass), without importing dask."""
    return any(
        c.__name__ == "Client" and c.__module__.split(".")[0] == "distributed"
        for c in type(obj).__mro__
    )


def adapt(executor: object) -> ClientExecutor | None:
    """`executor` wrapped as a :class:`ClientExecutor` if it is a Dask client, else None."""
    return ClientExecutor(executor) if is_client(executor) else None


class ClientExecutor:
    """Submits the runner's tasks to a Dask cluster through `client`.

    Parameters
    ----------
    client : distributed.Client
        A connected client; used, never closed.

    Attributes
    ----------
    threads : int
        The cluster's threads when the run starts (at least 1).
    scattered : int
        How many scenarios were sent to the cluster.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.threads = self._live = self._count()
        self._read = time.monotonic()
        self.scattered = 0
        self._kept: OrderedDict[int, tuple[Scenario, Any]] = OrderedDict()

    def _count(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def live_threads(self) -> int:
        """The cluster's threads now (read at most every ``_REREAD`` seconds)."""
        if time.monotonic() - self._read > _REREAD:
            self._live = self._count()
            self._read = time.monotonic()
        return self._live

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """``fn(*args)`` on the cluster; a scenario among `args` goes by reference."""
        return self.client.submit(fn, *map(self._reference, args), pure=False)

    def _reference(self, arg: Any) -> Any:
        if not isinstance(arg, Scenario):
            return arg
        kept = self._kept.get(id(arg))
        if kept is None:
            future = self.client.scatter(arg, broadcast=True, hash=False)
            kept = self._kept[id(arg)] = (arg, future)  # arg held: its id stays its own
            self.scattered += 1
            if len(self._kept) > _KEPT:  # tasks already submitted keep theirs alive
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(id(arg))
        return kept[1]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Release the scenarios sent to the cluster (the client stays open)."""
        self._kept.clear()
