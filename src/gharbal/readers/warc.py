"""WARC and WET files (``.warc``, ``.warc.gz``, ``.wet.gz``), streamed record by record.

Which records are documents:

- ``response`` (HTTP) and ``resource`` records whose payload is HTML become HTML documents;
  ``conversion`` records (Common Crawl WET) become plain-text documents.
- A response or resource that is not HTML is rejected as ``read.skip.not_html``, a response with a
  non-2xx HTTP status as ``read.skip.http_status``: they stay in the ledger, counted.
- ``warcinfo``, ``request``, ``metadata``, ``revisit`` and ``continuation`` records describe a crawl,
  not a page: they are not documents and are not counted.

Kept from the WARC headers: ``WARC-Target-URI`` -> ``doc.url``, ``WARC-Record-ID`` -> ``doc.id``
(without angle brackets) and ``metadata["warc_record_id"]``, ``WARC-Date`` -> ``warc_date``, the
record type -> ``warc_type``, the payload's Content-Type -> ``content_type``, the HTTP status ->
``http_status``; and when present ``WARC-Identified-Payload-Type``, ``WARC-Identified-Content-Language``
(WET), ``WARC-Refers-To`` and ``WARC-Truncated``. The charset used is recorded too (see
`gharbal.readers.charset`). ``doc.source`` is ``FILE:OFFSET``, the offset of the record's first byte in
the decompressed stream.

The records are framed here rather than by fastwarc: measured with fastwarc 2.0.1, an invalid header
stops its iterator for good (``OSError: Invalid WARC header``), a too-large Content-Length silently
swallows the records after it, a wrong one is accepted silently, and a record cut off by the end of
the file comes back with an empty body. Here every record is checked against its frame (a header
block, ``Content-Length`` bytes, CRLF CRLF) and a damaged one is rejected with its offset and what
was wrong, then reading resumes at the next ``WARC/`` line:

- ``read.warc.corrupt``: no version line where a record should start, a malformed or missing
  header, or a header block over 64 KiB; the bytes up to the next record are skipped;
- ``read.warc.bad_length``: the block does not end at a record boundary, or runs past the end of
  the file, or is absurdly long (the Content-Length is wrong); the block is searched for the next
  record, so records a too-large length swallowed are kept. A block over ``read.max_record_bytes``
  is searched too, while it is skipped without being held: reading goes back to the first record
  inside it (`_Cursor.rewind`; a ``.warc.gz`` decompresses that member again);
- ``read.warc.corrupt_member``: a gzip member (zstd frame) that does not decompress; reading resumes at
  the next member, so in a ``.warc.gz`` (one member per record) only that record is lost;
- ``read.warc.bad_http``, ``read.warc.content_encoding``: an HTTP message or a ``Content-Encoding``
  that cannot be decoded (a payload labelled gzip or deflate that is plain text after all, as in
  ClueWeb09, is read as it is, with ``content_encoding_ignored: true`` in its metadata; one that
  starts as gzip and does not inflate is rejected); ``read.record_too_large``: a block over
  ``read.max_record_bytes`` that ends at a record boundary, skipped without being loaded (any
  record type; only a page is counted); ``read.undecodable``: a page whose bytes decode under no
  charset;
- ``read.file.truncated``: the file ends inside a record (everything before it is kept);
  ``read.file.empty``: no record at all.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from gharbal.document import Document, content_id
from gharbal.readers.base import file_rejection
from gharbal.readers.charset import (
    charset_param,
    decode_html,
    decode_text,
    repair_mojibake,
    too_broken,
)
from gharbal.readers.compression import (
    GZIP_MAGIC,
    CorruptStreamError,
    DecompressedStream,
    TruncatedStreamError,
    input_lost,
    open_binary,
)
from gharbal.readers.config import ReadConfig
from gharbal.readers.location import Location
from gharbal.readers.sniff import looks_like_html

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PAGE_TYPES = frozenset({"response", "resource", "conversion"})
_HEADER_LIMIT = 1 << 16  # a WARC or HTTP header block larger than this is corrupt
_CHUNK = 1 << 16
_RECORD_MARK = b"\nWARC/"
_ABSURD_LENGTH = 1 << 40  # no WARC record is a terabyte: such a Content-Length is damage
_STATUS = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})")


class _End:
    """The end of the stream."""


_END = _End()


@dataclass(slots=True)
class _Line:
    """A line starting with ``WARC/`` found inside a skipped block, to `_Cursor.rewind` to: the
    cursor went from offset ``base`` (the stream at ``point``, the bytes ``held[held_pos:]`` read
    ahead and still in memory) past it."""

    offset: int
    base: int
    point: Any
    held: bytes = b""
    held_pos: int = 0


@dataclass(slots=True)
class _Skipped:
    """What `_Cursor.skip_block` went past: ``count`` bytes, the first record line inside them, their
    last bytes (a record line may begin there and go on after them), and the stream error that
    stopped it, if any."""

    count: int
    line: _Line | None
    last: bytes
    error: EOFError | None = None


class _Cursor:
    """A decompressed stream read with an offset, a push-back buffer and bounded lines.

    ``_buf[_pos:]`` is what has been read ahead (or pushed back) and not consumed yet; consuming
    moves ``_pos`` instead of copying the rest, so lines read from a large pushed-back block stay
    cheap.
    """

    def __init__(self, stream: IO[bytes], path: Location) -> None:
        self._stream = stream
        self._path = path
        self._buf = b""
        self._pos = 0
        self.offset = 0  # bytes consumed so far (since ``anchor``)
        self.anchor: int | None = None  # compressed offset reading resumed at after damage
        self._size = _plain_size(stream)  # the offset of the end, once known (at once if plain)

    def _more(self) -> bool:
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            return False
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def resume_at(self, compressed_offset: int) -> None:
        """Reading goes on at a compressed offset after a damaged member: count from there."""
        self._buf, self._pos = b"", 0
        self.anchor, self.offset = compressed_offset, 0
        self._size = None

    def where(self, offset: int) -> str:
        """``FILE:OFFSET``, or ``FILE:@COMPRESSED+OFFSET`` after a damaged gzip member."""
        if self.anchor is None:
            return f"{self._path}:{offset}"
        return f"{self._path}:@{self.anchor}+{offset}"

    def unread(self, data: bytes) -> None:
        self._buf, self._pos = data + self._buf[self._pos :], 0
        self.offset -= len(data)

    def readline(self, limit: int) -> bytes:
        """One line with its newline, at most ``limit`` bytes (b"" at the end of the stream)."""
        searched = self._pos
        while True:
            at = self._buf.find(b"\n", searched, self._pos + limit)
            if at >= 0:
                return self._take(at + 1 - self._pos)
            if len(self._buf) - self._pos >= limit:
                return self._take(limit)
            searched = len(self._buf) - self._pos
            if not self._more():
                return self._take(len(self._buf) - self._pos)
            searched += self._pos  # _more() moved the unread bytes to the start

    def read(self, size: int) -> bytes:
        """``size`` bytes, fewer only at the end of the stream."""
        have = len(self._buf) - self._pos
        if have >= size:
            return self._take(size)
        parts = [self._buf[self._pos :]]
        self._buf, self._pos = b"", 0
        while have < size:
            chunk = self._stream.read(min(size - have, 1 << 20))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self.offset += have
        return b"".join(parts)

    def skip(self, size: int) -> int:
        """Discard ``size`` bytes without holding them; returns how many there were."""
        done = 0
        while done < size:
            got = len(self.read(min(size - done, 1 << 20)))
            if not got:
                break
            done += got
        return done

    def left(self) -> int | None:
        """Bytes left in an uncompressed file, or in a compressed one once a skip has reached its
        end (so that each length past the end does not decompress the rest again); else None."""
        return None if self._size is None else self._size - self.offset

    def at_end(self) -> bool:
        return self._pos >= len(self._buf) and not self._more()

    def skip_block(self, size: int) -> _Skipped:
        """Discard ``size`` bytes (fewer at the end of the stream) without holding them, noting the
        first line inside them that starts with ``WARC/``, so that a block whose length turns out
        wrong can be searched for the records it swallowed (`rewind`). The cursor is at the start
        of a line when called. A damaged stream stops the skip (`_Skipped.error`)."""
        done, line = 0, None
        last = b"\n"  # the last bytes gone past (the header block ends with a newline)
        region = _Line(self.offset, self.offset, self._point(), self._buf, self._pos)
        previous = region
        while done < size:
            if self._pos >= len(self._buf):  # the read-ahead is used up: read on
                previous, region = region, _Line(self.offset, self.offset, self._point())
                try:
                    chunk = self._stream.read(min(size - done, 1 << 20))
                except EOFError as exc:
                    return _Skipped(done, line, b"", exc)
                if not chunk:
                    self._size = self.offset
                    break
                self._buf, self._pos = chunk, 0
            n = min(len(self._buf) - self._pos, size - done)
            if line is None and region.point is not None:
                line_at = self._line_in(last, n)
                if line_at is not None:
                    line = region if line_at >= region.base else previous
                    line.offset = line_at
            last = (last + self._buf[max(self._pos + n - 5, self._pos) : self._pos + n])[-5:]
            self._pos += n
            self.offset += n
            done += n
        return _Skipped(done, line, last[max(len(last) - done, 0) :])

    def _line_in(self, last: bytes, n: int) -> int | None:
        """The offset of the first line starting with ``WARC/`` whose newline is in ``last`` (the
        bytes just gone past) or in the next ``n`` bytes, with all of it in these."""
        at = (last + self._buf[self._pos : self._pos + min(n, 5)]).find(_RECORD_MARK)
        if at >= 0:
            return self.offset - len(last) + at + 1
        at = self._buf.find(_RECORD_MARK, self._pos, self._pos + n)
        return self.offset + at + 1 - self._pos if at >= 0 else None

    def rewind(self, line: _Line) -> None:
        """Go back to a record line found by `skip_block`."""
        self._seek(line.point)
        self._buf, self._pos, self.offset = line.held, line.held_pos, line.base
        self.skip(line.offset - line.base)

    def _point(self) -> Any:
        if isinstance(self._stream, DecompressedStream):
            return self._stream.checkpoint()
        return self._stream.tell() if self._stream.seekable() else None

    def _seek(self, point: Any) -> None:
        if isinstance(self._stream, DecompressedStream):
            self._stream.restore(point)
        else:
            self._stream.seek(point)

    def skip_to_record(self, line_start: bool = True) -> None:
        """Move to the next line that starts with ``WARC/`` (or to the end of the stream);
        ``line_start``: the cursor is at the start of a line."""
        while len(self._buf) - self._pos < len(_RECORD_MARK) and self._more():
            pass
        if line_start and self._buf.startswith(_RECORD_MARK[1:], self._pos):
            return
        while True:
            at = self._buf.find(_RECORD_MARK, self._pos)
            if at >= 0:
                self._take(at + 1 - self._pos)
                return
            self._take(max(len(self._buf) - self._pos - len(_RECORD_MARK) + 1, 0))
            if not self._more():
                self._take(len(self._buf) - self._pos)
                return

    def _take(self, n: int) -> bytes:
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        self.offset += len(out)
        return out


def _plain_size(stream: IO[bytes]) -> int | None:
    if isinstance(stream, DecompressedStream):
        return None
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = getattr(stream, "size", None)  # an fsspec file
        return size if isinstance(size, int) else None


class _BadRecordError(Exception):
    """A record that does not parse: ``reason`` and what was wrong (internal to this module)."""

    def __init__(self, reason: str, problem: str) -> None:
        super().__init__(problem)
        self.reason, self.problem = reason, problem


class _CutOffError(Exception):
    """The file ends inside a record."""


def _read_headers(cur: _Cursor) -> dict[str, str]:
    headers: dict[str, str] = {}
    total = 0
    last = ""
    while True:
        line = cur.readline(_HEADER_LIMIT)
        if not line:
            raise _CutOffError("the file ends inside the record's header")
        total += len(line)
        if total > _HEADER_LIMIT:
            raise _BadRecordError(
                "read.warc.corrupt", f"header block longer than {_HEADER_LIMIT} bytes"
            )
        if line in (b"\r\n", b"\n"):
            return headers
        if line[:1] in (b" ", b"\t") and last:  # folded continuation line
            headers[last] += " " + line.strip().decode("utf-8", "replace")
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip() or b" " in name.strip():
            raise _BadRecordError("read.warc.corrupt", f"malformed header line {line[:80]!r}")
        last = name.strip().lower().decode("latin-1")
        headers.setdefault(last, value.strip().decode("utf-8", "replace"))


class WarcReader:
    kind = "warc"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        try:
            with open_binary(path, buffered=False) as stream:
                yield from self._read(path, stream, cfg)
        except OSError as exc:
            if input_lost(exc):
                raise  # vanished or no longer readable: the run's failure, not the file's
            yield file_rejection(path, "read.file.unreadable", f"{type(exc).__name__}: {exc}")

    def _read(self, path: Location, stream: IO[bytes], cfg: ReadConfig) -> Iterator[Document]:
        cur = _Cursor(stream, path)
        seen = 0  # records of any type, and damaged stretches
        while True:
            start = cur.offset
            try:
                item = self._next(path, cur, cfg)
            except CorruptStreamError as exc:
                seen += 1
                where = cur.where(start)
                resumed = stream.resync() if isinstance(stream, DecompressedStream) else None
                then = (
                    f"reading resumed at compressed byte {resumed} (offsets from there are "
                    f"written FILE:@{resumed}+OFFSET)"
                    if resumed is not None
                    else "no intact member after it"
                )
                yield _rejected(
                    where, "read.warc.corrupt_member", f"{exc}; its records are lost; {then}"
                )
                if resumed is None:
                    return
                cur.resume_at(resumed)
                continue
            except TruncatedStreamError as exc:
                yield file_rejection(
                    path,
                    "read.file.truncated",
                    f"stream breaks off in the record at {cur.where(start)} "
                    f"({seen} records before it were read): {type(exc).__name__}: {exc}",
                )
                return
            if isinstance(item, _End):
                break
            seen += 1
            if item is not None:
                yield item
        if seen == 0:
            yield file_rejection(path, "read.file.empty", "no WARC records")

    def _next(self, path: Location, cur: _Cursor, cfg: ReadConfig) -> Document | _End | None:
        """The next record as a document (kept or rejected), None for a record that is not a page,
        or `_END`."""
        line = b"\r\n"
        while line.strip() == b"":
            start = cur.offset
            line = cur.readline(_HEADER_LIMIT)
            if not line:
                return _END
        try:
            if not line.startswith(b"WARC/"):
                raise _BadRecordError(
                    "read.warc.corrupt", f"expected a 'WARC/1.x' version line, found {line[:40]!r}"
                )
            headers = _read_headers(cur)
            length_text = headers.get("content-length", "").strip()
            if not (length_text.isascii() and length_text.isdigit()):  # not "²", not "٣"
                raise _BadRecordError(
                    "read.warc.corrupt",
                    f"Content-Length {length_text!r} is not a number"
                    if length_text
                    else "no Content-Length header",
                )
            if len(length_text) > 30:  # no file is that long (and int() refuses 4,300 digits)
                raise _BadRecordError(
                    "read.warc.bad_length",
                    f"Content-Length of {len(length_text)} digits cannot be right",
                )
            return self._block(path, cur, cfg, start, headers, int(length_text))
        except _BadRecordError as fault:
            cur.skip_to_record()
            return _rejected(
                cur.where(start),
                fault.reason,
                f"{fault.problem}; skipped bytes {start}-{cur.offset} to the next record",
            )
        except _CutOffError as exc:  # the cursor is at the end of the stream
            return file_rejection(
                path,
                "read.file.truncated",
                f"record at {cur.where(start)}: {exc} (file is cut off)",
            )

    def _block(
        self,
        path: Location,
        cur: _Cursor,
        cfg: ReadConfig,
        start: int,
        headers: dict[str, str],
        length: int,
    ) -> Document | None:
        rtype = headers.get("warc-type", "").strip().lower()
        page = rtype in PAGE_TYPES
        uri = headers.get("warc-target-uri", "").strip().strip("<>")
        left = cur.left()
        if length > _ABSURD_LENGTH or (left is not None and length > left):
            self._impossible_length(cur, length, left)
        if length > cfg.max_record_bytes:
            self._skip_block(cur, length)
            if not page:
                return None
            return _rejected(
                cur.where(start),
                "read.record_too_large",
                f"{rtype} record for {uri or '(no URI)'} has a {length}-byte block, over "
                f"read.max_record_bytes {cfg.max_record_bytes}",
                headers,
            )
        block = cur.read(length)
        if len(block) < length:
            if _RECORD_MARK in block:  # a wrong length, not a cut file: a record starts inside
                cur.unread(block)
                raise _BadRecordError(
                    "read.warc.bad_length",
                    f"Content-Length {length} runs past the end of the file, and another record "
                    "starts inside it",
                )
            raise _CutOffError(f"Content-Length {length} but only {len(block)} bytes follow")
        self._end_of_block(cur, length, block)
        if not page:
            return None
        return _Page(cur.where(start), headers, block, cfg).document()

    @staticmethod
    def _impossible_length(cur: _Cursor, length: int, left: int | None) -> None:
        """A Content-Length past the end of an uncompressed file, or absurd: the records it would
        swallow are searched for from the start of the block, without reading it."""
        cur.skip_to_record()
        found = not cur.at_end()
        if length > _ABSURD_LENGTH:
            what = f"Content-Length {length} cannot be right (over {_ABSURD_LENGTH} bytes)"
        elif not found:  # no record after it: the file is cut off
            raise _CutOffError(f"Content-Length {length} but only {left} bytes follow")
        else:
            what = f"Content-Length {length} runs past the end of the file ({left} bytes follow)"
        raise _BadRecordError(
            "read.warc.bad_length",
            f"{what}, and {'another record starts inside it' if found else 'no record follows it'}",
        )

    def _skip_block(self, cur: _Cursor, length: int) -> None:
        """Go past a block over ``read.max_record_bytes`` without holding it. If its length turns
        out wrong, reading goes back to the first record that starts inside it (or, with none, on
        to the next one after it) and the record is rejected as ``read.warc.bad_length``."""
        skipped = cur.skip_block(length)
        tail = b""
        if skipped.error is not None:
            if skipped.line is None:
                raise skipped.error
            problem = f"runs into a damaged stretch of the stream ({skipped.error})"
        elif skipped.count < length:
            if skipped.line is None:
                raise _CutOffError(f"Content-Length {length} but only {skipped.count} bytes follow")
            problem = "runs past the end of the file"
        else:
            tail = cur.read(4)
            if self._at_boundary(cur, tail):
                return
            problem = (
                f"does not end at a record boundary (expected CRLF CRLF after the block, found "
                f"{tail!r})"
            )
        if skipped.line is not None:
            cur.rewind(skipped.line)
            found = ", and another record starts inside it"
        else:  # a record may start in the block's last bytes and go on after them
            cur.unread(skipped.last + tail)
            cur.skip_to_record(line_start=False)
            found = ""
        raise _BadRecordError("read.warc.bad_length", f"Content-Length {length} {problem}{found}")

    @classmethod
    def _end_of_block(cls, cur: _Cursor, length: int, block: bytes) -> None:
        """Check that CRLF CRLF follows the block (tolerating a missing or short one before the
        next record or the end of the file)."""
        tail = cur.read(4)
        if cls._at_boundary(cur, tail):
            return
        cur.unread(block + tail)
        raise _BadRecordError(
            "read.warc.bad_length",
            f"Content-Length {length} does not end at a record boundary "
            f"(expected CRLF CRLF after the block, found {tail!r})",
        )

    @staticmethod
    def _at_boundary(cur: _Cursor, tail: bytes) -> bool:
        """``tail`` (the 4 bytes after a block) is CRLF CRLF, a shorter line end before the next
        record, or the end of the file."""
        if tail == b"\r\n\r\n" or not tail:
            return True
        rest = tail.lstrip(b"\r\n")
        if len(rest) < len(tail) and (not rest or b"WARC"[: len(rest)] == rest):
            cur.unread(rest)
            return True
        return False


def _rejected(
    where: str, reason: str, detail: str, headers: dict[str, str] | None = None
) -> Document:
    rid = (headers or {}).get("warc-record-id", "").strip()
    uri = (headers or {}).get("warc-target-uri", "").strip().strip("<>")
    doc = Document(
        id=rid.strip("<>") or content_id("warc", where, reason),
        url=uri or None,
        source=where,
    )
    doc.reject(reason, f"{where}: {detail}")
    return doc


class _Page:
    """One response, resource or conversion record turned into a document."""

    def __init__(self, where: str, headers: dict[str, str], block: bytes, cfg: ReadConfig) -> None:
        self.where, self.headers, self.block, self.cfg = where, headers, block, cfg
        self.type = headers.get("warc-type", "").strip().lower()
        self.uri = headers.get("warc-target-uri", "").strip().strip("<>")
        self.metadata: dict[str, Any] = {
            "warc_type": self.type,
            "warc_date": headers.get("warc-date", "").strip(),
            "warc_record_id": headers.get("warc-record-id", "").strip(),
        }
        for header, key in (
            ("warc-identified-payload-type", "warc_identified_payload_type"),
            ("warc-identified-content-language", "warc_identified_language"),
            ("warc-refers-to", "warc_refers_to"),
            ("warc-truncated", "warc_truncated"),
        ):
            if header in headers:
                self.metadata[key] = headers[header].strip()

    def reject(self, reason: str, detail: str) -> Document:
        doc = _rejected(self.where, reason, detail, self.headers)
        doc.metadata = self.metadata
        return doc

    def document(self) -> Document:
        ctype = self.headers.get("content-type", "").strip()
        payload = self.block
        if self.type == "conversion":
            self.metadata["content_type"] = ctype
            return self._finish(payload, ctype, html=False)
        if self.type == "response" and (
            ctype.lower().startswith("application/http") or payload.startswith(b"HTTP/")
        ):
            parsed = self._http(payload)
            if isinstance(parsed, Document):
                return parsed
            ctype, payload = parsed
        self.metadata["content_type"] = ctype
        mime = ctype.split(";", 1)[0].strip().lower()
        identified = self.metadata.get("warc_identified_payload_type", "").split(";")[0].lower()
        if identified:
            html = identified in HTML_TYPES
        elif mime:
            html = mime in HTML_TYPES
        else:
            html = looks_like_html(payload[:4096])
        if not html:
            return self.reject(
                "read.skip.not_html",
                f"{self.type} for {self.uri or '(no URI)'} is {identified or mime or 'untyped'}, "
                "not HTML",
            )
        return self._finish(payload, ctype, html=True)

    def _http(self, block: bytes) -> tuple[str, bytes] | Document:
        """(Content-Type, decoded payload) of an HTTP response, or the rejection."""
        end, sep = block.find(b"\r\n\r\n", 0, _HEADER_LIMIT), 4
        if end < 0:
            end, sep = block.find(b"\n\n", 0, _HEADER_LIMIT), 2
        if end < 0:
            return self.reject("read.warc.bad_http", "no end of the HTTP header block")
        lines = block[:end].decode("latin-1").split("\n")
        status = _STATUS.match(lines[0].strip())
        if status is None:
            return self.reject(
                "read.warc.bad_http", f"HTTP status line {lines[0].strip()[:80]!r} is malformed"
            )
        code = int(status.group(1))
        self.metadata["http_status"] = code
        http: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                http.setdefault(name.strip().lower(), value.strip())
        if not 200 <= code < 300:
            return self.reject("read.skip.http_status", f"HTTP status {code} for {self.uri}")
        payload = block[end + sep :]
        if "chunked" in http.get("transfer-encoding", "").lower():
            payload = _dechunk(payload)
        coding = http.get("content-encoding", "").strip().lower()
        if coding and coding != "identity":
            decoded = self._content_decode(payload, coding)
            if isinstance(decoded, Document):
                return decoded
            payload = decoded
        return http.get("content-type", ""), payload

    def _content_decode(self, payload: bytes, coding: str) -> bytes | Document:
        limit = self.cfg.max_record_bytes
        plain = not payload.startswith(GZIP_MAGIC) and _looks_like_text(payload)
        if coding in ("gzip", "x-gzip", "deflate"):
            gzipped = payload.startswith(GZIP_MAGIC)
            for wbits in (47,) if gzipped else (47, -15):  # gzip or zlib header, then raw deflate
                dec = zlib.decompressobj(wbits=wbits)
                try:
                    out = dec.decompress(payload, limit + 1)
                except zlib.error:
                    continue
                if plain and not dec.eof:
                    break  # text that happens to inflate for a while: never compressed
                if len(out) > limit:
                    return self.reject(
                        "read.record_too_large",
                        f"{coding} payload of {self.uri} inflates past read.max_record_bytes "
                        f"{limit}",
                    )
                return out
        if plain or looks_like_html(payload[:4096]):
            # already decoded by the crawler, header left as it was (ClueWeb09 does this)
            self.metadata["content_encoding_ignored"] = True
            return payload
        return self.reject(
            "read.warc.content_encoding",
            f"Content-Encoding {coding!r} of {self.uri} cannot be decoded",
        )

    def _finish(self, payload: bytes, ctype: str, html: bool) -> Document:
        declared = charset_param(ctype)
        decoded = decode_html(payload, declared) if html else decode_text(payload, declared)
        self.metadata.update(decoded.metadata())
        if too_broken(decoded):
            return self.reject(
                "read.undecodable",
                f"{decoded.errors} byte sequences of {self.uri} undecodable as {decoded.encoding}",
            )
        text, repaired = repair_mojibake(decoded.text)
        if repaired:
            self.metadata["mojibake_repaired"] = repaired
        rid = self.metadata["warc_record_id"].strip("<>")
        doc = Document(
            id=rid or content_id("warc", self.where),
            url=self.uri or None,
            metadata=self.metadata,
            source=self.where,
        )
        if html:
            doc.html = text
        else:
            doc.text = text
        return doc


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"


def _looks_like_text(payload: bytes) -> bool:
    """The start of ``payload`` reads as text (so a Content-Encoding header on it is stale): no NUL,
    hardly any control bytes, and it decodes under some charset (a UTF-16 page starts with a BOM)."""
    head = payload[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head or len(head) - len(head.translate(None, _CONTROL)) > len(head) // 100:
        return False
    return not too_broken(decode_text(head))


def _dechunk(data: bytes) -> bytes:
    """The body of an HTTP ``Transfer-Encoding: chunked`` payload; a payload that is not chunked
    after all (crawlers often store it decoded and keep the header) comes back as it was."""
    out: list[bytes] = []
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        try:
            size = int(data[pos:nl].split(b";", 1)[0].strip(), 16) if nl >= 0 else -1
        except ValueError:
            size = -1
        if size < 0:
            return b"".join(out) if out else data
        if size == 0:
            return b"".join(out)
        out.append(data[nl + 1 : nl + 1 + size])
        pos = nl + 1 + size
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith(b"\n", pos):
            pos += 1
        if pos >= len(data):
            return b"".join(out)


__all__ = ["HTML_TYPES", "WarcReader"]
