"""Byte-range shards read exactly what the whole-file reader reads, in the same order."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gharbal import Document, Recipe, plan_shards, read_shard
from gharbal.readers.jsonl import JsonlReader
from gharbal.readers.spans import ByteSpan, read_span, split_spans

CFG = Recipe().read.model_copy(update={"max_record_bytes": 64})

LINE = st.one_of(
    st.builds(lambda i, t: json.dumps({"id": f"r{i}", "text": t}), st.integers(0, 99), st.text()),
    st.sampled_from(["", "   ", "{bad json", "[1, 2]", "\r", '{"text": 1}', "x" * 100]),
)


def _docs(docs: Iterable[Document]) -> list[tuple[str, str | None, str | None, str]]:
    return [(d.id, d.source, d.rejection.detail if d.rejection else None, d.text) for d in docs]


@given(
    lines=st.lists(LINE, max_size=40),
    newline_at_end=st.booleans(),
    crlf=st.booleans(),
    target=st.integers(1, 300),
)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_spans_read_like_the_whole_file(
    tmp_path: Path, lines: list[str], newline_at_end: bool, crlf: bool, target: int
) -> None:
    sep = "\r\n" if crlf else "\n"
    path = tmp_path / "f.jsonl"
    path.write_bytes((sep.join(lines) + (sep if newline_at_end else "")).encode())
    whole = _docs(JsonlReader().read(path, CFG, None))
    spans = split_spans(path, target)
    if spans is None:
        return
    assert spans[0].start == 0
    assert spans[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert all(s.end - s.start >= target for s in spans[:-1])
    pieces = [doc for span in spans for doc in _docs(read_span(path, span, CFG))]
    assert pieces == whole


def test_split_boundaries_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"id":"a","text":"x"}\n\n{"id":"b","text":"y"}\n{"id":"c","text":"z"}')
    spans = split_spans(path, 10)
    assert spans == [ByteSpan(0, 22, 1), ByteSpan(22, 45, 2), ByteSpan(45, 66, 4)]
    (bad,) = list(read_span(path, ByteSpan(22, 45, 2), CFG))
    assert bad.id == "b"
    assert bad.source == f"{path}:3"


def test_what_is_not_split(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text('{"text": "a"}\n')
    assert split_spans(small, 1000) is None
    assert split_spans(small, 0) is None  # 0: never split
    packed = tmp_path / "big.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"text": "a"}\n' * 1000))
    assert split_spans(packed, 100) is None  # compressed: one shard
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n  \n" * 100)
    assert split_spans(blank, 10) is None  # read whole, so that it is reported as empty


def test_plan_shards_splits_large_files_only(tmp_path: Path) -> None:
    big = tmp_path / "a-big.jsonl"
    big.write_text(
        "".join(json.dumps({"id": f"b{i}", "text": "t" * 50}) + "\n" for i in range(100))
    )
    small = tmp_path / "b-small.jsonl"
    small.write_text('{"id": "s", "text": "a"}\n')
    cfg = Recipe().read.model_copy(update={"shard_bytes": 1000})
    shards = plan_shards([str(tmp_path)], cfg)
    assert [s.index for s in shards] == list(range(len(shards)))
    assert all(s.span is not None for s in shards[:-1])
    assert shards[-1].span is None
    assert shards[-1].files[0].path == small
    ids = [d.id for s in shards for d in read_shard(s, cfg)]
    assert ids == [f"b{i}" for i in range(100)] + ["s"]
    spans = split_spans(big, 1000)
    assert spans is not None
    assert [s.span for s in shards] == [*spans, None]
    assert len(spans) == 8  # 7590 bytes: 7 spans of 14 lines (1064 bytes) and the rest
