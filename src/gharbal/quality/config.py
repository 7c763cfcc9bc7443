"""The ``quality`` recipe section: which rule families run, their thresholds, and per-language
overrides.

Every threshold may be ``null`` to turn that one rule off. Defaults are the published ones (Gopher:
Rae et al. 2021, table A1; C4: Raffel et al. 2020 and its TFDS code; FineWeb: Penedo et al. 2024),
the values datatrove uses. ``languages`` holds overrides merged over the sections for documents in
that language (``doc.lang``, without its script suffix); the built-in ones, which a recipe's own are
merged over, are `BUILTIN_LANGUAGES`:

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

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gharbal.config import ConfigModel

GOPHER_EN_STOPWORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


class GopherRepetitionConfig(ConfigModel):
    """Gopher repetition rules (fractions above the threshold reject)."""

    enabled: bool = True
    dup_line_frac: float | None = Field(default=0.3, ge=0)
    dup_para_frac: float | None = Field(default=0.3, ge=0)
    dup_line_char_frac: float | None = Field(default=0.2, ge=0)
    dup_para_char_frac: float | None = Field(default=0.2, ge=0)
    top_n_grams: dict[int, float | None] = Field(
        default={2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> max share of characters in the most frequent n-gram",
    )
    dup_n_grams: dict[int, float | None] = Field(
        default={5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.1},
        description="n -> max share of characters in repeated n-grams",
    )

    @field_validator("top_n_grams", "dup_n_grams", mode="before")
    @classmethod
    def _digit_keys(cls, value: Any) -> Any:
        """n as written in YAML or JSON (``"2"``; ``OUT/recipe.yaml`` writes keys as strings)."""
        return _int_keys(value)


class GopherConfig(ConfigModel):
    """Gopher quality rules."""

    enabled: bool = True
    min_doc_words: int | None = Field(default=50, ge=0)
    max_doc_words: int | None = Field(default=100_000, ge=0)
    min_avg_word_length: float | None = Field(default=3, ge=0)
    max_avg_word_length: float | None = Field(default=10, ge=0)
    max_symbol_word_ratio: float | None = Field(
        default=0.1, ge=0, description="'#' and ellipses per word"
    )
    max_bullet_lines_ratio: float | None = Field(default=0.9, ge=0)
    max_ellipsis_lines_ratio: float | None = Field(default=0.3, ge=0)
    min_alpha_words_ratio: float | None = Field(
        default=0.8, ge=0, description="share of tokens with a letter"
    )
    min_stop_words: int | None = Field(
        default=2, ge=0, description="distinct stopwords the text must contain"
    )
    min_stopword_ratio: float | None = Field(
        default=None, ge=0, le=1, description="share of word tokens that are stopwords"
    )
    stop_words: list[str] | None = Field(
        default=None, description="null: the language's stopwords-iso list"
    )


class C4LinesConfig(ConfigModel):
    """C4's line rules: a line failing one is removed (``removed_lines/``, ``quality.c4.*``)."""

    enabled: bool = True
    terminal_punct: bool = Field(
        default=False,
        description="remove lines not ending in sentence-final punctuation (C4: on; FineWeb: off)",
    )
    min_words: int | None = Field(default=3, ge=0)
    word_split: str = Field(
        default="whitespace",
        pattern="^(whitespace|tokens)$",
        description="how words are counted: by spaces, or gharbal's tokens (for CJK/Thai)",
    )
    max_word_length: int | None = Field(default=1000, ge=1)
    javascript: bool = True
    policy: bool = True
    policy_phrases: list[str] | None = Field(
        default=None, description="null: the built-in phrases for the language plus English"
    )
    remove_citations: bool = Field(
        default=True, description="ignore [1], [edit] ... when checking final punctuation"
    )


class C4Config(ConfigModel):
    """C4 rules: line-level (`C4LinesConfig`) and document-level."""

    enabled: bool = True
    lines: C4LinesConfig = C4LinesConfig()
    min_sentences: int | None = Field(default=5, ge=0, description="counted on kept lines")
    lorem_ipsum: bool = True
    curly_bracket: bool = True


class FineWebConfig(ConfigModel):
    """FineWeb's rules, measured on the text as C4's line rules leave it."""

    enabled: bool = True
    min_line_punct_ratio: float | None = Field(default=0.12, ge=0, le=1)
    line_punct_exclude_zero: bool = False
    max_short_line_ratio: float | None = Field(default=0.67, ge=0, le=1)
    short_line_chars: int = Field(default=30, ge=0)
    max_char_dup_ratio: float | None = Field(default=0.01, ge=0)
    max_newline_ratio: float | None = Field(default=0.3, ge=0, description="newlines per word")


_SECTIONS = ("gopher_repetition", "gopher", "c4", "fineweb")
_NO_SPACES: dict[str, Any] = {
    # The most frequent phrase pair or triple of a short text is a large share of it without
    # repeating at all; repeated n-grams (dup_n_grams) still measure repetition.
    "gopher_repetition": {"top_n_grams": {}},
    "gopher": {
        "min_doc_words": None,
        "min_avg_word_length": None,
        "max_avg_word_length": None,
        "min_alpha_words_ratio": None,
        "min_stop_words": None,  # stopwords are written joined to the words around them
    },
    "c4": {"lines": {"min_words": None}},
    "fineweb": {"max_newline_ratio": None},
}
# One token per Han/kana character: a word is 1.5-2 tokens, so n-gram lengths scale by about 1.5.
_CJK: dict[str, Any] = {
    "gopher_repetition": {
        "top_n_grams": {3: 0.2, 5: 0.18, 6: 0.16},
        "dup_n_grams": {8: 0.15, 9: 0.14, 11: 0.13, 12: 0.12, 14: 0.11, 15: 0.1},
    },
    "gopher": {"min_avg_word_length": None, "max_avg_word_length": None},
    "c4": {"lines": {"word_split": "tokens"}},
    "fineweb": {"short_line_chars": 15},
}
# Thai and Lao end sentences with a space, not a mark: no line "ends in punctuation".
_NO_SENTENCE_MARKS: dict[str, Any] = {
    **_NO_SPACES,
    "fineweb": {**_NO_SPACES["fineweb"], "min_line_punct_ratio": None},
}
BUILTIN_LANGUAGES: dict[str, dict[str, Any]] = {
    "en": {"gopher": {"stop_words": list(GOPHER_EN_STOPWORDS)}},
    "ko": {"gopher": {"min_avg_word_length": 1.5}},  # a Hangul syllable block is one character
    "zh": _CJK,
    "ja": _CJK,
    "th": _NO_SENTENCE_MARKS,
    "lo": _NO_SENTENCE_MARKS,
    "km": _NO_SPACES,
    "my": _NO_SPACES,
}


_ATOMIC = frozenset({"top_n_grams", "dup_n_grams"})  # replaced whole, never merged key by key


def _int_keys(value: Any) -> Any:
    """A mapping's digit-string keys as integers (YAML and JSON may give n-gram sizes as strings);
    anything else unchanged, for validation to judge."""
    if not isinstance(value, dict):
        return value
    return {
        int(n) if isinstance(n, str) and n.isascii() and n.isdigit() else n: v
        for n, v in value.items()
    }


def _int_ngram_keys(over: dict[str, Any]) -> dict[str, Any]:
    """n-gram sizes as integers (YAML and JSON may give them as strings)."""
    rep = over.get("gopher_repetition")
    if not isinstance(rep, dict):
        return over
    fixed = dict(rep)
    for key in _ATOMIC & set(rep):
        fixed[key] = _int_keys(rep[key])
    return {**over, "gopher_repetition": fixed}


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
