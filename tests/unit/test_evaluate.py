"""`gharbal eval` scores exactly as the development set's score.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gharbal.runner.evaluate import prf, snippet_counts, tokens


def test_tokens_and_prf_as_score_py() -> None:
    assert tokens("Hello, World! 東京は") == ["hello", "world", "東", "京", "は"]
    assert tokens("مُحَمَّد قال") == ["مُحَمَّد", "قال"]
    assert prf("", "") == (1.0, 1.0, 1.0)
    assert prf("a b", "") == (0.0, 1.0, 0.0)
    assert prf("", "a") == (0.0, 0.0, 0.0)
    p, r, f = prf("a a b c", "a b b")
    assert (p, r) == (0.5, 2 / 3)
    assert abs(f - 2 * p * r / (p + r)) < 1e-12
    assert snippet_counts("one  two\nthree", ["two three", "four"], ["one", "five"]) == (1, 1, 1, 1)


def test_eval_command_prints_tables(tmp_path: Path, cli: Callable[..., Any]) -> None:
    topics = ["school", "library", "bridge"]
    bodies = [
        f"The council met on Tuesday and agreed the plan for the new {t}, after residents "
        f"asked for it at three public meetings. Work on the {t} starts in spring. " * 2
        for t in topics
    ]
    # Three paragraphs a page: on a page of two, between chrome repeated on the site, the shipped
    # model drops the second as context (a known weakness of the distilled model, see its card).
    seconds = [
        f"A spokesperson for the {t} project said that the budget had been approved by the "
        f"regional government last month, and that local firms would be invited to bid.\n"
        f"Residents who want to comment on the plans for the {t} can write to the council "
        f"before the end of the month, the spokesperson added."
        for t in topics
    ]
    body = bodies[0]
    pages: list[dict[str, Any]] = [
        {
            "id": f"s/{i}",
            "source": "s",
            "lang": "en",
            "site": "example.org",
            "page_text": f"Home\nNews\nSport\n{bodies[i]}\n{seconds[i]}\nShare this\nCopyright 2024",
            "gold_text": f"{bodies[i]}\n{seconds[i]}",
        }
        for i in range(3)
    ]
    pages.append(
        {
            "id": "t/1",
            "source": "t",
            "lang": "de",
            "page_text": "Startseite\n" + body,
            "gold_with": ["council met on Tuesday"],
            "gold_without": ["Startseite"],
        }
    )
    data = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    result = cli("eval", str(data), "--pred", str(pred))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Token-level" in out
    assert "Snippet-level" in out
    assert "pages/s" in out
    row = next(line for line in out.splitlines() if line.startswith("ALL "))
    assert row.split()[1] == "3"
    assert float(row.split()[-1]) > 0.9
    assert len(pred.read_text().splitlines()) == 4
    assert cli("eval", str(data), "--no-site-stats").exit_code == 0
    assert cli("eval", str(tmp_path / "missing.jsonl")).exit_code == 2
