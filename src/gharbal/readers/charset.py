"""Bytes to text: declared charset, then detection; and mojibake repair where a cheap test asks for it.

The decoding cascade for a page that arrives as bytes (an HTML file, a WARC response, a text page):

1. a byte-order mark (UTF-8, UTF-16) wins, as in browsers;
2. bytes that are valid UTF-8 and contain non-ASCII are UTF-8, whatever the page declares: legacy
   encodings practically never form valid UTF-8, while servers often declare the wrong legacy charset
   for a UTF-8 page;
3. the declared charset: the HTTP ``Content-Type`` (or WARC ``Content-Type``) ``charset=``, then for
   HTML a ``<meta charset>`` / ``http-equiv`` in the first 4 KiB; labels are mapped as browsers map
   them (``latin1`` -> cp1252, ``arabic`` / ``asmo-708`` -> ISO-8859-6); a declaration the bytes do
   not decode under is ignored;
4. detection (resiliparse's uchardet-based ``detect_encoding``: on Arabic it tells windows-1256 from
   ISO-8859-6 even on a 16-character string, where charset-normalizer guessed cp932);
5. what is left undecodable is replaced with U+FFFD and counted (`Decoded.errors`).

The codec used is recorded in ``metadata["encoding"]`` (Python codec name: ``utf-8``, ``cp1256``,
``iso8859-6``, ...) and how it was chosen in ``metadata["encoding_source"]`` (``bom``, ``utf-8``,
``http``, ``meta``, ``detected``).

`repair_mojibake` fixes text that was decoded with the wrong codec before it reached gharbal (a JSONL
or Parquet field, a page that was double-encoded at the source). It runs only where a regular
expression finds the fingerprints of mojibake (ftfy's own test costs ~75 ms on a 100 KB page):
UTF-8 read as cp1252/latin-1 (``Ø§Ù„``) is repaired by ftfy; UTF-8 read as cp1256 (``ط§ظ„``) and
windows-1256 read as cp1252 (``ÇáÚÑÈíÉ``), which ftfy does not handle, by re-decoding when the result
is Arabic.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_META_WINDOW = 4096
_DETECT_WINDOW = 1 << 17


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    source: str  # bom | utf-8 | http | meta | detected
    errors: int = 0  # byte sequences replaced with U+FFFD

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {"encoding": self.encoding, "encoding_source": self.source}
        if self.errors:
            meta["encoding_errors"] = self.errors
        return meta


def charset_param(content_type: str | None) -> str | None:
    """The ``charset=`` of a Content-Type header value, if any."""
    if not content_type:
        return None
    m = _CHARSET.search(content_type)
    return m.group(1) if m else None


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, mapped the way browsers map it (None if unknown)."""
    if not label:
        return None
    # resiliparse is imported on the first charset label, not with gharbal (JSONL runs never need it)
    from resiliparse.parse.encoding import map_encoding_to_html5

    name = map_encoding_to_html5(label.strip().strip("\"'"), fallback_utf8=False)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode(data: bytes, declared: str | None, html: bool) -> Decoded:
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(bom_codec, errors="replace")
            return Decoded(text, codecs.lookup(bom_codec).name, "bom", text.count("\ufffd"))
    utf8 = _strict(data, "utf-8")
    if utf8 is not None and not data.isascii():
        return Decoded(utf8, "utf-8", "utf-8")
    candidates: list[tuple[str | None, str]] = [(_codec(declared), "http")]
    if html:
        m = _META.search(data, 0, _META_WINDOW)
        meta = _codec(m.group(1).decode("ascii")) if m else None
        if meta is not None and meta.startswith("utf-16"):
            meta = "utf-8"  # as browsers do: a page that could say so in ASCII is not UTF-16
        candidates.append((meta, "meta"))
    for label, source in candidates:
        if label is not None:
            strict = _strict(data, label)
            if strict is not None:
                return Decoded(strict, label, source)
    if utf8 is not None:  # ASCII, nothing declared
        return Decoded(utf8, "utf-8", "utf-8")
    from resiliparse.parse.encoding import detect_encoding

    detected = _codec(detect_encoding(data[:_DETECT_WINDOW])) or "utf-8"
    text = data.decode(detected, errors="replace")
    return Decoded(text, detected, "detected", text.count("\ufffd"))


def decode_html(data: bytes, declared: str | None = None) -> Decoded:
    """Decode an HTML page (``declared``: the charset from the HTTP or WARC header, if any)."""
    return _decode(data, declared, html=True)


def decode_text(data: bytes, declared: str | None = None) -> Decoded:
    """Decode a plain-text page (no ``<meta>`` look-up)."""
    return _decode(data, declared, html=False)


def too_broken(decoded: Decoded) -> bool:
    """More than 2 % of the characters (and at least 8) could not be decoded: not text."""
    return decoded.errors >= 8 and decoded.errors * 50 > len(decoded.text)


# --- mojibake --------------------------------------------------------------------------------------

# A UTF-8 lead byte read as cp1252/latin-1 (Â-ô) followed by a continuation byte (0x80-0xBF) read the
# same way: the fingerprint of UTF-8 decoded as a Western codepage.
_UTF8_AS_LATIN = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
_LATIN_HIGH = re.compile("[\u00c0-\u00ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u00ff]")
_MIN_HITS = 8
_SAMPLE = 1 << 13


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def _arabic_share(text: str) -> float:
    arabic = _count(_ARABIC_LETTER, text)
    letters = arabic + _count(_LATIN_LETTER, text)
    return arabic / letters if letters else 0.0


def repair_mojibake(text: str) -> tuple[str, str | None]:
    """(text, how) where ``how`` names the repair made, or None if the text looked fine.

    Each test starts with a scan that costs microseconds (a regular-expression search, a
    ``str.count``); letters are counted only when that scan finds something.
    """
    middle = len(text) // 2
    # the start and the middle: an HTML page may spend its first kilobytes on scripts and styles
    sample = text[:_SAMPLE] + "\n" + text[max(middle, _SAMPLE) : max(middle, _SAMPLE) + _SAMPLE]
    hit = _UTF8_AS_LATIN.search(sample)
    if hit is not None and _UTF8_AS_LATIN.search(sample, hit.end()) is not None:
        import ftfy

        fixed = ftfy.fix_encoding(text)
        if fixed != text:
            return fixed, "ftfy"
    # ط and ظ are cp1256 for the UTF-8 lead bytes D8 and D9: in UTF-8 Arabic read as cp1256 they
    # are every other letter, in real Arabic about 1 %.
    lead = sample.count("\u0637") + sample.count("\u0638")
    if lead >= _MIN_HITS and lead * 30 > len(sample) and lead * 3 > _count(_ARABIC_LETTER, sample):
        with contextlib.suppress(UnicodeError):  # not that after all
            return text.encode("cp1256").decode("utf-8"), "utf-8-as-cp1256"
    if _LATIN_HIGH.search(sample) is not None and _ARABIC_LETTER.search(sample) is None:
        high = _count(_LATIN_HIGH, sample)
        if high >= _MIN_HITS and high * 2 > _count(_LATIN_LETTER, sample):
            # Mostly Latin-1 letters: windows-1256 bytes read as a Western codepage.
            for codec in ("cp1252", "latin-1"):
                try:
                    fixed = text.encode(codec).decode("cp1256")
                except UnicodeError:
                    continue
                if _arabic_share(fixed[: 2 * _SAMPLE]) > 0.5:
                    return fixed, f"cp1256-as-{codec}"
    return text, None


__all__ = [
    "Decoded",
    "charset_param",
    "decode_html",
    "decode_text",
    "repair_mojibake",
    "too_broken",
]
