"""Headline detection for plain page text.

The headline of an article is a line shortly before its first body line that is short, is not a
sentence ending with a full stop, and whose content words come back in the body. Among the candidate
lines in a window before the first kept line, the one with the largest share of its content words
found in the body wins (ties go to the line nearest the body); below ``min_overlap`` there is no title.
Signals are general: no site names or fixed strings.
"""

from __future__ import annotations

from gharbal.document import Line, Verdict
from gharbal.recipe import TitleConfig

_NOT_TITLE_END = frozenset(".,;:،؛۔。")
_MIN_OVERLAP = 0.5


def _content(forms: list[str], stopwords: frozenset[str]) -> set[str]:
    return {w for w in forms if w not in stopwords and not w.isdigit() and len(w) > 1}


def find_title(
    lines: list[Line], forms: list[list[str]], stopwords: frozenset[str], cfg: TitleConfig
) -> int | None:
    """Index in ``lines`` of the headline, or None."""
    kept = [i for i, ln in enumerate(lines) if ln.verdict is Verdict.KEEP]
    if not kept:
        return None
    first = kept[0]
    body: set[str] = set()
    for i in kept:
        body.update(forms[i])
    best: tuple[float, int] | None = None
    for i in range(max(0, first - cfg.window), first + 1):
        text = lines[i].text
        if not 2 <= len(forms[i]) <= cfg.max_words or text[-1] in _NOT_TITLE_END:
            continue
        own = _content(forms[i], stopwords)
        if len(own) < 2:
            continue
        rest = body if i != first else _body_without(forms, kept, i)
        overlap = len(own & rest) / len(own)
        if overlap >= _MIN_OVERLAP and (best is None or overlap >= best[0]):
            best = (overlap, i)
    return None if best is None else best[1]


def _body_without(forms: list[list[str]], kept: list[int], skip: int) -> set[str]:
    out: set[str] = set()
    for i in kept:
        if i != skip:
            out.update(forms[i])
    return out
