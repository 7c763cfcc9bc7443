"""Word tokenisation and the matching form of a word.

Words are runs of letters, marks and digits, with zero-width (non-)joiners kept inside, so Arabic
diacritics, tatweel and Persian ZWNJ do not split a word; each Han, Hiragana or Katakana character is
a word of its own (those scripts do not separate words with spaces). `tokens` adds every other
non-space character as a token of its own (punctuation, symbols), for the quality signals.

The matching form of a word is the normalisation contract (`gharbal.normalise.unicode.normalise`):
NFKC, case-folded, without tatweel, bidi and zero-width characters and Arabic diacritics, Arabic
letter variants folded and Arabic-Indic digits mapped. It is used to compare words, never to rewrite
the stored text.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from gharbal.normalise.unicode import normalise

WORD_PATTERN = (
    r"\p{Han}|\p{Hiragana}|\p{Katakana}"
    r"|[^\W\p{Han}\p{Hiragana}\p{Katakana}_](?:[^\W_]|[\u200c\u200d\p{M}])*"
)
_WORD = regex.compile(WORD_PATTERN)
_TOKEN = regex.compile(rf"{WORD_PATTERN}|[^\s]")


def words(text: str) -> list[str]:
    """The words of ``text``, as they are written."""
    found: list[str] = _WORD.findall(text)
    return found


def tokens(text: str) -> list[str]:
    """Words (as `words`) and, between them, every other non-space character as its own token."""
    found: list[str] = _TOKEN.findall(text)
    return found


@lru_cache(maxsize=1 << 16)
def match_form(word: str) -> str:
    """The form two words (or two lines) are compared in: the contract's `normalise`."""
    return normalise(word)
