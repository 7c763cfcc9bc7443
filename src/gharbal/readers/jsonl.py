"""JSON Lines pages (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``; compression found by magic bytes).

A record holds ``text`` (plain page text) or ``html`` (raw HTML), optional ``id`` and ``url``; every
other field is kept in ``metadata``. Field names come from the recipe's ``read`` section. Text that
shows the fingerprints of mojibake is repaired (`gharbal.readers.charset.repair_mojibake`) and the
repair named in ``metadata["mojibake_repaired"]``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import zstandard

from gharbal.document import Document, content_id
from gharbal.readers.base import file_rejection
from gharbal.readers.charset import repair_mojibake
from gharbal.readers.compression import (
    CorruptStreamError,
    input_lost,
    iter_lines,
    open_binary,
)
from gharbal.readers.config import ReadConfig
from gharbal.readers.location import Location

_BOM = b"\xef\xbb\xbf"


class JsonlReader:
    kind = "jsonl"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        records = 0
        last_offset = 0
        try:
            with open_binary(path) as stream:
                for raw in iter_lines(stream, cfg.max_record_bytes):
                    last_offset = raw.offset + raw.length
                    where = f"{path}:{raw.number}"
                    if raw.data is not None and not raw.data.strip():
                        continue  # a blank line is a separator, not a record
                    records += 1
                    data = raw.data
                    if raw.number == 1 and data is not None and data.startswith(_BOM):
                        data = data[len(_BOM) :]
                    yield self._record(data, raw.length, where, cfg)
        except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
            if input_lost(exc):
                raise  # vanished or no longer readable: the run's failure, not the file's
            if isinstance(exc, PermissionError):
                yield file_rejection(
                    path,
                    "read.file.unreadable",
                    f"{type(exc).__name__}: {exc} ({records} records read before)",
                )
                return
            corrupt = isinstance(exc, CorruptStreamError)  # bad data, not a cut file
            yield file_rejection(
                path,
                "read.file.corrupt" if corrupt else "read.file.truncated",
                f"stream {'is corrupt' if corrupt else 'breaks off'} after byte {last_offset} "
                "of decompressed data "
                f"({records} records read before): {type(exc).__name__}: {exc}",
            )
            return
        if records == 0:
            yield file_rejection(path, "read.file.empty", "no records")

    @staticmethod
    def _record(data: bytes | None, length: int, where: str, cfg: ReadConfig) -> Document:
        if data is None:
            doc = Document(id=content_id("toolong", where), source=where)
            doc.reject(
                "read.record_too_large",
                f"{where}: line of {length} bytes exceeds read.max_record_bytes "
                f"{cfg.max_record_bytes}",
            )
            return doc
        try:
            obj: Any = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            doc = Document(id=content_id("badjson", where, data[:4096]), source=where)
            reason = "read.invalid_utf8" if "utf-8" in str(exc).lower() else "read.invalid_json"
            doc.reject(reason, f"{where}: {exc}")
            return doc
        if not isinstance(obj, dict):
            doc = Document(id=content_id("notobj", where, data[:4096]), source=where)
            doc.reject("read.not_an_object", f"{where}: JSON {type(obj).__name__}, not an object")
            return doc
        return record_to_document(obj, where, cfg)


def record_to_document(obj: dict[str, Any], where: str, cfg: ReadConfig) -> Document:
    """Map one parsed record onto a `Document`, rejecting it if its fields are unusable."""
    fields = dict(obj)
    text = fields.pop(cfg.text_field, None)
    html = fields.pop(cfg.html_field, None)
    raw_id = fields.pop(cfg.id_field, None)
    url = fields.pop(cfg.url_field, None)
    doc = Document(
        id=str(raw_id) if isinstance(raw_id, str | int) and str(raw_id) else "",
        url=url if isinstance(url, str) and url else None,
        metadata=fields,
        source=where,
    )
    if not doc.id:
        doc.id = content_id(str(text), str(html), where if text is None and html is None else "")
    for name, value in ((cfg.text_field, text), (cfg.html_field, html)):
        if value is not None and not isinstance(value, str):
            doc.reject(
                "read.bad_field_type", f"{where}: field {name!r} is {type(value).__name__}, not str"
            )
            return doc
    if text is None and html is None:
        doc.reject(
            "read.no_content",
            f"{where}: record has neither {cfg.text_field!r} nor {cfg.html_field!r}",
        )
        return doc
    content, repaired = repair_mojibake(html if html is not None else text or "")
    if repaired:
        doc.metadata["mojibake_repaired"] = repaired
    if html is not None:
        doc.html = content
    else:
        doc.text = content
    return doc
