"""Readers: input files to documents, with format detection and shard planning.

A *shard* is the unit of work an executor hands to a worker: one JSONL file (or a byte range of a
large uncompressed one, see `gharbal.readers.spans`), or a run of up to
``read.text_files_per_shard`` plain-text pages. Shards are numbered in input order; output part files
carry the shard number, so output order never depends on the worker count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gharbal.document import Document
from gharbal.readers.base import InputFile, Reader, detect_format, expand_inputs
from gharbal.readers.jsonl import JsonlReader
from gharbal.readers.spans import ByteSpan, read_span, split_spans
from gharbal.readers.text import BinaryReader, TextReader
from gharbal.recipe import ReadConfig

READERS: dict[str, Reader] = {r.kind: r for r in (JsonlReader(), TextReader(), BinaryReader())}


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    files: tuple[InputFile, ...]
    span: ByteSpan | None = None  # a byte range of files[0] (a large uncompressed JSONL file)


def plan_shards(inputs: list[str], cfg: ReadConfig) -> list[Shard]:
    """Group input files into shards (see module docstring)."""
    shards: list[Shard] = []
    batch: list[InputFile] = []

    def flush() -> None:
        if batch:
            shards.append(Shard(len(shards), tuple(batch)))
            batch.clear()

    for item in expand_inputs(inputs):
        if item.kind == "text":
            batch.append(item)
            if len(batch) >= cfg.text_files_per_shard:
                flush()
        else:
            flush()
            spans = split_spans(item.path, cfg.shard_bytes) if item.kind == "jsonl" else None
            parts: list[ByteSpan | None] = list(spans) if spans else [None]
            first = len(shards)
            shards.extend(Shard(first + i, (item,), span) for i, span in enumerate(parts))
    flush()
    return shards


def read_shard(shard: Shard, cfg: ReadConfig) -> Iterator[Document]:
    if shard.span is not None:
        yield from read_span(shard.files[0].path, shard.span, cfg)
        return
    for item in shard.files:
        yield from READERS[item.kind].read(item.path, cfg, item.base)


__all__ = [
    "READERS",
    "ByteSpan",
    "InputFile",
    "Shard",
    "detect_format",
    "plan_shards",
    "read_shard",
]
