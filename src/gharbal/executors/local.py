"""The local executor (`gharbal.step.Executor`): tasks run in this process (one worker) or in a process pool.

Results come back in task order whatever the worker count, so merged stats and everything built
from them are identical for any ``workers``. Worker processes start with ``spawn`` (no state
inherited by fork); tasks and their arguments must be picklable (module-level functions, partials).
The pool starts on the first `map` and is kept for later ones (the phases of a run, an aggregation's
``finalize``) until `close`. Progress: tasks call `gharbal.executors.progress.report`; in the pool's
workers that goes through a queue to the callback given to `progress_to`.

A task that raises `RetryableError` is run again (``retries`` times at most); any other exception
reaches the caller when its result is due, after the tasks already running have finished.
"""

from __future__ import annotations

import abc
import contextlib
import ctypes
import importlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeVar

from gharbal.errors import RetryableError, ShardError
from gharbal.executors import progress

T = TypeVar("T")
R = TypeVar("R")


class TaskLostError(ShardError):
    """The executor lost a task with its worker or node (after its retries): ``node`` names the
    node when it is known (else None), ``reason`` says what happened, in one line."""

    def __init__(self, reason: str, node: str | None = None) -> None:
        super().__init__(f"{reason} on node {node}" if node else reason)
        self.reason, self.node = reason, node


def run_task(fn: Callable[[T], R], item: T) -> R:
    """Run one task in a worker, then send the progress it reported."""
    try:
        return fn(item)
    finally:
        progress.flush()


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this worker when the process that started it dies (``kill -9``
    of a run must not leave workers writing into its output while it is resumed)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != parent:  # it died while this worker was starting: no signal will come
        os._exit(1)


def _init_worker(counts: Any, parent: int) -> None:
    _die_with_parent(parent)
    progress.set_sink(counts.put)


class ClosingExecutor(abc.ABC):
    """An executor used as a context manager: leaving the block calls ``close``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the executor's processes or connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LocalExecutor(ClosingExecutor):
    """``workers`` processes (1: everything in this process, no pool)."""

    def __init__(self, workers: int = 1, retries: int = 2) -> None:
        self.workers = workers
        self.retries = retries
        self.inline = workers == 1
        self._pool: ProcessPoolExecutor | None = None
        self._counts: Any = None
        self._listener: Callable[[int], object] | None = None
        self._drain: threading.Thread | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if self.inline or len(items) <= 1:
            previous = progress.set_sink(self._listener) if self._listener else None
            try:
                for item in items:
                    yield self._inline(fn, item)
            finally:
                if self._listener:
                    progress.set_sink(previous)
            return
        pool = self._start()
        futures: list[Future[R] | None] = [pool.submit(run_task, fn, item) for item in items]
        try:
            for i, submitted in enumerate(futures):
                assert submitted is not None
                future, tries = submitted, 0
                while True:
                    try:
                        result = future.result()
                        break
                    except RetryableError:
                        tries += 1
                        if tries > self.retries:
                            raise
                        future = pool.submit(run_task, fn, items[i])
                futures[i] = None  # let the result go
                yield result
        finally:
            for left in futures:
                if left is not None:
                    left.cancel()

    def _inline(self, fn: Callable[[T], R], item: T) -> R:
        tries = 0
        while True:
            try:
                return run_task(fn, item)
            except RetryableError:
                tries += 1
                if tries > self.retries:
                    raise

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._counts = ctx.Queue()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(self._counts, os.getpid()),
            )
            self._drain = threading.Thread(target=self._drain_counts, daemon=True)
            self._drain.start()
        return self._pool

    def _drain_counts(self) -> None:
        while True:
            try:
                n = self._counts.get()
            except (EOFError, OSError, ValueError):  # the queue was closed
                return
            if n is None:
                return
            listener = self._listener
            if listener is not None:
                listener(n)

    @contextlib.contextmanager
    def progress_to(self, listener: Callable[[int], object] | None) -> Iterator[None]:
        """Send the documents tasks report to ``listener`` while the block runs."""
        previous, self._listener = self._listener, listener
        try:
            yield
        finally:
            self._listener = previous

    def warm_up(self, module: str) -> None:
        """Start the worker processes now and import ``module`` in each (the application the
        workers will run, e.g. ``"gharbal.run.pipeline"``); inline, import it here."""
        if self.inline:
            warm(module, 0.0)
        else:
            pool = self._start()
            for f in [pool.submit(warm, module, 0.2) for _ in range(self.workers * 2)]:
                f.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            with contextlib.suppress(ValueError, OSError):
                self._counts.put(None)
            if self._drain is not None:
                self._drain.join(timeout=5)
            self._counts.close()
            self._counts.join_thread()
            self._counts = None


def warm(module: str, seconds: float) -> None:
    """A warm-up task: import ``module``, then hold the worker ``seconds`` so that the next warm-up
    task goes to another one."""
    importlib.import_module(module)
    time.sleep(seconds)
