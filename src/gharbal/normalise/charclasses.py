"""The character classes of text, one definition each, shared by extraction's line features and the
quality rules.

``TERMINAL``: sentence-final marks across scripts, not only ASCII: Latin ``. ! ?`` and the ellipsis
``…``, Arabic ``؟`` (U+061F) and the Arabic full stop ``۔`` (U+06D4, Urdu), Devanagari danda
``। ॥``, Armenian ``։``, Ethiopic ``። ፧``, Myanmar ``။`` (not ``၊``, its comma), Khmer ``។ ៕``, CJK
``。！？．｡`` and the interrobangs. A rule that does not count an ellipsis as the end of a sentence
(C4's, Gopher's) says so itself (``ELLIPSES``). ``CLOSERS``: quotes and brackets that may follow the
final mark (``«…».»``, ``“…?”``). ``BULLETS``: list markers a line may start with (a digit marks a
numbered item too, where a rule says so).
"""

from __future__ import annotations

TERMINAL = frozenset(".!?…؟۔।॥։።፧။。！？．｡‼⁇⁈⁉។៕")
CLOSERS = "\"'”’»›)]}」』）〉》"
ELLIPSES = ("...", "…")
BULLETS = frozenset("-–—•*·◦▪‣●○■□►▸▶✓✔›»>")


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with a sentence-final mark, closing quotes and brackets skipped (an
    ellipsis counts)."""
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


__all__ = ["BULLETS", "CLOSERS", "ELLIPSES", "TERMINAL", "ends_sentence"]
