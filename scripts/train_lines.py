"""Train the line classifier shipped in ``src/gharbal/data/models/`` (and cross-validate it).

    pip install -e '.[train]'
    python scripts/train_lines.py ../shared/data/dev --cv            # site-grouped CV report
    python scripts/train_lines.py ../shared/data/dev --loso          # leave-one-source-out report
    python scripts/train_lines.py ../shared/data/dev --write         # train on all allowed data, ship

What it does:

1. **Pages and labels.** Every page of the full-gold files (``gold_text``) is split into lines as
   gharbal splits them; a line is *content* when most of its word tokens (the scorer's tokens) are
   matched, in order, by the gold text (difflib alignment of the token sequences).
   ``trafilatura_eval`` pages (snippet gold) add partial labels: a line containing a ``gold_with``
   snippet is content, one containing a ``gold_without`` snippet is boilerplate, others are unused
   as targets (but present as context). Pages listed in ``tests/quality/fixtures`` (the CI accuracy
   gate) are never trained on, nor (unless ``--include-gpl``) the GPL-3.0 waddle pages; all pages are
   evaluated in cross-validation.
2. **Site statistics** come from the pages of the same ``site`` in the data, exactly as
   `gharbal.extract.sitestats` would count them at run time.
3. **Chrome lexicon**: word forms with their log-odds of occurring in boilerplate rather than in
   content lines, counted in distinct *sites* (a word must be seen on ``--lexicon-min-sites`` sites,
   so no site's own name can enter); learned on the training pages only.
4. **Two LightGBM stages** (stacked sequential learning): stage 1 sees the line and its neighbours;
   stage 2 adds stage 1's out-of-fold scores of the neighbours and the page's main-block structure.
5. **Cross-validation** groups pages by site (GroupKFold): a page is always scored by models that
   never saw its site. Predictions are written per page and scored like ``score.py``.
6. **Out-of-source validation** (``--loso``): each source of the dev set is held out in turn; the
   whole model (lexicon, both stages, inner out-of-fold scores) is trained on the allowed pages of
   the other sources, leaving out also their pages of any site the held-out source has (so a
   held-out page is judged by a model that saw neither its source nor its site). The held-out
   pages are then extracted by gharbal's own pipeline (`gharbal.runner.evaluate.evaluate`, exactly as
   ``gharbal eval --cv-models``; site statistics counted within the held-out source) and scored
   per source, per language within it, Arabic apart, with and without site statistics; the
   headline is the macro token F1 over the held-out full-gold sources (snippet F1 for
   ``trafilatura_eval``, reported apart). ``--lolo`` does the same per language (``--lolo-langs``).
7. ``--write`` trains on every allowed page and writes the JSON model (`gharbal.extract.model`).
8. **Distillation data** (``--distil FILE``, made by ``scripts/distil_labels.py`` from the
   unlabelled HTML pages): lines labelled by HTML-aware teachers (trafilatura precision / recall,
   resiliparse main content) are added as targets where the teachers agree (``--distil-agree``),
   the other lines stay as context; each teacher page weighs ``--distil-weight`` times a gold page.
   Teacher pages are always trained on, never evaluated; in CV and hold-out runs a teacher page is
   left out when its site is among the held-out pages' sites.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import gzip
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gharbal.document import Line, Verdict
from gharbal.extract.features import SiteCounts, line_form, measure_page, with_lexicon
from gharbal.extract.model import (
    STAGE2_NAMES,
    Forest,
    LineModel,
    average_forests,
    export_lightgbm,
    with_stage2,
)
from gharbal.runner.evaluate import prf, tokens
from gharbal.step import join_kept, split_lines

FULL_GOLD = {
    "scrapinghub_aeb": "MIT",
    "readability_testpages": "Apache-2.0",
    "newspaper4k_tests": "MIT",
    "waddle_daniel_dev": "GPL-3.0",
}
SNIPPET_GOLD = {"trafilatura_eval": "Apache-2.0"}
ROOT = Path(__file__).resolve().parents[1]
GATE = ROOT / "tests" / "quality" / "fixtures" / "gate.jsonl.gz"
MODEL_OUT = ROOT / "src" / "gharbal" / "data" / "models"

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.15,
    "num_leaves": 31,
    "max_depth": 7,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "max_bin": 63,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}
# 80 trees of depth <= 7 per stage (lines_gbt_v2): the same site-grouped CV F1 as 150 trees of depth
# 8 (v1) and the accuracy gate passed, at less than half the evaluation cost (model card).
ROUNDS = 80


@dataclass
class Page:
    id: str
    source: str
    site: str
    lang: str
    licence: str
    lines: list[Line]
    labels: np.ndarray  # 1 content, 0 boilerplate, -1 unknown
    weights: np.ndarray
    gold: str | None
    gold_with: list[str] = field(default_factory=list)
    gold_without: list[str] = field(default_factory=list)
    site_lines: list[int] = field(default_factory=list)
    site_pages: int = 1
    licence_ok: bool = True
    in_gate: bool = False
    distil: bool = False  # teacher-labelled page (never evaluated)
    dom: np.ndarray | None = None  # DOM features of the lines (--dom), from the page's HTML
    cache: dict[str, Any] = field(default_factory=dict)


DOM = False
"""--dom: the model also sees what the HTML says about each line (`gharbal.extract.dom`)."""


def page_dom(html: str | None, lines: list[Line]) -> np.ndarray:
    """The DOM features of ``lines`` from the page's ``html`` (every column unknown without)."""
    from gharbal.extract.dom import dom_features, unknown_dom

    if not html:
        return unknown_dom(len(lines))
    return dom_features(html, [ln.text for ln in lines])


def _align_labels(lines: list[Line], gold: str) -> tuple[np.ndarray, np.ndarray]:
    line_toks = [tokens(ln.text) for ln in lines]
    flat: list[str] = []
    owner: list[int] = []
    for i, toks in enumerate(line_toks):
        flat.extend(toks)
        owner.extend([i] * len(toks))
    gold_toks = tokens(gold)
    matched = np.zeros(len(lines), dtype=np.float64)
    sm = difflib.SequenceMatcher(None, flat, gold_toks, autojunk=False)
    for block in sm.get_matching_blocks():
        # A lone common word matched between two long blocks is not evidence.
        if block.size < 2 and len(line_toks[owner[block.a]] if block.size else []) > 2:
            continue
        for k in range(block.a, block.a + block.size):
            matched[owner[k]] += 1
    n_tok = np.array([len(t) for t in line_toks], dtype=np.float64)
    labels = np.where(n_tok > 0, (matched >= 0.5 * np.maximum(n_tok, 1)).astype(np.int8), 0)
    return labels.astype(np.int8), n_tok


def _snippet_labels(lines: list[Line], with_: list[str], without: list[str]) -> np.ndarray:
    labels = np.full(len(lines), -1, dtype=np.int8)
    norm = [" ".join(ln.text.split()) for ln in lines]
    for snippets, value in ((without, 0), (with_, 1)):
        for s in snippets:
            s = " ".join(s.split())
            if len(s) < 4:
                continue
            for i, t in enumerate(norm):
                if s in t and (value == 1 or len(s) >= 0.5 * len(t)):
                    labels[i] = value
    return labels


def load_pages(dev: Path, exclude_gpl: bool, snippets: bool) -> list[Page]:
    gate_ids: set[str] = set()
    if GATE.exists():
        with gzip.open(GATE, "rt", encoding="utf-8") as f:
            gate_ids = {json.loads(line)["id"] for line in f}
    files = dict(FULL_GOLD)
    if snippets:
        files.update(SNIPPET_GOLD)
    pages: list[Page] = []
    for name, licence in files.items():
        if exclude_gpl and licence.startswith("GPL"):
            continue
        with gzip.open(dev / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            for raw in f:
                rec = json.loads(raw)
                lines = split_lines(rec["page_text"])
                if not lines:
                    continue
                if rec.get("gold_text") is not None:
                    labels, n_tok = _align_labels(lines, rec["gold_text"])
                else:
                    labels = _snippet_labels(lines, rec["gold_with"], rec["gold_without"])
                    n_tok = np.array([len(tokens(ln.text)) for ln in lines], dtype=np.float64)
                w = np.sqrt(n_tok + 1.0)
                known = labels >= 0
                w = np.where(known, w / max(w[known].sum(), 1e-9), 0.0)
                pages.append(
                    Page(
                        id=rec["id"],
                        source=rec["source"],
                        site=rec.get("site") or rec["id"],
                        lang=rec.get("lang") or "unknown",
                        licence=licence,
                        lines=lines,
                        labels=labels,
                        weights=w,
                        gold=rec.get("gold_text"),
                        gold_with=rec.get("gold_with") or [],
                        gold_without=rec.get("gold_without") or [],
                        in_gate=rec["id"] in gate_ids,
                        dom=page_dom(rec.get("html"), lines) if DOM else None,
                    )
                )
    _site_stats(pages)
    return pages


def agree(p: list[int], r: list[int], z: list[int], rule: str) -> list[int]:
    """Target per line from the teachers' labels (1 content, 0 boilerplate, -1 no target).

    ``traf``: both trafilatura settings agree. ``all``: they agree and resiliparse agrees too.
    ``traf+res-content``: both trafilatura agree; content also needs resiliparse (boilerplate
    needs only trafilatura).
    """
    out = []
    for a, b, c in zip(p, r, z, strict=True):
        if (
            a != b
            or (rule == "all" and c != a)
            or (rule == "traf+res-content" and a == 1 and c != 1)
        ):
            out.append(-1)
        else:
            out.append(a)
    return out


def _unlabelled_html(folder: Path) -> dict[str, str]:
    """HTML of the unlabelled pages by id (for their DOM features)."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for raw in f:
                rec = json.loads(raw)
                if rec.get("html"):
                    out[rec["id"]] = rec["html"]
    return out


def load_distil(path: Path, rule: str, weight: float, unlabelled: Path | None = None) -> list[Page]:
    """Teacher-labelled pages of ``scripts/distil_labels.py``: targets where the teachers agree
    (``rule``, see `agree`), no target elsewhere; page weight ``weight`` (a gold
    page weighs 1). Site statistics are counted among these pages. With `DOM`, the pages' HTML is
    read again from ``unlabelled``."""
    pages: list[Page] = []
    html = _unlabelled_html(unlabelled) if DOM and unlabelled is not None else {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for raw in f:
            rec = json.loads(raw)
            lines = split_lines(rec["page_text"])
            labels = np.array(agree(rec["prec"], rec["rec"], rec["res"], rule), dtype=np.int8)
            if len(labels) != len(lines) or not (labels >= 0).any():
                continue
            n_tok = np.array([len(tokens(ln.text)) for ln in lines], dtype=np.float64)
            w = np.sqrt(n_tok + 1.0)
            known = labels >= 0
            w = np.where(known, weight * w / max(w[known].sum(), 1e-9), 0.0)
            pages.append(
                Page(
                    id=rec["id"],
                    source="distil",
                    site=rec.get("site") or rec["id"],
                    lang=rec.get("lang") or "unknown",
                    licence=rec.get("licence") or "",
                    lines=lines,
                    labels=labels,
                    weights=w,
                    gold=None,
                    distil=True,
                    dom=page_dom(html.get(rec["id"]), lines) if DOM else None,
                )
            )
    _site_stats(pages)
    return pages


def _site_stats(pages: list[Page]) -> None:
    by_site: dict[str, list[Page]] = defaultdict(list)
    for p in pages:
        by_site[p.site].append(p)
    for group in by_site.values():
        counts: Counter[str] = Counter()
        # Line forms, as the site_stats stage keys lines.
        forms = [[line_form(ln.text) for ln in p.lines] for p in group]
        for fs in forms:
            counts.update(set(fs))
        for p, fs in zip(group, forms, strict=True):
            p.site_lines = [counts[f] for f in fs]
            p.site_pages = len(group)


# Arabic chrome words and the English chrome word whose learned score they take over. The
# development set has almost no Arabic page, so Arabic chrome cannot be learned from it; this
# translation table carries what was learned (on many sites) over to Arabic: the scores still come
# from data, only the word pairs are written by hand. Forms as `line_form` gives them.
ARABIC_BRIDGE = {
    "تابعنا": "follow", "تابعونا": "follow", "شارك": "share", "شاركها": "share",
    "مشاركة": "share", "اقرأ": "read", "اقرا": "read", "إقرأ": "read", "قراءة": "read",
    "المزيد": "more", "الرئيسية": "home", "الرئيسيه": "home", "اتصل": "contact",
    "اتصال": "contact", "الخصوصية": "privacy", "سياسة": "policy", "الحقوق": "rights",
    "حقوق": "rights", "محفوظة": "reserved", "محفوظه": "reserved", "التعليقات": "comments",
    "تعليقات": "comments", "تعليق": "comment", "تعليقك": "comment", "اشترك": "subscribe",
    "الاشتراك": "subscribe", "تسجيل": "register", "الدخول": "login", "دخول": "login",
    "النشرة": "newsletter", "البريدية": "newsletter", "البريد": "email", "صلة": "related",
    "الأكثر": "popular", "فيسبوك": "facebook", "تويتر": "twitter", "واتساب": "whatsapp",
    "يوتيوب": "youtube", "انستغرام": "instagram", "إنستغرام": "instagram", "عاجل": "breaking",
    "تصوير": "photo", "الصورة": "photo", "صورة": "photo", "بحث": "search", "القائمة": "menu",
    "الكلمات": "tags", "المفتاحية": "tags", "الوسوم": "tags", "إعلان": "advertisement",
    "اعلان": "advertisement", "الشروط": "terms", "الأحكام": "terms", "فيديو": "video",
    "أحدث": "latest", "طباعة": "print", "نحن": "about", "جاري": "loading", "تحميل": "loading",
    "مواضيع": "topics", "المواضيع": "topics", "الرأي": "opinion", "رياضة": "sports",
    "الرياضة": "sports", "منوعات": "lifestyle", "ثقافة": "arts",
    # Date lines, counters, related-item lists and widgets of Arabic news pages (2026-12-06):
    # months (Egyptian and Gulf names, then Levantine), weekdays, "ago", "views", "updated".
    "فبراير": "february", "مارس": "march", "مايو": "may", "يونيو": "june", "يوليو": "july",
    "أغسطس": "august", "أكتوبر": "october", "نوفمبر": "november", "ديسمبر": "december",
    "شباط": "february", "آذار": "march", "أيار": "may", "حزيران": "june", "تموز": "july",
    "الاثنين": "monday", "الأربعاء": "wednesday", "الجمعة": "friday", "الأحد": "sunday",
    "منذ": "ago", "ساعات": "hours", "مشاهدة": "views", "مشاهدات": "views",
    "المشاهدات": "views", "تحديث": "updated", "آخر": "latest", "نشر": "published",
    "اضغط": "click", "هنا": "here", "وسوم": "tags", "الطقس": "weather", "طقس": "weather",
    "شاهد": "watch", "متعلقة": "related", "إعلانات": "advertisement", "ممول": "sponsored",
    "برعاية": "sponsored", "الرائجة": "trending", "التالي": "next", "السابق": "previous",
    "الصفحة": "page", "تابع": "follow", "خصوصية": "privacy", "الخصوصيه": "privacy",
}  # fmt: skip


def bridge(lexicon: dict[str, float]) -> dict[str, float]:
    """``lexicon`` with the Arabic words of `ARABIC_BRIDGE` scored as their English counterpart
    (learned scores above 0 only; a word the data scored already keeps its own score)."""
    out = dict(lexicon)
    for arabic, english in ARABIC_BRIDGE.items():
        form = line_form(arabic)
        if english in out and form not in out and out[english] > 0:
            out[form] = out[english]
    return out


def build_lexicon(pages: list[Page], min_sites: int, size: int) -> dict[str, float]:
    content_sites: dict[str, set[str]] = defaultdict(set)
    chrome_sites: dict[str, set[str]] = defaultdict(set)
    for p in pages:
        for ln, lab in zip(p.lines, p.labels, strict=True):
            if lab < 0:
                continue
            target = content_sites if lab == 1 else chrome_sites
            for w in set(line_form(ln.text).split()):  # words in matching form, digits folded
                if len(w) <= 30:
                    target[w].add(p.site)
    n_c = sum(len(s) for s in content_sites.values()) or 1
    n_b = sum(len(s) for s in chrome_sites.values()) or 1
    scored: list[tuple[float, str, float]] = []
    for w in set(content_sites) | set(chrome_sites):
        b, c = len(chrome_sites.get(w, ())), len(content_sites.get(w, ()))
        if b + c < min_sites:
            continue
        score = math.log((b + 1) / n_b) - math.log((c + 1) / n_c)
        score = max(min(score, 4.0), -4.0)
        scored.append((abs(score) * math.log(b + c), w, round(score, 3)))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return bridge({w: s for _, w, s in scored[:size]})


def page_matrix(p: Page, lexicon: dict[str, float], use_site: bool) -> np.ndarray:
    """Features of ``p`` (measured once per page and site setting; lexicon columns per call)."""
    key = "site" if use_site else "nosite"
    if key not in p.cache:
        site = SiteCounts(p.site_pages, p.site_lines) if use_site and p.site_pages > 1 else None
        p.cache[key] = measure_page(p.lines, {}, site)
    matrix = with_lexicon(p.cache[key], lexicon)
    if DOM:
        assert p.dom is not None
        matrix = np.hstack([matrix, p.dom])
    return matrix


def _stack(pages: list[Page], mats: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.concatenate(mats)
    y = np.concatenate([p.labels for p in pages]).astype(np.float64)
    w = np.concatenate([p.weights for p in pages])
    keep = y >= 0
    return x[keep], y[keep], w[keep]


BAG = 1
"""Forests per stage, trained with seeds ``seed``, ``seed + 1``, ... and averaged (``--bag``)."""


class Bag:
    """Boosters trained alike but for their seed; they predict their mean raw score."""

    def __init__(self, boosters: list[Any]) -> None:
        self.boosters = boosters

    def predict(self, x: np.ndarray, raw_score: bool = True) -> np.ndarray:
        assert raw_score
        return np.mean([b.predict(x, raw_score=True) for b in self.boosters], axis=0)


def train_booster(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: list[str]) -> Any:
    import lightgbm as lgb

    weight = w * len(w) / w.sum()
    boosters = []
    for k in range(BAG):  # a Dataset per seed: the seed also samples the bin boundaries
        ds = lgb.Dataset(x, y, weight=weight, feature_name=names, free_raw_data=True)
        boosters.append(lgb.train({**PARAMS, "seed": PARAMS["seed"] + k}, ds, ROUNDS))
    return boosters[0] if BAG == 1 else Bag(boosters)


def export(booster: Any) -> Forest:
    """The `Forest` of a booster, or the average of a `Bag`'s."""
    if isinstance(booster, Bag):
        return average_forests([export_lightgbm(b) for b in booster.boosters])
    return export_lightgbm(booster)


def set_size(rounds: int, depth: int, leaves: int, learning_rate: float) -> None:
    """Size of each stage's forest (rounds x depth is what evaluating a line costs)."""
    global ROUNDS
    ROUNDS = rounds
    PARAMS.update(max_depth=depth, num_leaves=leaves, learning_rate=learning_rate)


def _group_folds(pages: list[Page], k: int) -> list[int]:
    """Fold of each page: sites are spread over ``k`` folds by size (deterministic)."""
    sizes = Counter(p.site for p in pages)
    load = [0] * k
    fold_of: dict[str, int] = {}
    for site, n in sorted(sizes.items(), key=lambda t: (-t[1], t[0])):
        f = min(range(k), key=lambda j: (load[j], j))
        fold_of[site] = f
        load[f] += n
    return [fold_of[p.site] for p in pages]


def fit(pages: list[Page], args: argparse.Namespace) -> LineModel:
    """Train both stages on ``pages`` (stage-2 inputs from inner out-of-fold stage-1 scores)."""
    from gharbal.extract.dom import DOM_FEATURES
    from gharbal.extract.features import FEATURE_NAMES

    # The chrome lexicon is learned from the human-labelled pages only (teacher pages too with
    # --distil-lexicon): teacher labels on 1,200 more sites dilute the chrome words' scores.
    lex_pages = (
        pages if getattr(args, "distil_lexicon", False) else [p for p in pages if not p.distil]
    )
    lexicon = build_lexicon(lex_pages, args.lexicon_min_sites, args.lexicon_size)
    mats = [page_matrix(p, lexicon, use_site=True) for p in pages]
    names = list(FEATURE_NAMES) + (list(DOM_FEATURES) if DOM else [])
    x, y, w = _stack(pages, mats)
    stage1 = train_booster(x, y, w, names)
    # Inner out-of-fold stage-1 scores for stage 2.
    folds = _group_folds(pages, args.inner_folds)
    oof: list[np.ndarray | None] = [None] * len(pages)
    for f in range(args.inner_folds):
        tr = [i for i, g in enumerate(folds) if g != f]
        te = [i for i, g in enumerate(folds) if g == f]
        xi, yi, wi = _stack([pages[i] for i in tr], [mats[i] for i in tr])
        b = train_booster(xi, yi, wi, names)
        for i in te:
            oof[i] = b.predict(mats[i], raw_score=True)
    mats2 = [with_stage2(m, s) for m, s in zip(mats, oof, strict=True) if s is not None]
    x2, y2, w2 = _stack(pages, mats2)
    stage2 = train_booster(x2, y2, w2, names + list(STAGE2_NAMES))
    return LineModel.from_dict(
        {
            "format": "gharbal-line-model",
            "version": 1,
            "name": args.name,
            "threshold": args.threshold,
            "feature_names": names,
            "stage2_names": list(STAGE2_NAMES),
            "lexicon": lexicon,
            "stage1": export(stage1),
            "stage2": export(stage2),
        }
    )


def predict_page(model: LineModel, p: Page, use_site: bool) -> np.ndarray:
    return model.predict_proba(page_matrix(p, model.lexicon, use_site))


def page_text(p: Page, proba: np.ndarray, threshold: float) -> str:
    lines = [Line(ln.no, ln.text) for ln in p.lines]
    for ln, q in zip(lines, proba, strict=True):
        ln.verdict = Verdict.KEEP if q >= threshold else Verdict.REMOVE
    return join_kept(lines)


def report(pages: list[Page], probs: list[np.ndarray], thresholds: list[float], tag: str) -> None:
    full = [(p, q) for p, q in zip(pages, probs, strict=True) if p.gold is not None]
    for t in thresholds:
        groups: dict[str, list[float]] = defaultdict(list)
        for p, q in full:
            f1 = prf(page_text(p, q, t), p.gold or "")[2]
            for g in ("ALL", f"source:{p.source}", f"lang:{p.lang}"):
                groups[g].append(f1)
        line = " ".join(
            f"{g}={np.mean(v):.3f}({len(v)})"
            for g, v in sorted(groups.items())
            if g == "ALL" or g.startswith("source") or len(v) >= 20
        )
        print(f"[{tag}] t={t:.2f} {line}", flush=True)


def cross_validate(pages: list[Page], args: argparse.Namespace) -> None:
    extra = [p for p in pages if p.distil]  # trained on in every fold their site is not tested in
    pages = [p for p in pages if not p.distil]
    folds = _group_folds(pages, args.folds)
    with_site: list[np.ndarray | None] = [None] * len(pages)
    no_site: list[np.ndarray | None] = [None] * len(pages)
    if args.cv_out:
        Path(args.cv_out).mkdir(parents=True, exist_ok=True)
        spec = {
            "models": {str(f): f"fold{f}.json" for f in range(args.folds)},
            "sites": {p.site.lower(): str(g) for p, g in zip(pages, folds, strict=True)},
        }
        (Path(args.cv_out) / "folds.json").write_text(json.dumps(spec, indent=0), encoding="utf-8")
    for f in range(args.folds):
        start = time.time()
        train = [p for p, g in zip(pages, folds, strict=True) if g != f and p.licence_ok]
        test_sites = {p.site.lower() for p, g in zip(pages, folds, strict=True) if g == f}
        train += [p for p in extra if p.site.lower() not in test_sites]
        model = fit(train, args)
        if args.cv_out:
            (Path(args.cv_out) / f"fold{f}.json").write_text(model.to_json(), encoding="utf-8")
        for i, (p, g) in enumerate(zip(pages, folds, strict=True)):
            if g == f:
                with_site[i] = predict_page(model, p, True)
                no_site[i] = predict_page(model, p, False)
        print(f"fold {f}: {len(train)} train pages, {time.time() - start:.0f}s", file=sys.stderr)
    ws = [q for q in with_site if q is not None]
    ns = [q for q in no_site if q is not None]
    report(pages, ws, args.thresholds, "site")
    report(pages, ns, args.thresholds, "nosite")
    if args.pred:
        for tag, probs in (("site", ws), ("nosite", ns)):
            path = Path(f"{args.pred}.{tag}.jsonl")
            with path.open("w", encoding="utf-8") as out:
                for p, q in zip(pages, probs, strict=True):
                    text = page_text(p, q, args.threshold)
                    out.write(json.dumps({"id": p.id, "text": text}, ensure_ascii=False) + "\n")
            print(f"wrote {path}", file=sys.stderr)


# -- held-out groups: leave one source (or language) out ----------------------------------------


@dataclass
class Holdout:
    """One held-out group: the pages it tests and the pages its model may train on."""

    name: str
    test: list[int]
    train: list[int]
    dropped: int  # trainable pages of other groups left out because their site is in ``test``


def holdout_folds(
    keys: Sequence[str],
    sites: Sequence[str],
    trainable: Sequence[bool],
    groups: Sequence[str] | None = None,
) -> list[Holdout]:
    """Hold out each group (``keys``: every page's source or language) in turn.

    A held-out group's pages are all tested (gate and GPL pages included); its model trains on the
    ``trainable`` pages (licence allows, not a gate fixture) of the *other* groups whose site does
    not occur in the held-out group (sites compared case-insensitively), so the model has seen
    neither the held-out source nor any of its sites. ``groups``: which groups to hold out (default
    every group, sorted); a group with no page is skipped.
    """
    names = sorted(set(keys)) if groups is None else [g for g in groups if g in set(keys)]
    folds: list[Holdout] = []
    for name in names:
        test = [i for i, k in enumerate(keys) if k == name]
        test_sites = {sites[i].lower() for i in test}
        others = [i for i, k in enumerate(keys) if k != name and trainable[i]]
        train = [i for i in others if sites[i].lower() not in test_sites]
        folds.append(Holdout(name, test, train, len(others) - len(train)))
    return folds


def _files(args: argparse.Namespace) -> list[Path]:
    names = list(FULL_GOLD) + ([] if args.no_snippets else list(SNIPPET_GOLD))
    return [args.dev / f"{n}.jsonl.gz" for n in names]


def _f1(table: dict[str, tuple[int, float, float, float]], group: str) -> str:
    return f"{table[group][3]:.3f}" if group in table else "-"


def hold_out(pages: list[Page], args: argparse.Namespace, by: str, out: Path) -> dict[str, Any]:
    """Train one model per held-out group (``by``: ``source`` or ``lang``), write them and
    ``folds.json`` to ``out``, score the held-out pages with gharbal's pipeline and print the table.
    """
    from gharbal import Recipe
    from gharbal.runner.evaluate import evaluate

    start = time.time()
    groups = (
        sorted({p.source for p in pages if not p.distil}) if by == "source" else args.lolo_langs
    )
    folds = holdout_folds(
        [getattr(p, by) for p in pages],
        [p.site for p in pages],
        [p.licence_ok for p in pages],
        groups,
    )
    for h in folds:  # teacher pages train (unless they share a held-out site), are never tested
        h.test = [i for i in h.test if not pages[i].distil]
    out.mkdir(parents=True, exist_ok=True)
    spec: dict[str, Any] = {"by": by, "models": {}, "groups": {}}
    for h in folds:
        t0 = time.time()
        model = fit([pages[i] for i in h.train], args)
        name = f"{by}_{h.name}.json"
        (out / name).write_text(model.to_json(), encoding="utf-8")
        spec["models"][h.name] = name
        spec["groups"][h.name] = h.name
        print(
            f"held out {by} {h.name}: {len(h.test)} pages tested, {len(h.train)} train pages "
            f"({h.dropped} left out for sharing a site), {time.time() - t0:.0f}s",
            file=sys.stderr,
        )
    spec_path = out / "folds.json"
    spec_path.write_text(json.dumps(spec, indent=0), encoding="utf-8")
    recipe = Recipe()
    if DOM:  # the held-out pages read from their HTML, as extractor dom reads them
        recipe = Recipe.model_validate({"extract": {"html": {"extractor": "dom"}}})
    results = {
        tag: evaluate(
            _files(args),
            recipe.extract,
            site_stats=use_site,
            models_by_site=spec_path,
            source="html" if DOM else "page_text",
        )
        for tag, use_site in (("site", True), ("nosite", False))
    }
    summary = _print_holdout(pages, folds, by, results)
    summary["seconds"] = round(time.time() - start, 1)
    (out / "report.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"[{by}] {time.time() - start:.0f}s, models and folds.json in {out}", flush=True)
    return summary


Table = dict[str, tuple[int, float, float, float]]


def _row(label: str, with_site: Table, without: Table, key: str) -> None:
    n, p, r, f = with_site[key]
    print(f"{label:<46} {n:>6} {p:>6.3f} {r:>6.3f} {f:>8.3f} {_f1(without, key):>7}")


def _print_holdout(
    pages: list[Page], folds: list[Holdout], by: str, results: dict[str, Any]
) -> dict[str, Any]:
    """Per held-out group, per the other key within it, Arabic apart, macro over groups."""
    site, nosite = results["site"], results["nosite"]
    kinds = {"token": (site.token, nosite.token), "snippet": (site.snippet, nosite.snippet)}
    inner = "lang" if by == "source" else "source"
    print(f"\n[{by}] held-out pages, P/R with site statistics; F1 with / without site statistics")
    print(f"{'group':<46} {'pages':>6} {'P':>6} {'R':>6} {'F1 site':>8} {'nosite':>7}")
    summary: dict[str, Any] = {"by": by, "groups": {}}
    for kind, (t_site, t_nosite) in kinds.items():
        summary[kind] = {
            "site": {g: list(v) for g, v in t_site.items()},
            "nosite": {g: list(v) for g, v in t_nosite.items()},
        }
    macro: dict[str, list[float]] = {"site": [], "nosite": []}
    for h in folds:
        held = [pages[i] for i in h.test]
        main, count = Counter(getattr(p, inner) for p in held).most_common(1)[0]
        note = f"{main} {count / len(held):.0%}"
        summary["groups"][h.name] = {
            "pages": len(held),
            "train_pages": len(h.train),
            "left_out_shared_site": h.dropped,
            f"main_{inner}": note,
        }
        key = f"{by}:{h.name}"
        for kind, (t_site, t_nosite) in kinds.items():
            if key not in t_site:
                continue
            _row(f"{key} ({note}){' snippets' if kind == 'snippet' else ''}", t_site, t_nosite, key)
            if kind == "token":
                macro["site"].append(t_site[key][3])
                macro["nosite"].append(t_nosite[key][3])
            for g in sorted(t_site):
                if g.startswith("source+lang:"):
                    src, lang = g.split(":", 1)[1].split("/", 1)
                    value, sub = (src, lang) if by == "source" else (lang, src)
                    if value == h.name:
                        _row(f"  {inner}:{sub}", t_site, t_nosite, g)
    for kind, (t_site, t_nosite) in kinds.items():
        if "lang:ar" in t_site:
            _row(f"Arabic (lang:ar), {kind} F1", t_site, t_nosite, "lang:ar")
    if "ALL" in site.token:
        _row("pooled: all held-out full-gold pages", site.token, nosite.token, "ALL")
    if macro["site"]:
        m_site, m_nosite = (float(np.mean(v)) for v in macro.values())
        label = f"MACRO token F1 over {len(macro['site'])} held-out {by}s"
        print(f"{label:<46} {'':>6} {'':>6} {'':>6} {m_site:>8.3f} {m_nosite:>7.3f}", flush=True)
        summary["macro_token_f1"] = {
            "site": m_site,
            "nosite": m_nosite,
            "groups": len(macro["site"]),
        }
    return summary


def main() -> None:
    global BAG, DOM
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("dev", type=Path)
    ap.add_argument("--cv", action="store_true", help="site-grouped cross-validation report")
    ap.add_argument("--write", action="store_true", help="train on all allowed pages and ship")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--inner-folds", type=int, default=2)
    ap.add_argument("--include-gpl", action="store_true", help="also train on GPL-3.0 pages")
    ap.add_argument("--no-snippets", action="store_true", help="do not use trafilatura_eval")
    ap.add_argument("--lexicon-min-sites", type=int, default=8)
    ap.add_argument("--lexicon-size", type=int, default=3000)
    ap.add_argument("--threshold", type=float, default=0.6, help="chosen by CV (0.4-0.6)")
    ap.add_argument("--thresholds", type=float, nargs="*", default=[0.4, 0.5, 0.6])
    ap.add_argument("--name", default="lines_gbt_v2")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="trees per stage")
    ap.add_argument("--max-depth", type=int, default=PARAMS["max_depth"])
    ap.add_argument("--num-leaves", type=int, default=PARAMS["num_leaves"])
    ap.add_argument("--learning-rate", type=float, default=PARAMS["learning_rate"])
    ap.add_argument(
        "--bag",
        type=int,
        default=BAG,
        help="forests per stage, one per seed, averaged: retraining moves the results less",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=PARAMS["seed"],
        help="LightGBM's seed (bagging, feature fraction): rerun --loso with others to see how "
        "much retraining alone moves a figure",
    )
    ap.add_argument(
        "--cv-out", help="write the fold models and folds.json (gharbal eval --cv-models)"
    )
    ap.add_argument("--pred", help="write CV predictions to PRED.site.jsonl / PRED.nosite.jsonl")
    ap.add_argument(
        "--loso",
        action="store_true",
        help="leave-one-source-out report (models and folds.json in CV_OUT/loso/ if --cv-out)",
    )
    ap.add_argument(
        "--lolo",
        action="store_true",
        help="leave-one-language-out report (models and folds.json in CV_OUT/lolo/ if --cv-out)",
    )
    ap.add_argument("--lolo-langs", nargs="*", default=["en", "de", "el", "ru", "pl", "zh"])
    ap.add_argument(
        "--rebridge",
        metavar="NAME",
        help="only re-apply ARABIC_BRIDGE to the shipped model NAME's lexicon (trees unchanged)",
    )
    ap.add_argument(
        "--dom",
        action="store_true",
        help="a model for HTML input: DOM features of each line (gharbal.extract.dom) too",
    )
    ap.add_argument(
        "--unlabelled",
        type=Path,
        help="the unlabelled pages' folder, for their HTML with --dom (default: DEV/../unlabelled)",
    )
    ap.add_argument("--distil", type=Path, help="teacher-labelled pages (scripts/distil_labels.py)")
    ap.add_argument("--distil-weight", type=float, default=0.3, help="teacher page weight")
    ap.add_argument(
        "--distil-lexicon",
        action="store_true",
        help="learn the chrome lexicon on teacher pages too",
    )
    ap.add_argument(
        "--distil-agree",
        default="traf",
        choices=["traf", "all", "traf+res-content"],
        help="teacher agreement rule for a target (agree)",
    )
    args = ap.parse_args()
    if args.rebridge:
        path = MODEL_OUT / f"{args.rebridge}.json"
        model = LineModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
        before = len(model.lexicon)
        model = dataclasses.replace(model, lexicon=bridge(model.lexicon))
        path.write_text(model.to_json(), encoding="utf-8")
        print(f"{path}: lexicon {before} -> {len(model.lexicon)} words", file=sys.stderr)
        return
    set_size(args.rounds, args.max_depth, args.num_leaves, args.learning_rate)
    PARAMS["seed"] = args.seed
    BAG = args.bag
    DOM = args.dom
    start = time.time()
    # All pages are evaluated in CV; only licence-allowed pages are trained on.
    pages = load_pages(args.dev, exclude_gpl=False, snippets=not args.no_snippets)
    for p in pages:
        # Trained on: licence allows it and it is not a gate fixture (those measure generalisation).
        p.licence_ok = (args.include_gpl or not p.licence.startswith("GPL")) and not p.in_gate
    if args.distil:
        extra = load_distil(
            args.distil,
            args.distil_agree,
            args.distil_weight,
            args.unlabelled or args.dev.parent / "unlabelled",
        )
        n_t = sum(int((p.labels >= 0).sum()) for p in extra)
        n_l = sum(len(p.lines) for p in extra)
        print(
            f"{len(extra)} teacher pages ({args.distil_agree}, weight {args.distil_weight}): "
            f"{n_t}/{n_l} lines with a target",
            file=sys.stderr,
        )
        pages += extra
    print(f"{len(pages)} pages loaded in {time.time() - start:.0f}s", file=sys.stderr)
    if args.cv:
        cross_validate(pages, args)
    for flag, by in ((args.loso, "source"), (args.lolo, "lang")):
        if flag:
            sub = "loso" if by == "source" else "lolo"
            out = Path(args.cv_out) / sub if args.cv_out else Path(tempfile.mkdtemp(prefix=sub))
            hold_out(pages, args, by, out)
    print(f"total {time.time() - start:.0f}s", file=sys.stderr)
    if args.write:
        train = [p for p in pages if p.licence_ok]
        model = fit(train, args)
        MODEL_OUT.mkdir(parents=True, exist_ok=True)
        path = MODEL_OUT / f"{args.name}.json"
        path.write_text(model.to_json(), encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
