"""Headline detection for plain page text.

The headline of an article is a line shortly before its first substantial body line (80 characters,
or a sentence of 40) that is short, is not a sentence ending with a full stop, and whose content words
come back in the body. Among the candidate
lines in a window before the first kept line, the one with the largest share of its content words
found in the body wins (ties go to the line nearest the body); below ``min_overlap`` there is no title.
Signals are general: no site names or fixed strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from gharbal.document import Line, Verdict
from gharbal.extract.punctuation import ends_sentence
from gharbal.recipe import TitleConfig

_NOT_TITLE_END = frozenset(".,;:،؛۔。")


def _ends(text: str) -> bool:
    return ends_sentence(text)


_MIN_OVERLAP = 0.5


def _content(forms: list[str], stopwords: frozenset[str]) -> set[str]:
    return {w for w in forms if w not in stopwords and not w.isdigit() and len(w) > 1}


def find_title(
    lines: list[Line], forms: Sequence[list[str]], stopwords: frozenset[str], cfg: TitleConfig
) -> int | None:
    """Index in ``lines`` of the headline, or None."""
    found = find_title_and_body(lines, forms, stopwords, cfg)
    return None if found is None else found[0]


def find_title_and_body(
    lines: list[Line], forms: Sequence[list[str]], stopwords: frozenset[str], cfg: TitleConfig
) -> tuple[int, int] | None:
    """(index of the headline, index of the first substantial body line), or None."""
    kept = [i for i, ln in enumerate(lines) if ln.verdict is Verdict.KEEP]
    if not kept:
        return None
    # The body starts at its first substantial line (a ticker or byline kept above it must not
    # hide the headline): long, or a sentence of some length.
    first = next(
        (
            i
            for i in kept
            if len(lines[i].text) >= 80 or (len(lines[i].text) >= 40 and _ends(lines[i].text))
        ),
        kept[0],
    )
    body_lines = [i for i in kept if i >= first]
    # In how many body lines each word occurs: a candidate's words are looked up in the body
    # without the candidate itself (counted once here, not once per candidate).
    in_body: Counter[str] = Counter()
    for i in body_lines:
        in_body.update(set(forms[i]))
    body = set(body_lines)
    best: tuple[float, int] | None = None
    for i in range(max(0, first - cfg.window), first + 1):
        text = lines[i].text
        if not 2 <= len(forms[i]) <= cfg.max_words or text[-1] in _NOT_TITLE_END:
            continue
        own = _content(forms[i], stopwords)
        if len(own) < 2:
            continue
        mine = set(forms[i]) if i in body else set()
        shared = sum(1 for w in own if in_body[w] - (w in mine) > 0)
        overlap = shared / len(own)
        if overlap >= _MIN_OVERLAP and (best is None or overlap >= best[0]):
            best = (overlap, i)
    return None if best is None else (best[1], first)


def strip_header(lines: list[Line], title: int, body: int) -> None:
    """Remove the short non-sentence lines kept between the headline and the first substantial body
    line: bylines, dates, photo credits and captions, share bars."""
    for i in range(title + 1, body):
        ln = lines[i]
        if ln.verdict is Verdict.KEEP and len(ln.text) < 80 and not ends_sentence(ln.text):
            ln.remove("extract.outside_main", "between the headline and the body")
