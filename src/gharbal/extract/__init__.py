"""Extraction: from a page (plain text or HTML) to its main text and title.

Plain-text pages go through the line classifier (`gharbal.extract.lines`; site statistics from
`gharbal.extract.sitestats` when several pages of a site are processed together) and the headline
detector (`gharbal.extract.title`); every line gets a verdict, and removed lines keep their reasons.
HTML pages are rendered to WET-like lines and cleaned like plain text (``extract.html.extractor:
lines``, the default: measured best, see docs/extraction.md), or go through resiliparse's or
trafilatura's main-content extractor. A page left with less than
``extract.min_chars`` of text is rejected (``extract.empty``).

Work and memory per page are bounded: a page of more than ``extract.max_lines`` lines is rejected
before its lines are made (``extract.too_many_lines``: the line classifier holds about 1.2 KB a
line), resiliparse's main-content pass, quadratic in the nesting depth, is not run on a page
nested more than ``extract.html.max_depth`` levels (``extract.html.too_deep``), and an HTML page is
not parsed at all when the parser could make more than ``extract.html.max_elements`` elements of it
(``extract.html.too_complex``: formatting elements it would re-open again and again; see
`gharbal.extract.html`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gharbal.document import Document, Verdict
from gharbal.extract.config import ExtractConfig
from gharbal.extract.dom import body_block, dom_features, h1_lines
from gharbal.extract.features import SiteCounts
from gharbal.extract.html import (
    html_main_text_bounded,
    html_to_lines,
    html_to_lines_bounded,
    open_containers,
    too_complex,
    trafilatura_main_text,
)
from gharbal.extract.lines import clean_lines, too_many_lines
from gharbal.extract.model import LineModel, load_model
from gharbal.extract.title import (
    find_title_and_body,
    strip_above,
    strip_header,
    title_words_of,
)
from gharbal.step import DocumentStep, join_kept, join_lines, split_lines


def extract_page(
    doc: Document,
    cfg: ExtractConfig,
    site: SiteCounts | None = None,
    model: LineModel | None = None,
) -> Document:
    """Fill ``doc.title``, ``doc.text`` and ``doc.lines`` from the raw page in place.

    ``site`` gives, for each non-blank line of the page, how many pages of its site contain it
    (see `gharbal.extract.sitestats`); without it the page is judged alone. ``model`` replaces the
    recipe's shipped model (cross-validation).

    A page that cannot be extracted within bounded work is rejected instead (``doc.rejection``:
    ``extract.too_many_lines``, ``extract.html.too_deep``, ``extract.html.too_complex``), its text
    left as it was.
    """
    html: str | None = None  # extractor dom: the page, for the lines' DOM features
    extractor = cfg.html.extractor
    if doc.html is not None and extractor in ("lines", "dom"):
        if not doc.text:  # not rendered by the render_html step before (site statistics)
            render_html(doc, cfg)
            if doc.rejection is not None:
                return doc
        if extractor == "dom" and doc.html is not None:  # kept beside the rendered text
            html = doc.html
            model = model or load_model(cfg.html.model)
        doc.html = None
    elif doc.html is not None:  # an HTML extractor's main content
        if extractor != "trafilatura" and _too_complex(doc, cfg):
            return doc
        if extractor == "trafilatura":
            main: tuple[str | None, str] | int = trafilatura_main_text(doc.html)
        else:
            main = html_main_text_bounded(doc.html, cfg.html.max_depth)
        doc.html = None
        if isinstance(main, int):
            _reject_too_deep(doc, main, cfg)
            return doc
        title, doc.text = main
        doc.title = doc.title or title
        _too_many_lines(doc, cfg)  # the later steps' work grows with the lines too
        return doc
    if _too_many_lines(doc, cfg):
        return doc
    lines = split_lines(doc.text)
    doc.lines = lines
    if cfg.lines.enabled and lines:
        kept: list[int] | None
        dom = None
        if cfg.lines.method == "heuristic":
            from gharbal.extract.heuristic import clean_lines as heuristic_clean

            profile, feats = heuristic_clean(lines, cfg.lines)
            forms: Sequence[list[str]] = [f.forms for f in feats]
            stopwords = profile.stopwords
            title_words = title_words_of(forms, stopwords)
            word_counts = kept = None
            score = "extract.lines_v1.kept_ratio"
        else:
            model = model or load_model(cfg.lines.model)
            rule = cfg.lines.site_rule_share
            if model.reads_dom and html is not None:
                dom = dom_features(html, [ln.text for ln in lines])
            measured = clean_lines(
                lines,
                site,
                model,
                cfg.lines.threshold,
                None if rule is None else (cfg.lines.site_rule_pages, rule),
                cfg.lines.site_features,
                dom,
            )
            forms, stopwords = measured.forms, measured.profile.stopwords
            title_words, word_counts = measured.title_words, measured.word_counts
            kept = measured.kept
            score = f"extract.{model.name}.kept_ratio"
        if cfg.title.enabled:
            found = find_title_and_body(
                lines, forms, stopwords, cfg.title, title_words, word_counts, kept
            )
            if found is not None and dom is not None and body_block(dom, found[0]):
                # The DOM says the text's headline is a list item, a table cell or a paragraph
                # outside any heading: a line of the body (or of a list above it), not the
                # page's headline; the <h1> below names the page instead.
                found = None
            if found is not None:
                t, body = found
                lines[t].verdict, lines[t].reason, lines[t].detail = Verdict.TITLE, None, ""
                doc.title = lines[t].text
                if cfg.title.strip_header:
                    strip_header(lines, t, body)
                # With the DOM the classifier has judged the lines above the headline on their
                # markup: a list kept there is the page's (docs/error_analysis_2026-12-06.md).
                if cfg.title.strip_above and dom is None:
                    strip_above(lines, t)
            elif dom is not None:
                # No headline found from the text (an Arabic headline's words come back in the
                # body with other prefixes; a short item): the last <h1> line before the body
                # that the classifier removed names the page (the text stays as it is).
                first = kept[0] if kept else len(lines)
                h1 = [i for i in h1_lines(dom, first) if lines[i].verdict is Verdict.REMOVE]
                if h1:
                    t = h1[-1]
                    lines[t].verdict, lines[t].reason, lines[t].detail = Verdict.TITLE, None, ""
                    doc.title = lines[t].text
        # The lines kept in the end: among those the classifier kept (the title and the header
        # lines around it went since).
        keep = Verdict.KEEP
        final = [ln for ln in (lines if kept is None else map(lines.__getitem__, kept))
                 if ln.verdict is keep]  # fmt: skip
        doc.scores[score] = round(len(final) / len(lines), 4)
        doc.text = join_lines(final)
    else:
        doc.text = join_kept(lines)
    return doc


def _reject_too_deep(doc: Document, depth: int, cfg: ExtractConfig) -> None:
    doc.reject(
        "extract.html.too_deep",
        f"elements nested at least {depth} deep (extract.html.max_depth {cfg.html.max_depth})",
    )


def _too_many_lines(doc: Document, cfg: ExtractConfig) -> bool:
    """Reject ``doc`` (``extract.too_many_lines``) if its text has more than ``extract.max_lines``
    lines."""
    n = too_many_lines(doc.text, cfg.max_lines)
    if n is not None:
        doc.reject("extract.too_many_lines", f"{n} lines (extract.max_lines {cfg.max_lines})")
    return n is not None


OPEN_CONTAINERS_FACTOR = 8
"""Containers left open beyond this many times ``extract.html.max_depth`` reject a page before it is
parsed (`gharbal.extract.html.open_containers`, an estimate that may only be too high)."""


def _too_complex(doc: Document, cfg: ExtractConfig) -> bool:
    """Reject ``doc`` (``extract.html.too_complex``) if parsing its HTML could make more than
    ``extract.html.max_elements`` elements (`gharbal.extract.html.too_complex`; trafilatura's
    parser, not an HTML5 one, does not re-open elements and is not limited)."""
    assert doc.html is not None
    deep = open_containers(doc.html, OPEN_CONTAINERS_FACTOR * cfg.html.max_depth)
    if deep is not None:
        doc.html = None
        doc.reject(
            "extract.html.too_deep",
            f"at least {deep} container elements left open, found before parsing "
            f"(extract.html.max_depth {cfg.html.max_depth})",
        )
        return True
    n = too_complex(doc.html, cfg.html.max_elements)
    if n is not None:
        doc.html = None
        doc.reject(
            "extract.html.too_complex",
            f"at least {n} elements estimated (extract.html.max_elements {cfg.html.max_elements})",
        )
    return n is not None


def render_html(doc: Document, cfg: ExtractConfig) -> Document:
    """With ``extract.html.extractor: lines`` or ``dom``, turn an HTML record into a plain-text page
    (its WET-like rendering; ``<title>`` kept as the fallback title) before site statistics and
    extraction: the one place HTML pages are rendered to lines (the `RenderHtml` step calls it, and
    `extract_page` for a page it is given unrendered). ``dom`` keeps the HTML beside the text:
    extraction reads the lines' DOM features from it."""
    extractor = cfg.html.extractor
    if doc.html is not None and doc.text == "" and extractor in ("lines", "dom"):
        if _too_complex(doc, cfg):
            return doc
        if extractor == "lines":
            title, doc.text = html_to_lines(doc.html)
            doc.html = None
        else:  # dom: not deeper than extract.html.max_depth (its DOM walk's parser)
            rendered = html_to_lines_bounded(doc.html, cfg.html.max_depth)
            if isinstance(rendered, int):
                doc.html = None
                _reject_too_deep(doc, rendered, cfg)
                return doc
            title, doc.text = rendered
        doc.title = doc.title or title
        if _too_many_lines(doc, cfg):  # before site statistics count its lines
            doc.html = None
    return doc


class RenderHtml(DocumentStep):
    """Pipeline step: HTML records rendered to lines (``extract.html.extractor: lines``), so that
    they get site statistics like plain-text pages."""

    name = "render_html"

    def __init__(self, cfg: ExtractConfig) -> None:
        self.cfg = cfg

    def process(self, doc: Document) -> Document:
        return render_html(doc, self.cfg)


class Extract(DocumentStep):
    """Pipeline step: main-content extraction, rejecting pages left empty (unless
    ``reject_empty=False``: ``gharbal extract`` writes a record for every page)."""

    name = "extract"

    def __init__(
        self,
        cfg: ExtractConfig,
        *,
        reject_empty: bool = True,
        models: Callable[[Document], LineModel | None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.reject_empty = reject_empty
        self.models = models  # a page's own line model (cross-validation), else the recipe's

    def process(self, doc: Document) -> Document:
        site = None
        if doc.site_lines is not None:
            site = SiteCounts(doc.site_lines[0], doc.site_lines[1])
            doc.site_lines = None
        extract_page(doc, self.cfg, site, None if self.models is None else self.models(doc))
        if (
            self.reject_empty
            and doc.rejection is None
            and len(doc.text.strip()) < max(self.cfg.min_chars, 1)
        ):
            doc.reject(
                "extract.empty",
                f"{len(doc.text.strip())} characters of main text left "
                f"(extract.min_chars {self.cfg.min_chars})",
            )
        return doc


__all__ = ["Extract", "RenderHtml", "extract_page", "render_html"]
