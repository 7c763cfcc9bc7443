"""`gharbal run` with language ID, quality signals and filters, and PII redaction (issue 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_parts


def test_run_on_bundled_sample_labels_languages_and_writes_quality_scores(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("run").exit_code == 0
    out = tmp_path / "gharbal-out"
    docs = read_parts(out, "documents")
    assert docs
    for doc in docs:
        assert doc["lang"], doc["id"]
        assert doc["scores"]["lang.cld2_v1"] > 0
        for family in ("gopher_repetition_v1", "gopher_v1", "c4_v1", "fineweb_v1"):
            assert any(k.startswith(f"quality.{family}.") for k in doc["scores"]), family
    seed = next(d for d in docs if d["id"].startswith("seed/"))
    assert seed["lang"] == "ar"
    assert seed["scores"]["quality.gopher_v1.stopwords"] >= 2
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    for reason, n in stats["rejected_by_reason"].items():
        assert n > 0
        assert reason.split(".")[0] in {"read", "extract", "quality"}
    for row in read_parts(out, "rejected"):
        if row["stage"] == "quality":
            assert row["detail"]  # the measured value and its threshold
    assert {"lang", "quality.signals", "quality.filters", "pii"} <= set(stats["step_seconds"])
    recipe = (out / "recipe.yaml").read_text(encoding="utf-8")
    assert "quality:" in recipe
    assert "pii:" in recipe
    assert "lang:" in recipe


def test_quality_filters_reject_with_reasons_and_pii_is_redacted(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    good = " ".join(
        [
            "The council met on Monday to discuss the new budget for the schools of the town.",
            "The mayor said that the plan would be ready before the end of the year.",
            "Residents will be able to comment on the plan at the town hall in March.",
            "Officials expect that the work will start in the spring, with the help of the state.",
            "Several members of the public attended the meeting and asked about the roads.",
            "For questions, write to clerk@town.example or call +1 202 555 0143 on weekdays.",
        ]
    )
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "good", "html": f"<html><body><p>{good}</p></body></html>"})
        + "\n"
        + json.dumps({"id": "short", "html": "<html><body><p>Buy now cheap</p></body></html>"})
        + "\n",
        encoding="utf-8",
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text("pii: {tokens: {email: '[EMAIL]', phone: '[PHONE]', ip: '[IP]'}}\n")
    out = tmp_path / "out"
    assert cli("run", str(src), "-o", str(out), "--recipe", str(recipe)).exit_code == 0
    (doc,) = read_parts(out, "documents")
    assert doc["lang"] == "en"
    assert "[EMAIL]" in doc["text"]
    assert "[PHONE]" in doc["text"]
    assert "clerk@town.example" not in doc["text"]
    assert [p["kind"] for p in doc["metadata"]["pii"]] == ["email", "phone"]
    (rejected,) = read_parts(out, "rejected")
    assert rejected["id"] == "short"
    assert rejected["reason"].startswith("quality.")
