from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import FIXTURES, SEED

from gharbal import Document
from gharbal.identify.language import (
    NO_GUESS,
    LanguageId,
    LanguageIdConfig,
    base_lang,
    detect,
    foreign_line,
)

SAMPLES = [
    json.loads(line)
    for line in (FIXTURES / "lang" / "arabic_script.jsonl").read_text(encoding="utf-8").splitlines()
]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["id"] for s in SAMPLES])
def test_arabic_persian_urdu_pages_get_their_own_language(sample: dict[str, str]) -> None:
    guess = detect(sample["text"])
    assert guess.lang == sample["lang"]
    assert guess.confidence > 0.9


def test_persian_and_urdu_pages_are_not_labelled_arabic() -> None:
    step = LanguageId(LanguageIdConfig())
    for sample in SAMPLES:
        if sample["lang"] in ("fa", "ur"):
            page = "\n".join([sample["text"]] * 3)
            doc = step.process(Document(id=sample["id"], text=page))
            assert doc.lang == sample["lang"] != "ar"


def test_fully_vocalised_arabic_is_identified() -> None:
    vocalised = next(s["text"] for s in SAMPLES if s["id"] == "ar-3")
    assert "\u064e" in vocalised
    assert detect(vocalised).lang == "ar"


@pytest.mark.parametrize("text", ["", "loader", "2015 - 12:30", "مرحبا", "Home | News"])
def test_short_text_gets_no_guess(text: str) -> None:
    assert detect(text) == NO_GUESS


def test_control_characters_do_not_break_cld2() -> None:
    assert detect("\x00\x01 This is a perfectly ordinary English sentence.\x7f").lang == "en"


def test_seed_page_and_its_russian_last_line() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    step = LanguageId(LanguageIdConfig())
    doc = step.process(Document(id="seed", text="\n".join(lines)))
    assert doc.lang == "ar"
    assert doc.scores["lang.cld2_v1"] > 0.9
    assert 0 < doc.scores["lang.cld2_v1.other_lines_ratio"] < 0.1
    assert lines[-1].startswith("Заголовок")
    assert foreign_line(lines[-1], "ar")
    assert not foreign_line(lines[-1], "ru")
    assert not foreign_line("Home", "ar")  # too short: no guess, no evidence
    assert not foreign_line(lines[-1], None)


def test_undetermined_document_has_no_language() -> None:
    doc = LanguageId(LanguageIdConfig()).process(Document(id="x", text="12 34 56 !!"))
    assert doc.lang is None
    assert doc.scores["lang.cld2_v1"] == 0.0


def test_base_lang() -> None:
    assert base_lang("zh-Hant") == "zh"
    assert base_lang("ar") == "ar"
    assert base_lang(None) is None


def test_fixture_licence_is_noted() -> None:
    assert "arabic_script.jsonl" in Path(FIXTURES / "LICENSES.md").read_text(encoding="utf-8")
