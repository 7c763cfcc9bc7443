"""The text analysis every rule family measures from: a document tokenised once.

The text is tokenised once (`gharbal.normalise.text.tokens`, line by line: words that keep Arabic
diacritics, tatweel and ZWNJ inside, one token per Han/kana character, every punctuation mark or
symbol a token of its own) and the tokens are shared by every family's measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from gharbal.normalise.text import tokens, word_tokens

# A line's verdict from a family's line rules: None for a kept line, else (reason, detail).
LineReason = tuple[str, str] | None


@dataclass(slots=True)
class Analysis:
    """A document tokenised once: its stripped non-blank lines, its tokens (words and symbols) and
    its words (tokens that are not punctuation or symbols).

    ``line_reasons`` is set by a family whose line rules ran (C4's): one verdict per line of
    ``lines``; a family after it in the chain (FineWeb) measures the lines they keep, as datatrove's
    chain hands it the text C4 left. None: no line rules ran, every line counts.
    """

    text: str
    lines: list[str]
    tokens: list[str]
    words: list[str]
    line_reasons: list[LineReason] | None = None

    @classmethod
    def of(cls, text: str) -> Analysis:
        lines = [s for s in (ln.strip() for ln in text.splitlines()) if s]
        toks = tokens(text)
        # The word tokens among them (as `word_tokens` would find, without a second pass): a
        # single word character, or a longer token that is not a run of dots or dashes.
        words_ = [
            t
            for t in toks
            if (_word_char(t) if len(t) == 1 else t[0] not in ".-" or t.count(t[0]) != len(t))
        ]
        return cls(text, lines, toks, words_)


@cache
def _word_char(ch: str) -> bool:
    return bool(word_tokens(ch))


def find_duplicates(items: Sequence[str]) -> tuple[int, int]:
    """(repeated elements, their characters): every occurrence after the first counts."""
    seen: set[str] = set()
    elements = chars = 0
    for item in items:
        if item in seen:
            elements += 1
            chars += len(item)
        else:
            seen.add(item)
    return elements, chars


def rounded(prefix: str, values: dict[str, float]) -> dict[str, float]:
    """``values`` as scores: each name under ``prefix`` (``quality.gopher_v1``), rounded to 6 places."""
    return {f"{prefix}.{k}": round(v, 6) for k, v in values.items()}


__all__ = ["Analysis", "LineReason", "find_duplicates", "rounded"]
