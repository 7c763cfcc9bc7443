"""Peak memory and pages/s on a WARC: gharbal against datatrove's WarcReader + Trafilatura, one run.

    pip install -e '.[bench]'              # datatrove, warcio, trafilatura, psutil: never core deps
    python bench/read_memory.py --size-mb 2048 --workdir /tmp/gharbal-bench

1. Generates a Common-Crawl-like ``.warc.gz`` of about ``--size-mb`` MB on disk (one gzip member per
   record; warcinfo, then a request and a response per page; 90 % HTML pages of 8-80 KB in Arabic
   and English, 5 % of them in windows-1256, 10 % images; ``WARC-Identified-Payload-Type`` set, as
   Common Crawl does). The file is reused when it exists with the same size and seed.
2. Runs ``gharbal run FILE`` (one worker, default recipe) as a child process.
3. Runs datatrove ``WarcReader -> Trafilatura -> JsonlWriter`` (one task, one worker, its default
   1 s extraction timeout) on the same file as a child process; ``--peer-pages N`` stops it after
   N pages (trafilatura is slow: the rate stays comparable, the wall time does not explode).

For each: wall seconds, HTML pages read per second, the peak RSS of the process tree (sampled every
50 ms with psutil: datatrove extracts in a sandbox subprocess) and the kernel's peak RSS of the largest
single process (``ru_maxrss`` from ``wait4``). Then the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# --- input ----------------------------------------------------------------------------------------

_AR = (
    "في من على إلى أن عن مع هذا التي الذي كان قال بين بعد قبل حتى وزارة الحكومة الرئيس المدينة "
    "الشعب العالم الاقتصاد السياسة المفاوضات الخارجية الأمن السلام التعليم الصحة الطاقة المياه "
    "الشركة السوق الأسعار النفط الغاز المشروع التنمية الاستثمار البنك الدولار المؤتمر الاتفاق "
    "الجامعة الطلاب الأطباء المستشفى الطريق السيارات الطقس الأمطار الرياح الصيف الشتاء المساء"
)
_EN = (
    "the of and to in that is was for on with as by at from said would have been their which "
    "government minister city people world economy policy talks security peace education health "
    "energy water company market prices oil gas project development investment bank agreement "
    "university students doctors hospital road weather rain summer winter evening report council"
)
AR_WORDS, EN_WORDS = _AR.split(), _EN.split()


def _sentence(rng: random.Random, words: list[str]) -> str:
    end = "." if words is EN_WORDS else rng.choice([".", ".", "،", "؟"])
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 24))) + end


def _page(rng: random.Random, i: int) -> tuple[bytes, str]:
    arabic = rng.random() < 0.6
    legacy = arabic and rng.random() < 0.08  # ~5 % of all pages
    words = AR_WORDS if arabic else EN_WORDS
    size = rng.randint(8_000, 80_000)
    nav = " | ".join(rng.choice(words) for _ in range(12))
    parts = [
        "<!DOCTYPE html><html><head>",
        f'<meta charset="{"windows-1256" if legacy else "utf-8"}">',
        f"<title>{_sentence(rng, words)}</title>",
        "<script>var cfg = {" + ",".join(f"k{j}: {j}" for j in range(rng.randint(50, 400))),
        "};</script></head><body>",
        f"<nav><ul>{''.join(f'<li><a href=/s{j}>{w}</a></li>' for j, w in enumerate(nav.split()))}",
        "</ul></nav><main><article>",
        f"<h1>{_sentence(rng, words)}</h1>",
    ]
    length = sum(len(p) for p in parts)
    while length < size:
        para = "<p>" + " ".join(_sentence(rng, words) for _ in range(rng.randint(2, 6))) + "</p>"
        parts.append(para)
        length += len(para) * (2 if arabic else 1)
    parts.append(f"</article></main><footer>{nav} © {2000 + i % 25}</footer></body></html>")
    html = "".join(parts)
    return (html.encode("cp1256") if legacy else html.encode("utf-8")), (
        "text/html; charset=windows-1256" if legacy else "text/html; charset=UTF-8"
    )


def _record(kind: str, url: str, block: bytes, extra: dict[str, str], rid: str) -> bytes:
    headers = {
        "WARC-Type": kind,
        "WARC-Date": "2024-03-01T12:00:00Z",
        "WARC-Record-ID": f"<urn:uuid:{rid}>",
        "Content-Length": str(len(block)),
        **({"WARC-Target-URI": url} if url else {}),
        **extra,
    }
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


@dataclass
class Made:
    path: Path
    pages: int  # HTML responses
    others: int  # non-HTML responses


def make_warc(path: Path, size_mb: int, seed: int, plain: bool = False) -> Made:
    """Write a ``.warc.gz`` (``.warc`` if ``plain``) of about ``size_mb`` MB on disk (see the module
    docstring)."""
    meta = path.with_name(path.name + ".json")
    pack = (lambda data: data) if plain else (lambda data: gzip.compress(data, 6))
    if path.exists() and meta.exists():
        made = json.loads(meta.read_text())
        if made["size_mb"] == size_mb and made["seed"] == seed:
            return Made(path, made["pages"], made["others"])
    rng = random.Random(seed)
    pool = [_page(rng, i) for i in range(400)]  # pages are drawn from a pool: generating is slow
    target = size_mb * 1_000_000
    pages = others = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        info = b"software: gharbal bench/read_memory.py\r\nformat: WARC File Format 1.0\r\n"
        out.write(pack(_record("warcinfo", "", info, {}, str(uuid.UUID(int=0)))))
        i = 0
        while out.tell() < target:
            i += 1
            url = f"https://site{i % 997}.example/{i}/page.html"
            rid = uuid.UUID(int=rng.getrandbits(128))
            request = f"GET /{i}/page.html HTTP/1.1\r\nHost: site{i % 997}.example\r\n\r\n"
            out.write(
                pack(
                    _record(
                        "request",
                        url,
                        request.encode(),
                        {"Content-Type": "application/http; msgtype=request"},
                        str(uuid.UUID(int=rng.getrandbits(128))),
                    )
                )
            )
            if i % 10 == 0:
                body, ctype, payload_type = (
                    rng.randbytes(rng.randint(2_000, 30_000)),
                    "image/jpeg",
                    "image/jpeg",
                )
                others += 1
            else:
                body, ctype = pool[i % len(pool)]
                payload_type = "text/html"
                pages += 1
            http = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            out.write(
                pack(
                    _record(
                        "response",
                        url,
                        http.encode() + body,
                        {
                            "Content-Type": "application/http; msgtype=response",
                            "WARC-Identified-Payload-Type": payload_type,
                        },
                        str(rid),
                    )
                )
            )
    tmp.replace(path)
    meta.write_text(
        json.dumps({"size_mb": size_mb, "seed": seed, "pages": pages, "others": others})
    )
    return Made(path, pages, others)


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    seconds: float
    pages: int
    tree_peak_mib: float
    process_peak_mib: float
    note: str = ""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def measure(cmd: list[str], log: Path) -> tuple[float, float, float]:
    """Run ``cmd`` (its output to ``log``); (wall seconds, peak RSS of its process tree in MiB,
    kernel max RSS of its largest process in MiB)."""
    import psutil

    start = time.perf_counter()
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    parent = psutil.Process(proc.pid)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            procs = [parent, *parent.children(recursive=True)]
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):  # a child that just ended
                    total += p.memory_info().rss
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}), see {log}:\n{tail}")
    return seconds, peak / 2**20, usage.ru_maxrss / 1024


def run_gharbal(made: Made, work: Path) -> Result:
    out = work / "gharbal-out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "gharbal", "run", str(made.path), "-o", str(out), "--workers", "1"]
    seconds, tree, single = measure(cmd, work / "gharbal.log")
    stats = json.loads((out / "stats.json").read_text())
    skipped = stats["rejected_by_reason"].get("read.skip.not_html", 0)
    read_pages = stats["input"] - skipped
    assert read_pages == made.pages, (read_pages, made.pages)
    note = f"kept {stats['kept']} documents; {skipped} non-HTML responses counted as read.skip.not_html"
    return Result("gharbal (resiliparse)", seconds, read_pages, tree, single, note)


def run_datatrove(made: Made, work: Path, limit: int) -> Result:
    out = work / "datatrove-out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--run-datatrove",
        str(made.path),
        str(out),
        str(limit),
    ]
    seconds, tree, single = measure(cmd, work / "datatrove.log")
    stats = json.loads((out / "stats.json").read_text())
    if stats["read"] and not stats["kept"]:
        raise SystemExit(f"datatrove extracted nothing (is trafilatura importable?): see {work}")
    return Result(
        "datatrove WarcReader + Trafilatura",
        seconds,
        stats["read"],
        tree,
        single,
        f"kept {stats['kept']} documents; extraction timeouts {stats['timeouts']}, "
        f"errors {stats['errors']}",
    )


def _datatrove_main(path: str, out: str, limit: int) -> None:
    """The peer's pipeline (run in a child process)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    src = Path(path)
    executor = LocalPipelineExecutor(
        pipeline=[
            WarcReader(str(src.parent), glob_pattern=src.name, limit=limit),
            Trafilatura(favour_precision=True),
            JsonlWriter(f"{out}/documents"),
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{out}/logs",
    )
    executor.run()
    stats: Any = json.loads(Path(f"{out}/logs/stats.json").read_text())
    reader, extractor = stats[0]["stats"], stats[1]["stats"]
    summary = {
        "read": reader["documents"]["total"],
        "kept": extractor.get("forwarded", 0),
        "timeouts": extractor.get("timeout", 0),
        "errors": extractor.get("clean_error", 0) + extractor.get("broken_process", 0),
    }
    Path(out, "stats.json").write_text(json.dumps(summary))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--run-datatrove":
        _datatrove_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size-mb", type=int, default=200, help="WARC size on disk (2048 for 2 GB)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench-work"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--peer-pages", type=int, default=-1, help="stop datatrove after N pages")
    parser.add_argument("--no-peer", action="store_true", help="measure gharbal only")
    parser.add_argument("--plain", action="store_true", help="an uncompressed .warc, not .warc.gz")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    name = f"bench-{args.size_mb}mb.warc" + ("" if args.plain else ".gz")
    made = make_warc(args.workdir / name, args.size_mb, args.seed, args.plain)
    size = made.path.stat().st_size
    print(
        f"input: {made.path} ({size / 1e6:.0f} MB on disk, {made.pages} HTML pages, "
        f"{made.others} images; ready in {time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    results = [run_gharbal(made, args.workdir)]
    if not args.no_peer:
        results.append(run_datatrove(made, args.workdir, args.peer_pages))
    print(
        f"\n{'':38} {'seconds':>8} {'pages':>7} {'pages/s':>8} {'peak RSS tree':>14} {'largest proc':>13}"
    )
    for r in results:
        print(
            f"{r.name:38} {r.seconds:8.1f} {r.pages:7d} {r.pages_per_s:8.1f} "
            f"{r.tree_peak_mib:10.0f} MiB {r.process_peak_mib:9.0f} MiB"
        )
        if r.note:
            print(f"{'':38} {r.note}")
    if len(results) == 2:
        g, d = results
        print(
            f"\ngharbal / datatrove: pages/s x{g.pages_per_s / d.pages_per_s:.1f}, "
            f"peak RSS (tree) x{g.tree_peak_mib / d.tree_peak_mib:.2f}"
        )
    limit = 1024
    print(f"gharbal peak RSS {'within' if results[0].tree_peak_mib < limit else 'OVER'} 1 GiB")


if __name__ == "__main__":
    main()
