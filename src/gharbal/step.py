"""The step protocol and the context a run carries.

A *step* is any callable ``Iterator[Document] -> Iterator[Document]``. Rejected documents keep flowing
(with ``doc.rejection`` set) so that the sink sees every input document exactly once; a step must pass
them through untouched. Most steps work one document at a time: subclass `DocumentStep` and write
``process``, which never sees a rejected document.

An *aggregation* is a cross-document stage (site statistics, exact and near-duplicate detection,
repeated paragraphs). It splits the run into phases at its position in the pipeline:

1. ``observe`` sees every shard's documents as they flow past (in parallel, one shard per worker) and
   writes what it needs into its own work directory (``OUT/stages/NN-name/``), one file per shard;
2. ``finalize`` runs once all shards are observed, reading those files (never the whole corpus in
   memory) and writing its result into the same directory;
3. ``apply`` sees every shard's documents again, in the next phase, and uses the result (tags
   documents, rejects duplicates, removes lines).

Between phases the documents are kept in intermediate files, so nothing upstream runs twice. Work
directories stay after the run, so each stage's intermediate results can be inspected.

A shard's ``observe`` or a ``finalize`` may run again when an interrupted run is resumed (see
`gharbal.executors.shards`): ``observe`` writes its files under names of its own shard
(``ctx.rank``), replacing what is there, and ``finalize`` replaces its results. ``docs/``,
``shards/`` and ``finalize.json`` in the work directory belong to the runner.

On a cluster whose nodes share only a bucket (`gharbal.nodes`), each call runs in a directory of
its own on some node, with the files it needs fetched there first: ``observe`` nothing, ``finalize``
every shard's observation files, ``apply`` the files ``finalize`` wrote. An aggregation may narrow
the last with an optional ``apply_reads(rank) -> list[str]``: the names (relative to the work
directory) of the files ``apply`` reads for shard ``rank``.
"""

from __future__ import annotations

import abc
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gharbal.document import Document
from gharbal.errors import GharbalError
from gharbal.stats import Stats

if TYPE_CHECKING:
    from gharbal.executors.local import Executor


@dataclass(slots=True)
class RunContext:
    """What travels with a shard: its rank, the worker count, its stats and the output directory."""

    rank: int = 0
    world_size: int = 1
    stats: Stats = field(default_factory=Stats)
    output_dir: Path | None = None
    num_shards: int = 1


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
                try:
                    doc = self.process(doc)
                except GharbalError:
                    raise  # a decision about the run or the shard (config, retry), not the document
                except Exception as exc:
                    # Nothing is lost and the run goes on: the document goes to the rejected
                    # ledger with the step, the exception and where it was raised.
                    doc.reject(f"{self.name}.error", _describe(exc), _where(exc))
                ctx.stats.add_time(self.name, time.perf_counter() - start)
            yield doc


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:499] + "…"


def _where(exc: BaseException) -> dict[str, str]:
    """The innermost frame of the exception's traceback, as ``module.py:line in function``."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return {"exception": type(exc).__name__}
    last = frames[-1]
    return {
        "exception": type(exc).__name__,
        "where": f"{Path(last.filename).name}:{last.lineno} in {last.name}",
    }


@runtime_checkable
class Aggregation(Protocol):
    """A cross-document stage (see the module docstring for the three calls and their order)."""

    name: str

    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        """Pass ``docs`` through unchanged, recording this shard's part in ``workdir``."""
        ...

    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        """Combine the shards' records in ``workdir`` into the stage's result; heavy work may be
        spread with ``executor.map`` (picklable tasks: a local pool or a Ray cluster)."""
        ...

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        """Use the result on this shard's documents (rejected ones passed through)."""
        ...
