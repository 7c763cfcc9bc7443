"""Writers: kept documents, the rejected ledger, removed lines and stats."""

from gharbal.writers.jsonl import JsonlPartWriter
from gharbal.writers.ledger import (
    PART_DIRS,
    ShardWriter,
    prepare_output,
    write_json_atomic,
    write_text_atomic,
)
from gharbal.writers.parquet import ParquetPartWriter

__all__ = [
    "PART_DIRS",
    "JsonlPartWriter",
    "ParquetPartWriter",
    "ShardWriter",
    "prepare_output",
    "write_json_atomic",
    "write_text_atomic",
]
