"""One streaming pass over an output directory, shard by shard, into a bounded `Summary`.

Per shard, in this order (the four parts of a shard hold the same documents):

1. ``documents/``: languages, lengths, scores, sites, and a deterministic sample of kept pages
   (the ``max_pages`` documents with the smallest id hash, whatever the shard layout);
2. ``rejected/``: reasons with examples, and a sample of rejected pages per reason;
3. ``removed_lines/``: reasons with examples, lines per site, the most frequent removed lines per
   site (Misra-Gries, bounded), and the removed lines of the sampled pages;
4. ``lines/``: line maps of the sampled pages, title lines per site.

Memory is bounded by the sample sizes in `Limits` plus one ``id -> site`` map per shard. Shard
summaries merge in shard order, so the result does not depend on how many processes made them.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from gharbal.report.pages import kept_lines_of
from gharbal.report.parts import (
    BadLines,
    PartReadError,
    iter_line_batches,
    iter_records,
    parquet_available,
    shard_parts,
)
from gharbal.report.sketch import BottomK, Moments, hash64
from gharbal.report.summary import (
    DEFAULT_MAX_PAGES,
    FULL,
    NO_LANG,
    Cuts,
    Limits,
    PageSample,
    SiteStats,
    Summary,
)
from gharbal.site import NO_SITE, site_of
from gharbal.step import Executor

__all__ = [
    "DEFAULT_MAX_PAGES",
    "NO_LANG",
    "Cuts",
    "Limits",
    "PageSample",
    "Summary",
    "collect",
    "summarise_shard",
]


def _str(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _numeric_scores(scores: object, prefix: str = "") -> dict[str, float]:
    """The finite numbers among a document's scores, nested objects flattened to dotted names."""
    if not isinstance(scores, dict):
        return {}
    out: dict[str, float] = {}
    for name, value in scores.items():
        if isinstance(value, int | float) and math.isfinite(value):
            out[f"{prefix}{name}"] = float(value)
        elif isinstance(value, dict):
            out.update(_numeric_scores(value, f"{prefix}{name}."))
    return out


def _metadata_text(metadata: object, limit: int = 2000) -> str:
    if not metadata:
        return ""
    text = orjson.dumps(metadata, default=str).decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ID_PREFIX = b'{"id":"'


def _id_prefix(line: bytes) -> bytes | None:
    """``{"id":"<id>",``: the bytes every record of one document starts with, when the writer put
    the id first and plainly (no escapes); else ``None`` (then every line is parsed)."""
    if not line.startswith(_ID_PREFIX):
        return None
    end = line.find(b'"', 7)
    if end < 0 or b"\\" in line[7:end]:
        return None
    return line[: end + 2]


def _loads_object(line: bytes) -> dict[str, Any] | None:
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return rec if type(rec) is dict else None


def _truncate(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


class _ShardPass:
    """The state of one shard's pass (see the module docstring for the order)."""

    def __init__(
        self, shard: int, parts: dict[str, list[Path]], limits: Limits, cuts: Cuts
    ) -> None:
        self.shard, self.parts, self.limits, self.cuts = shard, parts, limits, cuts
        self.rejected_cuts = dict(cuts.rejected)
        self.sum = Summary.empty(limits)
        self.sum.shards = 1
        self.bad = BadLines()
        self.info: dict[str, tuple[str, int, bool]] = {}  # id -> (site, hash, kept)
        self.pages: dict[str, PageSample] = {}

    def records(self, kind: str) -> Iterator[dict[str, Any]]:
        for path in self.parts.get(kind, []):
            try:
                yield from self.records_of(path)
            except PartReadError as exc:
                self.sum.problems.append(f"could not read all of {exc}")

    def records_of(self, path: Path) -> Iterator[dict[str, Any]]:
        if path.name.endswith(".parquet") and not parquet_available():
            self.sum.problems.append(f"{path}: Parquet part skipped (pyarrow is not installed)")
            return
        yield from iter_records(path, self.bad)

    def run(self) -> Summary:
        self.documents()
        self.rejected()
        self.pages = {p.id: p for p in self.sum.kept_pages.values()}
        for sample in self.sum.rejected_pages.values():
            for p in sample.values():
                self.pages.setdefault(p.id, p)
        self.removed_lines()
        self.line_maps()
        self.sum.bad_records = dict(self.bad.by_file)
        return self.sum

    def documents(self) -> None:
        s, lim = self.sum, self.limits
        for rec in self.records("documents"):
            doc_id = _str(rec.get("id"))
            text = _str(rec.get("text"))
            lang = _opt_str(rec.get("lang"))
            site = site_of(rec.get("url"), rec.get("metadata")) or NO_SITE
            h = hash64(doc_id)
            self.info[doc_id] = (site, h, True)
            s.kept += 1
            st = s.site(site)
            st.pages += 1
            st.kept += 1
            st.lines += len(kept_lines_of(text))
            s.langs[lang or NO_LANG] += 1
            s.lang_chars[lang or NO_LANG] += len(text)
            s.lengths.add(len(text))
            scores = _numeric_scores(rec.get("scores"))
            for name, value in scores.items():
                mom = s.score_moments.get(name)
                if mom is None:
                    mom = s.score_moments[name] = Moments()
                mom.add(value)
            if scores and h < self.cuts.scores:
                s.score_sample.add(h, doc_id, scores)
            raw_scores = rec.get("scores")
            if h < self.cuts.pages and s.kept_pages.would_take(h, doc_id):
                shown, cut = _truncate(text, lim.page_chars)
                page = PageSample(
                    id=doc_id,
                    shard=self.shard,
                    status="kept",
                    url=_opt_str(rec.get("url")),
                    title=_opt_str(rec.get("title")),
                    lang=lang,
                    site=site,
                    scores=raw_scores if isinstance(raw_scores, dict) else {},
                    metadata=_metadata_text(rec.get("metadata")),
                    text=shown,
                    truncated=cut,
                )
                s.kept_pages.add(h, doc_id, page)

    def rejected(self) -> None:
        s, lim = self.sum, self.limits
        for rec in self.records("rejected"):
            doc_id = _str(rec.get("id"))
            reason = _str(rec.get("reason")) or "unknown"
            url = _opt_str(rec.get("url"))
            detail = _str(rec.get("detail"))
            site = site_of(url) or NO_SITE
            h = hash64(doc_id)
            self.info[doc_id] = (site, h, False)
            s.rejected += 1
            s.site(site).pages += 1
            s.rejected_by_reason[reason] += 1
            examples = s.rejected_examples.get(reason)
            if examples is None:
                examples = s.rejected_examples[reason] = BottomK(lim.examples)
            if examples.would_take(h, doc_id):
                examples.add(h, doc_id, {"id": doc_id, "url": url, "detail": detail})
            sample = s.rejected_pages.get(reason)
            if sample is None:
                sample = s.rejected_pages[reason] = BottomK(lim.rejected_per_reason)
            if h < self.rejected_cuts.get(reason, FULL) and sample.would_take(h, doc_id):
                page = PageSample(
                    id=doc_id,
                    shard=self.shard,
                    status="rejected",
                    url=url,
                    title=_opt_str(rec.get("title")),
                    site=site,
                    reason=reason,
                    detail=detail,
                )
                text = rec.get("text")  # kept with output.rejected_text: true
                if isinstance(text, str):
                    page.text, page.truncated = _truncate(text, lim.page_chars)
                sample.add(h, doc_id, page)

    def removed_lines(self) -> None:
        """The hot loop of a report: a page has tens of removed lines.

        Every line is counted (per site, exactly) by its id alone: the writer puts ``id`` first and
        a page's removed lines next to each other, so a line that starts with the same bytes as the
        one before belongs to the same document and is not parsed. Only the lines of sampled
        documents (hash below ``cuts.details``, and the viewer's pages) are parsed in full, for
        examples and frequent lines.
        """
        s, cuts = self.sum, self.cuts
        same_doc: bytes | None = None  # the bytes every record of the current document starts with
        doc_id: str | None = None
        site, h = NO_SITE, 0
        st = SiteStats()
        page: PageSample | None = None
        offered: set[str] = set()  # reasons this document already gave an example for
        n = 0  # removed lines of the current document, added to its site when it ends
        matched, detailed = True, False
        for path in self.parts.get("removed_lines", []):
            try:
                for batch in self._line_batches(path):
                    for line in batch:
                        rec: dict[str, Any] | None = None
                        if same_doc is None or not line.startswith(same_doc):
                            rec = _loads_object(line)
                            if rec is None:
                                self.bad.add(path)
                                same_doc = None
                                continue
                            same_doc = _id_prefix(line)
                            new_id = _str(rec.get("id"))
                            if new_id != doc_id:
                                self._add_removed(st, n, matched)
                                n, doc_id = 0, new_id
                                found = self.info.get(doc_id)
                                matched = found is not None
                                site, h = found[:2] if found is not None else (NO_SITE, 0)
                                st = s.site(site)
                                page = self.pages.get(doc_id)
                                offered = set()
                                detailed = page is not None or (matched and h < cuts.details)
                                s.detailed_docs += detailed
                                s.removed_docs += 1
                                s.chrome.trim()
                        n += 1
                        if not detailed:
                            continue
                        if rec is None:
                            rec = _loads_object(line)
                            if rec is None:
                                self.bad.add(path)
                                n -= 1
                                continue
                        assert doc_id is not None
                        self._removed_detail(rec, doc_id, site, h, page, offered)
            except PartReadError as exc:
                self.sum.problems.append(f"could not read all of {exc}")
        self._add_removed(st, n, matched)

    def _line_batches(self, path: Path) -> Iterator[list[bytes]]:
        if path.name.endswith(".parquet"):
            yield [orjson.dumps(rec) for rec in self.records_of(path)]
        else:
            yield from iter_line_batches(path)

    def _removed_detail(
        self,
        rec: dict[str, Any],
        doc_id: str,
        site: str,
        h: int,
        page: PageSample | None,
        offered: set[str],
    ) -> None:
        s, lim = self.sum, self.limits
        reason = rec.get("reason")
        if type(reason) is not str or not reason:
            reason = _str(reason) or "unknown"
        text = rec.get("text")
        if type(text) is not str:
            text = _str(text)
        s.removed_by_reason[reason] += 1
        s.chrome.add((site, text[: lim.chrome_chars]))
        if reason not in offered:
            offered.add(reason)
            examples = s.removed_examples.get(reason)
            if examples is None:
                examples = s.removed_examples[reason] = BottomK(lim.examples)
            if examples.would_take(h, doc_id):
                example = {
                    "id": doc_id,
                    "line_no": rec.get("line_no"),
                    "text": text[: lim.chrome_chars],
                    "detail": _str(rec.get("detail")),
                }
                examples.add(h, doc_id, example)
        if page is not None:
            if len(page.removed) < lim.page_lines:
                page.removed.append(
                    {
                        "line_no": rec.get("line_no"),
                        "reason": reason,
                        "text": _truncate(text, lim.page_chars)[0],
                        "detail": _str(rec.get("detail")),
                    }
                )
            else:
                page.removed_dropped += 1

    def _add_removed(self, st: SiteStats, n: int, matched: bool) -> None:
        st.lines += n
        st.removed += n
        self.sum.removed_lines += n
        if not matched:
            self.sum.unmatched_removed += n

    def line_maps(self) -> None:
        s = self.sum
        for rec in self.records("lines"):
            doc_id = _str(rec.get("id"))
            found = self.info.get(doc_id)
            kept = rec.get("kept")
            if not isinstance(kept, list):
                kept = []
            if found is not None:
                st = s.site(found[0])
                st.lines += (rec.get("title") is not None) + (0 if found[2] else len(kept))
            page = self.pages.get(doc_id)
            if page is not None:
                page.line_map = {"kept": kept, "title": rec.get("title")}


def summarise_shard(
    item: tuple[int, dict[str, list[Path]]], limits: Limits, cuts: Cuts | None = None
) -> Summary:
    """The summary of one shard (a top-level function, so a process pool can run it)."""
    shard, parts = item
    return _ShardPass(shard, parts, limits, cuts or Cuts()).run()


def collect(
    out: Path,
    limits: Limits | None = None,
    workers: int = 1,
    on_shard: Callable[[int], object] | None = None,
    stats: dict[str, Any] | None = None,
    executor: Executor | None = None,
    shard_files: dict[int, dict[str, list[Path]]] | None = None,
) -> Summary:
    """Summarise every shard of ``out`` and merge the summaries in shard order.

    With ``stats`` (``stats.json``), shards skip early the documents that cannot end up in a
    sample, and removed lines are read in full for a deterministic sample of about
    ``limits.detail_docs`` documents (they are counted for all). With an ``executor`` (the run's
    own, whose workers are already started), shards are summarised by its workers; otherwise by
    a pool of ``workers`` processes started for this. ``shard_files`` (default `shard_parts` of ``out``)
    names the part files of each shard (on a cluster whose nodes share only a bucket, the
    executor's tasks fetch them: see `gharbal.runner.nodes`)."""
    limits = limits or Limits()
    cuts = Cuts.from_stats(stats, limits)
    total = Summary.empty(limits)
    items = list((shard_parts(out) if shard_files is None else shard_files).items())
    task = partial(summarise_shard, limits=limits, cuts=cuts)
    with contextlib.ExitStack() as stack:
        parts: Iterator[Summary]
        if executor is not None and not executor.inline and len(items) > 1:
            parts = executor.map(task, items)
        elif workers > 1 and len(items) > 1:
            ctx = multiprocessing.get_context("spawn")
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers, mp_context=ctx))
            parts = pool.map(task, items)
        else:
            parts = map(task, items)
        for part in parts:
            total.merge(part)
            if on_shard is not None:
                on_shard(1)
    total.chrome.finish()
    return total
