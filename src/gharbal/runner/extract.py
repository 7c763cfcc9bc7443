"""``gharbal extract``: main-content extraction only, one output record per input record.

The input goes through extraction's steps (`gharbal.runner.steps.extraction_steps`) with the runner
of the pipeline (`gharbal.runner.phases.Runner`), in a temporary directory: pages of the same site are
used together (the site statistics stage between the two phases, as in ``gharbal run``), unless
``site_stats=False`` (``--no-site-stats``), which reads the input once and judges every page alone.
Each shard's records and rejections are written to parts there (`ExtractSink`), then copied, in
shard order, to the output file and its ``.rejected.jsonl`` sibling.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import NamedTuple

from gharbal.document import Document
from gharbal.errors import ConfigError
from gharbal.executors.local import LocalExecutor
from gharbal.readers import plan_shards
from gharbal.recipe import Recipe
from gharbal.runner.phases import Runner, split_phases, stage_dir
from gharbal.runner.shards import plan_record
from gharbal.runner.steps import extraction_steps
from gharbal.stats import Stats
from gharbal.writers import JsonlPartWriter
from gharbal.writers.atomic import AtomicOutput, output_file
from gharbal.writers.ledger import rejection_record
from gharbal.writers.output import Output


class ExtractCounts(NamedTuple):
    """What `extract_file` did with the input's records."""

    written: int
    unreadable: int  # damaged records (``read.*``), in the rejected file with their reasons
    skipped: int = 0  # records that are not pages (``read.skip.*``: a WARC image, a 404), likewise
    refused: int = 0  # pages over extraction's bounds (``extract.too_many_lines``, ``too_deep``)


class ExtractSink(AtomicOutput):
    """The last phase's sink of ``gharbal extract``: ``{"id", "title", "text"}`` of every page in
    ``extracted/part-NNNNN.jsonl``, every record that is not a page (or over extraction's bounds)
    in ``rejected/part-NNNNN.jsonl`` with its reason; counted in ``stats``."""

    def __init__(self, out: Path, index: int, recipe: Recipe, stats: Stats) -> None:
        self.stats = stats
        self.records = JsonlPartWriter(out / "extracted" / f"part-{index:05d}.jsonl")
        self.rejected = JsonlPartWriter(out / "rejected" / f"part-{index:05d}.jsonl")

    def write(self, doc: Document) -> None:
        s = self.stats
        s.input += 1
        if doc.rejection is not None:
            self.rejected.write(rejection_record(doc))
            s.rejected += 1
            s.rejected_by_reason[doc.rejection.reason] += 1
        else:
            self.records.write({"id": doc.id, "title": doc.title, "text": doc.text})
            s.kept += 1

    def close(self) -> None:
        self.records.close()
        self.rejected.close()

    def abort(self) -> None:
        self.records.abort()
        self.rejected.abort()


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
    out = output_file(output)
    rejected_path = output_file(out.with_suffix(".rejected.jsonl"))
    shards = plan_shards([input_path], recipe.read)
    targets = {out.resolve(), rejected_path.resolve()}
    for shard in shards:
        for f in shard.files:
            if isinstance(f.path, Path) and f.path.resolve() in targets:
                raise ConfigError(
                    f"the output {str(out)!r} would overwrite the input {str(f.path)!r}"
                )
    build = partial(extraction_steps, site_stats=site_stats, reject_empty=False)
    phases = split_phases(build(recipe))
    stages = [stage_dir(Path(), p, p.observes).name for p in phases if p.observes is not None]
    plan = plan_record(shards, stages)
    with tempfile.TemporaryDirectory(prefix="gharbal-extract-") as tmp:
        work = Path(tmp)
        with LocalExecutor(1) as executor, ThreadPoolExecutor(max_workers=1) as uploads:
            runner = Runner(
                Output(work), recipe, shards, phases, plan, executor, on_progress, build,
                sink=ExtractSink,
            )  # fmt: skip
            total = runner.run_phases(uploads)
        total.check()
        parts = [f"part-{shard.index:05d}.jsonl" for shard in shards]
        with JsonlPartWriter(out) as writer:
            for name in parts:
                writer.copy_from(work / "extracted" / name)
        if total.rejected:
            with JsonlPartWriter(rejected_path) as writer:
                for name in parts:
                    writer.copy_from(work / "rejected" / name)
        else:
            rejected_path.unlink(missing_ok=True)
    by = total.rejected_by_reason
    skipped = sum(n for r, n in by.items() if r.startswith("read.skip."))
    unreadable = sum(n for r, n in by.items() if r.startswith("read.")) - skipped
    return ExtractCounts(total.kept, unreadable, skipped, total.rejected - unreadable - skipped)
