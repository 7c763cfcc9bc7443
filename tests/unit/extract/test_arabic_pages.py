"""Arabic news pages as a crawler's plain text shows them: the chrome goes, the article stays.

The pages (``tests/fixtures/arabic/``) were written for these tests in the shape of Arabic news
sites: navigation, a breaking-news ticker, bylines with dates, photo credits, share bars, "read
also" lists with the dates of other items, "follow us" and copyright lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gharbal import Document, Recipe, Verdict, extract_page

PAGES = Path(__file__).parents[2] / "fixtures" / "arabic"
CFG = Recipe().extract

# page -> (headline, first and last article lines, chrome lines that must go)
CASES = {
    "news_1.txt": (
        "الحكومة تعلن خطة جديدة لدعم المزارعين في مواجهة موجة الجفاف",
        ("أعلنت الحكومة اليوم الأحد", "ويرى خبراء اقتصاديون"),
        [
            "تابعنا عبر",
            "اقرأ أيضا",
            "شارك",
            "السبت 11 مايو 2024",
            "الجمعة 10 مايو 2024",
            "تصوير: أحمد محمود / وكالة الأنباء",
            "عاجل: انقطاع التيار الكهربائي في عدة أحياء من العاصمة",
            "عاجل: وزير الخارجية يصل إلى القاهرة في زيارة رسمية",
            "جميع الحقوق محفوظة © 2024",
            "الرئيسية",
        ],
    ),
    "news_2.txt": (
        "الأمم المتحدة تحذر من تفاقم الأزمة الإنسانية في المنطقة",
        ("حذرت الأمم المتحدة يوم الجمعة", "يقول محللون إن الضغط"),
        [
            "تابعنا عبر",
            "شارك هذا المقال",
            "شريط الأخبار",
            "ارتفاع أسعار الذهب في التعاملات الصباحية",  # ticker items above the headline
            "انطلاق معرض الكتاب الدولي بمشاركة 40 دولة",
            "02/02/2023",
            "01/02/2023",
            "الصورة: أرشيفية (رويترز)",
            "مواضيع ذات صلة",
            "© 2023 جميع الحقوق محفوظة",
            "تسجيل الدخول",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_arabic_page(name: str) -> None:
    headline, (first, last), chrome = CASES[name]
    text = (PAGES / name).read_text(encoding="utf-8")
    doc = extract_page(Document(id=name, text=text), CFG)
    assert doc.lines is not None
    by_text = {ln.text: ln for ln in doc.lines}
    removed = {ln.text for ln in doc.removed_lines()}
    missing = [c for c in chrome if c not in removed]
    assert not missing, f"chrome kept: {missing}"
    article = [ln.text for ln in doc.lines]
    start = next(i for i, t in enumerate(article) if t.startswith(first))
    end = next(i for i, t in enumerate(article) if t.startswith(last))
    body = article[start : end + 1]
    dropped = [t for t in body if by_text[t].verdict is not Verdict.KEEP]
    assert not dropped, f"article lines removed: {dropped}"
    assert doc.title == headline
    for ln in doc.removed_lines():
        assert ln.reason is not None
        assert ln.reason.startswith("extract.")
        assert ln.detail
