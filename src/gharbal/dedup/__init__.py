"""Deduplication at corpus scale: exact copies (`gharbal.dedup.exact`), near-duplicates by MinHash
LSH (`gharbal.dedup.minhash`) and repeated paragraphs (`gharbal.dedup.paragraphs`), each an
aggregation (`gharbal.step.Aggregation`) with named stages whose files stay in
``OUT/stages/NN-dedup_*/``, in memory bounded by ``dedup.memory_mb``.

They run in this order, after the other steps: exact (cheap, removes identical copies first),
near (clusters of similar documents), paragraphs (shared paragraphs of the documents left).
The copy that survives is chosen by ``dedup.keep`` (`KeepConfig`), the same way in all three.
"""

from __future__ import annotations

from gharbal.dedup.config import DedupConfig, ExactConfig, KeepConfig, NearConfig, ParagraphsConfig
from gharbal.dedup.exact import ExactDedup
from gharbal.dedup.minhash import NearDedup
from gharbal.dedup.paragraphs import ParagraphDedup
from gharbal.step import Aggregation


def dedup_steps(cfg: DedupConfig) -> list[Aggregation]:
    """The dedup aggregations ``cfg`` enables, in pipeline order."""
    steps: list[Aggregation] = []
    if cfg.exact.enabled:
        steps.append(ExactDedup(cfg))
    if cfg.near.enabled:
        steps.append(NearDedup(cfg))
    if cfg.paragraphs.enabled:
        steps.append(ParagraphDedup(cfg))
    return steps


__all__ = [
    "DedupConfig",
    "ExactConfig",
    "KeepConfig",
    "NearConfig",
    "ParagraphsConfig",
    "dedup_steps",
]
