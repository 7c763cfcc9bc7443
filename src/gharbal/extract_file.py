"""``gharbal extract``: main-content extraction only, one output record per input record.

Pages of the same site in the input are used together: a first pass over the input collects the
site statistics (`gharbal.extract.sitestats`, in a temporary directory), the second extracts with
them. ``site_stats=False`` (``--no-site-stats``) reads the input once and judges every page alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from gharbal.document import Document
from gharbal.errors import ConfigError
from gharbal.executors.local import LocalExecutor
from gharbal.extract import extract_page, render_html
from gharbal.extract.features import SiteCounts
from gharbal.extract.sitestats import SiteStats
from gharbal.readers import Shard, plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.step import RunContext
from gharbal.writers import JsonlPartWriter
from gharbal.writers.atomic import output_file
from gharbal.writers.ledger import rejection_record


def _documents(
    shards: list[Shard], recipe: Recipe, site_stats: bool, workdir: Path
) -> Iterator[Document]:
    def read(shard: Shard) -> Iterator[Document]:
        for doc in read_shard(shard, recipe.read):
            yield render_html(doc, recipe.extract) if doc.rejection is None else doc

    if not site_stats:
        for shard in shards:
            yield from read(shard)
        return
    stats = SiteStats(recipe.extract.max_lines)
    for shard in shards:
        ctx = RunContext(rank=shard.index, num_shards=len(shards))
        for _ in stats.observe(read(shard), ctx, workdir):
            pass
    stats.finalize(workdir, len(shards), LocalExecutor(1))
    for shard in shards:
        ctx = RunContext(rank=shard.index, num_shards=len(shards))
        yield from stats.apply(read(shard), ctx, workdir)


class ExtractCounts(NamedTuple):
    """What `extract_file` did with the input's records."""

    written: int
    unreadable: int  # damaged records (``read.*``), in the rejected file with their reasons
    skipped: int = 0  # records that are not pages (``read.skip.*``: a WARC image, a 404), likewise
    refused: int = 0  # pages over extraction's bounds (``extract.too_many_lines``, ``too_deep``)


def extract_file(
    input_path: str,
    output: str | Path,
    recipe: Recipe | None = None,
    on_progress: Callable[[int], object] | None = None,
    site_stats: bool | None = None,
) -> ExtractCounts:
    """Write ``{"id", "title", "text"}`` for every readable record of ``input_path`` to ``output``.

    Records not written go to ``<output stem>.rejected.jsonl`` with their reasons (created only if
    there are any). ``site_stats`` defaults to the recipe's ``extract.lines.site_stats``.
    """
    recipe = recipe or Recipe()
    use_sites = recipe.extract.lines.site_stats if site_stats is None else site_stats
    out = output_file(output)
    rejected_path = output_file(out.with_suffix(".rejected.jsonl"))
    written = unreadable = skipped = refused = 0
    rejected: JsonlPartWriter | None = None
    shards = plan_shards([input_path], recipe.read)
    targets = {out.resolve(), rejected_path.resolve()}
    for shard in shards:
        for f in shard.files:
            if isinstance(f.path, Path) and f.path.resolve() in targets:
                raise ConfigError(
                    f"the output {str(out)!r} would overwrite the input {str(f.path)!r}"
                )
    with (
        tempfile.TemporaryDirectory(prefix="gharbal-sites-") as tmp,
        JsonlPartWriter(out) as writer,
    ):
        try:
            for doc in _documents(shards, recipe, use_sites, Path(tmp)):
                if doc.rejection is None:
                    site = None
                    if doc.site_lines is not None:
                        site = SiteCounts(doc.site_lines[0], doc.site_lines[1])
                        doc.site_lines = None
                    extract_page(doc, recipe.extract, site)
                if doc.rejection is not None:
                    rejected = rejected or JsonlPartWriter(rejected_path)
                    rejected.write(rejection_record(doc))
                    if doc.rejection.reason.startswith("read.skip."):
                        skipped += 1
                    elif doc.rejection.reason.startswith("read."):
                        unreadable += 1
                    else:
                        refused += 1
                else:
                    writer.write({"id": doc.id, "title": doc.title, "text": doc.text})
                    written += 1
                if on_progress is not None:
                    on_progress(1)
        finally:
            if rejected is not None:
                rejected.close()
    if rejected is None:
        rejected_path.unlink(missing_ok=True)
    return ExtractCounts(written, unreadable, skipped, refused)
