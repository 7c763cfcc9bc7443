from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gharbal import Document, Recipe, Verdict, extract_page
from gharbal.document import Line
from gharbal.identify import dominant_script, guess_language
from gharbal.normalise import match_form, words
from gharbal.normalise.charclasses import ends_sentence
from gharbal.step import join_kept, split_lines

CFG = Recipe().extract

ARABIC_PARAGRAPH = (
    "وقال المتحدث إن الحكومة تعمل على حل المشكلات التي تواجه المواطنين في المدن والقرى، "
    "وأضاف أن هناك الكثير من العمل الذي يجب القيام به في الأشهر المقبلة من أجل تحقيق ذلك."
)


def test_terminal_punctuation_is_script_aware() -> None:
    assert ends_sentence("هل هذا صحيح؟")
    assert ends_sentence("یہ ایک جملہ ہے۔")
    assert ends_sentence("他说。")
    assert ends_sentence('He said "yes."')
    assert ends_sentence("قال «نعم.»")
    assert not ends_sentence("تابعنا عبر")
    assert not ends_sentence("")


def test_words_keep_diacritics_and_zwnj_and_split_han() -> None:
    assert words("مُحَمَّد و کتاب‌ها") == ["مُحَمَّد", "و", "کتاب‌ها"]
    assert words("東京は") == ["東", "京", "は"]
    assert match_form("مُحَمَّد") == match_form("محمد")
    assert match_form("كـــتاب") == match_form("كتاب")
    assert match_form("ﻣﺮﺣﺒﺎ") == "مرحبا"  # presentation forms folded


def test_language_guess_by_stopwords() -> None:
    forms = [match_form(w) for w in words(ARABIC_PARAGRAPH)]
    assert guess_language(forms, "Arabic") == "ar"
    persian = "این یک متن فارسی است که برای آزمایش نوشته شده و از آن استفاده می‌کنیم"
    assert guess_language([match_form(w) for w in words(persian)], "Arabic") == "fa"
    assert dominant_script("Заголовок открываемого материала") == "Cyrillic"


def _page(*lines: str) -> str:
    return "\n".join(lines)


def test_question_paragraph_is_kept_and_chrome_removed() -> None:
    question = (
        "هل يمكن أن تنجح المفاوضات في ظل هذه الظروف التي يعيشها البلد منذ سنوات طويلة، "
        "وما الذي يمكن أن يقدمه المجتمع الدولي من أجل الوصول إلى حل؟"
    )
    text = _page(
        "اقرأ أيضا", "شارك", ARABIC_PARAGRAPH, question, ARABIC_PARAGRAPH + " ", "تابعنا عبر"
    )
    doc = extract_page(Document(id="q", text=text), CFG)
    assert doc.lines is not None
    verdicts = {ln.text: ln.verdict for ln in doc.lines}
    assert verdicts[question] is Verdict.KEEP
    assert verdicts["اقرأ أيضا"] is Verdict.REMOVE
    assert verdicts["تابعنا عبر"] is Verdict.REMOVE
    assert question in doc.text


def test_other_script_line_and_repeats_are_removed_with_reasons() -> None:
    text = _page(
        "loader", ARABIC_PARAGRAPH, "loader", ARABIC_PARAGRAPH[::-1][:40], "Заголовок материала"
    )
    doc = extract_page(Document(id="s", text=text), CFG)
    reasons = {ln.text: (ln.reason, ln.detail) for ln in doc.removed_lines()}
    assert reasons["Заголовок материала"] == ("extract.script_mismatch", "Cyrillic (page Arabic)")
    assert reasons["loader"][0] in ("extract.script_mismatch", "extract.chrome.page_repeated")
    for reason, detail in reasons.values():
        assert reason is not None
        assert reason.startswith("extract.")
        assert detail


def test_heuristic_method_is_still_available() -> None:
    cfg = Recipe.from_dict({"extract": {"lines": {"method": "heuristic"}}}).extract
    text = _page(
        "loader", ARABIC_PARAGRAPH, "loader", ARABIC_PARAGRAPH[::-1][:40], "Заголовок материала"
    )
    doc = extract_page(Document(id="s", text=text), cfg)
    reasons = {ln.text: ln.reason for ln in doc.removed_lines()}
    assert reasons["loader"] == "extract.lines.repeated"
    assert reasons["Заголовок материала"] == "extract.lines.script"
    assert "extract.lines_v1.kept_ratio" in doc.scores


def test_short_sentence_between_paragraphs_is_kept() -> None:
    text = _page(ARABIC_PARAGRAPH, "", "واشنطن — سبوتنيك.", "", ARABIC_PARAGRAPH)
    doc = extract_page(Document(id="d", text=text), CFG)
    assert "واشنطن — سبوتنيك." in doc.text
    assert doc.text.count("\n\n") == 2  # blank-line separation kept


def test_line_numbers_are_physical_and_join_respects_blank_lines() -> None:
    lines = split_lines("a\n\n  b  \nc\n")
    assert [(ln.no, ln.text) for ln in lines] == [(1, "a"), (3, "b"), (4, "c")]
    assert join_kept(lines) == "a\n\nb\nc"


def test_disabled_cleaner_keeps_everything() -> None:
    cfg = Recipe.from_dict({"extract": {"lines": {"enabled": False}, "title": {"enabled": False}}})
    doc = extract_page(Document(id="x", text="menu\nhome\n" + ARABIC_PARAGRAPH), cfg.extract)
    assert doc.text == "menu\nhome\n" + ARABIC_PARAGRAPH
    assert doc.removed_lines() == []


def test_html_record_uses_main_content_and_title() -> None:
    html = (
        "<html><head><title>Big news</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Big news</h1><p>{'The council met on Tuesday and agreed the plan. ' * 8}</p>"
        "</article><footer>Copyright 2024</footer></body></html>"
    )
    doc = extract_page(Document(id="h", html=html), CFG)
    assert doc.title == "Big news"
    assert "The council met on Tuesday" in doc.text
    assert "Copyright" not in doc.text
    assert doc.html is None


def test_html_extractors_are_selectable() -> None:
    html = (
        "<html><head><title>Big news</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Big news</h1><p>{'The council met on Tuesday and agreed the plan. ' * 8}</p>"
        "</article><footer>Copyright 2024</footer></body></html>"
    )
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "resiliparse"}}}).extract
    doc = extract_page(Document(id="h", html=html), cfg)
    assert doc.title == "Big news"
    assert "The council met on Tuesday" in doc.text
    assert doc.lines is None  # main content, no line verdicts
    lines_cfg = Recipe.from_dict({"extract": {"html": {"extractor": "lines"}}}).extract
    doc = extract_page(Document(id="h", html=html), lines_cfg)  # rendered to lines
    assert doc.lines is not None
    assert any(ln.text == "Copyright 2024" and ln.reason for ln in doc.lines)


def test_a_page_the_context_stage_would_empty_keeps_what_the_lines_own_scores_keep() -> None:
    # Stage 2 (the context) reads a page of a few similar lines, all content, like a list of
    # teasers; when it would remove every line, what stage 1 keeps on the lines' own features is
    # kept (a line removed by a rule, score -inf, stays removed).
    from dataclasses import dataclass

    import numpy as np

    from gharbal.document import Line
    from gharbal.extract.lines import clean_lines
    from gharbal.extract.model import LineModel, load_model

    @dataclass(frozen=True, slots=True)
    class _ContextSaysNo(LineModel):
        def scores(self, x, s1=None, native=True):  # type: ignore[no-untyped-def]
            raw, m = LineModel.scores(self, x, s1, native)
            return np.full_like(raw, -30.0), m

    base = load_model()
    pessimist = _ContextSaysNo(**{f: getattr(base, f) for f in LineModel.__slots__})
    texts = [
        "Home",
        "The river that fed the valley for a thousand years ran dry this summer, farmers said on"
        " Monday, as the heat wave entered its third week.",
        "Follow us",
        "Officials promised water trucks for the villages along its banks, and said the reservoir"
        " upstream would be opened within days.",
    ]

    def verdicts(model: LineModel) -> list[Verdict | None]:
        lines = [Line(no=i + 1, text=t) for i, t in enumerate(texts)]
        clean_lines(lines, model=model)
        return [ln.verdict for ln in lines]

    assert verdicts(base) == [Verdict.REMOVE, Verdict.KEEP, Verdict.REMOVE, Verdict.KEEP]
    assert verdicts(pessimist) == [Verdict.REMOVE, Verdict.KEEP, Verdict.REMOVE, Verdict.KEEP]


def _scripted(keep: list[bool], *, own: list[bool] | None = None):  # type: ignore[no-untyped-def]
    """The HTML model, with the verdicts of stage 2 (``keep``) and stage 1 (``own``, default
    ``keep``) scripted line by line: the rules around the model are tested on their own."""
    from dataclasses import dataclass
    from typing import Any

    import numpy as np

    from gharbal.extract.config import ExtractConfig
    from gharbal.extract.model import LineModel, load_model

    base = load_model(ExtractConfig().html.model)
    said = np.where(np.asarray(keep), 30.0, -30.0)
    own_said = said if own is None else np.where(np.asarray(own), 30.0, -30.0)

    @dataclass(frozen=True, slots=True)
    class _Stage1:
        def explain(self, x: Any, native: bool = True, group_of: Any = None, groups: Any = None):  # type: ignore[no-untyped-def]
            return own_said.copy(), np.zeros((len(x), groups or x.shape[1]))

    @dataclass(frozen=True, slots=True)
    class _Scripted(LineModel):
        def scores(self, x, s1=None, native=True):  # type: ignore[no-untyped-def]
            return said.copy(), None

    fields = {f: getattr(base, f) for f in LineModel.__slots__}
    return _Scripted(**{**fields, "stage1": _Stage1()})


_LEAD = (
    "The river that fed the valley for a thousand years ran dry this summer, farmers said on "
    "Monday, as the heat wave entered its third week and the wells of four villages gave out, "
    "one after the other, in the space of a fortnight."
)
_BODY = (
    "Officials promised water trucks for the villages along its banks, and said the reservoir "
    "upstream would be opened within days, once the engineers had checked the old dam."
)


def _dom_page(blocks: list[str]) -> tuple[list[Line], npt.NDArray[np.float32]]:
    from gharbal.extract.dom import dom_features
    from gharbal.extract.html import html_to_lines

    html = "<html><body>" + "".join(blocks) + "</body></html>"
    text = html_to_lines(html)[1]
    lines = [Line(no=i + 1, text=t) for i, t in enumerate(text.splitlines())]
    return lines, dom_features(html, [ln.text for ln in lines])


def test_the_long_paragraphs_just_above_the_first_kept_line_are_kept_with_the_dom() -> None:
    from gharbal.extract.lines import clean_lines

    teaser = "<p><a href='/x'>" + _LEAD.replace("river", "lake") + "</a></p>"
    lines, dom = _dom_page(
        [
            "<nav><a href='/'>Home</a></nav>",
            f"<p>{_LEAD.replace('river', 'canal')}</p>",  # more than 10 lines above the body
            *["<p>A short line</p>"] * 10,
            teaser,  # a link, however long
            "<p>Photo: the dry river bed near the old mill</p>",  # short, no full stop
            f"<p>{_LEAD}</p>",  # the lead
            *[f"<p>{_BODY}</p>"] * 3,
        ]
    )
    n = len(lines)
    model = _scripted([False] * (n - 3) + [True] * 3)
    clean_lines(lines, model=model, dom=dom)
    kept = [ln.text for ln in lines if ln.verdict is Verdict.KEEP]
    assert kept == [_LEAD, _BODY, _BODY, _BODY]
    # Without the DOM (plain text), the model's verdicts stand.
    again = [Line(no=ln.no, text=ln.text) for ln in lines]
    clean_lines(again, model=model)
    assert [ln.text for ln in again if ln.verdict is Verdict.KEEP] == [_BODY] * 3


def test_a_page_left_near_empty_keeps_its_main_containers_paragraphs() -> None:
    from gharbal.extract.lines import clean_lines

    lines, dom = _dom_page(
        [
            "<nav><a href='/'>Home</a> <a href='/w'>World news and more</a></nav>",
            "<div class='commentary'>",
            f"<p>{_LEAD}</p>",
            f"<p>{_BODY}</p>",
            "<p>By the desk</p>",  # shorter than a paragraph
            f"<p>{_BODY.replace('water', 'fresh water')}</p>",
            "</div>",
            "<footer><p>Copyright 2024 The Valley Times, all rights reserved here</p></footer>",
        ]
    )
    model = _scripted([False] * len(lines))
    clean_lines(lines, model=model, dom=dom)
    kept = [ln.text for ln in lines if ln.verdict is Verdict.KEEP]
    assert kept == [_LEAD, _BODY, _BODY.replace("water", "fresh water")]
    removed = [ln for ln in lines if ln.verdict is Verdict.REMOVE]
    assert all(ln.reason for ln in removed)


def test_a_headline_the_dom_puts_in_a_list_item_names_no_page() -> None:
    # The text's headline detector picks a short line shortly before the body whose words come
    # back in it; when the DOM says that line is a list item (a feature list above the article),
    # it is a line of the page, not its headline: the <h1> names the page, the list stays.
    cfg = Recipe.from_dict({"extract": {"html": {"extractor": "dom"}}}).extract
    items = "".join(
        f"<li>Dry valley wells {w} for the villages</li>" for w in ("deepened", "mapped", "tested")
    )
    html = (
        "<html><body><h1>Water news</h1><article>"
        f"<ul>{items}</ul><p>{_LEAD}</p><p>{_BODY}</p>"
        "<p>The dry valley wells were deepened for the villages, and mapped and tested.</p>"
        "</article></body></html>"
    )
    doc = extract_page(Document(id="li", html=html), cfg)
    assert doc.lines is not None
    assert not any(
        ln.verdict is Verdict.TITLE for ln in doc.lines if ln.text.startswith("Dry valley")
    )
    assert doc.title != "Dry valley wells tested for the villages"
