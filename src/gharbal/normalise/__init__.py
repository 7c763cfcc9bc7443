"""Text normalisation for matching (hashing, stopwords, dedup); stored text is never changed."""

from gharbal.normalise.text import match_form, words

__all__ = ["match_form", "words"]
