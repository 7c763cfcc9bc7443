"""What site statistics cost `gharbal run`: the same input with them on (the default) and off.

    python bench/site_stats_cost.py [--pages 6000] [--files 6] [--workers 1] [--repeat 2]
    python bench/site_stats_cost.py --stage-pages 20000,80000 --no-run   # the stage's memory

1. Writes ``--files`` gzip JSONL files holding ``--pages`` pages between them. The pages are the
   development set's ``page_text`` (``/work/shared/data/dev/*.jsonl.gz`` or ``--dev DIR``: 1,891
   pages of 1,298 sites, 159 of them with 2 to 84 pages), copied round after round under new site
   names (round ``r`` of site ``S`` is site ``rR.S``, so every round has the same site structure),
   shuffled with a fixed seed and cut at ``--pages``. Without the development set, the sample crawl
   bundled with gharbal and the tests' Arabic fixtures are grouped into sites of 2 to 12 pages,
   each site with its own menu, share bar and footer lines.
2. Runs ``python -m gharbal run INPUT -o OUT --workers W`` as a child process, with site statistics
   (the default) and with ``--no-site-stats``, ``--repeat`` times, the two interleaved so that a
   change in the machine's load hits both alike.
3. Prints, per run, wall seconds, pages/s, CPU seconds (user + system, ``wait4``: what a busy
   shared machine disturbs least), the peak RSS of the process tree (``/proc``, sampled
   every 100 ms) and the kernel's peak RSS of the largest process (``ru_maxrss``), and the
   ``step_seconds`` of ``stats.json``; then the medians and the ratio on/off. It also checks that
   every page alone on its site came out byte for byte the same with and without statistics.
4. With ``--stage-pages``, runs the ``site_stats`` stage alone (observe, finalize, apply; no other
   step) on that many pages made the same way, 1,000 a shard, each size in a fresh process, and
   prints its times and peak RSS (``ru_maxrss``): what the stage holds as the corpus grows.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEV = Path("/work/shared/data/dev")
SEED = 11

# --- input ----------------------------------------------------------------------------------------


def dev_sites(dev: Path) -> dict[str, list[tuple[str, str]]]:
    """Site -> its pages ``(id, page_text)`` from the development set's files."""
    sites: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in sorted(dev.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                text = rec.get("page_text")
                if text:
                    site = (rec.get("site") or rec.get("url") or rec["id"]).lower()
                    sites[site].append((str(rec["id"]), text))
    return dict(sites)


_MENU = ["Home", "News", "World", "Business", "Sport", "Culture", "Opinion", "Video", "Weather"]


def fallback_sites() -> dict[str, list[tuple[str, str]]]:
    """Sites of 2-12 pages made from the bundled sample and the tests' Arabic fixtures, each site
    with its own chrome (menu, share bar, footer) around its pages' own text."""
    sample = files("gharbal") / "data/sample/crawl.jsonl.gz"
    texts = [json.loads(line)["text"] for line in gzip.decompress(sample.read_bytes()).splitlines()]
    fixtures = HERE.parent / "tests" / "fixtures"
    texts += [p.read_text(encoding="utf-8") for p in sorted(fixtures.rglob("*.txt"))]
    rng = random.Random(SEED)
    sites: dict[str, list[tuple[str, str]]] = {}
    n = 0
    for s in range(len(texts)):
        name = f"site{s:03d}.example"
        menu = " | ".join(rng.sample(_MENU, 6))
        chrome = [
            menu,
            f"Follow {name} on social media",
            f"© {2000 + s} {name}. All rights reserved",
        ]
        pages = []
        for _ in range(rng.randint(2, 12)):
            body = texts[n % len(texts)]
            n += 1
            pages.append((f"{name}/{n}", "\n".join([chrome[0], body, chrome[1], chrome[2]])))
        sites[name] = pages
    return sites


def make_input(root: Path, pages: int, parts: int, dev: Path | None) -> tuple[int, Counter[int]]:
    """Write the input files (see the module docstring); (pages written, sites by page count)."""
    sites = dev_sites(dev) if dev is not None else fallback_sites()
    per_round = sum(len(v) for v in sites.values())
    records: list[dict[str, str]] = []
    r = 0
    while len(records) < pages:
        for site, site_pages in sorted(sites.items()):
            for page_id, text in site_pages:
                records.append({"id": f"r{r}/{page_id}", "site": f"r{r}.{site}", "text": text})
        r += 1
    rng = random.Random(SEED)
    rng.shuffle(records)
    records = records[:pages]
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("part-*.jsonl.gz"):
        stale.unlink()
    for k in range(parts):
        chunk = records[k * len(records) // parts : (k + 1) * len(records) // parts]
        with gzip.open(
            root / f"part-{k:03d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=6
        ) as f:
            for rec in chunk:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    sizes = Counter(Counter(rec["site"] for rec in records).values())
    print(
        f"input: {len(records)} pages in {parts} files ({'development set' if dev else 'fallback'}"
        f", {per_round} pages a round), {sum(sizes.values())} sites, "
        f"{sum(n for k, n in sizes.items() if k >= 2)} of them with 2 or more pages "
        f"({sum(k * n for k, n in sizes.items() if k >= 2)} pages)"
    )
    return len(records), sizes


# --- measuring ------------------------------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """RSS in bytes of ``root`` and its descendants (Linux ``/proc``; the children of each
    process from ``/proc/PID/task/TID/children``: no scan of every process)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * page
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", encoding="ascii") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:  # a process that just ended
            continue
    return total


@dataclass
class Result:
    label: str
    seconds: float
    pages: int
    tree_mib: float
    process_mib: float
    steps: dict[str, float]
    cpu: float  # user + system seconds of the run's processes (less sensitive to a busy machine)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def run_once(label: str, inputs: Path, out: Path, workers: int, extra: list[str]) -> Result:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "gharbal", "run", str(inputs), "-o", str(out)]
    cmd += ["--workers", str(workers), *extra]
    log = out.with_suffix(".log")
    start = time.perf_counter()
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{log.read_text(errors='replace')[-3000:]}")
    stats: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    return Result(
        label, seconds, int(stats["input"]), peak / 2**20, usage.ru_maxrss / 1024,
        stats["step_seconds"], usage.ru_utime + usage.ru_stime,
    )  # fmt: skip


def _documents(out: Path) -> dict[str, str]:
    docs: dict[str, str] = {}
    for part in sorted((out / "documents").glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            for line in f:
                docs[json.loads(line)["id"]] = line
    return docs


def alone_identical(inputs: Path, on: Path, off: Path) -> tuple[int, int]:
    """(pages alone on their site, how many of them came out the same with and without stats)."""
    site_of: dict[str, str] = {}
    for part in sorted(inputs.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                site_of[rec["id"]] = rec["site"]
    pages = Counter(site_of.values())
    alone = [i for i, s in site_of.items() if pages[s] == 1]
    a, b = _documents(on), _documents(off)
    return len(alone), sum(1 for i in alone if a.get(i) == b.get(i))


def _stage_child(pages: int, work: Path, dev: Path | None) -> None:
    """The ``site_stats`` stage alone (observe, finalize, apply) on ``pages`` pages made as the
    input is (rounds of the same sites under new names), 1,000 pages a shard, never all in memory;
    prints one JSON line."""
    import resource

    from gharbal import Document, RunContext
    from gharbal.executors.local import LocalExecutor
    from gharbal.extract.sitestats import SiteStats

    sites = dev_sites(dev) if dev is not None else fallback_sites()
    flat = [(site, pid, text) for site, items in sorted(sites.items()) for pid, text in items]
    per_shard = 1000
    shards = (pages + per_shard - 1) // per_shard

    def shard(rank: int) -> Iterator[Document]:
        for i in range(rank * per_shard, min(pages, (rank + 1) * per_shard)):
            site, pid, text = flat[i % len(flat)]
            r = i // len(flat)
            yield Document(id=f"r{r}/{pid}", text=text, metadata={"site": f"r{r}.{site}"})

    stage, workdir = SiteStats(), work / "stage"
    shutil.rmtree(workdir, ignore_errors=True)
    start = time.perf_counter()
    for rank in range(shards):
        for _ in stage.observe(shard(rank), RunContext(rank=rank), workdir):
            pass
    observed = time.perf_counter()
    stage.finalize(workdir, shards, LocalExecutor(1))
    finalized = time.perf_counter()
    with_stats = 0
    for rank in range(shards):
        for doc in stage.apply(shard(rank), RunContext(rank=rank), workdir):
            with_stats += doc.site_lines is not None
    done = time.perf_counter()
    summary = json.loads((workdir / "summary.json").read_text(encoding="utf-8"))
    tables = sum(p.stat().st_size for p in workdir.glob("*.npy"))
    print(
        json.dumps(
            {
                "pages": pages,
                "observe_s": observed - start,
                "finalize_s": finalized - observed,
                "apply_s": done - finalized,
                "with_stats": with_stats,
                "shared_lines": summary["shared_lines"],
                "tables_mib": tables / 2**20,
                "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def stage_memory(sizes: list[int], work: Path, dev: Path | None) -> None:
    """Peak RSS of the stage alone at each size, each in a fresh process."""
    print("the site_stats stage alone (observe, finalize, apply), one process each:")
    for pages in sizes:
        cmd = [sys.executable, __file__, "--stage-child", str(pages), str(work)]
        cmd += [str(dev)] if dev is not None else []
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(
            f"  {res['pages']:>7} pages: observe {res['observe_s']:6.1f} s, finalize "
            f"{res['finalize_s']:5.1f} s, apply {res['apply_s']:6.1f} s; {res['with_stats']} pages "
            f"with statistics, {res['shared_lines']} shared lines ({res['tables_mib']:.1f} MiB of "
            f"tables); peak RSS {res['max_rss_mib']:.0f} MiB",
            flush=True,
        )


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--stage-child":
        dev_arg = Path(sys.argv[4]) if len(sys.argv) == 5 else None
        _stage_child(int(sys.argv[2]), Path(sys.argv[3]), dev_arg)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=6000)
    parser.add_argument("--files", type=int, default=6, help="input files (shards)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dev", type=Path, default=DEV, help="development set (page_text)")
    parser.add_argument("--fallback", action="store_true", help="ignore the development set")
    parser.add_argument("--workdir", type=Path, help="where input and outputs go (default: temp)")
    parser.add_argument(
        "--stage-pages",
        help="also run the stage alone on these numbers of pages (comma-separated, e.g. "
        "20000,80000) and print its peak RSS: memory that does not grow with the pages",
    )
    parser.add_argument("--no-run", action="store_true", help="only --stage-pages")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gharbal-sitecost-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        dev = None if args.fallback or not any(args.dev.glob("*.jsonl.gz")) else args.dev
        if args.stage_pages:
            stage_memory([int(n) for n in args.stage_pages.split(",")], work, dev)
        if args.no_run:
            return
        inputs = work / "input"
        make_input(inputs, args.pages, args.files, dev)
        print(f"cpus: {os.cpu_count()}  load average before: {_load()}", flush=True)
        configs = {"site stats on": [], "site stats off": ["--no-site-stats"]}
        results: dict[str, list[Result]] = {label: [] for label in configs}
        for r in range(args.repeat):
            for i, (label, extra) in enumerate(configs.items()):
                res = run_once(label, inputs, work / f"out-{i}", args.workers, extra)
                results[label].append(res)
                steps = ", ".join(f"{k} {v:.1f}" for k, v in res.steps.items())
                print(
                    f"run {r + 1} {label:>14}: {res.seconds:7.2f} s {res.rate:7.1f} pages/s "
                    f"{res.cpu:7.2f} CPU s peak RSS {res.tree_mib:6.0f} MiB (tree) "
                    f"{res.process_mib:6.0f} MiB (largest process)\n    step seconds: {steps}",
                    flush=True,
                )
        alone, same = alone_identical(inputs, work / "out-0", work / "out-1")
        print(f"load average after: {_load()}")
        print(f"pages alone on their site: {alone}, identical with and without stats: {same}")
        med = {k: statistics.median(x.seconds for x in v) for k, v in results.items()}
        cpu = {k: statistics.median(x.cpu for x in v) for k, v in results.items()}
        rss = {k: max(x.tree_mib for x in v) for k, v in results.items()}
        on, off = med["site stats on"], med["site stats off"]
        pages = results["site stats on"][0].pages
        for label in configs:
            print(
                f"{label:>14} (median): {med[label]:7.2f} s {pages / med[label]:7.1f} pages/s "
                f"{cpu[label]:7.2f} CPU s peak RSS {rss[label]:6.0f} MiB"
            )
        print(
            f"on / off: time x{on / off:.3f} ({(on / off - 1) * 100:+.1f}%), CPU time "
            f"x{cpu['site stats on'] / cpu['site stats off']:.3f}, "
            f"peak RSS x{rss['site stats on'] / rss['site stats off']:.2f}"
        )
        if same != alone:
            sys.exit("pages alone on their site differ with and without site statistics")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
