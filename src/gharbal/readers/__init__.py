"""Readers: input files to documents, with format detection and shard planning.

A *shard* is the unit of work an executor hands to a worker: one JSONL, WARC/WET or Parquet file
(or a byte range of a large local uncompressed JSONL file, see `gharbal.readers.spans`), or a run
of up to ``read.text_files_per_shard`` one-page files (plain text or HTML). Shards are numbered in
input order; output part files carry the shard number, so output order never depends on the worker
count.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gharbal.document import Document, Rejection
from gharbal.readers.base import (
    UNREADABLE_DIR,
    InputFile,
    Reader,
    SkippedInput,
    detect_format,
    expand_inputs,
    file_rejection,
)
from gharbal.readers.config import ReadConfig
from gharbal.readers.html import HtmlReader
from gharbal.readers.jsonl import JsonlReader
from gharbal.readers.location import Location, clean_name
from gharbal.readers.parquet import ParquetReader
from gharbal.readers.spans import ByteSpan, read_span, split_spans
from gharbal.readers.text import BinaryReader, TextReader
from gharbal.readers.warc import WarcReader


class UnreadableDirReader:
    """A directory inside an input directory that cannot be listed: one ``read.file.unreadable``
    rejection stands for whatever it holds (as for a file that cannot be read)."""

    kind = UNREADABLE_DIR

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        try:
            os.scandir(path).close()
            why = "could not be listed when the run was planned"
        except OSError as exc:
            why = f"{type(exc).__name__}: {exc.strerror or exc}"
        yield file_rejection(path, "read.file.unreadable", f"directory cannot be listed: {why}")


READERS: dict[str, Reader] = {
    r.kind: r
    for r in (
        JsonlReader(),
        TextReader(),
        HtmlReader(),
        WarcReader(),
        ParquetReader(),
        BinaryReader(),
        UnreadableDirReader(),
    )
}
PAGE_KINDS = frozenset(
    {"text", "html", "binary", UNREADABLE_DIR}
)  # one file, one page: batched into shards


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    files: tuple[InputFile, ...]
    span: ByteSpan | None = None  # a byte range of files[0] (a large uncompressed JSONL file)


def plan_shards(
    inputs: list[str],
    cfg: ReadConfig,
    output: Location | None = None,
    skipped: list[SkippedInput] | None = None,
) -> list[Shard]:
    """Group input files into shards (see module docstring). ``output`` and ``skipped``: see
    `expand_inputs` (the run's output directory is never read as input)."""
    shards: list[Shard] = []
    batch: list[InputFile] = []

    def flush() -> None:
        if batch:
            shards.append(Shard(len(shards), tuple(batch)))
            batch.clear()

    for item in expand_inputs(inputs, output, skipped):
        if item.kind in PAGE_KINDS:
            batch.append(item)
            if len(batch) >= cfg.text_files_per_shard:
                flush()
        else:
            flush()
            path = item.path  # only local (uncompressed) JSONL files are split
            spans = None
            if item.kind == "jsonl" and isinstance(path, Path):
                spans = split_spans(path, cfg.shard_bytes)
            parts: list[ByteSpan | None] = list(spans) if spans else [None]
            first = len(shards)
            shards.extend(Shard(first + i, (item,), span) for i, span in enumerate(parts))
    flush()
    return shards


NO_DOCUMENTS_HINT = (
    "no page records: a WARC of requests and metadata only, a WAT file, blank lines?"
)
"""What an input file that gave no document probably is (run summary, report)."""


def read_shard(
    shard: Shard, cfg: ReadConfig, on_empty: Callable[[str], object] | None = None
) -> Iterator[Document]:
    """The documents of ``shard``, file after file. ``on_empty(path)`` hears of a file that gave
    no document at all, not even a rejection: a WARC holding only requests and metadata (a WAT
    file, say), a JSONL file of blank lines. (An empty file is a rejection, ``read.file.empty``.)"""
    if shard.span is not None:
        path = shard.files[0].path
        assert isinstance(path, Path), "only local files are split"
        yield from read_span(path, shard.span, cfg)
        return
    for item in shard.files:
        found = 0
        docs = READERS[item.kind].read(item.path, cfg, item.base)
        if not str(item.path).isascii():
            docs = map(_clean_names, docs)
        for doc in docs:
            found += 1
            yield doc
        if not found and on_empty is not None:
            on_empty(clean_name(str(item.path)))


def _clean_names(doc: Document) -> Document:
    """A document read from a file whose name is not UTF-8, with the strings made of that name
    (id, source, the rejection's detail) escaped: they are written to UTF-8 outputs."""
    doc.id, doc.source = clean_name(doc.id), clean_name(doc.source)
    if doc.rejection is not None:
        r = doc.rejection
        doc.rejection = Rejection(r.reason, clean_name(r.detail), r.extra)
    return doc


__all__ = [
    "NO_DOCUMENTS_HINT",
    "PAGE_KINDS",
    "READERS",
    "UNREADABLE_DIR",
    "ByteSpan",
    "InputFile",
    "Shard",
    "SkippedInput",
    "detect_format",
    "plan_shards",
    "read_shard",
]
