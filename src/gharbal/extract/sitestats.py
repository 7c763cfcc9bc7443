"""Cross-page site statistics: how many pages of a site contain each line (an aggregation stage).

Pages of one site share their chrome (menus, footers, share bars, "related" headings). The stage
counts, for every site, in how many of its pages each normalised line occurs (`line_form`: matching
form, digits folded), and the line classifier reads that count as a feature. It works with one page
of a site (no statistics: the page is judged exactly as without the stage) and gets better with more.

The site of a page is its ``site`` field (kept in ``metadata``) or the registered domain of its
``url`` (`gharbal.site`: the Public Suffix List). Pages with neither have no site statistics.

A line's key is 64 bits: the FNV-1a hash of its line form (`gharbal.extract.features.form_hashes`:
the C scanner's in-page repeat hash, one pass over the page) mixed with a hash of the site; each
page also gives its site's *page key* once, so counting keys counts pages per site too.

As a stage (`SiteStats`, ``OUT/stages/NN-site_stats/``), in memory that does not grow with the
corpus:

1. ``observe``: each shard appends the distinct keys of each of its pages to ``PARTITIONS``
   partition files by site (``keys-RRRRR-PP.u64``, page keys in ``sitekeys-RRRRR-PP.u64``), held
   back at most ``FLUSH_KEYS`` keys (8 MiB) at a time, and writes its pages per site, sorted by site
   (``pages-RRRRR.jsonl``: the sites of one shard);
2. ``finalize``: per partition (in parallel through the executor), the keys of all shards are
   counted by sorting: read ``MEMORY_BYTES`` (32 MiB) of keys at a time, each piece counted into a
   sorted run on disk, the runs merged (`gharbal.writers.spill`); the lines found on two or more pages
   of their site are written as ``lines-PP.keys.npy`` / ``lines-PP.counts.npy`` (sorted keys) and
   the sites of two or more pages as ``sites-PP.keys.npy`` / ``sites-PP.pages.npy`` (numpy files,
   loaded without pickle). ``sites.jsonl`` lists every site with its pages and partition, merged
   from the shards' sorted page files at most ``MERGE_FILES`` at a time; ``summary.json`` sums up;
3. ``apply``: each page gets, for each of its lines, the number of pages of its site containing it
   (``Document.site_lines``), which `gharbal.extract.Extract` hands to the classifier. The tables
   are memory-mapped, never loaded: a page's lookups touch a few pages of its site's partition.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gharbal.document import Document
from gharbal.extract.features import SiteCounts, form_hashes
from gharbal.extract.lines import too_many_lines
from gharbal.site import site_of as site_of_page
from gharbal.step import Executor, RunContext
from gharbal.writers.spill import NpyAppender, merge_runs, save_npy, whole_groups

U64 = npt.NDArray[np.uint64]

PARTITIONS = 16
FLUSH_KEYS = 1 << 20  # keys held per shard (8 MiB) before they are appended to the partition files
MEMORY_BYTES = 32 << 20  # keys one partition task counts in memory at a time (finalize)
MERGE_FILES = 64  # shards' page files merged at a time into sites.jsonl


def site_of(doc: Document) -> str | None:
    """The site of ``doc`` (`gharbal.site.site_of`: its ``site`` field, else the registered domain of
    its url)."""
    return site_of_page(doc.url, doc.metadata)


def _hash(data: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
    )


def site_hash(site: str) -> int:
    return _hash("site\x00" + site)


def partition_of(site: str) -> int:
    return site_hash(site) % PARTITIONS


_S33 = np.uint64(33)
_C1, _C2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
# The FNV-1a hash of "\n", which no line form is (lines hold no newline): the page key's form.
_PAGE_FORM = ((14695981039346656037 ^ 10) * 1099511628211) % 2**64
_MASK = 2**64 - 1


def _mix(site: int, forms: U64) -> U64:
    """Keys of line forms (their FNV hashes) on ``site`` (its hash): MurmurHash3's finaliser of the
    two XORed, a bijection for a given site, so two lines of a site share a key when their forms do."""
    x = forms ^ np.uint64(site)
    x = (x ^ (x >> _S33)) * _C1
    x = (x ^ (x >> _S33)) * _C2
    mixed: U64 = x ^ (x >> _S33)
    return mixed


def _page_key(site: int) -> int:
    """The key each page gives its site (by its hash) once: counted, the site's number of pages
    (`_mix` of the form ``_PAGE_FORM``, with Python integers: one key)."""
    x = _PAGE_FORM ^ site
    x = ((x ^ (x >> 33)) * 0xFF51AFD7ED558CCD) & _MASK
    x = ((x ^ (x >> 33)) * 0xC4CEB9FE1A85EC53) & _MASK
    return x ^ (x >> 33)


def page_key(site: str) -> int:
    """The page key of ``site`` (see `_page_key`)."""
    return _page_key(site_hash(site))


def _line_texts(text: str) -> list[str]:
    """The texts of `split_lines` (without making `Line` objects)."""
    return [stripped for raw in text.splitlines() if (stripped := raw.strip())]


Table = tuple[npt.NDArray[np.generic], npt.NDArray[np.generic]]
"""Sorted keys and their counts (memory-mapped ``.npy`` files)."""


def _lookup(table: Table, wanted: U64, missing: int) -> list[int]:
    """The counts of ``wanted`` in ``table`` (``missing`` where absent)."""
    keys, values = table
    if not keys.size:
        return [missing] * wanted.size
    pos = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    found = np.asarray(keys[pos]) == wanted
    counts: list[int] = np.where(found, np.asarray(values[pos]), missing).tolist()
    return counts


def measured_as_lines(doc: Document) -> bool:
    """Whether extraction will measure ``doc``'s lines: a text page, or an HTML page already
    rendered to lines (``extract.html.extractor: dom`` keeps the HTML beside its rendering for the
    DOM features; an HTML record comes with no text)."""
    return doc.html is None or doc.text != ""


class SiteStats:
    """The ``site_stats`` aggregation (see the module docstring)."""

    name = "site_stats"

    def __init__(self, max_lines: int | None = None) -> None:
        # Pages of more lines are left out: extraction rejects them (extract.too_many_lines).
        self.max_lines = max_lines
        # Memory maps of each partition's tables, opened when a page of the partition first asks.
        self._tables: dict[int, tuple[Table, Table]] = {}  # (lines, sites) of a partition
        self._tables_dir: Path | None = None

    # -- observe ----------------------------------------------------------------------------
    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        workdir.mkdir(parents=True, exist_ok=True)
        lines: list[list[U64]] = [[] for _ in range(PARTITIONS)]
        sites: list[list[int]] = [[] for _ in range(PARTITIONS)]
        pages: Counter[str] = Counter()
        held = 0

        def flush() -> None:
            for p in range(PARTITIONS):
                for kind, keys in (("keys", lines[p]), ("sitekeys", sites[p])):
                    if keys:
                        with (workdir / f"{kind}-{ctx.rank:05d}-{p:02d}.u64").open("ab") as f:
                            joined = np.concatenate(keys) if kind == "keys" else keys
                            f.write(np.asarray(joined, dtype="<u8").tobytes())
                        keys.clear()

        for pattern in (
            f"keys-{ctx.rank:05d}-*.u64",
            f"sitekeys-{ctx.rank:05d}-*.u64",
            "counted-*",
        ):
            for stale in workdir.glob(pattern):  # an earlier attempt's (a finalize's: outdated)
                stale.unlink()
        for doc in docs:
            site = site_of(doc) if self._counted(doc) else None
            if site is not None:
                texts = _line_texts(doc.text)
                if texts:
                    sh = site_hash(site)
                    keys = np.unique(_mix(sh, form_hashes(texts)))  # each line once per page
                    pages[site] += 1
                    lines[sh % PARTITIONS].append(keys)
                    sites[sh % PARTITIONS].append(_page_key(sh))
                    held += keys.size + 1
                    if held >= FLUSH_KEYS:
                        flush()
                        held = 0
            yield doc
        flush()
        tmp = workdir / f".pages-{ctx.rank:05d}.jsonl.tmp"
        with tmp.open("w", encoding="utf-8") as out:
            for site, n in sorted(pages.items()):
                out.write(json.dumps([site, n], ensure_ascii=False) + "\n")
        os.replace(tmp, workdir / f"pages-{ctx.rank:05d}.jsonl")

    def _counted(self, doc: Document) -> bool:
        """Whether ``doc`` is a text page that extraction will measure."""
        if doc.rejection is not None or not measured_as_lines(doc):
            return False
        return self.max_lines is None or too_many_lines(doc.text, self.max_lines) is None

    # -- finalize ---------------------------------------------------------------------------
    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        tasks = [(workdir, p, num_shards, MEMORY_BYTES) for p in range(PARTITIONS)]
        summary = Counter({"sites": 0, "pages": 0, "sites_with_5_pages": 0, "shared_lines": 0})
        for part in executor.map(_count_partition, tasks):
            summary.update(part)
        _merge_site_pages(workdir, num_shards)
        (workdir / "summary.json").write_text(
            json.dumps({**summary, "partitions": PARTITIONS}, indent=1), encoding="utf-8"
        )

    # -- apply ------------------------------------------------------------------------------
    def _partition(self, workdir: Path, part: int) -> tuple[Table, Table]:
        """(lines, sites) tables of partition ``part``, memory-mapped on first use."""
        if self._tables_dir != workdir:
            self._tables, self._tables_dir = {}, workdir
        found = self._tables.get(part)
        if found is None:

            def load(name: str) -> npt.NDArray[np.generic]:
                arr: npt.NDArray[np.generic] = np.load(
                    workdir / f"{name}.npy", mmap_mode="r", allow_pickle=False
                )
                return arr

            found = self._tables[part] = (
                (load(f"lines-{part:02d}.keys"), load(f"lines-{part:02d}.counts")),
                (load(f"sites-{part:02d}.keys"), load(f"sites-{part:02d}.pages")),
            )
        return found

    def counts_for(self, doc: Document, workdir: Path) -> SiteCounts | None:
        """The site statistics of ``doc`` (None when it has no site or the site one page)."""
        site = site_of(doc)
        if site is None:
            return None
        sh = site_hash(site)
        lines, sites = self._partition(workdir, sh % PARTITIONS)
        (n_pages,) = _lookup(sites, np.asarray([_page_key(sh)], dtype=np.uint64), 1)
        if n_pages < 2:  # alone on its site: judged as without statistics
            return None
        page_keys = _mix(sh, form_hashes(_line_texts(doc.text)))
        return SiteCounts(pages=n_pages, lines=_lookup(lines, page_keys, 1))

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        for doc in docs:
            if self._counted(doc):
                found = self.counts_for(doc, workdir)
                doc.site_lines = None if found is None else (found.pages, tuple(found.lines))
            yield doc


COUNTED = np.dtype([("key", "<u8"), ("count", "<u4")])


def _counted_keys(paths: list[Path], runs: Path, budget: int) -> Iterator[npt.NDArray[np.void]]:
    """The distinct keys of the files ``paths`` with how often each occurs, in key order, as
    chunks; about ``budget`` bytes in memory (pieces counted into sorted runs under ``runs``)."""
    piece = max(budget // 32, 1024)  # np.unique sorts a copy and makes counts and an index
    made: list[Path] = []
    for path in paths:
        with path.open("rb") as f:
            while (keys := np.fromfile(f, dtype="<u8", count=piece)).size:
                uniq, counts = np.unique(keys, return_counts=True)
                rec = np.empty(uniq.size, dtype=COUNTED)
                rec["key"], rec["count"] = uniq, counts
                made.append(runs / f"run-{len(made):06d}.npy")
                save_npy(made[-1], rec)
    if not made:
        return
    for chunk in whole_groups(merge_runs(made, ("key",), budget), ("key",)):
        starts = np.flatnonzero(np.r_[True, chunk["key"][1:] != chunk["key"][:-1]])
        out = np.empty(starts.size, dtype=COUNTED)
        out["key"] = chunk["key"][starts]
        out["count"] = np.minimum(
            np.add.reduceat(chunk["count"].astype(np.uint64), starts), 2**32 - 1
        )
        yield out


def _count_partition(task: tuple[Path, int, int, int]) -> dict[str, int]:
    """Count one partition's keys over all shards: keep lines on two or more pages of their site,
    and sites of two or more pages; return the partition's part of ``summary.json``."""
    workdir, part, num_shards, budget = task
    done = workdir / f"counted-{part:02d}.json"
    if done.is_file():  # a finalize that was interrupted after this partition
        summary: dict[str, int] = json.loads(done.read_text(encoding="utf-8"))
        return summary
    runs = workdir / f"runs-{part:02d}"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()

    def inputs(kind: str) -> list[Path]:
        found = (workdir / f"{kind}-{rank:05d}-{part:02d}.u64" for rank in range(num_shards))
        return [p for p in found if p.exists()]

    summary = {"sites": 0, "pages": 0, "sites_with_5_pages": 0, "shared_lines": 0}
    writers = [
        NpyAppender(workdir / f"{table}-{part:02d}.{column}.npy", np.dtype(dtype))
        for table, column, dtype in (
            ("lines", "keys", "<u8"),
            ("lines", "counts", "<u4"),
            ("sites", "keys", "<u8"),
            ("sites", "pages", "<u4"),
        )
    ]
    try:
        for kind, (keys_out, counts_out) in (
            ("keys", writers[:2]),
            ("sitekeys", writers[2:]),
        ):
            for chunk in _counted_keys(inputs(kind), runs, budget):
                if kind == "sitekeys":
                    summary["sites"] += int(chunk.size)
                    summary["pages"] += int(chunk["count"].sum(dtype=np.uint64))
                    summary["sites_with_5_pages"] += int(np.count_nonzero(chunk["count"] >= 5))
                shared = chunk[chunk["count"] >= 2]
                if kind == "keys":
                    summary["shared_lines"] += int(shared.size)
                keys_out.write(shared["key"])
                counts_out.write(shared["count"])
            for path in runs.iterdir():
                path.unlink()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.close()
    shutil.rmtree(runs, ignore_errors=True)
    tmp = done.with_name(f".{done.name}.tmp")
    tmp.write_text(json.dumps(summary), encoding="utf-8")
    os.replace(tmp, done)
    for kind in ("keys", "sitekeys"):
        for path in inputs(kind):
            path.unlink()
    return summary


def _site_pages(path: Path) -> Iterator[tuple[str, int]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            site, n = json.loads(line)
            yield site, int(n)


def _merged(paths: Iterable[Path]) -> Iterator[tuple[str, int]]:
    """(site, pages) from sorted page files, merged and summed, in site order."""
    streams = [_site_pages(p) for p in paths]
    for site, group in itertools.groupby(heapq.merge(*streams), key=lambda item: item[0]):
        yield site, sum(n for _, n in group)


def _merge_site_pages(workdir: Path, num_shards: int) -> None:
    """``sites.jsonl`` from the shards' ``pages-*.jsonl``, merged ``MERGE_FILES`` at a time (one
    line of each file in memory, whatever the number of sites or shards)."""
    paths = [workdir / f"pages-{rank:05d}.jsonl" for rank in range(num_shards)]
    paths = [p for p in paths if p.exists()]
    merges = workdir / "pages-merged"
    shutil.rmtree(merges, ignore_errors=True)
    level = 0
    while len(paths) > MERGE_FILES:
        merges.mkdir(exist_ok=True)
        merged = []
        for i in range(0, len(paths), MERGE_FILES):
            dest = merges / f"{level:02d}-{i // MERGE_FILES:06d}.jsonl"
            with dest.open("w", encoding="utf-8") as out:
                for site, n in _merged(paths[i : i + MERGE_FILES]):
                    out.write(json.dumps([site, n], ensure_ascii=False) + "\n")
            merged.append(dest)
        if level:
            for p in paths:
                p.unlink()
        paths, level = merged, level + 1
    tmp = workdir / ".sites.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        for site, n in _merged(paths):
            rec = {"site": site, "pages": n, "partition": partition_of(site)}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, workdir / "sites.jsonl")
    shutil.rmtree(merges, ignore_errors=True)
