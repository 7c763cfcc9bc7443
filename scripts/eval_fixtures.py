"""Score extractors on the page fixtures (tests/fixtures/pages/*.jsonl).

    . .venv/bin/activate
    python scripts/eval_fixtures.py [FILES...] [--pages] [--misses N] [--json OUT]

Metrics, per page and macro-averaged per file:

* token P / R / F1 as ``../shared/data/score.py`` (bag of lowercased Unicode word tokens with
  multiplicity, each Han/Kana character one token; a page whose prediction is empty scores 0);
* ``keep``: must_keep recall, the share of the page's ``must_keep`` lines found in the output;
* ``leak``: must_drop leakage, the share of the page's ``must_drop`` lines found in the output
  (both over distinct line texts).

A line is "found" when its token sequence equals the token sequence of an output line, or, for
lines of 4 tokens or more, occurs (on token boundaries) in the output's token stream: HTML
extractors format lines differently (table rows, joined inline elements), and short chrome lines
such as a menu entry must stand alone to count.

Extractors: ``gharbal_text`` (the line classifier on ``page_text``, each page alone: no site
statistics), ``gharbal_html_dom``, ``gharbal_html_lines`` and ``gharbal_html_resiliparse`` (on
``html`` with ``extract.html.extractor`` = ``dom`` / ``lines`` / ``resiliparse``),
``trafilatura`` (2.x on ``html``: ``include_comments=False, include_tables=True,
deduplicate=False``) and ``keep_all`` (the whole ``page_text``). ``--misses N`` lists, for
``gharbal_text``, the must_keep lines it dropped and the must_drop lines it kept.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gharbal.runner.evaluate import prf, tokens  # the scorer's tokens and P/R/F1 (score.py)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [
    ROOT / "tests/fixtures/pages/arabic_alone.jsonl",
    ROOT / "tests/fixtures/pages/nonnews.jsonl",
]


class Found:
    """Which lines an output contains (see the module docstring)."""

    def __init__(self, output: str) -> None:
        self.lines = {" ".join(tokens(ln)) for ln in output.splitlines()}
        self.stream = " " + " ".join(tokens(output)) + " "

    def __contains__(self, line: str) -> bool:
        toks = tokens(line)
        if not toks:
            return False
        norm = " ".join(toks)
        return norm in self.lines or (len(toks) >= 4 and f" {norm} " in self.stream)


def _gharbal(extractor: str | None) -> Callable[[dict[str, Any]], str]:
    from gharbal.document import Document
    from gharbal.extract import extract_page
    from gharbal.recipe import Recipe

    cfg = Recipe().extract
    if extractor is not None:
        cfg = cfg.model_copy(update={"html": cfg.html.model_copy(update={"extractor": extractor})})

    def run(rec: dict[str, Any]) -> str:
        doc = Document(id=rec["id"], url=rec.get("url"), metadata={"site": rec["site"]})
        if extractor is None:
            doc.text = rec["page_text"]
        else:
            doc.html = rec["html"]
        extract_page(doc, cfg, None)  # site=None: the page is judged alone
        return doc.text if doc.rejection is None else ""

    return run


def _trafilatura(rec: dict[str, Any]) -> str:
    import trafilatura

    return (
        trafilatura.extract(
            rec["html"], include_comments=False, include_tables=True, deduplicate=False
        )
        or ""
    )


EXTRACTORS: dict[str, Callable[[], Callable[[dict[str, Any]], str]]] = {
    "gharbal_text": lambda: _gharbal(None),
    "gharbal_html_dom": lambda: _gharbal("dom"),
    "gharbal_html_lines": lambda: _gharbal("lines"),
    "gharbal_html_resiliparse": lambda: _gharbal("resiliparse"),
    "trafilatura": lambda: _trafilatura,
    "keep_all": lambda: lambda rec: rec["page_text"],
}


def score_page(rec: dict[str, Any], out: str) -> dict[str, Any]:
    p, r, f = prf(out, rec["gold_text"])
    found = Found(out)
    # Distinct texts: a repeated chrome line ("Reply") counts once.
    keep = list(dict.fromkeys(rec.get("must_keep") or []))
    drop = list(dict.fromkeys(rec.get("must_drop") or []))
    lost = [ln for ln in keep if ln not in found]
    leaked = [ln for ln in drop if ln in found]
    return {
        "p": p,
        "r": r,
        "f1": f,
        "keep": 1 - len(lost) / len(keep) if keep else 1.0,
        "leak": len(leaked) / len(drop) if drop else 0.0,
        "lost": lost,
        "leaked": leaked,
    }


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--extractors", default=",".join(EXTRACTORS), help="comma-separated subset")
    ap.add_argument("--pages", action="store_true", help="print the per-page table too")
    ap.add_argument(
        "--misses",
        type=int,
        default=0,
        metavar="N",
        help="list up to N dropped must_keep / kept must_drop lines per page (gharbal_text)",
    )
    ap.add_argument("--json", type=Path, help="write every score and output here")
    args = ap.parse_args()
    names = args.extractors.split(",")
    runners = {n: EXTRACTORS[n]() for n in names}
    results: dict[str, dict[str, dict[str, Any]]] = collections.defaultdict(
        dict
    )  # page -> ext -> s
    files = {path.name: load(path) for path in args.files}
    for recs in files.values():
        for rec in recs:
            for n, run in runners.items():
                try:
                    out = run(rec)
                except Exception as exc:  # one failing extractor must not hide the others
                    print(f"{n} failed on {rec['id']}: {exc!r}", file=sys.stderr)
                    out = ""
                s = score_page(rec, out)
                s["output"] = out
                results[rec["id"]][n] = s
    cols = ("p", "r", "f1", "keep", "leak")
    print(f"{'file':<22} {'extractor':<26} {'n':>3} " + " ".join(f"{c:>6}" for c in cols))
    for fname, recs in files.items():
        for n in names:
            vals = [results[r["id"]][n] for r in recs]
            avg = {c: sum(v[c] for v in vals) / len(vals) for c in cols}
            print(
                f"{fname:<22} {n:<26} {len(vals):>3} " + " ".join(f"{avg[c]:>6.3f}" for c in cols)
            )
    if args.pages:
        short = {
            "gharbal_text": "gh_text",
            "gharbal_html_lines": "gh_lines",
            "gharbal_html_resiliparse": "gh_resil",
            "trafilatura": "traf",
            "keep_all": "all",
        }
        print("\nper page: F1 / must_keep recall / must_drop leakage")
        print(f"{'page':<36} " + " ".join(f"{short.get(n, n):>16}" for n in names))
        for recs in files.values():
            for rec in recs:
                cells = [results[rec["id"]][n] for n in names]
                print(
                    f"{rec['id'].split('/', 1)[1]:<36} "
                    + " ".join(
                        f"{c['f1']:.2f}/{c['keep']:.2f}/{c['leak']:.2f}".rjust(16) for c in cells
                    )
                )
    if args.misses and "gharbal_text" in names:
        print("\ngharbal_text: must_keep lines dropped (-) and must_drop lines kept (+)")
        for recs in files.values():
            for rec in recs:
                s = results[rec["id"]]["gharbal_text"]
                if not (s["lost"] or s["leaked"]):
                    continue
                print(f"[{rec['id']}]")
                for ln in s["lost"][: args.misses]:
                    print(f"  - {ln[:110]}")
                for ln in s["leaked"][: args.misses]:
                    print(f"  + {ln[:110]}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
