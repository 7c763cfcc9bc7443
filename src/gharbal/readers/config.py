"""The recipe's ``read`` section: how inputs are read."""

from __future__ import annotations

from pydantic import Field

from gharbal.config import ConfigModel


class ReadConfig(ConfigModel):
    """How inputs are read."""

    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    max_record_bytes: int = Field(
        default=32 * 1024 * 1024,
        gt=0,
        description="a JSONL line or text page larger than this is rejected, never loaded whole",
    )
    text_files_per_shard: int = Field(default=1000, gt=0)
    shard_bytes: int = Field(
        default=128 * 1024 * 1024,
        ge=0,
        description="an uncompressed local JSONL file larger than this is split into shards of "
        "about this size at line boundaries (0: never split)",
    )
