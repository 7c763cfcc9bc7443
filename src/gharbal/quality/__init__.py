"""Quality: signals (measure, `QualitySignals`) and filters (decide, `QualityFilters`) of the
Gopher repetition, Gopher quality, C4 and FineWeb rules, with per-language parameters."""

from gharbal.quality.config import QualityConfig
from gharbal.quality.filters import QualityFilters, decide
from gharbal.quality.signals import QualitySignals, measure

__all__ = ["QualityConfig", "QualityFilters", "QualitySignals", "decide", "measure"]
