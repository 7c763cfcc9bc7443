"""The ``quality`` recipe section: which rule families run, their thresholds, and per-language
overrides, assembled from the families' own sections (each family module holds its config:
`gharbal.quality.gopher_repetition`, `gharbal.quality.gopher`, `gharbal.quality.c4`,
`gharbal.quality.fineweb`).

Every threshold may be ``null`` to turn that one rule off. Defaults are the published ones (Gopher:
Rae et al. 2021, table A1; C4: Raffel et al. 2020 and its TFDS code; FineWeb: Penedo et al. 2024),
the values datatrove uses. ``languages`` holds overrides merged over the sections for documents in
that language (``doc.lang``, without its script suffix); the built-in ones, which a recipe's own are
merged over, are `BUILTIN_LANGUAGES`, gathered from each family's ``LANGUAGES``:

* ``en``: Gopher's stopword list is the paper's eight words (``the be to of and that have with``);
  every other language uses its stopwords-iso list;
* ``zh``, ``ja``: words are single Han/kana characters, so mean word length says nothing (off),
  n-gram lengths of the repetition rules scale by about 1.5 (2,3,4 -> 3,5,6 and 5..10 -> 8..15),
  words per line are counted as tokens, and a short line is up to 15 characters;
* ``ko``: a Hangul syllable block is one character: mean word length from 1.5;
* ``th``, ``lo``, ``km``, ``my``: written without spaces, a "word" is a whole phrase: the word-count,
  word-length, words-with-letters, stopword, words-per-line, list and top-n-gram rules are off (a
  stopword is written joined to its neighbours; the most frequent "word" pair is a large share of a
  short text without any repetition); Thai and Lao mark the end of a sentence with a space, not
  punctuation, so FineWeb's lines-ending-in-punctuation rule is off for them too (Khmer's ។ ៕ and
  Myanmar's ။ are sentence marks).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from gharbal.config import ConfigModel
from gharbal.quality.c4 import C4Config, C4LinesConfig
from gharbal.quality.families import FAMILIES
from gharbal.quality.fineweb import FineWebConfig
from gharbal.quality.gopher import GOPHER_EN_STOPWORDS, GopherConfig
from gharbal.quality.gopher_repetition import GopherRepetitionConfig
from gharbal.quality.rules import int_keys

_SECTIONS = tuple(family.name for family in FAMILIES)
# The order recipe.yaml lists the built-in languages in; a language not named here follows them.
_LANGUAGE_ORDER = ("en", "ko", "zh", "ja", "th", "lo", "km", "my")


def _builtin_languages() -> dict[str, dict[str, Any]]:
    """Language -> section -> overrides, from the families' ``LANGUAGES`` (sections in chain
    order)."""
    found: dict[str, dict[str, Any]] = {}
    for family in FAMILIES:
        for lang, over in family.languages.items():
            found.setdefault(lang, {})[family.name] = over
    rank = {lang: i for i, lang in enumerate(_LANGUAGE_ORDER)}
    return dict(sorted(found.items(), key=lambda item: rank.get(item[0], len(rank))))


BUILTIN_LANGUAGES: dict[str, dict[str, Any]] = _builtin_languages()

# The families' mappings n -> threshold: replaced whole, never merged key by key.
_ATOMIC: frozenset[str] = frozenset[str]().union(*(family.ngram_maps for family in FAMILIES))


def _int_ngram_keys(over: dict[str, Any]) -> dict[str, Any]:
    """n-gram sizes as integers (YAML and JSON may give them as strings)."""
    fixed = dict(over)
    for family in FAMILIES:
        section = over.get(family.name)
        if family.ngram_maps and isinstance(section, dict):
            fixed[family.name] = {
                key: int_keys(value) if key in family.ngram_maps else value
                for key, value in section.items()
            }
    return fixed


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key not in _ATOMIC and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class QualityConfig(ConfigModel):
    """The ``quality`` section: signals (measure) and filters (decide) of the four rule families."""

    enabled: bool = True
    gopher_repetition: GopherRepetitionConfig = GopherRepetitionConfig()
    gopher: GopherConfig = GopherConfig()
    c4: C4Config = C4Config()
    fineweb: FineWebConfig = FineWebConfig()
    languages: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: dict(BUILTIN_LANGUAGES),
        description="language -> section -> overrides, merged over the built-in ones",
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_builtin_languages(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("languages"), dict):
            merged = dict(BUILTIN_LANGUAGES)
            for lang, over in data["languages"].items():
                merged[lang] = (
                    _merge(merged.get(lang, {}), _int_ngram_keys(over))
                    if isinstance(over, dict)
                    else over
                )
            data = {**data, "languages": merged}
        return data

    @model_validator(mode="after")
    def _check_languages(self) -> QualityConfig:
        for lang, over in self.languages.items():
            unknown = set(over) - set(_SECTIONS)
            if unknown:
                raise ValueError(
                    f"languages.{lang}: unknown sections {sorted(unknown)} (use {list(_SECTIONS)})"
                )
            try:
                self.for_language(lang)  # validates the merged sections
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
                )
                raise ValueError(f"languages.{lang}: {problems}") from None
        return self

    def for_language(self, lang: str | None) -> QualityConfig:
        """This config with the overrides of ``lang`` applied (itself when there are none); steps
        keep the result per language."""
        over = self.languages.get(lang or "")
        if not over:
            return self
        update: dict[str, Any] = {"languages": {}}
        for section, values in over.items():
            current: BaseModel = getattr(self, section)
            update[section] = type(current).model_validate(_merge(current.model_dump(), values))
        return self.model_copy(update=update)


__all__ = [
    "BUILTIN_LANGUAGES",
    "GOPHER_EN_STOPWORDS",
    "C4Config",
    "C4LinesConfig",
    "FineWebConfig",
    "GopherConfig",
    "GopherRepetitionConfig",
    "QualityConfig",
]
