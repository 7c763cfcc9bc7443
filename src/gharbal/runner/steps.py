"""What a recipe runs: its steps and aggregations, in pipeline order (the one place that
assembles the families' steps)."""

from __future__ import annotations

from collections.abc import Callable

from gharbal.dedup import dedup_steps
from gharbal.document import Document
from gharbal.extract import Extract, RenderHtml
from gharbal.extract.model import LineModel
from gharbal.extract.sitestats import SiteStats
from gharbal.identify.language import LanguageId
from gharbal.pii.redact import PiiRedact
from gharbal.quality.filters import QualityFilters
from gharbal.quality.signals import QualitySignals
from gharbal.recipe import Recipe
from gharbal.step import Aggregation, Step

BuildSteps = Callable[[Recipe], list[Step | Aggregation]]
"""What turns a recipe into steps: `build_steps` unless a caller passes its own (a picklable
module-level function, since every worker builds its steps from the recipe)."""


def build_steps(recipe: Recipe) -> list[Step | Aggregation]:
    """The steps and aggregations a recipe asks for, in pipeline order."""
    plan = extraction_steps(recipe)
    if recipe.lang.enabled:
        plan.append(LanguageId(recipe.lang))
    if recipe.quality.enabled:
        plan += [QualitySignals(recipe.quality), QualityFilters(recipe.quality)]
    if recipe.pii.enabled:
        plan.append(PiiRedact(recipe.pii))
    plan += dedup_steps(recipe.dedup)
    return plan


def extraction_steps(
    recipe: Recipe,
    *,
    site_stats: bool | None = None,
    reject_empty: bool = True,
    models: Callable[[Document], LineModel | None] | None = None,
) -> list[Step | Aggregation]:
    """Extraction's steps: HTML rendered to lines (the one place pages are rendered before the
    site statistics count their lines), the site statistics (``site_stats``: the recipe's
    ``extract.lines.site_stats`` unless given), and extraction itself (``gharbal extract``: with
    ``reject_empty=False``; ``models``: the line model of each page, for cross-validation)."""
    cfg = recipe.extract
    plan: list[Step | Aggregation] = []
    if cfg.html.extractor in ("lines", "dom"):
        plan.append(RenderHtml(cfg))  # HTML pages become line pages before site stats
    lines = cfg.lines
    wanted = lines.site_stats if site_stats is None else site_stats
    if lines.enabled and lines.method == "model" and wanted:
        plan.append(SiteStats(cfg.max_lines))  # line counts per site, read by Extract
    plan.append(Extract(cfg, reject_empty=reject_empty, models=models))
    return plan
