"""HTML pages: the whole page rendered to lines for gharbal's line classifier (the default), or main
content by resiliparse (the fastest) or trafilatura (optional extra).
"""

from __future__ import annotations

from typing import Any

# resiliparse is imported on the first HTML page, not with gharbal: runs over plain text never
# load it (a few MB in every worker).


def _parse(html: str) -> tuple[Any, Any]:
    """(resiliparse's ``extract_plain_text``, the parsed tree of ``html``)."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    return extract_plain_text, HTMLTree.parse(html)


def html_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) of ``html`` by resiliparse; the title comes from ``<title>``."""
    extract_plain_text, tree = _parse(html)
    title = (tree.title or "").strip() or None
    text: str = extract_plain_text(
        tree, main_content=True, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=False,
    )  # fmt: skip
    return title, text.strip()


def html_to_lines(html: str) -> tuple[str | None, str]:
    """(title, the whole page as WET-like text): every block on its own line, boilerplate included,
    rendered as Common Crawl's WET records and the development set's ``page_text`` are."""
    extract_plain_text, tree = _parse(html)
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
