"""The local executor: shards run in this process (one worker) or in a process pool.

Results come back in shard order whatever the worker count, so merged stats are identical for any
``workers``. A worker process starts with ``spawn`` (no state inherited by fork).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from gharbal.stats import Stats

if TYPE_CHECKING:
    from gharbal.readers import Shard
    from gharbal.recipe import Recipe


def run_local(
    shards: list[Shard],
    recipe: Recipe,
    out: Path,
    on_progress: Callable[[int], object] | None = None,
    phase_index: int = 0,
) -> Iterator[Stats]:
    """Yield each shard's stats, in shard order; ``on_progress(n)`` hears of documents done (one at
    a time in this process, a shard at a time from a pool)."""
    from gharbal.pipeline import process_shard

    task = partial(
        process_shard, recipe=recipe, out=out, phase_index=phase_index, num_shards=len(shards)
    )
    if recipe.workers == 1 or len(shards) <= 1:
        for shard in shards:
            yield task(shard, on_document=on_progress)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=recipe.workers, mp_context=ctx) as pool:
        for stats in pool.map(task, shards):
            if on_progress is not None:
                on_progress(stats.input)
            yield stats
