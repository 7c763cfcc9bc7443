"""The local executor: tasks run in this process (one worker) or in a process pool.

Results come back in task order whatever the worker count, so merged stats and everything built
from them are identical for any ``workers``. Worker processes start with ``spawn`` (no state
inherited by fork); tasks and their arguments must be picklable (module-level functions, partials).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs picklable tasks; ``inline`` says whether they run in the calling process."""

    inline: bool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``fn(item)`` for every item, results yielded in item order."""
        ...


class LocalExecutor:
    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.inline = workers == 1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if self.inline or len(items) <= 1:
            for item in items:
                yield fn(item)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            yield from pool.map(fn, items)
