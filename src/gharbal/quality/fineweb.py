"""FineWeb's rules (Penedo et al. 2024), last in datatrove's chain.

Scores ``quality.fineweb_v1.*``, measured on the lines C4's line rules keep (every line when they
are off), joined by single newlines, as datatrove's chain hands FineWeb the text C4 left:
``lines``, ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``, ``newline_ratio``
(newlines per token).

Reasons ``quality.fineweb.*``: ``empty``, ``line_punct_ratio``, ``short_line_ratio``,
``char_dup_ratio``, ``list_ratio``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gharbal.config import ConfigModel
from gharbal.normalise.text import tokens
from gharbal.quality.analysis import Analysis, find_duplicates, rounded
from gharbal.quality.rules import ABOVE, BELOW, Family, PerN, Rule
from gharbal.quality.tables import CJK, NO_SENTENCE_MARKS, NO_SPACES, ends_sentence

SCORES = "quality.fineweb_v1"


class FineWebConfig(ConfigModel):
    """FineWeb's rules, measured on the text as C4's line rules leave it."""

    enabled: bool = True
    min_line_punct_ratio: float | None = Field(default=0.12, ge=0, le=1)
    line_punct_exclude_zero: bool = False
    max_short_line_ratio: float | None = Field(default=0.67, ge=0, le=1)
    short_line_chars: int = Field(default=30, ge=0)
    max_char_dup_ratio: float | None = Field(default=0.01, ge=0)
    max_newline_ratio: float | None = Field(default=0.3, ge=0, description="newlines per word")


def measure(a: Analysis, lang: str | None, cfg: FineWebConfig) -> dict[str, float]:
    """FineWeb's scores of the lines of ``a`` that earlier line rules keep (``a.line_reasons``,
    C4's), joined by newlines; of the text when no line rules ran."""
    if a.line_reasons is None:
        lines, n_tokens, newlines = a.lines, len(a.tokens), a.text.count("\n")
    else:
        reasons = a.line_reasons
        lines = [a.lines[i] for i, r in enumerate(reasons) if r is None]
        removed = "\n".join(a.lines[i] for i, r in enumerate(reasons) if r is not None)
        kept = "\n".join(lines)
        # Tokenise the shorter side only (tokens never cross a line).
        if len(removed) < len(kept):
            n_tokens = len(a.tokens) - len(tokens(removed)) if removed else len(a.tokens)
        else:
            n_tokens = len(tokens(kept))
        newlines = len(lines) - 1
    n = len(lines)
    out: dict[str, float] = {"lines": n}
    if n:
        chars = sum(map(len, lines)) or 1
        out["line_punct_ratio"] = sum(map(ends_sentence, lines)) / n
        out["short_line_ratio"] = sum(len(s) <= cfg.short_line_chars for s in lines) / n
        out["char_dup_ratio"] = find_duplicates(lines)[1] / chars
        out["newline_ratio"] = newlines / (n_tokens or 1)
    return rounded(SCORES, out)


RULES: tuple[Rule[FineWebConfig] | PerN[FineWebConfig], ...] = (
    Rule("quality.fineweb.empty", f"{SCORES}.lines", lambda c: 1, BELOW, "lines"),
    Rule("quality.fineweb.line_punct_ratio", f"{SCORES}.line_punct_ratio",
         lambda c: c.min_line_punct_ratio, BELOW, "lines ending in punctuation ratio",
         skip_zero=lambda c: c.line_punct_exclude_zero),
    Rule("quality.fineweb.short_line_ratio", f"{SCORES}.short_line_ratio",
         lambda c: c.max_short_line_ratio, ABOVE,
         lambda c: f"lines of <= {c.short_line_chars} chars ratio"),
    Rule("quality.fineweb.char_dup_ratio", f"{SCORES}.char_dup_ratio",
         lambda c: c.max_char_dup_ratio, ABOVE, "duplicated line chars ratio"),
    Rule("quality.fineweb.list_ratio", f"{SCORES}.newline_ratio",
         lambda c: c.max_newline_ratio, ABOVE, "newlines per word"),
)  # fmt: skip

# Written without spaces, a "word" is a whole phrase: no newlines-per-word (list) rule.
_NO_SPACES: dict[str, Any] = {"max_newline_ratio": None}
LANGUAGES: dict[str, dict[str, Any]] = {
    # One token per Han/kana character: a short line is up to 15 characters.
    **{lang: {"short_line_chars": 15} for lang in CJK},
    **dict.fromkeys(NO_SPACES, _NO_SPACES),
    # Thai and Lao end a sentence with a space, not a mark: no line "ends in punctuation" (Khmer's
    # ។ ៕ and Myanmar's ။ are sentence marks).
    **{lang: {**_NO_SPACES, "min_line_punct_ratio": None} for lang in NO_SENTENCE_MARKS},
}

FAMILY = Family(
    name="fineweb",
    scores=SCORES,
    config=FineWebConfig,
    measure=measure,
    rules=RULES,
    languages=LANGUAGES,
)

__all__ = ["FAMILY", "LANGUAGES", "RULES", "SCORES", "FineWebConfig", "measure"]
