"""Deterministic, atomic JSON Lines part files.

Output is byte-identical for identical content: gzip headers carry no timestamp or file name, and
records are written in the order they arrive. A part is written under a temporary name and renamed
into place when closed, so a crashed run never leaves a half-written part that looks finished.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson
import zstandard
from zlib_ng import gzip_ng

from gharbal.writers.atomic import AtomicOutput, temporary_name


class JsonlPartWriter(AtomicOutput):
    """Writes records to ``path`` atomically, compressed by its suffix: ``.gz`` (gzip), ``.zst``
    (zstd, for intermediate files: faster) or none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = temporary_name(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = self.tmp.open("wb")
        self._out: Any = self._raw
        if path.name.endswith(".gz"):
            # zlib-ng: a standard gzip stream of the same size as zlib's at the same level, about
            # three times faster (measured on the dedup bench's corpus: 47 against 16 MB/s); the
            # output is the slowest part of a run that only deduplicates.
            self._out = gzip_ng.GzipNGFile(  # type: ignore[no-untyped-call]
                filename="", fileobj=self._raw, mode="wb", mtime=0, compresslevel=6
            )
        elif path.name.endswith(".zst"):
            # Level 1: intermediate files live for one run; twice as fast as level 3.
            self._out = zstandard.ZstdCompressor(level=1).stream_writer(self._raw, closefd=False)
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        self.count += 1

    def copy_from(self, path: Path) -> None:
        """Append the records of the uncompressed JSON Lines file ``path``, as they are."""
        with path.open("rb") as f:
            for line in f:
                self._out.write(line)
                self.count += 1

    def close(self) -> None:
        if self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        # After a failed write (a full disk) closing may fail again flushing what is buffered:
        # the temporary file goes all the same.
        with contextlib.suppress(Exception):
            self._out.close()
        with contextlib.suppress(Exception):
            self._raw.close()
        self.tmp.unlink(missing_ok=True)
