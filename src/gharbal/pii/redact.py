"""PII redaction: personal data in a document's text replaced by configurable tokens.

The step `PiiRedact` replaces every span `gharbal.pii.detect.find_pii` finds in ``doc.text`` with the
token of its kind (``<EMAIL>``, ``<PHONE>``, ``<IP_ADDRESS>`` by default) and records, in
``doc.metadata["pii"]``, each replacement as ``{"kind", "start", "end"}``: the token's offsets in the
redacted text (the redacted value itself is never kept). The lines the ledger keeps (removed lines,
in ``removed_lines/``) are redacted too. ``doc.url`` and metadata are never touched: a URL kept as
metadata stays whole. No document is rejected.
"""

from __future__ import annotations

from collections.abc import Callable

from gharbal.document import Document
from gharbal.pii.config import PiiConfig
from gharbal.pii.detect import find_pii
from gharbal.step import DocumentStep


def redact(text: str, cfg: PiiConfig) -> tuple[str, list[dict[str, int | str]]]:
    """(redacted text, replacements with their offsets in the redacted text)."""
    spans = find_pii(text, cfg.kinds())
    if not spans:
        return text, []
    parts: list[str] = []
    records: list[dict[str, int | str]] = []
    pos = out_len = 0
    for span in spans:
        parts.append(text[pos : span.start])
        out_len += span.start - pos
        token = cfg.tokens.get(span.kind, f"<{span.kind.upper()}>")
        parts.append(token)
        records.append({"kind": span.kind, "start": out_len, "end": out_len + len(token)})
        out_len += len(token)
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), records


def redactor(cfg: PiiConfig) -> Callable[[str], str] | None:
    """``text -> redacted text`` under ``cfg``, or None when redaction is off (for the ledger)."""
    if not cfg.enabled:
        return None
    return lambda text: redact(text, cfg)[0]


class PiiRedact(DocumentStep):
    """Pipeline step: redacts personal data in the text and in the lines kept for the ledger."""

    name = "pii"

    def __init__(self, cfg: PiiConfig) -> None:
        self.cfg = cfg

    def process(self, doc: Document) -> Document:
        doc.text, records = redact(doc.text, self.cfg)
        if records:
            doc.metadata["pii"] = records
        for line in doc.lines or ():
            line.text = redact(line.text, self.cfg)[0]
        return doc


__all__ = ["PiiConfig", "PiiRedact", "redact"]
