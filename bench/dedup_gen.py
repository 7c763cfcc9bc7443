"""A corpus with planted near-duplicates and known clusters, and how well gharbal finds them.

Usage::

    python bench/dedup_gen.py [--docs 20000] [--seed 7] [--out DIR] [--workers 1] [--no-eval]

It writes ``DIR/corpus.jsonl`` (``id``, ``text``, and the truth: ``cluster``, ``kind``,
``jaccard``), runs gharbal's near-duplicate stage on it (``DIR/out``) and prints pairwise
precision and recall of the clusters found against the planted ones.

The corpus (deterministic for a seed): Arabic and Latin-script documents of 3-8 paragraphs drawn
from Zipf-distributed vocabularies, with shared stock phrases. About a third of the originals get
1-5 *copies*, each made by a random mix of: word edits (substitutions, insertions, deletions),
re-ordered paragraphs, added chrome lines (menus, share bars, copyright notices), a dropped last
paragraph, and spelling noise that normalisation must see through (Arabic harakat and tatweel,
Latin case and punctuation; ``--no-tatweel`` leaves tatweel out). A copy is kept only if its true
Jaccard similarity with its original (word 5-gram shingles of the normalised text, exactly
computed) is at least 0.8: those are the planted clusters. A few *near misses* (originals with half
their paragraphs replaced, Jaccard below 0.65) are their own clusters: linking them is a false
positive.

Pairwise figures: a pair of documents is a true pair when both are in the same planted cluster,
and a found pair when gharbal puts both in one cluster (a rejected copy and the document it names as
kept, and any two copies naming the same kept document).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from gharbal.dedup.hashing import shingle_hashes, word_hashes

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآةى"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b"
TATWEEL = "\u0640"
_ARABIC_COMMON = (
    "في من على إلى عن مع هذا هذه التي الذي كان قال بين بعد قبل حيث أن لا ما هو هي "
    "الحكومة الرئيس الوزير المدينة البلاد الشعب العام الأول الثاني اليوم أمس الجديد "
    "السياسة الاقتصاد الأمن التعليم الصحة الماء الأرض البحر العالم الدولة الناس "
    "الكتاب المدرسة الطالب الجامعة "
)
_LATIN_COMMON = (
    "the of and to in a is that for it as was with be by on not he this are or his "
    "from at which but have an they you were their one all we can her has there been "
    "if more when will would who so no government president minister city country "
    "people public first second day new policy economy security education health "
    "water land sea world state book school student "
)
ARABIC_WORDS, LATIN_WORDS = _ARABIC_COMMON.split(), _LATIN_COMMON.split()
CHROME = {
    "ar": [
        "الرئيسية | أخبار | رياضة | اقتصاد | اتصل بنا",
        "شارك على فيسبوك تويتر واتساب",
        "جميع الحقوق محفوظة © 2024",
        "اقرأ أيضا",
        "اشترك في النشرة البريدية",
    ],
    "en": [
        "Home | News | Sport | Business | Contact us",
        "Share on Facebook Twitter WhatsApp",
        "All rights reserved © 2024",
        "Read more",
        "Subscribe to our newsletter",
    ],
}
STOCK = {
    "ar": ["وفي هذا السياق قال المتحدث باسم الوزارة", "وأضاف أن الحكومة تعمل على"],
    "en": ["in a statement released on the same day", "according to a spokesperson for the"],
}


class Vocabulary:
    """Zipf-distributed words: common real words first, then made-up words of the script."""

    def __init__(self, rng: random.Random, letters: str, common: list[str], size: int) -> None:
        made = set()
        while len(made) < size - len(common):
            made.add("".join(rng.choice(letters) for _ in range(rng.randint(2, 8))))
        self.words = np.array(common + sorted(made), dtype=object)
        weights = 1.0 / np.arange(1, len(self.words) + 1) ** 1.05
        self.cum = np.cumsum(weights) / weights.sum()

    def sample(self, nrng: np.random.Generator, n: int) -> list[str]:
        index = np.searchsorted(self.cum, nrng.random(n), side="right")
        words: list[str] = self.words[np.minimum(index, len(self.words) - 1)].tolist()
        return words


def shingles(text: str, n: int = 5) -> np.ndarray[Any, np.dtype[np.uint64]]:
    return np.unique(shingle_hashes(word_hashes(text), n))


def jaccard(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


class Generator:
    def __init__(self, seed: int, tatweel: bool = True) -> None:
        self.tatweel = tatweel
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.vocab = {
            "ar": Vocabulary(self.rng, ARABIC_LETTERS, ARABIC_WORDS, 20000),
            "en": Vocabulary(self.rng, LATIN_LETTERS, LATIN_WORDS, 20000),
        }

    def paragraph(self, lang: str) -> list[str]:
        rng = self.rng
        words = self.vocab[lang].sample(self.nrng, rng.randint(15, 70))
        if rng.random() < 0.3:  # a stock phrase shared by many documents
            at = rng.randrange(len(words))
            words[at:at] = rng.choice(STOCK[lang]).split()
        return words

    def document(self, lang: str) -> list[list[str]]:
        return [self.paragraph(lang) for _ in range(self.rng.randint(3, 8))]

    def render(self, paras: list[list[str]], lang: str, noise: bool = False) -> str:
        rng = self.rng
        out = []
        for p in paras:
            words = list(p)
            if noise:
                words = [self._noisy(w, lang) if rng.random() < 0.15 else w for w in words]
            out.append(" ".join(words) + ".")
        return "\n".join(out)

    def _noisy(self, word: str, lang: str) -> str:
        rng = self.rng
        if lang == "ar":
            if rng.random() < 0.5 or not self.tatweel:
                return "".join(
                    c + (rng.choice(HARAKAT) if rng.random() < 0.4 else "") for c in word
                )
            mid = len(word) // 2
            return word[:mid] + TATWEEL * rng.randint(1, 3) + word[mid:] if mid else word
        return word.upper() if rng.random() < 0.5 else word.capitalize() + ","

    def copy(self, paras: list[list[str]], lang: str, strength: float) -> str:
        """A near-duplicate: a random mix of edits, scaled by ``strength`` (0..1)."""
        rng = self.rng
        rate = strength * rng.uniform(0.0, 0.04)
        new = [self._edit(p, lang, rate) for p in paras]
        if len(new) > 2 and rng.random() < 0.5 * strength + 0.2:
            i, j = rng.sample(range(len(new)), 2)
            new[i], new[j] = new[j], new[i]
        if len(new) > 4 and rng.random() < 0.3 * strength:
            new.pop()
        text = self.render(new, lang, noise=rng.random() < 0.5)
        if rng.random() < 0.6:
            chrome = rng.sample(CHROME[lang], rng.randint(1, 3))
            head = [c for c in chrome if rng.random() < 0.5]
            tail = [c for c in chrome if c not in head]
            text = "\n".join([*head, text, *tail])
        return text

    def _edit(self, words: list[str], lang: str, rate: float) -> list[str]:
        """Substitutions (rate), deletions (rate / 2) and insertions (rate / 2) of words."""
        r = self.nrng.random(len(words))
        fresh = self.vocab[lang].sample(self.nrng, len(words))
        out: list[str] = []
        for w, x, f in zip(words, r.tolist(), fresh, strict=True):
            if x >= 2 * rate:
                out.append(w)
            elif x < rate:
                out.append(f)
            elif x >= 1.5 * rate:
                out.extend((f, w))
        return out

    def near_miss(self, paras: list[list[str]], lang: str) -> str:
        rng = self.rng
        new = [list(p) for p in paras]
        for i in rng.sample(range(len(new)), max(1, (len(new) + 1) // 2)):
            new[i] = self.paragraph(lang)
        return self.render(new, lang)


def generate(n_docs: int, seed: int, tatweel: bool = True) -> list[dict[str, Any]]:
    """``n_docs`` records ``{id, text, cluster, kind, jaccard}`` in a shuffled order; without
    ``tatweel``, the spelling noise of Arabic copies is harakat only."""
    g = Generator(seed, tatweel)
    rng = g.rng
    records: list[dict[str, Any]] = []
    cluster_no = 0
    while len(records) < n_docs:
        lang = "ar" if rng.random() < 0.5 else "en"
        paras = g.document(lang)
        text = g.render(paras, lang)
        cluster = f"c{cluster_no:07d}"
        cluster_no += 1
        records.append(
            {
                "id": f"{cluster}-0",
                "text": text,
                "cluster": cluster,
                "kind": "original",
                "jaccard": 1.0,
            }
        )
        base = shingles(text)
        r = rng.random()
        if r < 0.33:
            for k in range(1, rng.randint(2, 6)):
                for strength in (1.0, 0.6, 0.3, 0.1, 0.0):
                    variant = g.copy(paras, lang, strength)
                    j = jaccard(base, shingles(variant))
                    if j >= 0.8:
                        break
                else:  # pragma: no cover - strength 0 is always >= 0.8
                    continue
                records.append(
                    {"id": f"{cluster}-{k}", "text": variant, "cluster": cluster, "kind": "copy",
                     "jaccard": round(j, 4)}
                )  # fmt: skip
        elif r < 0.36:
            variant = g.near_miss(paras, lang)
            j = jaccard(base, shingles(variant))
            if j < 0.65:
                miss = f"c{cluster_no:07d}"
                cluster_no += 1
                records.append(
                    {"id": f"{miss}-0", "text": variant, "cluster": miss, "kind": "near_miss",
                     "jaccard": round(j, 4)}
                )  # fmt: skip
    records = records[:n_docs]
    rng.shuffle(records)
    return records


def write_corpus(records: list[dict[str, Any]], path: Path, parts: int = 1) -> list[Path]:
    """Writes ``records`` as ``parts`` JSONL files (``corpus-NN.jsonl``, or ``path`` for one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    paths = (
        [path]
        if parts == 1
        else [path.with_name(f"{path.stem}-{i:02d}.jsonl") for i in range(parts)]
    )
    files = [p.open("w", encoding="utf-8") for p in paths]
    for i, rec in enumerate(records):
        files[i * parts // len(records)].write(json.dumps(rec, ensure_ascii=False) + "\n")
    for f in files:
        f.close()
    return paths


def pairs_of(clusters: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in clusters:
        out.update(combinations(sorted(members), 2))
    return out


def truth_clusters(records: list[dict[str, Any]]) -> list[set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        groups[rec["cluster"]].add(rec["id"])
    return [g for g in groups.values() if len(g) > 1]


def gharbal_clusters(out: Path) -> list[set[str]]:
    """Clusters as the ledger shows them: each kept document with the copies that name it."""
    import gzip

    groups: dict[str, set[str]] = defaultdict(set)
    for part in sorted((out / "rejected").glob("part-*.jsonl*")):
        opener: Any = gzip.open if part.name.endswith(".gz") else open
        with opener(part, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if rec["reason"] in ("dedup.near", "dedup.exact"):
                    kept = rec["extra"]["kept_id"]
                    groups[kept].update((kept, rec["id"]))
    return list(groups.values())


def score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall


def near_recipe(workers: int = 1, min_similarity: float | None = None) -> Any:
    """gharbal's recipe for these benches: the text as given (no line cleaning, hence no site
    statistics), no language ID, quality filters or PII redaction (the synthetic pages are not
    meant to pass them, and the peer runs none), no HTML report; near dedup on."""
    from gharbal import Recipe

    near: dict[str, Any] = {"enabled": True}
    if min_similarity is not None:
        near["min_similarity"] = min_similarity
    return Recipe.from_dict(
        {
            "workers": workers,
            "extract": {"lines": {"enabled": False}, "title": {"enabled": False}},
            "lang": {"enabled": False},
            "quality": {"enabled": False},
            "pii": {"enabled": False},
            "report": {"enabled": False},
            "dedup": {"near": near},
        }
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("bench-dedup"))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--parts", type=int, default=4, help="input files (shards)")
    ap.add_argument("--min-similarity", type=float, default=None)
    ap.add_argument("--no-eval", action="store_true", help="only write the corpus")
    ap.add_argument("--no-tatweel", action="store_true", help="no tatweel in the copies")
    args = ap.parse_args(argv)

    start = time.perf_counter()
    records = generate(args.docs, args.seed, tatweel=not args.no_tatweel)
    inputs = write_corpus(records, args.out / "corpus.jsonl", args.parts)
    kinds = defaultdict(int)
    for rec in records:
        kinds[rec["kind"]] += 1
    copies = [r["jaccard"] for r in records if r["kind"] == "copy"]
    print(
        f"corpus: {len(records)} documents ({dict(kinds)}), {len(truth_clusters(records))} planted "
        f"clusters, copy Jaccard min {min(copies):.3f} median {float(np.median(copies)):.3f}; "
        f"{time.perf_counter() - start:.1f} s -> {args.out}"
    )
    if args.no_eval:
        return 0

    import gharbal

    recipe = near_recipe(args.workers, args.min_similarity)
    start = time.perf_counter()
    gharbal.run([str(p) for p in inputs], args.out / "out", recipe)
    seconds = time.perf_counter() - start
    truth = pairs_of(truth_clusters(records))
    found = pairs_of(gharbal_clusters(args.out / "out"))
    precision, recall = score(found, truth)
    print(
        f"gharbal near dedup (min_similarity {recipe.dedup.near.min_similarity}): "
        f"{seconds:.1f} s; true pairs {len(truth)}, found pairs {len(found)}, "
        f"correct {len(found & truth)}"
    )
    print(f"precision {precision:.4f}  recall {recall:.4f}")
    ok = precision >= 0.98 and recall >= 0.95
    print("PASS (precision >= 0.98, recall >= 0.95)" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
