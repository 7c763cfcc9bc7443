"""The pipeline: a recipe turned into steps and aggregations, run over shards phase by phase, with
the ledger balanced at the end.

1. validate the recipe and plan shards (`ConfigError` before any work starts);
2. lock ``OUT`` (`gharbal.writers.lock`: a second run into it stops with `ConfigError`), prepare
   it and save the resolved recipe as ``OUT/recipe.yaml`` and the shard plan as
   ``OUT/plan.json``; with ``resume``, check them against the earlier run's instead and keep its
   finished work (`gharbal.runner.shards`);
3. split the plan into phases at each aggregation (see `gharbal.step`): phase 0 reads the inputs,
   later phases read the documents the previous phase left in ``OUT/stages/NN-name/docs/``; after
   each phase but the last, the aggregation's ``finalize`` runs; every shard of every phase, and
   every ``finalize``, leaves a completion marker;
4. the last phase writes the ledger (`ShardWriter`); shard stats are merged in shard order, the
   invariant ``input == kept + rejected`` is checked and ``stats.json`` written;
5. build ``report.html`` from ``stats.json`` and the ledger (`gharbal.report`).

For an output URL, workers write to a local staging directory and finished shards are uploaded as
they come (`gharbal.writers.output`), ``stats.json`` last. On a cluster whose nodes share nothing
but the bucket, every task stages on its own node and publishes its files itself (`gharbal.runner.nodes`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

from gharbal.errors import StageError
from gharbal.executors.local import LocalExecutor
from gharbal.readers import Shard, SkippedInput, plan_shards
from gharbal.recipe import Recipe
from gharbal.runner.nodes import BucketRunner, driver_staging, use_bucket
from gharbal.runner.phases import STAGES_DIR, Phase, Runner, failure_as, split_phases, stage_dir
from gharbal.runner.shards import PLAN, check_resumable, plan_record
from gharbal.runner.steps import BuildSteps, build_steps
from gharbal.stats import Stats
from gharbal.step import Executor
from gharbal.writers import PART_DIRS, write_json_atomic, write_text_atomic
from gharbal.writers.lock import OutputLock
from gharbal.writers.output import Output

TOP_LEVEL = ("recipe.yaml", PLAN, "report.html")
"""Files beside the parts that an output URL receives at the end of a run (``stats.json`` last)."""


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
    there (`gharbal.runner.nodes`). By default, so when the output is a URL, no ``staging`` is given and
    the executor's workers do not share this machine's disk (a Ray cluster joined by address).
    """
    recipe = recipe or Recipe()
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
    with failure_as(StageError, f"preparing the output {output} failed"):
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
                runner: Runner = BucketRunner(
                    output, recipe, shards, phases, plan, executor, on_progress, build
                )
            else:
                runner = Runner(output, recipe, shards, phases, plan, executor, on_progress, build)
            total = runner.run_phases(uploads)
            with failure_as(StageError, f"uploading the finished shards to {output} failed"):
                for upload in runner.uploads:
                    upload.result()
        runner.remove_stage_docs()
        total.check()
        total.skipped_inputs = [dict(s) for s in cast(list[dict[str, str]], plan["skipped_inputs"])]
        with failure_as(StageError, f"writing {out / 'stats.json'} failed"):
            write_json_atomic(out / "stats.json", runner.stats_json(total))
        if recipe.report.enabled:
            with failure_as(StageError, f"building {out / 'report.html'} failed"):
                runner.build_report()
            with failure_as(StageError, f"writing {out / 'stats.json'} failed"):
                write_json_atomic(out / "stats.json", runner.stats_json(total))
    finally:
        if owned is not None:
            owned.close()
    if output.remote:
        with failure_as(StageError, f"uploading the run's files to {output} failed"):
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
