"""Per-script tables of the quality rules: sentence-final punctuation, bullets, policy phrases,
sentence counting, and the groups of languages the families' per-language parameters refer to.

Sentence-final punctuation covers the scripts, not only ASCII (C4 accepts only ``. ! ? " '``, so an
Arabic question ending in ``؟`` or an Urdu sentence ending in ``۔`` would lose its line): Latin
``. ! ?``, Arabic ``؟`` (U+061F) and the Arabic full stop ``۔`` (U+06D4, Urdu), Devanagari danda
``। ॥``, Armenian ``։``, Ethiopic ``። ፧``, Myanmar ``။``, CJK ``。！？．｡``, the interrobangs, and
closing quotes and brackets after them (``«…».»``, ``“…?”``): the classes of
`gharbal.normalise.charclasses`, which extraction's line features use too. For the quality rules an
ellipsis (``...`` or ``…``) does not end a sentence.
"""

from __future__ import annotations

import regex

from gharbal.normalise.charclasses import CLOSERS, ELLIPSES, TERMINAL

# C4's policy phrases, and the same notices in other languages (lower-case, matched as substrings).
POLICY_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "terms of use",
        "privacy policy",
        "cookie policy",
        "uses cookies",
        "use of cookies",
        "use cookies",
    ),
    "ar": (
        "سياسة الخصوصية",
        "شروط الاستخدام",
        "ملفات تعريف الارتباط",
        "سياسة ملفات الارتباط",
        "الكوكيز",
    ),
    "fa": ("حریم خصوصی", "شرایط استفاده", "کوکی"),
    "ur": ("رازداری کی پالیسی", "استعمال کی شرائط", "کوکیز"),
    "fr": ("politique de confidentialité", "conditions d'utilisation", "utilise des cookies"),
    "de": ("datenschutzerklärung", "nutzungsbedingungen", "verwendet cookies"),
    "es": ("política de privacidad", "términos de uso", "utiliza cookies", "usa cookies"),
}

# Languages whose per-language parameters differ for one reason, shared by the families.
CJK = ("zh", "ja")  # one token per Han/kana character
NO_SPACES = ("th", "lo", "km", "my")  # words are not separated by spaces: a "word" is a phrase
NO_SENTENCE_MARKS = ("th", "lo")  # a sentence ends with a space, not a mark

_CITATION = regex.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
# A sentence boundary inside a line: final punctuation (not an ellipsis), optional closers, then
# more text; CJK full-width marks need no space after them.
_BOUNDARY = regex.compile(
    r"(?<![.\p{Lu}])(?<!\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|No|Inc|Ltd|Co|e\.g|i\.e))"
    r"(?:[!?؟۔।॥։።፧။‼⁇⁈⁉]+\.?|\.(?!\.))["
    + regex.escape(CLOSERS)
    + r"]*(?:[^\S\n]+(?=\S)|(?=\S)(?<=[。！？]))"
    r"|[。！？｡]+[" + regex.escape(CLOSERS) + r"]*(?=\S)"
)


def strip_citations(line: str) -> str:
    return _CITATION.sub("", line) if "[" in line else line


def ends_sentence(line: str) -> bool:
    """True if ``line`` (stripped) ends with sentence-final punctuation, closers skipped, and not
    with an ellipsis."""
    if line.endswith(ELLIPSES):
        return False
    stripped = line.rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL and not stripped.endswith(ELLIPSES)


def count_sentences(text: str) -> int:
    """Sentences on the non-empty lines of ``text``: one per line, plus one per boundary inside a
    line (after spaCy's sentencizer: final punctuation followed by more text)."""
    lines = sum(1 for ln in text.split("\n") if ln.strip())
    return lines + len(_BOUNDARY.findall(text)) if lines else 0


__all__ = [
    "CJK",
    "CLOSERS",
    "ELLIPSES",
    "NO_SENTENCE_MARKS",
    "NO_SPACES",
    "POLICY_PHRASES",
    "TERMINAL",
    "count_sentences",
    "ends_sentence",
    "strip_citations",
]
