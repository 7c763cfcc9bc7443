from __future__ import annotations

import pytest

from gharbal import Document, Line
from gharbal.pii import PiiConfig, PiiRedact, find_pii, redact


def found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to john.doe+news@example.co.uk today", [("email", "john.doe+news@example.co.uk")]),
        ("call +966 50 123 4567.", [("phone", "+966 50 123 4567")]),
        ("call 00966501234567", [("phone", "00966501234567")]),
        ("call +1 (202) 555-0143 now", [("phone", "+1 (202) 555-0143")]),
        ("call (555) 123-4567", [("phone", "(555) 123-4567")]),
        ("call 050-123-4567", [("phone", "050-123-4567")]),
        ("اتصل على ٠٥٠١٢٣٤٥٦٧ الآن", [("phone", "٠٥٠١٢٣٤٥٦٧")]),
        ("تماس: ۰۹۱۲۳۴۵۶۷۸۹", [("phone", "۰۹۱۲۳۴۵۶۷۸۹")]),
        ("رقم +٩٦٦ ٥٠ ١٢٣ ٤٥٦٧", [("phone", "+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧")]),
        ("host 192.168.1.20 up", [("ip", "192.168.1.20")]),
        ("v6 2001:db8::ff00:42:8329 up", [("ip", "2001:db8::ff00:42:8329")]),
    ],
)
def test_finds_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In 2015 the price was 1,234,567 dollars.",
        "on 2015-01-20 or 20.01.2015 at 10:30",
        "version 1.2.3.4.5 and 999.1.1.1",
        "ISBN 978-3-16-148410-0, order 12345678",
        "see https://example.com/news/2015/01/20/1234567890.html",
        "عام ٢٠١٥ كان صعبا",
        "scores 12:30:45",
        "Печать 05.01.2012 10:02 Власти",
        "Zabrze 06.04.2013 18:00 Legia",
        "posted 2013-04-06 18:00",
        "συντάξεις από 01-01-2012 Έξι",
    ],
)
def test_leaves_numbers_that_are_not_personal_data(text: str) -> None:
    assert found(text) == []


def test_redaction_records_spans_and_uses_configured_tokens() -> None:
    cfg = PiiConfig(tokens={"email": "[EMAIL]", "phone": "[PHONE]", "ip": "[IP]"})
    text, spans = redact("mail a@b.org or call +44 20 7946 0958 from 10.0.0.1", cfg)
    assert text == "mail [EMAIL] or call [PHONE] from [IP]"
    assert [(s["kind"], text[int(s["start"]) : int(s["end"])]) for s in spans] == [
        ("email", "[EMAIL]"),
        ("phone", "[PHONE]"),
        ("ip", "[IP]"),
    ]
    assert redact("mail a@b.org", PiiConfig(emails=False))[0] == "mail a@b.org"


def test_step_redacts_text_and_ledger_lines_but_not_the_url() -> None:
    url = "https://example.com/u/a@b.org/+966501234567"
    doc = Document(
        id="x",
        url=url,
        text="contact: a@b.org",
        lines=[Line(1, "menu +966 50 123 4567"), Line(2, "contact: a@b.org")],
        metadata={"source_url": url},
    )
    doc.lines[0].remove("extract.lines.short")  # type: ignore[index]
    PiiRedact(PiiConfig()).process(doc)
    assert doc.text == "contact: <EMAIL>"
    assert doc.metadata["pii"] == [{"kind": "email", "start": 9, "end": 16}]
    assert [ln.text for ln in doc.lines or ()] == ["menu <PHONE>", "contact: <EMAIL>"]
    assert doc.url == url
    assert doc.metadata["source_url"] == url


def test_phone_like_digits_inside_urls_in_text_are_kept() -> None:
    text = "see www.example.com/a/00966501234567 and call 00966501234567"
    assert found(text) == [("phone", "00966501234567")]
    assert find_pii(text)[0].start == text.rindex("0096")
