"""Arabic-script tables of the normalisation contract (used for matching only, never on stored text).

* `TATWEEL` (U+0640, kashida) only stretches a word: always removed for matching, and never splits a
  word when tokenising (see `gharbal.normalise.text.words`).
* `DIACRITICS`: harakat, tanwin, shadda, sukun, superscript alef, Quranic annotation marks and the
  Arabic Extended-A marks: stripped when ``MatchOptions.strip_diacritics`` is on.
* `LETTER_FOLDS`: spelling variants folded when ``MatchOptions.fold_letters`` is on: hamza-carrying
  and wasla alefs to bare alef (أ إ آ ٱ -> ا), alef maksura and Persian/Urdu yeh to Arabic yeh
  (ى ی ې -> ي), teh marbuta to heh (ة -> ه), Persian keheh to kaf (ک -> ك), Urdu heh goal and heh
  with yeh above to heh (ہ ۀ -> ه). Hamza on waw or yeh (ؤ ئ) is kept: it changes the word.
* `DIGITS`: Arabic-Indic (٠-٩) and Extended Arabic-Indic (Persian/Urdu, ۰-۹) digits to ASCII
  digits, when ``MatchOptions.map_digits`` is on.

Presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFF) are folded by NFKC in `gharbal.normalise.unicode`.
"""

from __future__ import annotations

TATWEEL = "\u0640"

# Combining marks of the Arabic blocks.
DIACRITICS = frozenset(
    chr(c)
    for lo, hi in (
        (0x0610, 0x061A),  # honorifics and Quranic small letters
        (0x064B, 0x065F),  # tanwin, harakat, shadda, sukun, hamza above/below ...
        (0x0670, 0x0670),  # superscript (dagger) alef
        (0x06D6, 0x06DC),  # Quranic annotation signs
        (0x06DF, 0x06E4),
        (0x06E7, 0x06E8),
        (0x06EA, 0x06ED),
        (0x08D3, 0x08E1),  # Arabic Extended-A marks
        (0x08E3, 0x08FF),
    )
    for c in range(lo, hi + 1)
)

LETTER_FOLDS: dict[str, str] = {
    "\u0622": "\u0627",  # آ alef with madda
    "\u0623": "\u0627",  # أ alef with hamza above
    "\u0625": "\u0627",  # إ alef with hamza below
    "\u0671": "\u0627",  # ٱ alef wasla
    "\u0672": "\u0627",  # ٲ alef with wavy hamza above
    "\u0673": "\u0627",  # ٳ alef with wavy hamza below
    "\u0649": "\u064a",  # ى alef maksura
    "\u06cc": "\u064a",  # ی Farsi yeh
    "\u06d0": "\u064a",  # ې yeh (Pashto, Uyghur)
    "\u0629": "\u0647",  # ة teh marbuta
    "\u06a9": "\u0643",  # ک keheh (Persian kaf)
    "\u06c1": "\u0647",  # ہ heh goal (Urdu)
    "\u06c0": "\u0647",  # ۀ heh with yeh above
}

DIGITS: dict[str, str] = {
    **{chr(0x0660 + i): str(i) for i in range(10)},  # ٠١٢٣٤٥٦٧٨٩
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # ۰۱۲۳۴۵۶۷۸۹
}

__all__ = ["DIACRITICS", "DIGITS", "LETTER_FOLDS", "TATWEEL"]
