"""Writers: kept documents, the rejected ledger, removed lines and stats."""

from gharbal.writers.jsonl import JsonlPartWriter
from gharbal.writers.ledger import ShardWriter, prepare_output, write_json_atomic
from gharbal.writers.parquet import ParquetPartWriter

__all__ = [
    "JsonlPartWriter",
    "ParquetPartWriter",
    "ShardWriter",
    "prepare_output",
    "write_json_atomic",
]
