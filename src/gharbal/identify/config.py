"""The recipe's ``lang`` section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gharbal.config import ConfigModel


class LanguageIdConfig(ConfigModel):
    """The ``lang`` recipe section: document and line language identification."""

    enabled: bool = True
    model: Literal["cld2"] = Field(default="cld2", description="the language ID model")
    min_letters: int = Field(
        default=12, ge=1, description="fewer letters than this: no guess (doc.lang stays empty)"
    )
    lines: bool = Field(default=True, description="also identify each line (other_lines_ratio)")
    line_min_letters: int = Field(default=20, ge=1, description="shorter lines get no guess")
    line_min_confidence: float = Field(default=0.9, ge=0, le=1)
