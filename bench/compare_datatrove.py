"""Agreement and speed of gharbal's quality rules against datatrove's, on the same English documents.

    python -m venv .venv-bench && . .venv-bench/bin/activate
    pip install -r bench/requirements.txt && pip install -e .
    python bench/compare_datatrove.py ../shared/data/dev [--rounds 1] [--limit N] [--cache F]

Corpus: every English page of the dev set, twice: its ``page_text`` (boilerplate included) and, where
there is one, its human ``gold_text``. datatrove 0.10.1's filters run with their defaults (English,
spaCy's tokenizer as datatrove assigns it); gharbal with its defaults for ``lang: en`` except C4's
final-punctuation line rule, which gharbal leaves off by default and datatrove has on.

Agreement: for each rule family alone (datatrove's filter on the original text; gharbal with only
that family enabled) and for the whole chain (GopherRepetition -> GopherQuality -> C4Quality ->
FineWebQuality, C4 rewriting the text for FineWeb on both sides), the share of documents on which
both keep or both drop. Disagreements are listed by (datatrove reason, gharbal reason).

Speed: documents per second of datatrove's chain (``filter()`` called directly, no writers) and of
gharbal's `QualitySignals` + `QualityFilters`, in this one process (one core each), over
``--rounds`` passes, timed in alternating chunks of documents.
``--cache F`` keeps datatrove's decisions in a JSON file (keyed by document and text hash), so that
agreement can be measured again quickly while gharbal changes (speed is always measured anew).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datatrove.data import Document as DtDocument
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

from gharbal import Document
from gharbal.quality import QualityConfig, QualityFilters, QualitySignals

FAMILIES = ("gopher_repetition", "gopher", "c4", "fineweb")


def load(dev: Path, limit: int | None) -> list[tuple[str, str]]:
    docs: list[tuple[str, str]] = []
    for path in sorted(dev.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for raw in f:
                rec = json.loads(raw)
                if rec["lang"] != "en":
                    continue
                docs.append((f"{rec['id']}#page", rec["page_text"]))
                if rec.get("gold_text"):
                    docs.append((f"{rec['id']}#gold", rec["gold_text"]))
    return docs[:limit] if limit else docs


def datatrove_filters() -> dict[str, Any]:
    return {
        "gopher_repetition": GopherRepetitionFilter(),
        "gopher": GopherQualityFilter(),
        "c4": C4QualityFilter(),
        "fineweb": FineWebQualityFilter(),
    }


def dt_decide(filters: list[Any], doc_id: str, text: str) -> str | None:
    """None when kept, else the first failing filter's reason."""
    doc = DtDocument(text=text, id=doc_id)
    for f in filters:
        result = f.filter(doc)
        ok, reason = (result, "") if isinstance(result, bool) else result
        if not ok:
            return f"{f.name.split()[-2].lower()}:{reason}"
    return None


def gh_steps(only: str | None) -> tuple[QualitySignals, QualityFilters]:
    # datatrove's C4QualityFilter removes lines without final punctuation by default; gharbal's
    # recipe does not (FineWeb's choice): turn it on for the comparison.
    data: dict[str, Any] = {"c4": {"lines": {"terminal_punct": True}}}
    if only is not None:
        for fam in FAMILIES:
            data.setdefault(fam, {})["enabled"] = fam == only
    cfg = QualityConfig.model_validate(data)
    return QualitySignals(cfg), QualityFilters(cfg)


def gh_decide(steps: tuple[QualitySignals, QualityFilters], doc_id: str, text: str) -> str | None:
    doc = Document(id=doc_id, text=text, lang="en")
    signals, filters = steps
    filters.process(signals.process(doc))
    return None if doc.rejection is None else doc.rejection.reason


def agreement(
    name: str,
    docs: list[tuple[str, str]],
    dt: list[str | None],
    gh: Callable[[str, str], str | None],
) -> float:
    same = 0
    pairs: Counter[tuple[str, str]] = Counter()
    dropped = Counter[str]()
    for (doc_id, text), a in zip(docs, dt, strict=True):
        b = gh(doc_id, text)
        dropped["datatrove"] += a is not None
        dropped["gharbal"] += b is not None
        if (a is None) == (b is None):
            same += 1
        else:
            pairs[(a or "kept", b or "kept")] += 1
    share = same / len(docs)
    print(
        f"{name:<18} agreement {share:6.1%}  ({same}/{len(docs)}; dropped: datatrove "
        f"{dropped['datatrove']}, gharbal {dropped['gharbal']})"
    )
    for (a, b), n in pairs.most_common(6):
        print(f"{'':<20}{n:>4}  datatrove {a:<40} gharbal {b}")
    return share


def speed(docs: list[tuple[str, str]], rounds: int, chunk: int = 25) -> tuple[float, float]:
    """Documents per second of each side. The corpus is cut into chunks timed alternately on each
    side, so that a change of load on a shared machine weighs on both alike."""
    chain = list(datatrove_filters().values())
    steps = gh_steps(None)
    dt_decide(chain, "warm-up", docs[0][1])  # loads spaCy
    dt_total = gh_total = 0.0
    for _ in range(rounds):
        for at in range(0, len(docs), chunk):
            part = docs[at : at + chunk]
            dt_docs = [DtDocument(text=t, id=i) for i, t in part]
            gh_docs = [Document(id=i, text=t, lang="en") for i, t in part]
            start = time.perf_counter()
            for doc in dt_docs:
                for f in chain:
                    result = f.filter(doc)
                    if not (result if isinstance(result, bool) else result[0]):
                        break
            dt_total += time.perf_counter() - start
            start = time.perf_counter()
            for gdoc in gh_docs:
                steps[1].process(steps[0].process(gdoc))
            gh_total += time.perf_counter() - start
    n = len(docs) * rounds
    return n / dt_total, n / gh_total


def datatrove_decisions(
    docs: list[tuple[str, str]], cache: Path | None
) -> dict[str, list[str | None]]:
    """Per family and for the chain, datatrove's decision on every document (cached)."""
    known: dict[str, dict[str, str | None]] = {}
    if cache is not None and cache.exists():
        known = json.loads(cache.read_text(encoding="utf-8"))
    filters = datatrove_filters()
    out: dict[str, list[str | None]] = {}
    for name in (*FAMILIES, "chain"):
        table = known.setdefault(name, {})
        chain = list(datatrove_filters().values()) if name == "chain" else [filters[name]]
        rows: list[str | None] = []
        for doc_id, text in docs:
            key = f"{doc_id}:{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}"
            if key not in table:
                table[key] = dt_decide(chain, doc_id, text)
            rows.append(table[key])
        out[name] = rows
    if cache is not None:
        cache.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dev", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--cache", type=Path, help="JSON file keeping datatrove's decisions")
    parser.add_argument("--no-speed", action="store_true", help="agreement only")
    args = parser.parse_args()
    docs = load(args.dev, args.limit)
    chars = sum(len(t) for _, t in docs)
    print(f"{len(docs)} English documents, {chars / len(docs):,.0f} characters on average\n")
    dt = datatrove_decisions(docs, args.cache)
    results = {}
    for fam in FAMILIES:
        steps = gh_steps(fam)
        results[fam] = agreement(
            fam,
            docs,
            dt[fam],
            lambda i, t, s=steps: gh_decide(s, i, t),  # type: ignore[misc]
        )
    all_steps = gh_steps(None)
    results["chain"] = agreement(
        "whole chain", docs, dt["chain"], lambda i, t: gh_decide(all_steps, i, t)
    )
    print(
        f"\nagreement: min over families {min(results.values()):.1%}, "
        f"whole chain {results['chain']:.1%}"
    )
    if args.no_speed:
        return
    dt_rate, gh_rate = speed(docs, args.rounds)
    print(
        f"speed (1 process): datatrove {dt_rate:,.0f} docs/s, gharbal {gh_rate:,.0f} docs/s, "
        f"ratio {gh_rate / dt_rate:.2f}x"
    )


if __name__ == "__main__":
    main()
