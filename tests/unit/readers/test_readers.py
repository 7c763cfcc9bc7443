from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import zstandard

from gharbal import ConfigError, Document, Recipe, detect_format, plan_shards, read_shard
from gharbal.recipe import ReadConfig

CFG = ReadConfig()


def _jsonl(records: Sequence[object]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def _read(path: Path, cfg: ReadConfig = CFG) -> list[Document]:
    return [doc for shard in plan_shards([str(path)], cfg) for doc in read_shard(shard, cfg)]


RECORDS = [
    {"id": "a", "text": "مرحبا بالعالم", "url": "https://example.com/a", "site": "ex"},
    {"text": "no id here"},
    {"id": 7, "html": "<html><body><p>Hello</p></body></html>"},
]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_all_compressions(tmp_path: Path, suffix: str) -> None:
    data = _jsonl(RECORDS)
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"pages{suffix}"
    path.write_bytes(data)
    assert detect_format(path) == "jsonl"
    docs = _read(path)
    assert [d.rejection for d in docs] == [None, None, None]
    assert docs[0].id == "a"
    assert docs[0].text == "مرحبا بالعالم"
    assert docs[0].url == "https://example.com/a"
    assert docs[0].metadata == {"site": "ex"}
    assert len(docs[1].id) == 16  # made from the content hash
    assert docs[2].id == "7"
    assert docs[2].html is not None
    assert docs[0].source.endswith(":1")


def test_compression_found_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.jsonl"
    path.write_bytes(gzip.compress(_jsonl(RECORDS[:1])))
    assert [d.id for d in _read(path)] == ["a"]


def test_bad_records_become_rejections_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        _jsonl([{"id": "ok1", "text": "fine"}])
        + b"{not json\n"
        + b"\n"  # blank line: a separator, not a record
        + b"[1, 2]\n"
        + _jsonl([{"id": "nocontent", "title": "x"}, {"id": "wrongtype", "text": 42}])
        + b'{"id": "badutf8", "text": "\xff\xfe"}\n'
        + _jsonl([{"id": "ok2", "text": "fine too"}])
    )
    docs = _read(path)
    reasons = [(d.rejection.reason if d.rejection else None) for d in docs]
    assert reasons == [
        None,
        "read.invalid_json",
        "read.not_an_object",
        "read.no_content",
        "read.bad_field_type",
        "read.invalid_utf8",
        None,
    ]
    assert docs[-1].id == "ok2"
    bad = docs[1].rejection
    assert bad is not None
    assert f"{path}:2" in bad.detail  # names the file and the line


def test_overlong_line_is_rejected_without_loading(tmp_path: Path) -> None:
    cfg = ReadConfig(max_record_bytes=1000)
    path = tmp_path / "big.jsonl"
    path.write_bytes(
        _jsonl([{"id": "before", "text": "x"}])
        + b'{"id": "huge", "text": "'
        + b"y" * 200_000
        + b'"}\n'
        + _jsonl([{"id": "after", "text": "z"}])
    )
    docs = _read(path, cfg)
    assert [d.id for d in docs][::2] == ["before", "after"]
    rejection = docs[1].rejection
    assert rejection is not None
    assert rejection.reason == "read.record_too_large"
    assert ":2" in rejection.detail


def test_truncated_gzip_keeps_records_before_the_break(tmp_path: Path) -> None:
    records = [{"id": f"r{i}", "text": f"page {i} " * 50} for i in range(200)]
    data = gzip.compress(_jsonl(records))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    docs = _read(path)
    assert docs[-1].rejection is not None
    assert docs[-1].rejection.reason == "read.file.truncated"
    good = [d for d in docs if d.rejection is None]
    assert 0 < len(good) < 200
    assert [d.id for d in good] == [f"r{i}" for i in range(len(good))]


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    binary = tmp_path / "junk.jsonl"
    binary.write_bytes(bytes(range(256)) * 10)
    assert detect_format(binary) == "binary"
    (e,) = _read(empty)
    (b,) = _read(binary)
    assert e.rejection is not None
    assert e.rejection.reason == "read.file.empty"
    assert b.rejection is not None
    assert b.rejection.reason == "read.file.binary"


def test_text_pages_from_a_directory(tmp_path: Path) -> None:
    root = tmp_path / "pages"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("second page\n", encoding="utf-8")
    (root / "sub" / "a.txt").write_text("\ufefffirst page\n", encoding="utf-8")
    (root / ".hidden.txt").write_text("skip me", encoding="utf-8")
    (root / "bad.txt").write_bytes("صفحة".encode("cp1256"))
    (root / "blank.txt").write_text("  \n\n", encoding="utf-8")
    shards = plan_shards([str(root)], CFG)
    assert len(shards) == 1
    docs = list(read_shard(shards[0], CFG))
    by_id = {d.id: d for d in docs}
    assert sorted(by_id) == ["b", "bad", "blank", "sub/a"]
    assert by_id["sub/a"].text == "first page\n"  # BOM stripped
    bad, blank = by_id["bad"].rejection, by_id["blank"].rejection
    assert bad is not None
    assert bad.reason == "read.invalid_utf8"
    assert blank is not None
    assert blank.reason == "read.file.empty"


def test_text_files_are_batched_into_shards(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"p{i}.txt").write_text(f"page {i}", encoding="utf-8")
    (tmp_path / "z.jsonl").write_bytes(_jsonl(RECORDS))
    cfg = ReadConfig(text_files_per_shard=2)
    shards = plan_shards([str(tmp_path)], cfg)
    assert [len(s.files) for s in shards] == [2, 2, 1, 1]
    assert [s.index for s in shards] == [0, 1, 2, 3]


def test_globs_and_missing_inputs(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(_jsonl(RECORDS))
    (tmp_path / "b.jsonl").write_bytes(_jsonl(RECORDS))
    assert len(plan_shards([str(tmp_path / "*.jsonl")], CFG)) == 2
    with pytest.raises(ConfigError, match="does not exist"):
        plan_shards([str(tmp_path / "nope.jsonl")], CFG)
    with pytest.raises(ConfigError, match="matches no file"):
        plan_shards([str(tmp_path / "*.parquet")], CFG)


def test_custom_field_names(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    path.write_bytes(_jsonl([{"doc_id": "x", "page_text": "body", "link": "https://e.org"}]))
    cfg = Recipe.from_dict(
        {"read": {"id_field": "doc_id", "text_field": "page_text", "url_field": "link"}}
    ).read
    (doc,) = _read(path, cfg)
    assert (doc.id, doc.text, doc.url) == ("x", "body", "https://e.org")
