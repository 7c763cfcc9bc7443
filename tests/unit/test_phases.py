"""Aggregations split a run into phases; the result of one is seen by every shard of the next."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import read_parts

import gharbal.runner.pipeline
from gharbal import Document, Recipe, RunContext
from gharbal.extract import Extract
from gharbal.runner.phases import split_phases
from gharbal.step import Aggregation, Executor, Step


class SiteCount:
    """Counts pages per site over the whole corpus; rejects pages of sites seen only once."""

    name = "site_count"

    def observe(
        self, docs: Iterator[Document], ctx: RunContext, workdir: Path
    ) -> Iterator[Document]:
        counts: Counter[str] = Counter()
        for doc in docs:
            if doc.rejection is None:
                counts[doc.metadata.get("site", "")] += 1
            yield doc
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / f"counts-{ctx.rank:05d}.json").write_text(json.dumps(counts))

    def finalize(self, workdir: Path, num_shards: int, executor: Executor) -> None:
        total: Counter[str] = Counter()
        for i in range(num_shards):
            total.update(json.loads((workdir / f"counts-{i:05d}.json").read_text()))
        (workdir / "sites.json").write_text(json.dumps(total))

    def apply(self, docs: Iterator[Document], ctx: RunContext, workdir: Path) -> Iterator[Document]:
        sites = json.loads((workdir / "sites.json").read_text())
        for doc in docs:
            if doc.rejection is None:
                n = sites[doc.metadata.get("site", "")]
                doc.scores["site_pages"] = n
                if n < 2:
                    doc.reject("dedup.lonely_site", f"site has {n} page")
            yield doc


def test_split_phases() -> None:
    agg = SiteCount()
    ext = Extract(Recipe().extract)
    assert isinstance(agg, Aggregation)
    assert not isinstance(agg, Step)
    phases = split_phases([ext, agg, ext])
    assert [(p.applies, p.steps, p.observes) for p in phases] == [
        (None, (ext,), agg),
        (agg, (ext,), None),
    ]
    assert len(split_phases([ext])) == 1


def test_aggregation_sees_all_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = "A line of text that is long enough to be kept, with the usual words in it. " * 3
    inputs = []
    for shard, sites in enumerate([["a", "b"], ["a", "c"], ["a", "b"]]):
        path = tmp_path / f"in{shard}.jsonl"
        lines = [json.dumps({"id": f"{shard}-{s}", "text": page, "site": s}) for s in sites]
        path.write_text("\n".join([*lines, "{bad json"]) + "\n", encoding="utf-8")
        inputs.append(str(path))

    def plan(recipe: Recipe) -> list[Step | Aggregation]:
        return [SiteCount(), Extract(recipe.extract)]

    out = tmp_path / "out"
    stats = gharbal.runner.pipeline.run(inputs, out, build=plan)
    assert (stats.input, stats.kept, stats.rejected) == (9, 5, 4)
    assert stats.rejected_by_reason == {"read.invalid_json": 3, "dedup.lonely_site": 1}
    kept = {d["id"]: d["scores"]["site_pages"] for d in read_parts(out, "documents")}
    assert kept == {"0-a": 3, "0-b": 2, "1-a": 3, "2-a": 3, "2-b": 2}
    assert "site_count" in stats.step_seconds
    assert "site_count.finalize" in stats.step_seconds
    # The stage's own result stays for inspection; the documents between phases do not.
    assert (out / "stages" / "01-site_count" / "sites.json").is_file()
    assert not (out / "stages" / "01-site_count" / "docs").exists()


def test_intermediate_roundtrip_keeps_every_field(tmp_path: Path) -> None:
    from gharbal import Line
    from gharbal.writers import JsonlPartWriter
    from gharbal.writers.intermediate import read_intermediate, to_record

    doc = Document(
        id="x",
        text="نص",
        url="https://e.org",
        title="t",
        lang="ar",
        html=None,
        metadata={"site": "e.org", "n": [1, 2]},
        scores={"q": 0.5},
        lines=[Line(1, "a"), Line(3, "b")],
        source="f:1",
    )
    doc.lines[1].remove("extract.lines.short", "1 word")  # type: ignore[index]
    gone = Document(id="y")
    gone.reject("read.invalid_json", "f:2: bad")
    path = tmp_path / "part-00000.jsonl.zst"
    with JsonlPartWriter(path) as w:
        w.write(to_record(doc))
        w.write(to_record(gone))
    assert list(read_intermediate(path)) == [doc, gone]
