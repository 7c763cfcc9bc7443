"""Work and memory per page are bounded: too many lines, HTML nested too deep (README, "What happens to
bad input")."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gharbal import Document, Recipe, extract_page
from gharbal.extract import Extract, render_html
from gharbal.extract.html import MAX_DEPTH, parse_html, too_deep
from gharbal.extract.lines import count_lines, too_many_lines
from gharbal.extract.sitestats import SiteStats
from gharbal.extract_file import extract_file
from gharbal.step import RunContext

CFG = Recipe().extract
SENTENCE = "The council met on Tuesday and agreed the plan for the new school. "


def _nested(divs: int, inner: str = "deep text") -> str:
    # <html> is level 1, <body> 2: the innermost <div> is nested divs + 2 deep
    return f"<html><body>{'<div>' * divs}{inner}{'</div>' * divs}</body></html>"


def test_count_lines_is_len_of_splitlines() -> None:
    rng = random.Random(7)
    pieces = ["a", "b", " ", "\t", "ب", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
              "\x85", "\u2028", "\u2029"]  # fmt: skip
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randrange(12)))
        assert count_lines(text) == len(text.splitlines()), repr(text)


def test_too_many_lines_counts_every_line_end() -> None:
    assert too_many_lines("a\nb\nc", 3) is None
    assert too_many_lines("a\nb\nc\nd", 3) == 4
    assert too_many_lines("a\u2028b\rc\x85d", 3) == 4  # not only "\n"
    assert too_many_lines("a\r\nb\r\nc", 3) is None  # "\r\n" ends one line
    assert too_many_lines("\n\n\n\n", 3) == 4  # blank lines count: splitting them costs too


def test_page_over_max_lines_is_rejected_before_its_lines_are_made() -> None:
    cfg = Recipe.from_dict({"extract": {"max_lines": 50}}).extract
    text = "\n".join(f"{SENTENCE}{i}" for i in range(51))
    doc = extract_page(Document(id="p", text=text), cfg)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.too_many_lines"
    assert doc.rejection.detail == "51 lines (extract.max_lines 50)"
    assert doc.lines is None
    assert doc.text == text  # left as it was (output.rejected_text keeps it)
    doc = extract_page(Document(id="q", text=text.rsplit("\n", 1)[0]), cfg)
    assert doc.rejection is None
    assert doc.lines is not None
    assert len(doc.lines) == 50


def test_default_max_lines_is_well_above_real_pages() -> None:
    # the development set's longest page has 2,236 lines
    assert CFG.max_lines == 100_000
    doc = extract_page(Document(id="p", text="x\n" * 100_001), CFG)
    assert doc.rejection is not None
    assert doc.rejection.detail == "100001 lines (extract.max_lines 100000)"


def test_extract_step_keeps_the_bound_reason() -> None:
    cfg = Recipe.from_dict({"extract": {"max_lines": 3}}).extract
    doc = Extract(cfg).process(Document(id="p", text="a\nb\nc\nd"))
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.too_many_lines"  # not overwritten by extract.empty


def test_html_rendered_to_too_many_lines_is_rejected_before_site_stats() -> None:
    cfg = Recipe.from_dict({"extract": {"max_lines": 20, "html": {"extractor": "lines"}}}).extract
    html = "<html><body>" + "".join(f"<p>{SENTENCE}{i}</p>" for i in range(21)) + "</body></html>"
    doc = render_html(Document(id="h", html=html), cfg)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.too_many_lines"
    assert doc.rejection.detail == "21 lines (extract.max_lines 20)"
    # the main-content extractor's text is bounded the same way
    main = Recipe.from_dict({"extract": {"max_lines": 20}}).extract
    doc = extract_page(Document(id="h", html=html), main)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.too_many_lines"


def test_site_stats_leave_out_pages_over_the_limit(tmp_path: Path) -> None:
    stats = SiteStats(max_lines=5)
    ok = Document(id="a", text="menu\nhome\nnews", url="https://site.example/a")
    big = Document(id="b", text="menu\nhome\nnews\n1\n2\n3", url="https://site.example/b")
    out = list(stats.observe(iter([ok, big]), RunContext(), tmp_path))
    assert out == [ok, big]  # passed through, untouched
    pages = json.loads((tmp_path / "pages-00000.json").read_text(encoding="utf-8"))
    assert pages == {"site.example": 1}


def test_recipe_default_depth_is_the_module_default() -> None:
    assert CFG.html.max_depth == MAX_DEPTH == 256


def test_too_deep_finds_the_first_element_over_the_limit() -> None:
    assert too_deep(parse_html(_nested(MAX_DEPTH - 2))) is None  # innermost <div>: 256 deep
    assert too_deep(parse_html(_nested(MAX_DEPTH - 1))) == MAX_DEPTH + 1
    assert too_deep(parse_html(_nested(300, "<p>a</p>"))) == 303  # html, body, 300 div, p
    assert too_deep(parse_html(_nested(40)), limit=10) == 42
    assert too_deep(parse_html("")) is None


def test_html_nested_just_over_the_limit_is_rejected() -> None:
    html = _nested(MAX_DEPTH - 1, f"<p>{SENTENCE * 4}</p>")
    doc = extract_page(Document(id="d", html=html), CFG)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.html.too_deep"
    assert doc.rejection.detail == "elements nested at least 258 deep (extract.html.max_depth 256)"
    assert doc.html is None
    doc = extract_page(Document(id="d", html=_nested(MAX_DEPTH - 3, f"<p>{SENTENCE * 4}</p>")), CFG)
    assert doc.rejection is None
    assert SENTENCE.strip() in doc.text


def test_max_depth_is_a_recipe_setting() -> None:
    cfg = Recipe.from_dict({"extract": {"html": {"max_depth": 10}}}).extract
    doc = extract_page(Document(id="d", html=_nested(9, f"<p>{SENTENCE}</p>")), cfg)
    assert doc.rejection is not None
    assert doc.rejection.detail == "elements nested at least 12 deep (extract.html.max_depth 10)"


def test_deep_page_is_found_without_the_quadratic_pass() -> None:
    # 20,000 nested <div>: resiliparse's main-content pass alone takes about 10 s on it
    doc = extract_page(Document(id="d", html=_nested(20_000)), CFG)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.html.too_deep"


def test_rendering_to_lines_is_not_depth_limited() -> None:
    # linear in the nodes however deep: the lines extractor renders the page
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "lines"}}}).extract
    doc = render_html(Document(id="d", html=_nested(2_000, SENTENCE)), cfg)
    assert doc.rejection is None
    assert doc.text == SENTENCE.strip()


@pytest.mark.parametrize("recipe", [{}, {"extract": {"html": {"extractor": "lines"}}}])
def test_extract_file_reports_refused_pages(tmp_path: Path, recipe: dict[str, object]) -> None:
    rows = [
        {"id": "deep", "html": _nested(MAX_DEPTH + 10, SENTENCE)},
        {"id": "long", "text": "x\n" * 40},
        {"id": "good", "text": SENTENCE * 3},
    ]
    src = tmp_path / "pages.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    data = {**recipe, "extract": {**recipe.get("extract", {}), "max_lines": 30}}  # type: ignore[dict-item]
    counts = extract_file(str(src), tmp_path / "out.jsonl", Recipe.from_dict(data))
    refused = [
        json.loads(line)
        for line in (tmp_path / "out.rejected.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    reasons = {r["id"]: r["reason"] for r in refused}
    assert reasons["long"] == "extract.too_many_lines"
    if recipe:
        assert "deep" not in reasons  # rendered to lines
    else:
        assert reasons["deep"] == "extract.html.too_deep"
    assert counts.refused == len(refused)
    assert counts.unreadable == 0
    assert counts.written == len(rows) - len(refused)
