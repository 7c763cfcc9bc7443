"""Progress: documents done, reported from wherever tasks run, shown on the driver.

Tasks call `report` once per document. It costs an addition and a clock read unless a *sink* is
installed in that process; then the counts go to the sink in batches (every ``INTERVAL`` seconds, and
at the end of each task with `flush`). Each executor installs its own sink: the driver's callback
when tasks run inline, a multiprocessing queue in a local pool's workers, a Ray actor on a cluster.
On the driver, `ProgressBar` draws the bar (tqdm, on a terminal only) with documents/s and an ETA.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

INTERVAL = 0.25
"""Seconds between two batches sent to the sink (per process)."""

_sink: Callable[[int], object] | None = None
_pending = 0
_last = 0.0


def report(n: int = 1) -> None:
    """``n`` more documents done in this process (a no-op unless an executor installed a sink)."""
    global _pending
    if _sink is None:
        return
    _pending += n
    if time.monotonic() - _last >= INTERVAL:
        flush()


def flush() -> None:
    """Send what `report` has counted so far to the sink."""
    global _pending, _last
    if _sink is not None and _pending:
        _sink(_pending)
    _pending = 0
    _last = time.monotonic()


def set_sink(sink: Callable[[int], object] | None) -> Callable[[int], object] | None:
    """Install ``sink`` in this process (None removes it); returns the one it replaces."""
    global _sink, _pending, _last
    flush()
    previous, _sink = _sink, sink
    _pending, _last = 0, time.monotonic()
    return previous


@runtime_checkable
class ReportsProgress(Protocol):
    """An executor that can pass on what its tasks `report` (both of gharbal's executors can)."""

    def progress_to(self, listener: Callable[[int], object] | None) -> AbstractContextManager[None]:
        """Send the documents tasks report to ``listener`` while the block runs."""
        ...


@runtime_checkable
class PhaseListener(Protocol):
    """A progress callback that also hears where the run is (`ProgressBar` is one).

    `gharbal.run` calls ``listener(n)`` for documents done; a listener with these methods also hears
    when a phase starts and when a shard finishes, which a bar needs for its ETA.
    """

    def __call__(self, n: int) -> object: ...

    def start_phase(self, name: str, shards: int, documents: int | None) -> None:
        """A phase with ``shards`` shards to run starts; ``documents`` is their total if known."""
        ...

    def shard_done(self, weight: float) -> None:
        """A shard is done; ``weight`` is its share of the phase (its share of the input bytes)."""
        ...


class ProgressBar:
    """A tqdm bar over documents, one phase at a time, drawn only when ``stderr`` is a terminal.

    The total of a phase is exact when known (later phases see as many documents as the first), and
    estimated otherwise from the documents counted so far and the share of the input bytes whose shards
    are done (an overestimate while shards are in flight, converging as they finish), so the bar shows
    documents/s from the start and an ETA once a shard has finished.
    """

    def __init__(self, desc: str, disable: bool | None = None) -> None:
        from tqdm import tqdm  # here, not at import: workers and library users never draw a bar

        self.desc = desc
        self.bar = tqdm(
            desc=desc,
            unit=" docs",
            file=sys.stderr,
            disable=not sys.stderr.isatty() if disable is None else disable,
            dynamic_ncols=True,
        )
        self._done_weight = 0.0
        self._exact = False

    def __call__(self, n: int) -> None:
        self.bar.update(n)

    def start_phase(self, name: str, shards: int, documents: int | None) -> None:
        self._done_weight = 0.0
        self._exact = documents is not None
        self.bar.reset(total=documents)
        self.bar.set_description(f"{self.desc} [{name}]")

    def shard_done(self, weight: float) -> None:
        self._done_weight += weight
        if not self._exact and self._done_weight > 0:
            self.bar.total = max(round(self.bar.n / min(self._done_weight, 1.0)), self.bar.n)
            self.bar.refresh()

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "INTERVAL",
    "PhaseListener",
    "ProgressBar",
    "ReportsProgress",
    "flush",
    "report",
    "set_sink",
]
