"""gharbal's near-duplicate stages against datatrove's four MinHash stages, on the same corpus.

Usage (in an environment with the bench extra: ``pip install -e '.[bench]'``)::

    python bench/dedup_vs_datatrove.py [--docs 200000] [--seed 7] [--parts 4] [--out DIR]

The corpus is `dedup_gen`'s (planted clusters; reused when ``DIR/corpus-meta.json`` matches),
by default without tatweel in the copies: datatrove's normaliser strips combining marks but not
tatweel (U+0640, a modifier letter), so with ``--tatweel`` it misses many Arabic copies and the
two tools cannot agree; the bench then shows how many of the pairs only gharbal finds are planted. Each
tool runs end to end in its own fresh process, one worker, reading the same JSONL files and writing
kept documents and dropped ones (gzip JSONL):

- datatrove 0.10.1: ``JsonlReader -> MinhashDedupSignature``, ``MinhashDedupBuckets`` (14 tasks),
  ``MinhashDedupCluster``, ``JsonlReader -> MinhashDedupFilter -> JsonlWriter`` with the default
  ``MinhashConfig`` (5-grams, 14 bands x 8 rows, 64-bit xxhash) and its default text
  normalisation; words are split on whitespace (its default English tokenizer needs spaCy, which is
  slower, so this choice favours datatrove);
- gharbal: ``gharbal.run`` with ``dedup.near`` on (same n-grams and bands; its defaults otherwise)
  and the line cleaner off, so both see the text as given.

For each it prints wall time, CPU time and peak RSS (``VmHWM`` of the process; datatrove's helper
process, a ``multiprocess`` manager, is reported apart: its ``ru_maxrss`` includes what it inherited
at fork), the duplicate pairs each found (all pairs within each
cluster), how far they agree (``|both| / |either|``), and precision and recall against the planted
clusters. The machine may be shared: wall times move with its load, CPU times less.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import dedup_gen


def _peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (``ru_maxrss`` would also count the parent's memory at
    fork, which Linux carries over ``execve``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _usage() -> dict[str, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_s": me.ru_utime + me.ru_stime,
        "peak_rss_mb": _peak_rss_mb(),
        "children_peak_rss_mb": kids.ru_maxrss / 1024,
        "children_cpu_s": kids.ru_utime + kids.ru_stime,
    }


def run_gharbal(inputs: list[Path], work: Path) -> dict[str, Any]:
    import gharbal

    out = work / "gharbal"
    start = time.perf_counter()
    stats = gharbal.run([str(p) for p in inputs], out, dedup_gen.near_recipe())
    wall = time.perf_counter() - start
    return {"wall_s": wall, "removed": stats.rejected_by_reason.get("dedup.near", 0)}


def run_datatrove(inputs: list[Path], work: Path) -> dict[str, Any]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers.jsonl import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class Whitespace(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    base = work / "datatrove"
    folder, pattern = str(inputs[0].parent), "corpus-*.jsonl"
    cfg = MinhashConfig()
    tasks = len(inputs)
    logs = str(base / "logs")
    start = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(folder, glob_pattern=pattern),
            MinhashDedupSignature(
                output_folder=str(base / "signatures"), config=cfg, language=Whitespace()
            ),
        ],
        tasks=tasks,
        workers=1,
        logging_dir=f"{logs}/signatures",
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupBuckets(
                input_folder=str(base / "signatures"),
                output_folder=str(base / "buckets"),
                config=cfg,
            )
        ],
        tasks=cfg.num_buckets,
        workers=1,
        logging_dir=f"{logs}/buckets",
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupCluster(
                input_folder=str(base / "buckets"),
                output_folder=str(base / "remove_ids"),
                config=cfg,
                save_cluster_id=True,
            )
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{logs}/clusters",
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(folder, glob_pattern=pattern),
            MinhashDedupFilter(
                input_folder=str(base / "remove_ids"),
                exclusion_writer=JsonlWriter(str(base / "removed")),
                load_cluster_ids=True,
            ),
            JsonlWriter(str(base / "output")),
        ],
        tasks=tasks,
        workers=1,
        logging_dir=f"{logs}/filter",
    ).run()
    return {"wall_s": time.perf_counter() - start}


def datatrove_clusters(work: Path) -> list[set[str]]:
    import gzip

    groups: dict[int, set[str]] = defaultdict(set)
    for sub in ("output", "removed"):
        for part in sorted((work / "datatrove" / sub).glob("*.jsonl.gz")):
            with gzip.open(part, "rt", encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    cid = rec["metadata"].get("minhash_cluster_id", -1)
                    if cid != -1:
                        groups[cid].add(rec["id"])
    return [g for g in groups.values() if len(g) > 1]


def child(tool: str, work: Path, inputs: list[Path]) -> None:
    """Runs one tool in this (fresh) process and prints its figures as JSON on the last line."""
    result = run_gharbal(inputs, work) if tool == "gharbal" else run_datatrove(inputs, work)
    result.update(_usage())
    print(json.dumps(result))


def measure(tool: str, work: Path, inputs: list[Path]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", tool, "--out", str(work)]
    cmd += ["--inputs", *map(str, inputs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
        raise SystemExit(f"{tool} failed ({proc.returncode})")
    (work / f"{tool}.log").write_text(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def corpus(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[Path]]:
    meta_path = args.out / "corpus-meta.json"
    meta = {"docs": args.docs, "seed": args.seed, "parts": args.parts, "tatweel": args.tatweel}
    paths = [args.out / f"corpus-{i:02d}.jsonl" for i in range(args.parts)]
    if meta_path.is_file() and json.loads(meta_path.read_text()) == meta:
        records = [json.loads(line) for p in paths for line in p.open(encoding="utf-8")]
        return records, paths
    start = time.perf_counter()
    records = dedup_gen.generate(args.docs, args.seed, tatweel=args.tatweel)
    paths = dedup_gen.write_corpus(records, args.out / "corpus.jsonl", args.parts)
    meta_path.write_text(json.dumps(meta))
    print(f"generated {len(records)} documents in {time.perf_counter() - start:.0f} s")
    return records, paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("bench-dedup-vs-datatrove"))
    ap.add_argument(
        "--tatweel",
        action="store_true",
        help="tatweel in Arabic copies (gharbal folds it, datatrove's normaliser does not)",
    )
    ap.add_argument("--child", choices=["gharbal", "datatrove"], help=argparse.SUPPRESS)
    ap.add_argument("--inputs", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.out, args.inputs)
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    records, inputs = corpus(args)
    truth = dedup_gen.pairs_of(dedup_gen.truth_clusters(records))
    results = {}
    for tool in ("datatrove", "gharbal"):
        import shutil

        shutil.rmtree(args.out / tool, ignore_errors=True)
        results[tool] = measure(tool, args.out, inputs)
    found = {
        "datatrove": dedup_gen.pairs_of(datatrove_clusters(args.out)),
        "gharbal": dedup_gen.pairs_of(dedup_gen.gharbal_clusters(args.out / "gharbal")),
    }
    print(f"corpus: {len(records)} documents, {len(truth)} planted duplicate pairs")
    print(
        f"{'tool':<10} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12} {'pairs':>8} "
        f"{'precision':>9} {'recall':>7}"
    )
    for tool, r in results.items():
        p, rc = dedup_gen.score(found[tool], truth)
        print(
            f"{tool:<10} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_rss_mb']:>12.0f} "
            f"{len(found[tool]):>8} {p:>9.4f} {rc:>7.4f}"
        )
    kids = results["datatrove"]
    print(
        f"(datatrove's helper process: ru_maxrss {kids['children_peak_rss_mb']:.0f} MB, "
        f"cpu {kids['children_cpu_s']:.1f} s)"
    )
    d, g = found["datatrove"], found["gharbal"]
    both = len(d & g)
    agree = both / len(d | g) if d | g else 1.0
    print(
        f"agreement on duplicate pairs: {agree:.4f} (|both| {both} / |either| {len(d | g)}; "
        f"only datatrove {len(d - g)}, only gharbal {len(g - d)})"
    )
    for name, only in (("datatrove", d - g), ("gharbal", g - d)):
        if only:
            true = len(only & truth)
            print(f"  only {name}: {true} of {len(only)} are planted pairs")
    speed = results["datatrove"]["wall_s"] / results["gharbal"]["wall_s"]
    mem = results["gharbal"]["peak_rss_mb"] / results["datatrove"]["peak_rss_mb"]
    print(f"gharbal: {speed:.2f}x faster (wall), {mem:.2f}x datatrove's peak RSS")
    ok = speed >= 2 and mem <= 1 and agree >= 0.95
    print("PASS (>= 2x faster, no more memory, >= 95% agreement)" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
