"""The typed recipe, assembled from the sections each family defines in its ``config.py`` (one model
per step, on the base `gharbal.config.ConfigModel`), serving the YAML file, the Python API and the
CLI flags.

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
from pydantic import Field, ValidationError

from gharbal.config import ConfigModel
from gharbal.dedup.config import DedupConfig
from gharbal.errors import ConfigError
from gharbal.extract.config import ExtractConfig, HtmlConfig, LinesConfig, TitleConfig
from gharbal.identify.config import LanguageIdConfig
from gharbal.pii.config import PiiConfig
from gharbal.quality.config import QualityConfig
from gharbal.readers.config import ReadConfig
from gharbal.report.config import ReportConfig
from gharbal.writers.config import OutputConfig

__all__ = [  # the sections, re-exported: a recipe is built from them
    "DedupConfig",
    "DuplicateKeyError",
    "ExtractConfig",
    "HtmlConfig",
    "LanguageIdConfig",
    "LinesConfig",
    "OutputConfig",
    "PiiConfig",
    "QualityConfig",
    "ReadConfig",
    "Recipe",
    "ReportConfig",
    "TitleConfig",
    "load_yaml",
]


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


class Recipe(ConfigModel):
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
