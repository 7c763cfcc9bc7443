"""Work and memory per page are bounded: too many lines, HTML nested too deep, HTML the parser would
blow up (README, "What happens to bad input")."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gharbal import Document, Recipe, extract_page
from gharbal.extract import Extract, render_html
from gharbal.extract.html import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    _estimate,
    parse_html,
    too_complex,
    too_deep,
)
from gharbal.extract.lines import count_lines, too_many_lines
from gharbal.extract.sitestats import SiteStats
from gharbal.runner.extract import extract_file
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
    pages = (tmp_path / "pages-00000.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in pages] == [["site.example", 1]]


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


def _elements(html: str) -> int:
    """How many elements resiliparse's parser makes of ``html``."""
    tree = parse_html(html)
    return len(tree.document.query_selector_all("*")) if tree.document is not None else 0


def _repeat(snippet: str, n: int, tail: str = "<p>x") -> str:
    """``snippet`` n times (``{k}``: its index, so that no two are alike), then ``tail`` n times."""
    return "<html><body>" + "".join(snippet.replace("{k}", str(k)) for k in range(n)) + tail * n


# 229 KB: the parser re-opens every earlier <b> in each <div>: 50 million elements, 48 s, gigabytes
BLOWUP = _repeat("<div><b id={k}>x</div>", 10_000, tail="")


def test_recipe_default_elements_is_the_module_default() -> None:
    assert CFG.html.max_elements == MAX_ELEMENTS == 2_500_000


@pytest.mark.parametrize("extractor", ["resiliparse", "lines"])
def test_formatting_blowup_is_rejected_before_it_is_parsed(extractor: str) -> None:
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": extractor}}}).extract
    for step in (extract_page, render_html):
        doc = step(Document(id="b", html=BLOWUP), cfg)
        if step is render_html and extractor != "lines":
            assert doc.rejection is None  # rendered by extract_page
            assert doc.html == BLOWUP
            continue
        assert doc.rejection is not None
        assert doc.rejection.reason == "extract.html.too_complex"
        assert doc.rejection.detail.endswith(
            " elements estimated (extract.html.max_elements 2500000)"
        )
        assert doc.html is None


def test_trafilatura_is_not_element_limited() -> None:
    # lxml's parser does not re-open formatting elements: the page takes it 0.7 s and 66 MB
    pytest.importorskip("trafilatura")
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "trafilatura"}}}).extract
    doc = extract_page(Document(id="b", html=BLOWUP), cfg)
    assert doc.rejection is None
    assert doc.text.startswith("x")


def test_page_just_over_max_elements_is_rejected() -> None:
    html = _repeat("<div><b id={k}>x</div>", 30, tail="") + f"<p>{SENTENCE * 4}</p>"
    est = _estimate(html, 10**18)
    over = Recipe.from_dict({"extract": {"html": {"max_elements": est - 1}}}).extract
    doc = extract_page(Document(id="c", html=html), over)
    assert doc.rejection is not None
    assert doc.rejection.reason == "extract.html.too_complex"
    assert doc.rejection.detail == (
        f"at least {est} elements estimated (extract.html.max_elements {est - 1})"
    )
    at = Recipe.from_dict({"extract": {"html": {"max_elements": est}}}).extract
    doc = extract_page(Document(id="c", html=html), at)
    assert doc.rejection is None
    assert SENTENCE.strip() in doc.text


# Pages whose formatting elements the parser keeps re-opening although an end tag seems to close
# them: an end tag ignored inside a table, a template, an svg; after 8 blocks (the adoption agency
# gives up); or no end tag at all, only text that looks like one (in a textarea, a bogus comment,
# an attribute, an escaped script, svg content...). Each makes about n * n / 2 elements.
LEAKS = {
    "unclosed": "<div><b id={k}>x</div>",
    "table": "<div><b id={k}><table></b></table></div>",
    "template": "<div><b id={k}><table><template></table></template></b></table></div>",
    "adoption agency": "<div><b id={k}>" + "<div>" * 9 + "</b>" + "</div>" * 10,
    "textarea": "<div><b id={k}><textarea></b></textarea></div>",
    "bogus comment": "<div><b id={k}></ </b></div>",
    "attribute": "<div><b id={k}><i title='</b>'></i></div>",
    "escaped script": "<div><b id={k}><script><!--<script></script></b></script></div>",
    "select": "<div><b id={k}><select></b></select></div>",
    "svg cdata": "<div><b id={k}><svg><![CDATA[</b>]]></svg></div>",
    "math": "<div><b id={k}><math><mi></b></mi></math></div>",
    "template column": "<div><b id={k}><template><col><iframe></template></div>",
    "svg style": "<svg><style><div><b id={k}>x</div>",
    "nested a": "<div><a id={k}><div>" + "<div>" * 8 + "<a id=z{k}>y</a></div>",
}


@pytest.mark.parametrize("snippet", LEAKS.values(), ids=LEAKS.keys())
def test_estimate_is_never_below_the_elements_built(snippet: str) -> None:
    html = _repeat(snippet, 150)
    built = _elements(html)
    assert too_complex(html, built - 1) is not None, built


def test_attributes_copied_into_every_reopened_element_count() -> None:
    # 40 formatting elements (3 copies of each name at most are kept) re-opened at every <p>: with
    # 10,000-character titles, 4,000 <p>x take 1.6 GB of attribute copies, with short ones 72 MB
    names = ["b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong"]
    names += ["tt", "u"]

    def page(title: str) -> str:
        tags = "".join(f'<{t} title="{title}">' * 3 for t in names) + f'<a title="{title}">'
        return f"<html><body><div>{tags}</div>" + "<p>x" * 4_000

    assert too_complex(page("x" * 10)) is None
    assert too_complex(page("x" * 10_000)) is not None


def _dev_like_page() -> str:
    """A page as real pages are: a menu of links with icons, a table layout, an article with
    inline formatting, a form, scripts holding HTML in strings, comments, a footer."""
    icon = '<svg viewBox="0 0 8 8"><title>go</title><path d="M0 0h8v8z"/></svg>'
    menu = "".join(
        f'<li><a href="/s/{i}" class="nav">{icon} Section {i}</a></li>' for i in range(40)
    )
    rows = "".join(
        f'<tr><td class="c"><font face="Arial" size="2"><b>Item {i}</b></font></td>'
        f'<td><a href="/i/{i}"><img src="/t/{i}.png" alt=""></a></td></tr>'
        for i in range(60)
    )
    body = "".join(
        f"<p>{SENTENCE}<b>{i}</b> <a href='/n/{i}'>more <i>here</i></a>, <em>see</em> "
        f"<strong>this</strong>.<br></p>"
        for i in range(80)
    )
    script = "<script>var t = '<a href=\"/x\"><b>' + name + '</b></a>'; if (a < b) go();</script>"
    form = '<form><select name="s">' + "<option>o</option>" * 20 + "</select></form>"
    return (
        f"<!DOCTYPE html><html><head><title>News</title>{script}<style>p > b {{}}</style></head>"
        f"<body><!-- header --><nav><ul>{menu}</ul></nav><table>{rows}</table>"
        f"<article><h1>Title</h1>{body}</article>{form}{script}<footer>(c)</footer></body></html>"
    )


def test_real_pages_are_far_below_the_limit() -> None:
    # the 1,892 development pages and 1,557 unlabelled ones estimate 248,000 elements at most
    html = _dev_like_page()
    assert _estimate(html, 10**18) < 10 * html.count("<")
    assert too_complex(html) is None
    doc = extract_page(Document(id="n", html=html), CFG)
    assert doc.rejection is None


def test_links_left_open_in_nested_lists_are_refused_before_parsing() -> None:
    # <ul><li><a> repeated: the HTML5 parser itself is quadratic in it (80,000 levels: 8 s; a page
    # at the record limit: hours), before the tree's depth can be checked.
    from gharbal.document import Document
    from gharbal.extract import extract_page
    from gharbal.extract.html import open_containers
    from gharbal.recipe import ExtractConfig

    deep = "<html><body>" + "<ul><li><a href=x>" * 5000 + "text</body></html>"
    assert open_containers(deep, 2048) == 2049
    for extractor in ("resiliparse", "lines"):
        cfg = ExtractConfig.model_validate({"html": {"extractor": extractor}})
        doc = extract_page(Document(id="d", html=deep), cfg)
        assert doc.rejection is not None
        assert doc.rejection.reason == "extract.html.too_deep"
        assert "left open, found before parsing" in doc.rejection.detail
    # The same links closed, or containers closed around open links: not refused.
    closed = "<html><body>" + "<ul><li><a href=x>x</a></li></ul>" * 5000 + "</body></html>"
    assert open_containers(closed, 2048) is None
    shallow = "<html><body>" + "<div><a href=x>x</div>" * 5000 + "</body></html>"
    assert open_containers(shallow, 2048) is None
