"""Features of the lines of a plain-text page, for the trained line classifier (`gharbal.extract.model`).

Every non-blank line becomes one row of numbers; the names are `LINE_FEATURES` (the line itself),
then the same few features of its neighbours (`CONTEXT_FEATURES`), then window statistics. All
features are general: lengths, ratios, punctuation in any script, stopword density against the
stopword list of the page's language, script and language of the line versus the page, position,
repetition in the page and across the pages of its site, and a learned multilingual chrome lexicon
(words that mark boilerplate on many different sites; shipped with the model, no site names).

A page is measured column by column: character classes and scripts for the whole page at once
(`gharbal.extract.charclasses`), the words of all lines as one flat list cut into lines with
``reduceat``, the rest array arithmetic (numpy); what is left per line is its tokenisation and a few
list comprehensions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, repeat

import numpy as np
import numpy.typing as npt
import regex

from gharbal.document import Line
from gharbal.extract.charclasses import COMMAS as _COMMAS
from gharbal.extract.charclasses import SCRIPT_NAMES as _SCRIPTS
from gharbal.extract.charclasses import dominant_script, page_script_counts
from gharbal.extract.punctuation import ends_sentence
from gharbal.identify.language import detect
from gharbal.identify.stopwords import SCRIPT_LANGUAGES, stopwords_for
from gharbal.normalise.text import match_form, words
from gharbal.normalise.unicode import normalise

Matrix = npt.NDArray[np.float32]

_URLISH = regex.compile(r"(?i:https?://|www\.)|@[\w-]+\.\w|\.(?:com|org|net)\b")
_BULLETS = frozenset("-–—•*·►▸▶✓✔›»>")
_DIGITS_RE = regex.compile(r"\p{N}+")
# Separators between spaces: "Caption - Site", "Home | News", "Photo / Agency", "a • b".
_SPACED_SEPARATOR = regex.compile(r"\s[-|/•·–—]\s")
# Lines in a different language are looked up with CLD2 only when they are long enough to be
# identified and their own words do not already show the page's language (few stopwords).
_LID_MIN_LETTERS = 30
_LID_MAX_STOPWORDS = 0.08

LINE_FEATURES = (
    "log_chars",
    "log_words",
    "letter_ratio",
    "digit_ratio",
    "symbol_ratio",
    "upper_ratio",
    "title_ratio",
    "terminal",
    "ends_colon",
    "ends_comma",
    "log_sentence_marks",
    "log_commas",
    "stopword_ratio",
    "log_stopwords",
    "script_mismatch",
    "no_script",
    "lang_mismatch",
    "rel_pos",
    "log_from_start",
    "log_from_end",
    "log_page_repeats",
    "site_frac",
    "log_site_count",
    "log_site_pages",
    "lex_mean",
    "lex_max",
    "lex_min",
    "lex_first",
    "urlish",
    "separators",
    "bullet_start",
    "copyright",
    "chars_vs_page_max",
    "mean_word_len",
    "log_page_lines",
    "page_has_stopwords",
    "page_long_share",
    "overlap_prev",
    "overlap_next",
    "page_script_share",
    "spaced_separators",
)
CONTEXT_FEATURES = (
    "log_chars",
    "terminal",
    "stopword_ratio",
    "site_frac",
    "lex_mean",
    "letter_ratio",
)
CONTEXT_OFFSETS = (-3, -2, -1, 1, 2, 3)
_CONTEXT_WIDTH = len(CONTEXT_FEATURES) * len(CONTEXT_OFFSETS)
WINDOW_FEATURES = (
    "good_share_3",
    "good_share_10",
    "max_chars_5",
    "log_dist_good_before",
    "log_dist_good_after",
    "good_before_share",
    "good_after_share",
)
_IDX = {name: i for i, name in enumerate(LINE_FEATURES)}


def feature_names() -> list[str]:
    names = list(LINE_FEATURES)
    for off in CONTEXT_OFFSETS:
        names.extend(f"{name}@{off:+d}" for name in CONTEXT_FEATURES)
    names.extend(WINDOW_FEATURES)
    return names


FEATURE_NAMES = tuple(feature_names())


@dataclass(slots=True)
class PageProfile:
    """What the page as a whole looks like: its dominant script, language and stopword list."""

    script: str | None
    lang: str | None
    stopwords: frozenset[str]


@dataclass(slots=True)
class SiteCounts:
    """How many pages of the page's site contain each of its lines (the page itself included),
    and how many pages the site has in the input. ``None`` counts mean no statistics."""

    pages: int
    lines: Sequence[int]


@dataclass(slots=True)
class PageFeatures:
    """The measured page: profile, per-line word forms, the feature matrix and facts for reasons."""

    profile: PageProfile
    forms: list[list[str]]
    matrix: Matrix
    repeats: list[int]
    site_pages_containing: list[int]
    line_script: list[str | None]
    line_lang: list[str | None]
    line_forms: list[str]


def line_form(text: str) -> str:
    """The form lines are compared in (within a page and across a site): matching form of the
    words with every run of digits replaced by ``0`` (dates and counters vary, templates do not);
    a line without words is compared as it is written."""
    return _DIGITS_RE.sub("0", " ".join(words(match_form(text)))) or text


def fold_lines(texts: Sequence[str]) -> list[str]:
    """Each line in matching form (`gharbal.normalise.match_form` applied to the whole line).

    The page is folded in one call to `normalise`, not through ``match_form``: that one caches
    its arguments (16k of them), which for whole pages would keep hundreds of MB alive."""
    folded = normalise("\n".join(texts))
    return folded.split("\n")


def guess_page_language(forms: list[list[str]], script: str | None) -> str | None:
    """The language of ``script`` whose stopwords cover most of the page's words (as
    `gharbal.identify.stopwords.guess_language`, counted with set operations)."""
    candidates = SCRIPT_LANGUAGES.get(script or "", ())
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    counts = Counter(chain.from_iterable(forms))
    # One pass over the page's vocabulary, each stopword crediting the languages that list it
    # (not one set intersection per language: Latin script has dozens of candidates).
    cover = [0] * len(candidates)
    get = _stopword_index(candidates).get
    for word, count in counts.items():
        for k in get(word, ()):
            cover[k] += count
    best, best_cover = None, 0
    for lang, covered in zip(candidates, cover, strict=True):
        if covered > best_cover:
            best, best_cover = lang, covered
    return best or candidates[0]


@cache
def _stopword_index(candidates: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """Stopword -> positions in ``candidates`` of the languages whose lists hold it."""
    index: dict[str, list[int]] = {}
    for k, lang in enumerate(candidates):
        for word in stopwords_for(lang):
            index.setdefault(word, []).append(k)
    return {word: tuple(ks) for word, ks in index.items()}


def profile_page(
    lines: Sequence[Line], page_scripts: npt.NDArray[np.int64] | None = None
) -> tuple[PageProfile, list[list[str]]]:
    """The page profile and each line's words in matching form."""
    texts = [ln.text for ln in lines]
    forms = [words(t) for t in fold_lines(texts)]
    if page_scripts is None:
        page_scripts = page_script_counts(texts)[2]
    script = dominant_script(page_scripts)
    lang = guess_page_language(forms, script)
    return PageProfile(script, lang, stopwords_for(lang) if lang else frozenset()), forms


def _line_hits(pattern: regex.Pattern[str], texts: Sequence[str]) -> set[int]:
    """Indices of the lines where ``pattern`` matches (one scan of the whole page)."""
    joined = "\n".join(texts)
    hits: set[int] = set()
    for m in pattern.finditer(joined):
        hits.add(joined.count("\n", 0, m.start()))
    return hits


def measure_page(
    lines: Sequence[Line],
    lexicon: Mapping[str, float],
    site: SiteCounts | None = None,
) -> PageFeatures:
    """The feature matrix of a page's lines (rows in line order, columns `FEATURE_NAMES`)."""
    n = len(lines)
    texts = [ln.text for ln in lines]
    classes, line_scripts, page_scripts = page_script_counts(texts)
    profile, forms = profile_page(lines, page_scripts)
    line_forms = [
        (_DIGITS_RE.sub("0", " ".join(f)) if classes[i, 2] else " ".join(f)) or texts[i]
        for i, f in enumerate(forms)
    ]
    urlish = _line_hits(_URLISH, texts)
    seen = Counter(line_forms)
    base = np.zeros((n, len(LINE_FEATURES)), dtype=np.float32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.float32, count=n)
    max_chars = float(lengths.max()) if n else 1.0
    long_share = float((lengths >= 100).mean()) if n else 0.0
    site_pages = max(site.pages - 1, 0) if site is not None else 0
    sw = profile.stopwords
    page_lang = profile.lang
    page_script_id = _SCRIPTS.index(profile.script) if profile.script else -1
    # Column by column over all lines (one Python step per line or per word at most, no loop
    # body per line): the words of the page in one flat list, each line a segment of it.
    sizes, has, segments = _segments(forms)
    flat = list(chain.from_iterable(forms))

    def per_line(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = np.zeros(n, dtype=np.int64)
        if flat:
            out[has] = np.add.reduceat(values, segments)
        return out

    nsw = (
        per_line(np.fromiter(map(sw.__contains__, flat), dtype=np.int64, count=len(flat)))
        if sw
        else np.zeros(n, dtype=np.int64)
    )
    word_chars = per_line(np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)))
    nw_safe = np.maximum(sizes, 1)
    sw_ratio = np.where(has, nsw / nw_safe, 0.0)
    script_total = line_scripts.sum(axis=1)
    script_arg = line_scripts.argmax(axis=1) if n else np.zeros(0, np.int64)
    sid = np.where(script_total >= 3, script_arg, -1)
    scripts: list[str | None] = [_SCRIPTS[k] if k >= 0 else None for k in sid.tolist()]
    langs: list[str | None] = [None] * n
    if page_lang is not None:
        # Looked up with CLD2 only where the line's own words do not already show the language.
        ask = (classes[:, 1] >= _LID_MIN_LETTERS) & (sw_ratio <= _LID_MAX_STOPWORDS)
        for i in np.flatnonzero(ask & (sid == page_script_id)).tolist():
            langs[i] = detect(texts[i]).lang
    site_containing = [max(site.lines[i] - 1, 0) for i in range(n)] if site is not None else [0] * n
    containing = np.asarray(site_containing, dtype=np.float64)
    lasts = [t[-1:] for t in texts]
    if n:
        cols = np.column_stack(
            [
                sizes,
                [ends_sentence(t) for t in texts],
                [c in ":：" for c in lasts],
                [c in _COMMAS for c in lasts],
                sw_ratio,
                nsw,
                (sid >= 0) & (sid != page_script_id),
                sid < 0,
                [lang is not None and lang != page_lang for lang in langs],
                [seen[f] - 1 for f in line_forms],
                containing / site_pages if site_pages else np.zeros(n),
                containing,
                [i in urlish for i in range(n)],
                [c in _BULLETS or c.isdigit() for c in (t[:1] for t in texts)],
                np.where(has, word_chars / nw_safe, 0.0),
            ]
        ).astype(np.float32)
        logged = (0, 5, 9, 11)
        cols[:, logged] = np.log1p(cols[:, logged])
        base[:, [1, 7, 8, 9, 12, 13, 14, 15, 16, 20, 21, 22, 28, 30, 33]] = cols
    if n:
        nonspace = np.maximum(classes[:, 0], 1).astype(np.float32)
        letters = classes[:, 1].astype(np.float32)
        digits = classes[:, 2].astype(np.float32)
        cased = classes[:, 3].astype(np.float32)
        idx = np.arange(n, dtype=np.float32)
        base[:, 0] = np.log1p(lengths)
        base[:, 2] = letters / nonspace
        base[:, 3] = digits / nonspace
        base[:, 4] = np.maximum(nonspace - letters - digits, 0) / nonspace
        base[:, 5] = np.where(cased > 0, classes[:, 4] / np.maximum(cased, 1), 0.0)
        words_n = np.maximum(np.expm1(base[:, 1]), 1.0)
        base[:, 6] = np.minimum(classes[:, 9] / words_n, 1.0)
        base[:, 10] = np.log1p(classes[:, 5])
        base[:, 11] = np.log1p(classes[:, 6])
        base[:, 17] = idx / (n - 1) if n > 1 else 0.0
        base[:, 18] = np.log1p(idx)
        base[:, 19] = np.log1p(n - 1 - idx)
        base[:, 23] = math.log1p(site_pages)
        base[:, 29] = np.log1p(classes[:, 7])
        base[:, 31] = np.maximum(base[:, 31], (classes[:, 8] > 0).astype(np.float32))
        base[:, 32] = lengths / (max_chars or 1.0)
        base[:, 34] = math.log1p(n)
        base[:, 35] = 1.0 if sw else 0.0
        base[:, 36] = long_share
    # Share of a line's words found in the line before / after (captions repeating alt texts,
    # headlines repeated in breadcrumbs).
    sets = [set(f) for f in forms]
    for i in range(n):
        own_set = sets[i]
        if own_set:
            if i > 0:
                base[i, _IDX["overlap_prev"]] = len(own_set & sets[i - 1]) / len(own_set)
            if i + 1 < n:
                base[i, _IDX["overlap_next"]] = len(own_set & sets[i + 1]) / len(own_set)
    if n:
        # Share of the line's letters written in the page's script (credits, mixed-script bylines).
        in_page = line_scripts[:, page_script_id] if page_script_id >= 0 else np.zeros(n)
        base[:, _IDX["page_script_share"]] = np.where(
            script_total > 0, in_page / np.maximum(script_total, 1), 1.0
        )
        joined = "\n".join(texts)
        counts = np.zeros(n, dtype=np.float32)
        for m in _SPACED_SEPARATOR.finditer(joined):
            counts[joined.count("\n", 0, m.start() + 1)] += 1
        base[:, _IDX["spaced_separators"]] = np.log1p(counts)
    if lexicon:
        base[:, _LEX] = lexicon_columns([f.split() for f in line_forms], lexicon)
    matrix = np.concatenate([base, _context(base), _windows(base)], axis=1)
    return PageFeatures(
        profile=profile,
        forms=forms,
        matrix=matrix,
        repeats=[seen[f] for f in line_forms],
        site_pages_containing=site_containing,
        line_script=scripts,
        line_lang=langs,
        line_forms=line_forms,
    )


_LEX = [_IDX[name] for name in ("lex_mean", "lex_max", "lex_min", "lex_first")]


def _segments(
    forms: Sequence[Sequence[str]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The page's words laid end to end in one flat list, each line a segment of it: (words per
    line, which lines have words, where in the flat list each of those starts), for ``reduceat``
    (an empty line is a segment of length zero, left out)."""
    sizes = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    has = sizes > 0
    return sizes, has, (np.cumsum(sizes) - sizes)[has]


def lexicon_columns(forms: list[list[str]], lexicon: Mapping[str, float]) -> Matrix:
    """Mean, max, min and first-word chrome score of each line's words (as in `line_form`)."""
    out = np.zeros((len(forms), 4), dtype=np.float32)
    sizes, has, starts = _segments(forms)
    total = int(sizes.sum())
    if not total:
        return out
    values = np.fromiter(
        map(lexicon.get, chain.from_iterable(forms), repeat(0.0)), dtype=np.float64, count=total
    )
    out[has, 0] = np.add.reduceat(values, starts) / sizes[has]
    out[has, 1] = np.maximum.reduceat(values, starts)
    out[has, 2] = np.minimum.reduceat(values, starts)
    out[has, 3] = values[starts]
    return out


def with_lexicon(feats: PageFeatures, lexicon: Mapping[str, float]) -> Matrix:
    """``feats.matrix`` with the lexicon columns (own and neighbours') computed for ``lexicon``."""
    m = feats.matrix.copy()
    m[:, _LEX] = lexicon_columns([f.split() for f in feats.line_forms], lexicon)
    m[:, len(LINE_FEATURES) : len(LINE_FEATURES) + _CONTEXT_WIDTH] = _context(
        m[:, : len(LINE_FEATURES)]
    )
    return m


def shifted(values: npt.NDArray[np.float32], off: int, fill: float) -> npt.NDArray[np.float32]:
    """``values`` moved so that row i holds row i+off (``fill`` past the page edges)."""
    out = np.full_like(values, fill)
    n = values.shape[0]
    if off > 0 and off < n:
        out[: n - off] = values[off:]
    elif off < 0 and -off < n:
        out[-off:] = values[: n + off]
    return out


def _context(base: Matrix) -> Matrix:
    cols = [_IDX[name] for name in CONTEXT_FEATURES]
    sub = base[:, cols]
    # Beyond the page edge: an empty line (-1 marks "no line" for every feature).
    return np.concatenate([shifted(sub, off, -1.0) for off in CONTEXT_OFFSETS], axis=1)


def window_mean(values: npt.NDArray[np.float32], radius: int) -> npt.NDArray[np.float32]:
    """Mean of ``values`` over rows i-radius..i+radius (clipped at the page edges)."""
    n = values.shape[0]
    csum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    out: npt.NDArray[np.float32] = ((csum[hi] - csum[lo]) / (hi - lo)).astype(np.float32)
    return out


def _windows(base: Matrix) -> Matrix:
    n = base.shape[0]
    chars = base[:, _IDX["log_chars"]]
    good = ((chars >= math.log1p(80)) & (base[:, _IDX["stopword_ratio"]] >= 0.1)) | (
        (chars >= math.log1p(60)) & (base[:, _IDX["terminal"]] > 0)
    )
    goodf = good.astype(np.float32)
    out = np.zeros((n, len(WINDOW_FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    out[:, 0] = window_mean(goodf, 3)
    out[:, 1] = window_mean(goodf, 10)
    padded = np.concatenate([np.zeros(5, np.float32), chars, np.zeros(5, np.float32)])
    out[:, 2] = np.lib.stride_tricks.sliding_window_view(padded, 11).max(axis=1)
    idx = np.arange(n)
    good_idx = np.flatnonzero(good)
    if good_idx.size:
        pos = np.searchsorted(good_idx, idx)
        before = np.where(pos > 0, idx - good_idx[np.maximum(pos - 1, 0)], n + 1)
        # Strictly after i: the first good index > i.
        pos_after = np.searchsorted(good_idx, idx, side="right")
        after = np.where(
            pos_after < good_idx.size,
            good_idx[np.minimum(pos_after, good_idx.size - 1)] - idx,
            n + 1,
        )
        out[:, 3] = np.log1p(before)
        out[:, 4] = np.log1p(after)
        total = float(good_idx.size)
        out[:, 5] = pos / total
        out[:, 6] = (good_idx.size - pos_after) / total
    else:
        out[:, 3] = out[:, 4] = math.log1p(n + 1)
    return out
