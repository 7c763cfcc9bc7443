"""The report's building blocks: bounded summaries, sites, page reconstruction, part reading."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from gharbal.report.pages import reconstruct, text_direction
from gharbal.report.parts import BadLines, iter_records, shard_parts
from gharbal.report.sketch import BottomK, FrequentItems, LogHistogram, hash64
from gharbal.site import site_of


@given(st.lists(st.text(max_size=8), max_size=60, unique=True), st.integers(0, 10), st.randoms())
def test_bottom_k_is_order_independent_and_mergeable(
    ids: list[str], k: int, rnd: random.Random
) -> None:
    whole: BottomK[str] = BottomK(k)
    for i in ids:
        whole.add(hash64(i), i, i)
    shuffled = ids[:]
    rnd.shuffle(shuffled)
    left: BottomK[str] = BottomK(k)
    right: BottomK[str] = BottomK(k)
    for n, i in enumerate(shuffled):
        (left if n % 2 else right).add(hash64(i), i, i)
    left.merge(right)
    expected = sorted(ids, key=lambda i: (hash64(i), i))[:k]
    assert whole.values() == expected
    assert left.values() == expected


def test_bottom_k_breaks_hash_ties_by_id() -> None:
    sample: BottomK[str] = BottomK(2)
    for tie in ("c", "a", "b"):
        sample.add(7, tie, tie)
    assert sample.values() == ["a", "b"]


def test_frequent_items_exact_under_capacity() -> None:
    fi: FrequentItems[str] = FrequentItems(10)
    for item in "aabbbc":
        fi.add(item)
    fi.finish()
    assert fi.error == 0
    assert fi.most_common(2) == [("b", 3), ("a", 2)]


@given(st.lists(st.integers(0, 40), max_size=400), st.integers(1, 12))
def test_frequent_items_bounds(stream: list[int], capacity: int) -> None:
    """Misra-Gries: at most ``capacity`` counters; each count is short by at most ``error``,
    and ``error`` is at most n / (capacity + 1); merging keeps the same guarantee."""
    half = len(stream) // 2
    a: FrequentItems[int] = FrequentItems(capacity)
    b: FrequentItems[int] = FrequentItems(capacity)
    for x in stream[:half]:
        a.add(x)
    for x in stream[half:]:
        b.add(x)
    a.merge(b)
    a.finish()
    true = Counter(stream)
    assert len(a.counts) <= capacity
    assert a.error <= len(stream) / (capacity + 1)
    for item, n in true.items():
        assert true[item] - a.error <= a.counts.get(item, 0) <= n


def test_log_histogram() -> None:
    h = LogHistogram()
    for v in (0, 1, 5, 10, 99, 1000):
        h.add(v)
    edges, counts = h.edges()
    assert sum(counts) + h.zeros == h.count == 6
    assert edges[0] == 1.0
    assert edges[-1] > 1000
    assert h.quantile(0.5) == pytest.approx(10**0.7)  # the 3rd value, 5, is in [10**0.6, 10**0.7)
    assert h.quantile(0.0) == 0.0


@pytest.mark.parametrize(
    ("url", "metadata", "site"),
    [
        ("https://news.example.co.uk/a?b=1", None, "example.co.uk"),
        ("http://arabic.cnn.com/2013/x.html", {}, "cnn.com"),
        ("https://WWW.Example.COM./", None, "example.com"),
        ("http://192.168.1.2:8080/x", None, "192.168.1.2"),
        ("http://[::1]/x", None, "::1"),
        ("https://co.uk/", None, "co.uk"),
        ("http://localhost/", None, "localhost"),
        ("not a url", None, None),
        ("http://[bad/", None, None),
        (None, None, None),
        ("https://someone.blogspot.com/2020/x.html", None, "someone.blogspot.com"),
        ("www.example.com/no-scheme", None, "example.com"),
        ("https://a.example.com/", {"site": "My-Site "}, "my-site"),
        ("https://a.example.com/", {"site": "  "}, "example.com"),
        ("https://a.example.com/", {"site": 3}, "example.com"),
    ],
)
def test_site_of(url: object, metadata: object, site: str | None) -> None:
    assert site_of(url, metadata) == site


def test_reconstruct_interleaves_by_line_number() -> None:
    removed = [
        {"line_no": 1, "reason": "extract.lines.short", "text": "Menu", "detail": "d"},
        {"line_no": 6, "reason": "extract.lines.repeated", "text": "Share"},
    ]
    lines, notes = reconstruct(
        "first kept\nsecond kept\n\nthird kept", "A title", {"kept": [3, 4, 5], "title": 2}, removed
    )
    assert notes == []
    assert [(ln.no, ln.verdict, ln.text) for ln in lines] == [
        (1, "remove", "Menu"),
        (2, "title", "A title"),
        (3, "keep", "first kept"),
        (4, "keep", "second kept"),
        (5, "keep", "third kept"),
        (6, "remove", "Share"),
    ]
    assert lines[0].reason == "extract.lines.short"
    assert lines[0].detail == "d"


def test_reconstruct_when_things_do_not_fit() -> None:
    removed = [{"line_no": 2, "reason": "r", "text": "gone"}]
    lines, notes = reconstruct("a\nb", None, {"kept": [1], "title": None}, removed)
    assert [ln.no for ln in lines] == [2, None, None]
    assert "later step" in notes[0]
    lines, notes = reconstruct("html text\n\nmore", "T", None, [])
    assert [ln.verdict for ln in lines] == ["keep", "keep"]
    assert "No line map" in notes[0]
    lines, notes = reconstruct(None, None, {"kept": [1, 3], "title": None}, removed)
    assert [ln.text for ln in lines] == ["gone"]
    assert "2 kept line(s)" in notes[0]


def test_text_direction() -> None:
    assert text_direction("ar", "") == "rtl"
    assert text_direction("fa-IR", "hello") == "rtl"
    assert text_direction(None, "مرحبا بالعالم hello") == "rtl"
    assert text_direction("en", "hello مرحبا") == "ltr"
    assert text_direction(None, "12345 ...") == "auto"


def test_parts_in_every_compression(tmp_path: Path) -> None:
    recs = [{"id": "a"}, {"id": "b"}]
    blob = "".join(json.dumps(r) + "\n" for r in recs).encode()
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "part-00000.jsonl.gz").write_bytes(gzip.compress(blob))
    (tmp_path / "documents" / "part-00001.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(blob)
    )
    (tmp_path / "documents" / "part-00002.jsonl").write_bytes(blob + b"not json\n[1]\n")
    (tmp_path / "documents" / "notes.txt").write_text("ignored")
    parts = shard_parts(tmp_path)
    assert list(parts) == [0, 1, 2]
    bad = BadLines()
    for shard in parts.values():
        assert [r["id"] for r in iter_records(shard["documents"][0], bad)] == ["a", "b"]
    assert sum(bad.by_file.values()) == 2


def test_numeric_scores_flatten_and_skip_non_numbers() -> None:
    from gharbal.report.collect import _numeric_scores

    scores = {"a": 1, "b": {"c": 0.5, "d": "x"}, "e": float("nan"), "f": None, "g": True}
    assert _numeric_scores(scores) == {"a": 1.0, "b.c": 0.5, "g": 1.0}
    assert _numeric_scores(["not", "a", "dict"]) == {}
