"""Recognise a format from the first (decompressed) bytes of a file."""

from __future__ import annotations

import re

PARQUET_MAGIC = b"PAR1"
_HTML_START = re.compile(
    rb"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)
_WARC_START = re.compile(rb"\A\s*WARC/\d+\.\d+\r?\n")


def strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def looks_like_html(head: bytes) -> bool:
    """An HTML document starts with a doctype, ``<html>``, ``<head>``, ... (comments allowed)."""
    return bool(_HTML_START.match(strip_bom(head)[:4096]))


def looks_like_warc(head: bytes) -> bool:
    """A WARC (or WET) file starts with a ``WARC/1.x`` version line."""
    return bool(_WARC_START.match(head[:64]))


def looks_like_parquet(head: bytes) -> bool:
    return head.startswith(PARQUET_MAGIC)


def looks_like_json(head: bytes) -> bool:
    return strip_bom(head).lstrip()[:1] in (b"{", b"[")


__all__ = ["looks_like_html", "looks_like_json", "looks_like_parquet", "looks_like_warc"]
