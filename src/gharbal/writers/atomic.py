"""Files written atomically: under a temporary name of their own, renamed into place when finished,
so that a crashed or killed run never leaves a half-written file that looks finished (and the
temporary names, ``.NAME.<hex>.tmp``, are what a resumed run sweeps away)."""

from __future__ import annotations

import abc
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path``, unique to this writer: two processes writing the same part
    (a resumed run, and a worker of the killed one finishing its task) never share a temporary file,
    and whichever renames last leaves the same bytes."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


class AtomicOutput(abc.ABC):
    """A writer that is finished by ``close`` (publish) or ``abort`` (discard): as a context
    manager, it closes on success and aborts when the block raises, or when ``close`` itself
    fails (a full disk when the last bytes are flushed), so no temporary file is left behind.
    ``abort`` must not raise: it may follow a write that failed half-way."""

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
            try:
                self.close()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()


__all__ = ["AtomicOutput", "temporary_name"]
