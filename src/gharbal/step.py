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
`gharbal.runner.shards`): ``observe`` writes its files under names of its own shard
(``ctx.rank``), replacing what is there, and ``finalize`` replaces its results. ``docs/``,
``shards/`` and ``finalize.json`` in the work directory belong to the runner.

On a cluster whose nodes share only a bucket (`gharbal.runner.nodes`), each call runs in a directory of
its own on some node, with the files it needs fetched there first: ``observe`` nothing, ``finalize``
every shard's observation files, ``apply`` the files ``finalize`` wrote. An aggregation may narrow
the last with an optional ``apply_reads(rank) -> list[str]``: the names (relative to the work
directory) of the files ``apply`` reads for shard ``rank``.

Line operations. A step that removes lines works on `text_lines` and rebuilds the text with
`join_kept`, so that every removed line, whichever step removed it, carries its number in the page
the lines were first made from (`split_lines` of the original page text; of the extracted text for an
extractor that makes text without lines, as resiliparse's): ``doc.lines`` keeps them all.
"""

from __future__ import annotations

import abc
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from gharbal.document import Document, Line, Verdict
from gharbal.errors import GharbalError
from gharbal.stats import Stats

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs picklable tasks; ``inline`` says whether they run in the calling process.

    An executor whose workers may run on other machines, which do not see this process's disk,
    says so with ``shares_disk = False`` (read with ``getattr``, True when absent): a run into an
    output URL then stages nothing on a shared disk (see `gharbal.runner.nodes`)."""

    inline: bool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``fn(item)`` for every item, results yielded in item order."""
        ...


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


def split_lines(text: str) -> list[Line]:
    """The non-blank lines of ``text`` with their 1-based physical line numbers (as
    ``str.splitlines`` counts lines), stripped."""
    return [
        Line(no, stripped)
        for no, raw in enumerate(text.splitlines(), 1)
        if (stripped := raw.strip())
    ]


def join_kept(lines: list[Line]) -> str:
    """Kept lines, separated as in the original: a blank line stays a blank line."""
    keep = Verdict.KEEP
    return join_lines([ln for ln in lines if ln.verdict is keep])


def join_lines(lines: list[Line]) -> str:
    """``lines`` joined by one newline, or by a blank line where a line was skipped between
    them."""
    parts: list[str] = []
    prev_no: int | None = None
    for ln in lines:
        if prev_no is not None:
            parts.append("\n\n" if ln.no - prev_no > 1 else "\n")
        parts.append(ln.text)
        prev_no = ln.no
    return "".join(parts)


def text_lines(doc: Document) -> list[Line]:
    """The lines of ``doc``'s current text, numbered in the original page: its kept lines, when
    they make the text (``doc`` is not changed; a step removing some calls `rebuild` after).

    A page without lines yet (an extractor that makes text, no lines) gets the lines of its text.
    When a step changed the text without its lines (a user's step; a redaction that spanned two
    lines), new lines are made for the current text: a line found among the kept ones keeps its
    number, the others are paired in order with the kept lines they replace, and a line beyond
    those takes the number of the line before it (`difflib` matching, on the rare pages that need
    it).
    """
    if doc.lines is None:
        return split_lines(doc.text)
    keep = Verdict.KEEP
    kept = [ln for ln in doc.lines if ln.verdict is keep]
    texts = [ln.text for ln in split_lines(doc.text)]
    if len(texts) == len(kept) and all(a.text == b for a, b in zip(kept, texts, strict=True)):
        return kept
    return _renumber(kept, texts)


def rebuild(doc: Document, lines: list[Line]) -> None:
    """After a step removed some of ``lines`` (from `text_lines`): ``doc.lines`` holds them in place
    of the kept lines they stand for, after the lines removed before, and ``doc.text`` is made of
    the kept ones."""
    if doc.lines is None:
        doc.lines = lines
    elif not lines or not any(ln is lines[0] for ln in doc.lines):  # new lines (see text_lines)
        keep = Verdict.KEEP
        merged = [ln for ln in doc.lines if ln.verdict is not keep] + lines
        merged.sort(key=lambda ln: ln.no)  # stable: at one number, a line removed before first
        doc.lines = merged
    doc.text = join_kept(doc.lines)


def _renumber(kept: list[Line], texts: list[str]) -> list[Line]:
    """New kept lines for ``texts``, numbered after the old kept lines they match or replace."""
    import difflib  # only for pages whose text changed without its lines

    out: list[Line] = []
    first = kept[0].no if kept else 1
    matcher = difflib.SequenceMatcher(None, [ln.text for ln in kept], texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "delete":
            continue
        for k, j in enumerate(range(j1, j2)):
            paired = op == "equal" or i1 + k < i2
            out.append(Line(kept[i1 + k].no if paired else out[-1].no if out else first, texts[j]))
    return out
