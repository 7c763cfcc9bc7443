"""Plain-text pages: one file is one page (a WET-like rendering, one block per line).

The id of a page is its path relative to the directory it was found in, without the extension
(``pages/a/b.txt`` given as ``pages`` -> ``a/b``), or the file's stem when given directly. The bytes are
decoded by byte-order mark, then as UTF-8, then by detection (an old Arabic page in windows-1256
reads as Arabic; see `gharbal.readers.charset`); a page that decodes under no charset is rejected
(``read.undecodable``).
"""

from __future__ import annotations

from collections.abc import Iterator

from gharbal.document import Document
from gharbal.readers.base import file_rejection
from gharbal.readers.charset import Decoded, decode_text, repair_mojibake, too_broken
from gharbal.readers.compression import (
    CorruptStreamError,
    TruncatedStreamError,
    input_lost,
    open_binary,
)
from gharbal.readers.config import ReadConfig
from gharbal.readers.location import Location, relative_name


def page_id(path: Location, base: Location | None) -> str:
    name = relative_name(path, base)
    stem = name
    while True:
        head, dot, suffix = stem.rpartition(".")
        if not dot or "/" in suffix or len(suffix) + 1 > 6 or not head or head.endswith("/"):
            break
        stem = head
    return stem or name


def read_page(path: Location, cfg: ReadConfig, base: Location | None) -> bytes | Document:
    """The bytes of a one-page file, or the rejection standing for it (unreadable, too large,
    empty)."""
    try:
        with open_binary(path) as stream:
            data = stream.read(cfg.max_record_bytes + 1)
    except (OSError, EOFError) as exc:
        if input_lost(exc):
            raise  # vanished or no longer readable: the run's failure, not the file's
        reason = (
            "read.file.truncated"
            if isinstance(exc, TruncatedStreamError)
            else "read.file.corrupt"
            if isinstance(exc, CorruptStreamError)
            else "read.file.unreadable"
        )
        return file_rejection(path, reason, f"{type(exc).__name__}: {exc}")
    doc_id = page_id(path, base)
    if len(data) > cfg.max_record_bytes:
        return rejected_page(
            doc_id,
            path,
            "read.record_too_large",
            f"page exceeds read.max_record_bytes {cfg.max_record_bytes}",
        )
    if not data.strip():
        return rejected_page(doc_id, path, "read.file.empty", "empty page")
    return data


def page_document(doc_id: str, path: Location, decoded: Decoded, html: bool) -> Document:
    """A page document from decoded bytes, or its ``read.undecodable`` rejection."""
    if too_broken(decoded):
        return rejected_page(
            doc_id,
            path,
            "read.undecodable",
            f"{decoded.errors} byte sequences undecodable as {decoded.encoding} "
            f"({decoded.source}); not a text page",
        )
    text, repaired = repair_mojibake(decoded.text)
    doc = Document(id=doc_id, source=str(path), metadata=dict(decoded.metadata()))
    if repaired:
        doc.metadata["mojibake_repaired"] = repaired
    if html:
        doc.html = text
    else:
        doc.text = text
    return doc


class TextReader:
    kind = "text"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        data = read_page(path, cfg, base)
        if isinstance(data, Document):
            yield data
            return
        yield page_document(page_id(path, base), path, decode_text(data), html=False)


def rejected_page(doc_id: str, path: Location, reason: str, detail: str) -> Document:
    doc = Document(id=doc_id, source=str(path))
    doc.reject(reason, f"{path}: {detail}")
    return doc


class BinaryReader:
    """A file whose content is binary (NUL bytes): one rejection, whatever its name says."""

    kind = "binary"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        yield file_rejection(
            path,
            "read.file.binary",
            "binary content (NUL bytes), not text, HTML, JSONL, WARC or Parquet",
        )


__all__ = ["BinaryReader", "TextReader", "file_rejection", "page_document", "page_id", "read_page"]
