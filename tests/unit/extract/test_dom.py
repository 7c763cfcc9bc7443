"""DOM features of rendered lines (`gharbal.extract.dom`): alignment, flags, bounds."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("resiliparse")

from gharbal.extract.dom import DOM_FEATURES, _class_bits, describe, dom_features
from gharbal.extract.html import html_to_lines

COL = {name: i for i, name in enumerate(DOM_FEATURES)}

PAGE = """<!doctype html><html><head><title>T</title><style>p{}</style></head><body>
<header class="site-header"><nav><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li>
</ul></nav></header>
<div id="wrap"><article class="post-content">
<h1>A river runs dry in the valley</h1>
<p>The river that fed the valley for a thousand years ran dry this summer, farmers said on Monday,
as the heat wave entered its third week.</p>
<p>Officials promised <a href="/x">water trucks</a> for the villages along its banks, and said
the reservoir upstream would be opened within days.</p>
<ul><li>Two villages left without water</li><li>Wells dug deeper</li></ul>
<table><tr><td>Rainfall</td><td>12 mm</td></tr></table>
</article>
<aside class="related-stories"><h3>Most read</h3><a href="/a">Another headline here</a></aside>
</div>
<footer class="footer"><p>Copyright 2024 The Valley Times</p></footer>
<script>var x = "not text";</script>
</body></html>"""


def _features(html: str) -> tuple[list[str], np.ndarray]:
    lines = html_to_lines(html)[1].splitlines()
    return lines, dom_features(html, lines)


def _row(lines: list[str], m: np.ndarray, start: str) -> dict[str, float]:
    (i,) = [k for k, line in enumerate(lines) if line.startswith(start)]
    return {name: float(m[i, j]) for name, j in COL.items()}


def test_each_rendered_line_gets_what_its_markup_says() -> None:
    lines, m = _features(PAGE)
    assert m.shape == (len(lines), len(DOM_FEATURES))
    assert (m[:, COL["dom_known"]] == 1).all()  # every line found in the tree
    home = _row(lines, m, "Home")
    assert home["dom_in_nav"] == 1
    assert home["dom_in_header"] == 1
    assert home["dom_in_li"] == 1
    assert home["dom_class_header"] >= 0
    assert home["dom_link_share"] == 1.0
    assert home["dom_main50"] == 0
    title = _row(lines, m, "A river runs dry")
    assert title["dom_in_h1"] == 1
    assert title["dom_in_article"] == 1
    assert title["dom_class_content"] >= 0
    assert title["dom_in_nav"] == 0
    para = _row(lines, m, "Officials promised")
    assert para["dom_in_p"] == 1
    assert para["dom_main80"] == 1
    assert 0 < para["dom_link_share"] < 0.2  # "watertrucks" of the line's characters
    assert _row(lines, m, "Wells dug deeper")["dom_in_li"] == 1
    assert _row(lines, m, "Rainfall")["dom_in_table"] == 1
    related = _row(lines, m, "Another headline")
    assert related["dom_in_aside"] == 1
    assert related["dom_class_related"] >= 0
    assert related["dom_main50"] == 0
    assert related["dom_link_share"] == 1.0
    foot = _row(lines, m, "Copyright")
    assert foot["dom_in_footer"] == 1
    assert foot["dom_class_footer"] >= 0
    assert foot["dom_link_share"] == 0
    assert foot["dom_in_time"] == 0
    assert foot["dom_class_nav"] == -1
    # Lines of one block share its container; a block's last line does not share the next's.
    assert _row(lines, m, "Two villages")["dom_same_box_next"] == 1
    assert not any("not text" in line for line in lines)


def test_the_nearest_class_name_is_the_closest_ancestor_s() -> None:
    page = PAGE.replace("<p>Officials", '<div class="comments"><p class="reply">Officials')
    page = page.replace("within days.</p>", "within days.</p></div>")
    page = page.replace('<article class="post-content">', '<article class="post discussion">')
    page = page.replace("</table>", "</table>" + "<p>More of the article, long enough.</p>" * 3)
    lines, m = _features(page)
    para = _row(lines, m, "Officials promised")
    assert para["dom_class_comment"] == 1  # its own <p class="reply"> (the text is one level down)
    assert para["dom_class_content"] == 3  # <p>, <div>, then the <article class="post ...">
    title = _row(lines, m, "A river runs dry")
    assert title["dom_class_comment"] == 2  # the <article>'s "discussion", above the <h1>
    assert title["dom_class_content"] == 2
    assert title["dom_class_footer"] == -1
    # The <article> holds most of the page's text (the inner comments, less): how much, a column.
    assert title["dom_chrome_page_share"] > 0.7
    assert 0 < para["dom_chrome_page_share"] < 0.3  # its <div class="comments">
    assert _row(lines, m, "Home")["dom_chrome_page_share"] < 0.1  # its <header class="site-header">
    assert _row(lines, m, "Rainfall")["dom_chrome_page_share"] > 0.7  # in the <article>


@pytest.mark.parametrize("share", [0.25, 0.5, 0.9])
def test_how_much_of_the_page_a_chrome_name_holds_is_measured(share: float) -> None:
    body = "<p>A sentence of the thread, one of many posted here today.</p>"
    n = 20
    inside = round(n * share)
    page = (
        f'<html><body><div class="comments">{body * inside}</div>'
        f"<div>{body * (n - inside)}</div></body></html>"
    )
    _lines, m = _features(page)
    assert m[0, COL["dom_class_comment"]] == 2  # <div>, <p>, then the text
    assert m[0, COL["dom_chrome_page_share"]] == pytest.approx(share, abs=1e-6)
    assert m[-1, COL["dom_chrome_page_share"]] == -1  # no chrome name above it


@pytest.mark.parametrize(
    "names",
    [
        "row margin-bottom",  # CSS utilities
        "kb-overflow-hidden",
        "hidden-xs",  # hidden on phones only
        "o-section--has-ads",  # a BEM modifier
        "field--label-hidden",
        "site__main--no-sidebar",
        "with-right-rail",  # an optional feature
        "post-5 post type-post status-publish category-news tag-rain",  # WordPress post_class
        "commentary",  # words that only start like a family word
        "post-commented",
        "screenshot",
        "shared-layout",
    ],
)
def test_class_tokens_that_style_or_state_name_no_chrome(names: str) -> None:
    from gharbal.extract.dom import CLASS_NAMES

    bits = _class_bits(names)
    assert {n for j, n in enumerate(CLASS_NAMES) if bits >> (32 + j) & 1} <= {"content"}


def test_the_page_classes_on_body_and_html_name_no_block() -> None:
    # Sites list feature flags on <body> ("f_ad_timeout_on ..."): they would mark every line.
    flagged = PAGE.replace("<body>", '<body class="f_ad_on sidebar-left comments-on footer-x">')
    flagged = flagged.replace("<html>", '<html class="no-js share-menu">')
    lines, m = _features(flagged)
    para = _row(lines, m, "Officials promised")
    for family in ("ad", "side", "comment", "footer", "share", "nav"):
        assert para[f"dom_class_{family}"] == -1


def test_lines_not_in_the_html_are_unknown_and_alignment_goes_on() -> None:
    lines = html_to_lines(PAGE)[1].splitlines()
    lines.insert(3, "a line the page does not have")
    m = dom_features(PAGE, lines)
    assert m[3, COL["dom_known"]] == 0
    assert (m[3, 1:] == -1).all()
    assert (np.delete(m[:, COL["dom_known"]], 3) == 1).all()
    assert describe(m[3]) == "not found in the HTML"


def test_many_lines_missing_from_the_html_stay_unknown() -> None:
    # Each failed search is bounded; past a budget linear in the text, lines are not searched.
    lines = [f"missing line number {i}" for i in range(20_000)]
    m = dom_features(PAGE, lines)
    assert (m[:, COL["dom_known"]] == 0).all()


def test_same_page_same_bytes_and_empty_pages() -> None:
    a = _features(PAGE)[1]
    b = _features(PAGE)[1]
    assert a.tobytes() == b.tobytes()
    assert dom_features("<html><body></body></html>", []).shape == (0, len(DOM_FEATURES))
    m = dom_features("<html><body></body></html>", ["x"])
    assert m[0, COL["dom_known"]] == 0


def test_tag_and_class_flags_are_distinct_bits() -> None:
    from gharbal.extract.dom import _CLASS_BIT, _TAG_BIT

    bits = [*_TAG_BIT.values(), *_CLASS_BIT.values()]
    assert len(set(bits)) == len(bits)
    assert all(b & (b - 1) == 0 for b in bits)
    assert not any(t & c for t in _TAG_BIT.values() for c in _CLASS_BIT.values())


@pytest.mark.parametrize(
    ("names", "families"),
    [
        ("site-footer", {"footer"}),
        ("postContent", {"content"}),
        ("article-body main", {"content"}),
        ("shareButtons", {"share"}),
        ("mostRead", {"related"}),
        ("ad-slot", {"ad"}),
        ("address shadow", set()),  # "ad" only as a whole part
        ("comments-list", {"comment"}),
        ("tag-cloud", {"meta"}),  # WordPress taxonomy only on a post's own element
        ("screen-reader-text", {"hidden", "content"}),
        ("is-hidden sidebar-left", {"hidden", "side"}),
    ],
)
def test_class_names_are_matched_by_their_parts(names: str, families: set[str]) -> None:
    from gharbal.extract.dom import CLASS_NAMES

    bits = _class_bits(names)
    assert {n for j, n in enumerate(CLASS_NAMES) if bits >> (32 + j) & 1} == families


def test_extractor_dom_keeps_lists_and_tables_of_the_article_and_drops_the_chrome() -> None:
    from gharbal.document import Document, Verdict
    from gharbal.extract import extract_page, render_html
    from gharbal.recipe import Recipe

    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "dom"}}}).extract
    doc = extract_page(Document(id="h", html=PAGE), cfg)
    assert doc.rejection is None
    assert doc.html is None
    assert doc.lines is not None
    verdict = {ln.text: ln for ln in doc.lines}
    assert doc.title == "A river runs dry in the valley"
    for content in ("The river that fed", "Officials promised", "Two villages", "Wells dug"):
        (line,) = [ln for text, ln in verdict.items() if text.startswith(content)]
        assert line.verdict is Verdict.KEEP, (line.text, line.reason, line.detail)
    for chrome in ("Home", "World", "Another headline here", "Copyright 2024 The Valley Times"):
        assert verdict[chrome].verdict is Verdict.REMOVE
        assert verdict[chrome].reason
    # Rendered first for site statistics (the HTML kept for the DOM features), then extracted:
    # the same result.
    again = render_html(Document(id="h", html=PAGE), cfg)
    assert again.html == PAGE
    assert again.text.splitlines()[0] == "Home"
    extract_page(again, cfg)
    assert again.text == doc.text
    assert again.html is None


def test_a_dom_model_on_text_input_reads_every_dom_column_as_unknown() -> None:
    from gharbal.document import Document
    from gharbal.extract import extract_page
    from gharbal.recipe import Recipe

    cfg = Recipe.from_dict({"extract": {"lines": {"model": "lines_dom_v2"}}}).extract
    text = html_to_lines(PAGE)[1]
    doc = extract_page(Document(id="t", text=text), cfg)
    assert doc.rejection is None
    assert "The river that fed" in doc.text


def test_extractor_dom_refuses_pages_nested_deeper_than_max_depth() -> None:
    # selectolax's parser (the DOM walk's) is quadratic in the depth: such pages are refused
    # before it runs, as extractor resiliparse refuses them before its main-content pass.
    from gharbal.document import Document
    from gharbal.extract import extract_page, render_html
    from gharbal.recipe import Recipe

    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "dom", "max_depth": 64}}}).extract
    deep = "<html><body>" + "<div>" * 100 + "Deep text." + "</div>" * 100 + "</body></html>"
    for doc in (
        extract_page(Document(id="d", html=deep), cfg),
        render_html(Document(id="d", html=deep), cfg),
    ):
        assert doc.rejection is not None
        assert doc.rejection.reason == "extract.html.too_deep"
        assert doc.rejection.detail.startswith(
            "elements nested at least 102 deep"
        )  # html, body, 100 div
        assert doc.html is None
    shallow = deep.replace("<div>" * 100, "<div>" * 50).replace("</div>" * 100, "</div>" * 50)
    assert extract_page(Document(id="s", html=shallow), cfg).rejection is None


def test_when_the_main_container_is_body_every_line_inside_it_is_in_main() -> None:
    # No wrapper holds half the paragraph text: <body> is the main container, so the lines of
    # the blocks below it are inside it too.
    page = (
        "<html><body><div><p>First block of the article, a paragraph of plain prose text.</p>"
        "</div><div><p>Second block of the article, another paragraph of plain prose.</p></div>"
        "<section><p>Third block, again a paragraph of prose text of the article.</p></section>"
        "</body></html>"
    )
    lines, m = _features(page)
    assert len(lines) == 3
    assert (m[:, COL["dom_main50"]] == 1).all()
    assert (m[:, COL["dom_main80"]] == 1).all()
    # Link text inside a paragraph is not paragraph text.
    _, m2 = _features(page.replace("First block", '<a href="/x">First block</a>'))
    assert m2[0, COL["dom_box_p_share"]] < m[0, COL["dom_box_p_share"]]


def test_the_h1_names_the_page_when_the_text_finds_no_headline() -> None:
    # The Arabic headline's words come back in the body with other prefixes (المفاوضات /
    # مفاوضات), so the text's headline rule finds none; the page's <h1>, removed by the
    # classifier, is the title (the text is the same either way).
    import json
    from pathlib import Path

    from gharbal.document import Document, Verdict
    from gharbal.extract import extract_page
    from gharbal.recipe import Recipe

    pages = Path(__file__).parents[2] / "fixtures" / "pages" / "arabic_alone.jsonl"
    rec = json.loads(pages.read_text(encoding="utf-8").splitlines()[0])
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "dom"}}}).extract
    doc = extract_page(Document(id="a", html=rec["html"]), cfg)
    assert doc.title == rec["title"]
    assert doc.lines is not None
    (title,) = [ln for ln in doc.lines if ln.verdict is Verdict.TITLE]
    assert title.text == rec["title"]
    assert rec["title"] not in doc.text


def test_the_rendering_drops_formula_sources_ruby_and_soft_hyphens_and_still_aligns() -> None:
    page = (
        "<html><body><p>Given a set of <math><semantics><mi>N</mi>"
        '<annotation encoding="application/x-tex">{\\displaystyle N}</annotation></semantics>'
        "</math> high-dimensional objects</p>"
        "<p>Wäh&shy;rend Sie <ruby>漢<rt>かん</rt>字<rp>(じ)</rp></ruby> über den Markt "
        "schlen&shy;dern, cafe\u0301</p></body></html>"
    )
    lines, m = _features(page)
    # The formula reads as itself, not as its TeX; a ruby text without its readings; words
    # without soft hyphens, composed (NFC): as a reader sees them and as gold text has them.
    assert lines == [
        "Given a set of N high-dimensional objects",
        "Während Sie 漢字 über den Markt schlendern, café",
    ]
    assert (m[:, COL["dom_known"]] == 1).all()
