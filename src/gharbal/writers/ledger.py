"""The output directory and its ledger (the contract of DESIGN.md section 4).

::

    OUT/documents/part-NNNNN.jsonl.gz       kept documents: id, url, title, text, lang, scores, metadata
                                            (part-NNNNN.parquet with output.format: parquet)
    OUT/rejected/part-NNNNN.jsonl.gz        dropped documents: id, url, stage, reason, detail, source
                                            (and extra: structured facts, e.g. a duplicate's cluster;
                                            title and text with output.rejected_text: true)
    OUT/removed_lines/part-NNNNN.jsonl.gz   removed lines: id, line_no, reason, text, detail
    OUT/lines/part-NNNNN.jsonl.gz           line map of each page with lines: id, kept, title
    OUT/shards/part-NNNNN.stats.json        one shard's stats, written last: the shard's completion marker
    OUT/stats.json                          merged stats, with input == kept + rejected checked
    OUT/recipe.yaml                         the resolved recipe

``NNNNN`` is the shard number, so the files and their order do not depend on the worker count.
The ``lines/`` map (line numbers of the kept lines and of the title line) is what lets the report and
``gharbal explain`` put a page back together: kept text from ``documents/``, removed lines from
``removed_lines/``, each at its original line number.

The rejected and removed-lines ledgers stay JSON Lines whatever ``output.format`` says: they are read
by people, ``grep`` and ``gharbal explain``, not by training jobs.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gharbal.document import Document, Verdict
from gharbal.stats import Stats
from gharbal.writers.atomic import AtomicOutput, temporary_name
from gharbal.writers.config import OutputConfig
from gharbal.writers.jsonl import JsonlPartWriter
from gharbal.writers.parquet import ParquetPartWriter

PART_DIRS = ("documents", "rejected", "removed_lines", "lines", "shards")


def part_name(shard: int, cfg: OutputConfig) -> str:
    return f"part-{shard:05d}.jsonl" + (".gz" if cfg.compression == "gzip" else "")


def document_part(out: Path, shard: int, cfg: OutputConfig) -> JsonlPartWriter | ParquetPartWriter:
    """The writer of a shard's kept documents, in ``output.format``."""
    if cfg.format == "parquet":
        return ParquetPartWriter(
            out / "documents" / f"part-{shard:05d}.parquet", compression=cfg.parquet_compression
        )
    return JsonlPartWriter(out / "documents" / part_name(shard, cfg))


def document_record(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "url": doc.url,
        "title": doc.title,
        "text": doc.text,
        "lang": doc.lang,
        "scores": doc.scores,
        "metadata": doc.metadata,
    }


def line_map_record(doc: Document) -> dict[str, Any]:
    """Where the kept lines and the title of a page were (1-based line numbers; see ``Line.no``)."""
    kept = [ln.no for ln in doc.lines or () if ln.verdict is Verdict.KEEP]
    title = next((ln.no for ln in doc.lines or () if ln.verdict is Verdict.TITLE), None)
    return {"id": doc.id, "kept": kept, "title": title}


def rejection_record(doc: Document, *, text: str | None = None) -> dict[str, Any]:
    """The ``rejected/`` record of ``doc``; with ``text`` (``output.rejected_text``) also the
    document's ``title`` and that text."""
    assert doc.rejection is not None
    record: dict[str, Any] = {
        "id": doc.id,
        "url": doc.url,
        "stage": doc.rejection.stage,
        "reason": doc.rejection.reason,
        "detail": doc.rejection.detail,
        "source": doc.source,
    }
    if doc.rejection.extra:
        record["extra"] = doc.rejection.extra
    if text is not None:
        record["title"] = doc.title
        record["text"] = text
    return record


class ShardWriter(AtomicOutput):
    """Routes one shard's documents to the three part files and counts them in ``stats``.

    With ``cfg.rejected_text`` a rejected document's record keeps its text as the step that
    rejected it left it (the clean text after extraction, the raw page text if extraction itself
    failed), passed through ``redact`` when given (the pii step's redaction, when it is
    enabled): documents rejected before the pii step never went through it. A document rejected
    while reading has no decoded text: its record keeps none."""

    def __init__(
        self,
        out: Path,
        shard: int,
        cfg: OutputConfig,
        stats: Stats,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.out, self.shard, self.stats = out, shard, stats
        self.rejected_text = cfg.rejected_text
        self.redact = redact
        name = part_name(shard, cfg)
        self.documents = document_part(out, shard, cfg)
        self.rejected = JsonlPartWriter(out / "rejected" / name)
        self.removed = JsonlPartWriter(out / "removed_lines" / name)
        self.line_maps = JsonlPartWriter(out / "lines" / name)

    def write(self, doc: Document) -> None:
        s = self.stats
        s.input += 1
        for ln in doc.removed_lines():
            reason = ln.reason or "unknown"
            self.removed.write(
                {
                    "id": doc.id,
                    "line_no": ln.no,
                    "reason": reason,
                    "text": ln.text,
                    "detail": ln.detail,
                }
            )
            s.removed_lines += 1
            s.removed_lines_by_reason[reason] += 1
        if doc.lines:
            self.line_maps.write(line_map_record(doc))
        if doc.rejection is not None:
            self.rejected.write(rejection_record(doc, text=self._rejected_text(doc)))
            s.rejected += 1
            s.rejected_by_reason[doc.rejection.reason] += 1
            if doc.rejection.reason.startswith("read.file."):
                s.unreadable_files.append({"path": doc.source, "reason": doc.rejection.reason})
        else:
            self.documents.write(document_record(doc))
            s.kept += 1

    def _rejected_text(self, doc: Document) -> str | None:
        assert doc.rejection is not None
        if not self.rejected_text or doc.rejection.stage == "read":
            return None
        return doc.text if self.redact is None else self.redact(doc.text)

    def close(self) -> None:
        for part in (self.documents, self.rejected, self.removed, self.line_maps):
            part.close()
        write_json_atomic(
            self.out / "shards" / f"part-{self.shard:05d}.stats.json", self.stats.to_json()
        )

    def abort(self) -> None:
        for part in (self.documents, self.rejected, self.removed, self.line_maps):
            part.abort()


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``path`` under a temporary name of its own, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def prepare_output(out: Path) -> None:
    """Create ``out``, removing the parts of an earlier run so that no stale part survives."""
    out.mkdir(parents=True, exist_ok=True)
    for sub in PART_DIRS:
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "stats.json").unlink(missing_ok=True)
    (out / "report.html").unlink(missing_ok=True)
