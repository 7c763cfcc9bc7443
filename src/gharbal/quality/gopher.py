"""Gopher's quality rules (Rae et al. 2021, table A1), second in datatrove's chain.

Scores ``quality.gopher_v1.*``: ``words`` (tokens that are not punctuation or symbols),
``mean_word_length``, ``hash_ratio`` and ``ellipsis_ratio`` (per token), ``bullet_lines_ratio``,
``ellipsis_lines_ratio``, ``alpha_words_ratio`` (tokens with a letter), ``stopwords`` (distinct
stopwords of the document's language present) and ``stopword_ratio`` (share of words that are
stopwords); the two stopword scores only when the language has a list.

Reasons ``quality.gopher.*``: ``short_doc``, ``long_doc``, ``short_words``, ``long_words``,
``hashes``, ``ellipsis``, ``bullet_lines``, ``ellipsis_lines``, ``alpha_words``, ``stopwords``,
``stopword_ratio``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import Field

from gharbal.config import ConfigModel
from gharbal.identify.stopwords import stopwords_for
from gharbal.normalise.text import match_form
from gharbal.quality.analysis import Analysis, rounded
from gharbal.quality.rules import ABOVE, BELOW, Family, PerN, Rule
from gharbal.quality.tables import CJK, ELLIPSES, NO_SPACES

SCORES = "quality.gopher_v1"
V1_BULLETS = frozenset("•-*◦▪‣●○■□►▶")
"""The list markers ``quality.gopher_v1.bullet_lines_ratio`` counts at the start of a line, fixed
with the score's version (measured scores keep their meaning: thresholds may be changed later
without measuring again). A ``gopher_v2`` would count `gharbal.normalise.charclasses.BULLETS`, the
package's one class of list markers, which also has ``– — · ▸ ✓ ✔ › » >``."""
GOPHER_EN_STOPWORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


class GopherConfig(ConfigModel):
    """Gopher quality rules."""

    enabled: bool = True
    min_doc_words: int | None = Field(default=50, ge=0)
    max_doc_words: int | None = Field(default=100_000, ge=0)
    min_avg_word_length: float | None = Field(default=3, ge=0)
    max_avg_word_length: float | None = Field(default=10, ge=0)
    max_symbol_word_ratio: float | None = Field(
        default=0.1, ge=0, description="'#' and ellipses per word"
    )
    max_bullet_lines_ratio: float | None = Field(default=0.9, ge=0)
    max_ellipsis_lines_ratio: float | None = Field(default=0.3, ge=0)
    min_alpha_words_ratio: float | None = Field(
        default=0.8, ge=0, description="share of tokens with a letter"
    )
    min_stop_words: int | None = Field(
        default=2, ge=0, description="distinct stopwords the text must contain"
    )
    min_stopword_ratio: float | None = Field(
        default=None, ge=0, le=1, description="share of word tokens that are stopwords"
    )
    stop_words: list[str] | None = Field(
        default=None, description="null: the language's stopwords-iso list"
    )


@cache
def stopword_list(lang: str | None, explicit: tuple[str, ...] | None) -> frozenset[str]:
    """Matching forms of the stopwords used for ``lang`` (explicit list, else stopwords-iso)."""
    if explicit is not None:
        return frozenset(match_form(w) for w in explicit)
    return stopwords_for(lang) if lang is not None else frozenset()


def measure(a: Analysis, lang: str | None, cfg: GopherConfig) -> dict[str, float]:
    """The Gopher quality scores of ``a`` in ``lang`` (whose stopwords count)."""
    text, words_ = a.text, a.words
    n_tokens = len(a.tokens) or 1
    out: dict[str, float] = {
        "words": len(words_),
        "mean_word_length": sum(map(len, words_)) / len(words_) if words_ else 0.0,
        "hash_ratio": text.count("#") / n_tokens,
        "ellipsis_ratio": (text.count("...") + text.count("…")) / n_tokens,
    }
    raw_lines = text.splitlines() or [""]
    out["bullet_lines_ratio"] = sum(s.lstrip()[:1] in V1_BULLETS for s in raw_lines) / len(
        raw_lines
    )
    out["ellipsis_lines_ratio"] = sum(s.rstrip().endswith(ELLIPSES) for s in raw_lines) / len(
        raw_lines
    )
    # Words starting with a letter have one; of those starting with a digit, count the others.
    no_letter = sum(1 for w in words_ if w[0].isdigit() and not any(map(str.isalpha, w)))
    out["alpha_words_ratio"] = (len(words_) - no_letter) / n_tokens
    explicit = tuple(cfg.stop_words) if cfg.stop_words is not None else None
    stopwords = stopword_list(lang, explicit)
    if stopwords:
        hits = [f for f in map(match_form, words_) if f in stopwords]
        out["stopwords"] = len(set(hits))
        out["stopword_ratio"] = len(hits) / len(words_) if words_ else 0.0
    return rounded(SCORES, out)


RULES: tuple[Rule[GopherConfig] | PerN[GopherConfig], ...] = (
    Rule("quality.gopher.short_doc", f"{SCORES}.words", lambda c: c.min_doc_words, BELOW, "words"),
    Rule("quality.gopher.long_doc", f"{SCORES}.words", lambda c: c.max_doc_words, ABOVE, "words"),
    Rule("quality.gopher.short_words", f"{SCORES}.mean_word_length",
         lambda c: c.min_avg_word_length, BELOW, "mean word length"),
    Rule("quality.gopher.long_words", f"{SCORES}.mean_word_length",
         lambda c: c.max_avg_word_length, ABOVE, "mean word length"),
    Rule("quality.gopher.hashes", f"{SCORES}.hash_ratio",
         lambda c: c.max_symbol_word_ratio, ABOVE, "'#' per word"),
    Rule("quality.gopher.ellipsis", f"{SCORES}.ellipsis_ratio",
         lambda c: c.max_symbol_word_ratio, ABOVE, "ellipses per word"),
    Rule("quality.gopher.bullet_lines", f"{SCORES}.bullet_lines_ratio",
         lambda c: c.max_bullet_lines_ratio, ABOVE, "bullet lines ratio"),
    Rule("quality.gopher.ellipsis_lines", f"{SCORES}.ellipsis_lines_ratio",
         lambda c: c.max_ellipsis_lines_ratio, ABOVE, "lines ending in an ellipsis ratio"),
    Rule("quality.gopher.alpha_words", f"{SCORES}.alpha_words_ratio",
         lambda c: c.min_alpha_words_ratio, BELOW, "words with a letter ratio"),
    Rule("quality.gopher.stopwords", f"{SCORES}.stopwords",
         lambda c: c.min_stop_words, BELOW, "distinct stopwords"),
    Rule("quality.gopher.stopword_ratio", f"{SCORES}.stopword_ratio",
         lambda c: c.min_stopword_ratio, BELOW, "stopword ratio"),
)  # fmt: skip

# Words are single Han/kana characters: mean word length says nothing.
_CJK: dict[str, Any] = {"min_avg_word_length": None, "max_avg_word_length": None}
# Written without spaces, a "word" is a whole phrase.
_NO_SPACES: dict[str, Any] = {
    "min_doc_words": None,
    "min_avg_word_length": None,
    "max_avg_word_length": None,
    "min_alpha_words_ratio": None,
    "min_stop_words": None,  # stopwords are written joined to the words around them
}
LANGUAGES: dict[str, dict[str, Any]] = {
    # English: the paper's eight words; every other language uses its stopwords-iso list.
    "en": {"stop_words": list(GOPHER_EN_STOPWORDS)},
    "ko": {"min_avg_word_length": 1.5},  # a Hangul syllable block is one character
    **dict.fromkeys(CJK, _CJK),
    **dict.fromkeys(NO_SPACES, _NO_SPACES),
}

FAMILY = Family(
    name="gopher",
    scores=SCORES,
    config=GopherConfig,
    measure=measure,
    rules=RULES,
    languages=LANGUAGES,
)

__all__ = [
    "FAMILY",
    "GOPHER_EN_STOPWORDS",
    "LANGUAGES",
    "RULES",
    "SCORES",
    "GopherConfig",
    "measure",
    "stopword_list",
]
