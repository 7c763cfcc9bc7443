"""Properties of the normalisation contract (DESIGN.md section 5)."""

from __future__ import annotations

import os
import unicodedata
from types import ModuleType

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from gharbal.normalise import match_form, normalise, normalise_with_offsets, words
from gharbal.normalise.arabic import DIACRITICS, TATWEEL
from gharbal.normalise.unicode import (
    DEFAULT,
    MatchOptions,
    _normalise_pieces,
    _plan,
    _round,
    _table,
)

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60)
ARABIC_LETTERS = "ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآةىیکۀپچژگ"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
ARABIC_WORD = st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=12)
MIXED = st.text(
    alphabet=ARABIC_LETTERS + HARAKAT + TATWEEL + " \u200c\u200f\u202b\u200dabcABC٣۴é\u0301ﻻ.،؟",
    max_size=60,
)
TEXTS = st.one_of(ANY_TEXT, MIXED)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60), st.booleans())
@settings(max_examples=400, deadline=None)
def test_ascii_shortcut_equals_the_full_rounds(text: str, casefold: bool) -> None:
    """``normalise`` returns ASCII text lowered without its Unicode rounds: they would agree."""
    options = MatchOptions(casefold=casefold)
    assert all(code > 127 for code in _table(DEFAULT))
    assert normalise(text, options) == _round(text, options)


OPTIONS = st.builds(MatchOptions, st.booleans(), st.booleans(), st.booleans(), st.booleans())


def _reference(text: str, options: MatchOptions) -> str:
    """The contract as first written: NFKC, case fold, ``str.translate``, NFKC, in rounds until
    nothing changes."""
    table = _table(options)

    def one(t: str) -> str:
        t = unicodedata.normalize("NFKC", t)
        t = t.casefold() if options.casefold else t
        return unicodedata.normalize("NFKC", t.translate(table))

    out = one(text)
    for _ in range(4):
        again = one(out)
        if again == out:
            break
        out = again
    return out


@given(TEXTS, OPTIONS)
@settings(max_examples=600, deadline=None)
def test_fast_rounds_equal_the_reference(text: str, options: MatchOptions) -> None:
    """The table applied by deletions and replacements, and rounds skipped when nothing would
    change, give the reference's matching form."""
    assert _plan(options).apply(text) == text.translate(_table(options))
    assert normalise(text, options) == _reference(text, options)


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_offsets_agree_with_fast_form_and_map_back(text: str) -> None:
    n = normalise_with_offsets(text)
    assert n.text == normalise(text)
    assert len(n.starts) == len(n.ends) == len(n.text)
    assert list(n.starts) == sorted(n.starts)
    for i, ch in enumerate(n.text):
        start, end = n.starts[i], n.ends[i]
        assert 0 <= start < end <= len(text)
        # the original span the character came from normalises to text containing it
        assert ch in normalise(text[start:end])
    if n.text:
        start, end = n.span(0, len(n.text))
        assert normalise(text[start:end]) == n.text


@given(ARABIC_WORD, st.data())
@settings(max_examples=300, deadline=None)
def test_diacritised_word_matches_bare_word(bare: str, data: st.DataObject) -> None:
    marks = data.draw(st.lists(st.sampled_from(HARAKAT), min_size=len(bare), max_size=len(bare)))
    diacritised = "".join(c + m for c, m in zip(bare, marks, strict=True))
    assert match_form(diacritised) == match_form(bare)
    assert normalise(diacritised) == normalise(bare)


@given(ARABIC_WORD, st.integers(min_value=1, max_value=5), st.data())
@settings(max_examples=300, deadline=None)
def test_tatweel_does_not_split_words_and_is_ignored(
    bare: str, n: int, data: st.DataObject
) -> None:
    at = data.draw(st.integers(min_value=1, max_value=max(len(bare) - 1, 1)))
    stretched = bare[:at] + TATWEEL * n + bare[at:]
    assert len(words(stretched)) == 1
    assert match_form(stretched) == match_form(bare)


@given(ARABIC_WORD)
def test_words_keep_diacritics_inside(bare: str) -> None:
    word = "".join(c + "\u064e" for c in bare)
    assert words(f"{word} {word}") == [word, word]
    assert not set(match_form(word)) & DIACRITICS


@given(st.one_of(ANY_TEXT, MIXED, st.text(alphabet="ab1.,:'’_-@/ \n#ك؟", max_size=60)))
@settings(max_examples=400, deadline=None)
def test_word_tokens_are_the_word_tokens_among_tokens(text: str) -> None:
    from gharbal.normalise import tokens, word_tokens
    from gharbal.quality.signals import Analysis

    assert Analysis.of(text).words == word_tokens(text)
    # every non-space character, once and in order
    assert "".join(tokens(text)) == "".join(regex.findall(r"\S", text))


# Mostly ASCII with what could join across a cut: combining marks after ASCII letters, fullwidth
# and compatibility forms, ligatures, Hangul jamo, dotted capital I, final sigma, Arabic with
# diacritics and tatweel, joiners and bidi marks, NUL.
MOSTLY_ASCII = st.text(
    alphabet=st.one_of(
        st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-\n\t"),
        st.sampled_from(
            "\u0301\u0308\u0327\u0338\u0345\u0344ＡＢ１ﬁﬀ\u00a0…–—’“”İıΣσς\u1100\u1161\u11a8"
            "ابت\u064e\u0651ـ\u200c\u200d\u200f\u202bé\u00adⅫ²㏩\x00"
        ),
    ),
    max_size=120,
)
# Mostly stable characters of other scripts (`_stable_table`) with what is not: capitals and
# final sigma, fullwidth punctuation, Arabic letter variants, diacritics and presentation forms,
# Hangul jamo and syllables, Indic vowel signs that compose with the letter before them (U+0B3E,
# U+0CD5, U+102E), Cherokee capitals (their own case fold, not their own lower case), characters
# above the BMP, combining marks.
OTHER_SCRIPTS = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ новостиэтоделоْ 中文字汉语ひらがなカタカナ、。"
        ),
        st.sampled_from(
            "ΑΒΓΣςΆΐНОВЯ，：（）！？Ａａأإآةىیکﻻﺍ\u064b\u0650\u0670ـ가각\u1100\u1161\u11a8\u11ab"
            "ଓ\u0b3e\u0b57ಕ\u0cd5\u0cc2ဥ\u102eᎠᏴꭰ\U0001f600\U00020000\u0301\u0308e\u0338=ßİ ab\n"
        ),
    ),
    max_size=120,
)


@given(st.one_of(MOSTLY_ASCII, OTHER_SCRIPTS), OPTIONS)
@settings(max_examples=1000, deadline=None)
def test_pieces_equal_whole_text_rounds(text: str, options: MatchOptions) -> None:
    """Normalising only the runs of characters that are not stable gives the whole text's form."""
    pieced = _normalise_pieces(text, options, share=1.0)
    if "\x00" in text:
        assert pieced is None
    else:
        assert pieced == _reference(text, options)


def test_stable_characters_are_their_own_form() -> None:
    """Every stable character is its own matching form, alone and after each other one (a sample
    of pairs: nothing composes onto a stable character)."""
    from gharbal.normalise.unicode import _stable_table

    for options in (DEFAULT, MatchOptions(casefold=False)):
        table = _stable_table(options)
        stable = [chr(c) for c in range(0x10000) if table[c]]
        assert len(stable) > 50_000
        for c in stable:
            assert _reference(c, options) == (c.lower() if options.casefold else c), hex(ord(c))
        for base in "ae\u1100ଓಕဥ가":  # what composes with a following character, if anything does
            for c in stable[::7]:
                expected = _reference(base, options) + _reference(c, options)
                assert _reference(base + c, options) == expected, (base, hex(ord(c)))


def _pieces_module() -> ModuleType:
    from gharbal.normalise import unicode

    if unicode._native is None:
        if os.environ.get("GHARBAL_REQUIRE_NATIVE") == "1":
            raise RuntimeError("gharbal.normalise._pieces was not built (GHARBAL_REQUIRE_NATIVE=1)")
        pytest.skip("the C folding helpers are not built here")
    return unicode._native


@given(st.one_of(MOSTLY_ASCII, OTHER_SCRIPTS), st.floats(min_value=0.0, max_value=1.0), OPTIONS)
@settings(max_examples=400, deadline=None)
def test_c_pieces_helpers_equal_python(text: str, share: float, options: MatchOptions) -> None:
    """The C helpers find the same pieces as numpy, gather them and join the same text as
    Python."""
    from gharbal.normalise.unicode import _join_pieces, _stable_table, _unstable_runs

    native = _pieces_module()
    stable = _stable_table(options)
    limit = int(share * len(text))
    cut = native.runs(text, limit, stable)
    assert cut == _unstable_runs(text, limit, stable)
    if cut is not None and cut[0]:
        starts, ends = cut
        pieces = [text[a:e] for a, e in zip(starts, ends, strict=True)]
        assert native.gather(text, starts, ends) == "\x00".join(pieces)
        chunks = [p.upper() + "\U0001f600"[: len(p) % 2] for p in pieces]
        lower = options.casefold
        assert native.join(text, starts, ends, chunks, lower, stable) == _join_pieces(
            text, starts, ends, chunks, lower
        )


def test_c_helpers_refuse_bad_spans() -> None:
    from gharbal.normalise.unicode import _stable_table

    native = _pieces_module()
    stable = _stable_table(DEFAULT)
    with pytest.raises(ValueError, match="bad spans"):
        native.join("abcdef", [3, 1], [4, 2], ["x", "y"], True, stable)
    with pytest.raises(ValueError, match="bad spans"):
        native.gather("abc", [1], [9])
    with pytest.raises(ValueError, match="not stable"):
        native.join("É abc", [2], [3], ["x"], True, stable)
    with pytest.raises(ValueError, match="as many"):
        native.join("abc", [1], [2, 3], ["x"], True, stable)
    with pytest.raises(ValueError, match="65536"):
        native.runs("abc", 3, b"\x01" * 10)
    with pytest.raises(TypeError):
        native.join("abc", [1], [2], [3], True, stable)
