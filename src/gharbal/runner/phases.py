"""Phases and the runner: a plan of steps and aggregations split into phases, one phase run on
one shard (`process_shard`), and `Runner`, which runs every phase over the shards with an executor,
the aggregations' ``finalize`` between them, completion markers for resume and uploads to an
output URL. The pipeline (`gharbal.runner.pipeline`), ``gharbal extract``
(`gharbal.runner.extract`) and ``gharbal eval`` (`gharbal.runner.evaluate`) all drive their phases
through it; they differ in their steps, the source of the first phase and the sink of the last.

1. Phase 0 reads the inputs (``source``, `gharbal.readers.read_shard` by default); a later phase
   reads the documents the previous phase left in ``OUT/stages/NN-name/docs/`` and hands them to
   the previous aggregation's ``apply``;
2. the phase's steps run over the documents;
3. a phase that ends at an aggregation has it ``observe`` the documents, which are kept for the
   next phase; the last phase writes them with its sink (`gharbal.writers.ShardWriter`, the
   ledger, by default).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from gharbal.document import Document
from gharbal.errors import GharbalError, ShardError, StageError
from gharbal.executors import node, progress
from gharbal.executors.local import TaskLostError
from gharbal.pii.redact import redactor
from gharbal.readers import Shard, read_shard
from gharbal.recipe import Recipe
from gharbal.report import build_report
from gharbal.runner.shards import (
    finalize_marker,
    input_changed,
    marker_name,
    read_marker,
    schedule,
    stage_marker,
    write_marker,
)
from gharbal.runner.steps import BuildSteps, build_steps
from gharbal.stats import Stats
from gharbal.step import Aggregation, Executor, RunContext, Step
from gharbal.writers import PART_DIRS, ShardWriter, write_json_atomic, write_text_atomic
from gharbal.writers.intermediate import read_intermediate, to_record
from gharbal.writers.jsonl import JsonlPartWriter
from gharbal.writers.output import Output

STAGES_DIR = "stages"


@dataclass(frozen=True, slots=True)
class Phase:
    """Steps run per shard between two aggregations: ``applies`` uses the result of the previous
    aggregation, ``observes`` feeds the next one (None for the first and last phase)."""

    index: int
    applies: Aggregation | None
    steps: tuple[Step, ...]
    observes: Aggregation | None


def split_phases(plan: list[Step | Aggregation]) -> list[Phase]:
    phases: list[Phase] = []
    applies: Aggregation | None = None
    steps: list[Step] = []
    for item in plan:
        if isinstance(item, Aggregation):
            phases.append(Phase(len(phases), applies, tuple(steps), item))
            applies, steps = item, []
        else:
            steps.append(item)
    phases.append(Phase(len(phases), applies, tuple(steps), None))
    return phases


def stage_dir(out: Path, phase: Phase | int, agg: Aggregation) -> Path:
    index = phase.index if isinstance(phase, Phase) else phase
    return out / STAGES_DIR / f"{index + 1:02d}-{agg.name}"


def _timed(docs: Iterator[Document], name: str, ctx: RunContext) -> Iterator[Document]:
    """Time spent producing documents from ``docs`` (the reader, an aggregation's ``apply``),
    counted under ``name``."""
    while True:
        start = time.perf_counter()
        try:
            doc = next(docs)
        except StopIteration:
            ctx.stats.add_time(name, time.perf_counter() - start)
            return
        ctx.stats.add_time(name, time.perf_counter() - start)
        yield doc


def _inclusive_time(docs: Iterator[Document], name: str, ctx: RunContext) -> Iterator[Document]:
    """Count the time of a generator stage (aggregations), minus what its upstream already counted."""
    before = sum(ctx.stats.step_seconds.values())
    start = time.perf_counter()
    yield from docs
    upstream = sum(ctx.stats.step_seconds.values()) - before
    ctx.stats.add_time(name, max(time.perf_counter() - start - upstream, 0.0))


def docs_part(shard: Shard) -> str:
    return f"part-{shard.index:05d}.jsonl.zst"


@contextlib.contextmanager
def failure_as(error: type[GharbalError], what: str) -> Iterator[None]:
    """Turn an exception of the block into ``error("{what}: {type}: {message}")``, the original
    as its cause (`ShardError` for a shard's phase, `StageError` for a finalize); gharbal's own
    errors pass unchanged."""
    try:
        yield
    except GharbalError:
        raise
    except Exception as exc:
        raise error(f"{what}: {type(exc).__name__}: {exc}") from exc


def shard_failed(shard: Shard, phase_index: int, on: str | None = None) -> str:
    """``shard 3 (a.jsonl) failed in phase 2``, with `` on node 10.0.0.5 (3f2a9c01)`` in a
    task on a cluster (or ``on``: the node of a task that was lost)."""
    files = ", ".join(str(f.path) for f in shard.files[:3])
    more = f" and {len(shard.files) - 3} more" if len(shard.files) > 3 else ""
    where = on or node.name()
    at = f" on node {where}" if where else ""
    return f"shard {shard.index} ({files}{more}) failed in phase {phase_index + 1}{at}"


class ShardSink(Protocol):
    """Where the last phase puts a shard's documents (every one, rejected or kept), counting them in
    the shard's stats; closed (its parts renamed into place) when the shard is done."""

    def write(self, doc: Document) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


Source = Callable[[Shard, Recipe, RunContext], Iterator[Document]]
"""The first phase's documents of a shard (picklable when shards run in worker processes)."""

SinkFactory = Callable[[Path, int, Recipe, Stats], ShardSink]
"""The last phase's sink of shard ``index`` in ``out`` (picklable likewise)."""


def read_source(shard: Shard, recipe: Recipe, ctx: RunContext) -> Iterator[Document]:
    """The run's inputs (`gharbal.readers.read_shard`); a file without documents is noted."""
    return read_shard(shard, recipe.read, ctx.stats.files_without_documents.append)


def ledger_sink(out: Path, index: int, recipe: Recipe, stats: Stats) -> ShardSink:
    """The run's output: kept documents, the rejected ledger, removed lines, line maps."""
    return ShardWriter(out, index, recipe.output, stats, redactor(recipe.pii))


def process_shard(
    shard: Shard,
    recipe: Recipe,
    out: Path,
    on_document: Callable[[int], object] | None = None,
    phase_index: int = 0,
    num_shards: int = 1,
    build: BuildSteps | None = None,
    source: Source | None = None,
    sink: SinkFactory | None = None,
) -> Stats:
    """Run one phase of the pipeline on one shard; returns the shard's stats for that phase.

    The first phase reads the shard with ``source`` (`read_source`: the inputs), the last writes
    with ``sink`` (`ledger_sink`: the run's output parts and ledger). ``on_document(1)`` is called
    after each document is written (for a progress bar). The shard's completion marker is written
    last (`gharbal.runner.shards`). A failure that is not a
    document's (an I/O error, a bug in a reader or an aggregation; a document's own failures are
    rejections, see `gharbal.step.DocumentStep`) raises `ShardError` naming the shard.
    """
    with failure_as(ShardError, shard_failed(shard, phase_index)):
        phases = split_phases((build or build_steps)(recipe))
        phase = phases[phase_index]
        ctx = RunContext(
            rank=shard.index, world_size=recipe.workers, output_dir=out, num_shards=num_shards
        )
        docs: Iterator[Document]
        if phase.applies is None:
            docs = _timed((source or read_source)(shard, recipe, ctx), "read", ctx)
        else:
            workdir = stage_dir(out, phase_index - 1, phase.applies)
            docs = phase.applies.apply(
                read_intermediate(workdir / "docs" / docs_part(shard)), ctx, workdir
            )
            # Timed while it makes each document (reading the intermediate part included), not
            # while the steps downstream work on it, so that writing keeps its own time.
            docs = _timed(docs, phase.applies.name, ctx)
        for step in phase.steps:
            docs = step(docs, ctx)
        start = time.perf_counter()
        if phase.observes is not None:
            workdir = stage_dir(out, phase, phase.observes)
            docs = _inclusive_time(
                phase.observes.observe(docs, ctx, workdir), phase.observes.name, ctx
            )
            with JsonlPartWriter(workdir / "docs" / docs_part(shard)) as inter:
                for doc in docs:
                    inter.write(to_record(doc))
                    if on_document is not None:
                        on_document(1)
            write_marker(stage_marker(workdir, shard.index), ctx.stats)
            return ctx.stats
        with (sink or ledger_sink)(out, shard.index, recipe, ctx.stats) as writer:
            for doc in docs:
                writer.write(doc)
                if on_document is not None:
                    on_document(1)
            # Steps run lazily inside this loop: writing took the loop's time minus theirs.
            upstream = sum(ctx.stats.step_seconds.values())
            ctx.stats.add_time("write", max(time.perf_counter() - start - upstream, 0.0))
        return ctx.stats


class Runner:
    """Runs the phases of one run: the shards the schedule asks for, the finalizes, the uploads."""

    def __init__(
        self,
        output: Output,
        recipe: Recipe,
        shards: list[Shard],
        phases: list[Phase],
        plan: dict[str, object],
        executor: Executor,
        on_progress: Callable[[int], object] | None,
        build: BuildSteps | None,
        *,
        source: Source | None = None,
        sink: SinkFactory | None = None,
    ) -> None:
        self.output, self.out = output, output.local
        self.recipe, self.shards, self.phases, self.build = recipe, shards, phases, build
        self.source, self.sink = source, sink
        self.plan = plan
        self.executor, self.on_progress = executor, on_progress
        self.last = len(phases) - 1
        self.published = output.names("shards") if output.remote else set()
        self.uploads: list[Future[None]] = []
        self.upload_error: BaseException | None = None
        rows = plan["shards"]
        assert isinstance(rows, list)
        self.sizes = [_shard_bytes(row) for row in rows]

    def _workdir(self, index: int) -> Path:
        agg = self.phases[index].observes
        assert agg is not None
        return stage_dir(self.out, index, agg)

    def remove_stage_docs(self) -> None:
        """The documents kept between phases go once the run is done (the rest of the stages'
        work directories stays, for inspection)."""
        for phase in self.phases[:-1]:
            if phase.observes is not None:
                shutil.rmtree(self._workdir(phase.index) / "docs", ignore_errors=True)

    def stats_json(self, total: Stats) -> dict[str, object]:
        """What ``stats.json`` holds."""
        return total.to_json()

    def build_report(self) -> None:
        """``report.html`` in ``out``; the run's executor summarises the shards (its workers are
        running)."""
        self.output.fetch_missing(PART_DIRS[:-1])  # the report reads every part
        build_report(
            self.out,
            max_pages=self.recipe.report.max_pages,
            workers=self.recipe.workers,
            executor=self.executor,
        )

    def _finalized(self, phase: int) -> bool:
        return finalize_marker(self._workdir(phase)).is_file()

    def _shard_task(self, phase: Phase) -> Callable[[Shard], object]:
        """The task that runs ``phase`` on a shard; `_shard_stats` reads its result."""
        return partial(
            process_shard,
            recipe=self.recipe,
            out=self.out,
            on_document=progress.report,
            phase_index=phase.index,
            num_shards=len(self.shards),
            build=self.build,
            source=self.source,
            sink=self.sink,
        )

    def _shard_stats(self, phase: Phase, shard: Shard, result: object) -> Stats:
        assert isinstance(result, Stats)
        return result

    def _drop_marker(self, phase: int, shard: int) -> None:
        self._marker(phase, shard).unlink(missing_ok=True)

    def _marker(self, phase: int, shard: int) -> Path:
        if phase == self.last:
            return self.out / "shards" / marker_name(shard)
        return stage_marker(self._workdir(phase), shard)

    def _done(self, phase: int, shard: int) -> bool:
        if self._marker(phase, shard).is_file():
            return True
        return phase == self.last and marker_name(shard) in self.published

    def _marker_stats(self, phase: int, shard: int) -> Stats | None:
        found = read_marker(self._marker(phase, shard))
        if found is None and phase == self.last and marker_name(shard) in self.published:
            text = self.output.read_text(f"shards/{marker_name(shard)}")
            if text is not None:
                path = self.out / "shards" / marker_name(shard)
                write_text_atomic(path, text)
                found = read_marker(path)
        return found

    def run_phases(self, uploads: ThreadPoolExecutor) -> Stats:
        todo = schedule(
            len(self.phases),
            len(self.shards),
            self._done,
            self._finalized,
        )
        total = Stats()
        first_phase_docs: int | None = None
        for phase in self.phases:
            run = [s for s in self.shards if s.index in todo.run[phase.index]]
            counted = _Counter(self.on_progress)
            exact = first_phase_docs if len(run) == len(self.shards) else None
            if isinstance(self.on_progress, progress.PhaseListener):
                name = phase.observes.name if phase.observes is not None else "write"
                label = f"{phase.index + 1}/{len(self.phases)} {name}"
                self.on_progress.start_phase(label, len(run), exact if phase.index else None)
            results = self._run_phase(phase, run, counted, uploads)
            if phase.index == 0 and len(run) == len(self.shards):
                first_phase_docs = counted.n
            for shard in self.shards:
                stats = (
                    results[shard.index]
                    if shard.index in results
                    else self._marker_stats(phase.index, shard.index)
                )
                if stats is not None:  # None: work not redone; only its timings are missing
                    total.merge(stats)
            if phase.observes is not None:
                self._finalize(phase, phase.observes, todo.finalize[phase.index], total)
        return total

    def _run_phase(
        self,
        phase: Phase,
        run: list[Shard],
        counted: _Counter,
        uploads: ThreadPoolExecutor,
    ) -> dict[int, Stats]:
        task = self._shard_task(phase)
        weight = sum(self.sizes[s.index] for s in run) or 1
        # A plain callback hears of each document once, when it is written (the last phase); a
        # PhaseListener hears of every phase.
        listening = (
            self.on_progress is not None
            and isinstance(self.executor, progress.ReportsProgress)
            and (phase.index == self.last or isinstance(self.on_progress, progress.PhaseListener))
        )
        results: dict[int, Stats] = {}
        with (
            self.executor.progress_to(counted)
            if isinstance(self.executor, progress.ReportsProgress) and listening
            else contextlib.nullcontext(),
            # Closed when the run stops early, so that the executor's map ends at once (a local
            # executor restores the progress sink, Ray cancels the tasks left).
            contextlib.closing(_naming_lost(self.executor.map(task, run), run, phase)) as ordered,
        ):
            for shard, result in zip(run, ordered, strict=True):
                stats = self._shard_stats(phase, shard, result)
                if phase.index == 0:
                    self._check_inputs(shard)
                results[shard.index] = stats
                if phase.index == self.last and self.output.remote:
                    self._upload(uploads, shard.index)
                if not listening and phase.index == self.last:
                    counted(stats.input)
                if isinstance(self.on_progress, progress.PhaseListener):
                    self.on_progress.shard_done(self.sizes[shard.index] / weight)
        if phase.index == self.last and self.output.remote:
            for shard in self.shards:  # computed by the interrupted run, never uploaded
                name = marker_name(shard.index)
                if shard.index not in results and name not in self.published:
                    self._upload(uploads, shard.index)
        return results

    def _check_inputs(self, shard: Shard) -> None:
        """Stop the run if an input of ``shard`` (just read) changed or vanished after the run was
        planned: its documents are not the plan's. The shard's marker goes, so that a resume
        (which refuses changed inputs anyway) could never keep its output."""
        rows = self.plan["shards"]
        assert isinstance(rows, list)
        for item, planned in zip(shard.files, rows[shard.index]["files"], strict=True):
            change = input_changed(item, planned)
            if change is not None:
                self._drop_marker(0, shard.index)
                raise ShardError(
                    f"{shard_failed(shard, 0)}: input {item.path} changed or vanished while the "
                    f"run read it ({change})"
                )

    def _upload(self, uploads: ThreadPoolExecutor, shard: int) -> None:
        """Upload a finished shard in the background; stop the run at the first failed upload."""
        if self.upload_error is not None:
            error = self.upload_error
            if isinstance(error, GharbalError):
                raise error
            raise StageError(
                f"uploading the finished shards to {self.output} failed: "
                f"{type(error).__name__}: {error}"
            ) from error
        future = uploads.submit(self._publish, shard)
        future.add_done_callback(self._note_failure)
        self.uploads.append(future)

    def _note_failure(self, future: Future[None]) -> None:
        if self.upload_error is None and not future.cancelled():
            self.upload_error = future.exception()

    def _publish(self, shard: int) -> None:
        prefix = f"part-{shard:05d}."
        rels = [
            f"{sub}/{p.name}"
            for sub in PART_DIRS[:-1]
            if (self.out / sub).is_dir()
            for p in sorted((self.out / sub).glob(prefix + "*"))
        ]
        self.output.publish([*rels, f"shards/{marker_name(shard)}"])

    def _finalize(self, phase: Phase, agg: Aggregation, needed: bool, total: Stats) -> None:
        workdir = stage_dir(self.out, phase, agg)
        name = f"{agg.name}.finalize"
        if needed:
            start = time.perf_counter()
            with failure_as(StageError, f"stage {agg.name} failed in finalize"):
                agg.finalize(workdir, len(self.shards), self.executor)
            seconds = time.perf_counter() - start
            write_json_atomic(finalize_marker(workdir), {"seconds": seconds})
            total.add_time(name, seconds)
            return
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            marker = finalize_marker(workdir).read_text(encoding="utf-8")
            total.add_time(name, float(json.loads(marker)["seconds"]))


def _naming_lost(results: Iterator[object], run: list[Shard], phase: Phase) -> Generator[object]:
    """The executor's results for the shards ``run``; a task it lost names its shard and phase.
    Closing it closes the executor's ``map``."""
    try:
        for shard in run:
            try:
                result = next(results)
            except StopIteration:
                return
            except TaskLostError as exc:
                what = shard_failed(shard, phase.index, exc.node)
                raise ShardError(f"{what}: {exc.reason}") from exc
            yield result
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


class _Counter:
    """Counts documents on their way to the caller's progress callback."""

    def __init__(self, forward: Callable[[int], object] | None) -> None:
        self.n = 0
        self.forward = forward

    def __call__(self, n: int) -> None:
        self.n += n
        if self.forward is not None:
            self.forward(n)


def _shard_bytes(row: object) -> int:
    assert isinstance(row, dict)
    if row.get("span"):
        start, end, _ = row["span"]
        return int(end) - int(start)
    return sum(int(f.get("size") or 0) for f in row["files"]) or 1
