"""Build the sample crawl bundled in the package (src/gharbal/data/sample/crawl.jsonl.gz).

    python scripts/make_sample.py ../shared/data/dev ../shared/seeds/000_60c1ad3fcf2e89f8.txt

Takes the seed page plus pages from the MIT and Apache-2.0 files of the development set (their
WET-like ``page_text`` and ``url`` only, never the gold), chosen deterministically: every page that is
not in English, and every fourth English page, up to the counts below. Licences: see LICENSES.md.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

SOURCES = {  # file -> (licence, pages to take)
    "newspaper4k_tests.jsonl.gz": ("MIT, AndyTheFactory/newspaper4k", 12),
    "scrapinghub_aeb.jsonl.gz": ("MIT, scrapinghub/article-extraction-benchmark", 16),
    "readability_testpages.jsonl.gz": ("Apache-2.0, mozilla/readability", 12),
}
OUT = Path(__file__).resolve().parents[1] / "src/gharbal/data/sample/crawl.jsonl.gz"


def main(dev: Path, seed: Path) -> None:
    records = [
        {
            "id": "seed/" + seed.stem,
            "url": None,
            "text": seed.read_text(encoding="utf-8"),
            "license": "seed page of the gharbal project",
        }
    ]
    for name, (licence, count) in SOURCES.items():
        taken = 0
        with gzip.open(dev / name, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                page = json.loads(line)
                if page["lang"] == "en" and i % 4:
                    continue
                if len(page["page_text"]) > 60_000:
                    continue
                records.append(
                    {
                        "id": page["id"],
                        "url": page["url"],
                        "text": page["page_text"],
                        "license": licence,
                    }
                )
                taken += 1
                if taken == count:
                    break
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        for rec in records:
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"{len(records)} pages -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
