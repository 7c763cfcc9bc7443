from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from tests.warcfile import gzip_members, html_page, record, record_id

from gharbal import Document, detect_format, plan_shards, read_shard
from gharbal.recipe import ReadConfig

CFG = ReadConfig()
AR = "قال المتحدث باسم وزارة الخارجية إن الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل نهاية الشهر"


def _read(path: Path, cfg: ReadConfig = CFG) -> list[Document]:
    return [doc for shard in plan_shards([str(path)], cfg) for doc in read_shard(shard, cfg)]


def _reasons(docs: list[Document]) -> list[str | None]:
    return [d.rejection.reason if d.rejection else None for d in docs]


def _pages() -> list[bytes]:
    return [
        record("https://a.example/utf8", html_page(AR).encode()),
        record(
            "https://a.example/req", b"GET / HTTP/1.1\r\n\r\n", "application/http", kind="request"
        ),
        record(
            "https://a.example/cp1256",
            html_page(AR, "windows-1256").encode("cp1256"),
            "text/html",
        ),
        record(
            "https://a.example/iso",
            html_page(AR).encode("iso-8859-6"),
            "text/html; charset=ISO-8859-6",
        ),
        record("https://a.example/meta", b"{}", "application/json", kind="metadata"),
        record("https://a.example/pdf", b"%PDF-1.4 ...", "application/pdf"),
        record("https://a.example/gone", b"<html>not here</html>", status="404 Not Found"),
    ]


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz", "crawl.bin"])
def test_warc_pages_charsets_and_skips(tmp_path: Path, name: str) -> None:
    records = _pages()
    path = tmp_path / name
    path.write_bytes(gzip_members(records) if name.endswith(".gz") else b"".join(records))
    assert detect_format(path) == "warc"  # by content, whatever the name
    docs = _read(path)
    assert _reasons(docs) == [None, None, None, "read.skip.not_html", "read.skip.http_status"]
    utf8, cp1256, iso = docs[:3]
    for doc in (utf8, cp1256, iso):
        assert doc.html is not None
        assert AR in doc.html
        assert "عنوان الصفحة" in doc.html
    assert [d.metadata["encoding"] for d in (utf8, cp1256, iso)] == ["utf-8", "cp1256", "iso8859-6"]
    assert [d.metadata["encoding_source"] for d in (utf8, cp1256, iso)] == ["utf-8", "meta", "http"]
    assert utf8.url == "https://a.example/utf8"
    assert utf8.id == record_id(records[0])
    assert utf8.metadata["warc_record_id"] == f"<{utf8.id}>"
    assert utf8.metadata["warc_date"] == "2024-01-02T03:04:05Z"
    assert utf8.metadata["warc_type"] == "response"
    assert utf8.metadata["content_type"] == "text/html; charset=utf-8"
    assert utf8.metadata["http_status"] == 200
    assert utf8.source == f"{path}:0"
    pdf, gone = docs[3:]
    assert pdf.url == "https://a.example/pdf"
    assert pdf.rejection is not None
    assert "application/pdf" in pdf.rejection.detail
    assert gone.rejection is not None
    assert "404" in gone.rejection.detail


def test_wet_conversion_records_are_text_pages(tmp_path: Path) -> None:
    info = record("", b"software: test\r\n", "application/warc-fields", kind="warcinfo")
    wet = record(
        "https://b.example/",
        f"{AR}\nسطر ثان".encode(),
        "text/plain",
        kind="conversion",
        warc_headers={
            "WARC-Identified-Content-Language": "ara",
            "WARC-Refers-To": "<urn:uuid:00000000-0000-0000-0000-000000000001>",
        },
    )
    path = tmp_path / "crawl.warc.wet.gz"
    path.write_bytes(gzip_members([info, wet]))
    (doc,) = _read(path)
    assert doc.rejection is None
    assert doc.html is None
    assert doc.text == f"{AR}\nسطر ثان"
    assert doc.metadata["warc_type"] == "conversion"
    assert doc.metadata["warc_identified_language"] == "ara"
    assert doc.metadata["warc_refers_to"].startswith("<urn:uuid:")


def test_resource_records_chunked_and_gzip_payloads(tmp_path: Path) -> None:
    body = html_page(AR).encode()
    chunked = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:50], body[50:])
    )
    records = [
        record("https://c.example/res", body, "text/html", kind="resource"),
        record(
            "https://c.example/chunked",
            chunked + b"0\r\n\r\n",
            http_headers={"Transfer-Encoding": "chunked"},
        ),
        record(
            "https://c.example/gzip", gzip.compress(body), http_headers={"Content-Encoding": "gzip"}
        ),
        record(
            "https://c.example/deflate",
            zlib.compress(body),
            http_headers={"Content-Encoding": "deflate"},
        ),
        record("https://c.example/stale-header", body, http_headers={"Content-Encoding": "gzip"}),
        record(
            "https://c.example/broken", b"\x1f\x8b\x08junk", http_headers={"Content-Encoding": "br"}
        ),
        record("https://c.example/sniffed", body, ""),
        record(
            "https://c.example/identified",
            body,
            "text/plain",
            warc_headers={"WARC-Identified-Payload-Type": "text/html"},
        ),
    ]
    path = tmp_path / "c.warc"
    path.write_bytes(b"".join(records))
    docs = _read(path)
    assert _reasons(docs) == [None] * 5 + ["read.warc.content_encoding", None, None]
    for doc in docs:
        if doc.rejection is None:
            assert doc.html is not None
            assert AR in doc.html, doc.url


def _corrupt_cases() -> dict[str, tuple[bytes, str]]:
    good = [record(f"https://d.example/{i}", html_page(f"{AR} {i}").encode()) for i in range(3)]
    a, b, c = good
    header_end = b.index(b"\r\n\r\n")
    return {
        "bad version line": (a + b"WURC" + b[4:] + c, "read.warc.corrupt"),
        "garbage between records": (a + b"\x00garbage\r\n" * 3 + b + c, "read.warc.corrupt"),
        "malformed header": (
            a + b[:header_end] + b"\r\nno colon here" + b[header_end:] + c,
            "read.warc.corrupt",
        ),
        "length not a number": (
            a + b.replace(b"Content-Length: ", b"Content-Length: x", 1) + c,
            "read.warc.corrupt",
        ),
        "length too long": (
            a + b.replace(b"Content-Length: ", b"Content-Length: 9", 1) + c,
            "read.warc.bad_length",
        ),
    }


@pytest.mark.parametrize("case", list(_corrupt_cases()))
def test_corrupt_record_is_rejected_and_reading_resumes(tmp_path: Path, case: str) -> None:
    data, reason = _corrupt_cases()[case]
    path = tmp_path / "d.warc"
    path.write_bytes(data)
    docs = _read(path)
    reasons = _reasons(docs)
    assert reasons.count(reason) == 1, reasons
    kept = [d.url for d in docs if d.rejection is None]
    assert kept[0] == "https://d.example/0"
    assert kept[-1] == "https://d.example/2"
    bad = next(d for d in docs if d.rejection is not None)
    assert bad.rejection is not None
    assert bad.rejection.detail.startswith(f"{path}:")
    offset = int(bad.source.rsplit(":", 1)[1])
    assert offset > 0


def test_shorter_length_cuts_the_record(tmp_path: Path) -> None:
    a, b, c = (record(f"https://e.example/{i}", html_page(AR).encode()) for i in range(3))
    length = int(b.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    b = b.replace(f"Content-Length: {length}".encode(), f"Content-Length: {length - 40}".encode())
    path = tmp_path / "e.warc"
    path.write_bytes(a + b + c)
    docs = _read(path)
    assert _reasons(docs) == [None, "read.warc.bad_length", None]
    assert docs[1].rejection is not None
    assert f"Content-Length {length - 40} does not end at a record boundary" in (
        docs[1].rejection.detail
    )


def test_corrupt_gzip_member_loses_only_its_record(tmp_path: Path) -> None:
    records = [record(f"https://f.example/{i}", html_page(f"{AR} {i}").encode()) for i in range(4)]
    members = [gzip.compress(r, mtime=0) for r in records]
    broken = bytearray(members[1])
    broken[len(broken) // 2] ^= 0xFF
    broken[len(broken) // 2 + 1] ^= 0xFF
    path = tmp_path / "f.warc.gz"
    path.write_bytes(members[0] + bytes(broken) + members[2] + members[3])
    docs = _read(path)
    assert _reasons(docs) == [None, "read.warc.corrupt_member", None, None]
    assert [d.url for d in docs if d.rejection is None] == [
        "https://f.example/0",
        "https://f.example/2",
        "https://f.example/3",
    ]
    resumed = len(members[0]) + len(broken)
    assert docs[1].rejection is not None
    assert f"compressed byte {len(members[0])}" in docs[1].rejection.detail
    assert f"resumed at compressed byte {resumed}" in docs[1].rejection.detail
    assert docs[2].source == f"{path}:@{resumed}+0"


@pytest.mark.parametrize("compressed", [False, True])
def test_truncated_warc_keeps_records_before_the_cut(tmp_path: Path, compressed: bool) -> None:
    records = [record(f"https://g.example/{i}", html_page(AR).encode()) for i in range(3)]
    data = gzip_members(records) if compressed else b"".join(records)
    path = tmp_path / ("g.warc.gz" if compressed else "g.warc")
    path.write_bytes(data[:-100])
    docs = _read(path)
    assert _reasons(docs) == [None, None, "read.file.truncated"]
    assert docs[-1].source == str(path)


def test_oversized_record_is_skipped_without_loading(tmp_path: Path) -> None:
    cfg = ReadConfig(max_record_bytes=10_000)
    records = [
        record("https://h.example/small", html_page(AR).encode()),
        record("https://h.example/big", html_page(AR * 200).encode()),
        record("https://h.example/after", html_page(AR).encode()),
    ]
    path = tmp_path / "h.warc"
    path.write_bytes(b"".join(records))
    docs = _read(path, cfg)
    assert _reasons(docs) == [None, "read.record_too_large", None]
    assert docs[1].url == "https://h.example/big"


def test_empty_and_non_warc_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    assert detect_format(empty) == "warc"
    assert _reasons(_read(empty)) == ["read.file.empty"]
    only_info = tmp_path / "info.warc"
    only_info.write_bytes(record("", b"x: y\r\n", "application/warc-fields", kind="warcinfo"))
    assert _read(only_info) == []  # a record, but not a page


def _claiming(rec: bytes, length: int) -> bytes:
    """``rec`` with its WARC Content-Length replaced (the block itself unchanged)."""
    real = rec.split(b"Content-Length: ")[1].split(b"\r\n")[0]
    return rec.replace(b"Content-Length: " + real, f"Content-Length: {length}".encode(), 1)


def _pack(records: list[bytes], packing: str) -> bytes:
    """Plain, one gzip member per record, or the whole file one gzip member."""
    if packing == "members":
        return gzip_members(records)
    if packing == "single":
        return gzip.compress(b"".join(records), mtime=0)
    return b"".join(records)


PACKINGS = ["plain", "members", "single"]


@pytest.mark.parametrize("packing", PACKINGS)
def test_length_over_the_limit_does_not_swallow_the_next_record(
    tmp_path: Path, packing: str
) -> None:
    # a page whose Content-Length says 40 000 (over the limit, skipped without being held) while its
    # block is a few hundred bytes: the skip ran through the next page into a big metadata record,
    # found no record boundary there and resumed after it, so the page in between was lost
    cfg = ReadConfig(max_record_bytes=10_000)
    good = [record(f"https://l.example/{i}", html_page(f"{AR} {i}").encode()) for i in range(3)]
    bad = _claiming(record("https://l.example/bad", html_page(AR).encode()), 40_000)
    meta = record("https://l.example/meta", b"m" * 60_000, "application/json", kind="metadata")
    records = [good[0], bad, good[1], meta, good[2]]
    path = tmp_path / ("l.warc" if packing == "plain" else "l.warc.gz")
    path.write_bytes(_pack(records, packing))
    docs = _read(path, cfg)
    assert _reasons(docs) == [None, "read.warc.bad_length", None, None]
    assert [d.url for d in docs if d.rejection is None] == [
        "https://l.example/0",
        "https://l.example/1",
        "https://l.example/2",
    ]
    offsets = [sum(len(r) for r in records[:i]) for i in range(len(records))]
    assert [d.source for d in docs] == [f"{path}:{offsets[i]}" for i in (0, 1, 2, 4)]
    rejection = docs[1].rejection
    assert rejection is not None
    assert rejection.detail.startswith(f"{path}:{offsets[1]}: Content-Length 40000 ")
    assert "another record starts inside it" in rejection.detail


@pytest.mark.parametrize("packing", PACKINGS)
def test_too_large_records_of_any_type_are_skipped_and_reading_goes_on(
    tmp_path: Path, packing: str
) -> None:
    cfg = ReadConfig(max_record_bytes=10_000)
    # a record line inside a block whose length is right is content, not a record
    inside = "\nWARC/1.1\r\nWARC-Type: response\r\n\r\n"
    records = [
        record("https://m.example/0", html_page(AR).encode()),
        record("https://m.example/big", html_page(AR * 100 + inside + AR * 100).encode()),
        record("https://m.example/1", html_page(AR).encode()),
        record("https://m.example/meta", b"m" * 30_000, "application/json", kind="metadata"),
        record("https://m.example/req", b"r" * 30_000, "application/http", kind="request"),
        record("", b"w: x\r\n" * 5_000, "application/warc-fields", kind="warcinfo"),
        record("https://m.example/2", html_page(AR).encode()),
    ]
    path = tmp_path / ("m.warc" if packing == "plain" else "m.warc.gz")
    path.write_bytes(_pack(records, packing))
    docs = _read(path, cfg)
    assert _reasons(docs) == [None, "read.record_too_large", None, None]
    assert [d.url for d in docs] == [
        "https://m.example/0",
        "https://m.example/big",
        "https://m.example/1",
        "https://m.example/2",
    ]


@pytest.mark.parametrize("claimed", [10**23, 40 << 20])
@pytest.mark.parametrize("packing", PACKINGS)
def test_impossible_length_resynchronises_at_the_next_record(
    tmp_path: Path, packing: str, claimed: int
) -> None:
    # past the end of the file (absurd, or just too long): the records after it were never read,
    # the file ended as read.file.truncated
    good = [record(f"https://n.example/{i}", html_page(f"{AR} {i}").encode()) for i in range(3)]
    bad = _claiming(record("https://n.example/bad", html_page(AR).encode()), claimed)
    records = [good[0], bad, good[1], good[2]]
    path = tmp_path / ("n.warc" if packing == "plain" else "n.warc.gz")
    path.write_bytes(_pack(records, packing))
    docs = _read(path)
    assert _reasons(docs) == [None, "read.warc.bad_length", None, None]
    assert [d.url for d in docs if d.rejection is None] == [
        "https://n.example/0",
        "https://n.example/1",
        "https://n.example/2",
    ]
    rejection = docs[1].rejection
    assert rejection is not None
    assert rejection.detail.startswith(f"{path}:{len(good[0])}: Content-Length {claimed} ")
    assert "another record starts inside it" in rejection.detail
    assert docs[2].source == f"{path}:{len(good[0]) + len(bad)}"


@pytest.mark.parametrize("packing", PACKINGS)
def test_impossible_length_of_the_last_record(tmp_path: Path, packing: str) -> None:
    good = record("https://o.example/0", html_page(AR).encode())
    records = [good, _claiming(record("https://o.example/1", html_page(AR).encode()), 10**23)]
    path = tmp_path / ("o.warc" if packing == "plain" else "o.warc.gz")
    path.write_bytes(_pack(records, packing))
    docs = _read(path)
    assert _reasons(docs) == [None, "read.warc.bad_length"]
    assert docs[1].rejection is not None
    assert "cannot be right" in docs[1].rejection.detail
    # a length just past the end with nothing after it: a cut file, as before
    records[1] = _claiming(records[1], 40 << 20)
    path.write_bytes(_pack(records, packing))
    assert _reasons(_read(path)) == [None, "read.file.truncated"]


def test_gzip_label_on_a_plain_body(tmp_path: Path) -> None:
    # ClueWeb09 keeps "Content-Encoding: gzip" on bodies it stored inflated; only bodies that start
    # with <html>, <head>, ... were read, the others were all read.warc.content_encoding
    page = html_page(AR).encode()
    gz = {"Content-Encoding": "gzip"}
    records = [
        record(
            "https://p.example/script", b"<script>var a = 1;</script>\n" + page, http_headers=gz
        ),
        record("https://p.example/fragment", b"\r\n<table><tr><td>" + AR.encode(), http_headers=gz),
        record(
            "https://p.example/cp1256",
            f"<p>{AR}</p>".encode("cp1256"),
            "text/html; charset=windows-1256",
            http_headers=gz,
        ),
        record(
            "https://p.example/deflate",
            b"<p>" + AR.encode(),
            http_headers={"Content-Encoding": "deflate"},
        ),
        record("https://p.example/real", gzip.compress(page), http_headers=gz),
        record("https://p.example/cut", gzip.compress(page)[:-40], http_headers=gz),
        record(
            "https://p.example/damaged", gzip.compress(page)[:20] + b"<p>x" * 50, http_headers=gz
        ),
        record("https://p.example/binary", bytes(range(256)) * 4, http_headers=gz),
    ]
    path = tmp_path / "p.warc"
    path.write_bytes(b"".join(records))
    docs = _read(path)
    assert _reasons(docs) == [None] * 6 + ["read.warc.content_encoding"] * 2
    for doc in docs[:4]:
        assert doc.html is not None
        assert AR in doc.html, doc.url
        assert doc.metadata["content_encoding_ignored"] is True
    for doc in docs[4:6]:  # inflated (a cut one as far as it goes)
        assert doc.html is not None
        assert "content_encoding_ignored" not in doc.metadata
    assert docs[4].html is not None
    assert AR in docs[4].html


def test_decompressed_stream_goes_back_to_a_checkpoint(tmp_path: Path) -> None:
    from gharbal.readers.compression import DecompressedStream

    parts = [bytes([65 + i]) * (3000 + 1000 * i) for i in range(5)]
    data = b"".join(parts)
    for packed in (gzip_members(parts), gzip.compress(data, mtime=0)):
        path = tmp_path / "s.gz"
        path.write_bytes(packed)
        with path.open("rb") as raw, DecompressedStream(raw, "gzip") as stream:
            seen, points = b"", []
            while True:
                point = stream.checkpoint()
                chunk = stream.read(1777)
                if not chunk:
                    break
                points.append((len(seen), point))
                seen += chunk
            assert seen == data
            for at, point in points[::3]:
                assert point is not None
                stream.restore(point)
                assert b"".join(iter(lambda: stream.read(4096), b"")) == data[at:]


def test_lengths_past_the_end_of_a_warc_gz_decompress_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first length past the end is found by decompressing the rest of the file, which tells
    # where the file ends: the next ones are seen at once, not by decompressing the rest again
    from gharbal.readers.compression import DecompressedStream

    restores: list[tuple[int, int]] = []
    restore = DecompressedStream.restore

    def counting(self: DecompressedStream, point: tuple[int, int]) -> None:
        restores.append(point)
        restore(self, point)

    monkeypatch.setattr(DecompressedStream, "restore", counting)
    records = []
    for i in range(4):
        records.append(record(f"https://q.example/{i}", html_page(f"{AR} {i}").encode()))
        bad = record(f"https://q.example/bad{i}", html_page(AR).encode())
        records.append(_claiming(bad, 40 << 20))
    records.append(record("https://q.example/last", html_page(AR).encode()))
    path = tmp_path / "q.warc.gz"
    path.write_bytes(gzip_members(records))
    docs = _read(path)
    assert _reasons(docs) == [None, "read.warc.bad_length"] * 4 + [None]
    assert len(restores) == 1
    assert docs[3].rejection is not None
    assert "runs past the end of the file" in docs[3].rejection.detail
