"""Build the accuracy-gate fixtures (tests/quality/fixtures/gate.jsonl.gz) from the dev set.

    python scripts/make_gate.py ../shared/data/dev

Takes pages of the MIT and Apache-2.0 files only (never the GPL-3.0 waddle file), chosen
deterministically: the first page of each other language in each file, and every tenth English page,
with their ``page_text``, ``gold_text``, ``url``, ``site``, ``lang`` and ``source``; their HTML goes
to ``gate_html.jsonl.gz`` beside it (``id`` and ``html``), for the gate of ``extractor: dom``. These pages are
left out of the shipped model's training (``scripts/train_lines.py`` reads this file), so the gate
measures pages the model has never seen.

    python scripts/make_gate.py --holdout DIR

copies the fold models of the gate's three sources from a leave-one-source-out run of the shipped
recipe (``python scripts/train_lines.py ../shared/data/dev --loso --dom --bag 3 --distil
build/distil.jsonl.gz --distil-weight 1.0 --cv-out DIR``, whose ``DIR/loso`` holds them) to
``tests/quality/fixtures/holdout/`` (gzipped, with their ``folds.json``): the gate's out-of-source
floors (``oos_html_token_f1``) judge each gate page by the model that never saw its source. Run it
again whenever the features change (the fold models must read the same columns as the code).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

SOURCES = {
    "scrapinghub_aeb.jsonl.gz": "MIT, scrapinghub/article-extraction-benchmark",
    "readability_testpages.jsonl.gz": "Apache-2.0, mozilla/readability",
    "newspaper4k_tests.jsonl.gz": "MIT, AndyTheFactory/newspaper4k",
}
OUT = Path(__file__).resolve().parents[1] / "tests/quality/fixtures/gate.jsonl.gz"
HTML_OUT = OUT.with_name("gate_html.jsonl.gz")  # the same pages' HTML (extractor dom's gate)
KEEP = ("id", "source", "url", "site", "lang", "page_text", "gold_text")


def main(dev: Path) -> None:
    records = []
    html: list[dict[str, str]] = []
    for name, licence in SOURCES.items():
        per_lang: Counter[str] = Counter()
        english = 0
        with gzip.open(dev / name, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                lang = rec.get("lang") or "unknown"
                if lang == "en":
                    english += 1
                    if english % 10:
                        continue
                elif per_lang[lang] >= 1:
                    continue
                per_lang[lang] += 1
                out = {k: rec.get(k) for k in KEEP}
                out["license"] = licence
                records.append(out)
                html.append({"id": rec["id"], "html": rec["html"]})
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    OUT.write_bytes(gzip.compress(data.encode("utf-8"), mtime=0))
    print(f"{len(records)} pages -> {OUT}", file=sys.stderr)
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in html)
    HTML_OUT.write_bytes(gzip.compress(data.encode("utf-8"), 9, mtime=0))
    print(f"{len(html)} pages' HTML -> {HTML_OUT}", file=sys.stderr)


def holdout(run: Path) -> None:
    """Copy the gate sources' fold models of ``run`` (``--cv-out`` of a ``--loso`` run)."""
    out = OUT.parent / "holdout"
    out.mkdir(parents=True, exist_ok=True)
    spec = json.loads((run / "loso" / "folds.json").read_text(encoding="utf-8"))
    models: dict[str, str] = {}
    for name in SOURCES:
        source = name.removesuffix(".jsonl.gz")
        model = (run / "loso" / spec["models"][source]).read_bytes()
        models[source] = f"source_{source}.json.gz"
        (out / models[source]).write_bytes(gzip.compress(model, 9, mtime=0))
    mine = {"by": "source", "models": models, "groups": {source: source for source in models}}
    (out / "folds.json").write_text(json.dumps(mine, indent=1) + "\n", encoding="utf-8")
    print(f"{len(SOURCES)} fold models -> {out}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "--holdout":
        holdout(Path(sys.argv[2]))
    else:
        main(Path(sys.argv[1]))
