"""Data from crawled input made safe to print on a terminal.

Page text, ids, urls, titles and file names come from the input, and the input is hostile: an
``ESC [ 2 J`` in a title clears the screen, ``ESC ] 0 ; ... BEL`` sets the window title (even
through a pipe into ``less -R``). Everything the CLI prints that came from the input goes through
`printable`, which shows the control characters instead of sending them:

* C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F) as Python writes them
  in a string literal: ``\\t``, ``\\n``, ``\\r``, else ``\\x1b``, ``\\x9b``, ... (there are no
  control pictures for C1);
* lone surrogates (a file name that is not UTF-8, decoded with ``surrogateescape``) as ``\\udcff``:
  the terminal could not encode them anyway;
* bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F, U+061C, U+202A-U+202E,
  U+2066-U+2069) are left alone: Arabic and Hebrew text uses them, and a terminal does not execute
  them.

A backslash is not escaped, so ``\\x1b`` in the output may also be those four characters in the
input; the output never contains a control character. ``gharbal explain --json`` escapes the same
characters the JSON way (`json_printable`).
"""

from __future__ import annotations

import re

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# json.dumps escapes C0 (and quotes and backslashes) itself, even with ensure_ascii=False.
_JSON_RAW = re.compile("[\x7f-\x9f\ud800-\udfff]")


def _show(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with its control characters shown, not sent (see the module docstring).

    ``newlines=True`` keeps line breaks (``\\n``) as they are, for a message of several lines."""
    return (_CONTROL_KEEP_NEWLINES if newlines else _CONTROL).sub(_show, text)


def json_printable(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the control characters it
    leaves raw (DEL, C1, lone surrogates) written as ``\\u`` escapes: the same JSON value."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["json_printable", "printable"]
