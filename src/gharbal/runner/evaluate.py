"""Scoring extraction against labelled pages, exactly as the development set's ``score.py`` does.

Tokens are the Unicode word tokens of the lowercased text (Han, Hiragana and Katakana characters are
one token each); a page's precision, recall and F1 compare the bags of tokens with multiplicity, and
groups report macro averages over pages. Snippet gold (``gold_with`` / ``gold_without``, the
trafilatura evaluation) is scored per snippet, micro-averaged.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import regex

from gharbal.document import Document
from gharbal.executors.local import LocalExecutor
from gharbal.extract.config import ExtractConfig
from gharbal.extract.model import LineModel
from gharbal.extract.sitestats import site_of
from gharbal.readers import Shard
from gharbal.recipe import Recipe
from gharbal.runner.phases import Runner, split_phases
from gharbal.runner.steps import extraction_steps
from gharbal.stats import Stats
from gharbal.step import RunContext
from gharbal.writers.atomic import AtomicOutput
from gharbal.writers.output import Output

_TOK = regex.compile(r"\p{Han}|\p{Hiragana}|\p{Katakana}|[^\W\p{Han}\p{Hiragana}\p{Katakana}]+")


def tokens(text: str | None) -> list[str]:
    found: list[str] = _TOK.findall((text or "").lower())
    return found


def prf(pred: str | None, gold: str | None) -> tuple[float, float, float]:
    """Token precision, recall and F1 of ``pred`` against ``gold`` (as score.py)."""
    p_tok, g_tok = Counter(tokens(pred)), Counter(tokens(gold))
    n_p, n_g = sum(p_tok.values()), sum(g_tok.values())
    overlap = sum((p_tok & g_tok).values())
    if n_p == 0 and n_g == 0:
        return 1.0, 1.0, 1.0
    p = overlap / n_p if n_p else 0.0
    r = overlap / n_g if n_g else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _norm(s: str | None) -> str:
    return " ".join((s or "").split())


def snippet_counts(
    pred: str | None, with_: list[str], without: list[str]
) -> tuple[int, int, int, int]:
    """(true positives, false negatives, false positives, true negatives) over the snippets."""
    t = _norm(pred)
    tp = sum(1 for s in with_ if _norm(s) in t)
    fp = sum(1 for s in without if _norm(s) in t)
    return tp, len(with_) - tp, fp, len(without) - fp


# -- running extraction on labelled pages ---------------------------------------------------------

INPUTS = ("page_text", "html")


@dataclass(slots=True)
class EvalResult:
    """Scores per group (``ALL``, ``source:X``, ``lang:X``, ``source+lang:X/Y``)."""

    token: dict[str, tuple[int, float, float, float]]
    snippet: dict[str, tuple[int, float, float, float]]
    pages: int
    seconds: float
    missing: int = 0
    title: dict[str, int] = field(default_factory=dict)

    def table(self) -> str:
        out = []
        for heading, table in (
            ("Token-level bag-of-words, macro average over documents:", self.token),
            ("Snippet-level (trafilatura with/without), micro over snippets:", self.snippet),
        ):
            if not table:
                continue
            out.append(f"\n{heading}")
            out.append(f"{'group':<42} {'n':>6} {'P':>7} {'R':>7} {'F1':>7}")
            for key in sorted(table, key=_group_order):
                n, p, r, f = table[key]
                out.append(f"{key:<42} {n:>6} {p:>7.3f} {r:>7.3f} {f:>7.3f}")
        rate = self.pages / self.seconds if self.seconds else 0.0
        out.append(
            f"\n{self.pages} pages in {self.seconds:.1f}s of extraction ({rate:.0f} pages/s)"
        )
        if self.title:
            t = self.title
            out.append(
                f"titles: {t['exact']}/{t['pages']} exact, {t['overlap']}/{t['pages']} matching "
                f"(token F1 >= 0.8) the page's <title>/og:title, {t['none']} pages without a title"
            )
        return "\n".join(out)


def _group_order(key: str) -> tuple[int, str]:
    kind = key.split(":", 1)[0] if ":" in key else "ALL"
    return ({"ALL": 0, "sites": 1, "source": 2, "lang": 3, "source+lang": 4}.get(kind, 5), key)


HELD_OUT = ("source", "lang")


def held_key(rec: dict[str, Any], by: str) -> str:
    """The record's source or language, as the groups of the tables name it."""
    return str(rec.get(by) or "unknown")


def _groups(rec: dict[str, Any], big_site: bool) -> list[str]:
    lang = rec.get("lang") or "unknown"
    source = rec.get("source") or "unknown"
    groups = ["ALL", f"source:{source}", f"lang:{lang}", f"source+lang:{source}/{lang}"]
    if big_site:
        groups.append("sites:5+pages")  # pages of sites with 5 or more pages in the input
    return groups


def read_records(paths: Sequence[str | Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        p = Path(path)
        opener: Any = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rb") as f:
            for line in f:
                if line.strip():
                    rec = orjson.loads(line)
                    if isinstance(rec, dict):
                        yield rec


def html_titles(html: str) -> list[str]:
    """The ``<title>`` and ``og:title`` of a page (what a headline is checked against)."""
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    found = [(tree.title or "").strip()]
    if tree.document is not None:
        for meta in tree.document.query_selector_all('meta[property="og:title"]'):
            found.append((meta.getattr("content") or "").strip())
    return [t for t in found if t]


def _title_matches(title: str, references: list[str]) -> tuple[bool, bool]:
    norm = " ".join(tokens(title))
    exact = any(norm and norm in " ".join(tokens(ref)) for ref in references)
    close = exact or any(prf(title, ref)[0] >= 0.8 for ref in references)
    return exact, close


def evaluate(
    paths: Sequence[str | Path],
    cfg: ExtractConfig,
    source: str = "page_text",
    site_stats: bool = True,
    models_by_site: Path | None = None,
    pred: Path | None = None,
) -> EvalResult:
    """Extract every labelled page of ``paths`` from ``source`` (``page_text`` or ``html``) and
    score it; with ``site_stats``, pages of the same site are used together (as `gharbal extract`).

    ``models_by_site`` names a JSON file ``{"models": {fold: model.json}, "sites": {site: fold}}``
    (written by ``scripts/train_lines.py --cv``; a model file may be gzipped, ``.json.gz``): each
    page is then judged by the model that never saw its site (site-grouped cross-validation). A
    file ``{"by": "source" or "lang", "models": {fold: model.json}, "groups": {source or language:
    fold}}`` (``train_lines.py --loso`` / ``--lolo``) holds out whole sources or languages instead:
    only the pages of a held-out group are scored, each by the model that never saw its group, and
    site statistics are counted within the group (each held-out source is its own input).
    """
    if source not in INPUTS:
        raise ValueError(f"source must be one of {INPUTS}")
    spec: dict[str, Any] = {}
    if models_by_site is not None:
        spec = json.loads(models_by_site.read_text(encoding="utf-8"))
    held_by: str | None = spec.get("by")
    if held_by not in (None, *HELD_OUT):
        raise ValueError(f"folds file: 'by' must be one of {HELD_OUT}")
    held: dict[str, str] = spec.get("groups", {})
    records = list(read_records(paths))
    if held_by is not None:
        records = [rec for rec in records if held_key(rec, held_by) in held]
    docs = [_document(rec, source) for rec in records]
    fold_models: dict[str, LineModel] = {}
    site_fold: dict[str, str] = {}
    if models_by_site is not None:
        for fold, name in spec["models"].items():
            path = models_by_site.parent / name
            raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
            fold_models[fold] = LineModel.from_dict(json.loads(raw.decode("utf-8")))
        site_fold = spec.get("sites", {})

    # One input per held-out group (source or language); otherwise all pages are one input.
    groups: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        groups.setdefault(held_key(rec, held_by) if held_by else "", []).append(i)
    extracted: list[Document | None] = [None] * len(docs)
    start = time.perf_counter()
    for group, members in groups.items():
        if held_by is not None:
            models = _Models(fold_models[held[group]])
        else:
            models = _Models(None, fold_models, site_fold)
        pages = [docs[i] for i in members]
        for i, doc in zip(members, _extract(pages, cfg, site_stats, models), strict=True):
            extracted[i] = doc
    seconds = time.perf_counter() - start
    predictions: list[str] = []
    titles: list[str | None] = []
    for page in extracted:
        assert page is not None
        predictions.append(page.text if page.rejection is None else "")  # too many lines, too deep
        titles.append(page.title)
    if pred is not None:
        with pred.open("w", encoding="utf-8") as out:
            for doc, text in zip(docs, predictions, strict=True):
                out.write(json.dumps({"id": doc.id, "text": text}, ensure_ascii=False) + "\n")
    per_site = Counter(site_of(doc) for doc in docs)
    full: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    snip: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    title = {"pages": 0, "exact": 0, "overlap": 0, "none": 0}
    for doc, rec, text, found in zip(docs, records, predictions, titles, strict=True):
        key = site_of(doc)
        big = key is not None and per_site[key] >= 5
        if rec.get("gold_text") is not None:
            scores = prf(text, rec["gold_text"])
            for g in _groups(rec, big):
                full[g].append(scores)
        elif rec.get("gold_with") is not None:
            found_snippets = snippet_counts(text, rec["gold_with"], rec.get("gold_without") or [])
            for g in _groups(rec, big):
                acc = snip[g]
                for i in range(4):
                    acc[i] += found_snippets[i]
                acc[4] += 1
        refs = html_titles(rec["html"]) if rec.get("html") and source == "page_text" else []
        if refs:
            title["pages"] += 1
            if not found:
                title["none"] += 1
            else:
                exact, close = _title_matches(found, refs)
                title["exact"] += exact
                title["overlap"] += close
    token = {
        g: (
            len(v),
            sum(x[0] for x in v) / len(v),
            sum(x[1] for x in v) / len(v),
            sum(x[2] for x in v) / len(v),
        )
        for g, v in full.items()
    }
    snippet = {}
    for g, (tp, fn, fp, _tn, n) in snip.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        snippet[g] = (n, p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return EvalResult(token, snippet, len(docs), seconds, title=title if title["pages"] else {})


def _document(rec: dict[str, Any], source: str) -> Document:
    """A labelled record as the page to extract: its HTML (``source == "html"``, when it has
    some) or its page text."""
    doc = Document(
        id=str(rec["id"]),
        url=rec.get("url"),
        metadata={"site": rec["site"]} if rec.get("site") else {},
    )
    if source == "html" and rec.get("html"):
        doc.html = rec["html"]
    else:
        text = rec.get("page_text") if rec.get("page_text") is not None else rec.get("text")
        doc.text = text or ""
    return doc


class _Models:
    """The line model of each page: ``fixed`` (its held-out group's), or the model of the fold
    that never saw its site (``site_fold``), or the recipe's (None)."""

    def __init__(
        self,
        fixed: LineModel | None,
        folds: dict[str, LineModel] | None = None,
        site_fold: dict[str, str] | None = None,
    ) -> None:
        self.fixed, self.folds, self.site_fold = fixed, folds or {}, site_fold or {}

    def __call__(self, doc: Document) -> LineModel | None:
        if self.fixed is not None or not self.folds:
            return self.fixed
        # A site absent from the folds was in no fold's training data: any fold's model is blind.
        return self.folds[self.site_fold.get(site_of(doc) or doc.id, min(self.folds))]


class _Pages:
    """The first phase's source: the pages, in memory (the evaluation runs them in this process)."""

    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs

    def __call__(self, shard: Shard, recipe: Recipe, ctx: RunContext) -> Iterator[Document]:
        return iter(self.docs)


class _Kept(AtomicOutput):
    """The last phase's sink: every page, extracted (or rejected: too many lines, too deep), kept
    in memory in order."""

    def __init__(self, out: Path, index: int, recipe: Recipe, stats: Stats) -> None:
        self.docs: list[Document] = []
        self.stats = stats

    def write(self, doc: Document) -> None:
        self.docs.append(doc)
        self.stats.input += 1
        if doc.rejection is None:
            self.stats.kept += 1
        else:
            self.stats.rejected += 1
            self.stats.rejected_by_reason[doc.rejection.reason] += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _extract(
    docs: list[Document], cfg: ExtractConfig, site_stats: bool, models: _Models
) -> list[Document]:
    """``docs`` extracted as one input, by the pipeline's runner and extraction steps (the site
    statistics of their sites between two phases, with ``site_stats``)."""
    recipe = Recipe(extract=cfg)
    build = partial(extraction_steps, site_stats=site_stats, reject_empty=False, models=models)
    phases = split_phases(build(recipe))
    kept: list[_Kept] = []

    def sink(out: Path, index: int, recipe: Recipe, stats: Stats) -> _Kept:
        kept.append(_Kept(out, index, recipe, stats))
        return kept[-1]

    plan: dict[str, object] = {"shards": [{"index": 0, "files": [], "span": None}]}
    with (
        tempfile.TemporaryDirectory(prefix="gharbal-eval-") as tmp,
        LocalExecutor(1) as executor,
        ThreadPoolExecutor(max_workers=1) as uploads,
    ):
        runner = Runner(
            Output(Path(tmp)), recipe, [Shard(0, ())], phases, plan, executor, None, build,
            source=_Pages(docs), sink=sink,
        )  # fmt: skip
        runner.run_phases(uploads)
    return [doc for part in kept for doc in part.docs]
