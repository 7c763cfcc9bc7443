"""Quality signals (measure): every enabled family's scores, as versioned floats in ``doc.scores``.

The text is analysed once (`gharbal.quality.analysis.Analysis`: its lines, tokens and words) and
each enabled family measures from it, in datatrove's chain order (`gharbal.quality.families`):
``quality.gopher_repetition_v1.*``, ``quality.gopher_v1.*``, ``quality.c4_v1.*``,
``quality.fineweb_v1.*`` (FineWeb measures the lines C4's line rules keep). Each family's module
lists its scores.

Measuring depends on the document's language (stopwords, per-language parameters: see
`gharbal.quality.config`) and on C4's line parameters; thresholds are read only by the filters.

The names this module had before the families got modules of their own stay importable from it.
"""

from __future__ import annotations

from dataclasses import replace

from gharbal.document import Document
from gharbal.identify.language import base_lang
from gharbal.quality import fineweb as _fineweb
from gharbal.quality import gopher_repetition as _gopher_repetition
from gharbal.quality.analysis import Analysis, find_duplicates
from gharbal.quality.c4 import SCORES as C4
from gharbal.quality.c4 import C4Lines, c4_lines, c4_scores, policy_phrases
from gharbal.quality.config import GopherRepetitionConfig, QualityConfig
from gharbal.quality.families import FAMILIES
from gharbal.quality.fineweb import SCORES as FINEWEB
from gharbal.quality.gopher import SCORES as GOPHER
from gharbal.quality.gopher import measure as gopher_quality
from gharbal.quality.gopher import stopword_list
from gharbal.quality.gopher_repetition import SCORES as GOPHER_REP
from gharbal.step import DocumentStep


def measure(text: str, lang: str | None, cfg: QualityConfig) -> dict[str, float]:
    """Every enabled family's scores for ``text`` in ``lang`` (``cfg`` already per-language)."""
    a = Analysis.of(text)
    scores: dict[str, float] = {}
    for family in FAMILIES:
        section = family.section(cfg)
        if section.enabled:
            scores.update(family.measure(a, lang, section))
    return scores


def gopher_repetition(a: Analysis, cfg: GopherRepetitionConfig) -> dict[str, float]:
    """`gharbal.quality.gopher_repetition.measure` (it needs no language)."""
    return _gopher_repetition.measure(a, None, cfg)


def fineweb(a: Analysis, c4: C4Lines | None, cfg: _fineweb.FineWebConfig) -> dict[str, float]:
    """`gharbal.quality.fineweb.measure` on the lines ``c4`` keeps (None: every line)."""
    return _fineweb.measure(replace(a, line_reasons=None if c4 is None else c4.reasons), None, cfg)


class QualitySignals(DocumentStep):
    """Pipeline step: writes the quality scores of every document (rejects none)."""

    name = "quality.signals"

    def __init__(self, cfg: QualityConfig) -> None:
        self.cfg = cfg
        self._per_lang: dict[str | None, QualityConfig] = {}

    def process(self, doc: Document) -> Document:
        if doc.text.strip():
            lang = base_lang(doc.lang)
            cfg = self._per_lang.get(lang)
            if cfg is None:
                cfg = self._per_lang[lang] = self.cfg.for_language(lang)
            doc.scores.update(measure(doc.text, lang, cfg))
        return doc


__all__ = [
    "C4",
    "FINEWEB",
    "GOPHER",
    "GOPHER_REP",
    "Analysis",
    "C4Lines",
    "QualitySignals",
    "c4_lines",
    "c4_scores",
    "find_duplicates",
    "fineweb",
    "gopher_quality",
    "gopher_repetition",
    "measure",
    "policy_phrases",
    "stopword_list",
]
