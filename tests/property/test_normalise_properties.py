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


@given(MOSTLY_ASCII, OPTIONS)
@settings(max_examples=800, deadline=None)
def test_pieces_equal_whole_text_rounds(text: str, options: MatchOptions) -> None:
    """Normalising only the non-ASCII runs of a mostly-ASCII text gives the whole text's form."""
    pieced = _normalise_pieces(text, options, share=1.0)
    if "\x00" in text:
        assert pieced is None
    else:
        assert pieced == _reference(text, options)


def _pieces_module() -> ModuleType:
    from gharbal.normalise import unicode

    if unicode._native is None:
        if os.environ.get("GHARBAL_REQUIRE_NATIVE") == "1":
            raise RuntimeError("gharbal.normalise._pieces was not built (GHARBAL_REQUIRE_NATIVE=1)")
        pytest.skip("the C folding helpers are not built here")
    return unicode._native


@given(MOSTLY_ASCII, st.floats(min_value=0.0, max_value=1.0), st.booleans())
@settings(max_examples=400, deadline=None)
def test_c_pieces_helpers_equal_python(text: str, share: float, lower: bool) -> None:
    """The C helpers find the same runs as numpy and join the same text as Python."""
    from gharbal.normalise.unicode import _join_pieces, _non_ascii_runs

    native = _pieces_module()
    spans = native.runs(text, int(share * len(text)))
    assert spans == _non_ascii_runs(text, share)
    if spans:
        starts = [max(a - 1, 0) for a, _ in spans]
        ends = [end for _, end in spans]
        chunks = [
            text[a:e].upper() + "\U0001f600"[: a % 2] for a, e in zip(starts, ends, strict=True)
        ]
        assert native.join(text, starts, ends, chunks, lower) == _join_pieces(
            text, starts, ends, chunks, lower
        )


def test_c_join_refuses_bad_spans() -> None:
    native = _pieces_module()
    with pytest.raises(ValueError, match="bad spans"):
        native.join("abcdef", [3, 1], [4, 2], ["x", "y"], True)
    with pytest.raises(ValueError, match="bad spans"):
        native.join("abc", [1], [9], ["x"], True)
    with pytest.raises(ValueError, match="above ASCII"):
        native.join("é abc", [2], [3], ["x"], True)
    with pytest.raises(ValueError, match="as many"):
        native.join("abc", [1], [2, 3], ["x"], True)
    with pytest.raises(TypeError):
        native.join("abc", [1], [2], [3], True)
