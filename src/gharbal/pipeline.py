"""The pipeline: a recipe turned into steps, run over shards, with the ledger balanced at the end.

1. validate the recipe and plan shards (`ConfigError` before any work starts);
2. prepare ``OUT`` and save the resolved recipe as ``OUT/recipe.yaml``;
3. run every shard (read -> steps -> `ShardWriter`) on the executor;
4. merge shard stats in shard order, check ``input == kept + rejected`` and write ``stats.json``;
5. build ``report.html`` from ``stats.json`` and the ledger (`gharbal.report`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from gharbal.document import Document
from gharbal.executors.local import run_local
from gharbal.extract import Extract
from gharbal.readers import Shard, plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.report import build_report
from gharbal.stats import Stats
from gharbal.step import RunContext, Step
from gharbal.writers import ShardWriter, prepare_output, write_json_atomic


def build_steps(recipe: Recipe) -> list[Step]:
    """The steps a recipe asks for, in pipeline order."""
    return [Extract(recipe.extract)]


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


def process_shard(
    shard: Shard, recipe: Recipe, out: Path, on_document: Callable[[int], object] | None = None
) -> Stats:
    """Read, process and write one shard; returns its stats (also saved as its completion marker).

    ``on_document(1)`` is called after each document is written (for a progress bar)."""
    ctx = RunContext(rank=shard.index, world_size=recipe.workers, output_dir=out)
    docs: Iterator[Document] = _timed(read_shard(shard, recipe.read), "read", ctx)
    for step in build_steps(recipe):
        docs = step(docs, ctx)
    start = time.perf_counter()
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
) -> Stats:
    """Run the whole pipeline over ``inputs`` into ``output_dir`` and return the merged stats."""
    recipe = recipe or Recipe()
    shards = plan_shards(inputs, recipe.read)
    out = Path(output_dir)
    prepare_output(out)
    (out / "recipe.yaml").write_text(recipe.to_yaml(), encoding="utf-8")
    total = Stats()
    for shard_stats in run_local(shards, recipe, out, on_progress):
        total.merge(shard_stats)
    total.check()
    write_json_atomic(out / "stats.json", total.to_json())
    if recipe.report.enabled:
        build_report(out, max_pages=recipe.report.max_pages, workers=recipe.workers)
    return total
