"""How long ``gharbal report`` takes on a large run, and how much memory it needs.

    python bench/report_speed.py /tmp/synth --docs 100000 [--workers 2] [--keep]

Writes a synthetic output directory shaped like a real run (documents, rejected, removed_lines, lines,
stats.json): ``--docs`` documents in shards of 1,000, 10% rejected under five reasons, 15 kept lines
and 80 removed lines per page (two thirds of them the site's own repeated chrome), 2,000 sites,
20 languages and eight scores. Then it builds the report and prints the time, documents per second,
peak memory (RSS) and the report's size. Deterministic (seeded).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from gharbal.report import build_report

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "في",
    "من",
    "على",
    "إلى",
    "أن",
    "عن",
    "مع",
    "هذا",
    "التي",
    "الذي",
    "كان",
    "قد",
    "بين",
    "كل",
    "بعد",
    "عند",
]
LANGS = [
    "en",
    "ar",
    "fr",
    "de",
    "es",
    "ru",
    "zh",
    "ja",
    "pt",
    "it",
    "tr",
    "fa",
    "id",
    "nl",
    "pl",
    "ko",
    "vi",
    "uk",
    "cs",
    "sv",
]
REJECT = ["quality.gopher.stopwords", "quality.c4.lines", "dedup.near", "lang.low_score", "pii.x"]
SCORES = [f"quality.gopher_v1.s{i}" for i in range(6)] + ["lang.cld2_v1", "extract.kept_ratio"]


def sentence(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(n)) + "."


def generate(out: Path, docs: int, per_shard: int = 1000) -> None:
    rnd = random.Random(8)
    sites = [f"site{i}.example.com" for i in range(2000)]
    chrome = {s: [f"{s} menu item {j}" for j in range(60)] for s in sites[:50]}
    rejected_by: Counter[str] = Counter()
    removed_by: Counter[str] = Counter()
    totals = Counter[str]()
    for kind in ("documents", "rejected", "removed_lines", "lines", "shards"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    for shard in range(-(-docs // per_shard)):
        name = f"part-{shard:05d}.jsonl.gz"
        with (
            gzip.open(out / "documents" / name, "wb", compresslevel=1) as d,
            gzip.open(out / "rejected" / name, "wb", compresslevel=1) as r,
            gzip.open(out / "removed_lines" / name, "wb", compresslevel=1) as rl,
            gzip.open(out / "lines" / name, "wb", compresslevel=1) as lm,
        ):
            for i in range(min(per_shard, docs - shard * per_shard)):
                doc_id = f"doc/{shard:05d}/{i:04d}"
                site = sites[min(int(rnd.paretovariate(1.2)) - 1, len(sites) - 1)]
                url = f"https://www.{site}/article/{shard}/{i}"
                own = chrome.get(site) or [f"{site} link {j}" for j in range(60)]
                removed_nos = list(range(1, 81))
                kept_nos = list(range(81, 96))
                for no in removed_nos:
                    text = rnd.choice(own) if no % 3 else sentence(rnd, rnd.randint(1, 6))
                    reason = ["extract.lines.short", "extract.lines.repeated"][no % 2]
                    rl.write(
                        orjson.dumps(
                            {
                                "id": doc_id,
                                "line_no": no,
                                "reason": reason,
                                "text": text,
                                "detail": "10 chars, 2 words",
                            },
                            option=orjson.OPT_APPEND_NEWLINE,
                        )
                    )
                    removed_by[reason] += 1
                lm.write(orjson.dumps({"id": doc_id, "kept": kept_nos, "title": None}) + b"\n")
                totals["input"] += 1
                if rnd.random() < 0.1:
                    reason = rnd.choice(REJECT)
                    rec = {
                        "id": doc_id,
                        "url": url,
                        "stage": reason.split(".")[0],
                        "reason": reason,
                        "detail": "cluster 17, similarity 0.91",
                        "source": "",
                    }
                    r.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
                    rejected_by[reason] += 1
                    totals["rejected"] += 1
                    continue
                text = "\n".join(sentence(rnd, rnd.randint(15, 40)) for _ in kept_nos)
                rec = {
                    "id": doc_id,
                    "url": url,
                    "title": sentence(rnd, 6),
                    "text": text,
                    "lang": rnd.choice(LANGS),
                    "scores": {s: round(rnd.random(), 4) for s in SCORES},
                    "metadata": {"warc_date": "2024-01-01"},
                }
                d.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
                totals["kept"] += 1
    stats = {
        "input": totals["input"], "kept": totals["kept"], "rejected": totals["rejected"],
        "removed_lines": sum(removed_by.values()),
        "rejected_by_reason": dict(sorted(rejected_by.items())),
        "removed_lines_by_reason": dict(sorted(removed_by.items())),
        "step_seconds": {"read": 10.0, "extract": 300.0, "quality": 50.0, "dedup_near": 80.0,
                         "write": 20.0},
        "unreadable_files": [],
    }  # fmt: skip
    (out / "stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="reuse OUT if it is already there")
    args = ap.parse_args()
    if not (args.keep and (args.out / "stats.json").exists()):
        shutil.rmtree(args.out, ignore_errors=True)
        start = time.perf_counter()
        generate(args.out, args.docs)
        print(f"generated {args.docs:,} documents in {time.perf_counter() - start:.1f}s")
    size = sum(p.stat().st_size for p in args.out.rglob("part-*"))
    start = time.perf_counter()
    path = build_report(args.out, workers=args.workers)
    took = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    docs = json.loads((args.out / "stats.json").read_text())["input"]
    print(
        f"report of {docs:,} documents ({size / 1e6:,.0f} MB of parts) in {took:.1f}s "
        f"({docs / took:,.0f} documents/s, workers {args.workers}); peak RSS {rss:,.0f} MB "
        f"(largest worker {children:,.0f} MB); report.html {path.stat().st_size / 1e6:.1f} MB",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
