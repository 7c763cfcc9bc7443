"""What the dedup aggregations share: the per-document record made in ``observe`` (its index row
and survivor rank) and the *decision files* that ``finalize`` writes for ``apply``.

A decision file, ``<stage dir>/decisions/part-NNNNN.jsonl``, holds one JSON object per document of
shard NNNNN that the stage has something to say about, sorted by ``pos`` (the document's position in
the shard's stream): plain JSON lines, so a person can read them with ``zcat``-free tools.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import orjson

from gharbal.dedup.config import KeepConfig
from gharbal.dedup.hashing import id_hash, survivor_rank
from gharbal.dedup.table import Index, IndexWriter
from gharbal.document import Document
from gharbal.writers.atomic import AtomicOutput, temporary_name

DECISIONS = "decisions"


def record_document(
    index: IndexWriter, doc: Document, keep: KeepConfig, pos: int, texth: int
) -> tuple[int, int, int]:
    """Adds ``doc`` to the shard's index; returns ``(row, rank, idh)``."""
    rank = survivor_rank(doc, keep, index.shard, pos)
    idh = id_hash(doc.id)
    row = index.add(pos, doc.id, rank, idh, texth)
    return row, rank, idh


def cluster_id(kind: str, min_idh: int) -> str:
    """A cluster's name: the kind and the smallest id hash of its members (so the same cluster has
    the same name whatever the input order, worker count or survivor policy)."""
    return f"{kind}-{min_idh:016x}"


def decisions_path(workdir: Path, shard: int) -> Path:
    return workdir / DECISIONS / f"part-{shard:05d}.jsonl"


class DecisionWriter(AtomicOutput):
    """Writes decisions for documents given in increasing dense order, shard after shard (each
    shard's file atomically)."""

    def __init__(self, workdir: Path, index: Index) -> None:
        self.workdir, self.index = workdir, index
        self._shard = -1
        self._f: IO[bytes] | None = None
        self._tmp: Path | None = None
        self.written = 0

    def _open(self, shard: int) -> IO[bytes]:
        while self._shard < shard:
            self._close_current()
            self._shard += 1
            path = decisions_path(self.workdir, self._shard)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = temporary_name(path)
            self._f = self._tmp.open("wb")
        assert self._f is not None
        return self._f

    def _close_current(self) -> None:
        if self._f is not None and self._tmp is not None:
            self._f.close()
            self._tmp.replace(decisions_path(self.workdir, self._shard))
            self._f = self._tmp = None

    def write(self, dense: npt.NDArray[np.int64], records: list[dict[str, Any]]) -> None:
        """``records[k]`` is about document ``dense[k]``; ``pos`` and ``id`` are added."""
        if not len(dense):
            return
        rows = self.index.rows(dense)
        ids = self.index.ids(dense)
        shards = self.index.shard_of_dense(dense)
        for k, rec in enumerate(records):
            f = self._open(int(shards[k]))
            line = {"pos": int(rows["pos"][k]), "id": ids[k], **rec}
            f.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
            self.written += 1

    def close(self) -> None:
        if self.index.num_shards:  # every shard gets a file, empty when nothing was decided
            self._open(self.index.num_shards - 1)
        self._close_current()

    def abort(self) -> None:
        if self._f is not None and self._tmp is not None:
            self._f.close()
            self._tmp.unlink(missing_ok=True)
            self._f = self._tmp = None


def apply_decisions(
    docs: Iterator[Document],
    decisions: dict[int, dict[str, Any]],
    score: str,
    reason: str,
    message: Callable[[dict[str, Any]], str],
) -> Iterator[Document]:
    """A dedup stage's ``apply``: a kept document gets its cluster's size as ``score``, a dropped
    one is rejected with ``reason``, ``message(decision)`` and the cluster, the kept document's id
    and the similarity (1.0 when the decision has none: exact copies) as the rejection's extra."""
    for pos, doc in enumerate(docs):
        d = decisions.get(pos)
        if d is not None and doc.rejection is None:
            if d["kept"]:
                doc.scores[score] = d["size"]
            else:
                doc.reject(
                    reason,
                    message(d),
                    {
                        "cluster": d["cluster"],
                        "kept_id": d["kept_id"],
                        "similarity": d.get("similarity", 1.0),
                        "cluster_size": d["size"],
                    },
                )
        yield doc


def read_decisions(workdir: Path, shard: int) -> dict[int, dict[str, Any]]:
    """This shard's decisions by ``pos`` (empty when the stage decided nothing here)."""
    path = decisions_path(workdir, shard)
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return {rec["pos"]: rec for rec in map(orjson.loads, f)}
