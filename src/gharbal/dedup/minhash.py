"""Near-duplicate documents: MinHash LSH as named stages whose files stay in the stage directory
(``OUT/stages/NN-dedup_near/``) for inspection.

1. **signatures** (``observe``, per shard, in parallel): word n-grams of the normalised text, hashed
   and MinHashed in numpy batches: ``signatures/part-NNNNN.npy`` (documents x bands*rows, uint32)
   and the shard's document index ``index/part-NNNNN.{npy,ids}`` (see `gharbal.dedup.table`).
2. **band buckets** (``observe``): one record per document and band, ``(key, texth, ref)``, where
   ``key`` hashes the band's rows and ``texth`` the document's normalised words; appended to disk
   as they come, and sorted when the shard ends, one band at a time, into runs of at most the
   budget: ``buckets/band-BB/part-NNNNN-RRR.npy``.
3. **candidate pairs** (``finalize``, one task per band through the executor): the runs of a band
   are merged (k-way, in chunks); documents with the same key form a bucket, ordered by ``texth``
   (so the pairs do not depend on input order), and each is paired with the up to 8 documents before
   it in its bucket (just the one before it when pairs are not verified); each pair's similarity is
   estimated from the two signatures: ``candidates/band-BB.npy`` = ``(a, b, similarity)``, ``a`` and
   ``b`` dense document numbers (`gharbal.dedup.table.Index`).
4. **clusters** (``finalize``): pairs with similarity >= ``min_similarity`` are edges of a
   union-find (`gharbal.dedup.clusters`); in each cluster the best document by ``keep`` survives:
   ``clusters.npy`` = ``(doc, root, survivor, similarity to the survivor)`` for every clustered
   document, and one decision per clustered document in ``decisions/part-NNNNN.jsonl``.
5. **filter** (``apply``, per shard): each other member is rejected as ``dedup.near`` with the
   cluster id, the kept document's id and the estimated similarity (also as structured ``extra``
   fields of the rejected record); survivors get the score ``dedup.near_v1.cluster_size``.

``summary.json`` counts what each stage produced.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import shutil
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from gharbal.dedup.clusters import Ints, connected_components, survivors
from gharbal.dedup.config import DedupConfig, NearConfig
from gharbal.dedup.hashing import (
    MinHasher,
    clear_caches,
    estimated_similarity,
    shingle_hashes,
    word_hashes,
)
from gharbal.dedup.stage import (
    DecisionWriter,
    apply_decisions,
    cluster_id,
    decisions_path,
    read_decisions,
    record_document,
)
from gharbal.dedup.table import Index, IndexWriter, ref_of
from gharbal.document import Document
from gharbal.step import Executor, RunContext
from gharbal.writers.spill import (
    NpyAppender,
    NpyReader,
    SpilledRuns,
    merge_runs,
    save_npy,
    whole_groups,
)

BUCKET = np.dtype([("key", "<u8"), ("texth", "<u8"), ("ref", "<u8")])
BUCKET_ORDER = ("key", "texth", "ref")
PAIR = np.dtype([("a", "<u8"), ("b", "<u8"), ("similarity", "<f4")])
MEMBER = np.dtype([("doc", "<u8"), ("root", "<u8"), ("survivor", "<u8"), ("similarity", "<f4")])
SCORE = "dedup.near_v1.cluster_size"
WINDOW = 8  # pairs per bucket member, when pairs are verified (see bucket_pairs)
_BATCH = 512  # documents per signature batch
# Pairs compared at a time: their signatures are read from memory-mapped files, touching a page
# (4 KB) per document, which stays resident until the batch is done; 512 pairs touch at most 4 MB
# (2,048 touched 16 MB, the largest part of the run's peak memory, for no measurable speed).
_VERIFY = 512


class Signatures:
    """Reads signature rows of documents given by dense number. Each shard's file is memory-mapped
    once; after each read the touched pages are dropped from the process (``MADV_DONTNEED``: they
    stay in the page cache), so resident memory stays at one batch's pages."""

    def __init__(self, workdir: Path, index: Index) -> None:
        self.workdir, self.index = workdir, index
        self._maps: dict[int, tuple[mmap.mmap | None, npt.NDArray[np.uint32]]] = {}

    def _rows(self, shard: int) -> tuple[mmap.mmap | None, npt.NDArray[np.uint32]]:
        if shard not in self._maps:
            path = self.workdir / "signatures" / f"part-{shard:05d}.npy"
            reader = NpyReader(path)
            width = reader.row_shape[0] if reader.row_shape else 0
            if reader.rows == 0:
                self._maps[shard] = (None, np.empty((0, width), dtype=np.uint32))
            else:
                with path.open("rb") as f:
                    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                offset = path.stat().st_size - reader.rows * width * 4
                rows = np.frombuffer(mm, dtype="<u4", offset=offset).reshape(reader.rows, width)
                self._maps[shard] = (mm, rows)
        return self._maps[shard]

    def get(self, dense: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
        shards = self.index.shard_of_dense(dense)
        out: npt.NDArray[np.uint32] | None = None
        for shard in np.unique(shards):
            sel = shards == shard
            mm, rows = self._rows(int(shard))
            if out is None:
                out = np.empty((len(dense), rows.shape[1]), dtype=np.uint32)
            out[sel] = rows[dense[sel] - self.index.offsets[shard]]
            if mm is not None and hasattr(mmap, "MADV_DONTNEED"):
                mm.madvise(mmap.MADV_DONTNEED)
        return out if out is not None else np.empty((0, 0), dtype=np.uint32)

    def close(self) -> None:
        maps = [mm for mm, _ in self._maps.values() if mm is not None]
        self._maps = {}  # drops the arrays viewing the maps, which must go before the maps
        for mm in maps:
            # A view still held elsewhere (a traceback's frame, a profiler) keeps its map open
            # until it goes; that is no error.
            with contextlib.suppress(BufferError):
                mm.close()


class NearDedup:
    """The ``dedup_near`` aggregation (see the module docstring for its stages and files)."""

    name = "dedup_near"

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg, self.near = cfg, cfg.near
        self.hasher = MinHasher(self.near.ngram, self.near.bands, self.near.rows, self.near.seed)

    # -- 1-2: signatures and band buckets, per shard ------------------------------------------
    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        shard = ctx.rank
        index = IndexWriter(workdir, shard)
        runs = [
            SpilledRuns(
                workdir / "buckets" / f"band-{b:02d}",
                f"part-{shard:05d}",
                BUCKET,
                BUCKET_ORDER,
                self.cfg.memory_bytes,
            )
            for b in range(self.near.bands)
        ]
        sig_path = workdir / "signatures" / f"part-{shard:05d}.npy"
        batch: list[tuple[int, npt.NDArray[np.uint64], int]] = []  # (row, shingles, texth)
        with NpyAppender(sig_path, np.dtype(np.uint32), (self.hasher.num_perm,)) as sigs:
            for pos, doc in enumerate(docs):
                if doc.rejection is None:
                    wh = word_hashes(doc.text)
                    if len(wh):
                        texth = xxhash.xxh3_64_intdigest(wh.tobytes())
                        row, _, _ = record_document(index, doc, self.cfg.keep, pos, texth)
                        batch.append((row, shingle_hashes(wh, self.near.ngram), texth))
                        if len(batch) >= _BATCH:
                            self._flush(batch, shard, sigs, runs)
                yield doc
            self._flush(batch, shard, sigs, runs)
        for r in runs:
            r.close()
        index.close()

    def _flush(
        self,
        batch: list[tuple[int, npt.NDArray[np.uint64], int]],
        shard: int,
        sigs: NpyAppender,
        runs: list[SpilledRuns],
    ) -> None:
        if not batch:
            return
        signatures = self.hasher.signatures([s for _, s, _ in batch])
        sigs.write(signatures)
        keys = self.hasher.band_keys(signatures)
        refs = np.array([ref_of(shard, row) for row, _, _ in batch], dtype=np.uint64)
        texths = np.array([t for _, _, t in batch], dtype=np.uint64)
        for b, run in enumerate(runs):
            rec = np.empty(len(batch), dtype=BUCKET)
            rec["key"], rec["texth"], rec["ref"] = keys[:, b], texths, refs
            run.add(rec)
        batch.clear()

    # -- 3-4: candidate pairs, clusters, survivors ----------------------------------------------
    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        clear_caches()  # the documents are hashed: their tokens are not needed here
        shutil.rmtree(workdir / "candidates", ignore_errors=True)
        shutil.rmtree(workdir / "decisions", ignore_errors=True)
        # Without verification any spanning pairs will do (a chain); with it, more pairs per
        # bucket give a link more chances to pass.
        window = WINDOW if self.near.min_similarity > 0 else 1
        task = partial(
            band_pairs,
            workdir=workdir,
            num_shards=num_shards,
            budget=self.cfg.memory_bytes,
            window=window,
        )
        band_stats = list(executor.map(task, list(range(self.near.bands))))
        index = Index(workdir, num_shards)
        summary = cluster_and_decide(workdir, index, self.near, self.cfg.memory_bytes)
        summary["band_records"] = sum(s["records"] for s in band_stats)
        summary["candidate_pairs"] = sum(s["pairs"] for s in band_stats)
        summary["documents"] = index.total
        summary["config"] = self.near.model_dump()
        (workdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    def apply_reads(self, rank: int) -> list[str]:
        """What ``apply`` reads of the work directory for shard ``rank`` (`gharbal.runner.nodes`)."""
        return [decisions_path(Path(), rank).as_posix()]

    # -- 5: the filter, per shard -------------------------------------------------------------
    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        return apply_decisions(
            docs,
            read_decisions(workdir, ctx.rank),
            SCORE,
            "dedup.near",
            lambda d: (
                f"near-duplicate of {d['kept_id']} (cluster {d['cluster']}, "
                f"{d['size']} documents, estimated Jaccard {d['similarity']:.2f})"
            ),
        )


def bucket_pairs(key: npt.NDArray[np.uint64], window: int) -> tuple[Ints, Ints]:
    """Pairs ``(i, j)``, ``i < j``, of rows of a sorted chunk with the same key and at most
    ``window`` rows apart: every pair of a bucket of up to ``window + 1`` documents, and a band of
    near neighbours in larger ones."""
    firsts, seconds = [], []
    for d in range(1, window + 1):
        same = np.flatnonzero(key[:-d] == key[d:])
        if not len(same):
            break  # no bucket has more than d members
        firsts.append(same)
        seconds.append(same + d)
    if not firsts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def band_pairs(
    band: int, workdir: Path, num_shards: int, budget: int, window: int
) -> dict[str, int]:
    """Stage 3 for one band (an executor task): merge the band's runs; pair the documents of each
    bucket (`bucket_pairs`, in the order of their text hashes, which does not depend on the input
    order); estimate each pair's similarity. Writes ``candidates/band-BB.npy``."""
    index = Index(workdir, num_shards)
    signatures = Signatures(workdir, index)
    runs = sorted((workdir / "buckets" / f"band-{band:02d}").glob("part-*.npy"))
    records = pairs = 0
    with NpyAppender(workdir / "candidates" / f"band-{band:02d}.npy", PAIR) as out:
        for chunk in whole_groups(merge_runs(runs, BUCKET_ORDER, budget // 2), ("key",)):
            records += len(chunk)
            i, j = bucket_pairs(chunk["key"], window)
            if not len(i):
                continue
            rec = np.empty(len(i), dtype=PAIR)
            rec["a"] = index.dense(chunk["ref"][i])
            rec["b"] = index.dense(chunk["ref"][j])
            for s in range(0, len(i), _VERIFY):
                part = slice(s, s + _VERIFY)
                rec["similarity"][part] = estimated_similarity(
                    signatures.get(rec["a"][part].astype(np.int64)),
                    signatures.get(rec["b"][part].astype(np.int64)),
                )
            out.write(rec)
            pairs += len(i)
    signatures.close()
    return {"records": records, "pairs": pairs}


def _edges(
    workdir: Path, threshold: float
) -> Iterable[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    for path in sorted((workdir / "candidates").glob("band-*.npy")):
        reader = NpyReader(path)
        for chunk in reader:
            keep = chunk["similarity"] >= np.float32(threshold)
            yield chunk["a"][keep].astype(np.int64), chunk["b"][keep].astype(np.int64)


def cluster_and_decide(
    workdir: Path, index: Index, near: NearConfig, budget: int
) -> dict[str, Any]:
    """Stage 4: union-find over the linked pairs, survivors, decisions for ``apply``."""
    n = index.total
    linked = np.zeros(n, dtype=bool)
    edges = 0
    for a, b in _edges(workdir, near.min_similarity):
        linked[a] = True
        linked[b] = True
        edges += len(a)
    parent = connected_components(n, lambda: _edges(workdir, near.min_similarity))
    members = np.flatnonzero(linked).astype(np.int64)
    del linked
    roots = parent[members].astype(np.int64)
    del parent
    rows = index.rows(members)
    survivor, min_idh, size = survivors(members, roots, rows["rank"], rows["idh"], rows["texth"])
    del rows
    signatures = Signatures(workdir, index)
    similarity = np.empty(len(members), dtype=np.float32)
    step = _VERIFY
    for s in range(0, len(members), step):
        similarity[s : s + step] = estimated_similarity(
            signatures.get(members[s : s + step]), signatures.get(survivor[s : s + step])
        )
    signatures.close()
    table = np.empty(len(members), dtype=MEMBER)
    table["doc"], table["root"], table["survivor"] = members, roots, survivor
    table["similarity"] = similarity
    save_npy(workdir / "clusters.npy", table)
    with DecisionWriter(workdir, index) as writer:
        for s in range(0, len(members), step):
            part = slice(s, s + step)
            kept_ids = index.ids(survivor[part])
            records = [
                {
                    "kept": bool(m == k),
                    "cluster": cluster_id("near", int(h)),
                    "size": int(z),
                    "kept_id": kid,
                    "similarity": round(float(sim), 4),
                }
                for m, k, h, z, kid, sim in zip(
                    members[part],
                    survivor[part],
                    min_idh[part],
                    size[part],
                    kept_ids,
                    similarity[part],
                    strict=True,
                )
            ]
            writer.write(members[part], records)
    removed = int(np.count_nonzero(members != survivor))
    return {
        "linked_pairs": edges,
        "clustered_documents": len(members),
        "clusters": len(members) - removed,
        "removed": removed,
    }
