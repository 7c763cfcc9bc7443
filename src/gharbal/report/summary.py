"""What a pass over an output directory keeps: `Summary` (mergeable, bounded by `Limits`), the
sampled pages (`PageSample`), per-site counts, and the hash bounds (`Cuts`) that let shards skip
documents that cannot end up in a sample."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gharbal.report.sketch import BottomK, FrequentItems, LogHistogram, Moments
from gharbal.site import NO_SITE

T = TypeVar("T")
NO_LANG = "(none)"
DEFAULT_MAX_PAGES = 200


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a run the report keeps: everything else is aggregated."""

    max_pages: int = DEFAULT_MAX_PAGES  # kept pages in the page viewer
    rejected_per_reason: int = 5  # rejected pages per reason in the page viewer
    examples: int = 3  # examples per reason in the reasons table
    score_sample: int = 10_000  # documents whose scores feed the score histograms
    chrome_pairs: int = 100_000  # (site, removed line) counters kept by the heavy-hitter sketch
    chrome_chars: int = 300  # removed lines are counted by their first characters
    page_chars: int = 50_000  # text kept per sampled page
    page_lines: int = 5_000  # removed lines kept per sampled page
    detail_docs: int = 20_000  # documents whose removed lines are read in full (text, reason)


FULL = 1 << 64  # above every 64-bit hash


def _cut(k: int, total: int, margin: bool = True) -> int:
    """A hash bound that keeps about ``k`` of ``total`` documents (``4k + 64`` with ``margin``,
    so that a bottom-k sample taken below it is all but surely full): shards skip documents above
    it without waiting for the others."""
    want = 4 * k + 64 if margin else k
    return FULL if total <= want else (want << 64) // total


@dataclass(frozen=True, slots=True)
class Cuts:
    """Per-run hash bounds, from the totals in ``stats.json`` (`Cuts.from_stats`)."""

    details: int = FULL  # removed lines read in full below this
    pages: int = FULL  # kept pages considered for the viewer
    scores: int = FULL  # documents considered for the score histograms
    rejected: tuple[tuple[str, int], ...] = ()  # (reason, bound) for rejected pages

    @classmethod
    def from_stats(cls, stats: dict[str, Any] | None, lim: Limits) -> Cuts:
        if not stats:
            return cls()
        kept = int(stats.get("kept", 0))
        by_reason = stats.get("rejected_by_reason") or {}
        return cls(
            details=_cut(lim.detail_docs, int(stats.get("input", 0)), margin=False),
            pages=_cut(lim.max_pages, kept),
            scores=_cut(lim.score_sample, kept),
            rejected=tuple(
                (r, _cut(lim.rejected_per_reason, int(n))) for r, n in by_reason.items()
            ),
        )


@dataclass(slots=True)
class PageSample:
    """A page the viewer can show."""

    id: str
    shard: int
    status: str  # "kept" or "rejected"
    url: str | None = None
    title: str | None = None
    lang: str | None = None
    site: str = NO_SITE
    reason: str | None = None
    detail: str = ""
    scores: dict[str, Any] = field(default_factory=dict)
    metadata: str = ""  # as JSON, cut short
    text: str | None = None
    truncated: bool = False
    removed: list[dict[str, Any]] = field(default_factory=list)
    removed_dropped: int = 0
    line_map: dict[str, Any] | None = None


@dataclass(slots=True)
class SiteStats:
    pages: int = 0
    kept: int = 0
    lines: int = 0
    removed: int = 0

    def merge(self, other: SiteStats) -> None:
        self.pages += other.pages
        self.kept += other.kept
        self.lines += other.lines
        self.removed += other.removed


@dataclass(slots=True)
class Summary:
    """Everything the report shows that is read from the part files."""

    limits: Limits = field(default_factory=Limits)
    shards: int = 0
    kept: int = 0
    rejected: int = 0
    removed_lines: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    removed_by_reason: Counter[str] = field(default_factory=Counter)
    rejected_examples: dict[str, BottomK[dict[str, Any]]] = field(default_factory=dict)
    removed_examples: dict[str, BottomK[dict[str, Any]]] = field(default_factory=dict)
    langs: Counter[str] = field(default_factory=Counter)
    lang_chars: Counter[str] = field(default_factory=Counter)
    lengths: LogHistogram = field(default_factory=LogHistogram)
    score_moments: dict[str, Moments] = field(default_factory=dict)
    score_sample: BottomK[dict[str, float]] = field(default_factory=lambda: BottomK(0))
    sites: dict[str, SiteStats] = field(default_factory=dict)
    chrome: FrequentItems[tuple[str, str]] = field(default_factory=lambda: FrequentItems(1))
    kept_pages: BottomK[PageSample] = field(default_factory=lambda: BottomK(0))
    rejected_pages: dict[str, BottomK[PageSample]] = field(default_factory=dict)
    unmatched_removed: int = 0
    removed_docs: int = 0  # documents with at least one removed line
    detailed_docs: int = 0  # of those, the ones whose removed lines fed examples and frequent lines
    bad_records: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, limits: Limits) -> Summary:
        return cls(
            limits=limits,
            score_sample=BottomK(limits.score_sample),
            chrome=FrequentItems(limits.chrome_pairs),
            kept_pages=BottomK(limits.max_pages),
        )

    @property
    def lines_total(self) -> int:
        return sum(s.lines for s in self.sites.values())

    def site(self, name: str) -> SiteStats:
        st = self.sites.get(name)
        if st is None:
            st = self.sites[name] = SiteStats()
        return st

    def merge(self, other: Summary) -> None:
        self.shards += other.shards
        self.kept += other.kept
        self.rejected += other.rejected
        self.removed_lines += other.removed_lines
        self.rejected_by_reason.update(other.rejected_by_reason)
        self.removed_by_reason.update(other.removed_by_reason)
        _merge_samples(self.rejected_examples, other.rejected_examples)
        _merge_samples(self.removed_examples, other.removed_examples)
        _merge_samples(self.rejected_pages, other.rejected_pages)
        self.langs.update(other.langs)
        self.lang_chars.update(other.lang_chars)
        self.lengths.merge(other.lengths)
        for name, mom in other.score_moments.items():
            self.score_moments.setdefault(name, Moments()).merge(mom)
        self.score_sample.merge(other.score_sample)
        for name, st in other.sites.items():
            self.site(name).merge(st)
        self.chrome.merge(other.chrome)
        self.kept_pages.merge(other.kept_pages)
        self.unmatched_removed += other.unmatched_removed
        self.removed_docs += other.removed_docs
        self.detailed_docs += other.detailed_docs
        for path, n in other.bad_records.items():
            self.bad_records[path] = self.bad_records.get(path, 0) + n
        self.problems.extend(other.problems)


def _merge_samples(mine: dict[str, BottomK[T]], theirs: dict[str, BottomK[T]]) -> None:
    for key, sample in theirs.items():
        if key in mine:
            mine[key].merge(sample)
        else:
            mine[key] = sample
