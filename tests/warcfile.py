"""Write WARC records for tests with fastwarc (one gzip member per record when compressed)."""

from __future__ import annotations

import gzip
import hashlib
import io
import uuid

from fastwarc import WarcRecord, WarcRecordType

TYPES = {
    "response": WarcRecordType.response,
    "resource": WarcRecordType.resource,
    "request": WarcRecordType.request,
    "metadata": WarcRecordType.metadata,
    "warcinfo": WarcRecordType.warcinfo,
    "conversion": WarcRecordType.conversion,
}


def record(
    url: str,
    payload: bytes,
    content_type: str = "text/html; charset=utf-8",
    *,
    kind: str = "response",
    status: str = "200 OK",
    http_headers: dict[str, str] | None = None,
    warc_headers: dict[str, str] | None = None,
    date: str = "2024-01-02T03:04:05Z",
) -> bytes:
    """One serialised WARC record. A ``response`` wraps ``payload`` in an HTTP message; other
    kinds carry it as the block, with ``content_type`` as the WARC Content-Type."""
    rec = WarcRecord()
    rec.init_headers(TYPES[kind])
    rec.headers["WARC-Date"] = date
    digest = hashlib.blake2b(f"{kind} {url}".encode() + payload, digest_size=16).digest()
    rec.headers["WARC-Record-ID"] = f"<urn:uuid:{uuid.UUID(bytes=digest)}>"  # deterministic
    if kind != "warcinfo":
        rec.headers["WARC-Target-URI"] = url
    if kind == "response":
        head = f"HTTP/1.1 {status}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        for name, value in (http_headers or {}).items():
            head += f"{name}: {value}\r\n"
        rec.set_bytes_content(head.encode("latin-1") + b"\r\n" + payload)
        rec.headers["Content-Type"] = "application/http; msgtype=response"
    else:
        rec.set_bytes_content(payload)
        rec.headers["Content-Type"] = content_type
    for name, value in (warc_headers or {}).items():
        rec.headers[name] = value
    buf = io.BytesIO()
    rec.write(buf)
    return buf.getvalue()


def gzip_members(records: list[bytes]) -> bytes:
    """A ``.warc.gz``: each record its own gzip member, as Common Crawl writes them."""
    return b"".join(gzip.compress(r, mtime=0) for r in records)


def html_page(body: str, charset_meta: str | None = None) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>عنوان الصفحة</title></head>"
        f"<body><nav>الرئيسية | اتصل بنا</nav><article><p>{body}</p></article></body></html>"
    )


def record_id(rec: bytes) -> str:
    """The WARC-Record-ID of a serialised record, without angle brackets."""
    for line in rec.split(b"\r\n"):
        if line.lower().startswith(b"warc-record-id:"):
            return line.split(b":", 1)[1].strip().decode().strip("<>")
    raise ValueError("no WARC-Record-ID")
