"""What an input directory holds besides regular files, and where the output lies: nothing is skipped
without a word, nothing names nothing silently, a run never reads its own output."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import read_parts

from gharbal import ConfigError, Recipe, plan_shards, read_shard
from gharbal.readers import UNREADABLE_DIR, SkippedInput

CFG = Recipe().read
PROSE = (
    "The committee said on Tuesday that the new rules would take effect in the spring, and that "
    "they were meant to protect the people who depend on the service every day."
)


def _page(path: Path, doc_id: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": doc_id, "text": PROSE}) + "\n", encoding="utf-8")


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """``denied`` cannot be listed (tests may run as root, for whom chmod 000 changes nothing)."""
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if not isinstance(path, int) and Path(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def _special_entries(root: Path) -> None:
    _page(root / "a.jsonl", "a")
    _page(root / "sub" / "b.jsonl", "b")
    os.mkfifo(root / "pipe")
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    (root / "file-link.jsonl").symlink_to(root / "a.jsonl")
    _page(root.parent / "elsewhere.jsonl", "e")
    (root / "elsewhere-link.jsonl").symlink_to(root.parent / "elsewhere.jsonl")


def test_special_entries_are_listed_not_read(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _special_entries(root)
    skipped: list[SkippedInput] = []
    shards = plan_shards([str(root)], CFG, skipped=skipped)
    files = sorted(str(f.path.relative_to(root)) for s in shards for f in s.files)  # type: ignore[union-attr]
    assert files == ["a.jsonl", "elsewhere-link.jsonl", "sub/b.jsonl"]  # a link to a file is read
    assert {(Path(s.path).name, s.why) for s in skipped} == {
        ("dangling", "dangling symlink"),
        ("file-link.jsonl", "already an input (read once)"),  # a link to a file read elsewhere
        ("linked", "symlink to a directory: not followed"),
        ("pipe", "not a regular file (FIFO)"),
    }


def test_unreadable_subdirectory_stands_as_a_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "in"
    _page(root / "a.jsonl", "a")
    _page(root / "locked" / "secret.jsonl", "s")
    _deny(monkeypatch, root / "locked")
    shards = plan_shards([str(root)], CFG)
    kinds = {f.path.name: f.kind for s in shards for f in s.files}  # type: ignore[union-attr]
    assert kinds == {"a.jsonl": "jsonl", "locked": UNREADABLE_DIR}
    docs = [d for s in shards for d in read_shard(s, CFG)]
    rejected = [d for d in docs if d.rejection is not None]
    assert len(rejected) == 1
    assert rejected[0].rejection is not None
    assert rejected[0].rejection.reason == "read.file.unreadable"
    assert "directory cannot be listed: PermissionError" in rejected[0].rejection.detail


def test_unreadable_subdirectory_in_plan_stats_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    root = tmp_path / "in"
    _page(root / "a.jsonl", "a")
    _page(root / "locked" / "secret.jsonl", "s")
    _deny(monkeypatch, root / "locked")
    out = tmp_path / "out"
    result = cli("run", str(root), "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == 2
    assert stats["rejected_by_reason"].get("read.file.unreadable") == 1
    assert stats["unreadable_files"] == [
        {"path": str(root / "locked"), "reason": "read.file.unreadable"}
    ]
    assert f"unreadable file: {root / 'locked'}" in result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    planned = [f for s in plan["shards"] for f in s["files"]]
    assert {"path": str(root / "locked"), "kind": UNREADABLE_DIR} in [
        {"path": f["path"], "kind": f["kind"]} for f in planned
    ]
    assert cli("run", str(root), "-o", str(tmp_path / "strict"), "--strict").exit_code == 3


def test_skipped_entries_in_stats_and_summary(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "in"
    _special_entries(root)
    out = tmp_path / "out"
    result = cli("run", str(root), "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert sorted((Path(s["path"]).name, s["why"]) for s in stats["skipped_inputs"]) == [
        ("dangling", "dangling symlink"),
        ("file-link.jsonl", "already an input (read once)"),
        ("linked", "symlink to a directory: not followed"),
        ("pipe", "not a regular file (FIFO)"),
    ]
    assert f"skipped input: {root / 'pipe'} (not a regular file (FIFO))" in result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["skipped_inputs"] == stats["skipped_inputs"]


@pytest.mark.parametrize("kind", ["empty", "unlistable", "only_specials"])
def test_an_input_directory_naming_nothing_exits_2(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    if kind == "unlistable":
        _page(root / "a.jsonl", "a")
        _deny(monkeypatch, root)
    elif kind == "only_specials":
        os.mkfifo(root / "pipe")
    with pytest.raises(ConfigError):
        plan_shards([str(root)], CFG)
    result = cli("run", str(root), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert str(root) in result.output
    assert not (tmp_path / "out" / "stats.json").exists()


def test_output_is_the_input_exits_2(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "in"
    _page(root / "a.jsonl", "a")
    for out in (root, tmp_path / "in" / ".." / "in"):
        result = cli("run", str(root), "-o", str(out))
        assert result.exit_code == 2, result.output
        assert "read its own output" in result.output
    assert sorted(p.name for p in root.iterdir()) == ["a.jsonl"]  # nothing written, nothing cleared


def test_input_inside_the_output_exits_2(tmp_path: Path, cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    _page(out / "crawl" / "a.jsonl", "a")
    for given in (out / "crawl", out / "crawl" / "a.jsonl"):
        result = cli("run", str(given), "-o", str(out))
        assert result.exit_code == 2, result.output
        assert "inside the output directory" in result.output
    assert (out / "crawl" / "a.jsonl").is_file()


def test_output_inside_the_input_is_never_read(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "in"
    _page(root / "a.jsonl", "a")
    _page(root / "b.jsonl", "b")
    out = root / "out"
    counts = []
    for _ in range(3):  # each rerun would have read the last output
        recipe = tmp_path / "r.yaml"
        recipe.write_text("quality: {enabled: false}\n", encoding="utf-8")
        result = cli("run", str(root), "-o", str(out), "--recipe", str(recipe))
        assert result.exit_code == 0, result.output
        stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
        counts.append((stats["input"], stats["kept"]))
    assert counts == [(2, 2)] * 3
    assert {"path": str(out), "why": "the run's output directory"} in stats["skipped_inputs"]


def test_extract_refuses_to_overwrite_its_input(tmp_path: Path, cli: Callable[..., Any]) -> None:
    page = tmp_path / "pages.jsonl"
    _page(page, "a")
    before = page.read_bytes()
    result = cli("extract", str(page), "-o", str(page))
    assert result.exit_code == 2, result.output
    assert "would overwrite the input" in result.output
    assert page.read_bytes() == before


def test_an_input_that_cannot_be_accessed_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    # A file inside a directory that cannot be searched: stat fails with EACCES (simulated: the
    # tests may run as root). It was a traceback and exit 1.
    page = tmp_path / "locked" / "a.jsonl"
    _page(page, "a")
    real = Path.stat

    def stat(self: Path, *args: Any, **kwargs: Any) -> os.stat_result:
        if self == page:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    result = cli("run", str(page), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f"input '{page}' cannot be accessed: PermissionError: Permission denied" in result.output


def test_a_file_given_twice_is_read_once(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "in"
    _page(root / "a.jsonl", "a")
    _page(root / "b.jsonl", "b")
    out = tmp_path / "out"
    a = str(root / "a.jsonl")
    result = cli("run", a, str(root / "." / "a.jsonl"), str(root), "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == 2
    assert stats["skipped_inputs"] == [
        {"path": a, "why": "already an input (read once)"},
        {"path": a, "why": "already an input (read once)"},
    ]


def test_a_file_name_that_is_not_utf8_is_read_and_named(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    odd = os.fsdecode(b"raw\x9bname.txt")  # raw\udc9bname.txt: not UTF-8, as some crawls name files
    (root / odd).write_text(PROSE + "\n", encoding="utf-8")
    (root / "ok.txt").write_text(PROSE + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("run", str(root), "-o", str(out))
    assert result.exit_code == 0, result.output  # was exit 4: plan.json could not be written
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == 2
    ids = {r["id"] for part in ("documents", "rejected") for r in read_parts(out, part)}
    assert ids == {"ok", "raw\\x9bname"}
    plan = (out / "plan.json").read_text(encoding="utf-8")
    assert "raw\\\\x9bname.txt" in plan
