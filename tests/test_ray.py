"""The Ray executor, tested on a real local Ray instance (`tests/ray_cases.py`) and on a real
multi-node Ray cluster whose nodes share only an S3 bucket (`tests/ray_cluster_cases.py`), each in
a child pytest.

The suite's own process never calls ``ray.init``: a Ray driver whose raylet goes away (killed,
crashed, or declared dead on a starved machine) ends its process at once with status 1 and writes
why only to Ray's log files. Run in a child, such an end is a failing test here that shows the
child's output and the warnings and errors of Ray's logs, and the rest of the suite goes on. A child
cut off that way (no test failed) is run once more, its first output kept in
``tests/artifacts/ray-cut-off.log`` (``ray-cluster-cut-off.log``); a failing case fails at once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# pytest's last line: "=== 6 passed in 40.1s ===" (also with failed, errors, skipped).
_SUMMARY = re.compile(r"^=+ .*\b(passed|failed|errors?|skipped)\b.* in [0-9.]+s", re.MULTILINE)
_LOG_LINE = re.compile(r"^\[[0-9-]+ [0-9:,]+ [WEF] ", re.MULTILINE)


def _ray_log_problems(temp_dir: Path) -> str:
    """Warnings and errors of the Ray sessions started under ``temp_dir`` (last 20 per file)."""
    out: list[str] = []
    for log in sorted(temp_dir.glob("session_2*/logs/*")):  # not the session_latest link
        if log.suffix not in {".out", ".err", ".log"} or not log.is_file():
            continue
        text = log.read_text(errors="replace").splitlines()
        if log.suffix == ".err":  # a worker's stderr: all but Ray's ":task_name:..." markers
            lines = [ln for ln in text if ln.strip() and not ln.startswith(":")]
        else:
            lines = [ln for ln in text if _LOG_LINE.match(ln)]
        if lines:
            out.append(f"== {log.relative_to(temp_dir)}")
            out.extend(lines[-20:])
    return "\n".join(out)


def _run_cases(
    tmp_path: Path, temp_dir: Path, module: str = "tests/ray_cases.py"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "GHARBAL_RAY_TEMP_DIR": str(temp_dir),
        # A busy 2-core machine can keep the raylet from answering the GCS's health checks for a
        # while; with Ray's defaults (5 misses of 3 s) the node would be declared dead.
        "RAY_health_check_failure_threshold": "40",
        "RAY_health_check_timeout_ms": "20000",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            module,
            "-v",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )


def _cut_off(result: subprocess.CompletedProcess[str]) -> bool:
    """The child ended before pytest could write its summary line (its process was ended under
    it: what a Ray driver does when it loses its raylet)."""
    return result.returncode != 0 and _SUMMARY.search(result.stdout) is None


def test_ray_executor_cases(tmp_path: Path) -> None:
    _cases(tmp_path, "tests/ray_cases.py", "ray")


def test_ray_cluster_cases(tmp_path: Path) -> None:
    """A multi-node Ray cluster sharing only an S3 bucket (`tests/ray_cluster_cases.py`)."""
    _cases(tmp_path, "tests/ray_cluster_cases.py", "ray-cluster")


def _cases(tmp_path: Path, module: str, name: str) -> None:
    if not os.environ.get("GHARBAL_REQUIRE_RAY"):  # CI requires Ray; elsewhere it is optional
        pytest.importorskip("ray", reason="the Ray executor needs the 'ray' extra")
    # Ray's session files go under a short folder of this test (Unix socket paths are limited to
    # 107 bytes), so that its logs can be read back when something goes wrong.
    base = Path(os.environ.get("GHARBAL_RAY_TMPDIR", "/tmp"))
    artifacts = ROOT / "tests" / "artifacts"
    result: subprocess.CompletedProcess[str] | None = None
    report = ""
    # One more attempt only when the child was cut off (no test failed: its Ray node went away,
    # which the machine can cause); the first attempt's output and Ray's logs are kept in
    # tests/artifacts/ray-cut-off.log. A test that fails fails at once.
    for attempt in (1, 2):
        temp_dir = base / f"gharbal-{name}-{os.getpid()}-{attempt}"
        try:
            result = _run_cases(tmp_path / f"cases-{attempt}", temp_dir, module)
            report = (
                f"the Ray cases failed (status {result.returncode}, attempt {attempt}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n"
                f"Ray's logs:\n{_ray_log_problems(temp_dir)[-8000:]}"
            )
        finally:
            shutil.rmtree(temp_dir, ignore_errors=True)
        if not _cut_off(result) or attempt == 2:
            break
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / f"{name}-cut-off.log").write_text(report, encoding="utf-8")
    assert result is not None
    if result.returncode != 0:
        pytest.fail(report, pytrace=False)
    assert " passed" in result.stdout, result.stdout
    assert " skipped" not in result.stdout, result.stdout


def test_importing_gharbal_does_not_import_ray() -> None:
    code = "import sys, gharbal, gharbal.cli, gharbal.executors.ray; print('ray' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
