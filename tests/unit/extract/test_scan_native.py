"""The C page scanner (`gharbal.extract._scan`) measures pages exactly as the regex and numpy path.

It is optional (built when the install finds a C compiler); CI sets ``GHARBAL_REQUIRE_NATIVE=1`` so
that a build that silently fell back to Python fails here instead of passing slower. Equal means the
same feature matrix bit for bit, the same page profile, repeats, scripts, languages, word forms and
line forms, on real pages (the seed, Arabic news, the accuracy-gate pages) and on random text mixing
scripts, marks, joiners, digits of several kinds, separators, URLs and characters above the BMP.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gharbal.document import Line
from gharbal.extract.features import NATIVE_SCAN, PageFeatures, measure_page
from gharbal.extract.model import load_model
from gharbal.step import split_lines

if not NATIVE_SCAN:
    if os.environ.get("GHARBAL_REQUIRE_NATIVE") == "1":
        raise RuntimeError("gharbal.extract._scan was not built (GHARBAL_REQUIRE_NATIVE=1)")
    pytest.skip("the C page scanner is not built here", allow_module_level=True)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GATE = Path(__file__).resolve().parents[2] / "quality" / "fixtures" / "gate.jsonl.gz"


def _same(a: PageFeatures, b: PageFeatures) -> None:
    assert a.matrix.shape == b.matrix.shape
    assert a.matrix.tobytes() == b.matrix.tobytes(), np.argwhere(a.matrix != b.matrix)[:5]
    assert a.profile == b.profile
    assert a.repeats == b.repeats
    assert a.line_script == b.line_script
    assert a.line_lang == b.line_lang
    assert a.foreign_script.tolist() == b.foreign_script.tolist()
    assert a.foreign_lang.tolist() == b.foreign_lang.tolist()
    # Headline candidates' content words and those found elsewhere in the body: every line a
    # candidate, every other line the body.
    every = list(range(len(a.forms)))
    assert a.title_words(every, every[::2]) == b.title_words(every, every[::2])
    assert list(a.forms) == list(b.forms)
    assert list(a.line_forms) == list(b.line_forms)
    # The words removal reasons quote (``extract.chrome.vocabulary``), in the same order.
    assert [a.chrome_words(i) for i in range(len(a.forms))] == [
        b.chrome_words(i) for i in range(len(b.forms))
    ]


def _both(lines: list[Line]) -> None:
    lexicon = load_model().lexicon
    _same(measure_page(lines, lexicon, native=True), measure_page(lines, lexicon, native=False))
    _same(measure_page(lines, {}, native=True), measure_page(lines, {}, native=False))


def _pages() -> list[str]:
    pages = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "arabic").glob("*.txt"))]
    pages.append((FIXTURES / "seed" / "000_60c1ad3fcf2e89f8.txt").read_text(encoding="utf-8"))
    with gzip.open(GATE, "rt", encoding="utf-8") as f:
        pages.extend(json.loads(line)["page_text"] for line in f)
    return pages


def test_real_pages_measure_the_same() -> None:
    pages = _pages()
    assert len(pages) >= 10
    for text in pages:
        _both(split_lines(text))


# Pieces that exercise every rule of the scanner: words in many scripts, Arabic diacritics,
# tatweel and joiners, Han and kana (a word per character), digits (ASCII, Arabic-Indic, "²",
# "㏩" which folds to digits), sentence ends and closing quotes, commas, colons, separators between
# spaces, URLs, e-mail-like text, domains, bullets, non-breaking and ideographic spaces, marks
# without a base, characters above the BMP (math digits, emoji, a Han extension character).
_PIECES = [
    "the", "The", "news", "Share", "www.", "WwW.", "http://", "HTTPS://", "httpſ://", "@", "a-b",
    "x.com", ".org", ".net", ".coms", "_", "-", "|", "/", "•", "·", "–", "—", "»", "«", ".", "!",
    "?", "؟", "۔", "。", "…", ",", "،", "、", ";", ":", "：", "\"", "”", ")", "」", "©", "®",
    "الخبر", "وَقَالَ", "ـــ", "\u200c", "\u200d", "\u0301", "\u064b", "مي\u200cخواهم", "новости",
    "Новости", "ειδήσεις", "新闻", "ニュース", "ひらがな", "漢字", "한국어", "हिन्दी", "ไทย",
    "2024", "٢٠٢٤", "۱۲", "²", "㏩", "Ⅻ", "𝟏𝟐", "😀", "𠀀", "ﬁ", "İ", "ß", "ς", " ", "  ",
    "\u00a0", "\u3000", "\t", "1.", "-", "*", "►",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12).map("".join),
        min_size=1,
        max_size=12,
    )
)
def test_random_pages_measure_the_same(rows: list[str]) -> None:
    lines = split_lines("\n".join(rows))
    if lines:
        _both(lines)


def test_scanner_checks_its_arguments() -> None:
    from gharbal.extract import _scan
    from gharbal.extract.charclasses import bmp_tables, word_table

    bits, scripts = bmp_tables()
    small = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="too small"):
        _scan.scan(
            "a\nb", "a\nb", 2, 8, 11, bits, scripts, word_table(), small, small,
            np.zeros(16, np.int64), small, small,
            np.zeros(3, np.uint64), np.zeros(6, np.uint64), small, np.zeros(2, np.uint64),
            np.zeros(4), np.zeros(14, np.int64), np.zeros(3, np.uint8),
        )  # fmt: skip
    with pytest.raises(ValueError, match="n lines"):
        _scan.scan(
            "a\nb", "a\nb", 3, 8, 11, bits, scripts, word_table(), np.zeros(30, np.int64),
            np.zeros(48, np.int64), np.zeros(16, np.int64), np.zeros(3, np.int64),
            np.zeros(3, np.int64),
            np.zeros(3, np.uint64), np.zeros(6, np.uint64), np.zeros(3, np.int64),
            np.zeros(3, np.uint64), np.zeros(6), np.zeros(21, np.int64), np.zeros(3, np.uint8),
        )  # fmt: skip


def test_damaged_calls_are_refused_not_read_out_of_bounds() -> None:
    """Sizes that would overflow, overlapping outputs, and texts whose line counts disagree raise
    instead of reading or writing past a buffer."""
    from gharbal.extract import _scan
    from gharbal.extract.charclasses import bmp_tables, word_table

    bits, scripts = bmp_tables()

    def call(text: str, folded: str, n: int, shared: bool = False) -> None:
        m = max(n, 1) if n < 1000 else 0
        sizes = np.zeros(m, np.int64)
        _scan.scan(
            text, folded, n, 8, 11, bits, scripts, word_table(), np.zeros((m, 10), np.int64),
            np.zeros((m, 16), np.int64), np.zeros(16, np.int64), sizes, np.zeros(m, np.int64),
            np.zeros(len(folded) + 1, np.uint64), np.zeros(len(folded) + len(text) + 1, np.uint64),
            sizes if shared else np.zeros(m, np.int64), np.zeros(m, np.uint64),
            np.zeros((m, 2)), np.zeros((m, 7), np.int64), np.zeros(len(folded) + 1, np.uint8),
        )  # fmt: skip

    call("ab\ncd", "ab\ncd", 2)  # the good call
    for text, folded, n, shared, message in (
        ("a\n" * 64, "a\n" * 64, 2**61, False, "n lines"),
        ("ab\ncd", "ab\ncd", 2, True, "shares memory"),
        ("ab\ncd ef\ngh", "ab\ncd ef\ngh", 2, False, "n lines"),
        ("ab\ncd", "ab\nc\nd", 2, False, "more lines"),
        ("ab\ncd", "abcd", 2, False, "fewer lines"),
    ):
        with pytest.raises(ValueError, match=message):
            call(text, folded, n, shared)
    table = np.column_stack([np.zeros(8, np.uint64), np.full(8, 2**64 - 1, np.uint64)]).ravel()
    with pytest.raises(ValueError, match="bad sizes"):
        _scan.count_found(
            table, np.zeros(1, np.uint64), np.array([1, 2**63 - 1]), np.zeros(2, np.int64)
        )
    with pytest.raises(ValueError, match="bad sizes"):
        _scan.lexicon(
            table, np.zeros(3), np.zeros(1, np.uint64), np.array([1, 2**63 - 1]),
            np.zeros(1, np.int64), np.zeros((2, 4), np.float32),
        )  # fmt: skip
    with pytest.raises(ValueError, match="no values"):
        _scan.lexicon(
            table, np.zeros(0), np.zeros(1, np.uint64), np.array([1]),
            np.zeros(1, np.int64), np.zeros((1, 4), np.float32),
        )  # fmt: skip
    for candidates, body in (([0], [1]), ([1], [0])):
        with pytest.raises(ValueError, match="bad line"):
            _scan.title_counts(
                np.zeros(1, np.uint64), np.zeros(1, np.uint8), np.array([0, 2**62]),
                np.array([1, 2**62]), table, np.array(candidates), np.array(body),
                np.zeros((1, 2), np.int64),
            )  # fmt: skip
    n = 3
    classes, scripts = np.zeros((n, 10), np.int64), np.zeros((n, 16), np.int64)
    sizes, nsw, sid = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    flags = np.zeros(n, np.uint8)
    for (c, sc, sz, sw), message in (
        ((classes[:2], scripts, sizes, nsw), "classes"),
        ((classes, scripts[:2], sizes, nsw), "line_scripts"),
        ((classes, scripts, sizes, nsw[:2]), "stopwords"),
    ):
        with pytest.raises(ValueError, match=message):
            _scan.line_scripts(c, sc, sz, sw, 0, 8, 11, 30, 0.08, sid, flags)
    with pytest.raises(ValueError, match="shares memory"):
        _scan.line_scripts(
            classes, scripts, sizes, nsw, 0, 8, 11, 30, 0.08, sid, sid.view(np.uint8)
        )


def test_lexicon_columns_and_entries_match_python() -> None:
    """Each line's lexicon mean, max, min and first value, and the words found, from the C lookup
    and from the dictionary (lines without words, repeated and absent words, values of both
    signs)."""
    from gharbal.extract.features import _lexicon_table, hash_words, lexicon_columns

    lexicon = {"share": 0.9, "news": -0.25, "the": 0.0, "login": 0.6, "x": -1.5}
    forms = [["share", "on", "news"], [], ["the"], ["x", "x", "login", "unknown"], ["zzz"]]
    table = _lexicon_table(lexicon)
    hashes = hash_words([w for f in forms for w in f])
    sizes = np.array([len(f) for f in forms], dtype=np.int64)
    entries = np.empty(hashes.size, dtype=np.int64)
    stats = np.empty((len(forms), 4), dtype=np.float32)
    assert _native_scan().lexicon(table.table, table.values, hashes, sizes, entries, stats) is None
    assert stats.tobytes() == lexicon_columns(forms, lexicon).tobytes()
    found = [table.words[e] if e >= 0 else None for e in entries.tolist()]
    assert found == [w if w in lexicon else None for f in forms for w in f]


def _native_scan() -> ModuleType:
    from gharbal.extract import _scan

    return _scan


def test_lone_surrogates_measure_the_same() -> None:
    """A lone surrogate (JSON can carry one) is measured alike by both paths, not refused by one."""
    _both([Line(1, "Hello world \ud800 again"), Line(2, "\udfff"), Line(3, "Share on Facebook")])


def test_outputs_sharing_memory_with_inputs_are_refused() -> None:
    """An output buffer that is also an input (or a view of one) would change what the scanner
    reads while it writes: refused, not read or written out of bounds."""
    from gharbal.extract import _scan
    from gharbal.extract.charclasses import bmp_tables, word_table
    from gharbal.extract.features import _lexicon_table, hash_words

    table = _lexicon_table({f"w{i}": float(i) for i in range(1000)})
    sizes = np.array([1], dtype=np.int64)
    with pytest.raises(ValueError, match="shares memory"):
        _scan.lexicon(
            table.table, table.values, hash_words(["w999"]), sizes, sizes,
            np.zeros((1, 4), np.float32),
        )  # fmt: skip
    bits, scripts = bmp_tables()
    wt = word_table().copy()
    text, folded = "a!a!a!a\n" + " ".join(["db"] * 9), "\n"
    with pytest.raises(ValueError, match="shares memory"):
        _scan.scan(
            text, folded, 2, 8, 11, bits, scripts, wt, np.zeros((2, 10), np.int64),
            np.zeros((2, 16), np.int64), np.zeros(16, np.int64), np.zeros(2, np.int64),
            np.zeros(2, np.int64), np.zeros(2, np.uint64), wt.view(np.uint64),
            np.zeros(2, np.int64), np.zeros(2, np.uint64), np.zeros((2, 2)),
            np.zeros((2, 7), np.int64), np.zeros(len(folded), np.uint8),
        )  # fmt: skip
    out = np.zeros(3, dtype=np.int64)
    with pytest.raises(ValueError, match="shares memory"):
        _scan.repeats(out.view(np.uint64), out)
    with pytest.raises(ValueError, match="misaligned"):
        _scan.repeats(np.zeros(2, np.uint64), memoryview(bytearray(17))[1:])


def test_chrome_words_are_the_lexicon_words_above_the_cut_most_chrome_first() -> None:
    lexicon = {"share": 0.9, "login": 0.9, "news": 2.0, "the": 0.0, "menu": 0.5, "x": -1.5}
    lines = split_lines("Share the news, share it, Login\nmenu the x\nnothing here")
    for native in (True, False):
        feats = measure_page(lines, lexicon, native=native)
        assert [feats.chrome_words(i) for i in range(3)] == [["news", "login", "share"], [], []]


def test_title_words_leave_out_stopwords_digits_and_single_characters() -> None:
    text = (
        "The budget plan 2024 ² x of the city\n"
        "The city council approved the budget plan on Tuesday, after a long debate in the hall.\n"
        "Budget ²³ 12 a b the of and\n"
        "Other news of the day\n"
    )
    lines = split_lines(text)
    for native in (True, False):
        feats = measure_page(lines, {}, native=native)
        assert feats.profile.lang == "en"
        # Line 0: budget, plan, city (2024, superscripts, x and stopwords are not content words),
        # all three in line 1; line 2: budget only; line 3: news, day ("other" is a stopword), in no
        # other line.
        assert feats.title_words([0, 2, 3], [0, 1, 2, 3]) == [(3, 3), (1, 1), (2, 0)]


def test_bad_lookup_tables_are_refused() -> None:
    from gharbal.extract import _scan

    for table in (np.zeros(0, np.uint64), np.zeros(6, np.uint64), np.zeros(3, np.uint64)):
        with pytest.raises(ValueError, match="bad lookup table"):
            _scan.count_found(table, np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0))
    with pytest.raises(ValueError, match="bad lookup table"):
        _scan.count_found(
            memoryview(bytearray(129))[1:], np.zeros(0, np.uint64), np.zeros(0, np.int64),
            np.zeros(0),
        )  # fmt: skip


def test_short_details_format_as_python(monkeypatch: pytest.MonkeyPatch) -> None:
    from gharbal.extract import features

    chars = np.array([0, 7, 12345, 2**40], dtype=np.int64)
    words = np.array([0, 1, 999, 3], dtype=np.int64)
    ends = np.array([True, False, False, True])
    made = features.short_details(chars, words, ends)
    assert made[1] == "7 chars, 1 words, no final punctuation"
    monkeypatch.setattr(features, "_native", None)
    assert made == features.short_details(chars, words, ends)
    with pytest.raises(ValueError, match="too small"):
        _native_scan().short_details(chars, words[:2], ends.astype(np.uint8))
    with pytest.raises(ValueError, match="sizes differ"):
        _native_scan().short_details(chars[:2], words, ends.astype(np.uint8))


def test_title_counts_count_body_entries_as_python() -> None:
    """Each entry of the body counts once per word, the candidate's own line included (a word of
    a candidate in the body needs a second entry), as the Python fallback counts."""
    lines = split_lines("alpha beta gamma\nalpha delta\nbeta gamma epsilon\nzeta")
    native = measure_page(lines, {}, native=True)
    python = measure_page(lines, {}, native=False)
    for candidates, body in (([0, 1, 3], [0, 1, 2]), ([0], [0, 0]), ([1, 2], []), ([], [0, 2])):
        assert native.title_words(candidates, body) == python.title_words(candidates, body)
    assert native.title_words([0], [0, 0]) == [(3, 3)]


def test_misaligned_inputs_are_refused() -> None:
    from gharbal.extract import _scan

    def misaligned(count: int) -> memoryview:
        return memoryview(bytearray(8 * count + 1))[1:]

    n = 2
    table = np.column_stack([np.zeros(8, np.uint64), np.full(8, 2**64 - 1, np.uint64)]).ravel()
    with pytest.raises(ValueError, match="misaligned"):
        _scan.line_scripts(
            np.zeros((n, 10), np.int64), np.zeros((n, 16), np.int64), misaligned(n),
            np.zeros(n, np.int64), 0, 8, 11, 30, 0.08, np.zeros(n, np.int64),
            np.zeros(n, np.uint8),
        )  # fmt: skip
    with pytest.raises(ValueError, match="misaligned"):
        _scan.count_found(table, misaligned(1), np.array([1]), np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="misaligned"):
        _scan.cover(table, misaligned(1), np.zeros(1, np.uint64), np.zeros(64, np.int64))
    with pytest.raises(ValueError, match="misaligned"):
        _scan.lexicon(
            table, misaligned(2), np.zeros(1, np.uint64), np.array([1]), np.zeros(1, np.int64),
            np.zeros((1, 4), np.float32),
        )  # fmt: skip
