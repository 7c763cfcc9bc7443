"""Open a possibly compressed file as a stream of bytes, and read bounded lines from it.

Compression is recognised by magic bytes, not by the file name (a ``.jsonl`` that is really gzip still
reads). Decompression is streamed and bounded: compressed input is fed in 4 KiB pieces and a gzip
member inflated at most ``_MAX_OUT`` bytes at a time, so a decompression bomb or a 2 GB line becomes a
rejection, never an out-of-memory crash (and a corrupt piece loses only what it would have
inflated to, not a whole 64 KiB chunk's worth).

A damaged stream is reported precisely and, where the format allows, reading goes on:

- `TruncatedStreamError`: the data ends inside a gzip member or zstd frame; every byte that could be
  recovered before the break has been returned first.
- `CorruptStreamError`: a member/frame cannot be decoded (bad deflate data, bad CRC);
  `DecompressedStream.resync` then skips to the next member/frame magic in the compressed file, which
  is how a ``.warc.gz`` (one gzip member per record) loses only the damaged record.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, cast

import zstandard

from gharbal.readers.location import Location, open_location

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_MEMBER_MAGIC = {"gzip": b"\x1f\x8b\x08", "zstd": ZSTD_MAGIC}
_CHUNK = 1 << 16
_FEED = 1 << 12  # zstd can give 128 KiB per 3 input bytes: 4 KiB in -> at most ~170 MiB out
_MAX_OUT = 1 << 20


def compression_of(head: bytes) -> str | None:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


class TruncatedStreamError(EOFError):
    """The compressed stream ends in the middle of a frame (a cut download, a full disk)."""


class CorruptStreamError(EOFError):
    """A gzip member or zstd frame cannot be decoded; `DecompressedStream.resync` may skip it."""


def input_lost(exc: BaseException) -> bool:
    """True if ``exc``, raised while opening or reading an input, is a failure of the run rather
    than damage to the file: the file vanished after the run was planned (`FileNotFoundError`), or
    the system can no longer read it (``EIO``, a lost mount, a URL's backend failing). A reader lets
    such an error propagate, so that the shard fails (`~gharbal.errors.ShardError`, exit 4) and
    ``--resume`` reads the file once it is back, instead of standing for the file as a rejection.

    Not lost: a `PermissionError` (the file is there but unreadable: ``read.file.unreadable``), and
    a damaged stream (`TruncatedStreamError`, `CorruptStreamError`, decompression errors), which
    are not `OSError`."""
    return isinstance(exc, OSError) and not isinstance(exc, PermissionError)


class DecompressedStream(io.RawIOBase):
    """A readable stream over a gzip or zstd file, decompressed piece by piece.

    Written by hand because ``gzip.GzipFile`` and ``zstandard.stream_reader`` lose the data already
    decompressed from a chunk when the stream breaks off inside it; here every byte that can be
    recovered is returned before the error is raised. Concatenated members/frames are read one after
    another, as ``gzip`` and ``zstd -d`` do. ``member_offset`` is the compressed offset where the
    member/frame being read began. `checkpoint` and `restore` go back to a point already read (by
    decompressing again from the start of its member/frame).
    """

    def __init__(self, raw: IO[bytes], kind: str) -> None:
        self._raw, self._kind = raw, kind
        self._dec = self._new()
        self._pending = b""
        self._cut = 0  # bytes of _pending already returned
        self._input = b""  # compressed bytes read but not yet fed
        self._input_pos = 0  # compressed offset of _input[0]
        self.member_offset = 0
        self._started = False  # the current member/frame has been fed some bytes
        self._member_out = 0  # bytes the current member/frame has decompressed to so far
        self._pending_at = (0, 0)  # (member_offset, bytes of that member before) of _pending[0]
        self._discard = 0  # bytes still to drop after `restore`
        self._done = False
        self._error: EOFError | None = None

    def _new(self) -> Any:
        if self._kind == "gzip":
            return zlib.decompressobj(wbits=31)
        return zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._cut >= len(self._pending) and not self._done:
            self._fill()
        n = min(len(view), len(self._pending) - self._cut)
        view[:n] = self._pending[self._cut : self._cut + n]
        self._cut += n
        if n == 0 and self._error is not None:
            error, self._error = self._error, None
            raise error
        return n

    def _fill(self) -> None:
        self._pending, self._cut = b"", 0
        if not self._input:
            chunk = self._raw.read(_CHUNK)
            if not chunk:
                if self._started and not self._dec.eof:
                    self._error = TruncatedStreamError(
                        f"compressed stream ends inside the {self._kind} member/frame that "
                        f"starts at compressed byte {self.member_offset}"
                    )
                self._done = True
                return
            self._input = chunk  # _input_pos already points here
        if self._dec.eof:  # the previous member/frame is complete
            if not self._input.strip(b"\x00"):  # padding after the last one
                self._input_pos += len(self._input)
                self._input = b""
                return
            self._dec = self._new()
            self.member_offset = self._input_pos
            self._started = False
            self._member_out = 0
        data = self._input[:_FEED]
        try:
            if self._kind == "gzip":
                out = self._dec.decompress(data, _MAX_OUT)
                left = self._dec.unused_data if self._dec.eof else self._dec.unconsumed_tail
            else:
                out = self._dec.decompress(data)
                left = self._dec.unused_data if self._dec.eof else b""
            rest = left + self._input[len(data) :]
        except (zlib.error, zstandard.ZstdError) as exc:
            self._error = CorruptStreamError(
                f"corrupt {self._kind} member/frame starting at compressed byte "
                f"{self.member_offset}: {exc}"
            )
            self._done = True
            return
        self._started = True
        self._input_pos += len(self._input) - len(rest)
        self._input = rest
        self._pending_at = (self.member_offset, self._member_out)
        self._member_out += len(out)
        if self._discard:
            drop = min(self._discard, len(out))
            out, self._discard = out[drop:], self._discard - drop
            self._pending_at = (self.member_offset, self._pending_at[1] + drop)
        self._pending = out

    def checkpoint(self) -> tuple[int, int] | None:
        """Where the next byte read comes from, for `restore`: the compressed offset of its
        member/frame and how many decompressed bytes of that member/frame come before it; None if
        the file cannot seek."""
        if not self._raw.seekable():
            return None
        if self._cut < len(self._pending):
            member, before = self._pending_at
            return member, before + self._cut
        return self.member_offset, self._member_out  # (a complete member: the next one's start)

    def restore(self, point: tuple[int, int]) -> None:
        """Go back to a `checkpoint`: the member/frame is decompressed again from its start and the
        bytes before the point are dropped (any error met since is forgotten)."""
        member, before = point
        self._raw.seek(member)
        self._dec = self._new()
        self._pending, self._cut, self._input = b"", 0, b""
        self._input_pos = self.member_offset = member
        self._member_out, self._discard = 0, before
        self._started, self._done, self._error = False, False, None

    def resync(self) -> int | None:
        """After a `CorruptStreamError`, go on at the next member/frame after the damaged one.

        Returns the compressed offset reading resumes at, or None at the end of the file (or if the
        file cannot seek). A false magic inside compressed data just fails again and is skipped.
        """
        if not self._raw.seekable():
            return None
        magic = _MEMBER_MAGIC[self._kind]
        pos = self.member_offset + 1
        self._raw.seek(pos)
        carry = b""
        while True:
            chunk = self._raw.read(_CHUNK)
            if not chunk:
                self._done, self._error = True, None
                self._pending, self._cut, self._input = b"", 0, b""
                return None
            buf = carry + chunk
            at = buf.find(magic)
            if at >= 0:
                start = pos - len(carry) + at
                self._raw.seek(start)
                self._dec = self._new()
                self._pending, self._cut, self._input = b"", 0, b""
                self._input_pos = self.member_offset = start
                self._member_out, self._discard = 0, 0
                self._started, self._done, self._error = False, False, None
                return start
            carry = buf[-(len(magic) - 1) :]
            pos += len(chunk)


def _magic(raw: IO[bytes]) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is not None:
        head: bytes = peek(4)[:4]
        return head
    pos = raw.tell()
    head = raw.read(4)
    raw.seek(pos)
    return head


@contextmanager
def open_binary(path: Location, *, buffered: bool = True) -> Iterator[IO[bytes]]:
    """The decompressed content of ``path`` as a binary stream (compression by magic).

    With ``buffered=False`` a compressed file is returned as its `DecompressedStream` itself, so that
    the caller can `DecompressedStream.resync` after a `CorruptStreamError`.
    """
    with open_location(path) as raw:
        kind = compression_of(_magic(raw))
        if kind is None:
            yield raw
        elif not buffered:
            with DecompressedStream(raw, kind) as stream:
                yield cast(IO[bytes], stream)
        else:
            with io.BufferedReader(DecompressedStream(raw, kind), buffer_size=_CHUNK) as buf:
                yield buf


def peek(path: Location, size: int = 1 << 15) -> bytes:
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


def iter_lines(stream: IO[bytes], limit: int) -> Iterator[RawLine]:
    """Lines of ``stream`` without their newline; a line longer than ``limit`` bytes is skipped
    without being held in memory and reported with ``data=None``.

    Blank lines (``\n``, ``\r\n``) are not yielded: every caller skips them, and a run of them
    is consumed from the read buffer in bulk (a gzip of a gigabyte of newlines cost a Python loop
    turn a line: 40 minutes); line numbers and offsets count them all the same.

    Decompression errors propagate to the caller, which knows how far it got.
    """
    number = 0
    offset = 0
    peek = getattr(stream, "peek", None)
    while True:
        if peek is not None:
            head = peek(1)
            if head[:1] in (b"\n", b"\r"):
                # Up to the last newline of the run of blank lines at the head of the buffer.
                run = len(head) - len(head.lstrip(b"\r\n"))
                end = head.rfind(b"\n", 0, run) + 1
                if end:
                    stream.read(end)
                    number += head.count(b"\n", 0, end)
                    offset += end
                    continue
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
        elif chunk in (b"\n", b"\r\n"):
            pass  # a blank line (a stream that cannot peek meets them one by one)
        else:
            yield RawLine(number, offset, chunk.rstrip(b"\r\n"), length)
        offset += length
