"""The accuracy gate: extraction quality on committed pages the shipped model never trained on.

``floors.json`` pins the token F1 that must be reached overall and per source. **A floor can only
rise**: raise it when the model gets better, never lower it. The second test enforces the rule on
every committed version of ``floors.json`` (each must be >= the one before, in git history), so
lowering a floor to make a change pass is itself a failure.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gharbal import Recipe
from gharbal.evaluate import evaluate

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "gate.jsonl.gz"
FLOORS = HERE / "floors.json"


def _floors(text: str) -> dict[str, float]:
    data = json.loads(text)
    return {k: float(v) for k, v in data["token_f1"].items()}


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    result = evaluate([FIXTURES], Recipe().extract, site_stats=True)
    return {group: f1 for group, (_n, _p, _r, f1) in result.token.items()}


def test_f1_floors_hold(measured: dict[str, float]) -> None:
    floors = _floors(FLOORS.read_text(encoding="utf-8"))
    below = {
        g: (round(measured.get(g, 0.0), 4), f)
        for g, f in floors.items()
        if measured.get(g, 0.0) < f
    }
    assert not below, f"token F1 below its floor (measured, floor): {below}"


def test_floors_only_rise() -> None:
    current = _floors(FLOORS.read_text(encoding="utf-8"))
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not available: the rule is checked where history is")
    rel = FLOORS.relative_to(HERE.parents[1]).as_posix()
    run = subprocess.run(
        [git, "log", "--format=%H", "--", rel],
        cwd=HERE.parents[1], capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        pytest.skip("not a git checkout")
    versions = []
    for commit in reversed(run.stdout.split()):
        show = subprocess.run(
            [git, "show", f"{commit}:{rel}"],
            cwd=HERE.parents[1], capture_output=True, text=True, check=False,
        )  # fmt: skip
        if show.returncode == 0:
            versions.append((commit[:10], _floors(show.stdout)))
    versions.append(("working tree", current))
    for (_old_id, old), (new_id, new) in itertools.pairwise(versions):
        for group, floor in old.items():
            assert group in new, f"floor {group} dropped in {new_id}"
            assert new[group] >= floor, (
                f"floor {group} lowered in {new_id}: {floor} -> {new[group]}"
            )
