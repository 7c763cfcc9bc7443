"""Text normalisation for matching (hashing, stopwords, dedup); stored text is never changed.

`normalise` is the contract of DESIGN.md section 5 (see `gharbal.normalise.unicode`); `words` and
`match_form` tokenise and compare words with it.
"""

from gharbal.normalise.text import match_form, tokens, word_tokens, words
from gharbal.normalise.unicode import (
    MatchOptions,
    Normalised,
    normalise,
    normalise_with_offsets,
)

__all__ = [
    "MatchOptions",
    "Normalised",
    "match_form",
    "normalise",
    "normalise_with_offsets",
    "tokens",
    "word_tokens",
    "words",
]
