"""Failures of the run, not of a document (README, "What happens to bad input"): an input that
vanishes or changes mid-run, a disk that fills while the run writes its own files, a second run
into the same output. Each stops the run with exit 4 (or 2, before anything is touched) and one
line, leaves no temporary file, and ``--resume`` (or the next run) does the rest."""

from __future__ import annotations

import errno
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gharbal
from gharbal import ConfigError
from gharbal.writers.lock import LOCK_NAME, OutputLock
from tests.conftest import read_parts
from tests.pipelines import assert_same_output, make_corpus, stats_of

ROOT = Path(__file__).parents[1]
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _after_planning(monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> None:
    """Run ``action`` once the run has planned its shards (and fingerprinted its inputs)."""
    from gharbal.runner import pipeline
    from gharbal.runner.shards import plan_record as real

    def plan_then_act(*args: Any, **kwargs: Any) -> Any:
        plan = real(*args, **kwargs)
        action()
        return plan

    monkeypatch.setattr(pipeline, "plan_record", plan_then_act)


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


# -- an input that vanishes or changes after planning ------------------------------------------


def test_input_deleted_mid_run_exits_4_naming_it_then_resume_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=3, docs=4)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean)
    gone, kept_aside = Path(inputs[1]), tmp_path / "aside.jsonl"
    _after_planning(monkeypatch, lambda: os.replace(gone, kept_aside))  # mtime kept
    out = tmp_path / "out"
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 4, result.output
    assert f"gharbal: error: shard 1 ({gone}) failed in phase 1: FileNotFoundError" in (
        result.output
    )
    assert "--resume" in result.output
    assert "Traceback" not in result.output
    assert "read.file.truncated" not in result.output
    assert not (out / "stats.json").exists(), "a run that lost a file must not look finished"
    # Phase 1 of 2 (site statistics, on by default) failed: its finished shards are kept.
    phase1 = out / "stages" / "01-site_stats" / "shards"
    assert (phase1 / "part-00000.stats.json").is_file(), "work done is kept"
    assert not (phase1 / "part-00001.stats.json").exists()
    reasons = {r["reason"] for r in read_parts(out, "rejected")}
    assert not {"read.file.truncated", "read.file.unreadable"} & reasons

    monkeypatch.undo()
    os.replace(kept_aside, gone)  # the file is back, unchanged
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output
    assert_same_output(clean, out)
    assert stats_of(out)["input"] == 3 * 4 + 1  # 4 records per file and a broken line


def test_input_replaced_mid_run_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    changed = Path(inputs[0])
    _after_planning(
        monkeypatch, lambda: changed.write_text('{"id": "other", "text": "another file"}\n')
    )
    out = tmp_path / "out"
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 4, result.output
    assert f"gharbal: error: shard 0 ({changed}) failed in phase 1: input {changed} changed" in (
        result.output
    )
    assert "before, " in result.output  # what differs: its size or modification time
    assert "Traceback" not in result.output
    phase1 = out / "stages" / "01-site_stats" / "shards"  # site statistics: on by default
    assert not (phase1 / "part-00000.stats.json").exists(), "its output is not the plan's"
    assert not (out / "shards" / "part-00000.stats.json").exists()
    assert not (out / "stats.json").exists()


def test_permission_denied_input_is_unreadable_not_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    """Denied from planning on (as ``chmod 000`` for a user who is not root): one
    ``read.file.unreadable`` rejection, and the run goes on."""
    from gharbal.readers import compression, location

    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    denied = Path(inputs[1])
    real = location.open_location

    def open_location(loc: Any) -> Any:
        if Path(loc) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(loc))
        return real(loc)

    monkeypatch.setattr(compression, "open_location", open_location)
    out = tmp_path / "out"
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = stats_of(out)
    assert stats["unreadable_files"] == [{"path": str(denied), "reason": "read.file.unreadable"}]
    assert stats["rejected_by_reason"]["read.file.unreadable"] == 1
    assert "read.file.truncated" not in stats["rejected_by_reason"]
    assert f"unreadable file: {denied} (read.file.unreadable)" in result.output


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file"
)
def test_chmod_000_input_is_unreadable(tmp_path: Path, cli: Callable[..., Any]) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    denied = Path(inputs[1])
    denied.chmod(0)
    try:
        result = cli("run", *inputs, "-o", str(tmp_path / "out"))
    finally:
        denied.chmod(0o644)
    assert result.exit_code == 0, result.output
    stats = stats_of(tmp_path / "out")
    assert stats["unreadable_files"] == [{"path": str(denied), "reason": "read.file.unreadable"}]


# -- a full disk while the run writes its own files --------------------------------------------


def _disk_full_writing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Writing the temporary file of ``name`` fills the disk half-way."""
    real = Path.write_text

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith(f".{name}.") and self.name.endswith(".tmp"):
            real(self, data[: len(data) // 2], *args, **kwargs)
            raise ENOSPC
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("report.html", "writing {out}/report.html failed: OSError: [Errno 28]"),
        ("stats.json", "writing {out}/stats.json failed: OSError: [Errno 28]"),
        ("recipe.yaml", "preparing the output {out} failed: OSError: [Errno 28]"),
    ],
)
def test_full_disk_writing_the_runs_files_exits_4_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Any],
    name: str,
    message: str,
) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    out = tmp_path / "out"
    _disk_full_writing(monkeypatch, name)
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 4, result.output
    assert f"gharbal: error: {message.format(out=out)}" in result.output
    assert "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert _temporaries(out) == []
    assert not (out / name).exists()
    monkeypatch.undo()
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output
    for top in ("report.html", "stats.json", "recipe.yaml", "plan.json"):
        assert (out / top).is_file()
    assert _temporaries(out) == []


def test_report_command_on_a_full_disk_exits_4_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=3)
    out = tmp_path / "out"
    gharbal.run(inputs, out)
    before = (out / "report.html").read_bytes()
    _disk_full_writing(monkeypatch, "report.html")
    result = cli("report", str(out))
    assert result.exit_code == 4, result.output
    assert f"gharbal: error: writing {out}/report.html failed: OSError" in result.output
    assert "Traceback" not in result.output
    assert (out / "report.html").read_bytes() == before
    assert _temporaries(out) == []


def test_full_disk_closing_a_part_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    out = tmp_path / "out"

    def fsync(fd: int) -> None:
        raise ENOSPC

    monkeypatch.setattr(os, "fsync", fsync)
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 4, result.output
    assert "gharbal: error: shard 0 (" in result.output
    assert "No space left on device" in result.output
    assert _temporaries(out) == []
    monkeypatch.undo()
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output


# -- two runs into the same output -------------------------------------------------------------


def test_second_run_into_a_locked_output_refuses_and_changes_nothing(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    out = tmp_path / "out"
    gharbal.run(inputs, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    with OutputLock(out):  # as a first run still running would
        with pytest.raises(ConfigError, match="another gharbal run is writing to"):
            gharbal.run(inputs, out)
        result = cli("run", *inputs, "-o", str(out))
        assert result.exit_code == 2, result.output
        assert "another gharbal run is writing to" in result.output
        result = cli("run", *inputs, "-o", str(out), "--resume")
        assert result.exit_code == 2, result.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    result = cli("run", *inputs, "-o", str(out))  # released: runs
    assert result.exit_code == 0, result.output


_HOLD = """
import sys, time
from pathlib import Path
from gharbal.writers.lock import OutputLock
lock = OutputLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(600)
"""


def test_lock_of_a_killed_run_does_not_block(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """A real second process holds the lock: refused; once it is killed (kill -9), its lock file
    stays but blocks nothing, a fresh run or a resume."""
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"locked\n"
        result = cli("run", *inputs, "-o", str(out))
        assert result.exit_code == 2, result.output
        assert f"holds {out / LOCK_NAME}" in result.output
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert (out / LOCK_NAME).is_file()
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 0, result.output
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output


def test_extract_input_deleted_mid_run_exits_4_without_partial_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    module = importlib.import_module("gharbal.runner.extract")  # gharbal re-exports the function
    inputs = make_corpus(tmp_path / "in", files=1, docs=4)
    gone = Path(inputs[0])
    real = module.plan_record

    def plan_then_delete(*args: Any, **kwargs: Any) -> Any:
        plan = real(*args, **kwargs)
        gone.unlink()
        return plan

    monkeypatch.setattr(module, "plan_record", plan_then_delete)
    out = tmp_path / "pages.jsonl"
    result = cli("extract", str(gone), "-o", str(out))
    assert result.exit_code == 4, result.output
    assert f"gharbal extract: error: {gone} -> {out}: shard 0 ({gone}) failed" in result.output
    assert "FileNotFoundError" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not _temporaries(tmp_path)
