"""Open a possibly compressed file as a stream of bytes, and read bounded lines from it.

Compression is recognised by magic bytes, not by the file name (a ``.jsonl`` that is really gzip still
reads). Decompression is streamed: nothing here holds more than one bounded line in memory, so a gzip
bomb or a 2 GB line becomes a rejection, never an out-of-memory crash.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1 << 16


def compression_of(head: bytes) -> str | None:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


class TruncatedStreamError(EOFError):
    """The compressed stream ends in the middle of a frame (a cut download, a full disk)."""


class _Decompressed(io.RawIOBase):
    """A readable stream over a gzip or zstd file, decompressed chunk by chunk.

    Written by hand because ``gzip.GzipFile`` and ``zstandard.stream_reader`` lose the data already
    decompressed from a chunk when the stream breaks off inside it; here every byte that can be
    recovered is returned before `TruncatedStreamError` is raised. Concatenated members/frames are
    read one after another, as ``gzip`` and ``zstd -d`` do.
    """

    def __init__(self, raw: BinaryIO, kind: str) -> None:
        self._raw, self._kind = raw, kind
        self._dec = self._new()
        self._pending = b""
        self._done = False
        self._error = ""

    def _new(self) -> Any:
        if self._kind == "gzip":
            return zlib.decompressobj(wbits=31)
        return zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending and not self._done:
            self._fill()
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        if n == 0 and self._done and self._error:
            raise TruncatedStreamError(self._error)
        return n

    def _fill(self) -> None:
        chunk = self._raw.read(_CHUNK)
        if not chunk:
            if not self._dec.eof:
                self._error = "compressed stream ends inside a frame"
            self._done = True
            return
        while chunk:
            if self._dec.eof:  # the previous member/frame is complete
                if not chunk.strip(b"\x00"):  # trailing padding after the last one
                    return
                self._dec = self._new()
            self._pending += self._dec.decompress(chunk)
            chunk = self._dec.unused_data if self._dec.eof else b""


@contextmanager
def open_binary(path: Path) -> Iterator[BinaryIO]:
    """The decompressed content of ``path`` as a buffered binary stream (compression by magic)."""
    with path.open("rb") as raw:
        kind = compression_of(raw.peek(4)[:4])
        if kind is None:
            yield raw
        else:
            with io.BufferedReader(_Decompressed(raw, kind), buffer_size=_CHUNK) as stream:
                yield stream


def peek(path: Path, size: int = 1 << 15) -> bytes:
    """Up to ``size`` decompressed bytes from the start of ``path`` (b"" if unreadable)."""
    try:
        with open_binary(path) as stream:
            return stream.read(size)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError):
        return b""


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line of a stream: its 1-based number, its byte offset, and its bytes (None if too long)."""

    number: int
    offset: int
    data: bytes | None
    length: int


def iter_lines(stream: BinaryIO, limit: int) -> Iterator[RawLine]:
    """Lines of ``stream`` without their newline; a line longer than ``limit`` bytes is skipped
    without being held in memory and reported with ``data=None``.

    Decompression errors propagate to the caller, which knows how far it got.
    """
    number = 0
    offset = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        length = len(chunk)
        if length > limit and not chunk.endswith(b"\n"):
            # Too long: drain the rest of the line in bounded chunks.
            while True:
                more = stream.readline(_CHUNK)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield RawLine(number, offset, None, length)
        else:
            yield RawLine(number, offset, chunk.rstrip(b"\r\n"), length)
        offset += length
