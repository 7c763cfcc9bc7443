"""HTML pages: the whole page rendered to lines for gharbal's line classifier (the default), or main
content by resiliparse (the fastest) or trafilatura (optional extra).

Work per page is bounded. Parsing and rendering to lines are linear in the page's nodes, but
resiliparse's main-content pass walks from every node up to ``<body>``: its time grows with the
sum of the nodes' depths (10,000 nested ``<div>`` take 1.9 s, 20,000 take 9.9 s, 1,000,000 would
take days). So before that pass `too_deep` looks for an element nested more than
``extract.html.max_depth`` levels (256; the 1,892 development pages nest 68 at most), and such a
page is rejected (``extract.html.too_deep``). Under the limit the pass costs at most about 7 s per
MB of HTML (a page of 200,000 paragraphs inside 256 ``<div>``; flat pages 0.5 s per MB).
"""

from __future__ import annotations

from typing import Any

# resiliparse is imported on the first HTML page, not with gharbal: runs over plain text never
# load it (a few MB in every worker).

MAX_DEPTH = 256
"""Default of ``extract.html.max_depth``: elements nested deeper make a page ``too_deep``."""


_DESCEND = 65_536
"""How far `too_deep` follows a page down past the limit to say how deep it goes (0.3 s at most)."""


def parse_html(html: str) -> Any:
    """The parsed tree of ``html`` (resiliparse's ``HTMLTree``)."""
    from resiliparse.parse.html import HTMLTree

    return HTMLTree.parse(html)


def _depth_selector(depth: int) -> str:
    # Child combinators only: lexbor matches right to left and each step has one candidate (the
    # parent), so a test costs one step per ancestor, at most ``depth`` (descendant combinators
    # would backtrack).
    return " > ".join(["*"] * depth)


def too_deep(tree: Any, limit: int = MAX_DEPTH) -> int | None:
    """None if no element of ``tree`` has more than ``limit`` element ancestors; else how deep the
    page goes at least: the first element nested ``limit + 1`` deep (``<html>`` is 1), followed down
    its first element children for at most `_DESCEND` levels (4 µs a level in Python).

    The test costs one step per element and ancestor up to ``limit`` (about 0.2 ms for a 1,500-node
    page: 13% of resiliparse extraction), and stops at the first element too deep (in a chain of a
    million ``<div>`` it is found in 1 ms)."""
    if tree.document is None:
        return None
    found = tree.document.query_selector(_depth_selector(limit + 1))
    if found is None:
        return None
    from resiliparse.parse.html import NodeType

    element = NodeType.ELEMENT
    depth, node = limit + 1, found
    for _ in range(_DESCEND):
        child = node.first_child
        while child is not None and child.type is not element:
            child = child.next
        if child is None:
            break
        depth, node = depth + 1, child
    return depth


def _main_text(tree: Any) -> tuple[str | None, str]:
    from resiliparse.extract.html2text import extract_plain_text

    title = (tree.title or "").strip() or None
    text: str = extract_plain_text(
        tree, main_content=True, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=False,
    )  # fmt: skip
    return title, text.strip()


def html_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) of ``html`` by resiliparse; the title comes from ``<title>``. Unbounded on
    deep pages: `extract_page` checks `too_deep` first."""
    return _main_text(parse_html(html))


def html_main_text_bounded(html: str, max_depth: int = MAX_DEPTH) -> tuple[str | None, str] | int:
    """`html_main_text`, or, for a page nested more than ``max_depth`` levels (`too_deep`), how
    deep it goes at least (the main-content pass would take time quadratic in that depth)."""
    tree = parse_html(html)
    depth = too_deep(tree, max_depth)
    return _main_text(tree) if depth is None else depth


def html_to_lines(html: str) -> tuple[str | None, str]:
    """(title, the whole page as WET-like text): every block on its own line, boilerplate included,
    rendered as Common Crawl's WET records and the development set's ``page_text`` are. Linear in
    the page's nodes however deep they nest (1,000,000 nested ``<div>``: 0.8 s)."""
    from resiliparse.extract.html2text import extract_plain_text

    tree = parse_html(html)
    title = (tree.title or "").strip() or None
    text: str = extract_plain_text(
        tree, main_content=False, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=True,
    )  # fmt: skip
    lines = (" ".join(line.split()) for line in text.splitlines())  # spaces and NBSP collapsed
    return title, "\n".join(line for line in lines if line)


def trafilatura_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) by trafilatura (``pip install 'gharbal[trafilatura]'``), comments off."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "extract.html.extractor 'trafilatura' needs gharbal[trafilatura]"
        ) from exc
    text = trafilatura.extract(html, include_comments=False, fast=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None and meta.title else None
    return title, text.strip()
