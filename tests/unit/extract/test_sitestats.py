"""Cross-page site statistics: the site of a page, the stage's files, and what extraction gains."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gharbal import Document, RunContext
from gharbal.executors.local import LocalExecutor
from gharbal.extract.sitestats import (
    PARTITIONS,
    SiteStats,
    SiteStatsMemory,
    registered_domain,
    site_of,
)


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.aljazeera.net/news/2024/1/1/x", "aljazeera.net"),
        ("http://news.bbc.co.uk/2/hi/middle_east/1.stm", "bbc.co.uk"),
        ("https://www.ahram.org.eg/News/1.aspx", "ahram.org.eg"),
        ("https://arabic.sputniknews.com/world/1/", "sputniknews.com"),
        ("https://example.com:8080/a", "example.com"),
        ("https://192.168.0.1/a", "192.168.0.1"),
        ("not a url", None),
        ("", None),
    ],
)
def test_registered_domain(url: str, site: str | None) -> None:
    assert registered_domain(url) == site


def test_site_field_wins_over_url() -> None:
    assert site_of(Document(id="a", url="https://x.com/1", metadata={"site": "Y.org"})) == "y.org"
    assert site_of(Document(id="a", url="https://www.x.com/1")) == "x.com"
    assert site_of(Document(id="a")) is None


def _pages() -> list[Document]:
    chrome = ["الرئيسية", "تابعنا عبر", "جميع الحقوق محفوظة 2024"]
    docs = []
    for i in range(5):
        body = f"هذا نص المقال رقم {i} وهو مختلف في كل صفحة من صفحات الموقع {'ب' * i}"
        docs.append(
            Document(
                id=f"p{i}",
                url=f"https://www.example-news.com/a/{i}",
                text="\n".join([chrome[0], body, chrome[1], f"{i + 3} تعليقات", chrome[2]]),
            )
        )
    docs.append(Document(id="alone", url="https://other.org/x", text="سطر\nسطر آخر"))
    return docs


def test_stage_counts_lines_per_site_across_shards(tmp_path: Path) -> None:
    stats = SiteStats()
    docs = _pages()
    for rank, part in enumerate((docs[:2], docs[2:])):
        ctx = RunContext(rank=rank, num_shards=2)
        passed = list(stats.observe(iter(part), ctx, tmp_path))
        assert passed == part
    stats.finalize(tmp_path, 2, LocalExecutor(1))
    sites = [json.loads(x) for x in (tmp_path / "sites.jsonl").read_text().splitlines()]
    assert {s["site"]: s["pages"] for s in sites} == {"example-news.com": 5, "other.org": 1}
    assert json.loads((tmp_path / "summary.json").read_text())["sites_with_5_pages"] == 1
    assert len(list(tmp_path.glob("lines-*.keys.npy"))) == PARTITIONS
    assert not list(tmp_path.glob("keys-*"))  # shard files are merged away
    keys = np.load(next(tmp_path.glob("lines-*.keys.npy")), allow_pickle=False)
    assert keys.dtype == np.dtype("<u8")

    out = list(stats.apply(iter(docs), RunContext(), tmp_path))
    first = out[0].site_lines
    assert first is not None
    pages, per_line = first
    # chrome on every page; the body differs; "N comments" is the same template with digits folded
    assert (pages, per_line) == (5, (5, 1, 5, 5, 5))
    assert out[-1].site_lines is None  # a site with one page has no statistics


def test_memory_statistics_match_the_stage(tmp_path: Path) -> None:
    docs = _pages()
    memory = SiteStatsMemory()
    for doc in docs:
        memory.add(doc)
    stats = SiteStats()
    list(stats.observe(iter(docs), RunContext(), tmp_path))
    stats.finalize(tmp_path, 1, LocalExecutor(1))
    for doc in docs:
        a, b = memory.counts_for(doc), stats.counts_for(doc, tmp_path)
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert (a.pages, list(a.lines)) == (b.pages, list(b.lines))


def _site_pages(n: int) -> list[dict[str, str]]:
    body = (
        "The council met on Tuesday evening and agreed, after a long debate, to extend the "
        "opening hours of the public library during the summer months. "
    )
    return [
        {
            "id": f"p{i}",
            "url": f"https://www.town-news.example/2024/{i}",
            "text": "\n".join(
                [
                    "Town News",
                    "Weekly digest for residents",
                    f"Story {i}: {body * 2}",
                    f"Residents asked about item {i} said they welcomed it. {body}",
                    "Sponsored by the regional chamber of commerce and its members",
                ]
            ),
        }
        for i in range(n)
    ]


def test_run_has_an_inspectable_site_stats_stage(tmp_path: Path) -> None:
    from tests.conftest import read_parts

    import gharbal

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in _site_pages(6)), encoding="utf-8")
    out = tmp_path / "out"
    recipe = gharbal.Recipe.from_dict({"extract": {"lines": {"site_stats": True}}})
    stats = gharbal.run([str(src)], out, recipe)
    assert stats.input == 6
    stage = out / "stages" / "01-site_stats"
    assert json.loads((stage / "summary.json").read_text())["sites"] == 1
    sites = [json.loads(x) for x in (stage / "sites.jsonl").read_text().splitlines()]
    assert sites[0]["site"] == "town-news.example"
    assert sites[0]["pages"] == 6
    assert "site_stats" in stats.step_seconds
    removed = read_parts(out, "removed_lines")
    sponsored = [r for r in removed if r["text"].startswith("Sponsored by")]
    assert len(sponsored) == 6
    docs = read_parts(out, "documents")
    assert all("Story" in d["text"] for d in docs)
    assert all("site_lines" not in d for d in docs)


def test_extract_uses_site_stats_unless_told_not_to(tmp_path: Path) -> None:
    from tests.conftest import read_jsonl

    from gharbal import extract_file

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in _site_pages(6)), encoding="utf-8")
    with_stats, without = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert extract_file(str(src), with_stats) == (6, 0, 0, 0)
    assert extract_file(str(src), without, site_stats=False) == (6, 0, 0, 0)
    a, b = read_jsonl(with_stats), read_jsonl(without)
    assert [r["id"] for r in a] == [r["id"] for r in b] == [f"p{i}" for i in range(6)]
    assert all("Sponsored by" not in r["text"] for r in a)
