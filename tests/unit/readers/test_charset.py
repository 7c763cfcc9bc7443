from __future__ import annotations

import pytest

from gharbal.readers.charset import (
    charset_param,
    decode_html,
    decode_text,
    repair_mojibake,
    too_broken,
)

AR = "قال المتحدث باسم وزارة الخارجية إن الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل نهاية الشهر"
FR = "Le ministère a annoncé que l'économie française était « en crise », déclaré à Genève."


@pytest.mark.parametrize("codec", ["cp1256", "iso-8859-6", "utf-8"])
def test_arabic_legacy_pages_detected_without_declaration(codec: str) -> None:
    html = f"<html><body><p>{AR}</p></body></html>".encode(codec)
    decoded = decode_html(html)
    assert AR in decoded.text
    assert decoded.errors == 0
    text = decode_text(AR.encode(codec))
    assert text.text == AR


def test_declared_charsets_http_then_meta() -> None:
    body = "<html><head><meta http-equiv='Content-Type' content='text/html; charset=arabic'>"
    data = (body + f"</head><body>{AR}</body></html>").encode("iso-8859-6")
    meta = decode_html(data)
    assert (meta.encoding, meta.source) == ("iso8859-6", "meta")
    http = decode_html(AR.encode("cp1256"), "windows-1256")
    assert (http.text, http.encoding, http.source) == (AR, "cp1256", "http")
    latin = decode_html("café".encode("cp1252"), "ISO-8859-1")  # mapped as browsers do
    assert (latin.text, latin.encoding) == ("café", "cp1252")


def test_valid_utf8_wins_over_a_wrong_declaration() -> None:
    decoded = decode_html(AR.encode(), "windows-1256")
    assert (decoded.text, decoded.encoding, decoded.source) == (AR, "utf-8", "utf-8")


def test_a_declaration_the_bytes_break_is_ignored() -> None:
    decoded = decode_text(AR.encode("cp1256"), "utf-8")
    assert decoded.text == AR
    assert decoded.source == "detected"


def test_bom_ascii_and_garbage() -> None:
    assert decode_text(b"\xef\xbb\xbfhi").text == "hi"
    assert decode_text("hi".encode("utf-16")).text == "hi"
    plain = decode_text(b"just ascii")
    assert (plain.encoding, plain.source) == ("utf-8", "utf-8")
    garbage = decode_text(bytes(range(128, 256)) * 4)
    assert too_broken(garbage)
    assert not too_broken(decode_text(AR.encode()[:-1]))  # one cut character is not garbage


def test_charset_param() -> None:
    assert charset_param('text/html; charset="Windows-1256"') == "Windows-1256"
    assert charset_param("text/html") is None
    assert charset_param(None) is None


@pytest.mark.parametrize(
    ("broken", "how"),
    [
        (AR.encode().decode("cp1252", errors="replace"), "ftfy"),
        (AR.encode().decode("cp1256"), "utf-8-as-cp1256"),
        (AR.encode("cp1256").decode("cp1252"), "cp1256-as-cp1252"),
    ],
)
def test_mojibake_repaired(broken: str, how: str) -> None:
    fixed, repaired = repair_mojibake(broken)
    assert repaired == how
    assert fixed == AR or (how == "ftfy" and AR[:20] in fixed)


@pytest.mark.parametrize(
    "clean", [AR, FR, "Ça a été très «bien» — déjà vu", "Grüße aus Köln", "東京"]
)
def test_clean_text_is_left_alone(clean: str) -> None:
    assert repair_mojibake(clean) == (clean, None)
