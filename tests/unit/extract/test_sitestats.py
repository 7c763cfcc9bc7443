"""Cross-page site statistics: the site of a page, the stage's files, and what extraction gains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gharbal import Document, RunContext
from gharbal.executors.local import LocalExecutor
from gharbal.extract.sitestats import (
    PARTITIONS,
    SiteStats,
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
def test_url_sites(url: str, site: str | None) -> None:
    assert site_of(Document(id="a", url=url)) == site


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


def test_site_statistics_are_on_by_default_and_can_be_turned_off() -> None:
    from gharbal.extract.sitestats import SiteStats as Stage
    from gharbal.recipe import Recipe
    from gharbal.runner.steps import build_steps

    assert Recipe().extract.lines.site_stats is True
    assert any(isinstance(s, Stage) for s in build_steps(Recipe()))
    off = Recipe.from_dict({"extract": {"lines": {"site_stats": False}}})
    assert not any(isinstance(s, Stage) for s in build_steps(off))


def test_form_hashes_follow_line_forms_with_and_without_the_scanner() -> None:
    from gharbal.extract.features import NATIVE_SCAN, form_hashes, line_form

    lines = [
        "الرئيسية",
        "تابعنا عبر",
        "3 تعليقات",
        "12 تعليقات",
        "١٢ تعليقات",
        "الـرئيسـية",
        "Hello, World!",
        "hello world",
        "ÉCOLE",
        "école",
        "***",
        "— — —",
        "東京都 2024年",
        "東京都 1999年",
        "x²",
        "a" * 300,
        "a" * 301,
    ]
    hashed = form_hashes(lines, native=False)
    assert hashed.dtype == np.uint64
    if NATIVE_SCAN:
        assert form_hashes(lines).tolist() == hashed.tolist()
    forms = [line_form(t) for t in lines]
    for i in range(len(lines)):
        for j in range(len(lines)):
            assert (forms[i] == forms[j]) == (hashed[i] == hashed[j]), (lines[i], lines[j])
    assert form_hashes([]).size == 0


def test_a_site_of_one_page_gives_the_features_of_no_site() -> None:
    from tests.conftest import SEED

    from gharbal.extract.features import SiteCounts, measure_page
    from gharbal.extract.model import load_model
    from gharbal.step import split_lines

    lines = split_lines(SEED.read_text(encoding="utf-8"))
    lexicon = load_model().lexicon
    alone = measure_page(lines, lexicon, SiteCounts(pages=1, lines=[1] * len(lines)))
    assert np.array_equal(alone.matrix, measure_page(lines, lexicon, None).matrix)


def _alone_pages() -> list[dict[str, str]]:
    from tests.conftest import SEED

    return [
        {"id": "seed", "url": "https://seed.example/1", "text": SEED.read_text(encoding="utf-8")},
        {"id": "nosite", "text": SEED.read_text(encoding="utf-8")},
        {"id": "other", "url": "https://other.example/x", "text": _site_pages(1)[0]["text"]},
    ]


def test_a_page_alone_on_its_site_comes_out_as_without_statistics(tmp_path: Path) -> None:
    from tests.conftest import read_parts

    import gharbal

    records = _site_pages(6) + _alone_pages()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    outs = {}
    for flag in (True, False):
        recipe = gharbal.Recipe.from_dict({"extract": {"lines": {"site_stats": flag}}})
        outs[flag] = tmp_path / f"out-{flag}"
        gharbal.run([str(src)], outs[flag], recipe)
    assert (outs[True] / "stages" / "01-site_stats").is_dir()
    assert not (outs[False] / "stages").exists()
    for kind in ("documents", "removed_lines", "lines", "rejected"):
        with_stats, without = (
            [r for r in read_parts(outs[flag], kind) if r["id"] in {"seed", "nosite", "other"}]
            for flag in (True, False)
        )
        assert with_stats == without, kind
    # The town's pages do change: their shared sponsor line goes as a site repeat.
    removed = read_parts(outs[True], "removed_lines")
    sponsor = [r for r in removed if r["text"].startswith("Sponsored by") and r["id"][0] == "p"]
    assert len(sponsor) == 6
    assert {(r["reason"], r["detail"]) for r in sponsor} == {("extract.chrome.site_repeated", "x5")}


def _many_pages(shards: int, sites: int, per_site: int, lines: int) -> list[list[Document]]:
    """Pages with chrome shared on each site and lines of their own, dealt out to shards."""

    def word(n: int) -> str:  # digits are folded in line forms: letters tell lines apart
        return "".join(chr(ord("a") + int(d)) for d in str(n))

    docs = []
    for s in range(sites):
        for k in range(per_site):
            own = [f"line {word(j)} of page {word(k)} on site {word(s)}" for j in range(lines)]
            chrome = [f"menu {word(m)} of site {word(s)}" for m in range(5)]
            text = "\n".join(chrome[:3] + own + chrome[3:] + ["Home"])
            docs.append(Document(id=f"{s}-{k}", url=f"https://s{s}.example/{k}", text=text))
    return [docs[r::shards] for r in range(shards)]


def _stage_files(workdir: Path) -> dict[str, bytes]:
    names = ["sites.jsonl", "summary.json"] + [
        f"{t}-{p:02d}.{c}.npy"
        for p in range(PARTITIONS)
        for t, c in (("lines", "keys"), ("lines", "counts"), ("sites", "keys"), ("sites", "pages"))
    ]
    return {name: (workdir / name).read_bytes() for name in names}


def test_finalize_counts_in_bounded_pieces_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gharbal.extract.sitestats as sitestats

    shards = _many_pages(shards=5, sites=4, per_site=9, lines=200)
    for name in ("big", "small"):
        for rank, part in enumerate(shards):
            list(SiteStats().observe(iter(part), RunContext(rank=rank), tmp_path / name))
    per_partition = [
        sum(f.stat().st_size for f in (tmp_path / "small").glob(f"keys-*-{p:02d}.u64")) // 8
        for p in range(PARTITIONS)
    ]
    assert max(per_partition) > 2 * 1024  # several runs in a partition
    SiteStats().finalize(tmp_path / "big", 5, LocalExecutor(1))
    monkeypatch.setattr(sitestats, "MEMORY_BYTES", 1)  # 1,024 keys a piece, 16 a merged chunk
    monkeypatch.setattr(sitestats, "MERGE_FILES", 2)  # sites.jsonl merged over three levels
    SiteStats().finalize(tmp_path / "small", 5, LocalExecutor(1))
    big, small = _stage_files(tmp_path / "big"), _stage_files(tmp_path / "small")
    assert big == small
    summary = json.loads(big["summary.json"])
    assert (summary["sites"], summary["pages"], summary["sites_with_5_pages"]) == (4, 36, 4)
    assert summary["shared_lines"] == 4 * 6  # five menu lines and "Home" on each site
    assert not list((tmp_path / "small").glob("runs-*"))
    assert not list((tmp_path / "small").glob("*.u64"))
    # A finalize run again (a resumed run interrupted after it) keeps the counted partitions.
    SiteStats().finalize(tmp_path / "small", 5, LocalExecutor(1))
    assert _stage_files(tmp_path / "small") == big
    stage = SiteStats()
    doc = shards[0][0]
    counts = stage.counts_for(doc, tmp_path / "small")
    assert counts is not None
    assert counts.pages == 9
    assert list(counts.lines) == [9, 9, 9] + [1] * 200 + [9, 9, 9]


def test_run_cli_turns_site_statistics_off(tmp_path: Path, cli: Any) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in _site_pages(4)), encoding="utf-8")
    for flags, stage in (((), True), (("--no-site-stats",), False), (("--site-stats",), True)):
        out = tmp_path / f"out-{len(flags)}-{stage}"
        result = cli("run", str(src), "-o", str(out), *flags)
        assert result.exit_code == 0, result.output
        assert (out / "stages" / "01-site_stats").is_dir() == stage
        recipe = (out / "recipe.yaml").read_text(encoding="utf-8")
        assert f"site_stats: {'true' if stage else 'false'}" in recipe
    off = tmp_path / "off.yaml"
    off.write_text("extract: {lines: {site_stats: false}}\n", encoding="utf-8")
    out = tmp_path / "out-recipe"
    assert cli("run", str(src), "-o", str(out), "--recipe", str(off)).exit_code == 0
    assert not (out / "stages").exists()
    out = tmp_path / "out-recipe-flag"
    assert cli("run", str(src), "-o", str(out), "--recipe", str(off), "--site-stats").exit_code == 0
    assert (out / "stages" / "01-site_stats").is_dir()


def test_a_line_on_no_other_page_is_never_called_a_site_repeat(tmp_path: Path) -> None:
    """The two pages of one blog in the bundled sample: with their statistics, every line removed
    as ``extract.chrome.site_repeated`` is on the other page (``x1``), never on none (``x0``)."""
    import gzip
    from importlib.resources import files

    from gharbal import Recipe, extract_page

    sample = files("gharbal") / "data/sample/crawl.jsonl.gz"
    records = [json.loads(x) for x in gzip.decompress(sample.read_bytes()).splitlines()]
    docs = [
        Document(id=r["id"], url=r["url"], text=r["text"])
        for r in records
        if "comoeducarseusfilhos" in (r.get("url") or "")
    ]
    assert len(docs) == 2
    stats = SiteStats()
    list(stats.observe(iter(docs), RunContext(), tmp_path))
    stats.finalize(tmp_path, 1, LocalExecutor(1))
    details = []
    for doc in docs:
        extract_page(doc, Recipe().extract, stats.counts_for(doc, tmp_path))
        assert doc.lines is not None
        details += [ln.detail for ln in doc.lines if ln.reason == "extract.chrome.site_repeated"]
    assert details  # the author's box, the blog's blurb, the same "related" headlines
    assert set(details) == {"x1"}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_progress_callback_hears_of_each_document_once(tmp_path: Path, workers: int) -> None:
    """Site statistics make two phases; a plain callback counts documents written, once each."""
    import gharbal

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in _site_pages(5)), encoding="utf-8")
    seen: list[int] = []
    stats = gharbal.run([str(src)], tmp_path / "out", gharbal.Recipe(workers=workers), seen.append)
    assert stats.input == sum(seen) == 5
