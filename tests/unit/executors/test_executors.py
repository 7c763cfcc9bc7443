"""The local executor (order, retries, progress from pool workers), the resume schedule, and the
progress bar."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.pipelines import make_corpus

from gharbal import RetryableError, ShardError
from gharbal.executors import progress
from gharbal.executors.local import LocalExecutor
from gharbal.runner.shards import schedule


def _slow_square(x: int) -> int:
    time.sleep(0.02 * (5 - x % 5))  # later items finish first
    for _ in range(x):
        progress.report()
    return x * x


def _pid(_: int) -> int:
    time.sleep(0.05)
    return os.getpid()


def _flaky(marker: Path) -> str:
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return "ok"
    raise RetryableError("transient")


def _always_flaky(_: int) -> None:
    raise RetryableError("never works")


def _broken(x: int) -> int:
    if x == 1:
        raise ShardError("bad shard")
    return x


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalExecutor]:
    """One pool of 2 workers for the module (starting one costs seconds on a loaded machine)."""
    with LocalExecutor(2) as ex:
        yield ex


@pytest.fixture(params=[1, 2])
def executor(request: pytest.FixtureRequest, pool: LocalExecutor) -> Iterator[LocalExecutor]:
    if request.param == 2:
        yield pool
    else:
        with LocalExecutor(1) as ex:
            yield ex


def test_results_in_item_order_with_progress(executor: LocalExecutor) -> None:
    seen: list[int] = []
    with executor.progress_to(seen.append):
        assert list(executor.map(_slow_square, list(range(10)))) == [x * x for x in range(10)]
        if not executor.inline:  # progress from the workers arrives through a queue
            deadline = time.monotonic() + 5
            while sum(seen) < 45 and time.monotonic() < deadline:
                time.sleep(0.01)
    assert sum(seen) == 45
    assert progress._sink is None  # nothing left installed in this process


def test_pool_is_kept_between_maps(pool: LocalExecutor) -> None:
    first = set(pool.map(_pid, list(range(6))))
    second = set(pool.map(_pid, list(range(6))))
    assert os.getpid() not in first
    assert first == second


def test_retryable_errors_are_retried(tmp_path: Path, executor: LocalExecutor) -> None:
    items = [tmp_path / "a", tmp_path / "b"]
    assert list(executor.map(_flaky, items)) == ["ok", "ok"]
    with pytest.raises(RetryableError):
        list(executor.map(_always_flaky, [1, 2]))


def test_other_errors_reach_the_caller_in_order(executor: LocalExecutor) -> None:
    results = executor.map(_broken, [0, 1, 2])
    assert next(results) == 0
    with pytest.raises(ShardError, match="bad shard"):
        next(results)


def test_schedule_fresh_and_finished() -> None:
    nothing = schedule(3, 4, lambda p, s: False, lambda p: False)
    assert nothing.run == (frozenset(range(4)),) * 3
    assert nothing.finalize == (True, True, False)
    finished = schedule(3, 4, lambda p, s: True, lambda p: True)
    assert finished.run == (frozenset(),) * 3
    assert finished.finalize == (False, False, False)


def test_schedule_redoes_only_what_is_needed() -> None:
    # Phase 0 and its finalize done; phase 1 (last) done for shards 0 and 2.
    todo = schedule(2, 4, lambda p, s: p == 0 or s in (0, 2), lambda p: True)
    assert todo.run == (frozenset(), frozenset({1, 3}))
    assert todo.finalize == (False, False)
    # Killed while observing: shards 0 and 1 observed, finalize not run.
    todo = schedule(2, 4, lambda p, s: p == 0 and s < 2, lambda p: False)
    assert todo.run == (frozenset({2, 3}), frozenset(range(4)))
    assert todo.finalize == (True, False)
    # The staging directory was lost (no marker of phase 0 nor finalize), shards 0-2 uploaded:
    # finalize needs every shard observed again, the last phase only shard 3.
    todo = schedule(2, 4, lambda p, s: p == 1 and s < 3, lambda p: False)
    assert todo.run == (frozenset(range(4)), frozenset({3}))
    assert todo.finalize == (True, False)
    # Three phases; the last needs shard 1, whose phase-1 documents are there.
    todo = schedule(3, 3, lambda p, s: p < 2 or s != 1, lambda p: True)
    assert todo.run == (frozenset(), frozenset(), frozenset({1}))


def test_progress_bar_estimates_then_knows_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with progress.ProgressBar("run", disable=False) as bar:
        assert isinstance(bar, progress.PhaseListener)
        bar.start_phase("1/2 site_count", shards=4, documents=None)
        bar(30)
        bar.shard_done(0.25)
        assert bar.bar.total == 120  # 30 documents for a quarter of the bytes
        bar(10)
        bar.shard_done(0.25)
        assert bar.bar.total == 80
        bar.start_phase("2/2 write", shards=4, documents=85)
        assert (bar.bar.n, bar.bar.total) == (0, 85)
        bar(85)
    assert "run [2/2 write]" in stream.getvalue()
    assert "docs/s" in stream.getvalue()


def test_report_without_sink_is_a_no_op() -> None:
    assert progress._sink is None
    progress.report(5)
    got: list[int] = []
    previous = progress.set_sink(got.append)
    progress.report(2)
    progress.report(3)
    progress.flush()
    progress.set_sink(previous)
    assert sum(got) == 5


def test_executor_flags_are_checked_before_any_work(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=1)
    out = tmp_path / "out"
    result = cli("run", *inputs, "-o", str(out), "--ray-address", "auto")
    assert result.exit_code == 2
    assert "--ray-address is for --executor ray" in result.output
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else find_spec(name, *a)
    )
    result = cli("run", *inputs, "-o", str(out), "--executor", "ray")
    assert result.exit_code == 2
    assert "pip install 'gharbal[ray]'" in result.output
    assert not out.exists()
