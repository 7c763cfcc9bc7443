"""Extraction speed on HTML: gharbal's extractors against trafilatura, same pages, same run.

    pip install -e '.[bench]'      # or '.[trafilatura]' for trafilatura 2.x
    python bench/html_speed.py ../shared/data/dev/scrapinghub_aeb.jsonl.gz [--pages 200]

Each tool reads each page's raw ``html`` and returns its main text: gharbal's `extract_page` with
``extract.html.extractor`` ``dom`` (rendered to lines, line classifier with DOM features: the
default), ``lines`` (the same without DOM features) and ``resiliparse`` (main content), each page
alone (no site statistics), and ``trafilatura.extract`` with its default settings (as the accuracy
comparison in docs/extraction.md). Passes take turns (``--rounds``) and each tool's fastest pass
counts, as in ``bench/extract_speed.py``. Prints pages/s of each, one process, one core, and each
gharbal extractor's ratio to trafilatura.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

from gharbal import Document, Recipe, extract_page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, nargs="+")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="passes of each, taking turns")
    args = ap.parse_args()
    pages: list[str] = []
    for path in args.data:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if rec.get("html"):
                    pages.append(rec["html"])
                if len(pages) >= args.pages:
                    break
    import trafilatura

    def gharbal(extractor: str) -> Callable[[str], str]:
        cfg = Recipe.from_dict({"extract": {"html": {"extractor": extractor}}}).extract

        def run(html: str) -> str:
            return extract_page(Document(id="p", html=html), cfg).text

        return run

    def traf(html: str) -> str:
        return trafilatura.extract(html) or ""

    tools: dict[str, Callable[[str], str]] = {
        "gharbal dom": gharbal("dom"),
        "gharbal lines": gharbal("lines"),
        "gharbal resiliparse": gharbal("resiliparse"),
        f"trafilatura {trafilatura.__version__}": traf,
    }
    for run in tools.values():  # models, parsers and tables loaded before timing
        run(pages[0])
    best = dict.fromkeys(tools, float("inf"))
    for _ in range(args.rounds):
        for name, run in tools.items():
            start = time.perf_counter()
            for html in pages:
                run(html)
            best[name] = min(best[name], time.perf_counter() - start)
    peer = next(name for name in tools if name.startswith("trafilatura"))
    print(f"{len(pages)} HTML pages, best of {args.rounds} passes, one process:")
    for name, seconds in best.items():
        ratio = best[peer] / seconds
        print(f"  {name:<24} {len(pages) / seconds:8.1f} pages/s   x{ratio:.2f} {peer}")


if __name__ == "__main__":
    main()
