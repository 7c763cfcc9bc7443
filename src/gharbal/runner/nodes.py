"""A run on a cluster whose nodes share nothing but the output URL's bucket.

Used when the output is a URL and the executor's workers do not share this machine's disk (a Ray
cluster joined by address, with no ``--staging``), or when asked (``gharbal.run(...,
bucket_only=True)``). Then:

1. **Every task stages on its own node**, in a directory of its own under the node's staging root
   (``$GHARBAL_NODE_STAGING``, or ``gharbal-node-staging`` in the node's temporary directory),
   made when the task starts and removed when it ends (a killed task's, by the next task on the
   node): no task reads another's directory, on its node or any other.
2. **A task fetches what it needs** from the bucket into that directory: a shard of a later phase
   the documents the previous phase left for it (``stages/NN-name/docs/part-NNNNN.jsonl.zst``) and
   the files the previous stage's ``finalize`` wrote that ``apply`` reads (all of them, or those an
   aggregation names with ``apply_reads(rank)``: the dedup stages name the shard's decision file);
   a ``finalize`` every shard's observation files; a report task its shard's parts.
3. **A task publishes what it made** to the bucket, every file under its final name (each upload
   atomic, see `gharbal.writers.bucket`), its marker last: ``stages/NN-name/shards/part-NNNNN
   .stats.json`` (which lists the files the shard published, for the ``finalize`` to fetch),
   ``stages/NN-name/finalize.json`` (which lists the files the ``finalize`` wrote), or the ledger's
   ``shards/part-NNNNN.stats.json``. A marker in the bucket means its work is there whole.
4. **The driver holds nothing a resume needs**: it stages the run's own files (``recipe.yaml``,
   ``stats.json``, ``report.html``) in a temporary directory that goes when the run ends, and reads
   the markers from the bucket. ``--resume`` redoes only the work without a marker in the bucket
   (`gharbal.runner.shards.schedule`), from any machine of the cluster.

A ``finalize`` runs as one task on one node, its own heavy work (``executor.map``) run in that task.
The report's shard summaries run as tasks that fetch their shard's parts. ``stats.json`` gets a
``cluster`` object: the bytes each phase moved through the bucket (``bucket_bytes``, by this
process's tasks: a resumed run counts only what it did) and the tasks run on each node.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from gharbal.errors import ConfigError, ShardError, StageError
from gharbal.executors import node, progress
from gharbal.executors.local import LocalExecutor, TaskLostError
from gharbal.readers import Shard
from gharbal.recipe import Recipe
from gharbal.report.build import build_report
from gharbal.report.parts import _PART, KINDS
from gharbal.runner.phases import (
    STAGES_DIR,
    Phase,
    Runner,
    docs_part,
    failure_as,
    process_shard,
    shard_failed,
    split_phases,
    stage_dir,
)
from gharbal.runner.shards import finalize_marker, marker_name
from gharbal.runner.steps import BuildSteps, build_steps
from gharbal.stats import Stats
from gharbal.step import Aggregation, Executor
from gharbal.writers import PART_DIRS, write_json_atomic
from gharbal.writers.bucket import Bucket, local_files
from gharbal.writers.output import is_url

T = TypeVar("T")
R = TypeVar("R")

NODE_STAGING = "GHARBAL_NODE_STAGING"
"""The environment variable naming a node's staging root (each node its own)."""


def node_root() -> Path:
    """This node's staging root (see the module docstring)."""
    found = os.environ.get(NODE_STAGING)
    return Path(found) if found else Path(tempfile.gettempdir()) / "gharbal-node-staging"


@contextlib.contextmanager
def private_dir(label: str) -> Iterator[Path]:
    """A directory of this task's own under the node's staging root, removed when it ends."""
    root = node_root()
    root.mkdir(parents=True, exist_ok=True)
    _sweep(root)
    path = Path(tempfile.mkdtemp(prefix=f"{label}-pid{os.getpid()}-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_PID = re.compile(r"-pid(\d+)-")


def _sweep(root: Path) -> None:
    """Remove the directories of tasks whose process is gone (killed: a cancelled or lost task
    cannot clean up after itself; the node's processes share one process namespace)."""
    for entry in root.iterdir():
        m = _PID.search(entry.name)
        if m is None or not entry.is_dir():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass  # alive (another user's: not ours to judge)


def use_bucket(
    output_dir: str | Path,
    executor: Executor | None,
    staging: str | Path | None,
    bucket_only: bool | None,
) -> Bucket | None:
    """The bucket a run shares between nodes, or None when it stages on one (shared) disk."""
    if bucket_only is None:
        bucket_only = (
            is_url(output_dir)
            and staging is None
            and executor is not None
            and not getattr(executor, "shares_disk", True)
        )
    if not bucket_only:
        return None
    if not is_url(output_dir):
        raise ConfigError(
            "a run whose nodes share only a bucket needs an output URL (s3://bucket/out, "
            f"gs://...), not {output_dir}"
        )
    if staging is not None:
        raise ConfigError(
            "a run whose nodes share only a bucket stages on each node "
            f"(${NODE_STAGING}), not in a staging directory"
        )
    return Bucket(str(output_dir))


@contextlib.contextmanager
def driver_staging(url: str) -> Iterator[Path]:
    """The driver's scratch directory for the run's own files, named after the output (the
    report's title), removed when the run ends."""
    tmp = Path(tempfile.mkdtemp(prefix="gharbal-driver-"))
    name = re.sub(r"[^\w.-]", "_", url.rstrip("/").rsplit("/", 1)[-1]).strip(".") or "out"
    try:
        yield tmp / name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _here() -> str:
    return node.name() or socket.gethostname()


@dataclass(frozen=True, slots=True)
class Published:
    """What a task did: its ``value``, the files it published, the bytes it moved up and down."""

    value: Any
    files: tuple[str, ...]
    up: int
    down: int
    node: str


@dataclass(frozen=True)
class ShardJob:
    """One phase on the shards of a run (``pulls``: what each shard fetches first)."""

    bucket: Bucket
    recipe: Recipe
    build: BuildSteps | None
    phase: int
    num_shards: int
    marker_dir: str
    stage: bool
    pulls: dict[int, tuple[str, ...]]


def run_shard(job: ShardJob, shard: Shard) -> Published:
    """A shard's phase on a node: fetch, `process_shard` in a private directory, publish."""
    with (
        failure_as(ShardError, shard_failed(shard, job.phase)),
        private_dir(f"phase{job.phase + 1}-shard{shard.index}") as work,
    ):
        down = job.bucket.get(job.pulls.get(shard.index, ()), work)
        before = local_files(work)
        stats = process_shard(
            shard,
            job.recipe,
            work,
            on_document=progress.report,
            phase_index=job.phase,
            num_shards=job.num_shards,
            build=job.build,
        )
        marker = f"{job.marker_dir}/{marker_name(shard.index)}"
        made = local_files(work)
        files = sorted(r for r, v in made.items() if before.get(r) != v and r != marker)
        if job.stage:  # the finalize fetches what the shard observed
            write_json_atomic(work / marker, {**stats.to_json(), "files": files})
        up = job.bucket.put(work, files)
        up += job.bucket.put(work, [marker])  # last: the shard's work is in the bucket, whole
    return Published(stats, tuple(files), up, down, _here())


@dataclass(frozen=True)
class FinalizeJob:
    """An aggregation's ``finalize`` (``pulls``: every shard's observation files)."""

    bucket: Bucket
    recipe: Recipe
    build: BuildSteps | None
    phase: int
    num_shards: int
    pulls: tuple[str, ...]


def run_finalize(job: FinalizeJob) -> Published:
    """A ``finalize`` on a node: fetch the observations, finalize (its spread work in this
    task), publish what it wrote, ``finalize.json`` (listing it) last, then remove from the bucket
    the observations it removed."""
    agg = split_phases((job.build or build_steps)(job.recipe))[job.phase].observes
    assert agg is not None
    with (
        failure_as(StageError, f"stage {agg.name} failed in finalize on node {_here()}"),
        private_dir(f"finalize{job.phase + 1}-{agg.name}") as work,
    ):
        down = job.bucket.get(job.pulls, work)
        before = local_files(work)
        workdir = stage_dir(work, job.phase, agg)
        workdir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        with LocalExecutor(1) as here:
            agg.finalize(workdir, job.num_shards, here)
        seconds = time.perf_counter() - start
        marker = finalize_marker(workdir).relative_to(work).as_posix()
        made = local_files(work)
        files = sorted(r for r, v in made.items() if before.get(r) != v and r != marker)
        up = job.bucket.put(work, files)
        write_json_atomic(work / marker, {"seconds": seconds, "files": files})
        up += job.bucket.put(work, [marker])
        # What the finalize removed of the observations (consumed), as it would on one disk.
        job.bucket.remove(r for r in before if r not in made)
    return Published(seconds, tuple(files), up, down, _here())


def _relocate(item: Any, root: Path, to: Path, found: list[str]) -> Any:
    """``item`` with every path under ``root`` moved under ``to`` (their names in ``found``)."""
    if isinstance(item, Path):
        if item.is_relative_to(root):
            rel = item.relative_to(root).as_posix()
            found.append(rel)
            return to / rel
        return item
    if isinstance(item, tuple):
        return tuple(_relocate(x, root, to, found) for x in item)
    if isinstance(item, list):
        return [_relocate(x, root, to, found) for x in item]
    if isinstance(item, dict):
        return {k: _relocate(v, root, to, found) for k, v in item.items()}
    return item


def run_fetched(fn: Callable[[Any], R], bucket: Bucket, root: str, item: Any) -> R:
    """``fn(item)`` on a node, the files ``item`` names under ``root`` fetched from the bucket."""
    with private_dir("fetched") as work:
        rels: list[str] = []
        moved = _relocate(item, Path(root), work, rels)
        bucket.get(sorted(set(rels)), work)
        return fn(moved)


class FetchingExecutor:
    """``executor``, whose tasks fetch the files their item names under ``root`` (the driver's
    scratch directory, which they cannot see) from the bucket first."""

    inline = False

    def __init__(self, executor: Executor, bucket: Bucket, root: Path) -> None:
        self.executor, self.bucket, self.root = executor, bucket, root

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return self.executor.map(partial(run_fetched, fn, self.bucket, str(self.root)), items)


class BucketRunner(Runner):
    """`gharbal.runner.phases.Runner` for a run whose nodes share only the bucket: markers are read
    from the bucket, every task is `run_shard` or `run_finalize`, nothing is uploaded by the
    driver but the run's own files."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        assert self.output.url is not None
        self.bucket = Bucket(self.output.url)
        self.stage_rel = {
            p.index: stage_dir(Path(), p, p.observes).as_posix()
            for p in self.phases
            if p.observes is not None
        }
        self.in_bucket = set(self.bucket.find(STAGES_DIR))  # markers of an earlier process
        self.observed: dict[tuple[int, int], tuple[str, ...]] = {}
        self.finalized_files: dict[int, tuple[str, ...]] = {}
        self.traffic: dict[str, list[int]] = {}
        self.tasks_by_node: Counter[str] = Counter()

    def _label(self, phase: int) -> str:
        agg = self.phases[phase].observes
        return f"{phase + 1}-{agg.name if agg is not None else 'write'}"

    def _count(self, label: str, up: int, down: int) -> None:
        moved = self.traffic.setdefault(label, [0, 0])
        moved[0] += up
        moved[1] += down

    def _stage_marker(self, phase: int, shard: int) -> str:
        return f"{self.stage_rel[phase]}/shards/{marker_name(shard)}"

    def _done(self, phase: int, shard: int) -> bool:
        if phase == self.last:
            return super()._done(phase, shard)
        return self._stage_marker(phase, shard) in self.in_bucket

    def _finalized(self, phase: int) -> bool:
        return f"{self.stage_rel[phase]}/finalize.json" in self.in_bucket

    def _marker_stats(self, phase: int, shard: int) -> Stats | None:
        if phase == self.last:
            return super()._marker_stats(phase, shard)
        text = self.bucket.read_text(self._stage_marker(phase, shard))
        if text is None:
            return None
        data = json.loads(text)
        self.observed[(phase, shard)] = tuple(data.get("files", ()))
        return Stats.from_json(data)

    def _drop_marker(self, phase: int, shard: int) -> None:
        super()._drop_marker(phase, shard)
        rel = (
            f"shards/{marker_name(shard)}"
            if phase == self.last
            else self._stage_marker(phase, shard)
        )
        with contextlib.suppress(FileNotFoundError):
            self.bucket.remove([rel])

    def _upload(self, uploads: object, shard: int) -> None:
        """Nothing to do: the shard's task published its files."""

    def _pulls(self, phase: Phase) -> dict[int, tuple[str, ...]]:
        if phase.applies is None:
            return {}
        prev = phase.index - 1
        results = self.finalized_files[prev]
        reads = getattr(phase.applies, "apply_reads", None)
        pulls = {}
        for shard in self.shards:
            wanted: Sequence[str] = results
            if reads is not None:
                names = {f"{self.stage_rel[prev]}/{r}" for r in reads(shard.index)}
                wanted = [r for r in results if r in names]
            docs = f"{self.stage_rel[prev]}/docs/{docs_part(shard)}"
            pulls[shard.index] = (docs, *wanted)
        return pulls

    def _shard_task(self, phase: Phase) -> Callable[[Shard], object]:
        job = ShardJob(
            self.bucket,
            self.recipe,
            self.build,
            phase.index,
            len(self.shards),
            "shards" if phase.index == self.last else f"{self.stage_rel[phase.index]}/shards",
            phase.index != self.last,
            self._pulls(phase),
        )
        return partial(run_shard, job)

    def _shard_stats(self, phase: Phase, shard: Shard, result: object) -> Stats:
        assert isinstance(result, Published)
        assert isinstance(result.value, Stats)
        self._count(self._label(phase.index), result.up, result.down)
        self.tasks_by_node[result.node] += 1
        self.observed[(phase.index, shard.index)] = result.files
        return result.value

    def _finalize(self, phase: Phase, agg: Aggregation, needed: bool, total: Stats) -> None:
        name = f"{agg.name}.finalize"
        rel = self.stage_rel[phase.index]
        if not needed:
            text = self.bucket.read_text(f"{rel}/finalize.json")
            if text is not None:
                data = json.loads(text)
                self.finalized_files[phase.index] = tuple(data.get("files", ()))
                total.add_time(name, float(data.get("seconds", 0.0)))
            return
        pulls: list[str] = []
        for shard in self.shards:
            files = self.observed.get((phase.index, shard.index))
            if files is None:
                raise StageError(
                    f"stage {agg.name} cannot finalize: shard {shard.index}'s marker in "
                    f"{self.output} does not list its files; run without --resume"
                )
            # Its observations; not its documents (``docs/``: the next phase's, not the finalize's).
            pulls += [f for f in files if not f.startswith(f"{rel}/docs/")]
        job = FinalizeJob(
            self.bucket, self.recipe, self.build, phase.index, len(self.shards), tuple(pulls)
        )
        try:
            (done,) = list(self.executor.map(run_finalize, [job]))
        except TaskLostError as exc:
            raise StageError(
                f"stage {agg.name} failed in finalize on node {exc.node or '?'}: {exc.reason}"
            ) from exc
        self._count(f"{self._label(phase.index)}.finalize", done.up, done.down)
        self.tasks_by_node[done.node] += 1
        self.finalized_files[phase.index] = done.files
        total.add_time(name, float(done.value))

    def remove_stage_docs(self) -> None:
        self.bucket.remove_dirs(f"{rel}/docs" for rel in self.stage_rel.values())

    def stats_json(self, total: Stats) -> dict[str, object]:
        data = total.to_json()
        data["cluster"] = {
            "bucket_bytes": {k: {"up": u, "down": d} for k, (u, d) in self.traffic.items()},
            "tasks_by_node": dict(sorted(self.tasks_by_node.items())),
        }
        return data

    def build_report(self) -> None:
        """The shards are summarised by tasks that fetch their parts; the driver only merges."""
        parts: dict[int, dict[str, list[Path]]] = {}
        size = 0
        for kind in KINDS:
            for rel, n in sorted(self.bucket.find(kind).items()):
                name = rel.rsplit("/", 1)[-1]
                m = _PART.match(name)
                if m and rel == f"{kind}/{name}":
                    parts.setdefault(int(m.group(1)), {}).setdefault(kind, []).append(
                        self.out / kind / name
                    )
                    size += n
        if len(parts) <= 1:  # summarised here (one shard: no task is started for it)
            self.output.fetch_missing(PART_DIRS[:-1])
            super().build_report()
            self._count("report", 0, size)
            return
        build_report(
            self.out,
            max_pages=self.recipe.report.max_pages,
            workers=self.recipe.workers,
            executor=FetchingExecutor(self.executor, self.bucket, self.out),
            parts=dict(sorted(parts.items())),
        )
        self._count("report", 0, size)


__all__ = [
    "NODE_STAGING",
    "BucketRunner",
    "FetchingExecutor",
    "node_root",
    "private_dir",
    "use_bucket",
]
