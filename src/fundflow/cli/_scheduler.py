"""``--scheduler``: run a command's blocks of replications on a Dask cluster.

``--scheduler ADDRESS`` connects to a running scheduler (``tcp://host:8786``);
``--scheduler local`` starts a ``LocalCluster`` of ``--workers`` worker processes on
this machine and prints its dashboard's address. The client and any cluster
started live as long as the command (:func:`cluster_session`, entered by
:func:`fundflow.cli.main`). The results are those of a run without it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from fundflow.errors import ConfigError

__all__ = ["CONNECT_TIMEOUT", "cluster_session", "executor"]

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 10.0

INSTALL = 'needs Dask distributed: pip install "fundflow[distributed]"'

_SESSION: ContextVar[ExitStack | None] = ContextVar("fundflow_cluster_session", default=None)


@contextmanager
def cluster_session() -> Iterator[None]:
    """Close, on leaving, the clients and clusters :func:`executor` opened meanwhile."""
    with ExitStack() as stack:
        token = _SESSION.set(stack)
        try:
            yield
        finally:
            _SESSION.reset(token)


def executor(address: str | None, workers: int, quiet: bool) -> Any:
    """The run's executor: ``"processes"``, or a Dask client for ``--scheduler``.

    Raises
    ------
    ConfigError
        When Dask distributed is not installed, or the scheduler cannot be reached.
    """
    if address is None:
        return "processes"
    stack = _SESSION.get()
    if stack is None:  # pragma: no cover - main() always opens a session
        raise RuntimeError("--scheduler outside fundflow.cli.main")
    try:
        import distributed
    except ImportError:
        raise ConfigError("--scheduler", address, INSTALL, show_value=False) from None
    if address == "local":
        return _local(distributed, stack, workers, quiet)
    _check_address(address)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:  # refused, timed out, unresolvable
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(
            f"--scheduler {address}",
            None,
            f"cannot connect within {CONNECT_TIMEOUT:g} s: {reason}",
            show_value=False,
        ) from None
    stack.callback(client.close)
    return client


def _check_address(address: str) -> None:
    """Refuse an address Dask cannot read before a client is made of it."""
    from distributed.comm.addressing import get_address_host_port

    try:
        get_address_host_port(address)
    except ValueError as exc:
        raise ConfigError(
            "--scheduler",
            address,
            f"must be 'local' or a scheduler's address such as tcp://host:8786 ({exc})",
        ) from None


def _local(distributed: Any, stack: ExitStack, workers: int, quiet: bool) -> Any:
    """A ``LocalCluster`` of `workers` single-threaded processes, and its client."""
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: printed below
        silence_logs=logging.ERROR,
    )
    stack.callback(cluster.close)
    client = distributed.Client(cluster, set_as_default=False)
    stack.callback(client.close)
    if not quiet:
        print(
            f"Dask cluster on this machine: {workers} worker process"
            f"{'es' if workers != 1 else ''}, dashboard {cluster.dashboard_link}",
            file=sys.stderr,
            flush=True,
        )
    return client
