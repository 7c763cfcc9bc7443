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

from gharbal.writers.spill import Records, save_npy

ROW = np.dtype(
    [("pos", "<u4"), ("rank", "<u8"), ("idh", "<u8"), ("texth", "<u8"), ("id_at", "<u8")]
)


def ref_of(shard: int, row: int) -> int:
    return (shard << 32) | row


def split_refs(refs: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    return (refs >> np.uint64(32)).astype(np.int64), (refs & np.uint64(0xFFFFFFFF)).astype(np.int64)


class IndexWriter:
    """Collects one shard's rows (in numpy blocks: about 40 bytes a document plus its id);
    `close` writes the two files."""

    _BLOCK = 4096

    def __init__(self, workdir: Path, shard: int) -> None:
        self.workdir, self.shard = workdir, shard
        self._blocks: list[Records] = []
        self._block = np.empty(self._BLOCK, dtype=ROW)
        self._filled = 0
        self._ids = bytearray()
        self.count = 0

    def add(self, pos: int, doc_id: str, rank: int, idh: int, texth: int) -> int:
        """Records a document; returns its row."""
        if self._filled == self._BLOCK:
            self._blocks.append(self._block)
            self._block = np.empty(self._BLOCK, dtype=ROW)
            self._filled = 0
        self._block[self._filled] = (pos, rank, idh, texth, len(self._ids))
        self._filled += 1
        self._ids += orjson.dumps(doc_id)
        self._ids += b"\n"
        self.count += 1
        return self.count - 1

    def close(self) -> None:
        base = self.workdir / "index" / f"part-{self.shard:05d}"
        save_npy(
            base.with_suffix(".npy"), np.concatenate([*self._blocks, self._block[: self._filled]])
        )
        tmp = base.with_name(f".{base.name}.ids.tmp")
        tmp.write_bytes(self._ids)
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
