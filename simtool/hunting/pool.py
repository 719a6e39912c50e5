"""Where a hunt's runs execute: in this process, a local process pool, or a Dask cluster.

Each run is deterministic and independent, so the results do not depend on where or in what
order they ran; they come back in the order of the jobs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from simtool.errors import SimtoolError

__all__ = ["default_workers", "map_jobs"]

J = TypeVar("J")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def map_jobs(fn: Callable[[J], R], jobs: Sequence[J], *, workers: int = 1, scheduler: str | None = None) -> list[R]:
    """``[fn(job) for job in jobs]``, run in-process (``workers`` 1), in a process pool, or on Dask.

    ``fn`` and the jobs must pickle for a pool or a cluster: module-level functions do.
    """
    if scheduler:
        return _dask(fn, jobs, scheduler)
    if workers < 1:
        raise SimtoolError(f"--workers must be >= 1 (found {workers})")
    if workers == 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    chunk = max(1, len(jobs) // (workers * 4))
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=_context()) as pool:
        return list(pool.map(fn, jobs, chunksize=chunk))


def _context() -> Any:
    # forkserver: workers fork from a clean server that imported simtool once, never from a
    # process that may run threads (a progress display, a Dask client); spawn where it is missing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["simtool.hunting.hunt"])
        return context
    return multiprocessing.get_context("spawn")


def _dask(fn: Callable[[J], R], jobs: Sequence[J], address: str) -> list[R]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise SimtoolError(f"--scheduler needs dask.distributed: {exc}") from None
    try:
        client = Client(address, timeout=30)
    except OSError as exc:
        raise SimtoolError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        futures = client.map(fn, list(jobs), pure=False)
        return list(client.gather(futures))
