"""The seed page, end to end through the CLI: exact title, the ten paragraphs, the fourteen chrome
lines removed with reasons."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex
from tests.conftest import SEED, SEED_EXPECTED, read_jsonl, read_parts

_TOK = regex.compile(r"\p{Han}|\p{Hiragana}|\p{Katakana}|[^\W\p{Han}\p{Hiragana}\p{Katakana}]+")


def token_f1(pred: str, gold: str) -> float:
    """Token F1 exactly as ../shared/data/score.py computes it (bag of lowercased word tokens)."""
    p, g = Counter(_TOK.findall(pred.lower())), Counter(_TOK.findall(gold.lower()))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


EXPECTED = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))


def test_extract_cli_on_seed(tmp_path: Path, cli: Callable[..., Any]) -> None:
    out = tmp_path / "out.jsonl"
    result = cli("extract", str(SEED), "-o", str(out))
    assert result.exit_code == 0, result.output
    (record,) = read_jsonl(out)
    assert record["id"] == SEED.stem
    assert record["title"] == EXPECTED["title"]
    assert token_f1(record["text"], EXPECTED["text"]) >= 0.99
    assert record["text"] == EXPECTED["text"]  # today it is exact; F1 is the contract


def test_run_on_seed_removes_exactly_the_chrome_lines(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    result = cli("run", str(SEED), "-o", str(out))
    assert result.exit_code == 0, result.output
    removed = read_parts(out, "removed_lines")
    assert sorted(r["line_no"] for r in removed) == EXPECTED["boilerplate_lines"]
    assert all(r["reason"].startswith("extract.") for r in removed)
    assert all(r["detail"] for r in removed)
    by_line = {r["line_no"]: r for r in removed}
    assert by_line[37]["reason"] == "extract.script_mismatch"  # the stray Russian line
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    for no, r in by_line.items():
        assert r["text"] == seed_lines[no - 1].strip()
    (doc,) = read_parts(out, "documents")
    assert doc["title"] == EXPECTED["title"]
    assert doc["text"] == EXPECTED["text"]
