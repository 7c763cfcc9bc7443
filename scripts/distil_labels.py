"""Label unlabelled web pages line by line with HTML-aware teachers (distillation data).

    pip install -e '.[train,trafilatura]'
    python scripts/distil_labels.py ../shared/data/unlabelled build/distil.jsonl.gz
    python scripts/train_lines.py ../shared/data/dev --loso --distil build/distil.jsonl.gz

1. **Page text.** Each page's HTML is rendered to plain page text exactly as the development set's
   ``page_text`` was made (`render`: resiliparse ``extract_plain_text`` with the dev README's
   arguments, runs of spaces / tabs / no-break and zero-width spaces collapsed, lines stripped,
   empty lines dropped; ``--check-dev DEV`` verifies it reproduces every dev ``page_text``).
2. **Teachers** read the HTML: trafilatura 2.x with ``favor_precision`` and with ``favor_recall``
   (comments excluded, tables included), and resiliparse ``extract_plain_text(main_content=True)``.
   Each teacher's text is aligned to the page's lines with ``train_lines._align_labels`` (the same
   difflib token alignment that labels the human-gold pages), giving a 0/1 label per line per
   teacher.
3. The output keeps the three label vectors per page (the agreement rule is applied at training
   time, ``train_lines.py --distil-agree``), with the page text, id, url, site, language, source
   file and licence. Pages whose rendered text equals a dev page's ``page_text`` (``--dev``), pages
   with fewer than 3 lines, and pages where either trafilatura setting extracts nothing are
   dropped. The file holds page text: keep it out of the repository (``build/`` is ignored).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_lines import _align_labels, agree

from gharbal.step import split_lines

RENDER_ARGS: dict[str, bool] = {
    "main_content": False,
    "preserve_formatting": True,
    "list_bullets": False,
    "alt_texts": False,
    "links": False,
    "form_fields": False,
    "noscript": False,
    "comments": True,
}
_SPACES = re.compile(r"[ \t\xa0\u200b]+")
MAX_HTML = 4_000_000


def clean_lines(text: str) -> str:
    """Lines of an ``extract_plain_text`` output as in the dev ``page_text``: spaces collapsed
    (space, tab, no-break and zero-width space; other Unicode spaces kept), stripped, empty lines
    dropped."""
    out = []
    for line in text.splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line:
            out.append(line)
    return "\n".join(out)


def render(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return clean_lines(extract_plain_text(html, **RENDER_ARGS))


def teachers(html: str, url: str | None) -> dict[str, str | None]:
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text

    common: dict[str, Any] = {
        "url": url,
        "include_comments": False,
        "include_tables": True,
        "deduplicate": False,
        "output_format": "txt",
    }
    out: dict[str, str | None] = {}
    for key, opt in (("prec", "favor_precision"), ("rec", "favor_recall")):
        try:
            out[key] = trafilatura.extract(html, **common, **{opt: True})
        except Exception:
            out[key] = None
    args = dict(RENDER_ARGS, main_content=True, comments=False)
    out["res"] = extract_plain_text(html, **args)
    return out


def label_page(rec: dict[str, Any]) -> dict[str, Any] | None:
    html = rec["html"]
    if not html or len(html) > MAX_HTML:
        return None
    text = render(html)
    lines = split_lines(text)
    if len(lines) < 3:
        return None
    t = teachers(html, rec.get("url"))
    if not t["prec"] or not t["rec"]:
        return None
    labs = {k: _align_labels(lines, v or "")[0].tolist() for k, v in t.items()}
    return {
        "id": rec["id"],
        "url": rec.get("url"),
        "site": rec.get("site"),
        "lang": rec.get("lang"),
        "source": rec["id"].split("/", 1)[0],
        "licence": rec.get("licence"),
        "page_text": text,
        "prec": labs["prec"],
        "rec": labs["rec"],
        "res": labs["res"],
    }


def _records(src: Path):  # type: ignore[no-untyped-def]
    for fn in sorted(src.glob("*.jsonl.gz")):
        with gzip.open(fn, "rt", encoding="utf-8") as f:
            for raw in f:
                yield json.loads(raw)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def check_dev(dev: Path) -> tuple[int, int, set[str]]:
    """Render every dev page's HTML; count exact ``page_text`` reproductions; dev text digests."""
    ok = total = 0
    digests: set[str] = set()
    for fn in sorted(dev.glob("*.jsonl.gz")):
        with gzip.open(fn, "rt", encoding="utf-8") as f:
            for raw in f:
                rec = json.loads(raw)
                digests.add(_digest(rec["page_text"]))
                if rec.get("html"):
                    total += 1
                    ok += render(rec["html"]) == rec["page_text"]
    return ok, total, digests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("unlabelled", type=Path, help="directory of *.jsonl.gz raw HTML pages")
    ap.add_argument("out", type=Path, help="labelled pages, .jsonl.gz")
    ap.add_argument("--dev", type=Path, help="dev set: check the rendering, drop duplicate pages")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    start = time.time()
    dev_digests: set[str] = set()
    if args.dev:
        ok, total, dev_digests = check_dev(args.dev)
        print(f"rendering reproduces {ok}/{total} dev page_text exactly", file=sys.stderr)
    recs = list(_records(args.unlabelled))
    if args.limit:
        recs = recs[: args.limit]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stats: Counter[str] = Counter()
    seen: set[str] = set()
    with Pool(args.workers) as pool, gzip.open(args.out, "wt", encoding="utf-8") as out:
        for rec in pool.imap(label_page, recs, chunksize=4):
            stats["pages"] += 1
            if rec is None:
                stats["dropped_empty"] += 1
                continue
            d = _digest(rec["page_text"])
            if d in dev_digests or d in seen:
                stats["dropped_duplicate"] += 1
                continue
            seen.add(d)
            stats["kept"] += 1
            stats["lines"] += len(rec["prec"])
            for rule in ("traf", "all", "traf+res-content"):
                tgt = agree(rec["prec"], rec["rec"], rec["res"], rule)
                stats[f"{rule}:target"] += sum(t >= 0 for t in tgt)
                stats[f"{rule}:content"] += sum(t == 1 for t in tgt)
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    n = max(stats["lines"], 1)
    print(json.dumps(dict(stats), indent=1), file=sys.stderr)
    for rule in ("traf", "all", "traf+res-content"):
        print(
            f"{rule}: {stats[f'{rule}:target'] / n:.1%} of lines get a target, "
            f"{stats[f'{rule}:content'] / max(stats[f'{rule}:target'], 1):.1%} of them content",
            file=sys.stderr,
        )
    print(f"{time.time() - start:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
