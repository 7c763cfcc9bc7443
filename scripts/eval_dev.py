"""Score gharbal's plain-text extraction on the labelled development set.

    python scripts/eval_dev.py ../shared/data/dev [--pred /tmp/pred.jsonl]

Pages judged alone (no site statistics) by the shipped model, which trained on some of these pages:
in-sample for them. Cross-validated figures: ``gharbal eval --cv-models`` (docs/extraction.md).

Reads ``page_text`` of every page with full gold (``gold_text``), runs `gharbal.extract_page` on it
(page text alone, no HTML), writes ``{"id", "text"}`` predictions and scores them with the data set's
own ``score.py`` (token precision/recall/F1, macro over pages, per source and language).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

from gharbal import Document, Recipe, extract_page

FULL_GOLD = [
    "scrapinghub_aeb.jsonl.gz",
    "readability_testpages.jsonl.gz",
    "newspaper4k_tests.jsonl.gz",
    "waddle_daniel_dev.jsonl.gz",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dev", type=Path, help="the dev directory (with the *.jsonl.gz files)")
    parser.add_argument("--pred", type=Path, default=Path("dev-pred.jsonl"))
    parser.add_argument("--with-title", action="store_true", help="prepend the detected title")
    args = parser.parse_args()
    cfg = Recipe().extract
    files = [args.dev / name for name in FULL_GOLD if (args.dev / name).exists()]
    pages = 0
    start = time.perf_counter()
    with args.pred.open("w", encoding="utf-8") as out:
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    doc = extract_page(Document(id=rec["id"], text=rec["page_text"]), cfg)
                    text = doc.text
                    if args.with_title and doc.title:
                        text = doc.title + "\n" + text
                    out.write(
                        json.dumps({"id": rec["id"], "text": text}, ensure_ascii=False) + "\n"
                    )
                    pages += 1
    elapsed = time.perf_counter() - start
    print(f"{pages} pages in {elapsed:.1f}s ({pages / elapsed:.0f} pages/s)", file=sys.stderr)
    score = args.dev.parent / "score.py"
    subprocess.run(
        [sys.executable, str(score), *map(str, files), "--pred", str(args.pred)], check=True
    )


if __name__ == "__main__":
    main()
