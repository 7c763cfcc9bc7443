"""Per-language stopword lists (stopwords-iso, MIT, shipped in the ``stopwordsiso`` wheel) and a
cheap language guess from stopword coverage.

The guess is what the heuristic line cleaner needs to pick a stopword list: among the languages
written in the page's script, the one whose stopwords cover most of the page's words. Proper language
identification (a trained model, per line and per document) is a separate stage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache

from gharbal.normalise.text import match_form

# Languages tried for each script. Chinese stopwords match single characters (Han words are single
# characters in our tokenisation); Japanese pages use the Japanese list.
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Arabic": ("ar", "fa", "ur"),
    "Latin": (
        "en",
        "fr",
        "de",
        "es",
        "it",
        "pt",
        "nl",
        "pl",
        "cs",
        "sk",
        "ro",
        "hu",
        "sv",
        "da",
        "no",
        "fi",
        "tr",
        "id",
        "ms",
        "ca",
        "hr",
        "sl",
        "lv",
        "lt",
        "et",
        "vi",
        "tl",
        "sw",
    ),
    "Cyrillic": ("ru", "uk", "bg"),
    "Greek": ("el",),
    "Han": ("zh",),
    "Japanese": ("ja",),
    "Hangul": ("ko",),
    "Hebrew": ("he",),
    # Thai is written without spaces between words: no stopword matching on our tokens.
    "Thai": (),
    "Devanagari": ("hi", "mr"),
    "Armenian": ("hy",),
    "Bengali": ("bn",),
}


@cache
def stopwords_for(lang: str) -> frozenset[str]:
    """The stopwords of ``lang`` in matching form (empty if the language has no list)."""
    import stopwordsiso  # on first use: it loads every language's list (about 6 MB)

    if not stopwordsiso.has_lang(lang):
        return frozenset()
    return frozenset(match_form(w) for w in stopwordsiso.stopwords(lang))


def guess_language(words: Iterable[str], script: str | None) -> str | None:
    """The language of ``script`` whose stopwords cover most of ``words`` (matching forms)."""
    candidates = SCRIPT_LANGUAGES.get(script or "", ())
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    counts = Counter(words)
    best, best_cover = None, 0
    for lang in candidates:
        sw = stopwords_for(lang)
        cover = sum(n for w, n in counts.items() if w in sw)
        if cover > best_cover:
            best, best_cover = lang, cover
    return best or candidates[0]
