"""Which writing system a text is in, by counting letters per Unicode script."""

from __future__ import annotations

from collections import Counter

import regex

SCRIPTS = (
    "Latin",
    "Arabic",
    "Cyrillic",
    "Greek",
    "Han",
    "Hiragana",
    "Katakana",
    "Hangul",
    "Hebrew",
    "Thai",
    "Devanagari",
    "Myanmar",
    "Armenian",
    "Georgian",
    "Bengali",
    "Tamil",
    "Ethiopic",
)
# One alternation with a named group per script: a single pass over the text.
_SCRIPT_RE = regex.compile("|".join(rf"(?P<{s}>\p{{Script={s}}}+)" for s in SCRIPTS))
# Japanese is written with Han and kana together: count them as one script.
_MERGE = {"Hiragana": "Japanese", "Katakana": "Japanese"}


def script_counts(text: str) -> Counter[str]:
    """Letters per script; Hiragana and Katakana count as ``Japanese``."""
    counts: Counter[str] = Counter()
    for match in _SCRIPT_RE.finditer(text):
        name = match.lastgroup
        if name is not None:
            counts[_MERGE.get(name, name)] += match.end() - match.start()
    if counts.get("Japanese") and counts.get("Han"):
        counts["Japanese"] += counts.pop("Han")
    return counts


def dominant_script(text: str, counts: Counter[str] | None = None) -> str | None:
    """The script with the most letters, or None for a text without letters."""
    counts = script_counts(text) if counts is None else counts
    if not counts:
        return None
    return max(sorted(counts), key=lambda s: counts[s])
