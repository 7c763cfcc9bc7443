"""Quality filters (decide): thresholds from the recipe applied to the scores `QualitySignals` wrote.

Rules run in datatrove's chain order (Gopher repetition, Gopher quality, C4, FineWeb) and the first
one that fails rejects the document with its reason and the measured value against the threshold,
e.g. ``quality.gopher.stopwords`` / ``"1 distinct stopwords < 2 (en)"``. A rule whose threshold is
``null`` or whose score was not measured (family off, no stopword list for the language) is skipped,
so thresholds change without measuring again.

Reasons: ``quality.gopher_repetition.{dup_para_frac, dup_para_char_frac, dup_line_frac,
dup_line_char_frac, top_N_gram, dup_N_gram}``, ``quality.gopher.{short_doc, long_doc, short_words,
long_words, hashes, ellipsis, bullet_lines, ellipsis_lines, alpha_words, stopwords,
stopword_ratio}``, ``quality.c4.{lorem_ipsum, curly_bracket, few_sentences, empty}``,
``quality.fineweb.{empty, line_punct_ratio, short_line_ratio, char_dup_ratio, list_ratio}``.

A kept document then loses the lines C4's line rules flag: each becomes a removed line
(``removed_lines/``) with its reason, ``quality.c4.{long_word, no_terminal_punct, few_words,
javascript, policy}``, and ``doc.text`` is rebuilt from the kept lines.
"""

from __future__ import annotations

from collections.abc import Callable

from gharbal.document import Document
from gharbal.identify.language import base_lang
from gharbal.quality.config import QualityConfig
from gharbal.quality.signals import C4, FINEWEB, GOPHER, GOPHER_REP, Analysis, c4_lines
from gharbal.step import DocumentStep, rebuild, text_lines

Check = tuple[str, str, float | None, Callable[[float, float], bool], str]
_ABOVE: Callable[[float, float], bool] = lambda value, limit: value > limit  # noqa: E731
_BELOW: Callable[[float, float], bool] = lambda value, limit: value < limit  # noqa: E731


def _fmt(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.4f}".rstrip("0")


def checks(cfg: QualityConfig) -> list[Check]:
    """(reason, score, threshold, fails, what) in the order rules are applied."""
    out: list[Check] = []
    rep = cfg.gopher_repetition
    if rep.enabled:
        for key, limit in (
            ("dup_para_frac", rep.dup_para_frac),
            ("dup_para_char_frac", rep.dup_para_char_frac),
            ("dup_line_frac", rep.dup_line_frac),
            ("dup_line_char_frac", rep.dup_line_char_frac),
        ):
            out.append(
                (f"quality.gopher_repetition.{key}", f"{GOPHER_REP}.{key}", limit, _ABOVE, key)
            )
        for n, limit in sorted(rep.top_n_grams.items()):
            score = f"{GOPHER_REP}.top_{n}_gram_char_frac"
            what = f"top {n}-gram char fraction"
            out.append((f"quality.gopher_repetition.top_{n}_gram", score, limit, _ABOVE, what))
        for n, limit in sorted(rep.dup_n_grams.items()):
            score = f"{GOPHER_REP}.dup_{n}_gram_char_frac"
            what = f"repeated {n}-gram char fraction"
            out.append((f"quality.gopher_repetition.dup_{n}_gram", score, limit, _ABOVE, what))
    g = cfg.gopher
    if g.enabled:
        out += [
            ("quality.gopher.short_doc", f"{GOPHER}.words", g.min_doc_words, _BELOW, "words"),
            ("quality.gopher.long_doc", f"{GOPHER}.words", g.max_doc_words, _ABOVE, "words"),
            (
                "quality.gopher.short_words",
                f"{GOPHER}.mean_word_length",
                g.min_avg_word_length,
                _BELOW,
                "mean word length",
            ),
            (
                "quality.gopher.long_words",
                f"{GOPHER}.mean_word_length",
                g.max_avg_word_length,
                _ABOVE,
                "mean word length",
            ),
            (
                "quality.gopher.hashes",
                f"{GOPHER}.hash_ratio",
                g.max_symbol_word_ratio,
                _ABOVE,
                "'#' per word",
            ),
            (
                "quality.gopher.ellipsis",
                f"{GOPHER}.ellipsis_ratio",
                g.max_symbol_word_ratio,
                _ABOVE,
                "ellipses per word",
            ),
            (
                "quality.gopher.bullet_lines",
                f"{GOPHER}.bullet_lines_ratio",
                g.max_bullet_lines_ratio,
                _ABOVE,
                "bullet lines ratio",
            ),
            (
                "quality.gopher.ellipsis_lines",
                f"{GOPHER}.ellipsis_lines_ratio",
                g.max_ellipsis_lines_ratio,
                _ABOVE,
                "lines ending in an ellipsis ratio",
            ),
            (
                "quality.gopher.alpha_words",
                f"{GOPHER}.alpha_words_ratio",
                g.min_alpha_words_ratio,
                _BELOW,
                "words with a letter ratio",
            ),
            (
                "quality.gopher.stopwords",
                f"{GOPHER}.stopwords",
                g.min_stop_words,
                _BELOW,
                "distinct stopwords",
            ),
            (
                "quality.gopher.stopword_ratio",
                f"{GOPHER}.stopword_ratio",
                g.min_stopword_ratio,
                _BELOW,
                "stopword ratio",
            ),
        ]
    c4 = cfg.c4
    if c4.enabled:
        out += [
            ("quality.c4.lorem_ipsum", f"{C4}.lorem_ipsum", 0.0 if c4.lorem_ipsum else None, _ABOVE,
             "'lorem ipsum' on a kept line"),
            ("quality.c4.curly_bracket", f"{C4}.curly_bracket", 0.0 if c4.curly_bracket else None,
             _ABOVE, "'{' on a kept line"),
            ("quality.c4.few_sentences", f"{C4}.sentences", c4.min_sentences, _BELOW,
             "sentences on kept lines"),
        ]  # fmt: skip
    fw = cfg.fineweb
    if fw.enabled:
        out += [
            ("quality.fineweb.empty", f"{FINEWEB}.lines", 1, _BELOW, "lines"),
            ("quality.fineweb.line_punct_ratio", f"{FINEWEB}.line_punct_ratio",
             fw.min_line_punct_ratio, _BELOW, "lines ending in punctuation ratio"),
            ("quality.fineweb.short_line_ratio", f"{FINEWEB}.short_line_ratio",
             fw.max_short_line_ratio, _ABOVE, f"lines of <= {fw.short_line_chars} chars ratio"),
            ("quality.fineweb.char_dup_ratio", f"{FINEWEB}.char_dup_ratio",
             fw.max_char_dup_ratio, _ABOVE, "duplicated line chars ratio"),
            ("quality.fineweb.list_ratio", f"{FINEWEB}.newline_ratio", fw.max_newline_ratio,
             _ABOVE, "newlines per word"),
        ]  # fmt: skip
    return out


def decide(
    scores: dict[str, float],
    cfg: QualityConfig,
    lang: str | None,
    rules: list[Check] | None = None,
) -> tuple[str, str] | None:
    """(reason, detail) of the first failing rule, or None when the document passes; ``rules``
    are ``checks(cfg)`` when already at hand."""
    for reason, score, limit, fails, what in checks(cfg) if rules is None else rules:
        if limit is None or score not in scores:
            continue
        value = scores[score]
        if (
            reason == "quality.fineweb.line_punct_ratio"
            and value == 0
            and cfg.fineweb.line_punct_exclude_zero
        ):
            continue
        if fails(value, limit):
            op = ">" if fails is _ABOVE else "<"
            return reason, f"{what} {_fmt(value)} {op} {_fmt(limit)} ({lang or 'no language'})"
    return None


def _remove_c4_lines(doc: Document, cfg: QualityConfig, lang: str | None) -> None:
    lines = [s for s in (ln.strip() for ln in doc.text.splitlines()) if s]
    a = Analysis(doc.text, lines, [], [])  # the line rules need no tokens
    verdicts = c4_lines(a, lang, cfg.c4).reasons
    if all(v is None for v in verdicts):
        return
    kept = text_lines(doc)  # numbered in the original page
    for line, verdict in zip(kept, verdicts, strict=True):
        if verdict is not None:
            line.remove(*verdict)
    rebuild(doc, kept)


class QualityFilters(DocumentStep):
    """Pipeline step: rejects documents by the quality thresholds; removes C4's lines from the rest."""

    name = "quality.filters"

    def __init__(self, cfg: QualityConfig) -> None:
        self.cfg = cfg
        self._per_lang: dict[str | None, tuple[QualityConfig, list[Check]]] = {}

    def process(self, doc: Document) -> Document:
        lang = base_lang(doc.lang)
        if lang not in self._per_lang:
            cfg = self.cfg.for_language(lang)
            self._per_lang[lang] = (cfg, checks(cfg))
        cfg, rules = self._per_lang[lang]
        verdict = decide(doc.scores, cfg, lang, rules)
        if verdict is not None:
            doc.reject(*verdict)
            return doc
        if cfg.c4.enabled and cfg.c4.lines.enabled and doc.scores.get(f"{C4}.removed_lines"):
            _remove_c4_lines(doc, cfg, lang)
            if not doc.text.strip():
                doc.reject("quality.c4.empty", "every line removed by C4's line rules")
        return doc


__all__ = ["QualityFilters", "checks", "decide"]
