"""The per-shard index of the documents a dedup stage saw: ``index/part-NNNNN.npy`` (one row per
document, in stream order) and ``index/part-NNNNN.ids`` (their ids, one JSON string a line).

A document is referred to by ``ref = shard << 32 | row``: refs sort in input order, and
``offsets[shard] + row`` numbers all documents densely (`Index.dense`). ``pos`` is the document's
position in the shard's stream (rejected documents included), which is how ``apply`` finds it again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from gharbal.dedup.spill import Records, save_npy

ROW = np.dtype(
    [("pos", "<u4"), ("rank", "<u8"), ("idh", "<u8"), ("texth", "<u8"), ("id_at", "<u8")]
)


def ref_of(shard: int, row: int) -> int:
    return (shard << 32) | row


def split_refs(refs: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    return (refs >> np.uint64(32)).astype(np.int64), (refs & np.uint64(0xFFFFFFFF)).astype(np.int64)


class IndexWriter:
    """Collects one shard's rows; `close` writes the two files."""

    def __init__(self, workdir: Path, shard: int) -> None:
        self.workdir, self.shard = workdir, shard
        self._rows: list[tuple[int, int, int, int, int]] = []
        self._ids: list[bytes] = []
        self._at = 0

    def add(self, pos: int, doc_id: str, rank: int, idh: int, texth: int) -> int:
        """Records a document; returns its row."""
        line = orjson.dumps(doc_id) + b"\n"
        self._rows.append((pos, rank, idh, texth, self._at))
        self._ids.append(line)
        self._at += len(line)
        return len(self._rows) - 1

    @property
    def count(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        base = self.workdir / "index" / f"part-{self.shard:05d}"
        save_npy(base.with_suffix(".npy"), np.array(self._rows, dtype=ROW))
        tmp = base.with_name(f".{base.name}.ids.tmp")
        tmp.write_bytes(b"".join(self._ids))
        os.replace(tmp, base.with_suffix(".ids"))


class Index:
    """All shards' index files of a stage, for ``finalize``."""

    def __init__(self, workdir: Path, num_shards: int) -> None:
        self.workdir, self.num_shards = workdir, num_shards
        self.counts = np.array([self._rows_in(s) for s in range(num_shards)], dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(self.counts))).astype(np.int64)
        self.total = int(self.offsets[-1])

    def path(self, shard: int, suffix: str) -> Path:
        return self.workdir / "index" / f"part-{shard:05d}{suffix}"

    def _rows_in(self, shard: int) -> int:
        arr = np.load(self.path(shard, ".npy"), mmap_mode="r", allow_pickle=False)
        return int(arr.shape[0])

    def dense(self, refs: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        shard, row = split_refs(refs)
        dense: npt.NDArray[np.int64] = self.offsets[shard] + row
        return dense

    def shard_of_dense(self, dense: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        shard: npt.NDArray[np.int64] = np.searchsorted(self.offsets, dense, side="right") - 1
        return shard

    def rows(self, dense: npt.NDArray[np.int64]) -> Records:
        """Index rows of documents given by dense number (any order)."""
        out = np.empty(len(dense), dtype=ROW)
        shards = self.shard_of_dense(dense)
        for shard in np.unique(shards):
            sel = shards == shard
            table = np.load(self.path(int(shard), ".npy"), mmap_mode="r", allow_pickle=False)
            out[sel] = table[dense[sel] - self.offsets[shard]]
            del table
        return out

    def ids(self, dense: npt.NDArray[np.int64]) -> list[str]:
        """The ids of documents given by dense number (any order)."""
        out: list[str] = [""] * len(dense)
        at = self.rows(dense)["id_at"]
        shards = self.shard_of_dense(dense)
        for shard in np.unique(shards):
            where = np.flatnonzero(shards == shard)
            with self.path(int(shard), ".ids").open("rb") as f:
                for k in where[np.argsort(at[where], kind="stable")]:
                    f.seek(int(at[k]))
                    out[k] = orjson.loads(f.readline())
        return out
