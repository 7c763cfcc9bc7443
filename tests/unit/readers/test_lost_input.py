"""An input that vanishes or cannot be read any more after planning is the run's failure (the reader
raises), not the file's: it must not stand in the ledger as ``read.file.truncated``. A file that is
there but unreadable (permission denied) is ``read.file.unreadable``; a compressed stream that
really breaks off stays ``read.file.truncated``."""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from tests.warcfile import gzip_members, html_page, record

from gharbal import Document, plan_shards, read_shard
from gharbal.readers import Shard
from gharbal.readers.compression import input_lost
from gharbal.recipe import ReadConfig

CFG = ReadConfig()
RECORDS = 20


def _jsonl() -> bytes:
    return b"".join(
        json.dumps({"id": f"r{i}", "text": f"page {i} " * 40}).encode() + b"\n"
        for i in range(RECORDS)
    )


def _parquet(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [f"page {i} " * 40 for i in range(RECORDS)]
    pq.write_table(pa.table({"text": rows}), path, row_group_size=5)


def _write(tmp_path: Path, kind: str) -> Path:
    if kind == "parquet":
        path = tmp_path / "pages.parquet"
        _parquet(path)
        return path
    name, data = {
        "jsonl": ("pages.jsonl", _jsonl()),
        "jsonl.gz": ("pages.jsonl.gz", gzip.compress(_jsonl(), mtime=0)),
        "warc.gz": (
            "crawl.warc.gz",
            gzip_members(
                [record(f"https://e.com/{i}", html_page(f"page {i}").encode()) for i in range(5)]
            ),
        ),
        "txt": ("page.txt", b"One page of text.\nAnd its second line.\n"),
        "html": ("page.html", html_page("a page").encode()),
    }[kind]
    path = tmp_path / name
    path.write_bytes(data)
    return path


KINDS = ["jsonl", "jsonl.gz", "warc.gz", "parquet", "txt", "html"]


def _plan(path: Path, cfg: ReadConfig = CFG) -> list[Shard]:
    return plan_shards([str(path)], cfg)


def _read(shards: list[Shard], cfg: ReadConfig = CFG) -> list[Document]:
    return [doc for shard in shards for doc in read_shard(shard, cfg)]


def _failing_open(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[IO[bytes]], IO[bytes] | None]
) -> None:
    """Every reader opens its input through ``open_location``: replace it (after planning) by one
    whose file is ``make(real file)``, or that raises what ``make`` raises."""
    from gharbal.readers import location

    real = location.open_location

    @contextlib.contextmanager
    def opened(loc: Any) -> Iterator[IO[bytes]]:
        with real(loc) as f:
            yield make(f) or f

    for module in ("gharbal.readers.compression", "gharbal.readers.parquet"):
        monkeypatch.setattr(f"{module}.open_location", opened)


class _BreaksAfter(io.RawIOBase):
    """A file whose reads fail with ``error`` once ``limit`` bytes have been read (a disk that
    fails, a network filesystem that goes away)."""

    def __init__(self, raw: IO[bytes], limit: int, error: OSError) -> None:
        self._raw, self._limit, self._error = raw, limit, error

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._raw.seek(pos, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        if self._raw.tell() >= self._limit:
            raise self._error
        view = memoryview(buffer).cast("B")
        data = self._raw.read(min(len(view), self._limit - self._raw.tell()))
        view[: len(data)] = data
        return len(data)


class _FailsOnRead:
    """A file whose ``read`` number ``n`` fails with ``error`` (pyarrow reads a small Parquet
    file whole first, then row group by row group)."""

    def __init__(self, raw: IO[bytes], n: int, error: OSError) -> None:
        self._raw, self._n, self._error = raw, n, error

    def read(self, size: int = -1) -> bytes:
        self._n -= 1
        if self._n <= 0:
            raise self._error
        return self._raw.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_deleted_after_planning_raises(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, kind)
    shards = _plan(path)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        _read(shards)


def test_a_split_jsonl_file_deleted_after_planning_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "jsonl")
    cfg = ReadConfig(shard_bytes=1000)
    shards = _plan(path, cfg)
    assert len(shards) > 1
    assert all(s.span is not None for s in shards)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        _read(shards, cfg)


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "warc.gz", "parquet"])
def test_a_read_error_midway_raises(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, kind)
    shards = _plan(path)
    eio = OSError(errno.EIO, "Input/output error")
    limit = path.stat().st_size // 2
    if kind == "parquet":  # the file opens, then a row group fails
        _failing_open(monkeypatch, lambda f: _FailsOnRead(f, 3, eio))  # type: ignore[arg-type,return-value]
    else:
        _failing_open(monkeypatch, lambda f: _BreaksAfter(f, limit, eio))  # type: ignore[arg-type,return-value]
    with pytest.raises(OSError, match="Input/output error"):
        _read(shards)


@pytest.mark.parametrize("kind", KINDS)
def test_permission_denied_at_open_is_unreadable(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, kind)
    shards = _plan(path)

    def denied(f: IO[bytes]) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    _failing_open(monkeypatch, denied)
    docs = _read(shards)
    assert [d.rejection.reason if d.rejection else None for d in docs] == ["read.file.unreadable"]
    assert docs[0].rejection is not None
    assert "PermissionError" in docs[0].rejection.detail


def test_permission_denied_at_planning_is_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Denied from the start (planning reads the first bytes too): the format comes from the
    name, and the file is one ``read.file.unreadable`` rejection."""
    path = _write(tmp_path, "jsonl.gz")

    def denied(f: IO[bytes]) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    _failing_open(monkeypatch, denied)
    docs = _read(_plan(path))
    assert [d.rejection.reason if d.rejection else None for d in docs] == ["read.file.unreadable"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file"
)
@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "warc.gz", "txt"])
def test_chmod_000_is_unreadable(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, kind)
    path.chmod(0)
    try:
        docs = _read(_plan(path))
    finally:
        path.chmod(0o644)
    assert [d.rejection.reason if d.rejection else None for d in docs] == ["read.file.unreadable"]


def test_a_truncated_gzip_stream_stays_truncated(tmp_path: Path) -> None:
    path = _write(tmp_path, "jsonl.gz")
    path.write_bytes(path.read_bytes()[:-200])
    docs = _read(_plan(path))
    assert docs[-1].rejection is not None
    assert docs[-1].rejection.reason == "read.file.truncated"
    assert all(d.rejection is None for d in docs[:-1])


def test_a_truncated_compressed_page_is_truncated_not_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress(b"A page of text.\n" * 500, mtime=0)[:-30])
    docs = _read(_plan(path))
    assert [d.rejection.reason if d.rejection else None for d in docs] == ["read.file.truncated"]


def test_input_lost() -> None:
    assert input_lost(FileNotFoundError(errno.ENOENT, "gone"))
    assert input_lost(OSError(errno.EIO, "Input/output error"))
    assert input_lost(OSError(errno.ESTALE, "Stale file handle"))
    assert not input_lost(PermissionError(errno.EACCES, "Permission denied"))
    assert not input_lost(EOFError("cut"))
