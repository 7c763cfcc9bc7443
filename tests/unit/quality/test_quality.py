"""Quality signals and filters: the Arabic cases, per-language parameters, reasons and lines."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gharbal import ConfigError, Document, Recipe, Verdict, extract_page
from gharbal.quality import (
    QualityConfig,
    QualityFilters,
    QualitySignals,
    decide,
    gopher_repetition,
    measure,
)
from gharbal.quality.analysis import Analysis
from gharbal.quality.tables import count_sentences, ends_sentence

AR_SENTENCES = [
    "أعلنت وزارة التربية والتعليم عن بدء العام الدراسي الجديد في الأسبوع المقبل.",
    "هل تعرف أن مدينة القاهرة هي أكبر مدن العالم العربي من حيث عدد السكان؟",
    "قال المتحدث باسم الحكومة إن المفاوضات مع الشركاء الدوليين مستمرة.",
    "وأضاف أن الطرفين اتفقا على عقد جولة جديدة من المحادثات قبل نهاية الشهر؟",
    "ودعت الوزارة أولياء الأمور إلى متابعة أبنائهم والتأكد من جاهزيتهم للعودة.",
    "ويعيش في المدينة أكثر من عشرين مليون نسمة، وهي مركز ثقافي مهم في المنطقة.",
]
AR_PAGE = "\n".join(AR_SENTENCES)
C4_STRICT = {"c4": {"lines": {"terminal_punct": True}}}


def run(text: str, lang: str | None, data: dict[str, Any] | None = None) -> Document:
    cfg = QualityConfig.model_validate(data or {})
    doc = Document(id="d", text=text, lang=lang)
    return QualityFilters(cfg).process(QualitySignals(cfg).process(doc))


def test_terminal_punctuation_covers_arabic_and_urdu() -> None:
    assert ends_sentence("هل تعرف أن القاهرة كبيرة؟")
    assert ends_sentence("یہ کراچی ہے۔")
    assert ends_sentence("«قال: نعم.»")
    assert ends_sentence("他说：是的。")
    assert not ends_sentence("Read more...")
    assert not ends_sentence("المزيد…")
    assert not ends_sentence("القائمة الرئيسية")
    assert count_sentences("كيف حالك؟ أنا بخير. شكرا!") == 3
    assert count_sentences("Mr. Smith went to Washington. He stayed.") == 2


def test_lines_ending_in_arabic_question_mark_are_not_dropped_by_c4() -> None:
    doc = run(AR_PAGE + "\nالقائمة الرئيسية للموقع", "ar", C4_STRICT)
    assert doc.rejection is None, doc.rejection
    removed = doc.removed_lines()
    assert [(ln.text, ln.reason) for ln in removed] == [
        ("القائمة الرئيسية للموقع", "quality.c4.no_terminal_punct")
    ]
    assert AR_SENTENCES[1] in doc.text
    assert AR_SENTENCES[3] in doc.text
    assert doc.text == AR_PAGE


def test_arabic_stopwords_count() -> None:
    scores = measure(AR_PAGE, "ar", QualityConfig())
    assert scores["quality.gopher_v1.stopwords"] >= 5  # في من عن إن أن على ...
    assert 0.1 < scores["quality.gopher_v1.stopword_ratio"] < 0.6
    # Without the Arabic list there is nothing to count (the rule is skipped).
    assert "quality.gopher_v1.stopwords" not in measure(AR_PAGE, None, QualityConfig())
    # Diacritised stopwords count as the bare ones.
    vocalised = "فِي مِنْ عَلَى إِلَى " * 20
    assert measure(vocalised, "ar", QualityConfig())["quality.gopher_v1.stopwords"] >= 4


def test_english_uses_gophers_eight_stopwords() -> None:
    text = "The cat sat with the dog. " * 20
    scores = measure(text, "en", QualityConfig().for_language("en"))
    assert scores["quality.gopher_v1.stopwords"] == 2  # the, with


def test_rejection_has_reason_and_measured_value() -> None:
    doc = run("tiny text here", "en")
    assert doc.rejection is not None
    assert doc.rejection.reason.startswith("quality.")
    doc = run("word " * 10, "en", {"gopher_repetition": {"enabled": False}})
    assert doc.rejection is not None
    assert doc.rejection.reason == "quality.gopher.short_doc"
    assert doc.rejection.detail == "words 10 < 50 (en)"
    assert doc.rejection.stage == "quality"


def test_thresholds_change_without_measuring_again() -> None:
    scores = measure(AR_PAGE, "ar", QualityConfig())
    assert decide(scores, QualityConfig(), "ar") is None
    strict = QualityConfig.model_validate({"gopher": {"min_stopword_ratio": 0.9}})
    reason, detail = decide(scores, strict, "ar") or ("", "")
    assert reason == "quality.gopher.stopword_ratio"
    assert "< 0.9 (ar)" in detail
    off = QualityConfig.model_validate({"gopher": {"min_doc_words": None}})
    assert decide({"quality.gopher_v1.words": 3.0}, off, "ar") is None


def test_per_language_defaults_and_overrides() -> None:
    cfg = QualityConfig.model_validate(
        {
            "languages": {
                "ar": {"gopher": {"min_stop_words": 4}},
                "zh": {"fineweb": {"short_line_chars": 9}},
            }
        }
    )
    assert cfg.for_language("ar").gopher.min_stop_words == 4
    assert cfg.for_language("fr").gopher.min_stop_words == 2
    zh = cfg.for_language("zh")
    assert zh.fineweb.short_line_chars == 9  # the recipe's own, merged over the built-in ones
    assert zh.gopher.min_avg_word_length is None  # built-in: Han characters are one-letter words
    assert zh.gopher_repetition.top_n_grams == {3: 0.2, 5: 0.18, 6: 0.16}
    assert cfg.for_language("th").c4.lines.min_words is None
    assert cfg.for_language("en").gopher.stop_words == [
        "the",
        "be",
        "to",
        "of",
        "and",
        "that",
        "have",
        "with",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"languages": {"ar": {"gopher": {"min_stopwords": 1}}}},
        {"languages": {"ar": {"nonsense": {}}}},
        {"gopher": {"min_doc_words": -1}},
    ],
)
def test_bad_quality_recipes_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="quality"):
        Recipe.from_dict({"quality": bad})


def test_chinese_and_japanese_are_tokenised_per_character() -> None:
    zh = "今天天气很好，我们去公园散步。" * 2 + "\n" + "北京是中国的首都，有很多历史古迹。" * 3
    scores = measure(zh, "zh", QualityConfig().for_language("zh"))
    assert scores["quality.gopher_v1.words"] > 50
    assert scores["quality.c4_v1.removed_lines"] == 0


def test_c4_line_rules_remove_lines_with_reasons_and_keep_text_consistent() -> None:
    page = "\n".join(
        [
            "Breaking news",
            "The council met on Monday to discuss the new budget for the schools.",
            "Please enable JavaScript to view the comments powered by a service.",
            "",
            "The mayor said that the plan would be ready before the end of the year.",
            "This site uses cookies to improve your experience of the site.",
            "Residents will be able to comment on the plan at the town hall.",
            "Officials expect that the work will start in the spring of next year.",
            "Several members of the public attended the meeting and asked questions.",
        ]
    )
    doc = extract_page(
        Document(id="p", text=page, lang="en"),
        Recipe.from_dict({"extract": {"lines": {"enabled": False}}}).extract,
    )
    cfg = QualityConfig.model_validate(
        {"gopher": {"enabled": False}, "fineweb": {"enabled": False}}
    )
    QualityFilters(cfg).process(QualitySignals(cfg).process(doc))
    assert doc.rejection is None, doc.rejection
    reasons = {ln.text: ln.reason for ln in doc.removed_lines()}
    assert reasons == {
        "Breaking news": "quality.c4.few_words",
        "Please enable JavaScript to view the comments powered by a service.": "quality.c4.javascript",
        "This site uses cookies to improve your experience of the site.": "quality.c4.policy",
    }
    assert doc.lines is not None
    kept = [ln.text for ln in doc.lines if ln.verdict is Verdict.KEEP]
    assert [s for s in doc.text.splitlines() if s] == kept
    assert "JavaScript" not in doc.text


def test_html_documents_get_lines_when_c4_removes_some() -> None:
    doc = run(AR_PAGE + "\nJavaScript مطلوب لعرض هذا المحتوى في الصفحة.", "ar")
    assert doc.rejection is None
    assert [ln.reason for ln in doc.removed_lines()] == ["quality.c4.javascript"]
    assert doc.text == AR_PAGE


def test_c4_document_rules() -> None:
    assert run(AR_PAGE + "\nlorem ipsum dolor sit amet, consectetur.", "ar").rejection.reason == (  # type: ignore[union-attr]
        "quality.c4.lorem_ipsum"
    )
    assert run(AR_PAGE + "\nvar x = {a: 1} في الصفحة.", "ar").rejection.reason == (  # type: ignore[union-attr]
        "quality.c4.curly_bracket"
    )
    few = run("\n".join(AR_SENTENCES[:3]), "ar", {"gopher": {"enabled": False}})
    assert few.rejection is not None
    assert few.rejection.reason == "quality.c4.few_sentences"
    assert few.rejection.detail == "sentences on kept lines 3 < 5 (ar)"


def test_fineweb_is_measured_on_the_lines_c4_keeps() -> None:
    page = AR_PAGE + "\n" + "\n".join(["قائمة"] * 3)
    with_c4 = measure(page, "ar", QualityConfig())
    without = measure(page, "ar", QualityConfig.model_validate({"c4": {"enabled": False}}))
    assert with_c4["quality.fineweb_v1.lines"] == len(AR_SENTENCES)
    assert without["quality.fineweb_v1.lines"] == len(AR_SENTENCES) + 3
    assert without["quality.fineweb_v1.char_dup_ratio"] > 0


def _top(words: list[str], n: int) -> int:
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def _all_dup(words: list[str], n: int) -> int:
    seen: set[tuple[str, ...]] = set()
    rep = i = 0
    while i < len(words) - n + 1:
        gram = tuple(words[i : i + n])
        if gram in seen:
            rep += sum(map(len, gram))
            i += n
        else:
            seen.add(gram)
            i += 1
    return rep


@given(st.lists(st.sampled_from(["a", "bb", "ccc", "في", "من", ".", "東"]), max_size=80))
@settings(max_examples=300, deadline=None)
def test_repetition_signals_match_the_reference_definitions(words: list[str]) -> None:
    text = " ".join(words)
    a = Analysis(text, [text], words, words)
    cfg = gopher_repetition.GopherRepetitionConfig()
    scores = gopher_repetition.measure(a, None, cfg)
    n_chars = len(text) or 1
    for n in (2, 3, 4):
        expected = _top(words, n) / n_chars if len(words) >= n else 0.0
        assert scores[f"quality.gopher_repetition_v1.top_{n}_gram_char_frac"] == round(expected, 6)
    for n in range(5, 11):
        expected = _all_dup(words, n) / n_chars
        assert scores[f"quality.gopher_repetition_v1.dup_{n}_gram_char_frac"] == round(expected, 6)


# Thai separates clauses and sentences with spaces and ends none with a mark.
THAI_PAGE = "\n".join(
    [
        "ผู้สื่อข่าวได้รับแจ้งว่า ผลการตรวจสอบดีเอ็นเอของศพที่พบริมแม่น้ำโขง มีความเกี่ยวพันทางสายเลือดกับญาติ "
        "ของผู้ลี้ภัยที่หายตัวไป เมื่อเดือนที่แล้ว",
        "ภรรยาของนักเคลื่อนไหวกล่าวว่า ได้ทราบข่าวจากครอบครัวแล้ว แต่ยังไม่ขอพูดอะไรในตอนนี้ "
        "เพราะยังรอผลอย่างเป็นทางการ จากเจ้าหน้าที่",
        "ญาติของผู้ลี้ภัยอีกคนหนึ่ง ได้ติดต่อพนักงานสอบสวนเจ้าของคดี และได้คำตอบว่า จะทราบผลการตรวจภายในสองถึงสามวันนี้",
        "ทั้งสามคนเป็นนักเคลื่อนไหวทางการเมือง ที่ลี้ภัยไปยังประเทศเพื่อนบ้าน และหายตัวไปจากที่พัก "
        "โดยไม่มีใครติดต่อได้ นานกว่าหนึ่งเดือน",
        "องค์กรสิทธิมนุษยชนเรียกร้องให้รัฐบาล เร่งสอบสวนและเปิดเผยข้อเท็จจริงต่อสาธารณะ โดยเร็วที่สุดเท่าที่จะทำได้",
        "ครอบครัวของผู้สูญหายยืนยันว่า จะติดตามคดีนี้ต่อไป จนกว่าจะได้รับความเป็นธรรม และทราบความจริงทั้งหมด",
    ]
)


def test_thai_and_lao_pages_are_not_rejected_for_lacking_sentence_marks() -> None:
    """Thai ends a sentence with a space: FineWeb's lines-ending-in-punctuation rule would reject
    every Thai page, so it is off for th and lo (and Khmer's ។ counts as a sentence mark)."""
    assert not any(map(ends_sentence, THAI_PAGE.split("\n")))
    assert run(THAI_PAGE, "th").rejection is None
    assert run(THAI_PAGE, "lo").rejection is None
    # The rule itself still runs for a language that marks its sentences.
    with_rule = QualityConfig().for_language("th").fineweb.min_line_punct_ratio
    assert with_rule is None
    assert QualityConfig().for_language("my").fineweb.min_line_punct_ratio == 0.12
    assert ends_sentence("ព្រឹកនេះ រដ្ឋាភិបាលបានប្រកាសពីវិធានការថ្មី។")
