"""The Ray executor, tested on a real local Ray instance in a child pytest (`tests/ray_cases.py`).

The suite's own process never calls ``ray.init``: a Ray driver whose raylet goes away (killed,
crashed, or declared dead on a starved machine) ends its process at once with status 1 and writes
why only to Ray's log files. Run in a child, such an end is a failing test here that shows the
child's output and the warnings and errors of Ray's logs, and the rest of the suite goes on.
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


def test_ray_executor_cases(tmp_path: Path) -> None:
    if not os.environ.get("GHARBAL_REQUIRE_RAY"):  # CI requires Ray; elsewhere it is optional
        pytest.importorskip("ray", reason="the Ray executor needs the 'ray' extra")
    # Ray's session files go under a short folder of this test (Unix socket paths are limited to
    # 107 bytes), so that its logs can be read back when something goes wrong.
    temp_dir = Path(os.environ.get("GHARBAL_RAY_TMPDIR", "/tmp")) / f"gharbal-ray-{os.getpid()}"
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "GHARBAL_RAY_TEMP_DIR": str(temp_dir),
        # A busy 2-core machine can keep the raylet from answering the GCS's health checks for a
        # while; with Ray's defaults (5 misses of 3 s) the node would be declared dead.
        "RAY_health_check_failure_threshold": "40",
        "RAY_health_check_timeout_ms": "20000",
    }
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/ray_cases.py",
                "-v",
                "-p",
                "no:cacheprovider",
                f"--basetemp={tmp_path / 'cases'}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if result.returncode != 0:
            pytest.fail(
                f"the Ray cases failed (status {result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n"
                f"Ray's logs:\n{_ray_log_problems(temp_dir)[-8000:]}",
                pytrace=False,
            )
        assert " passed" in result.stdout, result.stdout
        assert " skipped" not in result.stdout, result.stdout
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_importing_gharbal_does_not_import_ray() -> None:
    code = "import sys, gharbal, gharbal.cli, gharbal.executors.ray; print('ray' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
