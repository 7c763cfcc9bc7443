"""The heuristic line-level boilerplate remover (gharbal 0.1), kept as ``extract.lines.method:
heuristic`` and as the baseline the trained classifier (`gharbal.extract.lines`) is measured against.

It uses only general signals, never strings of particular sites. The cascade:

1. **Measure** every non-blank line: characters, words, share of letters, sentence-final
   punctuation in any script (``. ! ? ؟ ۔ … 。``), stopword density against the stopword list of the
   page's language (guessed from stopword coverage among the languages of the page's script), the
   line's script versus the page's, and how often the same line occurs in the page.
2. **Classify** each line on its own (in this order):
   ``repeated`` (a short line that occurs more than once in the page: menus, "loader", share bars),
   ``script`` (a line mostly in another script than the page),
   ``non_text`` (mostly digits and symbols),
   ``short`` (fewer than ``short_chars`` characters; decided by context in step 3),
   ``good`` (stopword density >= ``stopwords_high`` and long or punctuated; or a long sentence with
   some stopwords; or, for a language without a stopword list, long or punctuated),
   ``near_good`` (stopword density >= ``stopwords_low``, or a punctuated line with some stopwords),
   otherwise ``bad`` (too few stopwords: lists of names, link farms, tag clouds).
3. **Context** (after jusText): a ``near_good`` line is kept when a good line is among its nearest
   good-or-bad neighbours (looking past short and near-good lines); a ``short`` line is kept between
   good neighbours on both sides, or on one side
   when it is itself a sentence (ends with final punctuation) of two words or more.
4. **Title**: see `gharbal.extract.title`.

Every removed line gets a dotted reason (``extract.lines.<class>``) and a detail with the measured
values, so a person can see why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex

from gharbal.document import Line, Verdict
from gharbal.extract.config import LinesConfig
from gharbal.identify.script import dominant_script, script_counts
from gharbal.identify.stopwords import guess_language, stopwords_for
from gharbal.normalise.charclasses import ends_sentence
from gharbal.normalise.text import match_form, words

GOOD, NEAR_GOOD, SHORT, BAD = "good", "near_good", "short", "bad"
# Letters with their combining marks (Burmese, Devanagari and Arabic vowels are marks, not letters).
_LETTER = regex.compile(r"[\p{L}\p{M}]")


@dataclass(slots=True)
class LineFeatures:
    chars: int
    words: int
    letter_ratio: float
    stopword_ratio: float
    terminal: bool
    script: str | None
    repeats: int
    forms: list[str]


@dataclass(slots=True)
class PageProfile:
    script: str | None
    lang: str | None
    stopwords: frozenset[str]


def profile_page(lines: list[Line]) -> tuple[PageProfile, list[list[str]]]:
    forms = [[match_form(w) for w in words(ln.text)] for ln in lines]
    counts = script_counts("\n".join(ln.text for ln in lines))
    script = dominant_script("", counts)
    lang = guess_language((w for f in forms for w in f), script)
    return PageProfile(script, lang, stopwords_for(lang) if lang else frozenset()), forms


def measure(lines: list[Line]) -> tuple[PageProfile, list[LineFeatures]]:
    profile, forms = profile_page(lines)
    seen = Counter(match_form(ln.text) for ln in lines)
    feats = []
    for ln, fs in zip(lines, forms, strict=True):
        text = ln.text
        non_space = sum(1 for c in text if not c.isspace())
        letters = len(_LETTER.findall(text))
        sw = sum(1 for w in fs if w in profile.stopwords)
        counts = script_counts(text)
        feats.append(
            LineFeatures(
                chars=len(text),
                words=len(fs),
                letter_ratio=letters / non_space if non_space else 0.0,
                stopword_ratio=sw / len(fs) if fs else 0.0,
                terminal=ends_sentence(text),
                script=dominant_script(text, counts) if sum(counts.values()) >= 3 else None,
                repeats=seen[match_form(text)],
                forms=fs,
            )
        )
    return profile, feats


def _classify(f: LineFeatures, page: PageProfile, cfg: LinesConfig) -> tuple[str, str, str]:
    """(class, reason, detail) of one line on its own."""
    if f.repeats > 1 and f.chars < cfg.short_chars:
        return BAD, "extract.lines.repeated", f"occurs {f.repeats}x in the page"
    if f.script not in (None, page.script) and page.script is not None and f.chars < cfg.long_chars:
        return BAD, "extract.lines.script", f"{f.script} line on a {page.script} page"
    if f.letter_ratio < 0.5:
        return BAD, "extract.lines.non_text", f"letters {f.letter_ratio:.0%} of characters"
    if f.chars < cfg.short_chars:
        return SHORT, "", ""
    if not page.stopwords:
        # No stopword list for this language (Thai, Burmese, ...): length and punctuation decide.
        if f.chars >= cfg.long_chars or f.terminal:
            return GOOD, "", ""
        return NEAR_GOOD, "", ""
    sw = f.stopword_ratio
    if sw >= cfg.stopwords_high and (f.chars >= cfg.long_chars or f.terminal):
        return GOOD, "", ""
    if f.terminal and f.chars >= cfg.long_chars and sw > 0:
        return GOOD, "", ""  # long sentences in languages whose stopwords are rarely free-standing
    if sw >= cfg.stopwords_low or (f.terminal and sw > 0):
        return NEAR_GOOD, "", ""
    return (
        BAD,
        "extract.lines.low_stopwords",
        f"stopwords {sw:.2f} < {cfg.stopwords_low} ({page.lang or 'no list'}), {f.words} words",
    )


def _neighbour(classes: list[str], i: int, step: int, cfg: LinesConfig) -> str:
    """The class of the nearest good or bad line in direction ``step``, looking past short and
    near-good lines (as jusText does); page edges count as bad."""
    j = i + step
    while 0 <= j < len(classes) and abs(j - i) <= cfg.max_distance:
        if classes[j] in (GOOD, BAD):
            return classes[j]
        j += step
    return BAD


def clean_lines(lines: list[Line], cfg: LinesConfig) -> tuple[PageProfile, list[LineFeatures]]:
    """Set each line's verdict and reason in place; return the page profile and line features."""
    profile, feats = measure(lines)
    initial = [_classify(f, profile, cfg) for f in feats]
    classes = [c for c, _, _ in initial]
    final = list(classes)
    for i, (cls, reason, detail) in enumerate(initial):
        f = feats[i]
        if cls == NEAR_GOOD:
            prev, nxt = _neighbour(classes, i, -1, cfg), _neighbour(classes, i, 1, cfg)
            if GOOD in (prev, nxt):
                final[i] = GOOD
            else:
                final[i] = BAD
                lines[i].remove(
                    "extract.lines.near_good_context",
                    f"stopwords {f.stopword_ratio:.2f}, neighbours {prev}/{nxt}",
                )
        elif cls == SHORT:
            prev, nxt = _neighbour(classes, i, -1, cfg), _neighbour(classes, i, 1, cfg)
            sentence = f.terminal and f.words >= 2
            if (prev == GOOD and nxt == GOOD) or (sentence and GOOD in (prev, nxt)):
                final[i] = GOOD
            else:
                final[i] = BAD
                lines[i].remove(
                    "extract.lines.short",
                    f"{f.chars} chars, {f.words} words, "
                    f"{'final punctuation' if f.terminal else 'no final punctuation'}, "
                    f"neighbours {prev}/{nxt}",
                )
        elif cls == BAD:
            lines[i].remove(reason, detail)
    for ln, cls in zip(lines, final, strict=True):
        if cls == GOOD:
            ln.verdict = Verdict.KEEP
    return profile, feats
