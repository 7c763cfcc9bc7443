"""Main content of an HTML page, with resiliparse (the fastest well-kept extractor measured here)."""

from __future__ import annotations

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree


def html_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) of ``html``; the title comes from ``<title>``."""
    tree = HTMLTree.parse(html)
    title = (tree.title or "").strip() or None
    text = extract_plain_text(
        tree, main_content=True, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=False,
    )  # fmt: skip
    return title, text.strip()
