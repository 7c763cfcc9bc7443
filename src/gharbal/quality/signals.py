"""Quality signals (measure): Gopher repetition, Gopher quality, C4 and FineWeb, as versioned scores.

The text is tokenised once (`gharbal.normalise.text.tokens`, line by line: words that keep Arabic
diacritics, tatweel and ZWNJ inside, one token per Han/kana character, every punctuation mark or
symbol a token of its own) and the tokens are shared by every rule. Scores (all floats):

``quality.gopher_repetition_v1.*``
    ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``, ``dup_line_char_frac`` (repeated
    paragraphs/lines: share of elements, share of characters), ``top_{n}_gram_char_frac`` (n = 2..4:
    characters in the most frequent n-gram, times its count, over the text's characters),
    ``dup_{n}_gram_char_frac`` (n = 5..10: characters in repeated n-grams).
``quality.gopher_v1.*``
    ``words`` (tokens that are not punctuation or symbols), ``mean_word_length``, ``hash_ratio`` and
    ``ellipsis_ratio`` (per token), ``bullet_lines_ratio``, ``ellipsis_lines_ratio``,
    ``alpha_words_ratio`` (tokens with a letter), ``stopwords`` (distinct stopwords of the
    document's language present) and ``stopword_ratio`` (share of words that are stopwords); the
    two stopword scores only when the language has a list.
``quality.c4_v1.*``
    C4's line rules are applied in order to every line (too long word, no final punctuation, too
    few words, "javascript", policy notices); ``removed_lines`` counts the lines they remove (the
    filter step removes them), ``sentences`` counts sentences on the other lines, ``lorem_ipsum``
    and ``curly_bracket`` are 1 when a kept line has them.
``quality.fineweb_v1.*``
    Measured on the lines C4's line rules keep (or every line when they are off), joined by single
    newlines: ``lines``, ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``,
    ``newline_ratio`` (newlines per token).

Measuring depends on the document's language (stopwords, per-language parameters: see
`gharbal.quality.config`) and on C4's line parameters; thresholds are read only by the filters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from gharbal.document import Document
from gharbal.identify.language import base_lang
from gharbal.identify.stopwords import stopwords_for
from gharbal.normalise.text import match_form, tokens, word_tokens, words
from gharbal.quality.config import (
    C4Config,
    FineWebConfig,
    GopherConfig,
    GopherRepetitionConfig,
    QualityConfig,
)
from gharbal.quality.tables import (
    BULLETS,
    ELLIPSES,
    POLICY_PHRASES,
    count_sentences,
    ends_sentence,
    strip_citations,
)
from gharbal.step import DocumentStep

GOPHER_REP = "quality.gopher_repetition_v1"
GOPHER = "quality.gopher_v1"
C4 = "quality.c4_v1"
FINEWEB = "quality.fineweb_v1"

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _r(x: float) -> float:
    return round(x, 6)


def find_duplicates(items: Sequence[str]) -> tuple[int, int]:
    """(repeated elements, their characters): every occurrence after the first counts."""
    seen: set[str] = set()
    elements = chars = 0
    for item in items:
        if item in seen:
            elements += 1
            chars += len(item)
        else:
            seen.add(item)
    return elements, chars


@dataclass(slots=True)
class Analysis:
    """A document tokenised once: its stripped non-blank lines, its tokens (words and symbols) and
    its words (tokens that are not punctuation or symbols)."""

    text: str
    lines: list[str]
    tokens: list[str]
    words: list[str]

    @classmethod
    def of(cls, text: str) -> Analysis:
        lines = [s for s in (ln.strip() for ln in text.splitlines()) if s]
        toks = tokens(text)
        # The word tokens among them (as `word_tokens` would find, without a second pass): a
        # single word character, or a longer token that is not a run of dots or dashes.
        words_ = [
            t
            for t in toks
            if (_word_char(t) if len(t) == 1 else t[0] not in ".-" or t.count(t[0]) != len(t))
        ]
        return cls(text, lines, toks, words_)


@cache
def _word_char(ch: str) -> bool:
    return bool(word_tokens(ch))


def _ngram_hashes(ids: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of every n-gram of ``ids`` (equal n-grams, equal hashes)."""
    h = ids.copy()
    for k in range(1, n):
        h = h[:-1] * _MIX + ids[k:]
    return h


def gopher_repetition(a: Analysis, cfg: GopherRepetitionConfig) -> dict[str, float]:
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
    return {f"{GOPHER_REP}.{k}": _r(v) for k, v in out.items()}


@cache
def stopword_list(lang: str | None, explicit: tuple[str, ...] | None) -> frozenset[str]:
    """Matching forms of the stopwords used for ``lang`` (explicit list, else stopwords-iso)."""
    if explicit is not None:
        return frozenset(match_form(w) for w in explicit)
    return stopwords_for(lang) if lang is not None else frozenset()


def gopher_quality(a: Analysis, lang: str | None, cfg: GopherConfig) -> dict[str, float]:
    text, words_ = a.text, a.words
    n_tokens = len(a.tokens) or 1
    out: dict[str, float] = {
        "words": len(words_),
        "mean_word_length": sum(map(len, words_)) / len(words_) if words_ else 0.0,
        "hash_ratio": text.count("#") / n_tokens,
        "ellipsis_ratio": (text.count("...") + text.count("…")) / n_tokens,
    }
    raw_lines = text.splitlines() or [""]
    out["bullet_lines_ratio"] = sum(s.lstrip().startswith(BULLETS) for s in raw_lines) / len(
        raw_lines
    )
    out["ellipsis_lines_ratio"] = sum(s.rstrip().endswith(ELLIPSES) for s in raw_lines) / len(
        raw_lines
    )
    # Words starting with a letter have one; of those starting with a digit, count the others.
    no_letter = sum(1 for w in words_ if w[0].isdigit() and not any(map(str.isalpha, w)))
    out["alpha_words_ratio"] = (len(words_) - no_letter) / n_tokens
    explicit = tuple(cfg.stop_words) if cfg.stop_words is not None else None
    stopwords = stopword_list(lang, explicit)
    if stopwords:
        hits = [f for f in map(match_form, words_) if f in stopwords]
        out["stopwords"] = len(set(hits))
        out["stopword_ratio"] = len(hits) / len(words_) if words_ else 0.0
    return {f"{GOPHER}.{k}": _r(v) for k, v in out.items()}


@dataclass(slots=True)
class C4Lines:
    """C4's verdicts on the lines of an `Analysis`: ``reasons[i]`` is None for a kept line."""

    reasons: list[tuple[str, str] | None]
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


def c4_lines(a: Analysis, lang: str | None, cfg: C4Config) -> C4Lines:
    lc = cfg.lines
    phrases = tuple(lc.policy_phrases) if lc.policy_phrases is not None else policy_phrases(lang)
    policy = _phrases_re(phrases) if lc.enabled and lc.policy else None
    max_len = lc.max_word_length if lc.enabled else None
    min_words = lc.min_words if lc.enabled else None
    terminal = lc.enabled and lc.terminal_punct
    javascript = lc.enabled and lc.javascript
    by_space = lc.word_split == "whitespace"
    reasons: list[tuple[str, str] | None] = []
    sentences = 0
    lorem = curly = False
    for line in a.lines:
        reason: tuple[str, str] | None = None
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


@cache
def policy_phrases(lang: str | None) -> tuple[str, ...]:
    own = POLICY_PHRASES.get(lang or "", ())
    return own + tuple(p for p in POLICY_PHRASES["en"] if p not in own)


def c4_scores(c4: C4Lines) -> dict[str, float]:
    return {
        f"{C4}.lines": len(c4.reasons),
        f"{C4}.removed_lines": sum(r is not None for r in c4.reasons),
        f"{C4}.sentences": c4.sentences,
        f"{C4}.lorem_ipsum": float(c4.lorem_ipsum),
        f"{C4}.curly_bracket": float(c4.curly_bracket),
    }


def fineweb(a: Analysis, c4: C4Lines | None, cfg: FineWebConfig) -> dict[str, float]:
    """FineWeb's measures on the lines C4 keeps joined by newlines (``c4`` None: the text)."""
    if c4 is None:
        lines, n_tokens, newlines = a.lines, len(a.tokens), a.text.count("\n")
    else:
        lines = [a.lines[i] for i in c4.kept]
        removed = "\n".join(a.lines[i] for i, r in enumerate(c4.reasons) if r is not None)
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
    return {f"{FINEWEB}.{k}": _r(v) for k, v in out.items()}


def measure(text: str, lang: str | None, cfg: QualityConfig) -> dict[str, float]:
    """Every enabled family's scores for ``text`` in ``lang`` (``cfg`` already per-language)."""
    a = Analysis.of(text)
    scores: dict[str, float] = {}
    if cfg.gopher_repetition.enabled:
        scores.update(gopher_repetition(a, cfg.gopher_repetition))
    if cfg.gopher.enabled:
        scores.update(gopher_quality(a, lang, cfg.gopher))
    c4: C4Lines | None = None
    if cfg.c4.enabled:
        c4 = c4_lines(a, lang, cfg.c4)
        scores.update(c4_scores(c4))
    if cfg.fineweb.enabled:
        lines_removed = c4 is not None and cfg.c4.lines.enabled
        scores.update(fineweb(a, c4 if lines_removed else None, cfg.fineweb))
    return scores


class QualitySignals(DocumentStep):
    """Pipeline step: writes the quality scores of every document (rejects none)."""

    name = "quality.signals"

    def __init__(self, cfg: QualityConfig) -> None:
        self.cfg = cfg
        self._per_lang: dict[str | None, QualityConfig] = {}

    def process(self, doc: Document) -> Document:
        if doc.text.strip():
            lang = base_lang(doc.lang)
            cfg = self._per_lang.get(lang)
            if cfg is None:
                cfg = self._per_lang[lang] = self.cfg.for_language(lang)
            doc.scores.update(measure(doc.text, lang, cfg))
        return doc


__all__ = [
    "C4",
    "FINEWEB",
    "GOPHER",
    "GOPHER_REP",
    "Analysis",
    "C4Lines",
    "QualitySignals",
    "c4_lines",
    "find_duplicates",
    "measure",
    "stopword_list",
]
