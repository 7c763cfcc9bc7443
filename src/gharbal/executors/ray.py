"""The Ray executor: the same tasks as the local pool, as Ray tasks on a cluster (or a local Ray).

``pip install 'gharbal[ray]'``. Ray is imported when a `RayExecutor` first runs something, never by
``import gharbal``. It implements the `~gharbal.step.Executor` protocol: the pipeline maps
one task per shard and phase over it, and an aggregation's ``finalize`` can spread its own heavy work
(site statistics, MinHash buckets, clustering) with the same ``executor.map``. Results come back in
item order, so the output is the same as with the local executor.

- ``address``: None starts a local Ray instance (``num_cpus`` CPUs, all by default), ``"auto"`` joins
  the cluster this machine belongs to, ``"ray://head:10001"`` connects through Ray Client. An
  instance this executor started is shut down by `close`; one it joined is left alone.
- Every worker writes to the run's output (or staging) directory and reads its inputs. An executor
  that joins a cluster (``address`` given) says its workers do not share this machine's disk
  (``shares_disk``, or ``shared_disk=True`` to say they do): a run into an output URL then needs
  nothing shared but the bucket (`gharbal.runner.nodes`); a local output directory must be on a
  filesystem every node mounts. gharbal must be installed on every node (see ``docs/ray.md``).
- A task raising `RetryableError` is retried (``retries`` times), as is a task whose worker or
  node died. A task lost for good raises `~gharbal.executors.local.TaskLostError` naming the node; a
  task's own exception comes back as itself, and gharbal's name the node they ran on
  (`gharbal.executors.node`).
- Progress: tasks report documents to a small actor on the driver's node, which the driver polls
  (a report that cannot reach it is dropped: progress is never worth a failed task).

The dashboard and Ray's usage statistics are off (``RAY_USAGE_STATS_ENABLED=0`` unless set), so a run
makes no network request of its own beyond the cluster.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from gharbal.errors import ConfigError, GharbalError, RetryableError
from gharbal.executors import node, progress
from gharbal.executors.local import ClosingExecutor, TaskLostError, run_task, warm

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
    """One task on a Ray worker: progress goes to ``counter`` (an actor) while it runs, and the
    node's name is known to gharbal's error messages."""
    ray = _ray()
    context = ray.get_runtime_context()
    ip = ray.util.get_node_ip_address()
    before = node.set_name(f"{ip} ({context.get_node_id()[:8]})")
    if counter is None:
        try:
            return fn(item)
        finally:
            node.set_name(before)

    def send(n: int) -> None:
        with contextlib.suppress(Exception):  # the driver's node gone: the run is over anyway
            ray.get(counter.add.remote(n))

    previous = progress.set_sink(send)
    try:
        return run_task(fn, item)
    finally:
        progress.set_sink(previous)
        node.set_name(before)


_NODE_ID = re.compile(r"node ID: ([0-9a-f]{8})")
_NODE_IP = re.compile(r"Node IP: ([0-9a-fA-F.:]+)")


def _lost(exc: Exception) -> TaskLostError:
    """What Ray says of a task it lost (its worker or node died, its result was lost), in one
    line naming the node when Ray names it."""
    text = str(exc)
    ip, node_id = _NODE_IP.search(text), _NODE_ID.search(text)
    where = None
    if node_id is not None:
        where = f"{ip.group(1) if ip else '?'} ({node_id.group(1)})"
    elif getattr(exc, "ip", None):
        where = str(exc.ip)  # type: ignore[attr-defined]
    first = text.strip().splitlines()[0] if text.strip() else ""
    if len(first) > 160:
        first = first[:159] + "…"
    return TaskLostError(f"lost by Ray ({type(exc).__name__}: {first})", where)


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
        shared_disk: bool | None = None,
    ) -> None:
        if importlib.util.find_spec("ray") is None:  # fail before any work, without importing it
            raise ConfigError(_MISSING)
        self.address = address
        # A Ray started here runs on this machine; one joined by address may span machines.
        self.shares_disk = address is None if shared_disk is None else shared_disk
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

    def warm_up(self, module: str) -> None:
        """Connect (or start Ray) and start a worker per CPU, with ``module`` imported."""
        ray = self._connect()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        task = ray.remote(warm)
        ray.get([task.remote(module, 0.2) for _ in range(cpus * 2)])

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        ray = self._connect()
        if not items:
            return
        listener = self._listener
        counter = None
        if listener is not None:  # on the driver's node: it lives as long as the driver does
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = ray.get_runtime_context().get_node_id()
            strategy = NodeAffinitySchedulingStrategy(here, soft=False)
            counter = (
                ray.remote(num_cpus=0)(_Counter).options(scheduling_strategy=strategy).remote()
            )
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
                # exception's own class, so callers catch ShardError or ConfigError as usual;
                # gharbal's own are raised as themselves (their message is one line, Ray's
                # has the remote traceback, kept as the cause).
                try:
                    result: R = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    if isinstance(exc.cause, GharbalError):
                        raise exc.cause from exc
                    raise
                except ray.exceptions.RayError as exc:  # its worker or node died, for good
                    raise _lost(exc) from exc
                refs[i] = None
                yield result
        finally:
            for ref in refs:
                if ref is not None:
                    # Forced: the worker process goes. A gentle cancel interrupts the task where
                    # it is, an import included, and the worker kept a half-imported module.
                    with contextlib.suppress(Exception):
                        ray.cancel(ref, force=True)
            if poller is not None:
                stop.set()
                poller.join()
            if counter is not None:
                with contextlib.suppress(ray.exceptions.RayError):
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
        try:
            n = ray.get(counter.take.remote())
        except ray.exceptions.RayError:  # progress is lost, not the run
            return
        if n:
            listener(n)


__all__ = ["RayExecutor"]
