"""Documents between phases: every field of a `Document` (lines, verdicts, rejection included),
one JSON line each (written with `JsonlPartWriter` to ``.jsonl.zst`` parts), so that a later phase
continues exactly where the earlier one stopped. Internal to a run: the format may change between
gharbal versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from gharbal.document import Document, Line, Rejection, Verdict
from gharbal.readers.compression import iter_lines, open_binary


def to_record(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "text": doc.text,
        "url": doc.url,
        "title": doc.title,
        "lang": doc.lang,
        "html": doc.html,
        "metadata": doc.metadata,
        "scores": doc.scores,
        "lines": None
        if doc.lines is None
        else [[ln.no, ln.text, ln.verdict.value, ln.reason, ln.detail] for ln in doc.lines],
        "rejection": None
        if doc.rejection is None
        else [doc.rejection.reason, doc.rejection.detail, doc.rejection.extra],
        "source": doc.source,
    }


def from_record(rec: dict[str, Any]) -> Document:
    lines = rec["lines"]
    rejection = rec["rejection"]
    return Document(
        id=rec["id"],
        text=rec["text"],
        url=rec["url"],
        title=rec["title"],
        lang=rec["lang"],
        html=rec["html"],
        metadata=rec["metadata"],
        scores=rec["scores"],
        lines=None
        if lines is None
        else [Line(no, text, Verdict(v), reason, detail) for no, text, v, reason, detail in lines],
        rejection=None if rejection is None else Rejection(*rejection),
        source=rec["source"],
    )


def read_intermediate(path: Path) -> Iterator[Document]:
    with open_binary(path) as stream:
        for line in iter_lines(stream, limit=1 << 40):
            assert line.data is not None  # no limit for our own files
            yield from_record(orjson.loads(line.data))
