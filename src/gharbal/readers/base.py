"""The reader interface, format detection and input planning.

A reader turns one input file into documents. It never raises for bad content: a record it cannot
parse becomes a rejected `Document` (``read.*`` reason, with file and line or offset in the detail),
and a file that breaks off or cannot be read at all yields one rejected document with a
``read.file.*`` reason, so that every input is accounted for. New formats slot in by adding a
`Reader` to `READERS` and a rule to `detect_format`.

An input is a local `Path` or an fsspec URL (see `gharbal.readers.location`).
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
from gharbal.readers.location import Location, expand_url, is_url, suffixes_of
from gharbal.readers.sniff import (
    looks_like_html,
    looks_like_json,
    looks_like_parquet,
    looks_like_warc,
)
from gharbal.recipe import ReadConfig

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_COMPRESSION_SUFFIXES = {".gz", ".zst", ".zstd"}
_TEXT_SUFFIXES = {".txt", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_WARC_SUFFIXES = {".warc", ".wet", ".arc"}


class Reader(Protocol):
    """Reads one file. ``base`` is the directory the file was found in, for relative ids."""

    kind: str

    def read(
        self, path: Location, cfg: ReadConfig, base: Location | None
    ) -> Iterator[Document]: ...


def file_rejection(path: Location, reason: str, detail: str) -> Document:
    """A placeholder document standing for a file (or its unreadable rest) in the ledger."""
    doc = Document(id=content_id("file", str(path), reason, detail), source=str(path))
    doc.reject(reason, f"{path}: {detail}")
    return doc


def detect_format(path: Location) -> str:
    """``warc``, ``parquet``, ``jsonl``, ``html``, ``text`` or ``binary``: by content (magic bytes,
    the first bytes of the decompressed data), and by name only where the content is ambiguous
    (an empty file, a ``{`` at the start of a ``.txt``)."""
    head = peek(path)
    suffixes = suffixes_of(path)
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if looks_like_parquet(head):
        return "parquet"
    if looks_like_warc(head):
        return "warc"
    if not head.strip():  # empty: the name is all there is; the reader reports it
        if last in _WARC_SUFFIXES:
            return "warc"
        if last == ".parquet":
            return "parquet"
        if last in _HTML_SUFFIXES:
            return "html"
        return "jsonl" if last in _JSONL_SUFFIXES else "text"
    if looks_like_json(head) and last not in _TEXT_SUFFIXES | _HTML_SUFFIXES:
        return "jsonl"  # before the NUL test: one bad line must not condemn a whole JSONL file
    if looks_like_html(head) or (last in _HTML_SUFFIXES and b"\x00" not in head):
        return "html"
    if b"\x00" in head:
        return "binary"
    if last in _JSONL_SUFFIXES:
        return "jsonl"
    return "text"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Location
    base: Location | None  # the directory given on the command line, for relative ids
    kind: str


def expand_inputs(inputs: list[str]) -> list[InputFile]:
    """Files, directories (walked, sorted, hidden entries skipped), globs and fsspec URLs (of a
    file, a directory or a glob), in a stable order.

    Raises `ConfigError` for an input that names nothing, before any work starts.
    """
    found: list[InputFile] = []
    for item in inputs:
        if is_url(item):
            urls, url_base = expand_url(item, glob.has_magic(item))
            found.extend(InputFile(u, url_base, detect_format(u)) for u in urls)
            continue
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
