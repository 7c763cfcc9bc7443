"""Language identification with CLD2 (``pycld2``: the model ships in the wheel, runs offline).

`detect` answers for a document or a line: an ISO 639-1 code (``zh-Hant`` style codes for the few
languages CLD2 names that way) and a confidence in [0, 1], or ``None`` when CLD2 is not reliable or the
text is too short to guess (``min_chars`` letters): no guess rather than a wrong one. Scores written
by gharbal carry the model's versioned name, `MODEL`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycld2
import regex

MODEL = "cld2_v1"
# CLD2 refuses C0/C1 control characters and lone surrogates ("input contains invalid UTF-8").
_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\p{Cs}]")
_LETTERS = regex.compile(r"\p{L}")


@dataclass(frozen=True, slots=True)
class LangGuess:
    lang: str | None
    confidence: float


NO_GUESS = LangGuess(None, 0.0)


def detect(text: str, min_letters: int = 12) -> LangGuess:
    """The language of ``text``, or `NO_GUESS` for text that is short, mixed or unknown to CLD2."""
    clean = _CONTROL.sub(" ", text)
    if len(_LETTERS.findall(clean, concurrent=False)) < min_letters:
        return NO_GUESS
    try:
        reliable, _, details = pycld2.detect(clean, returnVectors=False)
    except pycld2.error:
        return NO_GUESS
    name, code, percent, _score = details[0]
    if not reliable or code in ("un", "xxx") or name == "Unknown":
        return NO_GUESS
    return LangGuess(code, percent / 100.0)
