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
# Quality tokens, close to what spaCy's tokenizer gives (the tokenizer datatrove uses for English),
# without a model: URLs, e-mail addresses, abbreviations (U.S., e.g.), numbers with separators and
# what follows them (3.5, 10,000, 8:00pm), and words joined by dots or underscores
# (requirements.txt, snake_case) are one token; an apostrophe and the letters after it are a token
# of their own (it 's, don 't, l 'homme); runs of dots or dashes are one token; any other
# non-space character is a token of its own.
# (The e-mail alternative is costly, so it is only in the patterns used on text with an "@".)
_URL = r"(?:(?:https?|ftp)://|www\.)[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]}'’”]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_TOKEN_WORD = (
    rf"{_URL}|(?:[^\W\d_]\.){{2,}}|\p{{Nd}}+(?:[.,:]\p{{Nd}}+)+(?:[^\W_]+)?"
    rf"|(?:{WORD_PATTERN})(?:[._](?:{WORD_PATTERN}))*|(?<=[^\W_])['’](?:{WORD_PATTERN})"
)
_WORD_TOKEN = regex.compile(_TOKEN_WORD)
_WORD_TOKEN_AT = regex.compile(rf"{_EMAIL}|{_TOKEN_WORD}")
_TOKEN = regex.compile(rf"{_TOKEN_WORD}|\.{{2,}}|-{{2,}}|[^\s]")
_TOKEN_AT = regex.compile(rf"{_EMAIL}|{_TOKEN_WORD}|\.{{2,}}|-{{2,}}|[^\s]")


def words(text: str) -> list[str]:
    """The words of ``text``, as they are written."""
    found: list[str] = _WORD.findall(text)
    return found


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` for the quality signals: word tokens (see `word_tokens`), runs of dots
    or dashes, and every other non-space character (punctuation, symbols) on its own."""
    found: list[str] = (_TOKEN_AT if "@" in text else _TOKEN).findall(text)
    return found


def word_tokens(text: str) -> list[str]:
    """The tokens of `tokens` that are words: `words` (joined across dots and underscores), an
    apostrophe with the letters after it (``'s``), abbreviations, numbers with their separators
    (``3.5``, ``10,000``), URLs and e-mail addresses."""
    found: list[str] = (_WORD_TOKEN_AT if "@" in text else _WORD_TOKEN).findall(text)
    return found


# Words repeat (Zipf), so their forms are cached; a text longer than this (a line, a page) is
# folded without the cache, which would otherwise keep up to 16k long strings alive.
_CACHED_UP_TO = 64
_cached_form = lru_cache(maxsize=1 << 14)(normalise)


def match_form(word: str) -> str:
    """The form two words (or two lines) are compared in: the contract's `normalise`."""
    if len(word) > _CACHED_UP_TO:
        return normalise(word)
    return _cached_form(word)


def clear_match_form_cache() -> None:
    """Empty the cache of `match_form` (dedup does, before its memory-hungry stages)."""
    _cached_form.cache_clear()
