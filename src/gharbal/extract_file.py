"""``gharbal extract``: main-content extraction only, one output record per input record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gharbal.extract import extract_page
from gharbal.readers import plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.writers import JsonlPartWriter
from gharbal.writers.ledger import rejection_record


def extract_file(
    input_path: str,
    output: str | Path,
    recipe: Recipe | None = None,
    on_progress: Callable[[int], object] | None = None,
) -> tuple[int, int]:
    """Write ``{"id", "title", "text"}`` for every readable record of ``input_path`` to ``output``.

    Unreadable records go to ``<output stem>.rejected.jsonl`` (created only if there are any).
    Returns (records written, unreadable records).
    """
    recipe = recipe or Recipe()
    out = Path(output)
    rejected_path = out.with_suffix(".rejected.jsonl")
    written = unreadable = 0
    rejected: JsonlPartWriter | None = None
    with JsonlPartWriter(out) as writer:
        try:
            for shard in plan_shards([input_path], recipe.read):
                for doc in read_shard(shard, recipe.read):
                    if doc.rejection is not None:
                        rejected = rejected or JsonlPartWriter(rejected_path)
                        rejected.write(rejection_record(doc))
                        unreadable += 1
                    else:
                        extract_page(doc, recipe.extract)
                        writer.write({"id": doc.id, "title": doc.title, "text": doc.text})
                        written += 1
                    if on_progress is not None:
                        on_progress(1)
        finally:
            if rejected is not None:
                rejected.close()
    if rejected is None:
        rejected_path.unlink(missing_ok=True)
    return written, unreadable
