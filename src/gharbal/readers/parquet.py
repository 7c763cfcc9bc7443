"""Parquet files: one row is one page, read in batches (bounded memory) with pyarrow.

The columns are the recipe's ``read`` field names: ``text_field`` (plain page text) or ``html_field``
(raw HTML), optional ``id_field`` and ``url_field``; every other column is kept in ``metadata``
(values made JSON-safe: bytes as UTF-8 with replacement, dates as ISO strings, decimals as strings).
A text or HTML column may be a string or a binary column; binary values are decoded as in
`gharbal.readers.charset` (HTML by ``<meta charset>``, then detection).

Rows are located as ``FILE:row N`` (N counts from 0, as in pyarrow). What can go wrong:

- ``read.file.missing_column``: the file has neither the text nor the HTML column; one rejection for
  the whole file, whose detail lists the row count and the columns it has;
- ``read.file.bad_column_type``: the text or HTML column is neither string nor binary;
- ``read.file.unreadable``: not a Parquet file pyarrow can open (a bad or missing footer: a truncated
  file ends up here);
- ``read.parquet.bad_row_group``: a row group that fails to decode; its rows not yet read are rejected
  together and reading goes on with the next row group;
- per row, as for JSONL: ``read.no_content``, ``read.bad_field_type``, ``read.record_too_large``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

from gharbal.document import Document, content_id
from gharbal.readers.base import file_rejection
from gharbal.readers.charset import decode_html, decode_text
from gharbal.readers.compression import input_lost
from gharbal.readers.config import ReadConfig
from gharbal.readers.jsonl import record_to_document
from gharbal.readers.location import Location, open_location

_BATCH_ROWS = 256


def _lost(exc: BaseException) -> bool:
    """The file's read failed (`input_lost`; pyarrow passes on the error its Python file raised,
    errno and class kept), as opposed to pyarrow's own errors on bad data: a plain `OSError`
    without errno (``Couldn't deserialize thrift``; ``pa.ArrowIOError`` is `OSError`)."""
    if not input_lost(exc):
        return False
    assert isinstance(exc, OSError)
    return type(exc) is not OSError or exc.errno is not None


def _content_type_ok(t: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or getattr(pa.types, "is_string_view", lambda _: False)(t)
        or getattr(pa.types, "is_binary_view", lambda _: False)(t)
        or pa.types.is_null(t)
    )


def jsonable(value: Any) -> Any:
    """A value from a Parquet cell, made safe for JSON output."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # a Parquet map arrives as a list of (key, value) pairs
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


class ParquetReader:
    kind = "parquet"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        try:
            with open_location(path) as raw:
                yield from self._read(path, raw, cfg)
        except OSError as exc:
            if _lost(exc):
                raise  # vanished or no longer readable: the run's failure, not the file's
            yield file_rejection(path, "read.file.unreadable", f"{type(exc).__name__}: {exc}")

    def _read(self, path: Location, raw: Any, cfg: ReadConfig) -> Iterator[Document]:
        import pyarrow as pa  # imported here: a run without Parquet does not pay for it
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(raw)
            schema = pf.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as exc:
            if _lost(exc):
                raise
            yield file_rejection(
                path, "read.file.unreadable", f"not a readable Parquet file: {exc}"
            )
            return
        rows = pf.metadata.num_rows
        names = list(schema.names)
        content = [f for f in (cfg.text_field, cfg.html_field) if f in names]
        if not content:
            yield file_rejection(
                path,
                "read.file.missing_column",
                f"{rows} rows, none read: no column {cfg.text_field!r} (read.text_field) or "
                f"{cfg.html_field!r} (read.html_field); columns are {names}",
            )
            return
        for name in content:
            if not _content_type_ok(schema.field(name).type):
                yield file_rejection(
                    path,
                    "read.file.bad_column_type",
                    f"{rows} rows, none read: column {name!r} is {schema.field(name).type}, "
                    "not string or binary",
                )
                return
        if rows == 0:
            yield file_rejection(path, "read.file.empty", "no rows")
            return
        row = 0
        for group in range(pf.num_row_groups):
            group_rows = pf.metadata.row_group(group).num_rows
            end = row + group_rows
            try:
                for batch in pf.iter_batches(
                    batch_size=_BATCH_ROWS, row_groups=[group], use_threads=False
                ):
                    for record in batch.to_pylist():
                        yield self._row(record, f"{path}:row {row}", cfg)
                        row += 1
            except (pa.ArrowException, OSError, ValueError) as exc:
                if _lost(exc):
                    raise
                where = f"{path}:row {row}"
                doc = Document(id=content_id("rowgroup", str(path), str(group)), source=where)
                doc.reject(
                    "read.parquet.bad_row_group",
                    f"{where}: row group {group} (rows {row}-{end - 1}, {end - row} not read) "
                    f"does not decode: {type(exc).__name__}: {exc}",
                )
                yield doc
            row = end

    @staticmethod
    def _row(record: dict[str, Any], where: str, cfg: ReadConfig) -> Document:
        size = 0
        for name, decode in ((cfg.text_field, decode_text), (cfg.html_field, decode_html)):
            value = record.get(name)
            if isinstance(value, bytes | str):
                size += len(value)
            if isinstance(value, bytes):
                record[name] = decode(value).text
        if size > cfg.max_record_bytes:
            doc = Document(
                id=content_id("toolarge", where),
                source=where,
            )
            doc.reject(
                "read.record_too_large",
                f"{where}: {size} bytes of text/html exceed read.max_record_bytes "
                f"{cfg.max_record_bytes}",
            )
            return doc
        clean = {
            k: (v if k in (cfg.text_field, cfg.html_field) else jsonable(v))
            for k, v in record.items()
        }
        return record_to_document(clean, where, cfg)


__all__ = ["ParquetReader", "jsonable"]
