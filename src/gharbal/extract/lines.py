"""Line-level boilerplate removal for plain page text (WET-like: one block per line).

The cascade, for one page:

1. **Split** the text into its non-blank lines (physical line numbers kept).
2. **Measure** every line (`gharbal.extract.features`): length, words, punctuation in any script,
   stopword density for the page's language, digit/symbol/uppercase ratios, script and language of
   the line versus the page, position, repeats in the page, a learned chrome lexicon, how many pages
   of the same site contain the line (when site statistics are given), and the same for its
   neighbours.
3. **Classify** with the trained two-stage tree model (`gharbal.extract.model`): stage 1 per line,
   stage 2 with stage 1's view of the surrounding lines. A line whose probability of being main
   content is below the model's threshold is removed.
4. **Explain**: each removed line gets the reason of the feature group that pushed it most towards
   boilerplate (per-feature contributions along the trees' paths), with a detail a person can check:
   ``extract.chrome.site_repeated`` (``x37``: on 37 other pages of the site),
   ``extract.chrome.page_repeated``, ``extract.chrome.vocabulary`` (the chrome words),
   ``extract.chrome.links``, ``extract.script_mismatch``, ``extract.lang_mismatch`` (``ru``),
   ``extract.non_text``, ``extract.short.no_punct``, ``extract.short``,
   ``extract.low_stopwords``, ``extract.outside_main`` (before or after the main block),
   ``extract.context`` (among boilerplate).

``extract.lines.method: heuristic`` selects the older rule cascade (`gharbal.extract.heuristic`).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import numpy.typing as npt

from gharbal.document import Line, Verdict
from gharbal.extract.dom import DOM_FEATURES, describe, unknown_dom
from gharbal.extract.features import (
    LINE_FEATURES,
    PageFeatures,
    SiteCounts,
    measure_page,
    short_details,
)
from gharbal.extract.model import LineModel, load_model, logistic

# Feature name (before any ``@offset``) -> reason group.
_GROUPS: dict[str, str] = {
    "site_frac": "site",
    "log_site_count": "site",
    "log_site_pages": "site",
    "log_page_repeats": "page_repeat",
    "lex_mean": "vocabulary",
    "lex_max": "vocabulary",
    "lex_min": "vocabulary",
    "lex_first": "vocabulary",
    "urlish": "links",
    "separators": "links",
    "bullet_start": "links",
    "copyright": "links",
    "script_mismatch": "script",
    "no_script": "non_text",
    "lang_mismatch": "lang",
    "letter_ratio": "non_text",
    "digit_ratio": "non_text",
    "symbol_ratio": "non_text",
    "upper_ratio": "short",
    "title_ratio": "short",
    "log_chars": "short",
    "log_words": "short",
    "terminal": "short",
    "ends_colon": "short",
    "ends_comma": "short",
    "log_sentence_marks": "short",
    "log_commas": "short",
    "chars_vs_page_max": "short",
    "mean_word_len": "short",
    "stopword_ratio": "stopwords",
    "log_stopwords": "stopwords",
    "rel_pos": "position",
    "log_from_start": "position",
    "log_from_end": "position",
    "before_first": "position",
    "after_last": "position",
    "log_dist_kept_before": "position",
    "log_dist_kept_after": "position",
    "good_before_share": "position",
    "good_after_share": "position",
    "overlap_prev": "page_repeat",
    "overlap_next": "page_repeat",
    "page_script_share": "script",
    "spaced_separators": "links",
}
_OWN = frozenset(LINE_FEATURES)
_COLUMN = {name: k for k, name in enumerate(LINE_FEATURES)}


# What ``str.splitlines`` ends a line at ("\r\n" is one end, counted twice below, then taken off).
_LINE_ENDS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def count_lines(text: str) -> int:
    """``len(text.splitlines())`` without making the lines: one C-speed count per kind of line end
    (0.12 s for 32 MB)."""
    ends = sum(text.count(end) for end in _LINE_ENDS) - text.count("\r\n")
    return ends + (bool(text) and not text.endswith(_LINE_ENDS))


def too_many_lines(text: str, limit: int) -> int | None:
    """How many lines ``text`` has (as ``str.splitlines`` counts them, blank ones included) when
    that is more than ``limit``, else None; a text of at most ``limit`` characters is not counted."""
    if len(text) <= limit:
        return None
    n = count_lines(text)
    return n if n > limit else None


def _group(name: str) -> str:
    if name.startswith("dom_"):
        return "markup"
    if "@" in name:
        base = name.split("@", 1)[0]
        # A neighbour that is repeated on the site's pages marks a chrome block.
        return "site" if _GROUPS.get(base) == "site" else "context"
    if name in _OWN or name in _GROUPS:
        return _GROUPS.get(name, "context")
    return "context"  # window statistics and stage-1 scores of neighbours


@cache
def _column_groups(names: tuple[str, ...]) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """(reason groups, the group of each column): the same for every page of a model, made once
    (read-only)."""
    groups = tuple(sorted({_group(n) for n in names}))
    index = {g: i for i, g in enumerate(groups)}
    of_column = np.asarray([index[_group(n)] for n in names], dtype=np.int64)
    of_column.setflags(write=False)
    return groups, of_column


# The line's own features that reasons quote.
_LETTERS, _STOPWORDS, _TERMINAL = (
    _COLUMN[name] for name in ("letter_ratio", "stopword_ratio", "terminal")
)
_REASONS = {
    "site": "extract.chrome.site_repeated",
    "page_repeat": "extract.chrome.page_repeated",
    "vocabulary": "extract.chrome.vocabulary",
    "links": "extract.chrome.links",
    "script": "extract.script_mismatch",
    "lang": "extract.lang_mismatch",
    "non_text": "extract.non_text",
    "stopwords": "extract.low_stopwords",
    "position": "extract.outside_main",
    "context": "extract.context",
    "markup": "extract.chrome.markup",
}

# By whether the line ends a sentence (indexed with a bool).
_SHORT = ("extract.short.no_punct", "extract.short")


def _details(
    group: str,
    rows: list[int],
    feats: PageFeatures,
    n: int,
    kept: list[int],
) -> tuple[list[str], list[str]]:
    """(reason, detail) of each of the removed lines ``rows`` (indices in the page) whose reason
    group is ``group``, as two lists."""
    reasons = [_REASONS.get(group, "extract.context")] * len(rows)
    if group == "site":
        containing = feats.site_pages_containing
        return reasons, [f"x{containing[i]}" for i in rows]
    if group == "page_repeat":
        return reasons, [f"x{feats.repeats[i]} in the page" for i in rows]
    if group == "vocabulary":
        chrome = feats.chrome_words
        return reasons, [", ".join(chrome(i)[:4]) or "no article words" for i in rows]
    if group == "links":
        return reasons, ["link, separator or list marker"] * len(rows)
    if group == "markup" and feats.dom is not None:
        return reasons, [describe(feats.dom[i]) for i in rows]
    if group == "script":
        page, scripts = feats.profile.script, feats.line_script
        return reasons, [f"{scripts[i]} (page {page})" for i in rows]
    if group == "lang":
        page, langs = feats.profile.lang, feats.line_lang
        return reasons, [f"{langs[i]} (page {page})" for i in rows]
    if group == "non_text":
        letters = feats.matrix[rows, _LETTERS].tolist()
        return reasons, [f"letters {q:.0%} of characters" for q in letters]
    if group == "stopwords":
        lang = feats.profile.lang or "no list"
        ratios = feats.matrix[rows, _STOPWORDS].tolist()
        return reasons, [f"stopwords {q:.2f} ({lang})" for q in ratios]
    if group == "short":
        at = np.asarray(rows, dtype=np.intp)
        ends = feats.matrix[at, _TERMINAL] > 0
        return (
            [_SHORT[end] for end in ends.tolist()],
            short_details(feats.line_chars[at], feats.word_counts[at], ends),
        )
    if group == "position":
        first, last = (kept[0], kept[-1]) if kept else (n, n)
        return reasons, [
            f"{'before' if not kept or i < first else 'after' if i > last else 'inside'}"
            f" the main block ({i + 1}/{n})"
            for i in rows
        ]
    return reasons, ["the lines around it are boilerplate"] * len(rows)


def clean_lines(
    lines: list[Line],
    site: SiteCounts | None = None,
    model: LineModel | None = None,
    threshold: float | None = None,
    site_rule: tuple[int, float] | None = (4, 0.5),
    site_features: bool = True,
    dom: npt.NDArray[np.float32] | None = None,
) -> PageFeatures:
    """Set each line's verdict (and reason, for removed lines) in place; return the measurements.

    ``site_rule`` (other pages, share): with statistics from at least that many other pages of the
    site, a line found on at least that share of them is removed whatever the model says
    (``extract.chrome.site_repeated``), as CCNet removed repeated lines; the model still decides
    every other line, with the counts as features.
    """
    model = model or load_model()
    feats = measure_page(lines, model.lexicon, site)
    matrix = feats.matrix
    if site is not None and not site_features:
        matrix = measure_page(lines, model.lexicon, None).matrix
    if model.reads_dom:
        # A model for HTML input: the lines' DOM features after the text's (unknown without HTML).
        if dom is None:
            dom = unknown_dom(len(lines))
        matrix = np.hstack([matrix, dom])
        feats.dom = dom
    groups, of_column = _column_groups(model.feature_names)
    s1, per_group_all = model.stage1.explain(matrix, group_of=of_column, groups=len(groups))
    raw, _ = model.scores(matrix, s1)
    if site is not None and site_rule is not None and site.pages - 1 >= site_rule[0]:
        others = np.asarray(feats.site_pages_containing, dtype=np.float64)
        raw = np.where(others >= site_rule[1] * (site.pages - 1), -np.inf, raw)
    cut = model.threshold if threshold is None else threshold
    logit_cut = (
        math.log(cut / (1.0 - cut)) if 0.0 < cut < 1.0 else (-math.inf if cut <= 0 else math.inf)
    )
    keep = raw >= logit_cut
    if not keep.any():
        # The context stage would leave the page empty: keep what the lines' own features keep
        # (a page of a few similar lines, all content, reads like a list of teasers to stage 2).
        keep = (s1 >= logit_cut) & ~np.isneginf(raw)
    if feats.dom is not None:
        _keep_the_main_container(keep, feats, raw)
        if keep.any():
            _keep_the_lead(keep, feats, raw)
    removed = np.flatnonzero(~keep)
    kept = feats.kept = np.flatnonzero(keep).tolist()
    for i in kept:
        lines[i].verdict = Verdict.KEEP
    if removed.size:
        _explain(
            lines, feats, model, removed, kept, s1, per_group_all, raw, logit_cut, site, site_rule
        )
    return feats


NEAR_EMPTY_CHARS = 200
"""A page keeping fewer characters than this keeps its main container's paragraphs..."""
MAIN_LINE_CHARS = 40
"""...of at least this many characters and less than half in links (`_keep_the_main_container`)."""
_KNOWN, _LINKS, _MAIN50 = (
    DOM_FEATURES.index(name) for name in ("dom_known", "dom_link_share", "dom_main50")
)


def _keep_the_main_container(
    keep: npt.NDArray[np.bool_], feats: PageFeatures, raw: npt.NDArray[np.float64]
) -> None:
    """A page that would keep (almost) nothing though its DOM has a main container (the deepest
    element holding half of its paragraph text) keeps that container's lines of some length that
    are not links: the page is an article whose wrapper's names or context misled the model (a
    ``commentary``, an article inside an ``<aside>``). A line the site rule removed stays
    removed."""
    assert feats.dom is not None
    if int(feats.line_chars[keep].sum()) >= NEAR_EMPTY_CHARS:
        return
    main = (
        (feats.dom[:, _MAIN50] == 1)
        & (feats.line_chars >= MAIN_LINE_CHARS)
        & (feats.dom[:, _LINKS] < 0.5)
        & ~np.isneginf(raw)
    )
    keep |= main


LEAD_LINES = 10
"""How many lines above the first kept line `_keep_the_lead` looks at..."""
LEAD_CHARS = 200
"""...for paragraphs of at least this many characters, ending a sentence..."""
LEAD_LINKS = 0.3
"""...with less than this share of their characters in links."""


def _keep_the_lead(
    keep: npt.NDArray[np.bool_], feats: PageFeatures, raw: npt.NDArray[np.float64]
) -> None:
    """Keep the long paragraphs just above the first kept line: an article's lead or first
    paragraph, which the context stage judges with no kept line before it ("before the first kept
    line" reads like a teaser above the article). Only with the DOM, whose link share tells a
    paragraph from a teaser's link; a line the site rule removed stays removed. Measured out of
    source in docs/extraction.md (the trafilatura_eval misses of docs/error_analysis_2026-12-06.md,
    147 of 313 above the first kept line); shorter paragraphs are left alone: the scrapinghub gold
    leaves out one-sentence standfirsts."""
    assert feats.dom is not None
    first = int(np.argmax(keep))
    lo = max(0, first - LEAD_LINES)
    if lo == first:
        return
    rows = np.arange(lo, first)
    lead = (
        (feats.line_chars[rows] >= LEAD_CHARS)
        & (feats.matrix[rows, _TERMINAL] > 0)
        & (feats.dom[rows, _KNOWN] > 0)
        & (feats.dom[rows, _LINKS] < LEAD_LINKS)
        & ~np.isneginf(raw[rows])
    )
    keep[rows[lead]] = True


def _explain(
    lines: list[Line],
    feats: PageFeatures,
    model: LineModel,
    removed: npt.NDArray[np.intp],
    kept: list[int],
    s1: npt.NDArray[np.float64],
    per_group_all: npt.NDArray[np.float64],
    raw: npt.NDArray[np.float64],
    logit_cut: float,
    site: SiteCounts | None,
    site_rule: tuple[int, float] | None,
) -> None:
    """Each removed line's reason and detail. Explanations come from stage 1 (the line and its
    neighbours' own features); a line that stage 1 would have kept was removed by stage 2's view of
    the page: "context"."""
    groups, _ = _column_groups(model.feature_names)
    # Stage 1's contributions summed per reason group (along the trees' paths, `Forest.explain`).
    per_group = per_group_all[removed]
    own_scores = s1[removed]
    stage1_kept = own_scores >= logit_cut
    if site is not None and site_rule is not None and "site" in groups:
        by_rule = np.isneginf(raw[removed])
        per_group[by_rule] = 0.0
        per_group[by_rule, groups.index("site")] = -1.0
    if site is not None and "site" in groups:
        # "Repeated on the site" names a count to check: never the reason of a line found on no
        # other page (it would read `x0`); such a line gets the next reason. (Without statistics
        # nothing changes.)
        alone = np.asarray(feats.site_pages_containing, dtype=np.int64)[removed] == 0
        per_group[alone, groups.index("site")] = np.inf
    if "context" in groups:
        per_group[stage1_kept, groups.index("context")] = -np.inf
    worst = per_group.argmin(axis=1)
    # A removed line in another script or language is always named so: a fact to check.
    if "script" in groups:
        worst[feats.foreign_script[removed]] = groups.index("script")
    if "lang" in groups:
        worst[feats.foreign_lang[removed]] = groups.index("lang")
    n = len(lines)
    context = groups.index("context") if "context" in groups else -1
    # The removed lines by reason group, in page order (a few lines each: Python lists cost less
    # than a numpy selection per group).
    buckets: dict[int, list[int]] = {}
    for i, g in zip(removed.tolist(), worst.tolist(), strict=True):
        bucket = buckets.get(g)
        if bucket is None:
            buckets[g] = [i]
        else:
            bucket.append(i)
    # Lines removed by stage 2 although their own features (stage 1) said keep, with that score.
    own_keep = dict(
        zip(removed[stage1_kept].tolist(), own_scores[stage1_kept].tolist(), strict=True)
    )
    remove = Verdict.REMOVE
    for g, rows in buckets.items():
        reasons, details = _details(groups[g], rows, feats, n, kept)
        if g == context and own_keep:
            for j, i in enumerate(rows):
                score = own_keep.get(i)
                if score is not None:
                    own_p = logistic(score)
                    details[j] = (
                        f"own features say keep (p {own_p:.2f}); the lines around it say "
                        "boilerplate"
                    )
        for i, why, detail in zip(rows, reasons, details, strict=True):
            line = lines[i]
            line.verdict, line.reason, line.detail = remove, why, detail
