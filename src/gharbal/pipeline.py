"""The pipeline: a recipe turned into steps and aggregations, run over shards phase by phase, with
the ledger balanced at the end.

1. validate the recipe and plan shards (`ConfigError` before any work starts);
2. lock ``OUT`` (`gharbal.writers.lock`: a second run into it stops with `ConfigError`), prepare
   it and save the resolved recipe as ``OUT/recipe.yaml`` and the shard plan as
   ``OUT/plan.json``; with ``resume``, check them against the earlier run's instead and keep its
   finished work (`gharbal.executors.shards`);
3. split the plan into phases at each aggregation (see `gharbal.step`): phase 0 reads the inputs,
   later phases read the documents the previous phase left in ``OUT/stages/NN-name/docs/``; after
   each phase but the last, the aggregation's ``finalize`` runs; every shard of every phase, and
   every ``finalize``, leaves a completion marker;
4. the last phase writes the ledger (`ShardWriter`); shard stats are merged in shard order, the
   invariant ``input == kept + rejected`` is checked and ``stats.json`` written;
5. build ``report.html`` from ``stats.json`` and the ledger (`gharbal.report`).

For an output URL, workers write to a local staging directory and finished shards are uploaded as
they come (`gharbal.writers.output`), ``stats.json`` last. On a cluster whose nodes share nothing
but the bucket, every task stages on its own node and publishes its files itself (`gharbal.nodes`).
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
from typing import cast

from gharbal.dedup import dedup_steps
from gharbal.document import Document
from gharbal.errors import GharbalError, ShardError, StageError
from gharbal.executors import node, progress
from gharbal.executors.local import LocalExecutor, TaskLostError
from gharbal.executors.shards import (
    PLAN,
    check_resumable,
    finalize_marker,
    input_changed,
    marker_name,
    plan_record,
    read_marker,
    schedule,
    stage_marker,
    write_marker,
)
from gharbal.extract import Extract, RenderHtml
from gharbal.extract.sitestats import SiteStats
from gharbal.identify.language import LanguageId
from gharbal.pii.redact import PiiRedact, redactor
from gharbal.quality.filters import QualityFilters
from gharbal.quality.signals import QualitySignals
from gharbal.readers import Shard, SkippedInput, plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.report import build_report
from gharbal.stats import Stats
from gharbal.step import Aggregation, Executor, RunContext, Step
from gharbal.writers import (
    PART_DIRS,
    ShardWriter,
    write_json_atomic,
    write_text_atomic,
)
from gharbal.writers.intermediate import read_intermediate, to_record
from gharbal.writers.jsonl import JsonlPartWriter
from gharbal.writers.lock import OutputLock
from gharbal.writers.output import Output

STAGES_DIR = "stages"
TOP_LEVEL = ("recipe.yaml", PLAN, "report.html")
"""Files beside the parts that an output URL receives at the end of a run (``stats.json`` last)."""

BuildSteps = Callable[[Recipe], list[Step | Aggregation]]
"""What turns a recipe into steps: `build_steps` unless a caller passes its own (a picklable
module-level function, since every worker builds its steps from the recipe)."""


def build_steps(recipe: Recipe) -> list[Step | Aggregation]:
    """The steps and aggregations a recipe asks for, in pipeline order."""
    plan: list[Step | Aggregation] = []
    if recipe.extract.html.extractor in ("lines", "dom"):
        plan.append(RenderHtml(recipe.extract))  # HTML pages become line pages before site stats
    lines = recipe.extract.lines
    if lines.enabled and lines.method == "model" and lines.site_stats:
        plan.append(SiteStats(recipe.extract.max_lines))  # line counts per site, read by Extract
    plan.append(Extract(recipe.extract))
    if recipe.lang.enabled:
        plan.append(LanguageId(recipe.lang))
    if recipe.quality.enabled:
        plan += [QualitySignals(recipe.quality), QualityFilters(recipe.quality)]
    if recipe.pii.enabled:
        plan.append(PiiRedact(recipe.pii))
    plan += dedup_steps(recipe.dedup)
    return plan


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


def _part(shard: Shard) -> str:
    return f"part-{shard.index:05d}.jsonl.zst"


@contextlib.contextmanager
def _failure_as(error: type[GharbalError], what: str) -> Iterator[None]:
    """Turn an exception of the block into ``error("{what}: {type}: {message}")``, the original
    as its cause (`ShardError` for a shard's phase, `StageError` for a finalize); gharbal's own
    errors pass unchanged."""
    try:
        yield
    except GharbalError:
        raise
    except Exception as exc:
        raise error(f"{what}: {type(exc).__name__}: {exc}") from exc


def _shard_failed(shard: Shard, phase_index: int, on: str | None = None) -> str:
    """``shard 3 (a.jsonl) failed in phase 2``, with `` on node 10.0.0.5 (3f2a9c01)`` in a
    task on a cluster (or ``on``: the node of a task that was lost)."""
    files = ", ".join(str(f.path) for f in shard.files[:3])
    more = f" and {len(shard.files) - 3} more" if len(shard.files) > 3 else ""
    where = on or node.name()
    at = f" on node {where}" if where else ""
    return f"shard {shard.index} ({files}{more}) failed in phase {phase_index + 1}{at}"


def process_shard(
    shard: Shard,
    recipe: Recipe,
    out: Path,
    on_document: Callable[[int], object] | None = None,
    phase_index: int = 0,
    num_shards: int = 1,
    build: BuildSteps | None = None,
) -> Stats:
    """Run one phase of the pipeline on one shard; returns the shard's stats for that phase.

    ``on_document(1)`` is called after each document is written (for a progress bar). The shard's
    completion marker is written last (`gharbal.executors.shards`). A failure that is not a
    document's (an I/O error, a bug in a reader or an aggregation; a document's own failures are
    rejections, see `gharbal.step.DocumentStep`) raises `ShardError` naming the shard.
    """
    with _failure_as(ShardError, _shard_failed(shard, phase_index)):
        phases = split_phases((build or build_steps)(recipe))
        phase = phases[phase_index]
        ctx = RunContext(
            rank=shard.index, world_size=recipe.workers, output_dir=out, num_shards=num_shards
        )
        docs: Iterator[Document]
        if phase.applies is None:
            read = read_shard(shard, recipe.read, ctx.stats.files_without_documents.append)
            docs = _timed(read, "read", ctx)
        else:
            workdir = stage_dir(out, phase_index - 1, phase.applies)
            docs = phase.applies.apply(
                read_intermediate(workdir / "docs" / _part(shard)), ctx, workdir
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
            with JsonlPartWriter(workdir / "docs" / _part(shard)) as inter:
                for doc in docs:
                    inter.write(to_record(doc))
                    if on_document is not None:
                        on_document(1)
            write_marker(stage_marker(workdir, shard.index), ctx.stats)
            return ctx.stats
        with ShardWriter(
            out, shard.index, recipe.output, ctx.stats, redactor(recipe.pii)
        ) as writer:
            for doc in docs:
                writer.write(doc)
                if on_document is not None:
                    on_document(1)
            # Steps run lazily inside this loop: writing took the loop's time minus theirs.
            upstream = sum(ctx.stats.step_seconds.values())
            ctx.stats.add_time("write", max(time.perf_counter() - start - upstream, 0.0))
        return ctx.stats


def run(
    inputs: list[str],
    output_dir: str | Path,
    recipe: Recipe | None = None,
    on_progress: Callable[[int], object] | None = None,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    staging: str | Path | None = None,
    build: BuildSteps | None = None,
    bucket_only: bool | None = None,
) -> Stats:
    """Run the whole pipeline over ``inputs`` into ``output_dir`` and return the merged stats.

    ``output_dir`` is a directory or an fsspec URL (``s3://bucket/out``; ``staging`` is then the local
    directory workers write to, see `gharbal.writers.output`). ``resume`` keeps the finished work of
    an interrupted run into the same output (after checking that recipe and inputs are the same) and
    does the rest. ``on_progress(n)`` hears of documents done; a `ProgressBar` (any
    `~gharbal.executors.progress.PhaseListener`) also hears of phases and shards. ``executor``
    defaults to a local pool of ``recipe.workers`` processes; ``build`` to `build_steps`.

    ``bucket_only``: the nodes share nothing but the output URL's bucket: each task stages on its
    own node and publishes its files to the bucket, and the tasks of later stages read them from
    there (`gharbal.nodes`). By default, so when the output is a URL, no ``staging`` is given and
    the executor's workers do not share this machine's disk (a Ray cluster joined by address).
    """
    recipe = recipe or Recipe()
    from gharbal.nodes import driver_staging, use_bucket

    bucket = use_bucket(output_dir, executor, staging, bucket_only)
    if bucket is not None:
        with driver_staging(str(output_dir)) as scratch:  # holds nothing a resume needs
            return _run(
                inputs, output_dir, recipe, on_progress, executor, resume, scratch, build, True
            )
    return _run(inputs, output_dir, recipe, on_progress, executor, resume, staging, build, False)


def _run(
    inputs: list[str],
    output_dir: str | Path,
    recipe: Recipe,
    on_progress: Callable[[int], object] | None,
    executor: Executor | None,
    resume: bool,
    staging: str | Path | None,
    build: BuildSteps | None,
    bucket_only: bool,
) -> Stats:
    output = Output(output_dir, staging)
    skipped: list[SkippedInput] = []
    # The output is never read as input: refused if it is an input or holds one, left out of the
    # walk if it lies inside an input directory.
    shards = plan_shards(inputs, recipe.read, output.url or output.local, skipped)
    phases = split_phases((build or build_steps)(recipe))
    stages = [stage_dir(Path(), p, p.observes).name for p in phases if p.observes is not None]
    plan = plan_record(shards, stages)
    plan["skipped_inputs"] = [s.to_json() for s in skipped]
    with OutputLock(output.local):  # a second run into the same output stops here (exit 2)
        return _run_locked(
            output, recipe, shards, phases, plan, executor, on_progress, build, resume, bucket_only
        )


def _run_locked(
    output: Output,
    recipe: Recipe,
    shards: list[Shard],
    phases: list[Phase],
    plan: dict[str, object],
    executor: Executor | None,
    on_progress: Callable[[int], object] | None,
    build: BuildSteps | None,
    resume: bool,
    bucket_only: bool = False,
) -> Stats:
    """`run` once it holds the output's lock. A failure to write the run's own files (a full disk
    while writing ``recipe.yaml``, ``stats.json``, ``report.html``, a failed upload) raises
    `StageError` naming the file; the work done is kept for ``--resume``."""
    saved_plan = output.read_text(PLAN)
    resuming = resume and check_resumable(output.read_text("recipe.yaml"), saved_plan, recipe, plan)
    out = output.local
    with _failure_as(StageError, f"preparing the output {output} failed"):
        if resuming:
            if output.remote and _read(out / PLAN) != saved_plan:
                # Staging of another run (or none): its markers cannot be trusted; the uploaded
                # shards' markers at the destination still can.
                output.clear((*PART_DIRS, STAGES_DIR), ("stats.json", PLAN), remote=False)
        else:
            output.clear((*PART_DIRS, STAGES_DIR), ("stats.json", PLAN, "recipe.yaml"))
        _remove_temporaries(out)
        write_text_atomic(out / "recipe.yaml", recipe.to_yaml())
        write_json_atomic(out / PLAN, plan)
        if not resuming:
            output.publish(["recipe.yaml", PLAN])
    owned = LocalExecutor(recipe.workers) if executor is None else None
    executor = executor or owned
    assert executor is not None
    try:
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="gharbal-upload") as uploads:
            if bucket_only:
                from gharbal.nodes import BucketRunner

                runner: _Runner = BucketRunner(
                    output, recipe, shards, phases, plan, executor, on_progress, build
                )
            else:
                runner = _Runner(output, recipe, shards, phases, plan, executor, on_progress, build)
            total = runner.run_phases(uploads)
            with _failure_as(StageError, f"uploading the finished shards to {output} failed"):
                for upload in runner.uploads:
                    upload.result()
        runner.remove_stage_docs()
        total.check()
        total.skipped_inputs = [dict(s) for s in cast(list[dict[str, str]], plan["skipped_inputs"])]
        with _failure_as(StageError, f"writing {out / 'stats.json'} failed"):
            write_json_atomic(out / "stats.json", runner.stats_json(total))
        if recipe.report.enabled:
            with _failure_as(StageError, f"building {out / 'report.html'} failed"):
                runner.build_report()
            with _failure_as(StageError, f"writing {out / 'stats.json'} failed"):
                write_json_atomic(out / "stats.json", runner.stats_json(total))
    finally:
        if owned is not None:
            owned.close()
    if output.remote:
        with _failure_as(StageError, f"uploading the run's files to {output} failed"):
            top = [name for name in TOP_LEVEL if (out / name).is_file()]
            output.publish([*top, "stats.json"])  # stats.json last: the run is complete
        for sub in PART_DIRS[:-1]:
            shutil.rmtree(out / sub, ignore_errors=True)  # uploaded; markers stay for --resume
    return total


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _remove_temporaries(out: Path) -> None:
    """Temporary files of an interrupted run (never renamed into place)."""
    for sub in (*PART_DIRS, STAGES_DIR):
        if (out / sub).is_dir():
            for tmp in (out / sub).rglob(".*.tmp"):
                tmp.unlink(missing_ok=True)
    for name in ("recipe.yaml", PLAN, "stats.json", "report.html"):
        for tmp in out.glob(f".{name}*.tmp"):  # ours only: OUT may hold other files
            tmp.unlink(missing_ok=True)


class _Runner:
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
    ) -> None:
        self.output, self.out = output, output.local
        self.recipe, self.shards, self.phases, self.build = recipe, shards, phases, build
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
                    f"{_shard_failed(shard, 0)}: input {item.path} changed or vanished while the "
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
            with _failure_as(StageError, f"stage {agg.name} failed in finalize"):
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
                what = _shard_failed(shard, phase.index, exc.node)
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
