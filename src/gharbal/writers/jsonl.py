"""Deterministic, atomic JSON Lines part files.

Output is byte-identical for identical content: gzip headers carry no timestamp or file name, and
records are written in the order they arrive. A part is written under a temporary name and renamed
into place when closed, so a crashed run never leaves a half-written part that looks finished.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import orjson
import zstandard

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
            self._out = gzip.GzipFile(
                filename="", fileobj=self._raw, mode="wb", mtime=0, compresslevel=6
            )
        elif path.name.endswith(".zst"):
            self._out = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        self.count += 1

    def close(self) -> None:
        if self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self._out.close()
        self._raw.close()
        self.tmp.unlink(missing_ok=True)
