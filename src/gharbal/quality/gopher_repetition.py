"""Gopher's repetition rules (Rae et al. 2021, table A1), first in datatrove's chain.

Scores ``quality.gopher_repetition_v1.*``: ``dup_para_frac``, ``dup_para_char_frac``,
``dup_line_frac``, ``dup_line_char_frac`` (repeated paragraphs/lines: share of elements, share of
characters), ``top_{n}_gram_char_frac`` (n = 2..4: characters in the most frequent n-gram, times its
count, over the text's characters), ``dup_{n}_gram_char_frac`` (n = 5..10: characters in repeated
n-grams). N-grams are of the shared tokens, found with 64-bit n-gram hashes in numpy.

Reasons ``quality.gopher_repetition.*``: ``dup_para_frac``, ``dup_para_char_frac``,
``dup_line_frac``, ``dup_line_char_frac``, ``top_{n}_gram``, ``dup_{n}_gram`` (a fraction above its
threshold rejects).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from gharbal.config import ConfigModel
from gharbal.quality.analysis import Analysis, find_duplicates, rounded
from gharbal.quality.rules import ABOVE, Family, PerN, Rule, int_keys
from gharbal.quality.tables import CJK, NO_SPACES

SCORES = "quality.gopher_repetition_v1"


class GopherRepetitionConfig(ConfigModel):
    """Gopher repetition rules (fractions above the threshold reject)."""

    enabled: bool = True
    dup_line_frac: float | None = Field(default=0.3, ge=0)
    dup_para_frac: float | None = Field(default=0.3, ge=0)
    dup_line_char_frac: float | None = Field(default=0.2, ge=0)
    dup_para_char_frac: float | None = Field(default=0.2, ge=0)
    top_n_grams: dict[int, float | None] = Field(
        default={2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> max share of characters in the most frequent n-gram",
    )
    dup_n_grams: dict[int, float | None] = Field(
        default={5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.1},
        description="n -> max share of characters in repeated n-grams",
    )

    @field_validator("top_n_grams", "dup_n_grams", mode="before")
    @classmethod
    def _digit_keys(cls, value: Any) -> Any:
        """n as written in YAML or JSON (``"2"``; ``OUT/recipe.yaml`` writes keys as strings)."""
        return int_keys(value)


_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _ngram_hashes(ids: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of every n-gram of ``ids`` (equal n-grams, equal hashes)."""
    h = ids.copy()
    for k in range(1, n):
        h = h[:-1] * _MIX + ids[k:]
    return h


def measure(a: Analysis, lang: str | None, cfg: GopherRepetitionConfig) -> dict[str, float]:
    """The repetition scores of ``a`` (the language plays no part)."""
    text, toks = a.text, a.tokens
    n_chars = len(text) or 1
    out: dict[str, float] = {}
    paragraphs = _PARAGRAPHS.split(text.strip())
    elements, chars = find_duplicates(paragraphs)
    out["dup_para_frac"] = elements / len(paragraphs)
    out["dup_para_char_frac"] = chars / n_chars
    lines = _LINES.split(text)
    elements, chars = find_duplicates(lines)
    out["dup_line_frac"] = elements / len(lines)
    out["dup_line_char_frac"] = chars / n_chars
    # Tokens as 64-bit ids (their string hashes: equality is all that matters within a document).
    ids = np.fromiter(map(hash, toks), dtype=np.int64, count=len(toks)).view(np.uint64)
    cum = np.zeros(len(toks) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, toks), dtype=np.int64, count=len(toks)), out=cum[1:])
    for n in sorted(cfg.top_n_grams):
        value = 0.0
        if len(toks) >= n:
            _, first, counts = np.unique(
                _ngram_hashes(ids, n), return_index=True, return_counts=True
            )
            top = counts.max()
            at = int(first[counts == top].min())  # ties: the n-gram seen first (as Counter)
            value = float((cum[at + n] - cum[at] + n - 1) * top) / n_chars
        out[f"top_{n}_gram_char_frac"] = value
    repeats = True
    for n in sorted(cfg.dup_n_grams):
        rep = 0
        if repeats and len(toks) >= n:
            _, inverse, counts = np.unique(
                _ngram_hashes(ids, n), return_inverse=True, return_counts=True
            )
            multi = np.flatnonzero(counts[inverse] > 1)
            if not len(multi):
                repeats = False  # no repeated n-gram: none of any longer n either
            else:
                # Gopher's walk (left to right, jumping over a repeated n-gram once counted),
                # visiting only the positions whose n-gram occurs more than once.
                seen: set[int] = set()
                nxt = 0
                ends = cum[multi + n] - cum[multi]
                for pos, gram, length in zip(
                    multi.tolist(), inverse[multi].tolist(), ends.tolist(), strict=True
                ):
                    if pos < nxt:
                        continue
                    if gram in seen:
                        rep += length
                        nxt = pos + n
                    else:
                        seen.add(gram)
        out[f"dup_{n}_gram_char_frac"] = rep / n_chars
    return rounded(SCORES, out)


RULES: tuple[Rule[GopherRepetitionConfig] | PerN[GopherRepetitionConfig], ...] = (
    Rule("quality.gopher_repetition.dup_para_frac", f"{SCORES}.dup_para_frac",
         lambda c: c.dup_para_frac, ABOVE, "dup_para_frac"),
    Rule("quality.gopher_repetition.dup_para_char_frac", f"{SCORES}.dup_para_char_frac",
         lambda c: c.dup_para_char_frac, ABOVE, "dup_para_char_frac"),
    Rule("quality.gopher_repetition.dup_line_frac", f"{SCORES}.dup_line_frac",
         lambda c: c.dup_line_frac, ABOVE, "dup_line_frac"),
    Rule("quality.gopher_repetition.dup_line_char_frac", f"{SCORES}.dup_line_char_frac",
         lambda c: c.dup_line_char_frac, ABOVE, "dup_line_char_frac"),
    PerN("quality.gopher_repetition.top_{n}_gram", SCORES + ".top_{n}_gram_char_frac",
         lambda c: c.top_n_grams, ABOVE, "top {n}-gram char fraction"),
    PerN("quality.gopher_repetition.dup_{n}_gram", SCORES + ".dup_{n}_gram_char_frac",
         lambda c: c.dup_n_grams, ABOVE, "repeated {n}-gram char fraction"),
)  # fmt: skip

# One token per Han/kana character: a word is 1.5-2 tokens, so n-gram lengths scale by about 1.5
# (2,3,4 -> 3,5,6 and 5..10 -> 8..15).
_CJK: dict[str, Any] = {
    "top_n_grams": {3: 0.2, 5: 0.18, 6: 0.16},
    "dup_n_grams": {8: 0.15, 9: 0.14, 11: 0.13, 12: 0.12, 14: 0.11, 15: 0.1},
}
LANGUAGES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(CJK, _CJK),
    # Without spaces the most frequent phrase pair or triple of a short text is a large share of it
    # without repeating at all; repeated n-grams (dup_n_grams) still measure repetition.
    **{lang: {"top_n_grams": {}} for lang in NO_SPACES},
}

FAMILY = Family(
    name="gopher_repetition",
    scores=SCORES,
    config=GopherRepetitionConfig,
    measure=measure,
    rules=RULES,
    languages=LANGUAGES,
    ngram_maps=frozenset({"top_n_grams", "dup_n_grams"}),
)

__all__ = ["FAMILY", "LANGUAGES", "RULES", "SCORES", "GopherRepetitionConfig", "measure"]
