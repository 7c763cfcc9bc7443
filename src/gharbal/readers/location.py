"""Where an input lives: a local `Path`, or an fsspec URL (``memory://``, ``s3://``, ...) kept as `str`.

Local files are opened with the standard library; a URL goes through fsspec, which is imported only
when a URL is given (so a local run never touches it, and never the network). A URL whose protocol
fsspec does not know, or whose backend is not installed (``s3fs`` for ``s3://``), is a `ConfigError`
before any work starts. The in-memory filesystem lives in one process: with ``--workers 2`` a
``memory://`` input is not visible to the worker processes, real filesystems are.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from gharbal.errors import ConfigError

Location = Path | str
"""A local file (`Path`) or an fsspec URL (`str`); plain local paths are always `Path`."""

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # A byte that was not UTF-8 in a file name (os.fsdecode's surrogateescape): the byte itself.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def clean_name(text: str) -> str:
    """``text`` (a path, or an id made of one) as valid Unicode: a file name that is not UTF-8
    reaches Python with lone surrogates (``raw\udc9bname``), which no UTF-8 output can hold; each
    becomes the escape of its byte (``raw\\x9bname``). Other text is returned as it is."""
    if text.isascii():
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


def is_url(item: str) -> bool:
    """True for ``proto://...`` (``file://`` included: fsspec maps it to the local filesystem)."""
    return bool(_URL.match(item))


def name_of(loc: Location) -> str:
    """The last part of the path (``a.warc.gz``)."""
    if isinstance(loc, Path):
        return loc.name
    return loc.rstrip("/").rsplit("/", 1)[-1]


def suffixes_of(loc: Location) -> list[str]:
    """Lower-cased suffixes of the file name (``['.warc', '.gz']``)."""
    return [s.lower() for s in PurePosixPath(name_of(loc)).suffixes]


def relative_name(loc: Location, base: Location | None) -> str:
    """``loc`` relative to the directory ``base`` it was found in, as a POSIX path."""
    if base is None:
        return name_of(loc)
    if isinstance(loc, Path) and isinstance(base, Path):
        return loc.relative_to(base).as_posix()
    prefix = str(base).rstrip("/") + "/"
    text = str(loc)
    return text[len(prefix) :] if text.startswith(prefix) else name_of(loc)


@contextmanager
def open_location(loc: Location) -> Iterator[IO[bytes]]:
    """The raw bytes of ``loc``, as a seekable binary file."""
    if isinstance(loc, Path):
        with loc.open("rb") as f:
            yield f
        return
    import fsspec

    # Buffered here: the line readers call readline(limit), which fsspec's own buffered files
    # (s3fs, gcsfs...) do not take.
    with (
        fsspec.open(loc, "rb") as f,
        io.BufferedReader(_RawFile(f), buffer_size=1 << 20) as buffered,
    ):
        yield buffered


class _RawFile(io.RawIOBase):
    """An fsspec file as a raw stream (reads, seeks; closing leaves the file to its owner)."""

    def __init__(self, f: Any) -> None:
        self.f = f

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, pos: int, whence: int = 0) -> int:
        return int(self.f.seek(pos, whence))

    def tell(self) -> int:
        return int(self.f.tell())


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec.core

        fs, root = fsspec.core.url_to_fs(url)
        return fs, str(root)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot open input URL {url!r}: {exc}") from None


def expand_url(url: str, has_magic: bool) -> tuple[list[str], str | None]:
    """The files a URL names (a file, a directory walked in sorted order, or a glob), as URLs, and
    the directory they are relative to (None unless ``url`` is a directory).

    Raises `ConfigError` if the URL names nothing or its filesystem cannot be used.
    """
    fs, root = _fs(url)
    try:
        if has_magic:
            files = [p for p in sorted(fs.glob(root)) if fs.isfile(p)]
            if not files:
                raise ConfigError(f"input pattern {url!r} matches no file")
            return [fs.unstrip_protocol(p) for p in files], None
        if fs.isdir(root):
            base = root.rstrip("/")
            found = [
                p
                for p in sorted(fs.find(root))
                if not any(part.startswith(".") for part in p[len(base) :].split("/"))
            ]
            return [fs.unstrip_protocol(p) for p in found], fs.unstrip_protocol(base)
        if fs.isfile(root):
            return [fs.unstrip_protocol(root)], None
    except OSError as exc:
        raise ConfigError(f"cannot list input URL {url!r}: {exc}") from None
    raise ConfigError(f"input {url!r} does not exist")


__all__ = [
    "Location",
    "clean_name",
    "expand_url",
    "is_url",
    "name_of",
    "open_location",
    "relative_name",
    "suffixes_of",
]
