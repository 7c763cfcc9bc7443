"""Word tokenisation and the matching form of a word.

Words are runs of letters, marks and digits, with zero-width (non-)joiners kept inside, so Arabic
diacritics and Persian ZWNJ do not split a word; each Han, Hiragana or Katakana character is a word of
its own (those scripts do not separate words with spaces). The matching form folds case, Unicode
compatibility forms (Arabic presentation forms included), tatweel and Arabic diacritics: it is used to
compare words, never to rewrite the stored text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

_WORD = regex.compile(
    r"\p{Han}|\p{Hiragana}|\p{Katakana}|[^\W\p{Han}\p{Hiragana}\p{Katakana}_](?:[^\W_]|[\u200c\u200d\p{M}])*"
)
# Arabic harakat, superscript alef, Quranic marks, and tatweel (U+0640).
_ARABIC_MARKS = regex.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ZW = regex.compile(r"[\u200b-\u200f\u2060\ufeff]")


def words(text: str) -> list[str]:
    """The words of ``text``, as they are written."""
    found: list[str] = _WORD.findall(text)
    return found


@lru_cache(maxsize=1 << 16)
def match_form(word: str) -> str:
    """The form two words are compared in: NFKC, case-folded, without tatweel, Arabic diacritics and
    zero-width characters."""
    folded = unicodedata.normalize("NFKC", word).casefold()
    return str(_ZW.sub("", _ARABIC_MARKS.sub("", folded)))
