"""Every fault of the bad-input corpus, run through `gharbal run`: nothing crashes, nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.badinput.make_corpus import CASES, make_case
from tests.conftest import read_parts


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_case(name: str, tmp_path: Path, cli: Callable[..., Any]) -> None:
    case = make_case(name, tmp_path / "corpus")
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    out = tmp_path / "out"
    # The corpus's good records are short on purpose: the quality filters would reject them.
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("quality: {enabled: false}\n", encoding="utf-8")

    result = cli("run", str(case / "input"), "-o", str(out), "--recipe", str(recipe))

    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == stats["kept"] + stats["rejected"]
    assert stats["rejected_by_reason"] == expected["rejected"]
    docs = read_parts(out, "documents")
    rejected = read_parts(out, "rejected")
    assert len(docs) == stats["kept"]
    assert len(rejected) == stats["rejected"]
    kept_ids = {d["id"] for d in docs}
    assert set(expected["kept"]) <= kept_ids, "good records before or after the fault were lost"
    kept_urls = {d["url"] for d in docs}
    assert set(expected.get("kept_urls", [])) <= kept_urls
    for reason, fragment in expected["details"]:
        matches = [r for r in rejected if r["reason"] == reason and fragment in r["detail"]]
        assert len(matches) == 1, (reason, fragment, [r["detail"] for r in rejected])
    unreadable = [Path(u["path"]).name for u in stats["unreadable_files"]]
    assert unreadable == expected["unreadable"]
    for name_ in expected["unreadable"]:
        assert f"unreadable file: {case / 'input' / name_}" in result.output
    skipped = [[Path(s["path"]).name, s["why"]] for s in stats["skipped_inputs"]]
    assert skipped == expected.get("skipped", [])
    for name_, why in skipped:
        assert f"skipped input: {case / 'input' / name_} ({why})" in result.output

    strict = cli(
        "run",
        str(case / "input"),
        "-o",
        str(tmp_path / "strict"),
        "--strict",
        "--recipe",
        str(recipe),
    )
    assert strict.exit_code == expected.get("strict_exit", 3), strict.output


def test_corpus_script_runs_standalone(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).with_name("make_corpus.py")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--only", "empty_file", "nul_bytes"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(tmp_path / "empty_file"), str(tmp_path / "nul_bytes")]
    assert (tmp_path / "nul_bytes" / "expected.json").is_file()
