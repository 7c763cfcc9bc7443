"""Shared by the executor, resume and cloud tests: a corpus maker, a pipeline with an aggregation
(importable by worker processes: pool, Ray, a killed subprocess), and output comparison.

Run as a script, it is a `gharbal.run` that tests can kill: ``python -m tests.pipelines IN... -o OUT``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from gharbal import Document, Recipe, RunContext
from gharbal.extract import Extract
from gharbal.step import Aggregation, Executor, Step
from gharbal.writers import PART_DIRS
from tests.conftest import SEED

PARTS = PART_DIRS[:-1]  # documents, rejected, removed_lines, lines (not the markers)


def make_corpus(
    root: Path, files: int, docs: int, sites: int = 5, page_lines: int = 14
) -> list[str]:
    """``files`` JSONL files of ``docs`` records each (plus a broken line in every third file), with
    pages of ``sites`` sites, one site with a single page; a page is ``page_lines`` lines of the seed
    page (Arabic), starting at a different line each time."""
    root.mkdir(parents=True, exist_ok=True)
    page = SEED.read_text(encoding="utf-8").splitlines()
    paths = []
    for f in range(files):
        lines = []
        for d in range(docs):
            n = f * docs + d
            body = (page[n % len(page) :] + page[: n % len(page)])[:page_lines]
            site = "lonely.example" if n == 7 else f"site{n % sites}.example"
            lines.append(
                json.dumps(
                    {"id": f"d{n}", "text": "\n".join(body), "url": f"https://{site}/{n}"},
                    ensure_ascii=False,
                )
            )
        if f % 3 == 2:
            lines.insert(docs // 2, "{not json")
        path = root / f"in-{f:03d}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def _site(doc: Document) -> str:
    return (doc.url or "").split("/")[2] if doc.url else ""


def _shard_counts(workdir: Path, shard: int) -> dict[str, int]:
    data: dict[str, int] = json.loads((workdir / f"counts-{shard:05d}.json").read_text())
    return data


class SiteCount:
    """Pages per site over the whole corpus (its ``finalize`` spreads the reading of the shards'
    counts over the executor); rejects pages of sites seen once."""

    name = "site_count"

    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        counts: Counter[str] = Counter()
        for doc in docs:
            if doc.rejection is None:
                counts[_site(doc)] += 1
            yield doc
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / f"counts-{ctx.rank:05d}.json").write_text(json.dumps(counts, sort_keys=True))

    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        total: Counter[str] = Counter()
        for counts in executor.map(partial(_shard_counts, workdir), list(range(num_shards))):
            total.update(counts)
        (workdir / "sites.json").write_text(json.dumps(total, sort_keys=True))

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        sites = json.loads((workdir / "sites.json").read_text())
        for doc in docs:
            if doc.rejection is None:
                n = sites[_site(doc)]
                doc.scores["site_pages"] = n
                if n < 2:
                    doc.reject("dedup.lonely_site", f"site has {n} page")
            yield doc


def with_site_count(recipe: Recipe) -> list[Step | Aggregation]:
    """A two-phase pipeline: site counts, then extraction."""
    return [SiteCount(), Extract(recipe.extract)]


def files_of(out: Path) -> dict[str, bytes]:
    """Every file of a run's output that must not depend on how it ran, by relative path."""
    found: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        timed = rel.startswith(("shards/", "stats.json", "report.html"))  # report: shows timings
        timed = timed or rel.endswith("finalize.json")
        timed = timed or (rel.startswith("stages/") and "/shards/" in rel)
        if path.is_file() and not timed and rel != "recipe.yaml":  # recipe.yaml: has `workers`
            found[rel] = path.read_bytes()
    return found


def stats_of(out: Path) -> dict[str, Any]:
    """``stats.json`` without timings."""
    stats: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    stats.pop("step_seconds")
    return stats


def assert_same_output(a: Path, b: Path) -> None:
    fa, fb = files_of(a), files_of(b)
    assert sorted(fa) == sorted(fb)
    for rel in fa:
        assert fa[rel] == fb[rel], rel
    assert any(rel.startswith("documents/") for rel in fa)
    assert stats_of(a) == stats_of(b)
    markers = sorted(p.name for p in (a / "shards").iterdir())
    assert markers == sorted(p.name for p in (b / "shards").iterdir())
    assert not list(b.rglob("*.tmp")), "temporary files left behind"


def main() -> None:
    import gharbal

    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    gharbal.run(
        args.inputs,
        args.output,
        Recipe(workers=args.workers),
        resume=args.resume,
        build=with_site_count,
    )


class StopRunError(Exception):
    """Raised by `Stopper`: the run is interrupted as a crash would."""


class Stopper:
    """A progress listener that interrupts the run at the ``after``-th shard it hears of."""

    def __init__(self, after: int) -> None:
        self.after = after

    def __call__(self, n: int) -> None:
        pass

    def start_phase(self, name: str, shards: int, documents: int | None) -> None:
        pass

    def shard_done(self, weight: float) -> None:
        self.after -= 1
        if self.after == 0:
            raise StopRunError


if __name__ == "__main__":
    main()
