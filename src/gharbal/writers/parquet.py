"""Deterministic, atomic Parquet part files for kept documents (``--format parquet``).

The schema is fixed, whatever the documents hold::

    id string, url string, title string, text string, lang string,
    scores map<string, double>, metadata string (the metadata object as JSON)

``metadata`` is JSON text because its keys differ from source to source (a WARC record, a JSONL
field, a Parquet column) and a fixed schema cannot follow them. Rows are written in the order they
arrive, in row groups of at most ``rows_per_group`` rows or ``bytes_per_group`` bytes of text, so the
same documents always give the same file: pyarrow writes no timestamp, and its ``created_by`` string
only changes with the pyarrow version. Like `JsonlPartWriter`, a part is written under a temporary
name and renamed into place when closed.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any

import orjson

from gharbal.writers.atomic import AtomicOutput, temporary_name

COLUMNS = ("id", "url", "title", "text", "lang", "scores", "metadata")


@functools.cache
def schema() -> Any:
    """The fixed ``pyarrow.Schema`` of document parts (pyarrow is imported on first use)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("url", pa.string()),
            pa.field("title", pa.string()),
            pa.field("text", pa.string(), nullable=False),
            pa.field("lang", pa.string()),
            pa.field("scores", pa.map_(pa.string(), pa.float64()), nullable=False),
            pa.field("metadata", pa.string(), nullable=False),
        ]
    )


class ParquetPartWriter(AtomicOutput):
    """Writes document records (``id, url, title, text, lang, scores, metadata``) to ``path``."""

    def __init__(
        self,
        path: Path,
        compression: str = "zstd",
        rows_per_group: int = 1000,
        bytes_per_group: int = 64 << 20,
    ) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.tmp = temporary_name(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            self.tmp,
            schema(),
            compression=compression,
            use_dictionary=["lang"],
            write_statistics=True,
        )
        self._rows: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        self._bytes = 0
        self._limits = (rows_per_group, bytes_per_group)
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        rows = self._rows
        for name in ("id", "url", "title", "text", "lang"):
            rows[name].append(record.get(name))
        rows["scores"].append(list((record.get("scores") or {}).items()))
        rows["metadata"].append(orjson.dumps(record.get("metadata") or {}).decode("utf-8"))
        self._bytes += len(record.get("text") or "") + len(rows["metadata"][-1])
        self.count += 1
        if len(rows["id"]) >= self._limits[0] or self._bytes >= self._limits[1]:
            self._flush()

    def _flush(self) -> None:
        if not self._rows["id"]:
            return
        import pyarrow as pa

        table = pa.Table.from_pydict(self._rows, schema=schema())
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._rows = {name: [] for name in COLUMNS}
        self._bytes = 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
        with self.tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # may fail again after a failed write
            self._writer.close()
        self.tmp.unlink(missing_ok=True)


__all__ = ["COLUMNS", "ParquetPartWriter", "schema"]
