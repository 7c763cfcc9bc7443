"""Deterministic, atomic JSON Lines part files.

Output is byte-identical for identical content: gzip headers carry no timestamp or file name, and
records are written in the order they arrive. A part is written under a temporary name and renamed
into place when closed, so a crashed run never leaves a half-written part that looks finished.
"""

from __future__ import annotations

import gzip
import os
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path``, unique to this writer: two processes writing the same part
    (a resumed run, and a worker of the killed one finishing its task) never share a temporary file,
    and whichever renames last leaves the same bytes."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


class JsonlPartWriter:
    """Writes records to ``path`` (gzip-compressed if it ends with ``.gz``) atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = temporary_name(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = self.tmp.open("wb")
        self._out: IO[bytes] | gzip.GzipFile = (
            gzip.GzipFile(filename="", fileobj=self._raw, mode="wb", mtime=0, compresslevel=6)
            if path.name.endswith(".gz")
            else self._raw
        )
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

    def __enter__(self) -> JsonlPartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
