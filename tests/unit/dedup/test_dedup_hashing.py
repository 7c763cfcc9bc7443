"""Hashes dedup compares: normalised words, shingles, MinHash signatures, survivor ranks."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gharbal import Document
from gharbal.dedup.config import KeepConfig
from gharbal.dedup.hashing import (
    MinHasher,
    _sortable_float,
    estimated_similarity,
    form_hash,
    normalised_words,
    shingle_hashes,
    survivor_rank,
    text_hash,
    word_hashes,
)
from gharbal.normalise import match_form, words

TEXTS = [
    "Hello, World! It's 2024 — the END.",
    "الْعَرَبِيَّةُ لغةٌ جميـــلة، أليس كذلك؟ نعم!",
    "می‌خواهم بروم\u200c خانه",  # Persian with ZWNJ
    "東京タワーは、とても高い。",
    "ﻣﺮﺣﺒﺎ بالعالم",  # presentation forms
    "tab\tseparated\u00a0nbsp\u2003em-space  double",
    "ـــ ٌ ، ؛ ؟",  # only tatweel, a lone mark, punctuation
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_normalised_words_follow_the_shared_contract(text: str) -> None:
    """The token cache must give what the shared tokeniser and match form give on the whole text."""
    expected = [f for f in (match_form(w) for w in words(text)) if f]
    assert normalised_words(text) == expected
    assert len(word_hashes(text)) == len(expected)


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_normalised_words_on_any_text(text: str) -> None:
    assert normalised_words(text) == [f for f in (match_form(w) for w in words(text)) if f]


@given(
    st.lists(
        st.text(alphabet=st.characters(max_codepoint=127), min_size=1, max_size=12),
        max_size=30,
    )
)
@settings(max_examples=300, deadline=None)
def test_word_hashes_agree_with_the_contract_on_ascii(parts: list[str]) -> None:
    """ASCII tokens of letters and digits take a shortcut (one word, lowered): same hashes as the
    shared tokeniser and match form give, whatever the tokens and their neighbours."""
    text = " ".join(parts)
    expected = [f for f in (match_form(w) for w in words(text)) if f]
    assert normalised_words(text) == expected
    assert word_hashes(text).tolist() == [form_hash(f) for f in expected]


def test_arabic_spelling_variants_hash_alike() -> None:
    plain = "ذهب الطالب إلى المدرسة في الصباح الباكر"
    marked = "ذَهَبَ الطَّالِبُ إلى المـــدرسة في الصَّباح الباكــر"
    assert np.array_equal(word_hashes(plain), word_hashes(marked))
    assert text_hash(normalised_words(plain)) == text_hash(normalised_words(marked))
    assert text_hash(normalised_words("A b.")) == text_hash(normalised_words("a, B"))


def test_shingles() -> None:
    wh = np.arange(1, 8, dtype=np.uint64)
    assert len(shingle_hashes(wh, 5)) == 3
    assert len(shingle_hashes(wh[:3], 5)) == 1  # a short text is one shingle
    assert len(shingle_hashes(wh[:0], 5)) == 0
    # Word order matters inside a shingle.
    assert shingle_hashes(wh[:5], 5)[0] != shingle_hashes(wh[:5][::-1].copy(), 5)[0]


def _random_text(rng: random.Random, n: int) -> str:
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n))


def test_signatures_do_not_depend_on_batching() -> None:
    rng = random.Random(1)
    mh = MinHasher(5, 4, 3, seed=9)
    docs = [mh.shingles(_random_text(rng, rng.randint(1, 300))) for _ in range(40)]
    whole = mh.signatures(docs)
    mh.batch = 50  # forces small batches and the running minimum of long documents
    assert np.array_equal(mh.signatures(docs), whole)
    assert np.array_equal(mh.signatures(docs[3:4]), whole[3:4])
    assert whole.shape == (40, 12)
    assert mh.band_keys(whole).shape == (40, 4)
    with pytest.raises(ValueError, match="no signature"):
        mh.signatures([np.empty(0, dtype=np.uint64)])


def test_seed_changes_the_hash_functions() -> None:
    sh = [MinHasher(5, 2, 2, seed=1).shingles("a b c d e f g")]
    assert not np.array_equal(
        MinHasher(5, 2, 2, seed=1).signatures(sh), MinHasher(5, 2, 2, seed=2).signatures(sh)
    )


def test_estimated_similarity_tracks_jaccard() -> None:
    rng = random.Random(3)
    mh = MinHasher(1, 16, 8, seed=1)
    errors = []
    for target in (0.2, 0.5, 0.8, 0.95):
        common = [f"c{i}" for i in range(int(1000 * target))]
        rest = 1000 - len(common)
        a = " ".join(common + [f"a{i}" for i in range(rest // 2)])
        b = " ".join(common + [f"b{i}" for i in range(rest // 2)])
        true = len(common) / (len(common) + 2 * (rest // 2))
        sa, sb = mh.signatures([mh.shingles(a), mh.shingles(b)])
        errors.append(abs(float(estimated_similarity(sa[None], sb[None])[0]) - true))
    assert max(errors) < 0.12, errors  # 128 hashes: standard error <= 0.045
    x = mh.signatures([mh.shingles(_random_text(rng, 50))])
    assert estimated_similarity(x, x)[0] == 1.0


def test_survivor_rank() -> None:
    short, long_ = Document(id="s", text="ab"), Document(id="l", text="abcd")
    longest = KeepConfig(prefer="longest")
    assert survivor_rank(long_, longest, 0, 5) < survivor_rank(short, longest, 0, 0)
    first = KeepConfig(prefer="first")
    assert survivor_rank(long_, first, 0, 5) < survivor_rank(short, first, 1, 0)
    best = KeepConfig(prefer="score", score="q")
    docs = [Document(id=str(v), scores={} if v is None else {"q": v}) for v in (None, -1.5, 0.0, 2)]
    ranks = [survivor_rank(d, best, 0, 0) for d in docs]
    assert ranks == sorted(ranks, reverse=True)  # higher score first, missing last
    nan = Document(id="n", scores={"q": float("nan")})
    assert survivor_rank(nan, best, 0, 0) == survivor_rank(docs[0], best, 0, 0)


@given(st.lists(st.floats(allow_nan=False), min_size=2, max_size=20))
def test_sortable_float_keeps_order(values: list[float]) -> None:
    keys = [_sortable_float(v) for v in values]
    for x, kx in zip(values, keys, strict=True):
        for y, ky in zip(values, keys, strict=True):
            if x < y:
                assert kx < ky
