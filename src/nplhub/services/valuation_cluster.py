"""Where the distributed valuation runs: a Dask scheduler address, or `local:N` for a cluster of N
single-threaded worker processes on this machine.

One worker setting matters for the engine. Dask's nanny starts every worker with
`MALLOC_TRIM_THRESHOLD_=65536` (config `distributed.nanny.pre-spawn-environ`), to hand freed memory
back to the system. Setting that variable switches off glibc's dynamic mmap threshold, so every
large numpy temporary (the Monte Carlo allocates many, block after block) becomes a fresh `mmap`
whose pages fault in again on first touch. Measured on this project's 2-core machine, one process
valuing the same loans: Monte Carlo 14.6-17.8 s with the variable, 9.3-10.3 s without; routes
3.9-4.1 s against 2.6-3.0 s. The local cluster here starts its workers without it; for a remote
cluster, `worker_warnings` says which workers still have it, and docs/valuation.md how to unset it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nplhub.domain.errors import DomainError

LOCAL = "local:"
TRIM_VARIABLE = "MALLOC_TRIM_THRESHOLD_"
# None unsets a pre-spawn variable (distributed.nanny._get_env_variables)
WORKER_CONFIG: dict[str, Any] = {f"distributed.nanny.pre-spawn-environ.{TRIM_VARIABLE}": None}


class ClusterWarning(UserWarning):
    """The Dask cluster will work, but slower than it could (see `worker_warnings`)."""


def local_workers(address: str) -> int | None:
    """N for an address `local:N`, None for a scheduler address; a bad N is a DomainError."""
    if not address.startswith(LOCAL):
        return None
    text = address[len(LOCAL):]
    if not text.isdigit() or int(text) < 1:
        raise DomainError(f"{address!r}: a local cluster is written local:N with N a whole number of workers, "
                          "at least 1 (e.g. local:2)")
    return int(text)


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A `distributed.Client` of the scheduler at `address`, or of a fresh local cluster for `local:N`
    (N single-threaded worker processes, no dashboard), closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    workers = local_workers(address)
    if workers is None:
        with Client(address) as client:
            yield client
        return
    # A nanny also writes its pre-spawn variables into this process's environment, where every
    # later worker process inherits them: an earlier cluster in this process leaves the variable
    # set. It is taken out while this cluster lives.
    inherited = os.environ.pop(TRIM_VARIABLE, None)
    try:
        with dask.config.set(WORKER_CONFIG), LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                memory_limit=0) as cluster, Client(cluster) as client:
            yield client
    finally:
        if inherited is not None:
            os.environ[TRIM_VARIABLE] = inherited


def _trim_setting() -> str | None:
    return os.environ.get(TRIM_VARIABLE)


def worker_warnings(client: Any) -> list[str]:
    """One sentence per worker that runs with MALLOC_TRIM_THRESHOLD_ set (slower valuation)."""
    settings = client.run(_trim_setting)
    return [f"Dask worker {worker} runs with {TRIM_VARIABLE}={value}: the valuation's large arrays are then "
            "re-mapped on every allocation (about 1.5x slower); see docs/valuation.md"
            for worker, value in sorted(settings.items()) if value is not None]
