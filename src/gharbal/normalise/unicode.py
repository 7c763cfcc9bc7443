"""The normalisation contract (DESIGN.md section 5): one matching form shared by every signal, hash
and dedup step. It is for *comparing* text; the stored text always keeps what the author wrote.

The matching form of a text is, in this order (each step optional where marked, see `MatchOptions`):

1. NFKC: compatibility characters folded (full-width Latin, ligatures, Arabic presentation forms
   U+FB50-U+FDFF and U+FE70-U+FEFF to the letters they show);
2. case folding (``casefold``);
3. deletion of characters that are invisible or only shape the text: bidi controls (U+061C ALM,
   LRM, RLM, U+202A-U+202E, U+2066-U+2069), zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft
   hyphen, combining grapheme joiner, and the Arabic tatweel (U+0640);
4. Arabic diacritics stripped (``strip_diacritics``), Arabic letter variants folded
   (``fold_letters``), Arabic-Indic and Persian digits mapped to ASCII (``map_digits``); the tables
   are in `gharbal.normalise.arabic`;
5. NFKC again (deletions can make a mark meet a new base), repeated until nothing changes, so the
   matching form is idempotent: ``normalise(normalise(t)) == normalise(t)``.

`normalise` is the fast whole-text form. `normalise_with_offsets` gives the same text together with,
for every output character, the span of the original text it came from: the text is cut into
clusters (a base character with the marks, joiners and invisible characters that follow it, Hangul
jamo kept with their syllable), each cluster is normalised on its own, so an output character maps
back to its cluster. Both agree (a property test checks it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import regex

from gharbal.native import optional_extension
from gharbal.normalise.arabic import DIACRITICS, DIGITS, LETTER_FOLDS, TATWEEL

# Invisible characters that carry no letters: removed for matching.
IGNORABLE = frozenset(
    "\u00ad\u034f\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Which optional folds the matching form applies (all on by default)."""

    casefold: bool = True
    strip_diacritics: bool = True
    fold_letters: bool = True
    map_digits: bool = True


DEFAULT = MatchOptions()
_TABLES: dict[MatchOptions, dict[int, str | None]] = {}


def _table(options: MatchOptions) -> dict[int, str | None]:
    table = _TABLES.get(options)
    if table is None:
        table = {ord(c): None for c in IGNORABLE | {TATWEEL}}
        if options.strip_diacritics:
            table.update({ord(c): None for c in DIACRITICS})
        if options.fold_letters:
            table.update({ord(k): v for k, v in LETTER_FOLDS.items()})
        if options.map_digits:
            table.update({ord(k): v for k, v in DIGITS.items()})
        _TABLES[options] = table
    return table


@dataclass(frozen=True, slots=True)
class _Plan:
    """``str.translate(table)`` done faster: a search for any character of the table, the
    deletions in one regular-expression pass, then ``str.replace`` for each mapped character that
    occurs (``translate`` with a dict looks up every character of the text: 0.6 ms for a 9 KB page,
    this a fifth of it). The same result as long as no replacement is itself a key of the table,
    which `_plan` checks."""

    any_key: re.Pattern[str]
    deletions: re.Pattern[str] | None
    replacements: tuple[tuple[str, str], ...]

    def apply(self, text: str) -> str:
        if self.any_key.search(text) is None:
            return text
        if self.deletions is not None:
            text = self.deletions.sub("", text)
        for key, value in self.replacements:
            if key in text:
                text = text.replace(key, value)
        return text


_PLANS: dict[MatchOptions, _Plan] = {}


def _plan(options: MatchOptions) -> _Plan:
    plan = _PLANS.get(options)
    if plan is None:
        table = _table(options)
        deleted = sorted(chr(k) for k, v in table.items() if v is None)
        replaced = tuple(sorted((chr(k), v) for k, v in table.items() if v is not None))
        if any(c in table for _, v in replaced for c in map(ord, v)):
            raise AssertionError("a replacement of the normalisation table is one of its keys")

        def char_class(chars: list[str]) -> re.Pattern[str]:
            # ``re``, not ``regex``: its character sets are bitmaps, ten times faster here.
            return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")

        plan = _PLANS[options] = _Plan(
            any_key=char_class(sorted(chr(k) for k in table)),
            deletions=char_class(deleted) if deleted else None,
            replacements=replaced,
        )
    return plan


def _round(text: str, options: MatchOptions) -> str:
    text = unicodedata.normalize("NFKC", text)
    if options.casefold:
        text = text.casefold()
    return unicodedata.normalize("NFKC", _plan(options).apply(text))


def normalise(text: str, options: MatchOptions = DEFAULT) -> str:
    """The matching form of ``text`` (see the module docstring); idempotent."""
    if text.isascii():
        # ASCII is its own NFKC form, no fold or removal touches it (the tables map only code
        # points above U+007F, which a test checks), and ASCII case folding is ``lower``.
        return text.lower() if options.casefold else text
    if len(text) >= _PIECES_FROM:
        pieced = _normalise_pieces(text, options, _PIECES_SHARE)
        if pieced is not None:
            return pieced
    return _normalise_rounds(text, options)


# Texts of this length or more are normalised piece by piece (see _normalise_pieces) when at most
# this share of their characters are not stable.
_PIECES_FROM = 512
_PIECES_SHARE = 0.25


# The C helpers (`gharbal.normalise._pieces`: finding the runs, gathering them, joining the text
# again), or None where they were not built (the same results from numpy and Python).
_native = optional_extension("gharbal.normalise._pieces")


@cache
def _composition_seconds() -> frozenset[int]:
    """Code points that canonical composition joins to the character before them: the second
    character of every two-character canonical decomposition, and the Hangul vowels and final
    consonants that make syllables."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    decomposition = unicodedata.decomposition
    for code in range(0x110000):
        parts = decomposition(chr(code))
        if parts and parts[0] != "<":
            pair = parts.split()
            if len(pair) == 2:
                seconds.add(int(pair[1], 16))
    return frozenset(seconds)


@cache
def _stable_table(options: MatchOptions) -> bytes:
    """One byte per code point of the BMP, 1 for a *stable* character: one that every step of a
    round leaves as it is (its own NFKC form, not in the table, its own case fold and lower case
    when folding case; ASCII counts as stable, its capitals are lowered apart) and that nothing
    joins to the character before it (a starter, not the second part of any composition). Made
    once per options (about 0.2 s)."""
    table = _table(options)
    seconds = _composition_seconds()
    out = bytearray(0x10000)
    out[:0x80] = b"\x01" * 0x80
    for code in range(0x80, 0x10000):
        if 0xD800 <= code <= 0xDFFF or code in table or code in seconds:
            continue
        c = chr(code)
        if unicodedata.combining(c) or unicodedata.normalize("NFKC", c) != c:
            continue
        if options.casefold and (c.casefold() != c or c.lower() != c):
            continue
        out[code] = 1
    return bytes(out)


def _unstable_runs(text: str, limit: int, stable: bytes) -> tuple[list[int], list[int]] | None:
    """The pieces to normalise: for every run of characters that are not stable (above the BMP
    counts as not stable), (start of the run less one character, end of the run), as two lists;
    None if more than ``limit`` characters are not stable (numpy over the code points: a regular
    expression steps through a long page ten times slower; ``_pieces.runs`` in C)."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = np.frombuffer(stable, dtype=np.uint8)
    at = np.flatnonzero((points > 0xFFFF) | (flags[np.minimum(points, 0xFFFF)] == 0))
    if at.size > limit:
        return None
    if not at.size:
        return [], []
    cuts = np.flatnonzero(np.diff(at) > 1)
    starts = np.concatenate([at[:1], at[cuts + 1]])
    ends = np.concatenate([at[cuts] + 1, at[-1:] + 1])
    return np.maximum(starts - 1, 0).tolist(), ends.tolist()


def _normalise_pieces(text: str, options: MatchOptions, share: float) -> str | None:
    """`normalise` of a text whose characters are mostly stable (`_stable_table`: ASCII, and in
    most scripts the lower-case letters, Han, kana, Arabic letters without their variants), by
    normalising only the runs of other characters, each with the character before it, together in
    one call; None if the text holds a NUL or more than ``share`` of its characters are not stable.

    The same result as the whole text: every step of a round (NFKC, case folding, the table) acts
    independently on the two sides of a stable character. It is an NFKC starter that no
    composition takes as a second part, so nothing joins it to what comes before (what follows may
    join it: the character before a run is normalised with the run), no reordering moves it, and
    every step maps it to itself, so it stays a boundary in every round. A property test checks it
    against the rounds over the whole text."""
    if "\x00" in text:
        return None
    stable = _stable_table(options)
    limit = int(share * len(text))
    runs = _native.runs if _native is not None else _unstable_runs
    cut = runs(text, limit, stable)
    if cut is None:
        return None
    starts, ends = cut
    if not starts:
        return text.lower() if options.casefold else text
    # The pieces separated by NUL (ASCII: a boundary as above; never produced by a round).
    if _native is not None:
        gathered: str = _native.gather(text, starts, ends)
    else:
        gathered = "\x00".join([text[a:e] for a, e in zip(starts, ends, strict=True)])
    done = _normalise_rounds(gathered, options).split("\x00")
    if len(done) != len(starts):  # pragma: no cover - a round never makes or removes a NUL
        return None
    if _native is not None:
        joined: str = _native.join(text, starts, ends, done, options.casefold, stable)
        return joined
    return _join_pieces(text, starts, ends, done, options.casefold)


def _join_pieces(
    text: str, starts: list[int], ends: list[int], chunks: list[str], lower: bool
) -> str:
    """``text`` with ``text[starts[k]:ends[k]]`` replaced by ``chunks[k]`` and the (stable) text
    between lower-cased if ``lower`` (``_pieces.join`` in C, which lowers ASCII only: a stable
    character is its own lower case)."""
    pieces: list[str] = []
    prev = 0
    for a, end, chunk in zip(starts, ends, chunks, strict=True):
        between = text[prev:a]
        pieces.append(between.lower() if lower else between)
        pieces.append(chunk)
        prev = end
    tail = text[prev:]
    pieces.append(tail.lower() if lower else tail)
    return "".join(pieces)


def _normalise_rounds(text: str, options: MatchOptions) -> str:
    plan = _plan(options)
    out = _round(text, options)
    for _ in range(4):
        # A round changes ``out`` (an NFKC form already) only if case folding or the table would
        # touch it: checked without running the round.
        if (not options.casefold or out.casefold() == out) and plan.any_key.search(out) is None:
            break
        again = _round(out, options)
        if again == out:
            break
        out = again
    return out


# A cluster: a base character followed by what cannot stand alone (marks, joiners, invisible
# characters, tatweel, Hangul medial vowels and final consonants); leading non-base characters
# form a cluster of their own.
_NON_BASE = r"\p{M}\u1160-\u11ff\ud7b0-\ud7ff" + regex.escape(
    "".join(sorted(IGNORABLE | {TATWEEL})), special_only=False
)
_CLUSTER = regex.compile(rf"[^{_NON_BASE}][{_NON_BASE}]*|[{_NON_BASE}]+", regex.DOTALL)


@dataclass(frozen=True, slots=True)
class Normalised:
    """A matching form with its way back: output character ``i`` came from
    ``original[starts[i]:ends[i]]`` (the cluster it belongs to)."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """The span of the original text that output characters ``[i, j)`` came from."""
        if not 0 <= i < j <= len(self.text):
            raise ValueError(f"bad output span [{i}, {j}) for a text of {len(self.text)}")
        return self.starts[i], self.ends[j - 1]


def normalise_with_offsets(text: str, options: MatchOptions = DEFAULT) -> Normalised:
    """`normalise` with a map from every output character back to the original text."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _CLUSTER.finditer(text):
        out = normalise(m.group(), options)
        if out:
            parts.append(out)
            starts.extend([m.start()] * len(out))
            ends.extend([m.end()] * len(out))
    return Normalised("".join(parts), tuple(starts), tuple(ends))


__all__ = [
    "DEFAULT",
    "IGNORABLE",
    "MatchOptions",
    "Normalised",
    "normalise",
    "normalise_with_offsets",
]
