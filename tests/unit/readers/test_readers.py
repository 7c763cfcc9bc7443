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
    (root / "legacy.txt").write_bytes("صفحة عربية قصيرة".encode("cp1256"))
    (root / "bad.txt").write_bytes(bytes(range(128, 256)) * 4)
    (root / "blank.txt").write_text("  \n\n", encoding="utf-8")
    shards = plan_shards([str(root)], CFG)
    assert len(shards) == 1
    docs = list(read_shard(shards[0], CFG))
    by_id = {d.id: d for d in docs}
    assert sorted(by_id) == ["b", "bad", "blank", "legacy", "sub/a"]
    assert by_id["sub/a"].text == "first page\n"  # BOM stripped
    assert by_id["sub/a"].metadata["encoding_source"] == "bom"
    assert by_id["legacy"].text == "صفحة عربية قصيرة"  # windows-1256, detected
    assert by_id["legacy"].metadata["encoding"] == "cp1256"
    bad, blank = by_id["bad"].rejection, by_id["blank"].rejection
    assert bad is not None
    assert bad.reason == "read.undecodable"
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


def test_html_files_decoded_by_meta_and_detection(tmp_path: Path) -> None:
    ar = "صفحة عربية قديمة مكتوبة بترميز ويندوز"
    (tmp_path / "old.htm").write_bytes(
        f'<html><head><meta charset="windows-1256"><title>{ar}</title></head>'
        f"<body><p>{ar}</p></body></html>".encode("cp1256")
    )
    (tmp_path / "noext").write_bytes(
        f"<!DOCTYPE html>\n<html><body><p>{ar}</p></body></html>".encode("iso-8859-6")
    )
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(f"<p>{ar}</p>".encode()))
    assert [detect_format(tmp_path / n) for n in ("old.htm", "noext", "page.html.gz")] == [
        "html"
    ] * 3
    docs = {d.id: d for d in _read(tmp_path)}
    assert sorted(docs) == ["noext", "old", "page"]
    for doc in docs.values():
        assert doc.rejection is None
        assert doc.html is not None
        assert ar in doc.html
    assert docs["old"].metadata == {"encoding": "cp1256", "encoding_source": "meta"}
    assert docs["noext"].metadata["encoding"] == "iso8859-6"


def test_detection_by_content(tmp_path: Path) -> None:
    cases = {
        "a.jsonl": (b"PAR1\x00\x00", "parquet"),
        "b.txt": (b"WARC/1.0\r\nWARC-Type: warcinfo\r\n", "warc"),
        "c.jsonl": (b"<!doctype html><p>x", "html"),
        "d.txt": (b'{"text": "a brace in a text page"}', "text"),
        "e.jsonl": (b'{"text": "ok"}\n{"text": "a\x00b"}\n', "jsonl"),  # NUL in line 2
        "f.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        "g.parquet": (b"", "parquet"),
        "h": (b"plain words", "text"),
    }
    for name, (data, kind) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert detect_format(tmp_path / name) == kind, name


def test_jsonl_mojibake_and_bom(tmp_path: Path) -> None:
    ar = "قال المتحدث باسم وزارة الخارجية إن الولايات المتحدة عازمة على حل الخلافات"
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _jsonl([{"id": "m", "text": ar.encode().decode("cp1256")}]))
    (doc,) = _read(path)
    assert doc.text == ar
    assert doc.metadata == {"mojibake_repaired": "utf-8-as-cp1256"}


def test_fsspec_memory_urls(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/gharbal-test/in/a.jsonl", _jsonl(RECORDS))
    fs.pipe("/gharbal-test/in/sub/b.txt", "صفحة عربية قصيرة".encode("cp1256"))
    fs.pipe("/gharbal-test/in/.hidden.txt", b"skip me")
    try:
        shards = plan_shards(["memory://gharbal-test/in"], CFG)
        docs = [d for s in shards for d in read_shard(s, CFG)]
        assert [d.id for d in docs] == ["a", docs[1].id, "7", "sub/b"]
        assert docs[0].source == "memory:///gharbal-test/in/a.jsonl:1"
        assert docs[3].text == "صفحة عربية قصيرة"
        globbed = plan_shards(["memory://gharbal-test/in/*.jsonl"], CFG)
        assert [f.path for s in globbed for f in s.files] == ["memory:///gharbal-test/in/a.jsonl"]
        with pytest.raises(ConfigError, match="does not exist"):
            plan_shards(["memory://gharbal-test/nothing"], CFG)
        with pytest.raises(ConfigError, match="cannot open input URL"):
            plan_shards(["nosuchproto://x/y"], CFG)
    finally:
        fs.rm("/gharbal-test", recursive=True)


def test_corrupt_gzip_in_jsonl_keeps_records_before(tmp_path: Path) -> None:
    data = bytearray(
        gzip.compress(_jsonl([{"id": f"r{i}", "text": f"p{i} " * 9} for i in range(3000)]))
    )
    at = len(data) * 2 // 3
    data[at : at + 16] = bytes(16)
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(bytes(data))
    docs = _read(path)
    assert docs[-1].rejection is not None
    assert docs[-1].rejection.reason == "read.file.corrupt"
    assert "corrupt gzip member/frame starting at compressed byte 0" in docs[-1].rejection.detail
    good = [d.id for d in docs if d.rejection is None]
    assert 0 < len(good) < 3000
    assert good == [f"r{i}" for i in range(len(good))]


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_decompression_bomb_line_is_a_rejection(tmp_path: Path, kind: str) -> None:
    raw = (
        b'{"id": "bomb", "text": "'
        + b"a" * (24 << 20)
        + b'"}\n'
        + _jsonl([{"id": "after", "text": "x"}])
    )
    data = gzip.compress(raw, 1) if kind == "gzip" else zstandard.ZstdCompressor().compress(raw)
    assert len(data) < 200_000
    path = tmp_path / "bomb.jsonl"
    path.write_bytes(data)
    docs = _read(path, ReadConfig(max_record_bytes=1 << 18))
    assert [(d.id == "after", d.rejection.reason if d.rejection else None) for d in docs] == [
        (False, "read.record_too_large"),
        (True, None),
    ]
