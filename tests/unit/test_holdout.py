"""Out-of-source validation: the fold assignment of ``scripts/train_lines.py --loso`` / ``--lolo``
and how ``gharbal.runner.evaluate`` scores the held-out groups (no LightGBM, no development data)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gharbal import Recipe
from gharbal.document import Document
from gharbal.extract.features import SiteCounts
from gharbal.extract.sitestats import SiteStats
from gharbal.runner.evaluate import evaluate

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_lines.py"
MODEL = Path(__file__).resolve().parents[2] / "src" / "gharbal" / "data" / "models"


@pytest.fixture(scope="module")
def train_lines() -> ModuleType:
    if not SCRIPT.exists():
        pytest.skip("scripts/ not in this checkout")
    spec = importlib.util.spec_from_file_location("train_lines_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # imports numpy and gharbal only (LightGBM when training)
    return module


def test_each_source_held_out_once_and_never_trained_on(train_lines: ModuleType) -> None:
    keys = ["a", "a", "b", "b", "b", "c", "c", "d"]
    sites = ["x.org", "y.org", "X.ORG", "z.org", "w.org", "v.org", "u.org", "t.org"]
    # page 4 a gate fixture or GPL page: tested with its source, never trained on
    trainable = [True, True, True, True, False, True, True, True]
    folds = train_lines.holdout_folds(keys, sites, trainable)
    assert [h.name for h in folds] == ["a", "b", "c", "d"]
    tested = sorted(i for h in folds for i in h.test)
    assert tested == list(range(len(keys)))  # every page tested exactly once
    for h in folds:
        assert {keys[i] for i in h.test} == {h.name}
        assert not set(h.test) & set(h.train)
        assert all(keys[i] != h.name and trainable[i] for i in h.train)
        held_sites = {sites[i].lower() for i in h.test}
        assert not {sites[i].lower() for i in h.train} & held_sites  # no site seen either
    by_name = {h.name: h for h in folds}
    # x.org is in a and (as X.ORG) in b: held out a, the b page of x.org is left out of training
    assert by_name["a"].train == [3, 5, 6, 7]
    assert by_name["a"].dropped == 1
    assert by_name["b"].train == [1, 5, 6, 7]
    assert 4 not in {i for h in folds for i in h.train}


def test_chosen_groups_only(train_lines: ModuleType) -> None:
    keys = ["en", "de", "en", "el"]
    folds = train_lines.holdout_folds(
        keys, ["s1", "s2", "s3", "s4"], [True] * 4, ["de", "en", "fi"]
    )
    assert [(h.name, h.test, h.train) for h in folds] == [
        ("de", [1], [0, 2, 3]),
        ("en", [0, 2], [1, 3]),
    ]


def _pages(source: str, lang: str, n: int) -> list[dict[str, Any]]:
    body = (
        "The council met on Tuesday and agreed the plan for the new {t}, after residents asked "
        "for it at three public meetings. Work on the {t} starts in spring and ends in autumn."
    )
    topics = ["school", "library", "bridge", "harbour"]
    return [
        {
            "id": f"{source}/{i}",
            "source": source,
            "lang": lang,
            "site": "example.org",  # the same site in both sources
            "page_text": f"Home\nNews\nSport\n{body.format(t=topics[i])}\nShare this\nMenu {source}",
            "gold_text": body.format(t=topics[i]),
        }
        for i in range(n)
    ]


def test_eval_scores_held_out_groups_each_as_its_own_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int | None] = {}
    counts_for = SiteStats.counts_for

    def spy(self: SiteStats, doc: Document, workdir: Path) -> SiteCounts | None:
        found = counts_for(self, doc, workdir)
        seen[doc.id] = found.pages if found else None
        return found

    monkeypatch.setattr(SiteStats, "counts_for", spy)
    s, t = _pages("s", "en", 3), _pages("t", "de", 2)
    both, only_s, only_t = tmp_path / "both.jsonl", tmp_path / "s.jsonl", tmp_path / "t.jsonl"
    for path, recs in ((both, s + t), (only_s, s), (only_t, t)):
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    model = str(MODEL / "lines_gbt_v2.json")  # an absolute path: any model will do here
    folds = tmp_path / "folds.json"
    cfg = Recipe().extract
    folds.write_text(json.dumps({"by": "source", "models": {"m": model}, "groups": {"s": "m"}}))
    held_s = evaluate([both], cfg, models_by_site=folds)
    assert held_s.pages == 3  # only the held-out source is scored
    assert set(held_s.token) >= {"source:s", "lang:en"}
    assert "source:t" not in held_s.token
    folds.write_text(
        json.dumps({"by": "source", "models": {"m": model}, "groups": {"s": "m", "t": "m"}})
    )
    held = evaluate([both], cfg, models_by_site=folds)
    # site statistics are counted within each held-out source, as if it were the only input
    assert seen == {"s/0": 3, "s/1": 3, "s/2": 3, "t/0": 2, "t/1": 2}
    assert held.token["source:s"] == evaluate([only_s], cfg).token["source:s"]
    assert held.token["source:t"] == evaluate([only_t], cfg).token["source:t"]
    folds.write_text(json.dumps({"by": "lang", "models": {"m": model}, "groups": {"de": "m"}}))
    assert set(evaluate([both], cfg, models_by_site=folds).token) >= {"source:t", "lang:de"}
    folds.write_text(json.dumps({"by": "site", "models": {"m": model}, "groups": {}}))
    with pytest.raises(ValueError, match="'by' must be one of"):
        evaluate([both], cfg, models_by_site=folds)
