"""The line operations every line-removing step shares: removed lines keep the numbers of the page
the lines were made from, whichever step removed them."""

from __future__ import annotations

from gharbal.document import Document, Verdict
from gharbal.step import join_kept, rebuild, split_lines, text_lines


def _extracted(text: str, remove: set[int]) -> Document:
    """A page as extraction leaves it: every line with its verdict, the text made of the kept."""
    doc = Document(id="d", text=text)
    doc.lines = split_lines(text)
    for ln in doc.lines:
        if ln.no in remove:
            ln.remove("extract.chrome", "")
    doc.text = join_kept(doc.lines)
    return doc


PAGE = "Menu\n\nFirst paragraph.\nSecond paragraph.\n\nFooter\nThird paragraph.\n"


def test_kept_lines_are_the_text_lines_with_their_page_numbers() -> None:
    doc = _extracted(PAGE, {1, 6})
    lines = text_lines(doc)
    assert [(ln.no, ln.text) for ln in lines] == [
        (3, "First paragraph."),
        (4, "Second paragraph."),
        (7, "Third paragraph."),
    ]
    lines[1].remove("quality.c4.few_words", "")
    rebuild(doc, lines)
    assert doc.text == "First paragraph.\n\nThird paragraph."
    removed = [(ln.no, ln.reason) for ln in doc.removed_lines()]
    assert removed == [(1, "extract.chrome"), (4, "quality.c4.few_words"), (6, "extract.chrome")]


def test_text_changed_without_its_lines_keeps_page_numbers() -> None:
    doc = _extracted(PAGE, {1, 6})
    # A step rewrote the text (a redaction that spanned two lines joined them) without its lines.
    doc.text = "First paragraph.\nSecond <X> paragraph.\n\nThird paragraph.\nAdded line."
    lines = text_lines(doc)
    assert [(ln.no, ln.text) for ln in lines] == [
        (3, "First paragraph."),
        (4, "Second <X> paragraph."),
        (7, "Third paragraph."),
        (7, "Added line."),  # beyond the kept lines: the number of the line before it
    ]
    lines[0].remove("dedup.paragraph", "")
    rebuild(doc, lines)
    assert doc.text == "Second <X> paragraph.\n\nThird paragraph.\nAdded line."
    # The lines removed by extraction are still there, with their numbers; no number from the
    # changed text's own numbering (1..5) appears.
    assert [(ln.no, ln.verdict) for ln in doc.lines or ()] == [
        (1, Verdict.REMOVE),
        (3, Verdict.REMOVE),
        (4, Verdict.KEEP),
        (6, Verdict.REMOVE),
        (7, Verdict.KEEP),
        (7, Verdict.KEEP),
    ]


def test_page_without_lines_gets_the_lines_of_its_text() -> None:
    doc = Document(id="d", text="one\n\ntwo\nthree")
    lines = text_lines(doc)
    assert doc.lines is None  # reading does not change the document
    lines[2].remove("quality.c4.javascript", "")
    rebuild(doc, lines)
    assert doc.text == "one\n\ntwo"
    assert [(ln.no, ln.text) for ln in doc.removed_lines()] == [(4, "three")]
