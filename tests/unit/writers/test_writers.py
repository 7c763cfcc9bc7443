from __future__ import annotations

from pathlib import Path

from gharbal import Document, Stats
from gharbal.writers import JsonlPartWriter, ShardWriter
from gharbal.writers.config import OutputConfig


def test_gzip_parts_are_byte_identical(tmp_path: Path) -> None:
    blobs = []
    for name in ("a", "b"):
        with JsonlPartWriter(tmp_path / name / "part-00000.jsonl.gz") as w:
            w.write({"id": "1", "text": "نص عربي"})
        blobs.append((tmp_path / name / "part-00000.jsonl.gz").read_bytes())
    assert blobs[0] == blobs[1]


def test_failed_part_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "part-00000.jsonl.gz"
    try:
        with JsonlPartWriter(path) as w:
            w.write({"id": "1"})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []


def test_shard_writer_routes_and_counts(tmp_path: Path) -> None:
    stats = Stats()
    kept = Document(id="k", text="t")
    gone = Document(id="r")
    gone.reject("read.file.truncated", "f: broke")
    with ShardWriter(tmp_path, 3, OutputConfig(), stats) as w:
        w.write(kept)
        w.write(gone)
    stats.check()
    assert (stats.input, stats.kept, stats.rejected) == (2, 1, 1)
    assert stats.unreadable_files == [{"path": "", "reason": "read.file.truncated"}]
    assert (tmp_path / "documents" / "part-00003.jsonl.gz").exists()
    assert (tmp_path / "shards" / "part-00003.stats.json").exists()


def test_line_map_sidecar_and_stale_report(tmp_path: Path) -> None:
    from tests.conftest import read_jsonl

    from gharbal import Line, Verdict
    from gharbal.writers import prepare_output

    doc = Document(id="p", text="kept")
    doc.lines = [
        Line(1, "Menu", Verdict.REMOVE, "extract.lines.short"),
        Line(3, "Title", Verdict.TITLE),
        Line(4, "kept"),
    ]
    html = Document(id="h", text="from html")  # no lines: no line map
    with ShardWriter(tmp_path, 0, OutputConfig(), Stats()) as w:
        w.write(doc)
        w.write(html)
    assert read_jsonl(tmp_path / "lines" / "part-00000.jsonl.gz") == [
        {"id": "p", "kept": [4], "title": 3}
    ]
    (tmp_path / "report.html").write_text("old")
    prepare_output(tmp_path)
    assert not (tmp_path / "lines").exists()
    assert not (tmp_path / "report.html").exists()


def test_parquet_parts_have_a_fixed_schema_and_are_byte_identical(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from gharbal.writers import ParquetPartWriter
    from gharbal.writers.parquet import schema

    records = [
        {
            "id": f"d{i}",
            "url": None,
            "title": "عنوان" if i % 2 else None,
            "text": "نص عربي " * i,
            "lang": "ar",
            "scores": {"extract.lines_v1.kept_ratio": i / 10},
            "metadata": {"encoding": "cp1256", "n": i, "nested": {"a": [1, 2]}},
        }
        for i in range(7)
    ]
    blobs = []
    for name in ("a", "b"):
        path = tmp_path / name / "part-00000.parquet"
        with ParquetPartWriter(path, rows_per_group=3) as w:
            for r in records:
                w.write(r)
        blobs.append(path.read_bytes())
        assert sorted(p.name for p in path.parent.iterdir()) == ["part-00000.parquet"]
    assert blobs[0] == blobs[1]
    pf = pq.ParquetFile(tmp_path / "a" / "part-00000.parquet")
    assert pf.schema_arrow == schema()
    assert pf.num_row_groups == 3
    rows = pf.read().to_pylist()
    assert rows[3]["scores"] == [("extract.lines_v1.kept_ratio", 0.3)]
    assert rows[3]["metadata"] == '{"encoding":"cp1256","n":3,"nested":{"a":[1,2]}}'
    assert rows[1]["title"] == "عنوان"
    empty = tmp_path / "empty.parquet"
    with ParquetPartWriter(empty):
        pass
    assert pq.ParquetFile(empty).schema_arrow == schema()
    assert pq.ParquetFile(empty).metadata.num_rows == 0


def test_shard_writer_writes_parquet_documents(tmp_path: Path) -> None:
    stats = Stats()
    with ShardWriter(tmp_path, 0, OutputConfig(format="parquet"), stats) as w:
        w.write(Document(id="k", text="t"))
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == ["part-00000.parquet"]
    assert (tmp_path / "rejected" / "part-00000.jsonl.gz").exists()  # the ledger stays JSONL


def _rejected_docs() -> list[Document]:
    low = Document(id="q", text="Write to me@example.com today.", title="A title")
    low.reject("quality.gopher.short_doc", "words 5 < 50")
    empty = Document(id="e")
    empty.reject("extract.empty", "0 characters")
    broken = Document(id="b", text="raw bytes stand-in")  # read stage: nothing is kept
    broken.reject("read.invalid_json", "f:1: bad")
    return [low, empty, broken]


def test_rejected_text_is_kept_only_on_request_and_redacted(tmp_path: Path) -> None:
    from tests.conftest import read_jsonl

    from gharbal.pii.config import PiiConfig
    from gharbal.pii.redact import redactor

    def rejected(name: str, cfg: OutputConfig, pii: PiiConfig | None) -> list[dict[str, object]]:
        stats = Stats()
        with ShardWriter(tmp_path / name, 0, cfg, stats, redactor(pii) if pii else None) as w:
            for doc in _rejected_docs():
                w.write(doc)
        assert stats.rejected == 3
        return read_jsonl(tmp_path / name / "rejected" / "part-00000.jsonl.gz")

    plain = rejected("default", OutputConfig(), PiiConfig())
    assert all("text" not in r and "title" not in r for r in plain)
    kept = rejected("on", OutputConfig(rejected_text=True), PiiConfig())
    assert [r.get("text") for r in kept] == ["Write to <EMAIL> today.", "", None]
    assert [r.get("title") for r in kept] == ["A title", None, None]
    assert "text" not in kept[2]
    assert "title" not in kept[2]
    assert [{k: v for k, v in r.items() if k not in ("text", "title")} for r in kept] == plain
    unredacted = rejected("nopii", OutputConfig(rejected_text=True), PiiConfig(enabled=False))
    assert unredacted[0]["text"] == "Write to me@example.com today."
