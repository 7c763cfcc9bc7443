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
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from gharbal.document import Line, Verdict
from gharbal.extract.config import TitleConfig
from gharbal.normalise.charclasses import ends_sentence

_NOT_TITLE_END = frozenset(".,;:،؛۔。")


def _ends(text: str) -> bool:
    return ends_sentence(text)


_MIN_OVERLAP = 0.5


def _content(forms: list[str], stopwords: frozenset[str]) -> set[str]:
    return {w for w in forms if w not in stopwords and not w.isdigit() and len(w) > 1}


# For each candidate line, (its distinct content words, how many of them occur in a line of the
# body other than itself); arguments: the candidates, the body's lines (indices in the page).
TitleWords = Callable[[Sequence[int], Sequence[int]], list[tuple[int, int]]]


def title_words_of(forms: Sequence[list[str]], stopwords: frozenset[str]) -> TitleWords:
    """`TitleWords` from the lines' word forms (the C scanner counts the same from word hashes,
    without tokenising: `gharbal.extract.features`)."""

    def count(candidates: Sequence[int], body: Sequence[int]) -> list[tuple[int, int]]:
        owns = [_content(forms[i], stopwords) for i in candidates]
        asked: set[str] = set().union(*owns)
        seen: Counter[str] = Counter()
        for i in body:
            seen.update(asked.intersection(forms[i]))
        in_body = set(body)
        out = []
        for i, own in zip(candidates, owns, strict=True):
            itself = 1 if i in in_body else 0
            out.append((len(own), sum(1 for w in own if seen[w] > itself)))
        return out

    return count


def find_title(
    lines: list[Line], forms: Sequence[list[str]], stopwords: frozenset[str], cfg: TitleConfig
) -> int | None:
    """Index in ``lines`` of the headline, or None."""
    found = find_title_and_body(lines, forms, stopwords, cfg)
    return None if found is None else found[0]


def find_title_and_body(
    lines: list[Line],
    forms: Sequence[list[str]],
    stopwords: frozenset[str],
    cfg: TitleConfig,
    title_words: TitleWords | None = None,
    word_counts: Sequence[int] | npt.NDArray[np.int64] | None = None,
    kept: list[int] | None = None,
) -> tuple[int, int] | None:
    """(index of the headline, index of the first substantial body line), or None.

    ``title_words`` counts the candidates' content words and those found in the body (by default
    from ``forms`` and ``stopwords``; the C scanner counts from word hashes without tokenising);
    ``word_counts``: each line's number of words, if known (saves tokenising lines of the wrong
    length); ``kept``: the indices of the kept lines, if known."""
    if kept is None:
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
    window = [
        i
        for i in range(max(0, first - cfg.window), first + 1)
        if lines[i].text[-1] not in _NOT_TITLE_END
        and 2 <= (word_counts[i] if word_counts is not None else len(forms[i])) <= cfg.max_words
    ]
    if not window:
        return None
    # A candidate has two content words or more; its words are looked up in the body without
    # the candidate itself.
    body_lines = [i for i in kept if i >= first]
    counts = (title_words or title_words_of(forms, stopwords))(window, body_lines)
    best: tuple[float, int] | None = None
    for i, (own, found) in zip(window, counts, strict=True):
        if own < 2:
            continue
        overlap = found / own
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


def strip_above(lines: list[Line], title: int) -> None:
    """Remove the short non-sentence lines still kept above the headline: ticker items, teaser
    headlines of other articles, breadcrumbs (the article starts at its headline). Measured on
    the dev set's site-grouped CV: +0.002 F1 without site statistics, +0.001 on the accuracy
    gate, no change with site statistics (docs/extraction.md)."""
    for i in range(title):
        ln = lines[i]
        if ln.verdict is Verdict.KEEP and len(ln.text) < 80 and not ends_sentence(ln.text):
            ln.remove("extract.outside_main", "above the headline")
