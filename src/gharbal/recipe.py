"""The typed recipe: one model per step, serving the YAML file, the Python API and the CLI flags.

A recipe is validated in full before any work starts (`ConfigError` on the first problem, with the
field's path), and the resolved recipe, defaults included, is written to ``OUT/recipe.yaml``.
Types are strict in every section (pydantic strict mode): ``workers: true`` or
``enabled: "yes"`` are refused rather than coerced; an integer is still a valid float, and YAML's
own booleans (``true``, ``false``, ``yes``, ``no`` unquoted) are booleans. YAML is read with a
subclass of the safe loader (a recipe can never execute code) that refuses a key given twice in one
mapping, at any depth, naming the key and its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gharbal.dedup.config import DedupConfig
from gharbal.errors import ConfigError
from gharbal.identify.language import LanguageIdConfig
from gharbal.pii.redact import PiiConfig
from gharbal.quality.config import QualityConfig


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DuplicateKeyError(yaml.YAMLError):
    """A mapping of a recipe gives the same key twice (YAML would keep the last one silently)."""

    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} at line {line} (first given at line {first})")


class _RecipeLoader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys (a ``<<`` merge may still be overridden)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    raise DuplicateKeyError(key, line, first[key])
            except TypeError:  # unhashable: the safe loader's own error follows
                continue
            first[key] = line
        return super().construct_mapping(node, deep)


def _got(err: Any) -> str:
    """What a value of the wrong type was (strict types: ``workers: true`` is not a number)."""
    if not str(err.get("type", "")).endswith("_type") or "input" not in err:
        return ""
    value = err["input"]
    shown = repr(value)
    return f", got {type(value).__name__} {shown if len(shown) <= 40 else shown[:39] + '…'}"


MAX_WORKERS = 4096
"""More worker processes than any machine runs (a recipe or ``--workers`` above it is refused)."""


def load_yaml(text: str) -> Any:
    """``text`` read with the safe loader, refusing duplicate keys (`DuplicateKeyError`)."""
    return yaml.load(text, Loader=_RecipeLoader)  # a SafeLoader subclass


class ReadConfig(_Model):
    """How inputs are read."""

    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    max_record_bytes: int = Field(
        default=32 * 1024 * 1024,
        gt=0,
        description="a JSONL line or text page larger than this is rejected, never loaded whole",
    )
    text_files_per_shard: int = Field(default=1000, gt=0)
    shard_bytes: int = Field(
        default=128 * 1024 * 1024,
        ge=0,
        description="an uncompressed local JSONL file larger than this is split into shards of "
        "about this size at line boundaries (0: never split)",
    )


class LinesConfig(_Model):
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


class TitleConfig(_Model):
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
        "teasers of other articles, breadcrumbs)",
    )


class HtmlConfig(_Model):
    extractor: Literal["resiliparse", "trafilatura", "lines", "dom"] = Field(
        default="dom",
        description="'dom' (default): the page rendered to WET-like lines, cleaned by the line "
        "classifier that also reads what the HTML says about each line (extract.html.model; "
        "out-of-source F1 0.949 on the dev set, docs/extraction.md); 'lines': the same without the "
        "DOM features; 'resiliparse': main content (fastest, about 4x; 0.869); 'trafilatura' "
        "(optional extra)",
    )
    model: str = Field(
        default="lines_dom_v1",
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


class ExtractConfig(_Model):
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


class OutputConfig(_Model):
    format: Literal["jsonl", "parquet"] = Field(
        default="jsonl",
        description="kept documents as JSON Lines or Parquet; the ledger is JSON Lines either way",
    )
    compression: Literal["gzip", "none"] = Field(
        default="gzip", description="of the JSON Lines parts (documents, rejected, removed lines)"
    )
    parquet_compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    rejected_text: bool = Field(
        default=False,
        description="keep the text and title of rejected documents in their rejected/ records (as "
        "the step that rejected them left it, personal data redacted when pii is enabled); "
        "documents rejected while reading have no text to keep",
    )


class ReportConfig(_Model):
    """``OUT/report.html``, written at the end of a run (``gharbal report OUT`` rebuilds it)."""

    enabled: bool = True
    max_pages: int = Field(default=200, ge=0, description="kept pages in the report's page viewer")


class Recipe(_Model):
    """The whole pipeline definition."""

    version: Literal[1] = 1
    read: ReadConfig = ReadConfig()
    extract: ExtractConfig = ExtractConfig()
    lang: LanguageIdConfig = LanguageIdConfig()
    quality: QualityConfig = QualityConfig()
    pii: PiiConfig = PiiConfig()
    output: OutputConfig = OutputConfig()
    report: ReportConfig = ReportConfig()
    dedup: DedupConfig = DedupConfig()
    workers: int = Field(default=1, ge=1, le=MAX_WORKERS)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}{_got(err)}"
                for err in exc.errors()
            )
            raise ConfigError(f"invalid recipe: {problems}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Recipe:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read recipe {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"recipe {path} is not UTF-8 text: {exc.reason} at byte {exc.start}"
            ) from None
        try:
            data = load_yaml(text)
        except DuplicateKeyError as exc:
            raise ConfigError(f"recipe {path}: {exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"recipe {path} is not valid YAML: {exc}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"recipe {path} must be a mapping, got {type(data).__name__}")
        return cls.from_dict(data)

    def with_overrides(self, **changes: Any) -> Recipe:
        """A copy with top-level fields changed (CLI flags), validated again."""
        data = self.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        return Recipe.from_dict(data)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
