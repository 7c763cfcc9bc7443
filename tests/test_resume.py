"""Resume: a run killed with SIGKILL and resumed gives the output of an uninterrupted run, byte for
byte; finished work is kept; a resume with another recipe or other inputs is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gharbal
from gharbal import ConfigError, Recipe
from gharbal.executors.local import LocalExecutor
from tests.pipelines import assert_same_output, make_corpus, stats_of, with_site_count

ROOT = Path(__file__).parents[1]


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONWARNINGS": "error", "PYTHONPATH": str(ROOT)}
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group, to find its pool's workers
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_when(proc: subprocess.Popen[bytes], markers: Path, at_least: int, log: Path) -> int:
    """SIGKILL ``proc`` (the main process only, as ``kill -9 PID`` does) as soon as ``markers``
    holds ``at_least`` completion markers; returns how many there were once its workers are gone."""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = len(list(markers.glob("part-*.stats.json"))) if markers.is_dir() else 0
            if done >= at_least:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it was killed: {log.read_text()[-2000:]}")
            time.sleep(0.005)
        else:
            pytest.fail("no completion marker appeared in time")
        # The pool's workers die with the main process (PR_SET_PDEATHSIG on Linux).
        gone = time.monotonic() + 20
        while _group_alive(proc.pid) and time.monotonic() < gone:
            time.sleep(0.05)
        if sys.platform.startswith("linux"):
            assert not _group_alive(proc.pid), "pool workers outlived the killed run"
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return len(list(markers.glob("part-*.stats.json")))


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in directory.glob("part-*")}


def test_cli_run_killed_and_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=40, docs=6)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean)
    out = tmp_path / "out"
    log = tmp_path / "killed.log"
    proc = _start(["-m", "gharbal", "run", *inputs, "-o", str(out), "--workers", "2"], log)
    done = _kill_when(proc, out / "shards", at_least=4, log=log)
    assert proc.returncode == -signal.SIGKILL
    assert 4 <= done < 40, "the run must be killed in the middle"
    assert not (out / "stats.json").exists()
    before = _mtimes(out / "shards")

    result = subprocess.run(
        [sys.executable, "-m", "gharbal", "run", *inputs, "-o", str(out), "--resume"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert_same_output(clean, out)
    after = _mtimes(out / "shards")
    assert all(after[name] == t for name, t in before.items()), "finished shards were redone"
    assert stats_of(out)["input"] == 40 * 6 + 40 // 3


@pytest.mark.parametrize(("where", "at_least"), [("stages/01-site_count/shards", 3), ("shards", 3)])
def test_two_phase_run_killed_in_either_phase_and_resumed(
    tmp_path: Path, where: str, at_least: int
) -> None:
    """Killed while the aggregation observes (phase 1) or after its finalize (phase 2)."""
    inputs = make_corpus(tmp_path / "in", files=24, docs=5)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean, build=with_site_count)
    out = tmp_path / "out"
    log = tmp_path / "killed.log"
    proc = _start(["-m", "tests.pipelines", *inputs, "-o", str(out), "--workers", "2"], log)
    done = _kill_when(proc, out / where, at_least=at_least, log=log)
    assert done < 24
    finalized = (out / "stages" / "01-site_count" / "finalize.json").is_file()
    assert finalized == (where == "shards")
    stage_before = _mtimes(out / "stages" / "01-site_count" / "shards")

    result = subprocess.run(
        [sys.executable, "-m", "tests.pipelines", *inputs, "-o", str(out), "--resume"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert_same_output(clean, out)
    stage_after = _mtimes(out / "stages" / "01-site_count" / "shards")
    assert all(stage_after[n] == t for n, t in stage_before.items()), "observed shards redone"
    assert stats_of(out)["rejected_by_reason"]["dedup.lonely_site"] == 1


class _CrashError(Exception):
    pass


class _CrashErroringExecutor(LocalExecutor):
    """Dies (raises) after ``after`` results of the phase ``phase``-th map call."""

    def __init__(self, after: int, calls: int) -> None:
        super().__init__(1)
        self.after, self.calls = after, calls

    def map(self, fn: Callable[[Any], Any], items: Any) -> Any:
        self.calls -= 1
        for i, result in enumerate(super().map(fn, items)):
            if self.calls == 0 and i == self.after:
                raise _CrashError
            yield result


@pytest.mark.parametrize(
    ("after", "calls"),
    [(2, 1), (0, 2), (3, 3)],  # observing; inside finalize (its own map); writing the ledger
)
def test_crash_at_any_point_then_resume(tmp_path: Path, after: int, calls: int) -> None:
    inputs = make_corpus(tmp_path / "in", files=6, docs=4)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean, build=with_site_count)
    out = tmp_path / "out"
    # A crash inside a stage's finalize comes out as a StageError caused by it.
    with pytest.raises((_CrashError, gharbal.StageError)) as crashed:
        gharbal.run(
            inputs, out, executor=_CrashErroringExecutor(after, calls), build=with_site_count
        )
    assert isinstance(crashed.value, _CrashError) or isinstance(
        crashed.value.__cause__, _CrashError
    )
    assert not (out / "stats.json").exists()
    stats = gharbal.run(inputs, out, resume=True, build=with_site_count)
    assert_same_output(clean, out)
    assert stats.input == 6 * 4 + 2


def test_resume_of_a_finished_run_redoes_nothing(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=3, docs=3)
    out = tmp_path / "out"
    first = gharbal.run(inputs, out, build=with_site_count)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("part-*")}
    again = gharbal.run(inputs, out, resume=True, build=with_site_count)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("part-*")} == before
    a, b = again.to_json(), first.to_json()
    # Timings come from the markers (rounded to the millisecond as stats.json has them).
    assert a.pop("step_seconds").keys() == b.pop("step_seconds").keys()
    assert a == b


def test_resume_without_earlier_run_starts_afresh(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=2)
    stats = gharbal.run(inputs, tmp_path / "new", resume=True)
    assert stats.input == 4


def test_resume_refuses_other_recipe_or_inputs(tmp_path: Path, cli: Callable[..., Any]) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=2)
    out = tmp_path / "out"
    gharbal.run(inputs, out)
    with pytest.raises(ConfigError, match=r"recipe differs .*extract\.min_chars: 1 before, 50"):
        gharbal.run(inputs, out, Recipe.from_dict({"extract": {"min_chars": 50}}), resume=True)
    with pytest.raises(ConfigError, match="inputs differ"):
        gharbal.run(inputs[:1], out, resume=True)
    Path(inputs[1]).write_text('{"id": "changed", "text": "x"}\n', encoding="utf-8")
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 2
    assert "inputs differ" in result.output
    assert f"shard 1 ({inputs[1]})" in result.output
    # Another worker count is the same run.
    Path(inputs[1]).unlink()
    inputs = make_corpus(tmp_path / "in", files=2, docs=2)
    gharbal.run(inputs, out)
    assert gharbal.run(inputs, out, Recipe(workers=2), resume=True).input == 4


def test_resume_refuses_other_stages(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=2, docs=2)
    out = tmp_path / "out"
    gharbal.run(inputs, out, build=with_site_count)
    with pytest.raises(
        ConfigError, match=r"stages were \['01-site_count'\], this run's are \['01-site_stats'\]"
    ):
        gharbal.run(inputs, out, resume=True)  # the default recipe: site statistics on
    off = Recipe.from_dict({"extract": {"lines": {"site_stats": False}}})
    gharbal.run(inputs, out, off, build=with_site_count)
    with pytest.raises(ConfigError, match=r"stages were \['01-site_count'\], this run's are \[\]"):
        gharbal.run(inputs, out, off, resume=True)


def test_resume_refuses_output_without_plan(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=2)
    out = tmp_path / "out"
    gharbal.run(inputs, out)
    (out / "plan.json").unlink()
    with pytest.raises(ConfigError, match=r"no plan\.json"):
        gharbal.run(inputs, out, resume=True)


def _failing_reader(bad_shard: int) -> Callable[..., Any]:
    """`read_shard` that fails (not a document: the file system) when it reaches ``bad_shard``."""
    from gharbal.readers import read_shard

    def read(shard: Any, cfg: Any, on_empty: Any = None) -> Any:
        for i, doc in enumerate(read_shard(shard, cfg, on_empty)):
            if shard.index == bad_shard and i == 1:
                raise OSError(28, "No space left on device")
            yield doc

    return read


def test_shard_failure_stops_the_run_naming_the_shard_then_resume_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_corpus(tmp_path / "in", files=4, docs=3)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean, build=with_site_count)
    out = tmp_path / "out"
    monkeypatch.setattr("gharbal.runner.phases.read_shard", _failing_reader(2))
    with pytest.raises(gharbal.ShardError) as failed:
        gharbal.run(inputs, out, build=with_site_count)
    message = str(failed.value)
    assert "shard 2" in message
    assert "in-002.jsonl" in message
    assert "phase 1" in message
    assert "OSError" in message
    assert "No space left on device" in message
    assert isinstance(failed.value.__cause__, OSError)
    assert not (out / "stats.json").exists(), "a run that lost a shard must not look finished"
    monkeypatch.undo()
    stats = gharbal.run(inputs, out, resume=True, build=with_site_count)
    assert_same_output(clean, out)
    assert stats.input == 4 * 3 + 1


def test_cli_shard_failure_exits_4_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    inputs = make_corpus(tmp_path / "in", files=3, docs=2)
    out = tmp_path / "out"
    monkeypatch.setattr("gharbal.runner.phases.read_shard", _failing_reader(1))
    result = cli("run", *inputs, "-o", str(out))
    assert result.exit_code == 4
    assert "gharbal: error: shard 1 (" in result.output
    assert "No space left on device" in result.output
    assert "--resume" in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    result = cli("run", *inputs, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output
    assert (out / "stats.json").is_file()


def test_failing_finalize_stops_with_stage_error_then_resume_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.pipelines import SiteCount

    inputs = make_corpus(tmp_path / "in", files=3, docs=3)
    clean = tmp_path / "clean"
    gharbal.run(inputs, clean, build=with_site_count)

    def full_disk(self: SiteCount, workdir: Path, num_shards: int, executor: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SiteCount, "finalize", full_disk)
    out = tmp_path / "out"
    with pytest.raises(gharbal.StageError, match="stage site_count failed in finalize: OSError"):
        gharbal.run(inputs, out, build=with_site_count)
    assert not (out / "stats.json").exists()
    monkeypatch.undo()
    gharbal.run(inputs, out, resume=True, build=with_site_count)
    assert_same_output(clean, out)
