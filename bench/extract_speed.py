"""Extraction speed on plain page text: gharbal's line classifier against jusText, same pages, same run.

    pip install -e '.[bench]'
    python bench/extract_speed.py ../shared/data/dev/scrapinghub_aeb.jsonl.gz [--pages 200]

Both read each page's ``page_text`` (jusText gets every line as a paragraph, as in the dev set's
README); the model, stopword lists and character tables are loaded before timing. The two take
turns, pass after pass (``--rounds``), and each one's fastest pass counts: on a shared machine whose
speed drifts from minute to minute, a single pass of each can land in different phases. (Passes
take turns, not pages: page by page, each tool would start every page with the other's data in the
processor's caches, unlike a real run: measured so, gharbal made 650 instead of 850 pages/s.) Prints
pages/s of each, one process, one core, and the ratio; gharbal's pages/s also as where its C
extensions could not be built: trees evaluated in numpy, and pages measured and trees evaluated in
Python and numpy (same results, slower; one pass each).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from html import escape
from pathlib import Path

from gharbal import Document, Recipe, extract_page
from gharbal.extract import features as features_module
from gharbal.extract import model as model_module
from gharbal.normalise import unicode as unicode_module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, nargs="+")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5, help="passes of each, taking turns")
    args = ap.parse_args()
    texts: list[str] = []
    for path in args.data:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                texts.append(json.loads(line)["page_text"])
    texts = texts[: args.pages]
    cfg = Recipe().extract
    extract_page(Document(id="warm", text=texts[0]), cfg)

    def pages_per_second() -> float:
        start = time.perf_counter()
        for i, text in enumerate(texts):
            extract_page(Document(id=str(i), text=text), cfg)
        return len(texts) / (time.perf_counter() - start)

    import justext

    stoplist = justext.get_stoplist("English")
    htmls = ["".join(f"<p>{escape(ln)}</p>" for ln in t.splitlines()) for t in texts]

    def justext_pages_per_second() -> float:
        start = time.perf_counter()
        for html in htmls:
            justext.justext(html, stoplist)
        return len(texts) / (time.perf_counter() - start)

    ours = theirs = 0.0
    for _ in range(max(args.rounds, 1)):
        ours = max(ours, pages_per_second())
        theirs = max(theirs, justext_pages_per_second())
    # The same with the trees in numpy, then with no C extension at all (as where they could not
    # be built).
    native, model_module._native = model_module._native, None
    scanner, pieces = features_module._native, unicode_module._native
    try:
        numpy_trees = pages_per_second() if native is not None else ours
        features_module._native = unicode_module._native = None
        no_c = pages_per_second() if scanner is not None or pieces is not None else numpy_trees
    finally:
        model_module._native = native
        features_module._native, unicode_module._native = scanner, pieces
    built = native is not None and scanner is not None and pieces is not None
    print(f"{len(texts)} pages, best of {max(args.rounds, 1)} passes: gharbal {ours:.0f} pages/s "
          f"(C extensions built: {built}; numpy trees {numpy_trees:.0f}, no C at all {no_c:.0f} pages/s), "
          f"jusText {theirs:.0f} pages/s, ratio {ours / theirs:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
