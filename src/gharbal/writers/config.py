"""The recipe's ``output`` section: the format of kept documents and of the ledger."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gharbal.config import ConfigModel


class OutputConfig(ConfigModel):
    format: Literal["jsonl", "parquet"] = Field(
        default="jsonl",
        description="kept documents as JSON Lines or Parquet; the ledger is JSON Lines either way",
    )
    compression: Literal["gzip", "none"] = Field(
        default="gzip", description="of the JSON Lines parts (documents, rejected, removed lines)"
    )
    parquet_compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    rejected_text: bool = Field(
        default=False,
        description="keep the text and title of rejected documents in their rejected/ records (as "
        "the step that rejected them left it, personal data redacted when pii is enabled); "
        "documents rejected while reading have no text to keep",
    )
