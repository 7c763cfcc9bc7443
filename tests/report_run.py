"""A small run for the report tests: the bundled sample, hostile pages and a few rejections."""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import gharbal

SEED_ID = "seed/000_60c1ad3fcf2e89f8"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_ID = "hostile/markup"
HOSTILE_ID_ITSELF = f"hostile/{IMG}"
HOSTILE_TEXT = "\n".join(
    [
        "Home",
        IMG,
        "Hostile markup in a news story",
        "The parser must show this sentence as text, and it is a long sentence so that the cleaner "
        f"keeps it: {SCRIPT} is what the page said, and that is all there is to it.",
        "An image tag follows in the same paragraph, which is also kept as part of the story "
        f"because it has many of the words that a real paragraph has: {IMG} and then the end.",
        SCRIPT,
        "Share on Facebook",
    ]
)


def hostile_records() -> list[str]:
    records = [
        {
            "id": HOSTILE_ID,
            "url": "javascript:alert(1)//<script>alert(1)</script>",
            "text": HOSTILE_TEXT,
            "site": f"evil.example{SCRIPT}",
        },
        {"id": HOSTILE_ID_ITSELF, "url": "https://evil.example/b", "text": HOSTILE_TEXT},
        {
            "id": "hostile/chrome-only",
            "url": "https://evil.example/c",
            "text": f"Home\n{IMG}\nMenu",
        },
        {"id": "hostile/nothing", "title": SCRIPT},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(2, f"{{not json {SCRIPT}")
    return lines


def make_run(tmp: Path, **recipe: object) -> Path:
    """Run gharbal on the sample plus ``hostile.jsonl``; returns the output directory.

    The quality filters are off unless asked for: the hostile pages are short on purpose, and the
    report must show them kept (their text in the viewer, their site in the sites table)."""
    recipe.setdefault("quality", {"enabled": False})
    hostile = tmp / "hostile.jsonl"
    hostile.write_text("\n".join(hostile_records()) + "\n", encoding="utf-8")
    out = tmp / "out"
    with as_file(files("gharbal") / "data/sample/crawl.jsonl.gz") as sample:
        gharbal.run([str(sample), str(hostile)], out, gharbal.Recipe(**recipe))  # type: ignore[arg-type]
    return out


def stats_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    return data
