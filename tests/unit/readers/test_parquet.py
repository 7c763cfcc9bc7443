from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gharbal import Document, Recipe, detect_format, plan_shards, read_shard
from gharbal.readers.parquet import jsonable
from gharbal.recipe import ReadConfig

CFG = ReadConfig()
AR = "قال المتحدث باسم وزارة الخارجية إن الولايات المتحدة عازمة على حل الخلافات"


def _read(path: Path | str, cfg: ReadConfig = CFG) -> list[Document]:
    return [doc for shard in plan_shards([str(path)], cfg) for doc in read_shard(shard, cfg)]


def test_rows_become_documents_with_metadata(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["a", "b", None, "d"],
            "text": [AR, None, "third", None],
            "html": [None, f"<p>{AR}</p>", None, None],
            "url": ["https://x.example/a", None, None, None],
            "crawled": [dt.datetime(2024, 1, 2, 3, 4, 5)] * 4,
            "score": [decimal.Decimal("1.50")] * 4,
            "raw": [b"\xff\x00", b"ok", b"", None],
        }
    )
    path = tmp_path / "pages.data"  # no .parquet suffix: found by the PAR1 magic
    pq.write_table(table, path, row_group_size=2)
    assert detect_format(path) == "parquet"
    docs = _read(path)
    assert [d.rejection.reason if d.rejection else None for d in docs] == [
        None,
        None,
        None,
        "read.no_content",
    ]
    a, b, c, d = docs
    assert (a.id, a.text, a.url) == ("a", AR, "https://x.example/a")
    assert a.metadata == {"crawled": "2024-01-02T03:04:05", "score": "1.50", "raw": "base64:/wA="}
    assert b.html == f"<p>{AR}</p>"
    assert len(c.id) == 16  # made from the content
    assert c.source == f"{path}:row 2"
    assert d.rejection is not None
    assert f"{path}:row 3" in d.rejection.detail


def test_configured_column_names_and_binary_html(tmp_path: Path) -> None:
    html = f'<html><head><meta charset="windows-1256"></head><body><p>{AR}</p></body></html>'
    table = pa.table({"doc_id": [1], "page": [html.encode("cp1256")]})
    path = tmp_path / "custom.parquet"
    pq.write_table(table, path)
    cfg = Recipe.from_dict({"read": {"id_field": "doc_id", "html_field": "page"}}).read
    (doc,) = _read(path, cfg)
    assert doc.id == "1"
    assert doc.html is not None
    assert AR in doc.html


def test_missing_column_and_bad_type_reject_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "body": ["x", "y"]}), missing)
    (doc,) = _read(missing)
    assert doc.rejection is not None
    assert doc.rejection.reason == "read.file.missing_column"
    assert "2 rows" in doc.rejection.detail
    assert "['id', 'body']" in doc.rejection.detail
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), wrong)
    (doc,) = _read(wrong)
    assert doc.rejection is not None
    assert doc.rejection.reason == "read.file.bad_column_type"
    assert "int64" in doc.rejection.detail


def test_truncated_and_empty_parquet(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"text": [AR] * 100}), path)
    path.write_bytes(path.read_bytes()[:-50])
    (doc,) = _read(path)
    assert doc.rejection is not None
    assert doc.rejection.reason == "read.file.unreadable"
    empty = tmp_path / "none.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), empty)
    (doc,) = _read(empty)
    assert doc.rejection is not None
    assert doc.rejection.reason == "read.file.empty"


def test_corrupt_row_group_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "rg.parquet"
    texts = [f"page {i} " + AR for i in range(30)]
    pq.write_table(
        pa.table({"text": texts}), path, row_group_size=10, compression="none", use_dictionary=False
    )
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    start = column.data_page_offset
    data[start : start + 40] = b"\xff" * 40  # smash the page header of row group 1
    path.write_bytes(bytes(data))
    docs = _read(path)
    reasons = [d.rejection.reason if d.rejection else None for d in docs]
    assert reasons == [None] * 10 + ["read.parquet.bad_row_group"] + [None] * 10
    assert [d.text for d in docs[11:]] == texts[20:]
    bad = docs[10].rejection
    assert bad is not None
    assert "row group 1 (rows 10-19, 10 not read)" in bad.detail


def test_jsonable() -> None:
    assert jsonable({"a": [b"x", dt.date(2024, 1, 2)], 3: dt.timedelta(seconds=2)}) == {
        "a": ["x", "2024-01-02"],
        "3": 2.0,
    }


def test_parquet_from_fsspec_memory() -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/gharbal-pq/p.parquet", "wb") as f:
        pq.write_table(pa.table({"text": [AR]}), f)
    try:
        (doc,) = _read("memory://gharbal-pq/p.parquet")
        assert doc.text == AR
    finally:
        fs.rm("/gharbal-pq", recursive=True)
