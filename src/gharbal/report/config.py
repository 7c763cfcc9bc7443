"""The recipe's ``report`` section."""

from __future__ import annotations

from pydantic import Field

from gharbal.config import ConfigModel


class ReportConfig(ConfigModel):
    """``OUT/report.html``, written at the end of a run (``gharbal report OUT`` rebuilds it)."""

    enabled: bool = True
    max_pages: int = Field(default=200, ge=0, description="kept pages in the report's page viewer")
