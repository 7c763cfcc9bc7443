"""Cross-page site statistics: how many pages of a site contain each line (an aggregation stage).

Pages of one site share their chrome (menus, footers, share bars, "related" headings). The stage
counts, for every site, in how many of its pages each normalised line occurs (`line_form`: matching
form, digits folded), and the line classifier reads that count as a feature. It works with one page
of a site (no statistics: the page is judged alone) and gets better with more.

The site of a page is its ``site`` field (kept in ``metadata``) or the registered domain of its
``url`` (`registered_domain`: a small rule, see there). Pages with neither have no site statistics.

As a stage (`SiteStats`, ``OUT/stages/NN-site_stats/``):

1. ``observe``: each shard writes the 64-bit keys ``(site, line)`` of its pages, each distinct line
   once per page, into ``PARTITIONS`` partition files by site (buffers are flushed every
   ``_FLUSH`` keys, so memory per shard stays bounded), and its pages per site (``pages-*.json``);
2. ``finalize``: per partition (in parallel through the executor), the keys of all shards are
   counted and the lines found on two or more pages kept (``lines-PP.keys.npy`` /
   ``lines-PP.counts.npy``, sorted keys; numpy files, loaded without pickle); ``sites.jsonl`` lists
   every site with its pages and its number of shared lines, for inspection;
3. ``apply``: each page gets, for each of its lines, the number of pages of its site containing it
   (``Document.site_lines``), which `gharbal.extract.Extract` hands to the classifier.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import regex

from gharbal.document import Document
from gharbal.extract.features import SiteCounts, line_form
from gharbal.extract.lines import split_lines, too_many_lines
from gharbal.step import RunContext

if TYPE_CHECKING:
    from gharbal.executors.local import Executor

PARTITIONS = 16
_FLUSH = 1 << 20  # keys buffered per shard before they are appended to the partition files
# Second-level labels under which country-code domains register names (bbc.co.uk, abc.net.au,
# alahram.org.eg, ...). A small rule instead of the public-suffix list: no download, no dependency;
# private suffixes (blogspot.com, github.io) count as one site each, which only merges more pages.
_SECOND_LEVEL = frozenset(
    [
        "ac",
        "co",
        "com",
        "edu",
        "gob",
        "gov",
        "govt",
        "gv",
        "info",
        "law",
        "ltd",
        "me",
        "mil",
        "net",
        "nic",
        "nom",
        "or",
        "org",
        "plc",
        "res",
        "sch",
        "web",
    ]
)


_HOST = regex.compile(
    r"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*"
)


def registered_domain(url: str) -> str | None:
    """The registered domain of ``url`` (``news.bbc.co.uk`` -> ``bbc.co.uk``), or None."""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    if not _HOST.fullmatch(host):
        return None
    labels = host.split(".")
    if len(labels) < 2 or host.replace(".", "").isdigit():
        return host or None
    take = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-take:])


def site_of(doc: Document) -> str | None:
    """The site of ``doc``: its ``site`` field, else the registered domain of its url."""
    site = doc.metadata.get("site")
    if isinstance(site, str) and site:
        return site.lower()
    return registered_domain(doc.url) if doc.url else None


def _hash(data: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
    )


def partition_of(site: str) -> int:
    return _hash("site\x00" + site) % PARTITIONS


def line_keys(site: str, texts: list[str]) -> list[int]:
    """The 64-bit key of each line of a page of ``site`` (same form, same key)."""
    prefix = site + "\x00"
    return [_hash(prefix + line_form(t)) for t in texts]


class SiteStats:
    """The ``site_stats`` aggregation (see the module docstring)."""

    name = "site_stats"

    def __init__(self, max_lines: int | None = None) -> None:
        # Pages of more lines are left out: extraction rejects them (extract.too_many_lines).
        self.max_lines = max_lines
        self._lookup: (
            tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], dict[str, int]] | None
        ) = None
        self._lookup_dir: Path | None = None

    # -- observe ----------------------------------------------------------------------------
    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        workdir.mkdir(parents=True, exist_ok=True)
        buffers: list[list[int]] = [[] for _ in range(PARTITIONS)]
        pages: Counter[str] = Counter()
        buffered = 0

        def flush() -> None:
            for p, buf in enumerate(buffers):
                if buf:
                    with (workdir / f"keys-{ctx.rank:05d}-{p:02d}.u64").open("ab") as f:
                        f.write(np.asarray(buf, dtype="<u8").tobytes())
                    buf.clear()

        for stale in workdir.glob(f"keys-{ctx.rank:05d}-*.u64"):
            stale.unlink()
        for doc in docs:
            site = site_of(doc) if self._counted(doc) else None
            if site is not None:
                keys = set(line_keys(site, [ln.text for ln in split_lines(doc.text)]))
                if keys:
                    pages[site] += 1
                    buffers[partition_of(site)].extend(sorted(keys))
                    buffered += len(keys)
                    if buffered >= _FLUSH:
                        flush()
                        buffered = 0
            yield doc
        flush()
        (workdir / f"pages-{ctx.rank:05d}.json").write_text(
            json.dumps(dict(sorted(pages.items())), ensure_ascii=False), encoding="utf-8"
        )

    def _counted(self, doc: Document) -> bool:
        """Whether ``doc`` is a text page that extraction will measure."""
        if doc.rejection is not None or doc.html is not None:
            return False
        return self.max_lines is None or too_many_lines(doc.text, self.max_lines) is None

    # -- finalize ---------------------------------------------------------------------------
    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        pages: Counter[str] = Counter()
        for rank in range(num_shards):
            path = workdir / f"pages-{rank:05d}.json"
            if path.exists():
                pages.update(json.loads(path.read_text(encoding="utf-8")))
        tasks = [(workdir, p, num_shards) for p in range(PARTITIONS)]
        shared: Counter[int] = Counter()
        for part_shared in executor.map(_count_partition, tasks):
            shared.update(part_shared)
        with (workdir / "sites.jsonl").open("w", encoding="utf-8") as out:
            for site, n in sorted(pages.items()):
                part = partition_of(site)
                rec = {"site": site, "pages": n, "partition": part}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        summary = {
            "sites": len(pages),
            "pages": sum(pages.values()),
            "sites_with_5_pages": sum(1 for n in pages.values() if n >= 5),
            "shared_lines": sum(shared.values()),
            "partitions": PARTITIONS,
        }
        (workdir / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")

    # -- apply ------------------------------------------------------------------------------
    def _load(
        self, workdir: Path
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], dict[str, int]]:
        if self._lookup is None or self._lookup_dir != workdir:
            keys, counts = [], []
            for p in range(PARTITIONS):
                keys.append(np.load(workdir / f"lines-{p:02d}.keys.npy", allow_pickle=False))
                counts.append(np.load(workdir / f"lines-{p:02d}.counts.npy", allow_pickle=False))
            all_keys = np.concatenate(keys)
            order = np.argsort(all_keys, kind="stable")
            sites: dict[str, int] = {}
            with (workdir / "sites.jsonl").open(encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    sites[rec["site"]] = int(rec["pages"])
            self._lookup = (all_keys[order], np.concatenate(counts)[order], sites)
            self._lookup_dir = workdir
        return self._lookup

    def counts_for(self, doc: Document, workdir: Path) -> SiteCounts | None:
        """The site statistics of ``doc`` (None when it has no site or the site one page)."""
        site = site_of(doc)
        if site is None:
            return None
        keys, counts, sites = self._load(workdir)
        n_pages = sites.get(site, 0)
        if n_pages < 2:
            return None
        page_keys = np.asarray(
            line_keys(site, [ln.text for ln in split_lines(doc.text)]), dtype=np.uint64
        )
        pos = np.searchsorted(keys, page_keys)
        pos = np.minimum(pos, max(keys.size - 1, 0))
        found = keys[pos] == page_keys if keys.size else np.zeros(page_keys.size, dtype=bool)
        per_line = np.where(found, counts[pos] if keys.size else 1, 1)
        return SiteCounts(pages=n_pages, lines=[int(c) for c in per_line])

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        for doc in docs:
            if self._counted(doc):
                found = self.counts_for(doc, workdir)
                doc.site_lines = None if found is None else (found.pages, tuple(found.lines))
            yield doc


def _count_partition(task: tuple[Path, int, int]) -> Counter[int]:
    """Count one partition's keys over all shards; keep lines on two or more pages."""
    workdir, part, num_shards = task
    chunks = []
    for rank in range(num_shards):
        path = workdir / f"keys-{rank:05d}-{part:02d}.u64"
        if path.exists():
            chunks.append(np.fromfile(path, dtype="<u8"))
    keys = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<u8")
    uniq, counts = np.unique(keys, return_counts=True)
    keep = counts >= 2
    np.save(workdir / f"lines-{part:02d}.keys.npy", uniq[keep].astype("<u8"), allow_pickle=False)
    np.save(
        workdir / f"lines-{part:02d}.counts.npy",
        np.minimum(counts[keep], 2**32 - 1).astype("<u4"),
        allow_pickle=False,
    )
    for rank in range(num_shards):
        (workdir / f"keys-{rank:05d}-{part:02d}.u64").unlink(missing_ok=True)
    return Counter({part: int(keep.sum())})


class SiteStatsMemory:
    """The same statistics kept in memory, for small inputs (evaluation, tests): ``add`` every
    page first, then ask ``counts_for``."""

    def __init__(self) -> None:
        self.keys: Counter[int] = Counter()
        self.pages: Counter[str] = Counter()

    def add(self, doc: Document) -> None:
        site = site_of(doc)
        if site is None or doc.html is not None:
            return
        keys = set(line_keys(site, [ln.text for ln in split_lines(doc.text)]))
        if keys:
            self.pages[site] += 1
            self.keys.update(keys)

    def counts_for(self, doc: Document) -> SiteCounts | None:
        site = site_of(doc)
        if site is None or self.pages[site] < 2:
            return None
        keys = line_keys(site, [ln.text for ln in split_lines(doc.text)])
        return SiteCounts(pages=self.pages[site], lines=[max(self.keys[k], 1) for k in keys])
