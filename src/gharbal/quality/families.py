"""The rule families in datatrove's chain order: Gopher repetition, Gopher quality, C4, FineWeb.

Measuring (`gharbal.quality.signals`) and deciding (`gharbal.quality.filters`) go through the
families in this order: C4's line verdicts reach FineWeb's measurement, and the first failing rule
rejects. Each family is one module (`gharbal.quality.gopher_repetition`, `gharbal.quality.gopher`,
`gharbal.quality.c4`, `gharbal.quality.fineweb`) holding its config, its measurement and its rules
(`gharbal.quality.rules.Family`).
"""

from __future__ import annotations

from typing import Any

from gharbal.quality import c4, fineweb, gopher, gopher_repetition
from gharbal.quality.rules import Family

FAMILIES: tuple[Family[Any], ...] = (
    gopher_repetition.FAMILY,
    gopher.FAMILY,
    c4.FAMILY,
    fineweb.FAMILY,
)

__all__ = ["FAMILIES"]
