"""WARC, HTML and Parquet through `gharbal run`, Parquet output, and ``--strict``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.conftest import SEED, read_parts
from tests.warcfile import gzip_members, html_page, record

AR = (
    "قال المتحدث باسم وزارة الخارجية إن الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل "
    "نهاية الشهر الجاري، مؤكدا أن المفاوضات ستستمر في جنيف الأسبوع المقبل بمشاركة الطرفين."
)


def _stats(out: Path) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == stats["kept"] + stats["rejected"]
    return stats


def test_warc_with_utf8_and_windows_1256_pages_gives_arabic_text(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """The issue's done-when: a WARC made here, pages in UTF-8 and windows-1256, run by the CLI."""
    warc = tmp_path / "crawl.warc.gz"
    warc.write_bytes(
        gzip_members(
            [
                record(
                    "", b"software: gharbal-test\r\n", "application/warc-fields", kind="warcinfo"
                ),
                record("https://news.example/utf8", html_page(AR).encode("utf-8")),
                record("https://news.example/utf8", b"GET / HTTP/1.1\r\n\r\n", kind="request"),
                record(
                    "https://old.example/cp1256",
                    html_page(AR, "windows-1256").encode("cp1256"),
                    "text/html",
                ),
                record(
                    "https://old.example/header",
                    html_page(AR).encode("cp1256"),
                    "text/html; charset=windows-1256",
                ),
                record("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
            ]
        )
    )
    out = tmp_path / "out"
    recipe = tmp_path / "recipe.yaml"  # short pages: no quality filtering in this reader test
    recipe.write_text("quality: {enabled: false}\n", encoding="utf-8")
    result = cli("run", str(warc), "-o", str(out), "--recipe", str(recipe))
    assert result.exit_code == 0, result.output
    stats = _stats(out)
    assert (stats["input"], stats["kept"]) == (4, 3)
    assert stats["rejected_by_reason"] == {"read.skip.not_html": 1}
    docs = {d["url"]: d for d in read_parts(out, "documents")}
    assert sorted(docs) == [
        "https://news.example/utf8",
        "https://old.example/cp1256",
        "https://old.example/header",
    ]
    for doc in docs.values():
        assert doc["text"] == AR
        assert doc["title"] == "عنوان الصفحة"
        assert doc["metadata"]["warc_date"] == "2024-01-02T03:04:05Z"
        assert doc["id"].startswith("urn:uuid:")
    assert docs["https://old.example/cp1256"]["metadata"]["encoding"] == "cp1256"
    assert docs["https://old.example/header"]["metadata"]["encoding_source"] == "http"
    # --strict: a non-HTML response is a skip, not damage
    assert cli("run", str(warc), "-o", str(out), "--strict").exit_code == 0


def test_parquet_output_and_identical_for_one_and_two_workers(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    page = SEED.read_text(encoding="utf-8")
    inputs = []
    for i in range(3):
        path = tmp_path / f"in{i}.jsonl"
        path.write_text(json.dumps({"id": f"p{i}", "text": page}) + "\n", encoding="utf-8")
        inputs.append(str(path))
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = cli("run", *inputs, "-o", str(out), "--format", "parquet", "--workers", workers)
        assert result.exit_code == 0, result.output
        outs.append(out)
    names = sorted(p.name for p in (outs[0] / "documents").iterdir())
    assert names == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    for name in names:
        assert (outs[0] / "documents" / name).read_bytes() == (
            outs[1] / "documents" / name
        ).read_bytes()
    rows = pq.read_table(outs[0] / "documents" / names[0]).to_pylist()
    assert [r["id"] for r in rows] == ["p0"]
    assert rows[0]["title"] == "الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل 25 يناير"
    assert "format: parquet" in (outs[0] / "recipe.yaml").read_text(encoding="utf-8")
    assert _stats(outs[0])["kept"] == 3


def test_strict_exit_code_on_damaged_input(tmp_path: Path, cli: Callable[..., Any]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "ok", "text": "fine words here"}\n{broken\n', encoding="utf-8")
    out = tmp_path / "out"
    assert cli("run", str(src), "-o", str(out)).exit_code == 0
    result = cli("run", str(src), "-o", str(out), "--strict")
    assert result.exit_code == 3
    assert "--strict: 1 records rejected for damaged input" in result.output
    assert _stats(out)["rejected_by_reason"]["read.invalid_json"] == 1
