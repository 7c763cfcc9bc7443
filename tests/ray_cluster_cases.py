"""A real multi-node Ray cluster on this machine whose nodes share nothing but an S3 bucket.

`ray.cluster_utils.Cluster` starts a head node (no CPUs: the driver's node, where no task runs) and
worker nodes of one CPU each, every one a raylet of its own with its own resources and its own
staging root (``GHARBAL_NODE_STAGING``, set in that raylet's environment only); moto's S3 server
runs in a process of its own on 127.0.0.1. Inputs are S3 objects, the output an S3 URL: the nodes
have no path of the driver's, nor of each other's, to read. The cases run a recipe with site
statistics and exact + near dedup and compare every file of the bucket with a local run of the
same inputs, byte for byte; a worker node is removed in the middle of a run (Ray's retries finish
it; with no retries, the run stops naming shard, node and phase, and ``--resume`` finishes it).

Not collected by the suite itself: `tests/test_ray.py` runs this module in a child pytest, so that
the suite's own process never becomes a Ray driver.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gharbal
from gharbal import Recipe
from gharbal.executors.local import LocalExecutor
from gharbal.executors.ray import RayExecutor
from tests.pipelines import PARTS, make_corpus

if os.environ.get("GHARBAL_REQUIRE_RAY"):  # CI: must run, never skip
    import ray
    from ray._common.utils import get_default_ray_temp_dir
    from ray.cluster_utils import Cluster
else:
    ray = pytest.importorskip("ray", reason="the Ray executor needs the 'ray' extra")
    from ray._common.utils import get_default_ray_temp_dir
    from ray.cluster_utils import Cluster

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

ROOT = Path(__file__).parents[1]
RAY: Any = ray  # its functions are untyped
RECIPE = {
    "extract": {"lines": {"site_stats": True}},
    "dedup": {"exact": {"enabled": True}, "near": {"enabled": True}},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server in a process of its own on the loopback interface; every process of the
    cluster finds it through ``AWS_ENDPOINT_URL``."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"moto's S3 server did not start: {server.poll()}")
            time.sleep(0.2)
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    try:
        with pytest.MonkeyPatch.context() as mp:  # (a module fixture: no monkeypatch fixture)
            for k, v in env.items():
                mp.setenv(k, v)
            yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


class Nodes:
    """The cluster and its worker nodes, each with its own staging root."""

    def __init__(self, cluster: Any, base: Path, node_args: dict[str, Any]) -> None:
        self.cluster, self.base, self.node_args = cluster, base, node_args
        self.workers: list[tuple[Any, Path]] = []
        self.made = 0

    def add(self) -> tuple[Any, Path]:
        root = self.base / f"node{self.made}"
        self.made += 1
        handle = self.cluster.add_node(
            num_cpus=1,
            resources={f"gharbal_node_{self.made}": 1},
            env_vars={"GHARBAL_NODE_STAGING": str(root)},
            **self.node_args,
        )
        self.workers.append((handle, root))
        return handle, root

    def remove(self, handle: Any) -> None:
        """The node goes, and its disk with it."""
        for i, (h, root) in enumerate(self.workers):
            if h is handle:
                self.cluster.remove_node(h)
                shutil.rmtree(root, ignore_errors=True)
                del self.workers[i]
                return
        raise AssertionError("no such node")

    def ensure(self, n: int) -> None:
        while len(self.workers) < n:
            self.add()
        self.cluster.wait_for_nodes()
        deadline = time.monotonic() + 60
        while RAY.cluster_resources().get("CPU", 0) < n and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.fixture(scope="module")
def nodes(s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    mp = pytest.MonkeyPatch()
    mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = os.environ.get("GHARBAL_RAY_TEMP_DIR")  # tests/test_ray.py reads its logs
    where = {"temp_dir": temp_dir} if temp_dir else {}
    head_args: dict[str, Any] = {"num_cpus": 0, "include_dashboard": False, **where}
    # Ray's Cluster writes the head's address into Ray's default temporary directory (/tmp/ray)
    # whatever temp_dir the head was given, and fails when that directory does not exist (a fresh
    # machine whose Ray has only run with a temp_dir of its own, as under tests/test_ray.py).
    Path(get_default_ray_temp_dir()).mkdir(parents=True, exist_ok=True)  # type: ignore[no-untyped-call]
    cluster: Any = Cluster(initialize_head=True, head_node_args=head_args)
    found = Nodes(cluster, tmp_path_factory.mktemp("nodes"), where)
    try:
        found.add()
        found.add()
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        found.ensure(2)
        yield found
    finally:
        RAY.shutdown()
        cluster.shutdown()
        mp.undo()


@pytest.fixture
def bucket(s3: str) -> str:
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    name = f"gharbal-{uuid.uuid4().hex[:8]}"
    fs.mkdir(name)
    return name


def upload_corpus(tmp_path: Path, bucket: str, files: int, docs: int) -> list[str]:
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    urls = []
    for path in make_corpus(tmp_path / "in", files=files, docs=docs, sites=3):
        url = f"s3://{bucket}/in/{Path(path).name}"
        fs.pipe(url, Path(path).read_bytes())
        urls.append(url)
    return urls


def download(url: str, to: Path) -> Path:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    for path in fs.find(root):
        target = to / path[len(root) + 1 :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fs.cat_file(path))
    return to


def comparable(out: Path) -> dict[str, bytes]:
    """Every file of a run's output but those with timings (or the nodes that ran it)."""
    found = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        timed = rel.startswith(("shards/", "stats.json", "report.html", "recipe.yaml"))
        timed = timed or rel.endswith("finalize.json") or "/shards/" in rel
        if path.is_file() and not timed and rel != ".gharbal.lock":
            found[rel] = path.read_bytes()
    return found


def assert_same_as_local(remote: Path, local: Path) -> dict[str, Any]:
    """The bucket's output (downloaded to ``remote``) is the local run's, file for file (stage
    files included); returns its ``stats.json``."""
    a, b = comparable(local), comparable(remote)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel
    for kind in PARTS[:3]:
        assert any(rel.startswith(f"{kind}/") for rel in a), kind
    assert not any("/docs/" in rel for rel in b), "documents between phases left in the bucket"
    assert sorted(p.name for p in (local / "shards").iterdir()) == sorted(
        p.name for p in (remote / "shards").iterdir()
    )
    stats: dict[str, Any] = json.loads((remote / "stats.json").read_text())
    expected = json.loads((local / "stats.json").read_text())
    for s in (stats, expected):
        s.pop("step_seconds")
    cluster = stats.pop("cluster")
    assert stats == expected
    assert b"<html" in (remote / "report.html").read_bytes()
    stats["cluster"] = cluster
    return stats


def assert_counted_once(out: Path, inputs: int) -> None:
    """Every input document is in ``documents/`` or ``rejected/``, once."""
    import gzip

    ids: list[str] = []
    for kind in ("documents", "rejected"):
        for part in sorted((out / kind).iterdir()):
            for line in gzip.decompress(part.read_bytes()).splitlines():
                ids.append(json.loads(line).get("id"))
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == inputs == stats["kept"] + stats["rejected"] == len(ids)
    named = [i for i in ids if i]
    assert len(named) == len(set(named)), "a document counted twice"


def local_run(tmp_path: Path, inputs: list[str], recipe: Recipe) -> Path:
    local = tmp_path / "local"
    with LocalExecutor(1) as here:
        gharbal.run(inputs, local, recipe, executor=here)
    return local


def nothing_left_on_nodes(nodes: Nodes) -> None:
    for _, root in nodes.workers:
        left = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        assert not left, f"files left on a node: {left[:3]}"


def test_bucket_only_cluster_same_as_local(tmp_path: Path, nodes: Nodes, bucket: str) -> None:
    nodes.ensure(2)
    inputs = upload_corpus(tmp_path, bucket, files=6, docs=6)
    recipe = Recipe.from_dict(RECIPE)
    local = local_run(tmp_path, inputs, recipe)
    url = f"s3://{bucket}/out"
    with RayExecutor(address=nodes.cluster.address) as executor:
        assert not executor.shares_disk
        stats = gharbal.run(inputs, url, recipe, executor=executor)
    remote = download(url, tmp_path / "remote")
    found = assert_same_as_local(remote, local)
    assert_counted_once(remote, 6 * 6 + 2)
    assert stats.rejected_by_reason["dedup.exact"] > 0  # the stages had work to do
    assert stats.rejected_by_reason["dedup.near"] > 0
    assert "site_repeated" in json.dumps(found["removed_lines_by_reason"])
    by_node = found["cluster"]["tasks_by_node"]
    assert len(by_node) == 2, by_node  # both worker nodes ran tasks, the driver's none
    moved = found["cluster"]["bucket_bytes"]
    assert set(moved) == {
        "1-site_stats",
        "1-site_stats.finalize",
        "2-dedup_exact",
        "2-dedup_exact.finalize",
        "3-dedup_near",
        "3-dedup_near.finalize",
        "4-write",
        "report",
    }
    assert all(v["up"] > 0 for k, v in moved.items() if k != "report")
    nothing_left_on_nodes(nodes)


class RemoveNodeAt:
    """A progress listener that removes a worker node (and its disk) when the ``at``-th shard of
    phase ``phase`` is done: a node that is running a task then (a task works in a directory of
    its own under its node's staging root while it runs), so that a task is surely lost. (Removing
    any node at that moment could catch it between two tasks: then nothing is lost, Ray runs the
    rest on the other node, and a run without retries does not fail.)"""

    def __init__(self, nodes: Nodes, phase: int, at: int) -> None:
        self.nodes, self.phase, self.at = nodes, phase, at
        self.current = 0
        self.removed = False

    def _busy_node(self) -> Any:
        """The worker node whose newest task directory is the youngest (waiting up to 30 s for
        one), or the last node."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = []
            for handle, root in self.nodes.workers:
                with contextlib.suppress(OSError):
                    ages = [d.stat().st_mtime for d in root.iterdir() if d.is_dir()]
                    if ages:
                        busy.append((max(ages), handle))
            if busy:
                return max(busy, key=lambda t: t[0])[1]
            time.sleep(0.005)
        return self.nodes.workers[-1][0]

    def __call__(self, n: int) -> None:
        pass

    def start_phase(self, name: str, shards: int, documents: int | None) -> None:
        self.current = int(name.split("/")[0])

    def shard_done(self, weight: float) -> None:
        if self.current == self.phase and not self.removed:
            self.at -= 1
            if self.at == 0:
                self.removed = True
                self.nodes.remove(self._busy_node())


def test_node_removed_mid_run_retried(tmp_path: Path, nodes: Nodes, bucket: str) -> None:
    """A worker node goes in the middle of phase 2: Ray runs its tasks again on the other."""
    nodes.ensure(2)
    inputs = upload_corpus(tmp_path, bucket, files=6, docs=4)
    recipe = Recipe.from_dict(RECIPE)
    local = local_run(tmp_path, inputs, recipe)
    url = f"s3://{bucket}/out"
    listener = RemoveNodeAt(nodes, phase=2, at=1)
    with RayExecutor(address=nodes.cluster.address) as executor:
        gharbal.run(inputs, url, recipe, executor=executor, on_progress=listener)
    assert listener.removed
    remote = download(url, tmp_path / "remote")
    assert_same_as_local(remote, local)
    assert_counted_once(remote, 6 * 4 + 2)
    nothing_left_on_nodes(nodes)


_ONE_LINE_LOST = re.compile(
    r"^shard \d+ \(s3://\S+\) failed in phase 2 on node [0-9.]+ \([0-9a-f]{8}\): lost by Ray "
    r"\((NodeDiedError|WorkerCrashedError|ObjectLostError|OwnerDiedError)[^\n]*$"
)


def test_node_lost_without_retries_then_resume(
    tmp_path: Path, nodes: Nodes, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No retries: the lost task stops the run with one line naming shard, node and phase; the
    driver's disk keeps nothing; ``--resume`` (a fresh driver directory) redoes only the rest."""
    nodes.ensure(2)
    inputs = upload_corpus(tmp_path, bucket, files=6, docs=4)
    recipe = Recipe.from_dict(RECIPE)
    local = local_run(tmp_path, inputs, recipe)
    url = f"s3://{bucket}/out"
    driver_tmp = tmp_path / "driver-tmp"
    driver_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(driver_tmp))
    listener = RemoveNodeAt(nodes, phase=2, at=1)
    with (
        RayExecutor(address=nodes.cluster.address, retries=0) as executor,
        pytest.raises(gharbal.ShardError) as failed,
    ):
        gharbal.run(inputs, url, recipe, executor=executor, on_progress=listener)
    message = str(failed.value)
    assert _ONE_LINE_LOST.match(message), message
    assert not list(driver_tmp.iterdir()), "the driver kept files"
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    observed = fs.find(f"{bucket}/out/stages/01-site_stats/shards")
    assert len(observed) == 6  # phase 1 finished before the node went
    before = {p: fs.info(p)["ETag"] for p in observed}

    nodes.ensure(2)
    with RayExecutor(address=nodes.cluster.address) as executor:
        gharbal.run(inputs, url, recipe, executor=executor, resume=True)
    remote = download(url, tmp_path / "remote")
    stats = assert_same_as_local(remote, local)
    assert_counted_once(remote, 6 * 4 + 2)
    fs.invalidate_cache()
    assert {p: fs.info(p)["ETag"] for p in observed} == before  # phase 1 was not redone
    assert stats["cluster"]["bucket_bytes"].get("1-site_stats") is None
    assert not list(driver_tmp.iterdir())
    nothing_left_on_nodes(nodes)


def test_task_failure_names_shard_node_and_phase(tmp_path: Path, nodes: Nodes, bucket: str) -> None:
    """An input object gone after planning: the task's own error, in one line."""
    nodes.ensure(2)
    inputs = upload_corpus(tmp_path, bucket, files=3, docs=2)
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)

    class DeleteInput:
        def __call__(self, n: int) -> None:
            pass

        def start_phase(self, name: str, shards: int, documents: int | None) -> None:
            if name.startswith("1/"):
                fs.rm(inputs[1])

        def shard_done(self, weight: float) -> None:
            pass

    with (
        RayExecutor(address=nodes.cluster.address) as executor,
        pytest.raises(gharbal.ShardError) as failed,
    ):
        gharbal.run(
            inputs,
            f"s3://{bucket}/out",
            Recipe.from_dict(RECIPE),
            executor=executor,
            on_progress=DeleteInput(),
        )
    message = str(failed.value)
    assert "\n" not in message, message
    assert re.match(
        rf"^shard 1 \({re.escape(inputs[1])}\) failed in phase 1 on node [0-9.]+ "
        r"\([0-9a-f]{8}\): FileNotFoundError",
        message,
    ), message
