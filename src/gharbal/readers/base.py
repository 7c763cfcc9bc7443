"""The reader interface, format detection and input planning.

A reader turns one input file into documents. It never raises for bad content: a record it cannot
parse becomes a rejected `Document` (``read.*`` reason, with file and line or offset in the detail),
and a file that breaks off or cannot be read at all yields one rejected document with a
``read.file.*`` reason, so that every input is accounted for. New formats (WARC, Parquet, ...) slot in
by adding a `Reader` to `READERS` and a rule to `detect_format`.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gharbal.document import Document, content_id
from gharbal.errors import ConfigError
from gharbal.readers.compression import peek
from gharbal.recipe import ReadConfig

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_COMPRESSION_SUFFIXES = {".gz", ".zst", ".zstd"}
_TEXT_SUFFIXES = {".txt", ".text"}


class Reader(Protocol):
    """Reads one file. ``files`` are read in order; ``base`` is the directory ids are relative to."""

    kind: str

    def read(self, path: Path, cfg: ReadConfig, base: Path | None) -> Iterator[Document]: ...


def file_rejection(path: Path, reason: str, detail: str) -> Document:
    """A placeholder document standing for a file (or its unreadable rest) in the ledger."""
    doc = Document(id=content_id("file", str(path), reason, detail), source=str(path))
    doc.reject(reason, f"{path}: {detail}")
    return doc


def detect_format(path: Path) -> str:
    """``jsonl``, ``text`` or ``binary``, by content first and by name where content is ambiguous."""
    head = peek(path)
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    if b"\x00" in head:
        return "binary"
    if head.lstrip()[:1] in (b"{", b"[") and (not suffixes or suffixes[-1] not in _TEXT_SUFFIXES):
        return "jsonl"
    if suffixes and suffixes[-1] in _JSONL_SUFFIXES:
        return "jsonl"
    return "text"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    base: Path | None  # the directory given on the command line, for relative ids
    kind: str


def expand_inputs(inputs: list[str]) -> list[InputFile]:
    """Files, directories (walked, sorted, hidden entries skipped) and globs, in a stable order.

    Raises `ConfigError` for an input that names nothing, before any work starts.
    """
    found: list[InputFile] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found.extend(InputFile(p, path, detect_format(p)) for p in files)
        elif path.is_file():
            found.append(InputFile(path, None, detect_format(path)))
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                raise ConfigError(f"input pattern {item!r} matches no file")
            found.extend(InputFile(p, None, detect_format(p)) for p in files)
        else:
            raise ConfigError(f"input {item!r} does not exist")
    return found
