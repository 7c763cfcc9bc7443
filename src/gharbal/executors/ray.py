"""The Ray executor: the same tasks as the local pool, as Ray tasks on a cluster (or a local Ray).

``pip install 'gharbal[ray]'``. Ray is imported when a `RayExecutor` first runs something, never by
``import gharbal``. It implements the `~gharbal.executors.local.Executor` protocol: the pipeline maps
one task per shard and phase over it, and an aggregation's ``finalize`` can spread its own heavy work
(site statistics, MinHash buckets, clustering) with the same ``executor.map``. Results come back in
item order, so the output is the same as with the local executor.

- ``address``: None starts a local Ray instance (``num_cpus`` CPUs, all by default), ``"auto"`` joins
  the cluster this machine belongs to, ``"ray://head:10001"`` connects through Ray Client. An
  instance this executor started is shut down by `close`; one it joined is left alone.
- Every worker writes to the run's output (or staging) directory and reads its inputs: on a cluster
  they must be on a filesystem every node sees (or inputs given as URLs), and gharbal installed on
  every node (see ``docs/ray.md``).
- A task raising `RetryableError` is retried (``retries`` times), as is a task whose worker died.
- Progress: tasks report documents to a small actor, which the driver polls.

The dashboard and Ray's usage statistics are off (``RAY_USAGE_STATS_ENABLED=0`` unless set), so a run
makes no network request of its own beyond the cluster.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from gharbal.errors import ConfigError, RetryableError
from gharbal.executors import progress
from gharbal.executors.local import ClosingExecutor, run_task

T = TypeVar("T")
R = TypeVar("R")

POLL = 0.25
"""Seconds between two polls of the progress actor."""


_MISSING = "the Ray executor needs Ray: pip install 'gharbal[ray]' (or pip install ray)"


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(_MISSING) from None
    return ray


def _ray_task(fn: Callable[[T], R], item: T, counter: Any) -> R:
    """One task on a Ray worker: progress goes to ``counter`` (an actor) while it runs."""
    if counter is None:
        return fn(item)
    ray = _ray()
    previous = progress.set_sink(lambda n: ray.get(counter.add.remote(n)))
    try:
        return run_task(fn, item)
    finally:
        progress.set_sink(previous)


class _Counter:
    """An actor that adds up the documents tasks report until the driver takes them."""

    def __init__(self) -> None:
        self.n = 0

    def add(self, n: int) -> None:
        self.n += n

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


class RayExecutor(ClosingExecutor):
    """Tasks as Ray tasks (see the module docstring)."""

    inline = False

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        retries: int = 2,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if importlib.util.find_spec("ray") is None:  # fail before any work, without importing it
            raise ConfigError(_MISSING)
        self.address = address
        self.num_cpus = num_cpus
        self.retries = retries
        self.init_kwargs = dict(init_kwargs or {})
        self._started = False
        self._remote: Any = None
        self._listener: Callable[[int], object] | None = None

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                **self.init_kwargs,
            }
            if self.address is None:
                kwargs["num_cpus"] = self.num_cpus
            try:
                ray.init(address=self.address, **kwargs)
            except ConnectionError as exc:
                raise ConfigError(f"cannot connect to Ray at {self.address!r}: {exc}") from None
            self._started = self.address is None
        if self._remote is None:
            self._remote = ray.remote(_ray_task).options(
                max_retries=self.retries, retry_exceptions=[RetryableError]
            )
        return ray

    def warm_up(self) -> None:
        """Connect (or start Ray) and start a worker per CPU, with gharbal imported."""
        ray = self._connect()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        warm = ray.remote(_warm)
        ray.get([warm.remote(0.2) for _ in range(cpus * 2)])

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        ray = self._connect()
        if not items:
            return
        listener = self._listener
        counter = ray.remote(num_cpus=0)(_Counter).remote() if listener is not None else None
        fn_ref = ray.put(fn)  # shipped once, not with every task
        refs = [self._remote.remote(fn_ref, item, counter) for item in items]
        stop = threading.Event()
        poller = None
        if listener is not None:
            poller = threading.Thread(
                target=_poll, args=(ray, counter, listener, stop), daemon=True
            )
            poller.start()
        try:
            for i, ref in enumerate(refs):
                # A task's exception comes back as a RayTaskError that is also an instance of the
                # exception's own class, so callers catch ShardError or ConfigError as usual.
                result: R = ray.get(ref)
                refs[i] = None
                yield result
        finally:
            for ref in refs:
                if ref is not None:
                    with contextlib.suppress(Exception):
                        ray.cancel(ref)
            if poller is not None:
                stop.set()
                poller.join()
            if counter is not None:
                if listener is not None and (n := ray.get(counter.take.remote())):
                    listener(n)
                ray.kill(counter)

    @contextlib.contextmanager
    def progress_to(self, listener: Callable[[int], object] | None) -> Iterator[None]:
        previous, self._listener = self._listener, listener
        try:
            yield
        finally:
            self._listener = previous

    def close(self) -> None:
        if self._started:
            ray = _ray()
            ray.shutdown()
            self._started = False
        self._remote = None


def _poll(ray: Any, counter: Any, listener: Callable[[int], object], stop: threading.Event) -> None:
    while not stop.wait(POLL):
        n = ray.get(counter.take.remote())
        if n:
            listener(n)


def _warm(seconds: float) -> None:
    import time

    import gharbal.pipeline  # noqa: F401  (the import is the warm-up)

    time.sleep(seconds)


__all__ = ["RayExecutor"]
