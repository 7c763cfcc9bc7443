"""Plain-text pages: one file is one page (a WET-like rendering, one block per line).

The id of a page is its path relative to the directory it was found in, without the extension
(``pages/a/b.txt`` given as ``pages`` -> ``a/b``), or the file's stem when given directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from gharbal.document import Document
from gharbal.readers.base import file_rejection
from gharbal.readers.compression import open_binary
from gharbal.recipe import ReadConfig


def page_id(path: Path, base: Path | None) -> str:
    rel = path.relative_to(base) if base is not None else Path(path.name)
    name = rel.as_posix()
    for suffix in reversed(rel.suffixes):
        if len(suffix) <= 6 and name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or rel.as_posix()


class TextReader:
    kind = "text"

    def read(self, path: Path, cfg: ReadConfig, base: Path | None) -> Iterator[Document]:
        try:
            with open_binary(path) as stream:
                data = stream.read(cfg.max_record_bytes + 1)
        except (OSError, EOFError) as exc:
            yield file_rejection(path, "read.file.unreadable", f"{type(exc).__name__}: {exc}")
            return
        doc_id = page_id(path, base)
        if len(data) > cfg.max_record_bytes:
            yield _rejected(
                doc_id,
                path,
                "read.record_too_large",
                f"page exceeds read.max_record_bytes {cfg.max_record_bytes}",
            )
            return
        if not data.strip():
            yield _rejected(doc_id, path, "read.file.empty", "empty page")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield _rejected(
                doc_id,
                path,
                "read.invalid_utf8",
                f"invalid UTF-8 at byte {exc.start}: {exc.reason}",
            )
            return
        yield Document(id=doc_id, text=text, source=str(path))


def _rejected(doc_id: str, path: Path, reason: str, detail: str) -> Document:
    doc = Document(id=doc_id, source=str(path))
    doc.reject(reason, f"{path}: {detail}")
    return doc


class BinaryReader:
    """A file whose content is binary (NUL bytes): one rejection, whatever its name says."""

    kind = "binary"

    def read(self, path: Path, cfg: ReadConfig, base: Path | None) -> Iterator[Document]:
        yield file_rejection(
            path, "read.file.binary", "binary content (NUL bytes), not text or JSONL"
        )


__all__ = ["BinaryReader", "TextReader", "file_rejection", "page_id"]
