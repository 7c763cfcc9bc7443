"""Character classes and scripts of a page's lines, counted for the whole page at once.

Every code point of the Basic Multilingual Plane has a few class bits (space, letter, digit, cased,
upper case, sentence-final mark, comma, menu separator, copyright sign) and a script, in two tables
built once from Unicode properties with `regex`; a page is measured by looking its code points up
in numpy and counting per line (`page_script_counts`). Code points above the BMP count as symbols.
Japanese is written with Han and kana together: a line or page holding both counts as Japanese.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt
import regex

from gharbal.identify.script import SCRIPTS
from gharbal.normalise.charclasses import BULLETS, CLOSERS, TERMINAL

# Separators typical of menus, breadcrumbs and bylines.
SEPARATORS = frozenset("|•·»«›‹►▸▶→←/>¦–")
COPYRIGHT = frozenset("©®™")
COMMAS = frozenset(",،、，;؛")

SCRIPT_NAMES = (
    "Arabic",
    "Armenian",
    "Bengali",
    "Cyrillic",
    "Devanagari",
    "Ethiopic",
    "Georgian",
    "Greek",
    "Han",
    "Hangul",
    "Hebrew",
    "Japanese",
    "Latin",
    "Myanmar",
    "Tamil",
    "Thai",
)
_NO_SCRIPT = len(SCRIPT_NAMES)
_HAN, _JAPANESE = SCRIPT_NAMES.index("Han"), SCRIPT_NAMES.index("Japanese")
# Character classes, one bit each, in a table over the Basic Multilingual Plane (code points above
# it count as symbols).
(
    _SPACE,
    _LETTER_BIT,
    _DIGIT_BIT,
    _CASED_BIT,
    _UPPER_BIT,
    _TERM_BIT,
    _COMMA_BIT,
    _SEP_BIT,
    _COPY_BIT,
) = (1 << k for k in range(9))


@cache
def _tables() -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8]]:
    """(class bits, script index) of every BMP code point, built once from Unicode properties."""
    bmp = "".join(chr(c) if not 0xD800 <= c < 0xE000 else " " for c in range(0x10000))
    bits = np.zeros(0x10000, dtype=np.uint16)
    scripts = np.full(0x10000, _NO_SCRIPT, dtype=np.uint8)

    def mark(pattern: str, bit: int) -> None:
        for m in regex.finditer(pattern, bmp):
            bits[m.start() : m.end()] |= bit

    mark(r"\s+", _SPACE)
    mark(r"[\p{L}\p{M}]+", _LETTER_BIT)
    mark(r"\p{N}+", _DIGIT_BIT)
    mark(r"[\p{Lu}\p{Ll}\p{Lt}]+", _CASED_BIT)
    mark(r"\p{Lu}+", _UPPER_BIT)
    for chars, bit in (
        (TERMINAL, _TERM_BIT),
        (COMMAS, _COMMA_BIT),
        (SEPARATORS, _SEP_BIT),
        (COPYRIGHT, _COPY_BIT),
    ):
        for c in chars:
            bits[ord(c)] |= bit
    for name in (*SCRIPTS, "Japanese"):
        if name == "Japanese":
            continue
        target = SCRIPT_NAMES.index(
            {"Hiragana": "Japanese", "Katakana": "Japanese"}.get(name, name)
        )
        for m in regex.finditer(rf"\p{{Script={name}}}+", bmp):
            scripts[m.start() : m.end()] = target
    scripts[(bits & _LETTER_BIT) == 0] = _NO_SCRIPT  # digits and marks of a script are not letters
    return bits, scripts


def merge_japanese(counts: npt.NDArray[np.int64]) -> None:
    """Japanese is written with Han and kana together: count them as one script (in place)."""
    both = (counts[..., _JAPANESE] > 0) & (counts[..., _HAN] > 0)
    counts[..., _JAPANESE] += np.where(both, counts[..., _HAN], 0)
    counts[..., _HAN] = np.where(both, 0, counts[..., _HAN])


def dominant_script(counts: npt.NDArray[np.int64]) -> str | None:
    """The script with most letters in ``counts`` (one page's), or None without letters."""
    return SCRIPT_NAMES[int(counts.argmax())] if counts.sum() else None


def page_script_counts(
    texts: Sequence[str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(class counts per line and bit, script counts per line, script counts of the page)."""
    n = len(texts)
    joined = "\n".join(texts)
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    big = cp > 0xFFFF
    cp16 = np.where(big, 0xFFFF, cp).astype(np.int64)
    bits_table, script_table = _tables()
    bits = bits_table[cp16]
    bits = np.where(big, 0, bits).astype(np.int64)
    line_of = np.concatenate([[0], np.cumsum(cp[:-1] == 10)]) if cp.size else np.zeros(0, np.int64)
    classes = np.zeros((n, 10), dtype=np.int64)
    for b in range(9):
        classes[:, b] = np.bincount(line_of, weights=(bits >> b) & 1, minlength=n)[:n]
    # Column 9: word-initial capitals (an uppercase letter not preceded by a letter).
    prev_letter = np.concatenate([[False], (bits[:-1] & _LETTER_BIT) > 0]) if cp.size else bits > 0
    initial = ((bits & _UPPER_BIT) > 0) & ~prev_letter
    classes[:, 9] = np.bincount(line_of, weights=initial, minlength=n)[:n]
    # Newlines joined the lines: they are spaces, so "non-space" stays exact.
    nonspace = np.bincount(line_of, weights=(bits & _SPACE) == 0, minlength=n)[:n]
    classes[:, 0] = nonspace  # column 0 holds non-space characters (not spaces)
    sid = np.where(big, _NO_SCRIPT, script_table[cp16]).astype(np.int64)
    width = _NO_SCRIPT + 1
    per_line = np.bincount(line_of * width + sid, minlength=n * width)[: n * width]
    per_line = per_line.reshape(n, width)[:, :_NO_SCRIPT].astype(np.int64)
    page = per_line.sum(axis=0)
    merge_japanese(page)
    merge_japanese(per_line)
    return classes, per_line, page


# Bits of `word_table` (the C scanner's names, see _scan.c).
(
    W_HANKANA,
    W_START,
    W_CONT,
    W_NUM,
    W_PYSPACE,
    W_TERM,
    W_CLOSER,
    W_WORDCH,
    W_BULLET,
) = (1 << k for k in range(9))


@cache
def word_table() -> npt.NDArray[np.uint16]:
    """Bits of every code point for the C scanner (`gharbal.extract._scan`): the word rule of
    `gharbal.normalise.text.WORD_PATTERN` (a Han or kana character is a word of its own; a word
    starts with ``[^\\W_]`` and goes on with that or a joiner or mark), ``\\p{N}``, regex ``\\w``,
    `str.isspace`, sentence-final marks, closing quotes, list markers and `str.isdigit`. Made from
    the same regex classes and str methods the Python path uses, so both agree (a test checks)."""
    points = np.arange(0x110000, dtype=np.uint32)
    points[0xD800:0xE000] = 0  # surrogates cannot be encoded; they are in no class
    every = points.tobytes().decode("utf-32-le")
    table = np.zeros(0x110000, dtype=np.uint16)
    for pattern, bit in (
        (r"[\p{Han}\p{Hiragana}\p{Katakana}]+", W_HANKANA),
        (r"[^\W_]+", W_START),
        (r"(?:[^\W_]|[\u200c\u200d\p{M}])+", W_CONT),
        (r"\p{N}+", W_NUM),
        (r"\w+", W_WORDCH),
    ):
        for m in regex.finditer(pattern, every):
            table[m.start() : m.end()] |= bit
    for c in range(0x3001):  # the last white space character is U+3000
        if chr(c).isspace():
            table[c] |= W_PYSPACE
    # str.isdigit: decimal digits and the other digits (superscripts, circled, ...), all numbers.
    for m in regex.finditer(r"\p{N}+", every):
        for c in range(m.start(), m.end()):
            if chr(c).isdigit():
                table[c] |= W_BULLET
    for ch in BULLETS:
        table[ord(ch)] |= W_BULLET
    for chars, bit in ((TERMINAL, W_TERM), (CLOSERS, W_CLOSER)):
        for ch in chars:
            table[ord(ch)] |= bit
    table.setflags(write=False)
    return table


def bmp_tables() -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8]]:
    """(class bits, script index) of every BMP code point (read-only; for the C scanner)."""
    return _tables()
