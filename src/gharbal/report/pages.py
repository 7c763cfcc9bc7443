"""A page put back together from the ledger: its original lines, each with its verdict.

The kept lines are the lines of ``text`` in the ``documents/`` record (the line cleaner joins them
with a newline, or a blank line where the original had a gap); ``lines/`` says at which original line
number each one was, and where the title line was; ``removed_lines/`` holds every removed line with
its number and reason. Interleaving the three by line number gives the page as it was read.

When they do not fit together (a later step rewrote ``text``, or the page came as HTML and was never
cleaned line by line) the page is still shown, with the lines that cannot be placed unnumbered and
a note that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

KEEP, TITLE, REMOVE = "keep", "title", "remove"

# Languages written right to left (ISO 639-1/-3 codes, as language identifiers label them).
RTL_LANGS = frozenset(
    [
        "ar",
        "arb",
        "arz",
        "ary",
        "apc",
        "acm",
        "ajp",
        "aeb",
        "ckb",
        "dv",
        "fa",
        "pes",
        "prs",
        "he",
        "iw",
        "ks",
        "pnb",
        "ps",
        "sd",
        "syr",
        "ug",
        "ur",
        "yi",
        "azb",
        "mzn",
        "glk",
    ]
)
_RTL = regex.compile(r"[\p{Bidi_Class=R}\p{Bidi_Class=AL}]")
_LTR = regex.compile(r"\p{Bidi_Class=L}")


@dataclass(slots=True)
class PageLine:
    """One line of a page: ``no`` is its 1-based line number in the original (``None`` if unknown)."""

    no: int | None
    verdict: str
    text: str
    reason: str | None = None
    detail: str = ""


REJECTED_TEXT_HINT = "a run whose recipe sets output.rejected_text: true keeps it"


def kept_lines_of(text: str) -> list[str]:
    """The kept lines in a document's ``text`` (blank separators dropped)."""
    return [ln for ln in text.split("\n") if ln.strip()]


def reconstruct(
    text: str | None,
    title: str | None,
    line_map: dict[str, Any] | None,
    removed: list[dict[str, Any]],
) -> tuple[list[PageLine], list[str]]:
    """The page's lines in original order, and notes on anything that could not be placed.

    ``text`` and ``title`` come from the ``documents/`` or ``rejected/`` record (``None`` for a
    rejected document whose text the ledger does not keep: see `REJECTED_TEXT_HINT`);
    ``line_map`` from ``lines/``; ``removed`` are its ``removed_lines/`` records."""
    notes: list[str] = []
    lines = [
        PageLine(
            _int_or_none(r.get("line_no")),
            REMOVE,
            str(r.get("text", "")),
            str(r.get("reason") or "unknown"),
            str(r.get("detail") or ""),
        )
        for r in removed
    ]
    kept_nos: list[int] = []
    title_no: int | None = None
    if line_map is not None:
        kept_nos = [n for n in line_map.get("kept") or [] if isinstance(n, int)]
        title_no = _int_or_none(line_map.get("title"))
    if title_no is not None:
        lines.append(PageLine(title_no, TITLE, title if title is not None else "(title line)"))
    unplaced: list[PageLine] = []
    if text is None:
        if kept_nos:
            notes.append(
                f"{len(kept_nos)} kept line(s) are not shown: the ledger keeps no text of a "
                f"rejected document, only its removed lines ({REJECTED_TEXT_HINT})."
            )
    else:
        kept = kept_lines_of(text)
        if line_map is None:
            if kept:
                notes.append(
                    "No line map for this page (it was not cleaned line by line, e.g. it came as "
                    "HTML): its kept text is shown as it was written."
                )
            unplaced = [PageLine(None, KEEP, t) for t in kept]
        elif len(kept) == len(kept_nos):
            lines.extend(PageLine(n, KEEP, t) for n, t in zip(kept_nos, kept, strict=True))
        else:
            notes.append(
                f"The kept text has {len(kept)} line(s) but the line map lists {len(kept_nos)} (a "
                "later step changed the text): kept lines are shown after the numbered ones."
            )
            unplaced = [PageLine(None, KEEP, t) for t in kept]
    lines.sort(key=lambda ln: ln.no if ln.no is not None else 0)
    return lines + unplaced, notes


def text_direction(lang: object, sample: str) -> str:
    """``rtl``, ``ltr`` or ``auto`` for a page: its language when that is written right to left,
    else the majority of strongly directional letters in ``sample``."""
    if isinstance(lang, str) and lang.replace("_", "-").split("-")[0].lower() in RTL_LANGS:
        return "rtl"
    sample = sample[:5000]
    rtl, ltr = len(_RTL.findall(sample)), len(_LTR.findall(sample))
    if rtl == ltr == 0:
        return "auto"
    return "rtl" if rtl > ltr else "ltr"


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
