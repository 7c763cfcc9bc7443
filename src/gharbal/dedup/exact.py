"""Exact duplicates: documents whose normalised text (the match forms of their words joined by
spaces, see `gharbal.dedup.hashing`) is the same. Case, punctuation, spacing, Arabic diacritics and
tatweel do not make two copies different.

Stages and files (``OUT/stages/NN-dedup_exact/``):

1. ``observe`` (per shard): a 128-bit hash per document, as records ``(hi, lo, rank, idh, ref)``
   sorted and spilled under the budget to ``hashes/part-NNNNN-RRR.npy``; the shard's index in
   ``index/`` (see `gharbal.dedup.table`).
2. ``finalize``: the runs are merged (k-way); each group of equal hashes is a cluster, whose first
   record is the best copy by ``keep`` (the sort order puts it there); the others' decisions are
   spilled by document to ``groups/`` and written, in document order, to ``decisions/``.
3. ``apply``: copies are rejected as ``dedup.exact`` (cluster id, kept id, similarity 1.0);
   survivors get the score ``dedup.exact_v1.cluster_size``.

The hash files are the compact seen-set: 40 bytes per document on disk, none of the text.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gharbal.dedup.config import DedupConfig
from gharbal.dedup.hashing import clear_caches, normalised_words, text_hash
from gharbal.dedup.stage import (
    DecisionWriter,
    apply_decisions,
    cluster_id,
    decisions_path,
    read_decisions,
    record_document,
)
from gharbal.dedup.table import Index, IndexWriter, ref_of
from gharbal.document import Document
from gharbal.step import Executor, RunContext
from gharbal.writers.spill import SortedRuns, merge_runs, whole_groups

HASH = np.dtype([("hi", "<u8"), ("lo", "<u8"), ("rank", "<u8"), ("idh", "<u8"), ("ref", "<u8")])
HASH_ORDER = ("hi", "lo", "rank", "idh", "ref")
GROUP = np.dtype([("doc", "<u8"), ("kept", "<u8"), ("min_idh", "<u8"), ("size", "<u8")])
SCORE = "dedup.exact_v1.cluster_size"
_M64 = (1 << 64) - 1


class ExactDedup:
    """The ``dedup_exact`` aggregation (see the module docstring)."""

    name = "dedup_exact"

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg

    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        index = IndexWriter(workdir, ctx.rank)
        runs = SortedRuns(
            workdir / "hashes", f"part-{ctx.rank:05d}", HASH, HASH_ORDER, self.cfg.memory_bytes // 2
        )
        pending: list[tuple[int, int, int, int, int]] = []
        for pos, doc in enumerate(docs):
            if doc.rejection is None:
                forms = normalised_words(doc.text)
                if forms:
                    h = text_hash(forms)
                    hi, lo = h >> 64, h & _M64
                    row, rank, idh = record_document(index, doc, self.cfg.keep, pos, lo)
                    pending.append((hi, lo, rank, idh, ref_of(ctx.rank, row)))
                    if len(pending) >= 4096:
                        runs.add(np.array(pending, dtype=HASH))
                        pending.clear()
            yield doc
        runs.add(np.array(pending, dtype=HASH))
        runs.close()
        index.close()

    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        clear_caches()  # the documents are hashed: their tokens are not needed here
        for sub in ("groups", "decisions"):
            shutil.rmtree(workdir / sub, ignore_errors=True)
        index = Index(workdir, num_shards)
        budget = self.cfg.memory_bytes
        groups = SortedRuns(workdir / "groups", "part", GROUP, ("doc",), budget // 2)
        clusters = 0
        runs = sorted((workdir / "hashes").glob("part-*.npy"))
        for chunk in whole_groups(merge_runs(runs, HASH_ORDER, budget // 2), ("hi", "lo")):
            start = np.ones(len(chunk), dtype=bool)
            start[1:] = (chunk["hi"][1:] != chunk["hi"][:-1]) | (
                chunk["lo"][1:] != chunk["lo"][:-1]
            )
            heads = np.flatnonzero(start)
            sizes = np.diff(np.append(heads, len(chunk)))
            group = np.cumsum(start) - 1
            size = sizes[group]
            dup = size > 1
            if not dup.any():
                continue
            clusters += int(np.count_nonzero(sizes > 1))
            min_idh = np.minimum.reduceat(chunk["idh"], heads)[group]
            rec = np.empty(int(np.count_nonzero(dup)), dtype=GROUP)
            rec["doc"] = index.dense(chunk["ref"][dup])
            rec["kept"] = index.dense(chunk["ref"][heads[group[dup]]])
            rec["min_idh"], rec["size"] = min_idh[dup], size[dup]
            groups.add(rec)
        removed = 0
        with DecisionWriter(workdir, index) as writer:
            for chunk in merge_runs(groups.close(), ("doc",), budget // 2):
                kept_ids = index.ids(chunk["kept"].astype(np.int64))
                records = [
                    {
                        "kept": bool(d == k),
                        "cluster": cluster_id("exact", int(h)),
                        "size": int(z),
                        "kept_id": kid,
                        "similarity": 1.0,
                    }
                    for d, k, h, z, kid in zip(
                        chunk["doc"],
                        chunk["kept"],
                        chunk["min_idh"],
                        chunk["size"],
                        kept_ids,
                        strict=True,
                    )
                ]
                removed += sum(not r["kept"] for r in records)
                writer.write(chunk["doc"].astype(np.int64), records)
        summary = {"documents": index.total, "clusters": clusters, "removed": removed}
        (workdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    def apply_reads(self, rank: int) -> list[str]:
        """What ``apply`` reads of the work directory for shard ``rank`` (`gharbal.runner.nodes`)."""
        return [decisions_path(Path(), rank).as_posix()]

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        return apply_decisions(
            docs,
            read_decisions(workdir, ctx.rank),
            SCORE,
            "dedup.exact",
            lambda d: (
                f"exact duplicate of {d['kept_id']} (cluster {d['cluster']}, "
                f"{d['size']} copies of the same normalised text)"
            ),
        )
