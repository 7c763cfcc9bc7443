from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gharbal.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed" / "000_60c1ad3fcf2e89f8.txt"
SEED_EXPECTED = FIXTURES / "seed" / "000_60c1ad3fcf2e89f8.expected.json"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_parts(out: Path, kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in sorted((out / kind).glob("part-*.jsonl*")):
        rows.extend(read_jsonl(part))
    return rows


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Invoke the real CLI in-process; returns the click Result."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke
