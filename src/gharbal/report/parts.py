"""Reading an output directory back, one shard at a time, in any part format gharbal writes.

A shard's parts share its number (``part-NNNNN``) in every folder: ``documents/``, ``rejected/``,
``removed_lines/`` and ``lines/``. They are JSON Lines (plain, gzip or zstd, told apart by magic
bytes) or, for documents written with ``--format parquet``, Parquet (read only when ``pyarrow`` can be
imported). Records are streamed; nothing here loads a whole part.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import orjson
import zstandard

KINDS = ("documents", "rejected", "removed_lines", "lines")
_PART = re.compile(r"^part-(\d+)\.(jsonl(?:\.gz|\.zst)?|parquet)$")
_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"


class PartReadError(Exception):
    """A part file exists but cannot be read (not raised for bad lines: those are counted)."""


def shard_parts(out: Path) -> dict[int, dict[str, list[Path]]]:
    """``{shard: {kind: [paths]}}`` for every part file under ``out``, shards in ascending order."""
    found: dict[int, dict[str, list[Path]]] = {}
    for kind in KINDS:
        folder = out / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            m = _PART.match(path.name)
            if m:
                found.setdefault(int(m.group(1)), {}).setdefault(kind, []).append(path)
    return dict(sorted(found.items()))


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _open_binary(path: Path) -> Iterator[IO[bytes]]:
    """``path`` decompressed (gzip, zstd or none, told by magic bytes); closes everything it opens."""
    with path.open("rb") as raw:
        head = raw.read(4)
        raw.seek(0)
        if head.startswith(_GZIP):
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield cast(IO[bytes], gz)
        elif head == _ZSTD:
            reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
            with io.BufferedReader(reader) as buffered:
                yield buffered
        else:
            yield raw


class BadLines:
    """Counts records that could not be parsed, by file (a damaged part is reported, not fatal)."""

    def __init__(self) -> None:
        self.by_file: dict[str, int] = {}

    def add(self, path: Path) -> None:
        self.by_file[str(path)] = self.by_file.get(str(path), 0) + 1


_CHUNK = 1 << 20


def iter_line_batches(path: Path) -> Iterator[list[bytes]]:
    """The non-blank lines of a JSONL part (decompressed), a megabyte at a time."""
    try:
        with _open_binary(path) as f:
            tail = b""
            while chunk := f.read(_CHUNK):
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                yield [ln for ln in lines if ln and not ln.isspace()]
            if tail and not tail.isspace():
                yield [tail]
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:  # truncated or corrupt
        raise PartReadError(f"{path}: {exc}") from exc


def iter_raw_lines(path: Path) -> Iterator[bytes]:
    """The non-blank lines of a JSONL part (decompressed), as bytes."""
    for batch in iter_line_batches(path):
        yield from batch


def _parse_batch(lines: list[bytes]) -> list[Any]:
    """One JSON value per line: parsed as one array when every line is sound (fast), else line by
    line (a bad line becomes ``None``)."""
    if not lines:
        return []
    try:
        values = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        values = None
    if isinstance(values, list) and len(values) == len(lines):
        return values
    out: list[Any] = []
    for line in lines:
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            out.append(None)
    return out


def iter_records(path: Path, bad: BadLines | None = None) -> Iterator[dict[str, Any]]:
    """The records of one part file (JSONL in any compression, or Parquet)."""
    if path.name.endswith(".parquet"):
        yield from _iter_parquet(path)
        return
    for batch in iter_line_batches(path):
        for rec in _parse_batch(batch):
            if type(rec) is dict:
                yield rec
            elif bad is not None:
                bad.add(path)


def _iter_parquet(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=1024):
            for rec in batch.to_pylist():
                yield {k: _plain(k, v) for k, v in rec.items()}
    except (OSError, ValueError) as exc:
        raise PartReadError(f"{path}: {exc}") from exc


def _plain(key: str, value: Any) -> Any:
    """Parquet maps come back as lists of pairs and nested JSON may be stored as a string: make
    ``scores`` and ``metadata`` plain dicts whatever the writer chose."""
    if key not in ("scores", "metadata"):
        return value
    if isinstance(value, list) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return dict(value)
    if isinstance(value, str | bytes):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return {}
