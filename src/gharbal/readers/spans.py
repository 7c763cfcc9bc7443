"""Byte ranges of large JSONL files: one uncompressed file split into several shards.

A local, uncompressed JSONL file larger than ``read.shard_bytes`` is cut at line boundaries into
spans of about that size, each its own shard, so that one big file keeps every worker busy.
Compressed files cannot be entered in the middle and stay one shard. Planning reads the file once
(sequentially, in bounded chunks) to find the boundaries and count the lines before each, so that a
record's location in the ledger (``file:line``) is the same as if the file were read whole; the split
depends only on the file and the recipe, never on the worker count.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard

from gharbal.document import Document
from gharbal.readers.base import file_rejection
from gharbal.readers.compression import compression_of, input_lost, iter_lines
from gharbal.readers.config import ReadConfig
from gharbal.readers.jsonl import _BOM, JsonlReader

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ByteSpan:
    """Bytes ``[start, end)`` of a file, starting at the beginning of line ``first_line`` (1-based)."""

    start: int
    end: int
    first_line: int


def split_spans(path: Path, target: int) -> list[ByteSpan] | None:
    """Spans of about ``target`` bytes ending at newlines, or None if ``path`` is not worth
    splitting (not larger than ``target``, compressed, unreadable, or without any record)."""
    try:
        size = path.stat().st_size
        if target <= 0 or size <= target:
            return None
        spans: list[ByteSpan] = []
        with path.open("rb") as f:
            if compression_of(f.read(4)) is not None:
                return None
            f.seek(0)
            pos = lines = start = 0
            first_line, content = 1, False
            while chunk := f.read(_CHUNK):
                content = content or not chunk.isspace()
                # A span ends at the first newline at or past ``start + target - 1``.
                search = start + target - 1 - pos
                while search < len(chunk):
                    nl = chunk.find(b"\n", max(search, 0))
                    if nl < 0 or pos + nl + 1 >= size:
                        break
                    spans.append(ByteSpan(start, pos + nl + 1, first_line))
                    start = pos + nl + 1
                    first_line = lines + chunk.count(b"\n", 0, nl + 1) + 1
                    search = start + target - 1 - pos
                lines += chunk.count(b"\n")
                pos += len(chunk)
    except OSError:
        return None  # the reader will report it, as for any file
    if not content or not spans:
        return None
    spans.append(ByteSpan(start, size, first_line))
    return spans


class _Window(io.RawIOBase):
    """At most ``length`` bytes of ``raw`` from where it stands."""

    def __init__(self, raw: Any, length: int) -> None:
        self._raw, self._left = raw, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(min(len(view), self._left))
        n = len(data)
        view[:n] = data
        self._left -= n
        return n


def read_span(path: Path, span: ByteSpan, cfg: ReadConfig) -> Iterator[Document]:
    """The records of one span, exactly as `JsonlReader` reads them from the whole file."""
    number = span.first_line - 1
    last_offset = span.start
    try:
        with path.open("rb") as raw:
            raw.seek(span.start)
            with io.BufferedReader(_Window(raw, span.end - span.start), 1 << 16) as stream:
                for line in iter_lines(stream, cfg.max_record_bytes):
                    number = span.first_line + line.number - 1
                    last_offset = span.start + line.offset + line.length
                    data = line.data
                    if data is not None and not data.strip():
                        continue
                    if number == 1 and data is not None and data.startswith(_BOM):
                        data = data[len(_BOM) :]
                    yield JsonlReader._record(data, line.length, f"{path}:{number}", cfg)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        if input_lost(exc):
            raise  # vanished or no longer readable: the run's failure, not the file's
        yield file_rejection(
            path,
            "read.file.unreadable" if isinstance(exc, PermissionError) else "read.file.truncated",
            f"read breaks off after byte {last_offset} (line {number}): "
            f"{type(exc).__name__}: {exc}",
        )


__all__ = ["ByteSpan", "read_span", "split_spans"]
