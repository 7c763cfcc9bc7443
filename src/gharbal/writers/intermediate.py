"""Documents between phases: every field of a `Document` (lines, verdicts, rejection included),
one zstd-compressed JSON line each, so that a later phase continues exactly where the earlier one
stopped. Internal to a run: the format may change between gharbal versions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import zstandard

from gharbal.document import Document, Line, Rejection, Verdict
from gharbal.writers.jsonl import temporary_name


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
        else [doc.rejection.reason, doc.rejection.detail],
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
        rejection=None if rejection is None else Rejection(rejection[0], rejection[1]),
        source=rec["source"],
    )


class IntermediateWriter:
    """Writes documents to ``path`` atomically (temporary name, renamed on success)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = temporary_name(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = self.tmp.open("wb")
        self._out: Any = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)

    def write(self, doc: Document) -> None:
        self._out.write(orjson.dumps(to_record(doc), option=orjson.OPT_APPEND_NEWLINE))

    def __enter__(self) -> IntermediateWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._out.close()
        if exc_type is None:
            self._raw.flush()
            os.fsync(self._raw.fileno())  # a completion marker follows: the data must be there
        self._raw.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def read_intermediate(path: Path) -> Iterator[Document]:
    with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
        buffered = _lines(stream)
        for line in buffered:
            yield from_record(orjson.loads(line))


def _lines(stream: Any) -> Iterator[bytes]:
    pending = b""
    while chunk := stream.read(1 << 20):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending
