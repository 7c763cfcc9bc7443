"""Extraction: from a page (plain text or HTML) to its main text and title.

Plain-text pages go through the line cleaner (`gharbal.extract.lines`) and the headline detector
(`gharbal.extract.title`); every line gets a verdict, and removed lines keep their reasons. HTML pages
go through resiliparse's main-content extractor. A page left with less than ``extract.min_chars`` of
text is rejected (``extract.empty``).
"""

from __future__ import annotations

from gharbal.document import Document, Line, Verdict
from gharbal.extract.html import html_main_text
from gharbal.extract.lines import clean_lines, split_lines
from gharbal.extract.title import find_title
from gharbal.recipe import ExtractConfig
from gharbal.step import DocumentStep


def join_kept(lines: list[Line]) -> str:
    """Kept lines, separated as in the original: a blank line stays a blank line."""
    parts: list[str] = []
    prev_no: int | None = None
    for ln in lines:
        if ln.verdict is not Verdict.KEEP:
            continue
        if prev_no is not None:
            parts.append("\n\n" if ln.no - prev_no > 1 else "\n")
        parts.append(ln.text)
        prev_no = ln.no
    return "".join(parts)


def extract_page(doc: Document, cfg: ExtractConfig) -> Document:
    """Fill ``doc.title``, ``doc.text`` and ``doc.lines`` from the raw page in place."""
    if doc.html is not None:
        title, doc.text = html_main_text(doc.html)
        doc.title = doc.title or title
        doc.html = None
        return doc
    lines = split_lines(doc.text)
    doc.lines = lines
    if cfg.lines.enabled and lines:
        profile, feats = clean_lines(lines, cfg.lines)
        if cfg.title.enabled:
            t = find_title(lines, feats, profile, cfg.title)
            if t is not None:
                lines[t].verdict, lines[t].reason, lines[t].detail = Verdict.TITLE, None, ""
                doc.title = lines[t].text
        doc.scores["extract.lines_v1.kept_ratio"] = round(
            sum(ln.verdict is Verdict.KEEP for ln in lines) / len(lines), 4
        )
    doc.text = join_kept(lines)
    return doc


class Extract(DocumentStep):
    """Pipeline step: main-content extraction, rejecting pages left empty."""

    name = "extract"

    def __init__(self, cfg: ExtractConfig) -> None:
        self.cfg = cfg

    def process(self, doc: Document) -> Document:
        extract_page(doc, self.cfg)
        if len(doc.text.strip()) < max(self.cfg.min_chars, 1):
            doc.reject(
                "extract.empty",
                f"{len(doc.text.strip())} characters of main text left "
                f"(extract.min_chars {self.cfg.min_chars})",
            )
        return doc


__all__ = ["Extract", "extract_page", "join_kept"]
