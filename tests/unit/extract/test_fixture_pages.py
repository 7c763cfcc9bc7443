"""Pages unlike the news of the development set, each alone on its site: non-news pages whose content
is lists, steps, table rows, code and short posts, and Arabic news pages full of chrome
(``tests/fixtures/pages/``, written for these tests; README there). Each page lists the lines an
extractor must keep (``must_keep``) and must drop (``must_drop``).

From HTML (``extract.html.extractor: dom``) these pages come out well; from page text alone the
line classifier still drops most non-news content (a list item looks like a menu entry when the
markup is gone): that floor only guards against getting worse (docs/extraction.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("resiliparse")

from gharbal.document import Document, Verdict
from gharbal.extract import extract_page
from gharbal.recipe import Recipe
from gharbal.runner.evaluate import prf

PAGES = Path(__file__).parents[2] / "fixtures" / "pages"
KEPT = (Verdict.KEEP, Verdict.TITLE)


def _load(name: str) -> list[dict[str, Any]]:
    with (PAGES / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _run(rec: dict[str, Any], source: str) -> tuple[float, float, float]:
    """(token F1, must_keep recall, must_drop leakage) of one page, judged alone."""
    if source == "html":
        cfg = Recipe.from_dict({"extract": {"html": {"extractor": "dom"}}}).extract
        doc = extract_page(Document(id=rec["id"], html=rec["html"]), cfg)
    else:
        doc = extract_page(Document(id=rec["id"], text=rec["page_text"]), Recipe().extract)
    assert doc.rejection is None
    assert doc.lines is not None
    kept = {ln.text for ln in doc.lines if ln.verdict in KEPT}
    keep = set(rec["must_keep"])
    drop = set(rec["must_drop"])
    recall = len(keep & kept) / len(keep) if keep else 1.0
    leak = len(drop & kept) / len(drop) if drop else 0.0
    return prf(doc.text, rec["gold_text"])[2], recall, leak


def _means(name: str, source: str) -> dict[str, tuple[float, float, float]]:
    return {rec["id"].rsplit("/", 1)[1]: _run(rec, source) for rec in _load(name)}


@pytest.fixture(scope="module")
def nonnews_html() -> dict[str, tuple[float, float, float]]:
    return _means("nonnews", "html")


def _mean(results: dict[str, tuple[float, float, float]], k: int) -> float:
    return sum(r[k] for r in results.values()) / len(results)


def test_non_news_content_is_kept_from_html(
    nonnews_html: dict[str, tuple[float, float, float]],
) -> None:
    assert _mean(nonnews_html, 0) >= 0.92  # token F1 (trafilatura on the HTML: 0.86)
    assert _mean(nonnews_html, 1) >= 0.85  # must_keep lines kept
    assert _mean(nonnews_html, 2) <= 0.10  # must_drop lines kept


@pytest.mark.parametrize(
    "page",
    [
        "recipe_en",  # ingredients and numbered steps
        "recipe_ar",
        "docs_api_en",  # signatures, parameter table, code lines
        "product_en",  # specification table and feature list
        "product_ar",
        "changelog_en",  # version headings and change items
        "readme_en",  # install commands, code
        "howto_en",  # short steps
        "listicle_en",
        "docs_de",
    ],
)
def test_lists_steps_tables_and_code_of_the_main_block_are_kept(
    nonnews_html: dict[str, tuple[float, float, float]], page: str
) -> None:
    f1, recall, _leak = nonnews_html[page]
    # (A section heading or the last row of a list may go with the chrome around it: product_ar
    # loses its "product description" heading and its last spec row, 8 of 10 kept.)
    assert recall >= 0.75, (page, recall)
    # product_en keeps every feature and specification line but also its stock line, colour
    # swatch and one customer review (which its gold leaves out): 0.88 with lines_dom_v2, 0.96
    # with v1; a precision loss on the one shop page, measured and reported in
    # docs/extraction.md, against +0.02 out of source on real pages.
    assert f1 >= (0.85 if page == "product_en" else 0.9), (page, f1)


def test_arabic_pages_alone_on_their_site_lose_their_chrome() -> None:
    html = _means("arabic_alone", "html")
    assert _mean(html, 0) >= 0.94  # trafilatura on the HTML: 0.93
    assert _mean(html, 2) <= 0.05
    text = _means("arabic_alone", "text")  # page text, no site statistics
    assert _mean(text, 0) >= 0.93
    assert _mean(text, 2) <= 0.10


def test_non_news_from_page_text_does_not_get_worse() -> None:
    text = _means("nonnews", "text")
    assert _mean(text, 0) >= 0.65
    assert _mean(text, 1) >= 0.35
