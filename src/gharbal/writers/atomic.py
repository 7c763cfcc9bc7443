"""Files written atomically: under a temporary name of their own, renamed into place when finished,
so that a crashed or killed run never leaves a half-written file that looks finished (and the
temporary names, ``.NAME.<hex>.tmp``, are what a resumed run sweeps away)."""

from __future__ import annotations

import abc
import os
import stat
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self

from gharbal.errors import ConfigError


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path``, unique to this writer: two processes writing the same part
    (a resumed run, and a worker of the killed one finishing its task) never share a temporary file,
    and whichever renames last leaves the same bytes."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


def output_file(path: str | Path) -> Path:
    """Where to write an output file a user named (``extract -o``, ``report -o``): the file a
    symlink points to (the link stays a link), refusing anything that exists and is not a regular
    file. An atomic write renames a new file over its target: over ``/dev/null`` or a FIFO it would
    replace the device (as root) or the pipe with a plain file. Raises `ConfigError`."""
    real = Path(os.path.realpath(path))
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise ConfigError(
            f"output {str(path)!r} cannot be accessed: {exc.strerror or exc}"
        ) from None
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"output {str(path)!r} is not a regular file (a directory, device or FIFO): name a file"
        )
    return real


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


__all__ = ["AtomicOutput", "output_file", "temporary_name"]
