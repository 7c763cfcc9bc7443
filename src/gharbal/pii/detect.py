"""Finding personal data in text: e-mail addresses, phone numbers and IP addresses.

* **E-mail**: ``local@domain.tld`` (ASCII local part, a dotted domain with a letter-only TLD).
* **Phone**: international (``+966 50 123 4567``, ``00966501234567``, ``+1 (555) 123-4567``) and
  national forms with separators (``050-123-4567``, ``(555) 123-4567``, ``0501234567``), in ASCII,
  Arabic-Indic (``٠٥٠١٢٣٤٥٦٧``) or Persian (``۰۹۱۲...``) digits; 8 to 15 digits (E.164 allows 15).
  To stay clear of dates, times, prices, years and ids, a national number needs a leading ``0``
  or brackets or separators between groups, a match holding a date is dropped, and runs of digits
  inside a longer number or a word do not match.
* **IP**: IPv4 with every octet <= 255, and IPv6 (validated with `ipaddress`).

Matches inside a URL in the text (``https://…``, ``www.…``) are not phone numbers (article ids,
dates in paths); e-mails and IPs inside URLs are still found. `find_pii` returns non-overlapping
spans, sorted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import regex

_D = r"[0-9\u0660-\u0669\u06f0-\u06f9]"  # ASCII, Arabic-Indic, Extended (Persian) digits
_SEP = r"[ \u00a0.\-‐‑–]"

EMAIL = regex.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9])?@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
PHONE = regex.compile(
    rf"""(?<![\w+/=\-.]|{_D}{_SEP})
    (?:
        (?:\+|00){_D}{{1,3}}{_SEP}?(?:\({_D}{{1,4}}\){_SEP}?)?{_D}{{1,4}}(?:{_SEP}?{_D}{{2,4}}){{1,4}}
      | \({_D}{{2,5}}\){_SEP}?{_D}{{2,4}}(?:{_SEP}?{_D}{{2,4}}){{1,3}}
      | 0{_D}{{1,4}}(?:{_SEP}?{_D}{{2,4}}){{1,4}}
      | [\u0660\u06f0]{_D}{{1,4}}(?:{_SEP}?{_D}{{2,4}}){{1,4}}
      | {_D}{{2,4}}{_SEP}{_D}{{3,4}}{_SEP}{_D}{{3,4}}
    )
    (?!{_D}|[\w/]|{_SEP}{_D}|\.\w|:{_D})""",
    regex.VERBOSE,
)
IPV4 = regex.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
IPV6 = regex.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
URL = regex.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'«»]+", regex.IGNORECASE)
_DIGITS = regex.compile(_D)
# A date inside a match (05.01.2012, 2012-01-05) means it is a date and a time, not a number.
_DATE_LIKE = regex.compile(
    rf"(?<!{_D})(?:{_D}{{1,2}}[./-]{_D}{{1,2}}[./-]{_D}{{4}}|{_D}{{4}}[./-]{_D}{{1,2}}[./-]{_D}{{1,2}})"
    rf"(?!{_D})"
)


@dataclass(frozen=True, slots=True)
class Span:
    """One piece of personal data: ``kind`` in ``email``, ``phone``, ``ip``; offsets in the text."""

    kind: str
    start: int
    end: int


def _phone_ok(match: str) -> bool:
    n = len(_DIGITS.findall(match))
    return 8 <= n <= 15 and not _DATE_LIKE.search(match)


def _ipv6_ok(match: str) -> bool:
    if match.count(":") < 2 or not any(c.isdigit() or c.isalpha() for c in match):
        return False
    try:
        ipaddress.IPv6Address(match)
    except ValueError:
        return False
    return True


def find_pii(text: str, kinds: tuple[str, ...] = ("email", "phone", "ip")) -> list[Span]:
    """Spans of personal data in ``text``, sorted and non-overlapping (the earlier, then longer,
    match wins)."""
    found: list[Span] = []
    if "email" in kinds and "@" in text:
        found += [Span("email", m.start(), m.end()) for m in EMAIL.finditer(text)]
    if "ip" in kinds:
        if "." in text:
            found += [Span("ip", m.start(), m.end()) for m in IPV4.finditer(text)]
        if "::" in text or text.count(":") >= 7:
            found += [
                Span("ip", m.start(), m.end()) for m in IPV6.finditer(text) if _ipv6_ok(m.group())
            ]
    if "phone" in kinds:
        urls = (
            [(m.start(), m.end()) for m in URL.finditer(text)]
            if "/" in text or "www." in text
            else []
        )
        for m in PHONE.finditer(text):
            if not _phone_ok(m.group()):
                continue
            if any(s <= m.start() < e for s, e in urls):
                continue
            found.append(Span("phone", m.start(), m.end()))
    found.sort(key=lambda s: (s.start, -s.end))
    out: list[Span] = []
    for span in found:
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


__all__ = ["Span", "find_pii"]
