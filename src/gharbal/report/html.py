"""Small HTML helpers of the report: every piece of page text goes through `esc` or `script_json`."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote


def esc(value: object) -> str:
    """Text for HTML (element content or a quoted attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(ch, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def num(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def stage_of(reason: str) -> str:
    return reason.split(".", 1)[0]


def doc_link(doc_id: str, shown: set[str]) -> str:
    """The id, linked to the page viewer when the page is in its sample."""
    code = f'<code dir="auto">{esc(doc_id)}</code>'
    if doc_id in shown:
        return f'<a href="#doc={esc(quote(doc_id, safe=""))}">{code}</a>'
    return code
