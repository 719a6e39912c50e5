"""Where cells run: in this process, on threads of this process, in a local process pool, or on a
Dask distributed cluster.

An executor takes units of work and yields each one's result as it completes (in any
order): ``imap(fn, items)`` for any picklable module-level function (a hunt's seeds use it),
``map(batches, out_dir)`` for a sweep's batches of cells. At most ``window`` units are in
flight, so memory stays flat however many there are: nothing but the pending units and their
results is held. Results do not depend on the executor (``simtool.sweeps.execute``), only
their order of arrival does. A pool is started once, when the executor is made, and serves
every ``imap``/``map`` until ``close``; closing an ``imap`` early (an interrupted hunt)
cancels the units not yet started.

Threads (``ThreadPool``, ``--threads N``) are for I/O-bound cells, a model behind an HTTP API:
the cells share one process, its caches and its interpreter lock, and spend their time
waiting on the network. Each unit runs in a copy of the submitting thread's context
(``contextvars``: raised limits, files beside a spec). CPU-bound cells gain nothing there
(one interpreter lock): they use processes. ``shared_pool(n)`` is one process pool per size
for the whole process, started on first use and reused by every hunt that asks for it.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import itertools
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures import Executor as FuturesExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from simtool.errors import SimtoolError
from simtool.sweeps.cells import Cell
from simtool.sweeps.execute import run_batch

__all__ = ["Executor", "InProcess", "ThreadPool", "LocalPool", "DaskCluster", "Batch", "make_executor", "shared_pool",
           "on_threads", "PRELOAD"]

Batch = Sequence[Cell]
Rows = list[dict[str, Any]]
T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    workers: int

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn(item)`` of each item, yielded as each completes (any order)."""
        ...

    def map(self, batches: Iterable[Batch], out_dir: str | None) -> Iterator[Rows]:
        """Each batch's rows as it completes."""
        ...

    def close(self) -> None: ...


def _batch_work(out_dir: str | None) -> Callable[[Batch], Rows]:
    return functools.partial(run_batch, out_dir=out_dir)


class InProcess:
    """One worker: the work runs here, one unit after another."""

    workers = 1

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    def map(self, batches: Iterable[Batch], out_dir: str | None) -> Iterator[Rows]:
        return self.imap(_batch_work(out_dir), batches)

    def close(self) -> None:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid exists (reused by another user's process: rare, and harmless to wait on)
        return True
    try:  # a dead sweep not yet reaped by its shell is a zombie: gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _exit_with_sweep(sweep: int) -> None:
    """Pool worker initializer: a worker whose sweep died (SIGKILL leaves it no chance to stop its
    pool) exits too, instead of waiting forever for work. The sweep is watched by pid: a worker's
    parent is the forkserver, which outlives the sweep while any worker lives."""

    def watch() -> None:
        while _alive(sweep):
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-sweep", daemon=True).start()


PRELOAD = ["__main__", "simtool.sweeps.warm"]  # what the forkserver imports (and warms) once, before any worker forks from it


def _pool_context() -> Any:
    # fork, on Linux while this process runs no thread but its main one: the workers start at once
    # with everything this process has imported and parsed (a forkserver first imports simtool
    # again, about a second, which is most of a short hunt: 2 workers were 1.1x faster than 1 from
    # the command line); the pool then forks every worker at once, before any thread starts.
    # Else forkserver: workers fork from a clean server that has imported simtool once and warmed
    # its caches (simtool.sweeps.warm), and no fork of a process that runs threads (a notebook's,
    # the progress display); spawn where neither exists
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _windowed(pool: FuturesExecutor, window: int, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``fn(item)`` for each item on ``pool``, at most ``window`` in flight, yielded as each completes."""
    source = iter(items)
    pending: set[Future[R]] = {pool.submit(fn, item) for item in itertools.islice(source, window)}
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                item = next(source, None)
                if item is not None:
                    pending.add(pool.submit(fn, item))
                yield future.result()
    finally:  # stopped early (interrupted, or the consumer gave up): drop what has not started
        for future in pending:
            future.cancel()


class LocalPool:
    """``workers`` processes on this machine."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise SimtoolError(f"--workers must be >= 1 (found {workers})")
        self.workers = workers
        context = _pool_context()
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                         initializer=_exit_with_sweep, initargs=(os.getpid(),))
        if context.get_start_method() == "fork":
            # a fork pool forks all its workers at its first task: now, while no other thread runs
            self._pool.submit(os.getpid).result()

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return _windowed(self._pool, 2 * self.workers, fn, items)

    def map(self, batches: Iterable[Batch], out_dir: str | None) -> Iterator[Rows]:
        return self.imap(_batch_work(out_dir), batches)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Shared(LocalPool):
    """A process pool that outlives its users: ``close`` leaves it running for the next one."""

    def close(self) -> None:
        pass

    def stop(self) -> None:
        super().close()


_shared: dict[int, _Shared] = {}
_shared_lock = threading.Lock()


def shared_pool(workers: int) -> LocalPool:
    """This process's pool of ``workers`` processes, started on first use and kept until the
    process exits (or a worker dies: then the next call starts a fresh one). Hunts use it, so
    that the hunts of one session (a notebook, a benchmark, a test run) start their workers
    once: a worker keeps its parsed worlds and loaded plug-ins from one hunt to the next.
    ``close`` on it does nothing."""
    with _shared_lock:
        pool = _shared.get(workers)
        if pool is not None and getattr(pool._pool, "_broken", False):
            pool.stop()
            pool = None
        if pool is None:
            pool = _shared[workers] = _Shared(workers)
        return pool


@atexit.register
def _stop_shared() -> None:
    with _shared_lock:
        for pool in _shared.values():
            pool.stop()
        _shared.clear()


class ThreadPool:
    """``workers`` threads of this process: for cells that wait on the network (an LLM policy).

    At most ``2 * workers`` units are in flight. Each unit runs in a copy of the context of the
    thread that called ``imap``, so context variables set there (``simtool.limits``,
    ``simtool.trust.files_beside``) hold in the worker threads too. On ``close`` (and on an
    interrupted ``imap``) units not yet started are dropped and those running finish first:
    a thread cannot be stopped halfway through a run.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise SimtoolError(f"--threads must be >= 1 (found {workers})")
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="simtool-cell")

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        context = contextvars.copy_context()

        def in_context(item: T) -> R:
            return context.copy().run(fn, item)

        return _windowed(self._pool, 2 * self.workers, in_context, items)

    def map(self, batches: Iterable[Batch], out_dir: str | None) -> Iterator[Rows]:
        return self.imap(_batch_work(out_dir), batches)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def on_threads(fn: Callable[[T], R], items: Sequence[T], threads: int | None) -> list[R]:
    """``fn`` of each item, in the items' order: on ``threads`` threads (None or 1: here, one by one)."""
    if threads is None or threads <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    pool = ThreadPool(min(threads, len(items)))
    try:
        indexed = list(pool.imap(lambda pair: (pair[0], fn(pair[1])), enumerate(items)))
    finally:
        pool.close()
    return [result for _, result in sorted(indexed, key=lambda pair: pair[0])]


class DaskCluster:
    """Cells on a Dask distributed cluster: an existing scheduler (``address``) or a LocalCluster
    of ``local_workers`` processes (``processes=False``: threads of this process)."""

    def __init__(self, address: str | None = None, *, local_workers: int | None = None, processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise SimtoolError(f"Dask is not available ({exc}); install dask[distributed]") from None
        self._cluster = None
        if address is None:
            n = local_workers or 1
            if n < 1:
                raise SimtoolError(f"--dask-local must be >= 1 (found {n})")
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(address, timeout="10s")
            except OSError as exc:
                raise SimtoolError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        info = self._client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        from distributed import as_completed

        window = 2 * self.workers
        source = iter(items)
        first = [self._client.submit(fn, item, pure=False) for item in itertools.islice(source, window)]
        completed = as_completed(first)
        try:
            for future in completed:
                item = next(source, None)
                if item is not None:
                    completed.add(self._client.submit(fn, item, pure=False))
                result = future.result()
                future.release()
                yield result
        finally:  # stopped early: cancel what is still queued on the cluster
            for future in list(completed.futures):
                future.cancel()

    def map(self, batches: Iterable[Batch], out_dir: str | None) -> Iterator[Rows]:
        return self.imap(_batch_work(out_dir), batches)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                  threads: int | None = None) -> Executor:
    """The executor the command line asks for (one of the four; none: one worker, in this process)."""
    chosen = [name for name, value in (("--workers", workers), ("--threads", threads), ("--scheduler", scheduler),
                                       ("--dask-local", dask_local)) if value is not None]
    if len(chosen) > 1:
        raise SimtoolError(f"choose one executor: {' or '.join(chosen)}")
    if threads is not None:
        return ThreadPool(threads)
    if scheduler is not None:
        return DaskCluster(scheduler)
    if dask_local is not None:
        return DaskCluster(local_workers=dask_local)
    n = workers if workers is not None else 1
    return InProcess() if n == 1 else LocalPool(n)
