"""The one base of every recipe section (each family's ``config.py`` builds on it; `gharbal.recipe`
only assembles them).

Sections are strict (pydantic strict mode): a recipe's types are taken as written, so
``workers: true``, ``enabled: "yes"`` or ``min_words: 2.5`` are refused rather than coerced (an integer
is still a valid float); unknown keys are refused; a validated section is frozen.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    """A recipe section: strict types, no unknown keys, frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
