"""C4's rules (Raffel et al. 2020 and its TFDS code), third in datatrove's chain: line rules that
remove lines, and document rules on the lines they keep.

The line rules apply in order to every line: too long a word, no sentence-final punctuation, too
few words, "javascript", policy notices; the first one a line fails removes it with its reason,
``quality.c4.{long_word, no_terminal_punct, few_words, javascript, policy}``.

Scores ``quality.c4_v1.*``: ``lines``, ``removed_lines`` (the lines the line rules remove),
``sentences`` (counted on the other lines), ``lorem_ipsum`` and ``curly_bracket`` (1 when a kept
line has them).

Reasons ``quality.c4.*``: ``lorem_ipsum``, ``curly_bracket``, ``few_sentences``; a document every
rule passed then loses the lines the line rules flag (``removed_lines/``, `remove_lines`), and is
rejected as ``quality.c4.empty`` when none is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import Field

from gharbal.config import ConfigModel
from gharbal.document import Document
from gharbal.normalise.text import words
from gharbal.quality.analysis import Analysis, LineReason
from gharbal.quality.rules import ABOVE, BELOW, Family, PerN, Rule
from gharbal.quality.tables import (
    CJK,
    NO_SPACES,
    POLICY_PHRASES,
    count_sentences,
    ends_sentence,
    strip_citations,
)
from gharbal.step import rebuild, text_lines

SCORES = "quality.c4_v1"


class C4LinesConfig(ConfigModel):
    """C4's line rules: a line failing one is removed (``removed_lines/``, ``quality.c4.*``)."""

    enabled: bool = True
    terminal_punct: bool = Field(
        default=False,
        description="remove lines not ending in sentence-final punctuation (C4: on; FineWeb: off)",
    )
    min_words: int | None = Field(default=3, ge=0)
    word_split: str = Field(
        default="whitespace",
        pattern="^(whitespace|tokens)$",
        description="how words are counted: by spaces, or gharbal's tokens (for CJK/Thai)",
    )
    max_word_length: int | None = Field(default=1000, ge=1)
    javascript: bool = True
    policy: bool = True
    policy_phrases: list[str] | None = Field(
        default=None, description="null: the built-in phrases for the language plus English"
    )
    remove_citations: bool = Field(
        default=True, description="ignore [1], [edit] ... when checking final punctuation"
    )


class C4Config(ConfigModel):
    """C4 rules: line-level (`C4LinesConfig`) and document-level."""

    enabled: bool = True
    lines: C4LinesConfig = C4LinesConfig()
    min_sentences: int | None = Field(default=5, ge=0, description="counted on kept lines")
    lorem_ipsum: bool = True
    curly_bracket: bool = True


@dataclass(slots=True)
class C4Lines:
    """C4's verdicts on the lines of an `Analysis`: ``reasons[i]`` is None for a kept line."""

    reasons: list[LineReason]
    sentences: int
    lorem_ipsum: bool
    curly_bracket: bool

    @property
    def kept(self) -> list[int]:
        return [i for i, r in enumerate(self.reasons) if r is None]


@cache
def _phrases_re(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))


@cache
def policy_phrases(lang: str | None) -> tuple[str, ...]:
    own = POLICY_PHRASES.get(lang or "", ())
    return own + tuple(p for p in POLICY_PHRASES["en"] if p not in own)


def c4_lines(a: Analysis, lang: str | None, cfg: C4Config) -> C4Lines:
    """The line rules' verdicts on ``a.lines`` and the document facts of the lines they keep."""
    lc = cfg.lines
    phrases = tuple(lc.policy_phrases) if lc.policy_phrases is not None else policy_phrases(lang)
    policy = _phrases_re(phrases) if lc.enabled and lc.policy else None
    max_len = lc.max_word_length if lc.enabled else None
    min_words = lc.min_words if lc.enabled else None
    terminal = lc.enabled and lc.terminal_punct
    javascript = lc.enabled and lc.javascript
    by_space = lc.word_split == "whitespace"
    reasons: list[LineReason] = []
    sentences = 0
    lorem = curly = False
    for line in a.lines:
        reason: LineReason = None
        ws = line.split()
        if max_len is not None and max(map(len, ws), default=0) > max_len:
            reason = ("quality.c4.long_word", f"a word over {max_len} characters")
        elif terminal and not ends_sentence(
            strip_citations(line).rstrip() if lc.remove_citations else line
        ):
            reason = ("quality.c4.no_terminal_punct", "no sentence-final punctuation")
        elif min_words is not None and (n := len(ws) if by_space else len(words(line))) < min_words:
            reason = ("quality.c4.few_words", f"{n} words < {min_words}")
        else:
            low = line.lower()
            if cfg.lorem_ipsum and "lorem ipsum" in low:
                lorem = True
            if javascript and "javascript" in low:
                reason = ("quality.c4.javascript", "mentions javascript")
            else:
                if cfg.curly_bracket and "{" in line:
                    curly = True
                if policy is not None and (hit := policy.search(low)):
                    reason = ("quality.c4.policy", f"policy notice ({hit.group()!r})")
        reasons.append(reason)
    if cfg.min_sentences is not None:
        sentences = count_sentences(
            "\n".join(ln for ln, r in zip(a.lines, reasons, strict=True) if r is None)
        )
    return C4Lines(reasons, sentences, lorem, curly)


def c4_scores(c4: C4Lines) -> dict[str, float]:
    return {
        f"{SCORES}.lines": len(c4.reasons),
        f"{SCORES}.removed_lines": sum(r is not None for r in c4.reasons),
        f"{SCORES}.sentences": c4.sentences,
        f"{SCORES}.lorem_ipsum": float(c4.lorem_ipsum),
        f"{SCORES}.curly_bracket": float(c4.curly_bracket),
    }


def measure(a: Analysis, lang: str | None, cfg: C4Config) -> dict[str, float]:
    """C4's scores of ``a``; with the line rules on, their verdicts go to ``a.line_reasons`` for
    the families after C4 (FineWeb measures the lines C4 keeps)."""
    c4 = c4_lines(a, lang, cfg)
    if cfg.lines.enabled:
        a.line_reasons = c4.reasons
    return c4_scores(c4)


def remove_lines(doc: Document, lang: str | None, cfg: C4Config) -> None:
    """A document every rule passed loses the lines C4's line rules flag (numbered in the original
    page, `gharbal.step.text_lines`); none left rejects it."""
    if not cfg.lines.enabled or not doc.scores.get(f"{SCORES}.removed_lines"):
        return
    lines = [s for s in (ln.strip() for ln in doc.text.splitlines()) if s]
    a = Analysis(doc.text, lines, [], [])  # the line rules need no tokens
    verdicts = c4_lines(a, lang, cfg).reasons
    if all(v is None for v in verdicts):
        return
    kept = text_lines(doc)  # numbered in the original page
    for line, verdict in zip(kept, verdicts, strict=True):
        if verdict is not None:
            line.remove(*verdict)
    rebuild(doc, kept)
    if not doc.text.strip():
        doc.reject("quality.c4.empty", "every line removed by C4's line rules")


RULES: tuple[Rule[C4Config] | PerN[C4Config], ...] = (
    Rule("quality.c4.lorem_ipsum", f"{SCORES}.lorem_ipsum",
         lambda c: 0.0 if c.lorem_ipsum else None, ABOVE, "'lorem ipsum' on a kept line"),
    Rule("quality.c4.curly_bracket", f"{SCORES}.curly_bracket",
         lambda c: 0.0 if c.curly_bracket else None, ABOVE, "'{' on a kept line"),
    Rule("quality.c4.few_sentences", f"{SCORES}.sentences",
         lambda c: c.min_sentences, BELOW, "sentences on kept lines"),
)  # fmt: skip

LANGUAGES: dict[str, dict[str, Any]] = {
    # One token per Han/kana character: words per line are counted as tokens.
    **{lang: {"lines": {"word_split": "tokens"}} for lang in CJK},
    # Written without spaces, a "word" is a whole phrase: no words-per-line rule.
    **{lang: {"lines": {"min_words": None}} for lang in NO_SPACES},
}

FAMILY = Family(
    name="c4",
    scores=SCORES,
    config=C4Config,
    measure=measure,
    rules=RULES,
    languages=LANGUAGES,
    edit=remove_lines,
)

__all__ = [
    "FAMILY",
    "LANGUAGES",
    "RULES",
    "SCORES",
    "C4Config",
    "C4Lines",
    "C4LinesConfig",
    "c4_lines",
    "c4_scores",
    "measure",
    "policy_phrases",
    "remove_lines",
]
