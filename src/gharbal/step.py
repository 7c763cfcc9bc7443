"""The step protocol and the context a run carries.

A *step* is any callable ``Iterator[Document] -> Iterator[Document]``. Rejected documents keep flowing
(with ``doc.rejection`` set) so that the sink sees every input document exactly once; a step must pass
them through untouched. Most steps work one document at a time: subclass `DocumentStep` and write
``process``, which never sees a rejected document.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from gharbal.document import Document
from gharbal.stats import Stats


@dataclass(slots=True)
class RunContext:
    """What travels with a shard: its rank, the worker count, its stats and the output directory."""

    rank: int = 0
    world_size: int = 1
    stats: Stats = field(default_factory=Stats)
    output_dir: Path | None = None


@runtime_checkable
class Step(Protocol):
    """A pipeline step: documents in, documents out (rejected ones passed through)."""

    name: str

    def __call__(self, docs: Iterator[Document], ctx: RunContext) -> Iterator[Document]: ...


class DocumentStep(abc.ABC):
    """A step that handles one document at a time; rejected documents bypass ``process``."""

    name = "step"

    @abc.abstractmethod
    def process(self, doc: Document) -> Document:
        """Return the document, changed, or with ``doc.reject(...)`` called."""

    def __call__(self, docs: Iterator[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            if doc.rejection is None:
                start = time.perf_counter()
                doc = self.process(doc)
                ctx.stats.add_time(self.name, time.perf_counter() - start)
            yield doc
