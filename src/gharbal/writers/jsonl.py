"""Deterministic, atomic JSON Lines part files.

Output is byte-identical for identical content: gzip headers carry no timestamp or file name, and
records are written in the order they arrive. A part is written under a temporary name and renamed
into place when closed, so a crashed run never leaves a half-written part that looks finished.
"""

from __future__ import annotations

import abc
import gzip
import os
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
import zstandard


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path``, unique to this writer: two processes writing the same part
    (a resumed run, and a worker of the killed one finishing its task) never share a temporary file,
    and whichever renames last leaves the same bytes."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


class AtomicOutput(abc.ABC):
    """A writer that is finished by ``close`` (publish) or ``abort`` (discard): as a context
    manager, it closes on success and aborts when the block raises."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def abort(self) -> None: ...

    def __enter__(self) -> Self:
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
