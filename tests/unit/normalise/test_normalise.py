from __future__ import annotations

from gharbal.normalise import MatchOptions, match_form, normalise, tokens, word_tokens, words


def test_arabic_contract_examples() -> None:
    assert normalise("الْعَرَبِيَّةُ") == normalise("العربية")
    assert normalise("كتـــاب") == "كتاب"
    assert normalise("إلى") == normalise("الى") == normalise("آلي")
    assert normalise("مدرسة") == normalise("مدرسه")
    assert normalise("ﻻ") == "لا"  # presentation form (lam-alef ligature)
    assert normalise("٢٠١٥ ۲۰۱۵") == "2015 2015"
    assert normalise("\u202bنص\u202c\u200f") == "نص"
    assert normalise("ABC Straße") == "abc strasse"
    assert normalise("فارسی کتاب") == normalise("فارسي كتاب")


def test_options_turn_folds_off() -> None:
    keep = MatchOptions(strip_diacritics=False, fold_letters=False, map_digits=False)
    assert normalise("كَتَبَ إلى ٣", keep) == "كَتَبَ إلى ٣"
    assert normalise("كتـاب", keep) == "كتاب"  # tatweel always goes


def test_words_and_tokens() -> None:
    assert words("می‌خواهم کتاب") == ["می\u200cخواهم", "کتاب"]
    assert words("東京タワー") == ["東", "京", "タ", "ワ", "ー"]
    assert tokens("نعم، لا؟ it’s 3.5...") == ["نعم", "،", "لا", "؟", "it", "’s", "3.5", "..."]
    assert tokens("كتـابٌ U.S. a_b x.txt https://a.org/b. 8:00pm") == [
        "كتـابٌ",
        "U.S.",
        "a_b",
        "x.txt",
        "https://a.org/b",
        ".",
        "8:00pm",
    ]
    assert word_tokens("mail me@x.org, l'homme!") == ["mail", "me@x.org", "l", "'homme"]
    assert match_form("Ａｂｃ") == "abc"
