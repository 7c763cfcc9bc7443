"""The pipeline: a recipe turned into steps and aggregations, run over shards phase by phase, with
the ledger balanced at the end.

1. validate the recipe and plan shards (`ConfigError` before any work starts);
2. prepare ``OUT`` and save the resolved recipe as ``OUT/recipe.yaml``;
3. split the plan into phases at each aggregation (see `gharbal.step`): phase 0 reads the inputs,
   later phases read the documents the previous phase left in ``OUT/stages/NN-name/docs/``; after
   each phase but the last, the aggregation's ``finalize`` runs;
4. the last phase writes the ledger (`ShardWriter`); shard stats are merged in shard order, the
   invariant ``input == kept + rejected`` is checked and ``stats.json`` written.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from gharbal.document import Document
from gharbal.executors.local import Executor, LocalExecutor
from gharbal.extract import Extract, RenderHtml
from gharbal.extract.sitestats import SiteStats
from gharbal.readers import Shard, plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.stats import Stats
from gharbal.step import Aggregation, RunContext, Step
from gharbal.writers import ShardWriter, prepare_output, write_json_atomic
from gharbal.writers.intermediate import IntermediateWriter, read_intermediate

STAGES_DIR = "stages"


def build_steps(recipe: Recipe) -> list[Step | Aggregation]:
    """The steps and aggregations a recipe asks for, in pipeline order."""
    plan: list[Step | Aggregation] = []
    if recipe.extract.html.extractor == "lines":
        plan.append(RenderHtml(recipe.extract))  # HTML pages become line pages before site stats
    lines = recipe.extract.lines
    if lines.enabled and lines.method == "model" and lines.site_stats:
        plan.append(SiteStats())  # cross-page line counts per site, read by Extract
    plan.append(Extract(recipe.extract))
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
    """Time spent producing documents from ``docs`` (the reader), counted under ``name``."""
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


def process_shard(
    shard: Shard,
    recipe: Recipe,
    out: Path,
    on_document: Callable[[int], object] | None = None,
    phase_index: int = 0,
    num_shards: int = 1,
) -> Stats:
    """Run one phase of the pipeline on one shard; returns the shard's stats for that phase.

    ``on_document(1)`` is called after each document is written (for a progress bar).
    """
    phases = split_phases(build_steps(recipe))
    phase = phases[phase_index]
    ctx = RunContext(
        rank=shard.index, world_size=recipe.workers, output_dir=out, num_shards=num_shards
    )
    docs: Iterator[Document]
    if phase.applies is None:
        docs = _timed(read_shard(shard, recipe.read), "read", ctx)
    else:
        workdir = stage_dir(out, phase_index - 1, phase.applies)
        docs = phase.applies.apply(read_intermediate(workdir / "docs" / _part(shard)), ctx, workdir)
        docs = _inclusive_time(docs, phase.applies.name, ctx)
    for step in phase.steps:
        docs = step(docs, ctx)
    start = time.perf_counter()
    if phase.observes is not None:
        workdir = stage_dir(out, phase, phase.observes)
        docs = _inclusive_time(phase.observes.observe(docs, ctx, workdir), phase.observes.name, ctx)
        with IntermediateWriter(workdir / "docs" / _part(shard)) as inter:
            for doc in docs:
                inter.write(doc)
                if on_document is not None:
                    on_document(1)
        return ctx.stats
    with ShardWriter(out, shard.index, recipe.output, ctx.stats) as writer:
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
) -> Stats:
    """Run the whole pipeline over ``inputs`` into ``output_dir`` and return the merged stats.

    ``on_progress(n)`` hears of documents done (one at a time in this process, a shard at a time
    from a pool); ``executor`` defaults to a local pool of ``recipe.workers`` processes.
    """
    recipe = recipe or Recipe()
    executor = executor or LocalExecutor(recipe.workers)
    shards = plan_shards(inputs, recipe.read)
    phases = split_phases(build_steps(recipe))
    out = Path(output_dir)
    prepare_output(out)
    shutil.rmtree(out / STAGES_DIR, ignore_errors=True)
    (out / "recipe.yaml").write_text(recipe.to_yaml(), encoding="utf-8")
    total = Stats()
    for phase in phases:
        task = partial(
            process_shard,
            recipe=recipe,
            out=out,
            on_document=on_progress if executor.inline else None,
            phase_index=phase.index,
            num_shards=len(shards),
        )
        # Shards of earlier phases add only time per step; the last phase counts the documents.
        for shard_stats in executor.map(task, shards):
            total.merge(shard_stats)
            if on_progress is not None and not executor.inline:
                on_progress(shard_stats.input)
        if phase.observes is not None:
            start = time.perf_counter()
            phase.observes.finalize(stage_dir(out, phase, phase.observes), len(shards), executor)
            total.add_time(f"{phase.observes.name}.finalize", time.perf_counter() - start)
    for phase in phases[:-1]:
        if phase.observes is not None:
            shutil.rmtree(stage_dir(out, phase, phase.observes) / "docs", ignore_errors=True)
    total.check()
    write_json_atomic(out / "stats.json", total.to_json())
    return total
