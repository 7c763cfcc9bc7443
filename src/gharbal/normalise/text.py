"""Word tokenisation and the matching form of a word.

Words are runs of letters, marks and digits, with zero-width (non-)joiners kept inside, so Arabic
diacritics, tatweel and Persian ZWNJ do not split a word; each Han, Hiragana or Katakana character is
a word of its own (those scripts do not separate words with spaces). `tokens` and `word_tokens`
tokenise for the quality signals (apostrophes and number separators kept inside tokens, every
punctuation mark or symbol a token of its own).

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
    r"|[^\W_](?:[^\W_]|[\u200c\u200d\p{M}])*"  # (a Han or kana first letter matched above)
)
_WORD = regex.compile(WORD_PATTERN)
# Quality tokens: numbers with separators (1.5, 10,000, 10:30) and words joined by apostrophes
# (it's, l'homme) are one token; runs of dots or dashes are one token; any other non-space
# character is a token of its own.
_TOKEN_WORD = rf"\p{{Nd}}+(?:[.,:]\p{{Nd}}+)+|(?:{WORD_PATTERN})(?:['’](?:{WORD_PATTERN}))*"
_WORD_TOKEN = regex.compile(_TOKEN_WORD)
_TOKEN = regex.compile(rf"{_TOKEN_WORD}|\.{{2,}}|-{{2,}}|[^\s]")


def words(text: str) -> list[str]:
    """The words of ``text``, as they are written."""
    found: list[str] = _WORD.findall(text)
    return found


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` for the quality signals: word tokens (see `word_tokens`), runs of dots
    or dashes, and every other non-space character (punctuation, symbols) on its own."""
    found: list[str] = _TOKEN.findall(text)
    return found


def word_tokens(text: str) -> list[str]:
    """The tokens of `tokens` that are words: `words`, joined across apostrophes (``it's``), and
    numbers with their separators (``3.5``, ``10,000``)."""
    found: list[str] = _WORD_TOKEN.findall(text)
    return found


@lru_cache(maxsize=1 << 16)
def match_form(word: str) -> str:
    """The form two words (or two lines) are compared in: the contract's `normalise`."""
    return normalise(word)
