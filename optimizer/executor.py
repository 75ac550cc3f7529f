"""One interface for running independent jobs (variants, budget points, regions, re-solves): in this
process, on a local process pool, or on a Dask cluster. Every kind returns results in the order of the
jobs, so tables built from them are the same whichever kind ran them.

>>> with make_executor("pool") as ex:
...     out = ex.map(square, [1, 2, 3])
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

KINDS = ("inprocess", "pool", "dask")

Progress = Callable[[int, int], None]  # (done, total)
Done = Callable[[int], None]  # the position of a job that has just finished


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class Executor(Protocol):
    kind: str

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        progress: Progress | None = None,
        on_done: Done | None = None,
    ) -> list[R]:
        """``[fn(item) for item in items]``, in order; ``progress(done, total)`` after each job, and
        ``on_done(k)`` with the position of the job that finished (jobs of unequal size)."""
        ...


def _in_job_order(
    completed: Iterable[Any],
    position: Callable[[Any], int],
    n: int,
    progress: Progress | None,
    on_done: Done | None,
) -> list[Any]:
    """Results of futures as they complete, put back in the jobs' order, reporting each one."""
    out: list[Any] = [None] * n
    for done, f in enumerate(completed, start=1):
        k = position(f)
        out[k] = f.result()
        if on_done:
            on_done(k)
        if progress:
            progress(done, n)
    return out


class InProcess:
    """Jobs one after the other in this process (no pickling; easiest to debug)."""

    kind = "inprocess"

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        progress: Progress | None = None,
        on_done: Done | None = None,
    ) -> list[R]:
        jobs = list(items)
        out = []
        for k, item in enumerate(jobs, start=1):
            out.append(fn(item))
            if on_done:
                on_done(k - 1)
            if progress:
                progress(k, len(jobs))
        return out


class Pool:
    """A local process pool (default: one worker per core). ``fn`` and the items must pickle."""

    kind = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cpus()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Pool:
        # Spawned, not forked: a child forked after HiGHS has run in this process hangs on the solver's
        # thread pool copied in whatever state it was.
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        progress: Progress | None = None,
        on_done: Done | None = None,
    ) -> list[R]:
        jobs = list(items)
        if self._pool is None:
            with self:
                return self.map(fn, jobs, progress, on_done)
        futures = [self._pool.submit(fn, item) for item in jobs]
        position = {f: k for k, f in enumerate(futures)}
        return _in_job_order(as_completed(futures), lambda f: position[f], len(jobs), progress, on_done)


class DaskCluster:
    """A Dask cluster: ``address`` of a running scheduler, or None for a LocalCluster in this process."""

    kind = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskCluster:
        from dask.distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers or available_cpus(), threads_per_worker=1, processes=True
            )
            self._client = Client(self._cluster)
        # how many jobs run at once (a running scheduler says how many workers it has)
        self.workers = self.workers or len(self._client.scheduler_info().get("workers", {})) or 1
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        progress: Progress | None = None,
        on_done: Done | None = None,
    ) -> list[R]:
        jobs = list(items)
        if self._client is None:
            with self:
                return self.map(fn, jobs, progress, on_done)
        from dask.distributed import as_completed as dask_completed

        futures = self._client.map(fn, jobs, pure=False)
        position = {f.key: k for k, f in enumerate(futures)}
        return _in_job_order(dask_completed(futures), lambda f: position[f.key], len(jobs), progress, on_done)


@contextmanager
def make_executor(
    kind: str = "pool", address: str | None = None, workers: int | None = None
) -> Iterator[Any]:
    """An executor of ``kind`` (inprocess, pool or dask), opened for the ``with`` block. A Dask
    ``address`` implies kind dask."""
    if address:
        kind = "dask"
    if kind not in KINDS:
        raise ValueError(f"unknown executor '{kind}': one of {', '.join(KINDS)}")
    if kind == "inprocess":
        yield InProcess()
        return
    ex: Pool | DaskCluster = Pool(workers) if kind == "pool" else DaskCluster(address, workers)
    with ex:
        yield ex
