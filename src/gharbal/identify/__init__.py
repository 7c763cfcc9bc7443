"""Identification: language (CLD2), the script of a text, and a stopword-based language guess."""

from gharbal.identify.language import LangGuess, detect
from gharbal.identify.script import dominant_script, script_counts
from gharbal.identify.stopwords import guess_language, stopwords_for

__all__ = [
    "LangGuess",
    "detect",
    "dominant_script",
    "guess_language",
    "script_counts",
    "stopwords_for",
]
