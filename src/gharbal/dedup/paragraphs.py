"""Repeated paragraphs across the corpus (after CCNet): a paragraph (a kept line of a document)
whose normalised form occurs in two documents or more stays only in the best of them by ``keep``
(the same survivor order as whole-document dedup) and is removed from the others as
``dedup.paragraph``, so it shows in ``removed_lines/``. Repeats inside one document are left to the
line cleaner. A document left with no text is rejected as ``dedup.paragraph``.

The lines are those of ``doc.text``, numbered in the original page (`gharbal.step.text_lines`);
removed lines keep their numbers, and ``doc.text`` is rebuilt from the kept lines.

Stages and files (``OUT/stages/NN-dedup_paragraphs/``):

1. ``observe``: a 64-bit hash per paragraph of at least ``min_words`` words, as records
   ``(hash, rank, idh, texth, ref, line)`` sorted and spilled to ``paragraphs/part-NNNNN-RRR.npy``;
2. ``finalize``: merged by hash; in every group that spans two documents or more, the first
   record's document keeps the paragraph and the other documents' copies become removals, spilled
   by document to ``removals/`` and written to ``decisions/`` (``lines``: ``[index, kept id,
   documents]`` per removed line);
3. ``apply``: the lines are removed and the text rebuilt.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from gharbal.dedup.config import DedupConfig
from gharbal.dedup.hashing import clear_caches, normalised_words
from gharbal.dedup.stage import DecisionWriter, decisions_path, read_decisions, record_document
from gharbal.dedup.table import Index, IndexWriter, ref_of
from gharbal.document import Document, Verdict
from gharbal.step import Executor, RunContext, rebuild, text_lines
from gharbal.writers.spill import SortedRuns, merge_runs, whole_groups

PARA = np.dtype(
    [
        ("hash", "<u8"),
        ("rank", "<u8"),
        ("idh", "<u8"),
        ("texth", "<u8"),
        ("ref", "<u8"),
        ("line", "<u4"),
    ]
)
PARA_ORDER = ("hash", "rank", "idh", "texth", "ref", "line")
REMOVAL = np.dtype([("doc", "<u8"), ("line", "<u4"), ("kept", "<u8"), ("docs", "<u4")])
REASON = "dedup.paragraph"


class ParagraphDedup:
    """The ``dedup_paragraphs`` aggregation (see the module docstring)."""

    name = "dedup_paragraphs"

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.min_words = cfg.paragraphs.min_words

    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        index = IndexWriter(workdir, ctx.rank)
        runs = SortedRuns(
            workdir / "paragraphs",
            f"part-{ctx.rank:05d}",
            PARA,
            PARA_ORDER,
            self.cfg.memory_bytes // 2,
        )
        for pos, doc in enumerate(docs):
            if doc.rejection is None:
                found: list[tuple[int, int]] = []  # (line index, hash)
                all_forms: list[str] = []
                for i, line in enumerate(text_lines(doc)):
                    if line.verdict is not Verdict.KEEP:
                        continue
                    forms = normalised_words(line.text)
                    all_forms.extend(forms)
                    if len(forms) >= self.min_words:
                        text = " ".join(forms).encode("utf-8", "surrogatepass")
                        found.append((i, xxhash.xxh3_64_intdigest(text)))
                if found:
                    texth = xxhash.xxh3_64_intdigest(
                        " ".join(all_forms).encode("utf-8", "surrogatepass")
                    )
                    row, rank, idh = record_document(index, doc, self.cfg.keep, pos, texth)
                    rec = np.empty(len(found), dtype=PARA)
                    rec["line"] = [i for i, _ in found]
                    rec["hash"] = [h for _, h in found]
                    rec["rank"], rec["idh"], rec["texth"] = rank, idh, texth
                    rec["ref"] = ref_of(ctx.rank, row)
                    runs.add(rec)
            yield doc
        runs.close()
        index.close()

    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        clear_caches()  # the documents are hashed: their tokens are not needed here
        for sub in ("removals", "decisions"):
            shutil.rmtree(workdir / sub, ignore_errors=True)
        index = Index(workdir, num_shards)
        budget = self.cfg.memory_bytes
        removals = SortedRuns(workdir / "removals", "part", REMOVAL, ("doc", "line"), budget // 2)
        repeated = 0
        runs = sorted((workdir / "paragraphs").glob("part-*.npy"))
        for chunk in whole_groups(merge_runs(runs, PARA_ORDER, budget // 2), ("hash",)):
            n = len(chunk)
            start = np.ones(n, dtype=bool)
            start[1:] = chunk["hash"][1:] != chunk["hash"][:-1]
            new_doc = start.copy()
            new_doc[1:] |= chunk["ref"][1:] != chunk["ref"][:-1]
            heads = np.flatnonzero(start)
            group = np.cumsum(start) - 1
            docs_in_group = np.add.reduceat(new_doc.astype(np.int64), heads)
            head_ref = chunk["ref"][heads][group]
            drop = (docs_in_group[group] > 1) & (chunk["ref"] != head_ref)
            if not drop.any():
                continue
            repeated += int(np.count_nonzero(docs_in_group > 1))
            rec = np.empty(int(np.count_nonzero(drop)), dtype=REMOVAL)
            rec["doc"] = index.dense(chunk["ref"][drop])
            rec["line"] = chunk["line"][drop]
            rec["kept"] = index.dense(head_ref[drop])
            rec["docs"] = docs_in_group[group][drop]
            removals.add(rec)
        removed = documents = 0
        with DecisionWriter(workdir, index) as writer:
            merged = merge_runs(removals.close(), ("doc", "line"), budget // 2)
            for chunk in whole_groups(merged, ("doc",)):
                kept_ids = index.ids(chunk["kept"].astype(np.int64))
                start = np.ones(len(chunk), dtype=bool)
                start[1:] = chunk["doc"][1:] != chunk["doc"][:-1]
                heads = np.flatnonzero(start)
                bounds = [*heads.tolist(), len(chunk)]
                records: list[dict[str, Any]] = [
                    {
                        "lines": [
                            [int(chunk["line"][k]), kept_ids[k], int(chunk["docs"][k])]
                            for k in range(lo, hi)
                        ]
                    }
                    for lo, hi in itertools.pairwise(bounds)
                ]
                writer.write(chunk["doc"][heads].astype(np.int64), records)
                removed += len(chunk)
                documents += len(heads)
        summary = {
            "documents": index.total,
            "repeated_paragraphs": repeated,
            "removed_lines": removed,
            "documents_changed": documents,
        }
        (workdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    def apply_reads(self, rank: int) -> list[str]:
        """What ``apply`` reads of the work directory for shard ``rank`` (`gharbal.runner.nodes`)."""
        return [decisions_path(Path(), rank).as_posix()]

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        decisions = read_decisions(workdir, ctx.rank)
        for pos, doc in enumerate(docs):
            d = decisions.get(pos)
            if d is not None and doc.rejection is None:
                lines = text_lines(doc)
                for i, kept_id, n_docs in d["lines"]:
                    lines[i].remove(
                        REASON, f"repeated paragraph ({n_docs} documents); kept in {kept_id}"
                    )
                rebuild(doc, lines)
                if not doc.text.strip():
                    doc.reject(
                        REASON,
                        f"every paragraph is repeated elsewhere ({len(d['lines'])} removed)",
                        {"kept_id": d["lines"][0][1], "removed_lines": len(d["lines"])},
                    )
            yield doc
