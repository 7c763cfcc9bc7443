"""Quality filters (decide): thresholds from the recipe applied to the scores `QualitySignals` wrote.

Each enabled family's rules (`gharbal.quality.rules.Rule`, listed in the family's module) run in
datatrove's chain order (`gharbal.quality.families`: Gopher repetition, Gopher quality, C4,
FineWeb), each family's in the order it lists them, and the first one that fails rejects the
document with its reason and the measured value against the threshold, e.g.
``quality.gopher.stopwords`` / ``"1 distinct stopwords < 2 (en)"``. A rule whose threshold is
``null`` or whose score was not measured (family off, no stopword list for the language) is skipped,
so thresholds change without measuring again.

Reasons: ``quality.gopher_repetition.{dup_para_frac, dup_para_char_frac, dup_line_frac,
dup_line_char_frac, top_N_gram, dup_N_gram}``, ``quality.gopher.{short_doc, long_doc, short_words,
long_words, hashes, ellipsis, bullet_lines, ellipsis_lines, alpha_words, stopwords,
stopword_ratio}``, ``quality.c4.{lorem_ipsum, curly_bracket, few_sentences, empty}``,
``quality.fineweb.{empty, line_punct_ratio, short_line_ratio, char_dup_ratio, list_ratio}``.

A kept document then goes through the families' edits: it loses the lines C4's line rules flag
(`gharbal.quality.c4.remove_lines`): each becomes a removed line (``removed_lines/``) with its
reason, ``quality.c4.{long_word, no_terminal_punct, few_words, javascript, policy}``, and
``doc.text`` is rebuilt from the kept lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gharbal.document import Document
from gharbal.identify.language import base_lang
from gharbal.quality.config import QualityConfig
from gharbal.quality.families import FAMILIES
from gharbal.quality.rules import Check
from gharbal.step import DocumentStep

Edit = Callable[[Document, str | None, Any], None]


def _fmt(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.4f}".rstrip("0")


def checks(cfg: QualityConfig) -> list[Check]:
    """Every enabled family's rules resolved against ``cfg``, in the order they apply."""
    out: list[Check] = []
    for family in FAMILIES:
        section = family.section(cfg)
        if section.enabled:
            out += family.checks(section)
    return out


def decide(
    scores: dict[str, float],
    cfg: QualityConfig,
    lang: str | None,
    rules: list[Check] | None = None,
) -> tuple[str, str] | None:
    """(reason, detail) of the first failing rule, or None when the document passes; ``rules``
    are ``checks(cfg)`` when already at hand."""
    for reason, score, limit, direction, what, skip_zero in checks(cfg) if rules is None else rules:
        if limit is None or score not in scores:
            continue
        value = scores[score]
        if skip_zero and value == 0:
            continue
        if direction.fails(value, limit):
            op = direction.value
            return reason, f"{what} {_fmt(value)} {op} {_fmt(limit)} ({lang or 'no language'})"
    return None


def _edits(cfg: QualityConfig) -> list[tuple[Edit, Any]]:
    """The enabled families' edits of a kept document, with their sections, in chain order."""
    out: list[tuple[Edit, Any]] = []
    for family in FAMILIES:
        section = family.section(cfg)
        if family.edit is not None and section.enabled:
            out.append((family.edit, section))
    return out


class QualityFilters(DocumentStep):
    """Pipeline step: rejects documents by the quality thresholds; removes C4's lines from the rest."""

    name = "quality.filters"

    def __init__(self, cfg: QualityConfig) -> None:
        self.cfg = cfg
        self._per_lang: dict[
            str | None, tuple[QualityConfig, list[Check], list[tuple[Edit, Any]]]
        ] = {}

    def process(self, doc: Document) -> Document:
        lang = base_lang(doc.lang)
        if lang not in self._per_lang:
            cfg = self.cfg.for_language(lang)
            self._per_lang[lang] = (cfg, checks(cfg), _edits(cfg))
        cfg, rules, edits = self._per_lang[lang]
        verdict = decide(doc.scores, cfg, lang, rules)
        if verdict is not None:
            doc.reject(*verdict)
            return doc
        for edit, section in edits:
            edit(doc, lang, section)
            if doc.rejected:
                break
        return doc


__all__ = ["Check", "QualityFilters", "checks", "decide"]
