"""Data from the input printed on a terminal: control characters shown, never sent."""

from __future__ import annotations

import json

import pytest

from gharbal.terminal import json_printable, printable

HOSTILE = "a\x1b[2Jb\x1b]0;title\x07c\x9b31md\x7fe\x00f\tg\nh\rk\udcff"


def test_printable_shows_every_c0_c1_del_and_surrogate() -> None:
    shown = printable(HOSTILE)
    assert shown == ("a\\x1b[2Jb\\x1b]0;title\\x07c\\x9b31md\\x7fe\\x00f\\tg\\nh\\rk\\udcff")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    shown.encode("utf-8")  # no lone surrogate left: the terminal can encode it


@pytest.mark.parametrize("code", [*range(0x20), *range(0x7F, 0xA0)])
def test_printable_leaves_no_control(code: int) -> None:
    assert printable(f"x{chr(code)}y").isprintable()


def test_printable_keeps_text_and_bidi_marks() -> None:
    arabic = "\u200fمرحبا\u200e \u202bنص\u202c \u2067x\u2069 \u061c tab-free ✓ 中文"
    assert printable(arabic) == arabic
    assert printable("back\\slash") == "back\\slash"


def test_printable_may_keep_newlines() -> None:
    assert printable("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"
    assert printable("one\ntwo") == "one\\ntwo"


def test_json_printable_escapes_what_json_dumps_leaves_raw() -> None:
    data = {"id": HOSTILE, "url": "http://x/\u0085\u009f"}
    text = json_printable(json.dumps(data, ensure_ascii=False))
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "\\u009b" in text
    assert "\\u007f" in text
    assert json.loads(text) == data  # the same JSON value
