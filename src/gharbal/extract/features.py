"""Features of the lines of a plain-text page, for the trained line classifier (`gharbal.extract.model`).

Every non-blank line becomes one row of numbers; the names are `LINE_FEATURES` (the line itself),
then the same few features of its neighbours (`CONTEXT_FEATURES`), then window statistics. All
features are general: lengths, ratios, punctuation in any script, stopword density against the
stopword list of the page's language, script and language of the line versus the page, position,
repetition in the page and across the pages of its site, and a learned multilingual chrome lexicon
(words that mark boilerplate on many different sites; shipped with the model, no site names).

A page is measured in two steps: counting (`_Counts`: character classes, scripts, words, stopwords,
repeats, overlaps, line ends, lexicon scores), then the matrix made of the counts. Both steps run
in C when the optional extension `gharbal.extract._scan` is built (`_count_native`, words compared
by 64-bit hashes; ``_scan.assemble``); otherwise in Python and numpy, column by column over the
page (`_count_python`: character classes from `gharbal.extract.charclasses`, words as one flat
list cut into lines with ``reduceat``; `_assemble_python`). The Python path is the reference: both
give the same bits (tests/unit/extract/test_scan_native.py).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, chain, repeat
from types import ModuleType
from typing import overload

import numpy as np
import numpy.typing as npt
import regex

from gharbal.document import Line
from gharbal.extract.charclasses import COMMAS as _COMMAS
from gharbal.extract.charclasses import SCRIPT_NAMES as _SCRIPTS
from gharbal.extract.charclasses import (
    bmp_tables,
    dominant_script,
    page_script_counts,
    word_table,
)
from gharbal.extract.title import TitleWords, title_words_of
from gharbal.identify.language import detect
from gharbal.identify.stopwords import SCRIPT_LANGUAGES, stopwords_for
from gharbal.native import optional_extension
from gharbal.normalise.charclasses import BULLETS, ends_sentence
from gharbal.normalise.text import match_form, words
from gharbal.normalise.unicode import normalise

Matrix = npt.NDArray[np.float32]
_HAN, _JAPANESE = _SCRIPTS.index("Han"), _SCRIPTS.index("Japanese")
# A line's script by index, -1 (none) the last.
_SCRIPT_OR_NONE: tuple[str | None, ...] = (*_SCRIPTS, None)

_URLISH = regex.compile(r"(?i:https?://|www\.)|@[\w-]+\.\w|\.(?:com|org|net)\b")
_DIGITS_RE = regex.compile(r"\p{N}+")
# Separators between spaces: "Caption - Site", "Home | News", "Photo / Agency", "a • b".
_SPACED_SEPARATOR = regex.compile(r"\s[-|/•·–—]\s")
# A lexicon word scored above this is named in removal reasons (``extract.chrome.vocabulary``).
CHROME_WORD_MIN = 0.5
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
    forms: Sequence[list[str]]
    matrix: Matrix
    repeats: list[int]
    site_pages_containing: list[int]
    line_script: list[str | None]
    line_lang: list[str | None]
    line_forms: Sequence[str]
    # The headline candidates' content words, and those found in the body (`gharbal.extract.title`).
    title_words: TitleWords
    word_counts: npt.NDArray[np.int64]  # words of each line (len of its forms)
    line_chars: npt.NDArray[np.int64]  # characters of each line (len of its text)
    # Lines written in another script than the page (Han and Japanese count as one), or that CLD2
    # puts in another language than the page's.
    foreign_script: npt.NDArray[np.bool_]
    foreign_lang: npt.NDArray[np.bool_]
    # Line i -> the distinct words of its `line_form` that the lexicon scores above
    # `CHROME_WORD_MIN`, most chrome-like first (ties in word order): what reasons quote.
    chrome_words: Callable[[int], list[str]]
    # Indices of the lines the classifier kept (set by `gharbal.extract.lines.clean_lines`).
    kept: list[int] = field(default_factory=list)
    # The lines' DOM features (`gharbal.extract.dom`), when the model read them.
    dom: Matrix | None = None


def line_form(text: str) -> str:
    """The form lines are compared in (within a page and across a site): matching form of the
    words with every run of digits replaced by ``0`` (dates and counters vary, templates do not);
    a line without words is compared as it is written."""
    return _DIGITS_RE.sub("0", " ".join(words(match_form(text)))) or text


_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


def form_hashes(texts: Sequence[str], native: bool = True) -> npt.NDArray[np.uint64]:
    """The 64-bit FNV-1a hash of each line's `line_form` (over its code points), as the C scanner
    computes it for in-page repeats: one pass of the scanner where it is built (about ten times
    faster than making the forms), else the forms hashed with numpy. Lines of equal form, and
    only those (barring a 64-bit collision), get equal hashes."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    if native and _native is not None:
        text = "\n".join(texts)
        folded = normalise(text)  # as _count_native
        bits, script_of = bmp_tables()
        form_hash = np.empty(n, dtype=np.uint64)
        _native.scan(
            text, folded, n, _HAN, _JAPANESE, bits, script_of, word_table(),
            np.empty((n, 10), dtype=np.int64), np.empty((n, len(_SCRIPTS)), dtype=np.int64),
            np.empty(len(_SCRIPTS), dtype=np.int64), np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64), np.empty(len(folded), dtype=np.uint64),
            np.empty(len(folded) + len(text), dtype=np.uint64), np.empty(n, dtype=np.int64),
            form_hash, np.empty((n, 2)), np.empty((n, 7), dtype=np.int64),
            np.empty(len(folded), dtype=np.uint8),
        )  # fmt: skip
        return form_hash
    forms = [line_form(t) for t in texts]
    # Code points of all forms end to end; the longest forms first, so that the forms still
    # being hashed at position j are a prefix (each step hashes one character of each).
    order = sorted(range(n), key=lambda i: -len(forms[i]))
    lengths = np.asarray([len(forms[i]) for i in order], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    points = np.frombuffer(
        "".join(forms[i] for i in order).encode("utf-32-le", "surrogatepass"), dtype="<u4"
    ).astype(np.uint64)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    active, j = n, 0
    while j < lengths[0]:
        while lengths[active - 1] <= j:
            active -= 1
        if active <= 4:  # a few long lines left: on with Python integers
            break
        h[:active] = (h[:active] ^ points[starts[:active] + j]) * _FNV_PRIME
        j += 1
    prime, mask = int(_FNV_PRIME), (1 << 64) - 1
    for k in range(active if j < lengths[0] else 0):
        x = int(h[k])
        for c in forms[order[k]][j:]:
            x = ((x ^ ord(c)) * prime) & mask
        h[k] = x
    out = np.empty(n, dtype=np.uint64)
    out[np.asarray(order, dtype=np.intp)] = h
    return out


LOG_TABLE = 4096
_LOG1P = np.array([math.log1p(k) for k in range(LOG_TABLE)], dtype=np.float64).astype(np.float32)


def log1p32(values: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """``log1p`` of each value in double precision, rounded once to float32: the C library's
    ``log1p`` (which `math.log1p` and the C scanner both call), never numpy's.

    numpy's own log1p kernels (float32 and float64, SIMD by CPU) differ by a unit in the last
    place between numpy versions and CPUs, and a feature whose bits depend on the machine breaks
    both the C-vs-numpy check and byte-identical output across machines. The C library's double
    ``log1p`` is within an ulp of the exact value, so its float32 rounding is the correctly rounded
    float32 on any machine but in ties no input here comes near. Counts below `LOG_TABLE` (nearly
    all of them) come from a table made with the same function (``_scan.c`` makes its own the same
    way); the rest, and non-integers, from `math.log1p` one by one."""
    v = np.asarray(values, dtype=np.float64).ravel()
    out = np.empty(v.shape, dtype=np.float32)
    small = (v >= 0) & (v < LOG_TABLE)
    k = v.astype(np.int64, copy=False) if small.all() else np.where(small, v, 0).astype(np.int64)
    small &= k == v
    out[small] = _LOG1P[k[small]]
    if not small.all():
        rest = [float("-inf") if x == -1 else math.log1p(x) for x in v[~small].tolist()]
        out[~small] = np.array(rest, dtype=np.float64).astype(np.float32)
    return out


def fold_lines(texts: Sequence[str]) -> list[str]:
    """Each line in matching form (`gharbal.normalise.match_form` applied to the whole line).

    The page is folded in one call to `normalise`, not through ``match_form``: that one caches
    its arguments (16k of them), which for whole pages would keep hundreds of MB alive."""
    if not texts:
        return []  # "".split("\n") is [""]: one line for a page of none
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


def _line_starts(texts: Sequence[str]) -> list[int]:
    """Where each line starts in ``"\n".join(texts)``."""
    return list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))


def _line_hits(pattern: regex.Pattern[str], texts: Sequence[str]) -> set[int]:
    """Indices of the lines where ``pattern`` matches (one scan of the whole page; the line of a
    match found by bisection: counting the newlines before each match was quadratic)."""
    joined = "\n".join(texts)
    starts = _line_starts(texts)
    return {bisect_right(starts, m.start()) - 1 for m in pattern.finditer(joined)}


# The C scanner (`gharbal.extract._scan`), or None where it was not built.
_native = optional_extension("gharbal.extract._scan")
NATIVE_SCAN = _native is not None


@dataclass(slots=True)
class _Counts:
    """What is counted on a page's lines before the features are made of it: the same numbers
    from the C scanner (`_count_native`) and from regex and numpy (`_count_python`)."""

    classes: npt.NDArray[np.int64]  # (n, 10) character classes (charclasses.page_script_counts)
    line_scripts: npt.NDArray[np.int64]  # (n, scripts)
    page_scripts: npt.NDArray[np.int64]  # (scripts,)
    profile: PageProfile
    sizes: npt.NDArray[np.int64]  # words per line
    word_chars: npt.NDArray[np.int64]  # characters in those words
    stopwords: npt.NDArray[np.int64]  # of them in the page language's stopword list
    repeats: npt.NDArray[np.int64]  # lines of the page with the same line form (itself included)
    overlaps: npt.NDArray[np.float64]  # (n, 2) share of its distinct words in the line before/after
    # (n, 7) terminal, ends ":", ends ",", URL-like, spaced separators, length, list marker or digit
    facts: npt.NDArray[np.int64]
    lexicon: Matrix | None  # (n, 4) `lexicon_columns` (None without a lexicon)
    forms: Sequence[list[str]]  # each line's words in matching form
    line_forms: Sequence[str]  # each line's `line_form`
    title_words: TitleWords
    chrome_words: Callable[[int], list[str]]  # see PageFeatures


def _count_python(texts: Sequence[str], lexicon: Mapping[str, float]) -> _Counts:
    n = len(texts)
    classes, line_scripts, page_scripts = page_script_counts(texts)
    folded = fold_lines(texts)
    forms = [words(t) for t in folded]
    script = dominant_script(page_scripts)
    lang = guess_page_language(forms, script)
    profile = PageProfile(script, lang, stopwords_for(lang) if lang else frozenset())
    line_forms = [
        (_DIGITS_RE.sub("0", " ".join(f)) if classes[i, 2] else " ".join(f)) or texts[i]
        for i, f in enumerate(forms)
    ]
    seen = Counter(line_forms)
    # Column by column over all lines: the words of the page in one flat list, each line a
    # segment of it.
    sizes, has, segments = _segments(forms)
    flat = list(chain.from_iterable(forms))

    def per_line(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = np.zeros(n, dtype=np.int64)
        if flat:
            out[has] = np.add.reduceat(values, segments)
        return out

    sw = profile.stopwords
    nsw = (
        per_line(np.fromiter(map(sw.__contains__, flat), dtype=np.int64, count=len(flat)))
        if sw
        else np.zeros(n, dtype=np.int64)
    )
    # Share of a line's words found in the line before / after.
    overlaps = np.zeros((n, 2))
    sets = [set(f) for f in forms]
    for i in range(n):
        own_set = sets[i]
        if own_set:
            if i > 0:
                overlaps[i, 0] = len(own_set & sets[i - 1]) / len(own_set)
            if i + 1 < n:
                overlaps[i, 1] = len(own_set & sets[i + 1]) / len(own_set)
    urlish = _line_hits(_URLISH, texts)
    joined = "\n".join(texts)
    separators = np.zeros(n, dtype=np.int64)
    starts = _line_starts(texts)
    for m in _SPACED_SEPARATOR.finditer(joined):
        # (a separator's leading space may be the newline ending the line before)
        separators[bisect_right(starts, m.start() + 1) - 1] += 1
    lasts = [t[-1:] for t in texts]
    facts = np.zeros((n, 7), dtype=np.int64)
    if n:
        facts[:, 0] = [ends_sentence(t) for t in texts]
        facts[:, 1] = [c in (":", "：") for c in lasts]
        facts[:, 2] = [c in _COMMAS for c in lasts]
        facts[:, 3] = [i in urlish for i in range(n)]
        facts[:, 4] = separators
        facts[:, 5] = [len(t) for t in texts]
        facts[:, 6] = [c in BULLETS or c.isdigit() for c in (t[:1] for t in texts)]
    return _Counts(
        classes=classes,
        line_scripts=line_scripts,
        page_scripts=page_scripts,
        profile=profile,
        sizes=sizes,
        word_chars=per_line(np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))),
        stopwords=nsw,
        repeats=np.asarray([seen[f] for f in line_forms], dtype=np.int64),
        overlaps=overlaps,
        facts=facts,
        lexicon=lexicon_columns([f.split() for f in line_forms], lexicon) if lexicon else None,
        forms=forms,
        line_forms=line_forms,
        title_words=title_words_of(forms, profile.stopwords),
        chrome_words=lambda i: _chrome_order(
            {w for w in line_forms[i].split() if lexicon.get(w, 0.0) > CHROME_WORD_MIN}, lexicon
        ),
    )


def _count_native(texts: Sequence[str], lexicon: Mapping[str, float], scan: ModuleType) -> _Counts:
    n = len(texts)
    text = "\n".join(texts)
    folded = normalise(text)  # as fold_lines
    bits, script_of = bmp_tables()
    classes = np.empty((n, 10), dtype=np.int64)
    line_scripts = np.empty((n, len(_SCRIPTS)), dtype=np.int64)
    sizes = np.empty(n, dtype=np.int64)
    word_chars = np.empty(n, dtype=np.int64)
    word_hash = np.empty(len(folded), dtype=np.uint64)
    lex_hash = np.empty(len(folded) + len(text), dtype=np.uint64)
    lex_sizes = np.empty(n, dtype=np.int64)
    form_hash = np.empty(n, dtype=np.uint64)
    overlaps = np.empty((n, 2))
    facts = np.empty((n, 7), dtype=np.int64)
    page_scripts = np.empty(len(_SCRIPTS), dtype=np.int64)
    word_flags = np.empty(len(folded), dtype=np.uint8)
    nw, nlex = scan.scan(
        text, folded, n, _HAN, _JAPANESE, bits, script_of, word_table(), classes, line_scripts,
        page_scripts, sizes, word_chars, word_hash, lex_hash, lex_sizes, form_hash, overlaps, facts,
        word_flags,
    )  # fmt: skip
    hashes = word_hash[:nw]
    script = dominant_script(page_scripts)
    lang = _guess_language_hashed(hashes, script)
    profile = PageProfile(script, lang, stopwords_for(lang) if lang else frozenset())
    nsw = np.zeros(n, dtype=np.int64)
    stop_table = _stopword_table(profile.stopwords)  # (counts here, and the title's words)
    if nw and profile.stopwords:
        scan.count_found(stop_table.table, hashes, sizes, nsw)
    repeats = np.empty(n, dtype=np.int64)
    scan.repeats(form_hash, repeats)
    forms = _LazyForms(folded, n)
    lex = None
    chrome: Callable[[int], list[str]] = _no_chrome_words
    if lexicon:
        table = _lexicon_table(lexicon)
        entries = np.empty(nlex, dtype=np.int64)
        lex = np.empty((n, 4), dtype=np.float32)
        scan.lexicon(
            table.table, table.values, lex_hash[:nlex], lex_sizes, entries, lex
        )  # fmt: skip
        chrome = _ChromeWords(table, entries, lex_sizes).of
    return _Counts(
        classes=classes,
        line_scripts=line_scripts,
        page_scripts=page_scripts,
        profile=profile,
        sizes=sizes,
        word_chars=word_chars,
        stopwords=nsw,
        repeats=repeats,
        overlaps=overlaps,
        facts=facts,
        lexicon=lex,
        forms=forms,
        line_forms=_LazyLineForms(forms, texts, classes[:, 2] > 0),
        title_words=_HashedLines(scan, hashes, word_flags[:nw], sizes, stop_table).title_words,
        chrome_words=chrome,
    )


def _no_chrome_words(i: int) -> list[str]:
    return []


class _ChromeWords:
    """`PageFeatures.chrome_words` from the lexicon entry of every line-form word of the page (-1
    where absent), as the C scanner's hashes found them."""

    def __init__(
        self, table: _LexiconTable, entries: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
    ) -> None:
        self._table, self._entries, self._sizes = table, entries, sizes
        self._lines: tuple[list[int], list[int]] | None = None

    def of(self, i: int) -> list[str]:
        if self._lines is None:  # made once, when the first line is asked for
            counts = self._sizes
            self._lines = ((np.cumsum(counts) - counts).tolist(), counts.tolist())
        starts, sizes = self._lines
        start = starts[i]
        rank, ordered = self._table.chrome()
        entries = self._entries[start : start + sizes[i]].tolist()
        found = sorted({r for e in entries if (r := rank[e]) >= 0})
        return [ordered[r] for r in found]


class _HashedLines:
    """`TitleWords` from the page's word hashes and flags (no tokenising)."""

    def __init__(
        self,
        scan: ModuleType,
        hashes: npt.NDArray[np.uint64],
        flags: npt.NDArray[np.uint8],
        sizes: npt.NDArray[np.int64],
        stopwords: _HashTable,
    ) -> None:
        self._scan, self._hashes, self._flags, self._sizes = scan, hashes, flags, sizes
        self._stopwords = stopwords

    def title_words(self, candidates: Sequence[int], body: Sequence[int]) -> list[tuple[int, int]]:
        out = np.empty((len(candidates), 2), dtype=np.int64)
        self._scan.title_counts(
            self._hashes, self._flags, np.cumsum(self._sizes) - self._sizes, self._sizes,
            self._stopwords.table, np.asarray(candidates, dtype=np.int64),
            np.asarray(body, dtype=np.int64), out,
        )  # fmt: skip
        return [(own, found) for own, found in out.tolist()]


class _LazyForms(Sequence[list[str]]):
    """Each line's words in matching form, tokenised when first asked for (the C scanner counts
    without them; few pages need any: site statistics, the Python title fallback). The folded page
    is split into lines on the first call."""

    def __init__(self, folded: str, n: int) -> None:
        self._folded, self._n = folded, n
        self._lines: list[str] | None = None
        self._done: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        found = self._done.get(i)
        if found is None:
            if self._lines is None:
                self._lines = self._folded.split("\n")
            found = self._done[i] = words(self._lines[i])
        return found


class _LazyLineForms(Sequence[str]):
    """Each line's `line_form`, made when first asked for (from the lazy word forms)."""

    def __init__(
        self, forms: Sequence[list[str]], texts: Sequence[str], digits: npt.NDArray[np.bool_]
    ) -> None:
        self._forms, self._texts, self._digits = forms, texts, digits

    def __len__(self) -> int:
        return len(self._texts)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        joined = " ".join(self._forms[i])
        return (_DIGITS_RE.sub("0", joined) if self._digits[i] else joined) or self._texts[i]


def short_details(
    chars: npt.NDArray[np.int64], words_: npt.NDArray[np.int64], ends: npt.NDArray[np.bool_]
) -> list[str]:
    """The detail of each line removed as short (`gharbal.extract.lines`): its characters and
    words, and whether it lacks final punctuation (in C when the scanner is built: ~100 lines a
    page)."""
    if _native is not None:
        made: list[str] = _native.short_details(
            np.ascontiguousarray(chars, dtype=np.int64),
            np.ascontiguousarray(words_, dtype=np.int64),
            np.ascontiguousarray(ends, dtype=np.uint8),
        )
        return made
    return [
        f"{c} chars, {w} words{'' if end else ', no final punctuation'}"
        for c, w, end in zip(chars.tolist(), words_.tolist(), ends.tolist(), strict=True)
    ]


def hash_words(items: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The C scanner's 64-bit hash of each word (needs the extension)."""
    assert _native is not None
    out = np.empty(len(items), dtype=np.uint64)
    _native.hash_strings(list(items), out)
    return out


class _HashTable:
    """Words (by `hash_words`) to entry numbers, in an open-addressing table the C scanner looks up
    (``_scan.lexicon``, ``count_found``, ``cover``, ``title_counts``: linear probing from
    ``(h ^ h >> 32) & (cap - 1)``). ``table``: the slots' (key, entry) pairs in one uint64 array
    (an empty slot's entry is -1), as the C code reads them."""

    def __init__(self, words_: Sequence[str]) -> None:
        hashes = hash_words(words_).tolist()
        cap = 1 << max(3, (2 * len(hashes)).bit_length())
        keys = np.zeros(cap, dtype=np.uint64)
        slots = np.full(cap, -1, dtype=np.int64)
        mask = cap - 1
        for entry, h in enumerate(hashes):
            at = (h ^ (h >> 32)) & mask
            while slots[at] >= 0 and keys[at] != h:
                at = (at + 1) & mask
            if slots[at] < 0:  # a repeated word keeps its first entry
                keys[at], slots[at] = h, entry
        self.table = np.column_stack([keys, slots.view(np.uint64)]).ravel()
        self.table.setflags(write=False)


@cache
def _stopword_table(words_: frozenset[str]) -> _HashTable:
    return _HashTable(sorted(words_))


class _LexiconTable(_HashTable):
    def __init__(self, lexicon: Mapping[str, float]) -> None:
        self.words = list(lexicon)
        super().__init__(self.words)
        # Entry k's value; a last entry 0.0 for absent words (index -1).
        self.values = np.fromiter(
            chain(lexicon.values(), (0.0,)), dtype=np.float64, count=len(lexicon) + 1
        )
        self._chrome: tuple[list[int], list[str]] | None = None

    def chrome(self) -> tuple[list[int], list[str]]:
        """(rank of each entry among the words scored above `CHROME_WORD_MIN`, -1 for the others
        and for the absent-word entry -1; those words in rank order), made once."""
        if self._chrome is None:
            values = self.values.tolist()
            ordered = _chrome_order(
                {w for w, v in zip(self.words, values, strict=False) if v > CHROME_WORD_MIN},
                dict(zip(self.words, values, strict=False)),
            )
            place = {w: r for r, w in enumerate(ordered)}
            rank = [place.get(w, -1) for w in self.words] + [-1]
            self._chrome = (rank, ordered)
        return self._chrome


def _chrome_order(chrome: set[str], lexicon: Mapping[str, float]) -> list[str]:
    """Chrome words, most chrome-like (highest score) first, ties in word order."""
    return sorted(chrome, key=lambda w: (-lexicon[w], w))


def _lexicon_table(lexicon: Mapping[str, float]) -> _LexiconTable:
    # Keyed by the mapping object, which the entry keeps alive (so that its id is not reused).
    hit = _LEXICONS.get(id(lexicon))
    if hit is None or hit[0] is not lexicon:
        if len(_LEXICONS) >= 8:
            _LEXICONS.clear()
        hit = _LEXICONS[id(lexicon)] = (lexicon, _LexiconTable(lexicon))
    return hit[1]


_LEXICONS: dict[int, tuple[Mapping[str, float], _LexiconTable]] = {}


@cache
def _language_index(candidates: tuple[str, ...]) -> tuple[_HashTable, npt.NDArray[np.uint64]]:
    """`_stopword_index` as a hash table and a bit mask of the candidate languages of each word."""
    index = _stopword_index(candidates)
    items = sorted(index)
    masks = np.fromiter(
        (sum(1 << k for k in index[w]) for w in items), dtype=np.uint64, count=len(items)
    )
    return _HashTable(items), masks


def _guess_language_hashed(hashes: npt.NDArray[np.uint64], script: str | None) -> str | None:
    """`guess_page_language` on the page's word hashes."""
    candidates = SCRIPT_LANGUAGES.get(script or "", ())
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    assert len(candidates) <= 64
    table, masks = _language_index(candidates)
    counts = np.zeros(64, dtype=np.int64)
    if hashes.size:
        assert _native is not None
        _native.cover(table.table, masks, hashes, counts)
    cover = counts[: len(candidates)].tolist()
    best, best_cover = None, 0
    for lang, covered in zip(candidates, cover, strict=True):
        if covered > best_cover:
            best, best_cover = lang, covered
    return best or candidates[0]


def measure_page(
    lines: Sequence[Line],
    lexicon: Mapping[str, float],
    site: SiteCounts | None = None,
    native: bool = True,
) -> PageFeatures:
    """The feature matrix of a page's lines (rows in line order, columns `FEATURE_NAMES`).

    ``native``: measure with the C scanner when it is built (the same numbers as without: a test
    checks)."""
    n = len(lines)
    texts = [ln.text for ln in lines]
    scan = _native if native else None
    counted = _count_native(texts, lexicon, scan) if scan else _count_python(texts, lexicon)
    classes, line_scripts, profile = counted.classes, counted.line_scripts, counted.profile
    sizes, nsw = counted.sizes, counted.stopwords
    page_script_id = _SCRIPTS.index(profile.script) if profile.script else -1
    if scan is not None:
        sid = np.empty(n, dtype=np.int64)
        flags = np.empty(n, dtype=np.uint8)
        scan.line_scripts(
            classes, line_scripts, sizes, nsw, page_script_id, _HAN, _JAPANESE,
            _LID_MIN_LETTERS, _LID_MAX_STOPWORDS, sid, flags,
        )  # fmt: skip
        ask, foreign_script = (flags & 1).view(np.bool_), (flags >> 1).view(np.bool_)
    else:
        sid, ask, foreign_script = _line_scripts(classes, line_scripts, sizes, nsw, page_script_id)
    scripts: list[str | None] = list(map(_SCRIPT_OR_NONE.__getitem__, sid.tolist()))
    langs: list[str | None] = [None] * n
    mismatch = np.zeros(n, dtype=np.int64)
    if profile.lang is not None:
        # Looked up with CLD2 only where the line's own words do not already show the language.
        for i in np.flatnonzero(ask).tolist():
            lang = langs[i] = detect(texts[i]).lang
            mismatch[i] = lang is not None and lang != profile.lang
    if site is not None:
        site_containing = [max(site.lines[i] - 1, 0) for i in range(n)]
        containing = np.asarray(site_containing, np.float64)
    else:
        site_containing, containing = [0] * n, np.zeros(n)
    site_pages = max(site.pages - 1, 0) if site is not None else 0
    page = _Page(counted, sid, page_script_id, mismatch, containing, site_pages)
    if scan is not None:
        matrix = np.empty((n, len(FEATURE_NAMES)), dtype=np.float32)
        scan.assemble(
            n, classes, line_scripts, sid, sizes, counted.word_chars, nsw, counted.repeats,
            counted.overlaps, counted.facts,
            counted.lexicon if counted.lexicon is not None else np.zeros(0, np.float32),
            mismatch, page.containing, site_pages, page_script_id,
            int(bool(profile.stopwords)), matrix,
        )  # fmt: skip
    else:
        matrix = _assemble_python(page)
    return PageFeatures(
        profile=profile,
        forms=counted.forms,
        matrix=matrix,
        repeats=counted.repeats.tolist(),
        site_pages_containing=site_containing,
        line_script=scripts,
        line_lang=langs,
        line_forms=counted.line_forms,
        title_words=counted.title_words,
        word_counts=sizes,
        line_chars=counted.facts[:, 5],
        foreign_script=foreign_script,
        foreign_lang=mismatch > 0,
        chrome_words=counted.chrome_words,
    )


def _line_scripts(
    classes: npt.NDArray[np.int64],
    line_scripts: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    nsw: npt.NDArray[np.int64],
    page_script_id: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(each line's script index, -1 for none; which lines to ask CLD2 about; which are in another
    script than the page), as ``_scan.line_scripts`` computes them."""
    n = sizes.size
    sw_ratio = np.where(sizes > 0, nsw / np.maximum(sizes, 1), 0.0)
    script_total = line_scripts.sum(axis=1)
    script_arg = line_scripts.argmax(axis=1) if n else np.zeros(0, np.int64)
    sid = np.where(script_total >= 3, script_arg, -1)
    ask = (classes[:, 1] >= _LID_MIN_LETTERS) & (sw_ratio <= _LID_MAX_STOPWORDS)
    foreign = (
        (sid >= 0)
        & (sid != page_script_id)
        & ~(
            ((sid == _HAN) & (page_script_id == _JAPANESE))
            | ((sid == _JAPANESE) & (page_script_id == _HAN))
        )
    )
    return sid, ask & (sid == page_script_id), foreign


@dataclass(slots=True)
class _Page:
    """What the feature matrix is made of: the counts, each line's script (index, -1 for none),
    the page's script, CLD2's disagreements with the page language, site statistics."""

    counted: _Counts
    sid: npt.NDArray[np.int64]
    page_script_id: int
    lang_mismatch: npt.NDArray[np.int64]
    containing: npt.NDArray[np.float64]
    site_pages: int


def _assemble_python(page: _Page) -> Matrix:
    """The feature matrix with numpy (what ``_scan.assemble`` computes in C, bit for bit)."""
    counted, sid, page_script_id = page.counted, page.sid, page.page_script_id
    classes, line_scripts, facts = counted.classes, counted.line_scripts, counted.facts
    sizes, nsw, site_pages = counted.sizes, counted.stopwords, page.site_pages
    n = sizes.size
    has = sizes > 0
    base = np.zeros((n, len(LINE_FEATURES)), dtype=np.float32)
    lengths = facts[:, 5].astype(np.float32)
    max_chars = float(lengths.max()) if n else 1.0
    long_share = float((lengths >= 100).mean()) if n else 0.0
    nw_safe = np.maximum(sizes, 1)
    sw_ratio = np.where(has, nsw / nw_safe, 0.0)
    script_total = line_scripts.sum(axis=1)
    containing = page.containing
    if n:
        cols = np.column_stack(
            [
                sizes,
                facts[:, 0],
                facts[:, 1],
                facts[:, 2],
                sw_ratio,
                nsw,
                (sid >= 0) & (sid != page_script_id),
                sid < 0,
                page.lang_mismatch,
                counted.repeats - 1,
                containing / site_pages if site_pages else np.zeros(n),
                containing,
                facts[:, 3],
                facts[:, 6],
                np.where(has, counted.word_chars / nw_safe, 0.0),
            ]
        ).astype(np.float32)
        cols[:, 0] = log1p32(sizes)
        cols[:, 5] = log1p32(nsw)
        cols[:, 9] = log1p32(counted.repeats - 1)
        cols[:, 11] = log1p32(containing)
        base[:, [1, 7, 8, 9, 12, 13, 14, 15, 16, 20, 21, 22, 28, 30, 33]] = cols
        nonspace = np.maximum(classes[:, 0], 1).astype(np.float32)
        letters = classes[:, 1].astype(np.float32)
        digits = classes[:, 2].astype(np.float32)
        cased = classes[:, 3].astype(np.float32)
        idx = np.arange(n, dtype=np.float32)
        base[:, 0] = log1p32(facts[:, 5])
        base[:, 2] = letters / nonspace
        base[:, 3] = digits / nonspace
        base[:, 4] = np.maximum(nonspace - letters - digits, 0) / nonspace
        base[:, 5] = np.where(cased > 0, classes[:, 4] / np.maximum(cased, 1), 0.0)
        words_n = np.maximum(sizes, 1)
        base[:, 6] = np.minimum(classes[:, 9] / words_n, 1.0)
        base[:, 10] = log1p32(classes[:, 5])
        base[:, 11] = log1p32(classes[:, 6])
        base[:, 17] = idx / (n - 1) if n > 1 else 0.0
        base[:, 18] = log1p32(np.arange(n))
        base[:, 19] = log1p32(np.arange(n - 1, -1, -1))
        base[:, 23] = math.log1p(site_pages)
        base[:, 29] = log1p32(classes[:, 7])
        base[:, 31] = (classes[:, 8] > 0).astype(np.float32)
        base[:, 32] = lengths / (max_chars or 1.0)
        base[:, 34] = math.log1p(n)
        base[:, 35] = 1.0 if counted.profile.stopwords else 0.0
        base[:, 36] = long_share
        # Share of a line's words found in the line before / after (captions repeating alt
        # texts, headlines repeated in breadcrumbs).
        base[:, _IDX["overlap_prev"]] = counted.overlaps[:, 0]
        base[:, _IDX["overlap_next"]] = counted.overlaps[:, 1]
        # Share of the line's letters written in the page's script (credits, mixed-script bylines).
        in_page = line_scripts[:, page_script_id] if page_script_id >= 0 else np.zeros(n)
        base[:, _IDX["page_script_share"]] = np.where(
            script_total > 0, in_page / np.maximum(script_total, 1), 1.0
        )
        base[:, _IDX["spaced_separators"]] = log1p32(facts[:, 4])
    if counted.lexicon is not None:
        base[:, _LEX] = counted.lexicon
    return np.concatenate([base, _context(base), _windows(base)], axis=1)


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
    sizes = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    values = np.fromiter(
        map(lexicon.get, chain.from_iterable(forms), repeat(0.0)),
        dtype=np.float64,
        count=int(sizes.sum()),
    )
    return _lexicon_stats(values, sizes)


def _lexicon_stats(values: npt.NDArray[np.float64], sizes: npt.NDArray[np.int64]) -> Matrix:
    """`lexicon_columns` from the lexicon value of every word of the page and the words per line."""
    out = np.zeros((sizes.size, 4), dtype=np.float32)
    if not values.size:
        return out
    has = sizes > 0
    starts = (np.cumsum(sizes) - sizes)[has]
    # Each line's words added in order (bincount adds its weights one by one, from 0.0; reduceat
    # adds pairwise, an order the C scanner would have to copy from numpy's internals).
    lines = np.repeat(np.arange(sizes.size), sizes)
    out[has, 0] = np.bincount(lines, weights=values, minlength=sizes.size)[has] / sizes[has]
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
        out[:, 3] = log1p32(before)
        out[:, 4] = log1p32(after)
        total = float(good_idx.size)
        out[:, 5] = pos / total
        out[:, 6] = (good_idx.size - pos_after) / total
    else:
        out[:, 3] = out[:, 4] = math.log1p(n + 1)
    return out
