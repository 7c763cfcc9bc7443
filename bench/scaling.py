"""Scaling of `gharbal run`: documents/s with 1 and 2 local workers and on a local Ray, same input.

    python bench/scaling.py [--shards 48] [--docs 40] [--repeat 3] [--ray-cpus 2] [--no-ray]

The input is made from the sample crawl bundled with gharbal (41 pages in 13 languages, each page
repeated with a different id): ``--shards`` JSONL files of ``--docs`` pages, so that every worker
has many shards and the last shards' imbalance is small. Each executor is started and warmed up
before it is timed (its processes running, gharbal imported and a small run done in each, so that
lazily loaded data is loaded: start-up is printed separately), then ``gharbal.run`` is timed from
its call to its return (planning, reading, extraction, writing, merging the stats), ``--repeat``
times with the configurations interleaved, so that a change in the machine's load hits all of them
alike. The outputs of all runs are compared
byte for byte. Printed: each run, then the median and best documents/s per configuration and the
ratios to 1 worker, with the load average before and after (the machine may be shared), and for the
local executor the CPU time the run used in all its processes (Linux): on a machine shared with
other jobs the wall-clock ratio says how much CPU the pool got, the CPU time whether parallel runs
do extra work. After each run the same executor also runs a fixed pure-Python loop (no I/O, little
memory; `spin`), and its speed-up is printed as the machine's own ceiling at that moment: on a
virtual machine whose two vCPUs share a host, two busy processes can each run slower than one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import gharbal
from gharbal.executors.local import LocalExecutor


def make_input(root: Path, shards: int, docs: int) -> list[str]:
    sample = files("gharbal") / "data/sample/crawl.jsonl.gz"
    pages = [json.loads(line) for line in gzip.decompress(sample.read_bytes()).splitlines()]
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    n = 0
    for s in range(shards):
        path = root / f"part-{s:04d}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for _ in range(docs):
                page = dict(pages[n % len(pages)])
                page["id"] = f"{page.get('id', 'page')}#{n}"
                f.write(json.dumps(page, ensure_ascii=False) + "\n")
                n += 1
        paths.append(str(path))
    return paths


def spin(n: int) -> int:
    """A pure-Python CPU task with no I/O and little memory: what the machine's cores give."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def ceiling(executor: Any, tasks: int = 8, n: int = 2_000_000) -> float:
    """Seconds ``executor`` takes for ``tasks`` spins (the same work for every executor)."""
    start = time.perf_counter()
    list(executor.map(spin, [n] * tasks))
    return time.perf_counter() - start


def output_bytes(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for kind in ("documents", "rejected", "removed_lines")
        for p in sorted((out / kind).iterdir())
    }


def cpu_seconds(executor: Any) -> float | None:
    """CPU time used so far by this process and a local pool's workers (Linux), None for Ray."""
    if not hasattr(executor, "workers"):
        return None
    total = time.process_time()
    pool = getattr(executor, "_pool", None)
    for pid in getattr(pool, "_processes", None) or {}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=int, default=48)
    parser.add_argument("--docs", type=int, default=40, help="documents per shard")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ray-cpus", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true", help="local executor only")
    parser.add_argument("--workdir", help="where input and outputs go (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gharbal-scaling-") as tmp:
        work = Path(args.workdir or tmp)
        inputs = make_input(work / "input", args.shards, args.docs)
        total = args.shards * args.docs
        print(f"input: {args.shards} shards x {args.docs} documents = {total} documents")
        print(f"cpus: {os.cpu_count()}  load average before: {_load()}")

        executors: dict[str, Any] = {"1 worker": LocalExecutor(1), "2 workers": LocalExecutor(2)}
        if not args.no_ray:
            from gharbal.executors.ray import RayExecutor

            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            executors[f"ray ({args.ray_cpus} cpus)"] = RayExecutor(num_cpus=args.ray_cpus)
        warm_inputs = make_input(work / "warm", 4, 5)
        for i, (name, ex) in enumerate(executors.items()):
            start = time.perf_counter()
            ex.warm_up()  # processes started, gharbal imported in each
            # A small real run, so that what loads lazily on the first page (stopword lists,
            # extractors) is loaded in every worker before the timed runs.
            gharbal.run(warm_inputs, work / f"warm-out-{i}", executor=ex)
            print(f"start-up of {name}: {time.perf_counter() - start:.1f} s (not timed below)")

        rates: dict[str, list[float]] = {name: [] for name in executors}
        spins: dict[str, list[float]] = {name: [] for name in executors}
        cpus: dict[str, list[float]] = {name: [] for name in executors}
        reference: dict[str, bytes] | None = None
        recipe = gharbal.Recipe()
        try:
            for r in range(args.repeat):
                for i, (name, ex) in enumerate(executors.items()):
                    out = work / f"out-{r}-{i}"
                    cpu_before = cpu_seconds(ex)
                    start = time.perf_counter()
                    stats = gharbal.run(inputs, out, recipe, executor=ex)
                    seconds = time.perf_counter() - start
                    cpu_after = cpu_seconds(ex)
                    assert stats.input == total, stats.input
                    rate = stats.input / seconds
                    rates[name].append(rate)
                    cpu = ""
                    if cpu_before is not None and cpu_after is not None:
                        used = cpu_after - cpu_before
                        cpus[name].append(used)
                        cpu = f"  {used:6.1f} CPU s ({used / seconds:.2f} cores busy)"
                    print(f"run {r + 1} {name:>16}: {seconds:6.2f} s  {rate:7.1f} docs/s{cpu}")
                    spins[name].append(ceiling(ex))
                    got = output_bytes(out)
                    if reference is None:
                        reference = got
                    elif got != reference:
                        sys.exit(f"output of {name} differs from the first run's")
        finally:
            for ex in executors.values():
                ex.close()

        print(f"load average after: {_load()}")
        print("outputs: byte-identical across all runs")
        base = statistics.median(rates["1 worker"])
        best_base = max(rates["1 worker"])
        print(f"{'':>16}  {'median':>12}  {'best':>12}  {'x 1 worker (median, best)':>26}")
        for name, values in rates.items():
            med, best = statistics.median(values), max(values)
            print(
                f"{name:>16}  {med:7.1f} docs/s  {best:7.1f} docs/s  "
                f"{med / base:12.2f}x {best / best_base:12.2f}x"
            )
        one_spin = statistics.median(spins["1 worker"])
        print(
            "the machine's own ceiling, a pure-Python loop with no I/O run on the same executors "
            "right after each run (median): "
            + ", ".join(
                f"{name} {one_spin / statistics.median(v):.2f}x" for name, v in spins.items()
            )
        )
        if cpus["1 worker"] and cpus["2 workers"]:
            one, two = statistics.median(cpus["1 worker"]), statistics.median(cpus["2 workers"])
            print(
                f"CPU seconds per run (median): 1 worker {one:.1f}, 2 workers {two:.1f} "
                f"(the pool does {two / one:.2f}x the work of one process; on a machine with 2 "
                "free cores, 2 workers can reach at most "
                f"{2 * one / two:.2f}x less the wait for the last shard)"
            )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
