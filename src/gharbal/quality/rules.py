"""The shapes every rule family is written in: `Rule`, `PerN`, `Family`, and the `Check` they
resolve to.

A family module (`gharbal.quality.gopher` and its siblings) declares its config, its measurement
and its rules, and gathers them in one `Family`; `gharbal.quality.families` lists the families in
datatrove's chain order. A rule is data: which score it reads, how it gets its threshold from the
family's config, which side of the threshold fails, and how its detail names the value. The filters
resolve the rules against a (per-language) config into `Check`s once, and apply them to every
document's scores.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from gharbal.document import Document
from gharbal.quality.analysis import Analysis


class Section(Protocol):
    """A family's config: a recipe section that can be switched off."""

    @property
    def enabled(self) -> bool: ...


C = TypeVar("C", bound=Section)


class Direction(enum.Enum):
    """Which side of the threshold fails; the value is the operator the detail shows."""

    ABOVE = ">"  # a value above the threshold fails (a maximum)
    BELOW = "<"  # a value below the threshold fails (a minimum)

    def fails(self, value: float, limit: float) -> bool:
        return value > limit if self is Direction.ABOVE else value < limit


ABOVE = Direction.ABOVE
BELOW = Direction.BELOW


class Check(NamedTuple):
    """A rule resolved against a config, as `gharbal.quality.filters.decide` applies it: the
    document fails when ``scores[score]`` is on the failing side of ``limit`` (skipped when the
    limit is None, the score was not measured, or the value is 0 and ``skip_zero``)."""

    reason: str
    score: str
    limit: float | None
    direction: Direction
    what: str
    skip_zero: bool = False


@dataclass(frozen=True, slots=True)
class Rule(Generic[C]):
    """One document rule of a family.

    ``reason`` is the rejection's reason, ``quality.<family>.<name>``; ``score`` the full name of a
    score the family's measurement writes; ``limit`` reads the threshold from the family's config
    (None: the rule is off); ``what`` names the value in the detail (``"words 10 < 50 (en)"``), or
    makes that name from the config; ``skip_zero`` (from the config) passes a value of exactly 0.
    """

    reason: str
    score: str
    limit: Callable[[C], float | None]
    direction: Direction
    what: str | Callable[[C], str]
    skip_zero: Callable[[C], bool] | None = None

    def checks(self, cfg: C) -> list[Check]:
        what = self.what if isinstance(self.what, str) else self.what(cfg)
        skip_zero = self.skip_zero is not None and self.skip_zero(cfg)
        return [Check(self.reason, self.score, self.limit(cfg), self.direction, what, skip_zero)]


@dataclass(frozen=True, slots=True)
class PerN(Generic[C]):
    """One rule per n-gram size: ``limits`` reads the config's mapping n -> threshold, and ``{n}``
    in ``reason``, ``score`` and ``what`` becomes each n (in increasing order)."""

    reason: str
    score: str
    limits: Callable[[C], Mapping[int, float | None]]
    direction: Direction
    what: str

    def checks(self, cfg: C) -> list[Check]:
        return [
            Check(
                self.reason.format(n=n),
                self.score.format(n=n),
                limit,
                self.direction,
                self.what.format(n=n),
            )
            for n, limit in sorted(self.limits(cfg).items())
        ]


@dataclass(frozen=True, slots=True)
class Family(Generic[C]):
    """A rule family: its section of the ``quality`` config, its measurement and its rules.

    ``name`` is the section (``QualityConfig.<name>``) and the reasons' prefix
    (``quality.<name>.``); ``scores`` the prefix of the scores ``measure`` writes
    (``quality.<name>_v1``: a new version when a score's meaning changes); ``rules`` apply in their
    order; ``languages`` holds the built-in per-language overrides of the section; ``edit`` changes
    a document every rule passed (C4 removes the lines its line rules flag; it may reject);
    ``ngram_maps`` names the config's mappings n -> threshold (a language's override replaces them
    whole).
    """

    name: str
    scores: str
    config: type[C]
    measure: Callable[[Analysis, str | None, C], dict[str, float]]
    rules: tuple[Rule[C] | PerN[C], ...]
    languages: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    edit: Callable[[Document, str | None, C], None] | None = None
    ngram_maps: frozenset[str] = frozenset()

    def section(self, cfg: object) -> C:
        """This family's section of a `QualityConfig`."""
        section = getattr(cfg, self.name)
        if not isinstance(section, self.config):
            raise TypeError(f"{self.name}: {type(section).__name__}, not {self.config.__name__}")
        return section

    def checks(self, cfg: C) -> list[Check]:
        """The rules resolved against the family's section, in order."""
        return [check for rule in self.rules for check in rule.checks(cfg)]


def int_keys(value: Any) -> Any:
    """A mapping's digit-string keys as integers (YAML and JSON may give n-gram sizes as strings);
    anything else unchanged, for validation to judge."""
    if not isinstance(value, dict):
        return value
    return {
        int(n) if isinstance(n, str) and n.isascii() and n.isdigit() else n: v
        for n, v in value.items()
    }


__all__ = ["ABOVE", "BELOW", "Check", "Direction", "Family", "PerN", "Rule", "Section", "int_keys"]
