"""The recipe's ``extract`` section: HTML extractor, line cleaner, title."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gharbal.config import ConfigModel


class LinesConfig(ConfigModel):
    """The line-level boilerplate remover: the trained classifier (gharbal.extract.lines) or the
    older heuristic (gharbal.extract.heuristic, which alone reads the thresholds below)."""

    enabled: bool = True
    method: Literal["model", "heuristic"] = "model"
    model: str = Field(
        default="lines_gbt_v2", pattern=r"^[a-z0-9_]+$", description="shipped model file name"
    )
    threshold: float | None = Field(
        default=None, gt=0, lt=1, description="keep probability cut (default: the model's own)"
    )
    site_stats: bool = Field(
        default=True,
        description="gharbal run: the site_stats stage (how many pages of the same site share "
        "a line; +0.03 F1 on the dev set, +0.06 on Arabic sites of ~12 pages); a page alone on its "
        "site is judged as without it. Off: false, or gharbal run/extract/eval --no-site-stats",
    )
    site_features: bool = Field(
        default=True, description="give the site statistics to the model as features"
    )
    site_rule_pages: int = Field(
        default=4, ge=1, description="other pages of the site needed before site_rule_share applies"
    )
    site_rule_share: float | None = Field(
        default=0.5,
        gt=0,
        le=1,
        description="remove a line found on this share of the site's other pages (null: model only)",
    )
    short_chars: int = Field(default=60, ge=0, description="lines shorter than this are 'short'")
    long_chars: int = Field(
        default=180, ge=0, description="stopword-dense lines this long are good"
    )
    stopwords_low: float = Field(default=0.12, ge=0, le=1)
    stopwords_high: float = Field(default=0.25, ge=0, le=1)
    max_distance: int = Field(
        default=8, ge=0, description="how many lines a short line looks for a good neighbour"
    )


class TitleConfig(ConfigModel):
    enabled: bool = True
    max_words: int = Field(default=30, gt=0)
    window: int = Field(default=12, ge=1, description="lines before the body to look for it")
    strip_header: bool = Field(
        default=True,
        description="remove short non-sentence lines between the headline and the body "
        "(bylines, dates, captions, share bars)",
    )
    strip_above: bool = Field(
        default=True,
        description="remove short non-sentence lines kept above the headline (ticker items, "
        "teasers of other articles, breadcrumbs); not with extractor dom, whose classifier "
        "judged those lines on their markup",
    )


class HtmlConfig(ConfigModel):
    extractor: Literal["resiliparse", "trafilatura", "lines", "dom"] = Field(
        default="dom",
        description="'dom' (default): the page rendered to WET-like lines, cleaned by the line "
        "classifier that also reads what the HTML says about each line (extract.html.model; "
        "out-of-source F1 0.949 on the dev set, docs/extraction.md); 'lines': the same without the "
        "DOM features; 'resiliparse': main content (fastest, about 4x; 0.869); 'trafilatura' "
        "(optional extra)",
    )
    model: str = Field(
        default="lines_dom_v2",
        pattern=r"^[a-z0-9_]+$",
        description="extractor dom: the shipped line model that reads DOM features",
    )
    max_depth: int = Field(
        default=256,
        ge=1,
        description="extractors dom and resiliparse: a page with elements nested deeper is "
        "rejected (extract.html.too_deep): resiliparse's main-content pass and the DOM walk's "
        "parser take time quadratic in the depth",
    )
    max_elements: int = Field(
        default=2_500_000,
        ge=1,
        description="extractors dom, resiliparse and lines: a page the HTML5 parser could make more "
        "elements of (an estimate from its tags, counting the formatting elements it re-opens after "
        "every block) is rejected before it is parsed (extract.html.too_complex)",
    )


class ExtractConfig(ConfigModel):
    html: HtmlConfig = HtmlConfig()
    lines: LinesConfig = LinesConfig()
    title: TitleConfig = TitleConfig()
    min_chars: int = Field(
        default=1, ge=0, description="a page with less clean text than this is rejected"
    )
    max_lines: int = Field(
        default=100_000,
        ge=1,
        description="a page of more lines (blank ones included) is rejected before it is measured "
        "(extract.too_many_lines): the line classifier holds about 1.2 KB a line",
    )
