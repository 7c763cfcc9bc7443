"""Bounded summaries for a streaming pass: deterministic samples, heavy hitters, log histograms.

Each one merges with another of its kind, so shards can be summarised separately (in any process)
and combined in shard order with the same result as one pass over everything.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def hash64(text: str) -> int:
    """A stable 64-bit hash of ``text`` (BLAKE2b): the sampling key of a document."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class _Desc:
    """Orders keys in reverse, so that ``heapq`` (a min-heap) keeps the largest key on top."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[int, str]) -> None:
        self.key = key

    def __lt__(self, other: _Desc) -> bool:
        return self.key > other.key


class BottomK(Generic[T]):
    """The ``k`` items with the smallest ``(key, tie)``: a uniform, deterministic sample when keys are
    hashes, whatever the order the items arrive in."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heap: list[tuple[_Desc, int, T]] = []
        self._seq = 0

    def would_take(self, key: int, tie: str = "") -> bool:
        if self.k <= 0:
            return False
        return len(self._heap) < self.k or (key, tie) < self._heap[0][0].key

    def add(self, key: int, tie: str, item: T) -> bool:
        """Offer an item; returns whether it is (for now) in the sample."""
        if not self.would_take(key, tie):
            return False
        self._seq += 1
        entry = (_Desc((key, tie)), self._seq, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        else:
            heapq.heapreplace(self._heap, entry)
        return True

    def merge(self, other: BottomK[T]) -> None:
        for key, tie, item in other.items():
            self.add(key, tie, item)

    def items(self) -> list[tuple[int, str, T]]:
        """``(key, tie, item)``, smallest first."""
        out = [(d.key[0], d.key[1], item) for d, _, item in self._heap]
        out.sort(key=lambda e: (e[0], e[1]))
        return out

    def values(self) -> list[T]:
        return [item for _, _, item in self.items()]

    def __len__(self) -> int:
        return len(self._heap)


class FrequentItems(Generic[K]):
    """Misra-Gries heavy hitters with at most ``capacity`` counters (mergeable, Agarwal et al. 2012).

    Every item seen more than ``error`` times is kept, and a kept count is short of the true count
    by at most ``error`` (``error`` is 0, and counts exact, while fewer than ``capacity`` distinct
    items were seen). ``counts`` may be incremented directly in a hot loop, as long as ``trim()`` is
    called every so often (it lets ``counts`` grow to twice ``capacity`` between reductions)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1)
        self.counts: dict[K, int] = {}
        self.error = 0

    def add(self, item: K, n: int = 1) -> None:
        counts = self.counts
        counts[item] = counts.get(item, 0) + n
        if len(counts) > 2 * self.capacity:
            self._reduce()

    def trim(self) -> None:
        if len(self.counts) > 2 * self.capacity:
            self._reduce()

    def merge(self, other: FrequentItems[K]) -> None:
        counts = self.counts
        for item, n in other.counts.items():
            counts[item] = counts.get(item, 0) + n
        self.error += other.error
        self._reduce()

    def _reduce(self) -> None:
        """Subtract the (capacity+1)-th largest count from every counter, dropping those left at
        zero: at most ``capacity`` remain, each short by at most the amount subtracted."""
        counts = self.counts
        if len(counts) <= self.capacity:
            return
        cut = heapq.nlargest(self.capacity + 1, counts.values())[-1]
        self.error += cut
        kept = {k: c - cut for k, c in counts.items() if c > cut}
        counts.clear()
        counts.update(kept)

    def finish(self) -> None:
        self._reduce()

    def most_common(self, n: int | None = None) -> list[tuple[K, int]]:
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])
        return ranked if n is None else ranked[:n]


class LogHistogram:
    """Counts of non-negative values in bins ten per decade (bin ``b`` holds ``10**(b/10)`` up to
    ``10**((b+1)/10)``); zero has its own bin."""

    PER_DECADE = 10

    def __init__(self) -> None:
        self.bins: Counter[int] = Counter()
        self.zeros = 0
        self.count = 0
        self.total = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value <= 0:
            self.zeros += 1
        else:
            self.bins[math.floor(math.log10(value) * self.PER_DECADE)] += 1

    def merge(self, other: LogHistogram) -> None:
        self.bins.update(other.bins)
        self.zeros += other.zeros
        self.count += other.count
        self.total += other.total

    def edges(self) -> tuple[list[float], list[int]]:
        """Bin edges and counts over the occupied range (empty bins inside it included)."""
        if not self.bins:
            return [], []
        lo, hi = min(self.bins), max(self.bins)
        edges = [10 ** (b / self.PER_DECADE) for b in range(lo, hi + 2)]
        return edges, [self.bins.get(b, 0) for b in range(lo, hi + 1)]

    def quantile(self, q: float) -> float:
        """An estimate (the upper edge of the bin holding the q-th value)."""
        if self.count == 0:
            return 0.0
        rank = q * self.count
        seen = self.zeros
        if seen >= rank:
            return 0.0
        for b in sorted(self.bins):
            seen += self.bins[b]
            if seen >= rank:
                return float(10 ** ((b + 1) / self.PER_DECADE))
        return float(10 ** ((max(self.bins) + 1) / self.PER_DECADE))


class Moments:
    """Count, min, max and mean of a stream of numbers."""

    __slots__ = ("count", "hi", "lo", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.lo = min(self.lo, value)
        self.hi = max(self.hi, value)

    def merge(self, other: Moments) -> None:
        self.count += other.count
        self.total += other.total
        self.lo = min(self.lo, other.lo)
        self.hi = max(self.hi, other.hi)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0
