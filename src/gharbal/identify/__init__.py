"""Identification: language (CLD2, per document and per line), the script of a text, and a
stopword-based language guess."""

from gharbal.identify.language import LangGuess, LanguageId, detect, foreign_line
from gharbal.identify.script import dominant_script, script_counts
from gharbal.identify.stopwords import guess_language, stopwords_for

__all__ = [
    "LangGuess",
    "LanguageId",
    "detect",
    "dominant_script",
    "foreign_line",
    "guess_language",
    "script_counts",
    "stopwords_for",
]
