"""The values that flow through a pipeline: `Document`, its `Line`s, and `Rejection`.

A rejection is a value, never an exception: a step that drops a document sets ``doc.rejection``, a line
cleaner sets each line's ``verdict`` and ``reason``. The runner counts every reason and writes every
rejected document and removed line to the ledger.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any


class Verdict(enum.Enum):
    """What a line cleaner decided about one line of a page."""

    KEEP = "keep"  # part of the main text
    TITLE = "title"  # the page's headline, moved to ``Document.title``
    REMOVE = "remove"  # boilerplate; ``Line.reason`` says why


@dataclass(slots=True)
class Line:
    """One non-blank line of a page's original text.

    ``no`` is the 1-based physical line number in the original text (blank lines count), so a line can
    be found again in the input with ``sed -n 'NOp'``.
    """

    no: int
    text: str
    verdict: Verdict = Verdict.KEEP
    reason: str | None = None
    detail: str = ""

    def remove(self, reason: str, detail: str = "") -> None:
        self.verdict = Verdict.REMOVE
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a whole document was dropped: ``stage`` is the first part of the dotted ``reason``.

    ``extra`` holds structured facts behind the detail (for a duplicate: ``cluster``, ``kept_id``,
    ``similarity``), written as the ``extra`` object of the rejected record when not empty.
    """

    reason: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def stage(self) -> str:
        return self.reason.split(".", 1)[0]


@dataclass(slots=True)
class Document:
    """A page on its way through the refinery.

    ``text`` is the current text (the raw page text until extraction, the clean main text after);
    ``html`` holds raw HTML for records that came as HTML; ``lines`` holds the original lines with
    their verdicts once a line cleaner has run; ``source`` says where the record was read
    (``path:line``) for error messages and ``gharbal explain``; ``site_lines`` carries cross-page
    site statistics from the ``site_stats`` stage to extraction.
    """

    id: str
    text: str = ""
    url: str | None = None
    title: str | None = None
    lang: str | None = None
    html: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    lines: list[Line] | None = None
    rejection: Rejection | None = None
    source: str = ""
    # Set by the site_stats stage's apply, read and cleared by the extract step that follows it
    # in the same phase (never written out): the site's page count and, per non-blank line, how
    # many of its pages contain that line. Nothing else sets or reads it.
    site_lines: tuple[int, tuple[int, ...]] | None = None

    @property
    def rejected(self) -> bool:
        return self.rejection is not None

    def reject(self, reason: str, detail: str = "", extra: dict[str, Any] | None = None) -> None:
        """Mark the document as dropped; the runner writes it to ``rejected/``."""
        self.rejection = Rejection(reason, detail, extra or {})

    def removed_lines(self) -> list[Line]:
        return [ln for ln in self.lines or () if ln.verdict is Verdict.REMOVE]


def content_id(*parts: str | bytes) -> str:
    """A stable id made from content: 16 hex digits of BLAKE2b over the parts."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()
