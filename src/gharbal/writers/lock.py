"""One run at a time per output directory: ``OUT/.gharbal.lock``, held for the whole run.

A second run into the same directory while the first is running would clear the first's parts and
markers from under it (or resume work the first is still doing). So a run takes an exclusive
``flock`` on ``OUT/.gharbal.lock`` before it touches anything, and a run that finds it taken stops at
once with a `ConfigError` (exit 2), changing nothing.

The lock belongs to the open file, not to the file's existence: the kernel releases it when the
process ends, however it ends, so the empty file a ``kill -9``-ed run leaves behind does not block
the next run (``--resume`` included); it is never deleted (deleting a lock file others may have open
lets two runs lock two different files). On a filesystem without ``flock`` (some network and FUSE
filesystems report ``ENOLCK`` or ``EOPNOTSUPP``) the run goes on unlocked. For an output URL the lock
is taken on the local staging directory: it keeps two runs on one machine apart, not runs on two
machines writing to the same URL.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from gharbal.errors import ConfigError

LOCK_NAME = ".gharbal.lock"


class OutputLock:
    """The exclusive lock of the output directory ``out`` (created if need be), as a context
    manager; raises `ConfigError` if another process holds it."""

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise ConfigError(
                f"cannot use the output directory {self.path.parent}: {type(exc).__name__}: {exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(
                f"another gharbal run is writing to {self.path.parent} (it holds {self.path}): "
                "wait for it to finish, or write to another output directory"
            ) from None
        except OSError:
            os.close(fd)
            return  # no flock on this filesystem (ENOLCK, EOPNOTSUPP, ...): run unlocked
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the lock
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


__all__ = ["LOCK_NAME", "OutputLock"]
