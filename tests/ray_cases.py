"""The Ray executor on a real local Ray instance (started once for this module, 2 CPUs): the same
recipe gives the same bytes as the local executor, aggregations spread their ``finalize`` over it,
and a run interrupted on the local executor is finished on Ray.

Not collected by the suite itself: `tests/test_ray.py` runs this module in a child pytest, so that
the suite's own process never becomes a Ray driver (a driver that loses its raylet exits at once
with status 1 and says why only in Ray's log files)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gharbal
from gharbal import Recipe, RetryableError
from gharbal.executors.local import LocalExecutor
from gharbal.executors.ray import RayExecutor  # Ray itself is imported when it first runs a task
from tests.pipelines import (
    Stopper,
    StopRunError,
    assert_same_output,
    make_corpus,
    with_site_count,
)

if os.environ.get("GHARBAL_REQUIRE_RAY"):  # CI: must run, never skip
    import ray
else:
    ray = pytest.importorskip("ray", reason="the Ray executor needs the 'ray' extra")

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def ray_executor() -> Iterator[RayExecutor]:
    env = {
        "RAY_USAGE_STATS_ENABLED": "0",
        # Ray's workers import the test helpers (tests.pipelines) by name.
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    # tests/test_ray.py names the folder of Ray's session files, to read its logs on failure.
    temp_dir = os.environ.get("GHARBAL_RAY_TEMP_DIR")
    init_kwargs = {"_temp_dir": temp_dir} if temp_dir else {}
    # No warning is filtered: Ray 2.60 starts without any.
    executor = RayExecutor(num_cpus=2, init_kwargs=init_kwargs)
    executor.warm_up("gharbal.runner.pipeline")
    try:
        yield executor
    finally:
        executor.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_same_output_as_local_executor(tmp_path: Path, ray_executor: RayExecutor) -> None:
    inputs = make_corpus(tmp_path / "in", files=6, docs=5)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    with LocalExecutor(2) as pool:
        gharbal.run(inputs, local, Recipe(workers=2), executor=pool)
    seen: list[int] = []
    stats = gharbal.run(inputs, on_ray, executor=ray_executor, on_progress=seen.append)
    assert_same_output(local, on_ray)
    assert stats.input == 6 * 5 + 2
    assert sum(seen) == stats.input  # progress per batch of documents from the Ray workers


def test_aggregation_finalize_spread_over_ray(tmp_path: Path, ray_executor: RayExecutor) -> None:
    inputs = make_corpus(tmp_path / "in", files=5, docs=6)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    gharbal.run(inputs, local, build=with_site_count)
    stats = gharbal.run(inputs, on_ray, executor=ray_executor, build=with_site_count)
    assert_same_output(local, on_ray)
    assert stats.rejected_by_reason["dedup.lonely_site"] == 1
    assert "site_count.finalize" in stats.step_seconds


def test_resume_on_ray_after_local_crash(tmp_path: Path, ray_executor: RayExecutor) -> None:
    """Half a run on the local executor, the rest on Ray: the output is the same."""
    inputs = make_corpus(tmp_path / "in", files=6, docs=3)
    clean, out = tmp_path / "clean", tmp_path / "out"
    gharbal.run(inputs, clean, build=with_site_count)

    with pytest.raises(StopRunError):
        gharbal.run(inputs, out, build=with_site_count, on_progress=Stopper(3))
    gharbal.run(inputs, out, executor=ray_executor, resume=True, build=with_site_count)
    assert_same_output(clean, out)


def _flaky(marker: Path) -> str:
    """Fails with RetryableError the first time it runs (anywhere), then succeeds."""
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return "ok"
    raise RetryableError("transient")


def _broken(_: Any) -> None:
    raise gharbal.ShardError("this shard cannot go on")


def test_retries_and_errors(tmp_path: Path, ray_executor: RayExecutor) -> None:
    assert list(ray_executor.map(_flaky, [tmp_path / "a", tmp_path / "b"])) == ["ok", "ok"]
    with pytest.raises(gharbal.ShardError, match="cannot go on"):
        list(ray_executor.map(_broken, [1]))


def test_cli_executor_ray(tmp_path: Path, ray_executor: RayExecutor) -> None:
    """``--executor ray`` joins the running instance (address 'auto' is what a cluster user gives)."""
    from click.testing import CliRunner

    from gharbal.cli import main

    inputs = make_corpus(tmp_path / "in", files=3, docs=2)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", *inputs, "-o", str(out), "--executor", "ray"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert ray.is_initialized()  # joined the fixture's instance, which is left running
    local = tmp_path / "local"
    gharbal.run(inputs, local)
    assert_same_output(local, out)


def test_worked_example_recipe_of_the_docs(tmp_path: Path, ray_executor: RayExecutor) -> None:
    text = (ROOT / "docs" / "ray.md").read_text(encoding="utf-8")
    block = text.split("# recipe.yaml\n", 1)[1].split("```", 1)[0]
    recipe_path = tmp_path / "recipe.yaml"
    recipe_path.write_text(textwrap.dedent(block), encoding="utf-8")
    recipe = Recipe.from_yaml(recipe_path)
    assert recipe.read.shard_bytes == 256 * 1024 * 1024
    inputs = make_corpus(tmp_path / "in", files=2, docs=3)
    stats = gharbal.run(inputs, tmp_path / "out", recipe, executor=ray_executor)
    assert stats.input == 2 * 3
