"""Sentence-final punctuation across scripts, for the line cleaner's "does this line end a sentence"."""

from __future__ import annotations

# Full stop, question and exclamation marks in Latin, Arabic (؟ U+061F, ۔ U+06D4 Urdu full stop),
# Devanagari danda, CJK full-width forms, Armenian, Ethiopic, Myanmar, Thai has none; plus the ellipsis.
TERMINAL = frozenset(".!?…؟۔।॥。！？．։።၊။")
# Closing quotes and brackets that may follow the final mark: «…».» or "…?"
CLOSERS = "\"'”’»›)]}」』）〉》"


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with sentence-final punctuation (closing quotes/brackets skipped)."""
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL
