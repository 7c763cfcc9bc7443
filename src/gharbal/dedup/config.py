"""The recipe's ``dedup`` section: one typed model per kind of deduplication, plus the survivor
policy and the memory budget they share (imported into `gharbal.recipe`).

::

    dedup:
      exact:      {enabled: false}
      near:       {enabled: false, ngram: 5, bands: 14, rows: 8, seed: 1, min_similarity: 0.7}
      paragraphs: {enabled: false, min_words: 1}
      keep:       {prefer: longest, score: null}
      memory_mb:  32
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from gharbal.config import ConfigModel


class KeepConfig(ConfigModel):
    """Which copy of a duplicate survives: the best document by ``prefer``, ties broken by a hash of
    the document id, then a hash of the normalised text, then input order.

    ``longest`` (most characters of text) and ``score`` (highest ``doc.scores[score]``; documents
    without it come last) give the same survivors whatever the input order and worker count.
    ``first`` keeps the earliest document in input order (shard number, then record number): the
    same for any worker count, but, by definition, it follows the order of the inputs.
    """

    prefer: Literal["longest", "first", "score"] = "longest"
    score: str | None = Field(
        default=None, description="the doc.scores key for prefer: score (higher is better)"
    )

    @model_validator(mode="after")
    def _score_named(self) -> KeepConfig:
        if self.prefer == "score" and not self.score:
            raise ValueError("keep.prefer 'score' needs keep.score (a doc.scores key)")
        return self


class ExactConfig(ConfigModel):
    """Documents whose normalised text (match forms of their words, joined) is the same."""

    enabled: bool = False


class NearConfig(ConfigModel):
    """Near-duplicate documents by MinHash LSH over word n-grams of the normalised text.

    Two documents are candidates when all ``rows`` MinHash values of one of the ``bands`` bands
    agree; the defaults (FineWeb's: 5-grams, 14 bands of 8 rows) catch pairs of Jaccard
    similarity 0.8 with probability 0.92 and 0.9 with 0.9996, and pairs of 0.5 with 0.05. A
    candidate pair whose estimated similarity (the share of the 112 MinHash values that agree) is
    below ``min_similarity`` is not linked (0 links every candidate, as FineWeb does). On the
    planted-duplicates bench (``bench/dedup_gen.py``) 0.7 keeps FineWeb's recall and removes its
    rare false links; 0.8 would lose about a tenth of the pairs of true similarity near 0.8.
    """

    enabled: bool = False
    ngram: int = Field(default=5, ge=1, le=64, description="words per shingle")
    bands: int = Field(default=14, ge=1, le=255)
    rows: int = Field(default=8, ge=1, le=64, description="MinHash values per band")
    seed: int = Field(default=1, ge=0, description="seeds the hash functions")
    min_similarity: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="candidate pairs estimated less similar than this are not linked",
    )


class ParagraphsConfig(ConfigModel):
    """Paragraphs (kept lines) that occur in more than one document (CCNet): every copy but the one
    in the best document by ``keep`` is removed, with reason ``dedup.paragraph``."""

    enabled: bool = False
    min_words: int = Field(
        default=1, ge=1, description="shorter paragraphs are never treated as repeated"
    )


class DedupConfig(ConfigModel):
    exact: ExactConfig = ExactConfig()
    near: NearConfig = NearConfig()
    paragraphs: ParagraphsConfig = ParagraphsConfig()
    keep: KeepConfig = KeepConfig()
    memory_mb: int = Field(
        default=32,
        ge=16,
        description="sort buffers and merge chunks of one dedup process; larger runs spill to disk",
    )

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024
