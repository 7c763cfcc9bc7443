"""Generate the bad-input corpus: one directory per fault, with what a run must make of it.

    python tests/badinput/make_corpus.py OUTDIR [--only CASE ...]

Each ``OUTDIR/CASE/`` holds ``input/`` (a good JSONL file read before the fault, the faulty file,
a good JSONL file read after it) and ``expected.json``:

``kept``        ids that must be in ``documents/`` (good records before and after the fault, in the
                faulty file itself and in the files around it); ``kept_urls`` the same for WARC
                records, whose ids are their record ids
``rejected``    reason -> count, exactly ``rejected_by_reason`` of ``stats.json``
``details``     [reason, substring] pairs: the rejection's detail must name the file and the line,
                offset or row, and what was wrong
``unreadable``  names of files that ``stats.json`` and the summary list as unreadable
``skipped``     [name, why] of entries not read (``skipped_inputs``: FIFOs, links), if any
``strict_exit`` what ``--strict`` exits with (3, damaged input, unless said otherwise)

Everything is generated from fixed seeds, so the corpus is the same on every machine. The 50 MB line
and the 45 MB WARC record are written in pieces and never held whole.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for `tests.warcfile` as a script

from tests.warcfile import gzip_members, html_page, record

PROSE = [
    "وقال المتحدث باسم وزارة الخارجية في مؤتمر صحفي إن الولايات المتحدة عازمة على حل الخلافات مع "
    "روسيا قبل نهاية الشهر الجاري، وأضاف أن المفاوضات التي جرت في جنيف كانت بناءة ومفيدة للطرفين.",
    "The committee said on Tuesday that the new rules would take effect in the spring, and that "
    "they were meant to protect the people who depend on the service every day.",
    "وأشار إلى أن الجانبين اتفقا على مواصلة الحوار خلال الأسابيع المقبلة من أجل التوصل إلى تسوية "
    "شاملة تضمن مصالح جميع الأطراف وتحفظ الأمن والاستقرار في المنطقة.",
]

Expected = dict[str, Any]


def page(i: int) -> str:
    return f"{PROSE[i % len(PROSE)]}\n{PROSE[(i + 1) % len(PROSE)]}"


def line(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n"


def good_jsonl(prefix: str, n: int) -> bytes:
    return b"".join(line({"id": f"{prefix}{i}", "text": page(i)}) for i in range(n))


def _expected(
    kept: list[str],
    rejected: dict[str, int],
    details: list[tuple[str, str]],
    unreadable: list[str] | None = None,
) -> Expected:
    return {
        "kept": ["before0", "before1", *kept, "after0", "after1"],
        "rejected": rejected,
        "details": [list(d) for d in details],
        "unreadable": unreadable or [],
    }


def truncated_gzip(d: Path) -> Expected:
    data = gzip.compress(good_jsonl("r", 300), mtime=0)
    (d / "pages.jsonl.gz").write_bytes(data[: len(data) * 6 // 10])
    return _expected(
        ["r0", "r1"],
        {"read.file.truncated": 1},
        [("read.file.truncated", "pages.jsonl.gz: stream breaks off after byte")],
        ["pages.jsonl.gz"],
    )


def truncated_zstd(d: Path) -> Expected:
    # several 128 KiB zstd blocks (random padding does not compress), so that a cut in the last
    # ones keeps the first
    rng = random.Random(3)
    records = [
        {"id": f"r{i}", "text": page(i), "pad": "".join(rng.choices("abcdefghij", k=2000))}
        for i in range(300)
    ]
    data = zstandard.ZstdCompressor(level=3).compress(b"".join(line(r) for r in records))
    (d / "pages.jsonl.zst").write_bytes(data[: len(data) * 6 // 10])
    return _expected(
        ["r0", "r1"],
        {"read.file.truncated": 1},
        [("read.file.truncated", "pages.jsonl.zst: stream breaks off after byte")],
        ["pages.jsonl.zst"],
    )


def _warc_records() -> list[bytes]:
    return [
        record(f"https://corpus.example/{i}", html_page(PROSE[i % 3]).encode()) for i in range(5)
    ]


def corrupt_warc_record(d: Path) -> Expected:
    records = _warc_records()
    bad = records[2]
    header_end = bad.index(b"\r\n\r\n")
    records[2] = bad[:header_end] + b"\r\nthis line is not a header" + bad[header_end:]
    (d / "crawl.warc").write_bytes(b"".join(records))
    offset = sum(len(r) for r in records[:2])
    return {
        **_expected(
            [],
            {"read.warc.corrupt": 1},
            [("read.warc.corrupt", f"crawl.warc:{offset}: malformed header line")],
        ),
        "kept_urls": [f"https://corpus.example/{i}" for i in (0, 1, 3, 4)],
    }


def corrupt_warc_gzip_member(d: Path) -> Expected:
    members = [gzip.compress(r, mtime=0) for r in _warc_records()]
    broken = bytearray(members[2])
    middle = len(broken) // 2
    broken[middle : middle + 8] = bytes(b ^ 0xFF for b in broken[middle : middle + 8])
    members[2] = bytes(broken)
    (d / "crawl.warc.gz").write_bytes(b"".join(members))
    member_at = sum(len(m) for m in members[:2])
    return {
        **_expected(
            [],
            {"read.warc.corrupt_member": 1},
            [
                (
                    "read.warc.corrupt_member",
                    f"corrupt gzip member/frame starting at compressed byte {member_at}",
                )
            ],
        ),
        "kept_urls": [f"https://corpus.example/{i}" for i in (0, 1, 3, 4)],
    }


def truncated_warc(d: Path) -> Expected:
    data = gzip_members(_warc_records())
    (d / "crawl.warc.gz").write_bytes(data[:-200])
    return {
        **_expected(
            [],
            {"read.file.truncated": 1},
            [("read.file.truncated", "crawl.warc.gz: stream breaks off in the record at")],
            ["crawl.warc.gz"],
        ),
        "kept_urls": [f"https://corpus.example/{i}" for i in range(4)],
    }


def _claiming(rec: bytes, length: int) -> bytes:
    """``rec`` with its WARC Content-Length replaced (the block itself unchanged)."""
    real = rec.split(b"Content-Length: ")[1].split(b"\r\n")[0]
    return rec.replace(b"Content-Length: " + real, f"Content-Length: {length}".encode(), 1)


def warc_length_over_limit(d: Path) -> Expected:
    # A page whose Content-Length says 40 MiB (over read.max_record_bytes, so skipped without being
    # held) and whose block is a few hundred bytes, then a good page, then a real 45 MB metadata
    # record (written in pieces, never held whole): the good page must not be swallowed.
    good = _warc_records()
    bad = _claiming(record("https://corpus.example/bad", html_page(PROSE[0]).encode()), 40 << 20)
    size = 45_000_000
    head = (
        "WARC/1.1\r\nWARC-Type: metadata\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000045>\r\n"
        "WARC-Target-URI: https://corpus.example/meta\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    with (d / "crawl.warc").open("wb") as f:
        f.write(good[0] + bad + good[1] + head)
        block = b"m" * (1 << 20)
        for _ in range(size >> 20):
            f.write(block)
        f.write(b"m" * (size % (1 << 20)) + b"\r\n\r\n" + good[2])
    return {
        **_expected(
            [],
            {"read.warc.bad_length": 1},
            [
                (
                    "read.warc.bad_length",
                    f"crawl.warc:{len(good[0])}: Content-Length {40 << 20} does not end at a "
                    "record boundary",
                )
            ],
        ),
        "kept_urls": [f"https://corpus.example/{i}" for i in range(3)],
    }


def warc_impossible_length(d: Path) -> Expected:
    # Content-Length 10^23, past the end of the file: the records after it are found again, in a
    # plain .warc and in a .warc.gz
    details = []
    urls = []
    for name in ("crawl.warc", "crawl.warc.gz"):
        good = [
            record(f"https://{name}.example/{i}", html_page(PROSE[i]).encode()) for i in range(3)
        ]
        bad = _claiming(record(f"https://{name}.example/bad", b"<p>x</p>"), 10**23)
        records = [good[0], bad, good[1], good[2]]
        data = gzip_members(records) if name.endswith(".gz") else b"".join(records)
        (d / name).write_bytes(data)
        details.append(("read.warc.bad_length", f"{name}:{len(good[0])}: Content-Length {10**23} "))
        urls += [f"https://{name}.example/{i}" for i in range(3)]
    return {**_expected([], {"read.warc.bad_length": 2}, details), "kept_urls": urls}


def warc_stale_content_encoding(d: Path) -> Expected:
    # "Content-Encoding: gzip" on bodies stored inflated (as in ClueWeb09) are read as they are; a
    # body that starts as gzip and does not inflate is rejected
    gz = {"Content-Encoding": "gzip"}
    body = [html_page(PROSE[i]).encode() for i in range(3)]
    records = [
        record(
            "https://corpus.example/0", b"<script>var a = 1;</script>\n" + body[0], http_headers=gz
        ),
        record(
            "https://corpus.example/1",
            b'<link rel="stylesheet" href="/s.css">\n' + body[1],
            http_headers={"Content-Encoding": "x-gzip"},
        ),
        record("https://corpus.example/2", gzip.compress(body[2], mtime=0), http_headers=gz),
        record(
            "https://corpus.example/damaged",
            gzip.compress(body[0], mtime=0)[:20] + b"<p>not deflate</p>" * 20,
            http_headers=gz,
        ),
    ]
    (d / "crawl.warc").write_bytes(b"".join(records))
    damaged_at = sum(len(r) for r in records[:3])
    return {
        **_expected(
            [],
            {"read.warc.content_encoding": 1},
            [
                (
                    "read.warc.content_encoding",
                    f"crawl.warc:{damaged_at}: Content-Encoding 'gzip' of "
                    "https://corpus.example/damaged cannot be decoded",
                )
            ],
        ),
        "kept_urls": [f"https://corpus.example/{i}" for i in range(3)],
    }


def invalid_utf8(d: Path) -> Expected:
    bad = line({"id": "bad", "text": "placeholder"}).replace(b"placeholder", b"caf\xe9 \xff\xfe")
    (d / "pages.jsonl").write_bytes(good_jsonl("r", 2) + bad + good_jsonl("s", 2))
    return _expected(
        ["r0", "r1", "s0", "s1"],
        {"read.invalid_utf8": 1},
        [("read.invalid_utf8", "pages.jsonl:3: ")],
    )


def nul_bytes(d: Path) -> Expected:
    bad = line({"id": "bad", "text": "placeholder"}).replace(b"placeholder", b"nul\x00\x00bytes")
    (d / "pages.jsonl").write_bytes(good_jsonl("r", 2) + bad + good_jsonl("s", 2))
    return _expected(
        ["r0", "r1", "s0", "s1"],
        {"read.invalid_json": 1},
        [("read.invalid_json", "pages.jsonl:3: unexpected control character")],
    )


def line_50mb(d: Path) -> Expected:
    with (d / "pages.jsonl").open("wb") as f:
        f.write(good_jsonl("r", 2))
        f.write(b'{"id": "huge", "text": "')
        block = b"x" * (1 << 20)
        for _ in range(50):
            f.write(block)
        f.write(b'"}\n')
        f.write(good_jsonl("s", 2))
    return _expected(
        ["r0", "r1", "s0", "s1"],
        {"read.record_too_large": 1},
        [("read.record_too_large", f"pages.jsonl:3: line of {24 + 50 * (1 << 20) + 3} bytes")],
    )


def empty_file(d: Path) -> Expected:
    (d / "empty.jsonl").write_bytes(b"")
    return _expected(
        [],
        {"read.file.empty": 1},
        [("read.file.empty", "empty.jsonl: no records")],
        ["empty.jsonl"],
    )


def binary_named_jsonl(d: Path) -> Expected:
    rng = random.Random(4)
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4096))
    (d / "data.jsonl").write_bytes(data)
    return _expected(
        [],
        {"read.file.binary": 1},
        [("read.file.binary", "data.jsonl: binary content")],
        ["data.jsonl"],
    )


def json_syntax_errors(d: Path) -> Expected:
    (d / "pages.jsonl").write_bytes(
        good_jsonl("r", 2)
        + b'{"id": "bad1", "text": }\n'
        + good_jsonl("s", 1)
        + b'{"id": "bad2", "text": "unterminated\n'
        + b'{"id": "bad3", "text": "trailing comma",}\n'
        + good_jsonl("t", 1)
    )
    return _expected(
        ["r0", "r1", "s0", "t0"],
        {"read.invalid_json": 3},
        [
            ("read.invalid_json", "pages.jsonl:3: "),
            ("read.invalid_json", "pages.jsonl:5: "),
            ("read.invalid_json", "pages.jsonl:6: "),
        ],
    )


def parquet_missing_column(d: Path) -> Expected:
    pq.write_table(pa.table({"id": ["a", "b", "c"], "body": PROSE}), d / "pages.parquet")
    pq.write_table(pa.table({"id": ["pq0", "pq1"], "text": [page(0), page(1)]}), d / "ok.parquet")
    return _expected(
        ["pq0", "pq1"],
        {"read.file.missing_column": 1},
        [
            (
                "read.file.missing_column",
                "pages.parquet: 3 rows, none read: no column 'text' (read.text_field)",
            )
        ],
        ["pages.parquet"],
    )


def wrong_type_text(d: Path) -> Expected:
    (d / "pages.jsonl").write_bytes(
        good_jsonl("r", 1)
        + line({"id": "num", "text": 42})
        + line({"id": "list", "text": ["a", "b"]})
        + line({"id": "obj", "html": {"p": 1}})
        + good_jsonl("s", 1)
    )
    return _expected(
        ["r0", "s0"],
        {"read.bad_field_type": 3},
        [
            ("read.bad_field_type", "pages.jsonl:2: field 'text' is int, not str"),
            ("read.bad_field_type", "pages.jsonl:3: field 'text' is list, not str"),
            ("read.bad_field_type", "pages.jsonl:4: field 'html' is dict, not str"),
        ],
    )


def deep_html(d: Path) -> Expected:
    # 1,000,000 nested <div> (11 MB): resiliparse's main-content pass, quadratic in the depth, would
    # never finish; the page is refused in about a second. Not damage: --strict exits 0.
    with (d / "deep.html").open("w", encoding="utf-8") as f:
        f.write("<html><body>" + "<div>" * 1_000_000 + PROSE[1] + "</div>" * 1_000_000)
        f.write("</body></html>")
    return {
        **_expected(
            [],
            {"extract.html.too_deep": 1},
            [("extract.html.too_deep", "elements nested at least 65793 deep (extract.html.max")],
        ),
        "strict_exit": 0,
    }


def formatting_blowup(d: Path) -> Expected:
    # <div><b id=N>x</div> 10,000 times (229 KB): the HTML5 parser re-opens every earlier <b> in
    # each <div>, 50 million elements (48 s, gigabytes); the page is refused unparsed, in a few ms.
    # Not damage: --strict exits 0.
    with (d / "blowup.html").open("w", encoding="utf-8") as f:
        f.write("<html><body>" + "".join(f"<div><b id={i}>x</div>" for i in range(10_000)))
        f.write(f"<p>{PROSE[1]}</p></body></html>")
    return {
        **_expected(
            [],
            {"extract.html.too_complex": 1},
            [
                (
                    "extract.html.too_complex",
                    "at least 2501958 elements estimated (extract.html.max_elements 2500000)",
                )
            ],
        ),
        "strict_exit": 0,
    }


def many_lines(d: Path) -> Expected:
    # 3,000,000 one-character lines (6 MB): measured line by line it took 4.1 GB; refused unread
    (d / "lines.txt").write_bytes(b"x\n" * 3_000_000)
    return {
        **_expected(
            [],
            {"extract.too_many_lines": 1},
            [("extract.too_many_lines", "3000000 lines (extract.max_lines 100000)")],
        ),
        "strict_exit": 0,
    }


def special_entries(d: Path) -> Expected:
    """A FIFO (reading it would block), a dangling link and a link to a directory (a cycle, here):
    none is read, each is listed in ``skipped_inputs`` and the summary; nothing is damaged."""
    os.mkfifo(d / "pipe")
    (d / "dangling.jsonl").symlink_to("missing.jsonl")
    (d / "loop").symlink_to(".", target_is_directory=True)
    return {
        **_expected([], {}, []),
        "skipped": [
            ["dangling.jsonl", "dangling symlink"],
            ["loop", "symlink to a directory: not followed"],
            ["pipe", "not a regular file (FIFO)"],
        ],
        "strict_exit": 0,
    }


CASES: dict[str, Callable[[Path], Expected]] = {
    f.__name__: f
    for f in (
        truncated_gzip,
        truncated_zstd,
        corrupt_warc_record,
        corrupt_warc_gzip_member,
        truncated_warc,
        warc_length_over_limit,
        warc_impossible_length,
        warc_stale_content_encoding,
        invalid_utf8,
        nul_bytes,
        line_50mb,
        empty_file,
        binary_named_jsonl,
        json_syntax_errors,
        parquet_missing_column,
        wrong_type_text,
        special_entries,
        deep_html,
        formatting_blowup,
        many_lines,
    )
}


def make_case(name: str, out: Path) -> Path:
    """Write ``out/name/input/`` and ``out/name/expected.json``; returns the case directory."""
    case = out / name
    inputs = case / "input"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "a-before.jsonl").write_bytes(good_jsonl("before", 2))
    expected = CASES[name](inputs)
    (inputs / "z-after.jsonl").write_bytes(good_jsonl("after", 2))
    (case / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return case


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="just these cases")
    args = parser.parse_args(argv)
    for name in args.only or CASES:
        print(make_case(name, args.out))


if __name__ == "__main__":
    main()
