"""Dedup stages in a real run: the same clusters and survivors whatever the worker count or input
order, what the ledger says about each dropped copy, and repeated paragraphs."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import read_parts

import gharbal
from gharbal import ConfigError, Document, Recipe
from gharbal.dedup import dedup_steps
from gharbal.step import Aggregation, Step
from gharbal.writers.intermediate import from_record, to_record
from gharbal.writers.ledger import rejection_record

PLAIN = {"lines": {"enabled": False}, "title": {"enabled": False}}


def recipe(workers: int = 1, **dedup: Any) -> Recipe:
    # Only extraction and dedup: the synthetic pages are short on purpose (quality would drop them).
    off = {"enabled": False}
    return Recipe.from_dict(
        {
            "workers": workers,
            "extract": PLAIN,
            "lang": off,
            "quality": off,
            "pii": off,
            "dedup": dedup,
        }
    )


def corpus(seed: int = 5) -> tuple[list[dict[str, Any]], list[set[str]]]:
    """Originals in Arabic and Latin script; some with copies (one word changed, spelling noise,
    a chrome line, re-ordered paragraphs)."""
    rng = random.Random(seed)
    latin = [f"w{i}" for i in range(3000)]
    arabic = [
        "".join(rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") for _ in range(5)) for _ in range(3000)
    ]
    records, clusters = [], []
    for c in range(40):
        vocab = arabic if c % 2 else latin
        paras = [[rng.choice(vocab) for _ in range(60)] for _ in range(3)]
        records.append({"id": f"d{c}-0", "text": "\n".join(map(" ".join, paras))})
        if c % 3 == 0:
            members = {f"d{c}-0"}
            for k in (1, 2):
                copy = [p[:] for p in paras]
                copy[k][rng.randrange(60)] = rng.choice(vocab)
                copy[0], copy[2] = copy[2], copy[0]
                text = "\n".join(map(" ".join, copy))
                if c % 2:
                    text = text.replace(copy[1][0], copy[1][0][:2] + "ــ" + copy[1][0][2:] + "ُ", 1)
                else:
                    text = text.upper()
                records.append({"id": f"d{c}-{k}", "text": text + "\nShare on Facebook" * k})
                members.add(f"d{c}-{k}")
            clusters.append(members)
    return records, clusters


def write(records: list[dict[str, Any]], directory: Path, parts: int) -> list[str]:
    directory.mkdir(parents=True)
    paths = [directory / f"in{i}.jsonl" for i in range(parts)]
    for i, path in enumerate(paths):
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[i::parts]),
            encoding="utf-8",
        )
    return [str(p) for p in paths]


def found_clusters(out: Path) -> dict[str, set[str]]:
    """kept id -> the cluster, as the rejected ledger tells it."""
    groups: dict[str, set[str]] = defaultdict(set)
    for rec in read_parts(out, "rejected"):
        if rec["reason"].startswith("dedup."):
            groups[rec["extra"]["kept_id"]].update((rec["id"], rec["extra"]["kept_id"]))
    return dict(groups)


def test_same_clusters_for_any_worker_count_and_input_order(tmp_path: Path) -> None:
    records, planted = corpus()
    inputs = write(records, tmp_path / "a", 3)
    runs = {}
    for name, workers, files in (
        ("one", 1, inputs),
        ("two", 2, inputs),  # a spawn pool: each worker builds the stages from the recipe
        ("shuffled", 1, write(random.Random(1).sample(records, len(records)), tmp_path / "b", 4)),
    ):
        out = tmp_path / f"out-{name}"
        stats = gharbal.run(files, out, recipe(workers, near={"enabled": True}))
        assert stats.rejected_by_reason == {"dedup.near": 2 * len(planted)}
        runs[name] = found_clusters(out)
    assert runs["one"] == runs["two"] == runs["shuffled"]  # same clusters, same survivors
    assert sorted(map(sorted, runs["one"].values())) == sorted(map(sorted, planted))
    # The default survivor is the longest copy: the one with two chrome lines added.
    assert all(kept.endswith("-2") for kept in runs["one"])


def test_near_stage_files_and_ledger(tmp_path: Path) -> None:
    records, planted = corpus()
    out = tmp_path / "out"
    gharbal.run(write(records, tmp_path / "in", 2), out, recipe(near={"enabled": True}))
    stage = out / "stages" / "01-dedup_near"
    for name in ("signatures/part-00000.npy", "index/part-00001.ids", "candidates/band-13.npy"):
        assert (stage / name).is_file(), name
    assert len(list((stage / "buckets" / "band-00").glob("part-*.npy"))) == 2
    sigs = np.load(stage / "signatures" / "part-00000.npy")
    assert sigs.shape[1] == 14 * 8
    assert sigs.dtype == np.uint32
    members = np.load(stage / "clusters.npy")
    assert len(members) == 3 * len(planted)
    summary = json.loads((stage / "summary.json").read_text())
    assert summary["clusters"] == len(planted)
    assert summary["removed"] == 2 * len(planted)
    rejected = [r for r in read_parts(out, "rejected") if r["reason"] == "dedup.near"]
    r = rejected[0]
    assert r["stage"] == "dedup"
    extra = r["extra"]
    assert set(extra) == {"cluster", "kept_id", "similarity", "cluster_size"}
    assert extra["cluster"].startswith("near-")
    assert extra["cluster_size"] == 3
    assert 0.7 <= extra["similarity"] <= 1.0
    assert extra["kept_id"] in r["detail"]
    assert extra["cluster"] in r["detail"]
    kept = {d["id"]: d for d in read_parts(out, "documents")}
    assert kept[extra["kept_id"]]["scores"]["dedup.near_v1.cluster_size"] == 3


def test_exact_dedup_sees_through_spelling(tmp_path: Path) -> None:
    texts = {
        "a": "ذهب الطالب إلى المدرسة في الصباح",
        "b": "ذَهَبَ الطَّالِبُ إلى المـــدرسة، في الصَّباح!",
        "c": "Hello world, this is it.",
        "d": "HELLO WORLD this is it",
        "e": "Hello world, this is not it.",
    }
    path = tmp_path / "in.jsonl"
    path.write_text(
        "".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()), "utf-8"
    )
    out = tmp_path / "out"
    stats = gharbal.run([str(path)], out, recipe(exact={"enabled": True}))
    assert stats.rejected_by_reason == {"dedup.exact": 2}
    rejected = {r["id"]: r["extra"] for r in read_parts(out, "rejected")}
    # Longest survives: b (with its harakat) and c (with its punctuation).
    assert {k: v["kept_id"] for k, v in rejected.items()} == {"a": "b", "d": "c"}
    assert all(
        v["similarity"] == 1.0 and v["cluster"].startswith("exact-") for v in rejected.values()
    )
    assert (out / "stages" / "01-dedup_exact" / "hashes" / "part-00000-000.npy").is_file()


@pytest.mark.parametrize(
    ("keep", "survivor"),
    [({"prefer": "first"}, "a"), ({"prefer": "score", "score": "q"}, "c"), ({}, "b")],
)
def test_keep_policy(tmp_path: Path, keep: dict[str, str], survivor: str) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        ("a", "same words here", 0.1),
        ("b", "Same words, here!", 0.2),
        ("c", "same words here", 0.9),
    ]
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t, _ in rows), "utf-8")

    class Score:
        name = "score"

        def __call__(self, docs: Any, ctx: Any) -> Any:
            for doc in docs:
                doc.scores["q"] = {i: q for i, _, q in rows}[doc.id]
                yield doc

    from gharbal.runner.pipeline import run

    r = recipe(exact={"enabled": True}, keep=keep)
    steps: list[Step | Aggregation] = [Score(), *dedup_steps(r.dedup)]
    run([str(path)], tmp_path / "out", r, build=lambda _: steps)
    kept = [d["id"] for d in read_parts(tmp_path / "out", "documents")]
    assert kept == [survivor]


def test_repeated_paragraphs(tmp_path: Path) -> None:
    shared = "this paragraph was copied onto many pages of the site"
    docs = [
        {"id": "a", "text": f"first page has its own words\n\n{shared}"},
        {"id": "b", "text": f"{shared}\nsecond page is longer than the first one is"},
        {"id": "c", "text": "THIS paragraph was copied onto many pages of the site!"},
        {"id": "d", "text": "a page of its own"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    out = tmp_path / "out"
    stats = gharbal.run([str(path)], out, recipe(paragraphs={"enabled": True}))
    kept = {d["id"]: d["text"] for d in read_parts(out, "documents")}
    # b is the longest page holding the paragraph: it keeps it; a loses it; c, made only of it
    # (in other case and punctuation), is left empty.
    assert kept == {
        "a": "first page has its own words",
        "b": f"{shared}\nsecond page is longer than the first one is",
        "d": "a page of its own",
    }
    assert stats.rejected_by_reason == {"dedup.paragraph": 1}
    removed = read_parts(out, "removed_lines")
    assert [(r["id"], r["line_no"], r["reason"]) for r in removed] == [
        ("a", 3, "dedup.paragraph"),
        ("c", 1, "dedup.paragraph"),
    ]
    assert "kept in b" in removed[0]["detail"]
    assert stats.removed_lines_by_reason == {"dedup.paragraph": 2}


def test_all_three_in_order_and_recipe_checks(tmp_path: Path) -> None:
    r = recipe(exact={"enabled": True}, near={"enabled": True}, paragraphs={"enabled": True})
    assert [s.name for s in gharbal.build_steps(r)] == [
        "render_html",  # extractor dom (the default) renders HTML records before extraction
        "extract",
        "dedup_exact",
        "dedup_near",
        "dedup_paragraphs",
    ]
    assert not any(s.name.startswith("dedup") for s in gharbal.build_steps(Recipe()))
    with pytest.raises(ConfigError, match=r"keep\.score"):
        recipe(keep={"prefer": "score"})
    with pytest.raises(ConfigError, match="min_similarity"):
        recipe(near={"min_similarity": 1.5})
    assert "dedup:" in r.to_yaml()


def test_rejection_extra_round_trips() -> None:
    doc = Document(id="x", text="t")
    doc.reject("dedup.near", "copy", {"cluster": "near-1", "kept_id": "y", "similarity": 0.9})
    assert from_record(to_record(doc)) == doc
    assert rejection_record(doc)["extra"]["kept_id"] == "y"
    plain = Document(id="z")
    plain.reject("read.invalid_json", "bad")
    assert "extra" not in rejection_record(plain)
    old = to_record(plain)
    old["rejection"] = old["rejection"][:2]  # written before ``extra`` existed
    assert from_record(old) == plain


def test_nothing_to_dedup(tmp_path: Path) -> None:
    """Empty shards, rejected documents and documents without words pass through every stage."""
    (tmp_path / "empty.jsonl").write_text("", "utf-8")
    (tmp_path / "few.jsonl").write_text('{bad json\n{"id": "p", "text": "... !!! ..."}\n', "utf-8")
    inputs = [str(tmp_path / "empty.jsonl"), str(tmp_path / "few.jsonl")]
    everything = {"enabled": True}
    r = recipe(exact=everything, near=everything, paragraphs=everything)
    stats = gharbal.run(inputs, tmp_path / "out", r)
    assert (stats.input, stats.kept) == (3, 1)
    assert not any(k.startswith("dedup") for k in stats.rejected_by_reason)


def test_a_small_budget_spills_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gharbal.dedup.config import DedupConfig

    records, _ = corpus()
    inputs = write(records, tmp_path / "in", 2)
    everything = {"enabled": True}
    r = recipe(exact=everything, near=everything, paragraphs=everything)
    gharbal.run(inputs, tmp_path / "big", r)
    monkeypatch.setattr(DedupConfig, "memory_bytes", property(lambda self: 900))
    monkeypatch.setattr("gharbal.dedup.minhash._BATCH", 8)  # signatures 8 documents at a time
    gharbal.run(inputs, tmp_path / "small", r)
    runs = list((tmp_path / "small" / "stages" / "02-dedup_near" / "buckets" / "band-00").iterdir())
    assert len(runs) > 2  # each shard spilled several sorted runs
    for kind in ("documents", "rejected", "removed_lines"):
        assert read_parts(tmp_path / "big", kind) == read_parts(tmp_path / "small", kind)
