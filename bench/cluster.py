"""A Ray cluster whose nodes share only a bucket: documents/s with 1, 2 and 3 nodes, bucket traffic.

    python bench/cluster.py [--shards 24] [--docs 40] [--repeat 2] [--nodes 1,2,3]

Everything runs on this machine, as the tests do (`tests/ray_cluster_cases.py`): moto's S3 server
in a process of its own on 127.0.0.1, and a `ray.cluster_utils.Cluster` whose head node (the
driver's, no CPUs) runs no task and whose worker nodes are *simulated nodes*: each a raylet of its
own with one CPU and its own staging root. Input (``--shards`` JSONL files of ``--docs`` pages of the
bundled sample, as `bench/scaling.py` makes them) and output are in the bucket; the recipe has site
statistics, exact and near-duplicate dedup on, so every kind of phase moves files through the bucket.

For each repeat and each node count (interleaved, nodes added or removed between runs, and every
new node warmed up with a small run first), ``gharbal.run`` is timed from its call to its return,
then the same cluster runs a fixed pure-Python loop (`spin`, 2 tasks per node) whose speed-up over
1 node is the machine's own ceiling at that moment: simulated nodes share this machine's cores
(three 1-CPU nodes on a 2-core machine cannot beat two). The outputs of all runs are compared byte
for byte. Printed: each run, the median and best documents/s per node count with the ratio to 1
node and the ceiling, and the bytes each phase moved up to and down from the bucket
(``stats.json``, ``cluster.bucket_bytes``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from scaling import make_input  # bench/ is the script's own folder

import gharbal

RECIPE = {
    "extract": {"lines": {"site_stats": True}},
    "dedup": {"exact": {"enabled": True}, "near": {"enabled": True}},
}


def spin(n: int) -> int:
    """A pure-Python CPU task with no I/O and little memory (defined here: shipped by value)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def start_s3(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                sys.exit("moto's S3 server did not start (pip install 'moto[server]' s3fs)")
            time.sleep(0.2)
    return server, f"http://127.0.0.1:{port}"


def output_bytes(fs: Any, url: str) -> dict[str, bytes]:
    root = url.split("://", 1)[1]
    fs.invalidate_cache()
    return {
        p[len(root) + 1 :]: fs.cat_file(p)
        for kind in ("documents", "rejected", "removed_lines")
        for p in sorted(fs.find(f"{root}/{kind}"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=int, default=24)
    parser.add_argument("--docs", type=int, default=40, help="documents per shard")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--nodes", default="1,2,3", help="node counts to run, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import fsspec
    import ray
    from ray.cluster_utils import Cluster

    from gharbal.executors.ray import RayExecutor

    with tempfile.TemporaryDirectory(prefix="gharbal-cluster-bench-") as tmp:
        work = Path(tmp)
        server, endpoint = start_s3(work / "moto.log")
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=endpoint,
        )
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        bucket = f"gharbal-bench-{uuid.uuid4().hex[:8]}"
        fs.mkdir(bucket)

        def upload(paths: list[str], prefix: str) -> list[str]:
            urls = []
            for path in paths:
                url = f"s3://{bucket}/{prefix}/{Path(path).name}"
                fs.pipe(url, Path(path).read_bytes())
                urls.append(url)
            return urls

        inputs = upload(make_input(work / "input", args.shards, args.docs), "input")
        warm = upload(make_input(work / "warm", 2, 3), "warm")
        total = args.shards * args.docs
        recipe = gharbal.Recipe.from_dict(RECIPE)
        print(f"input: {args.shards} shards x {args.docs} documents = {total} documents (in S3)")
        print(f"recipe: site statistics, exact and near dedup; cpus: {os.cpu_count()}")
        print(f"load average before: {_load()}")

        cluster = Cluster(
            initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
        )
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        nodes: list[Any] = []
        made = 0

        def resize(n: int) -> None:
            nonlocal made
            added = False
            while len(nodes) > n:
                cluster.remove_node(nodes.pop())
            while len(nodes) < n:
                root = work / "nodes" / f"node{made}"
                made += 1
                nodes.append(
                    cluster.add_node(num_cpus=1, env_vars={"GHARBAL_NODE_STAGING": str(root)})
                )
                added = True
            cluster.wait_for_nodes()
            while ray.cluster_resources().get("CPU", 0) != n:
                time.sleep(0.2)
            if added:  # every node's workers started, gharbal and its data loaded
                with RayExecutor(address=cluster.address) as ex:
                    ex.warm_up()
                    gharbal.run(
                        warm, f"s3://{bucket}/warm-{uuid.uuid4().hex[:6]}", recipe, executor=ex
                    )

        rates: dict[int, list[float]] = {n: [] for n in counts}
        spins: dict[int, list[float]] = {n: [] for n in counts}
        traffic: dict[int, dict[str, dict[str, int]]] = {}
        reference: dict[str, bytes] | None = None
        try:
            for r in range(args.repeat):
                for n in counts:
                    resize(n)
                    url = f"s3://{bucket}/out-{r}-{n}"
                    with RayExecutor(address=cluster.address) as ex:
                        start = time.perf_counter()
                        stats = gharbal.run(inputs, url, recipe, executor=ex)
                        seconds = time.perf_counter() - start
                        t0 = time.perf_counter()
                        list(ex.map(spin, [2_000_000] * (2 * n)))
                        spins[n].append((time.perf_counter() - t0) / (2 * n))
                    assert stats.input == total, stats.input
                    rate = total / seconds
                    rates[n].append(rate)
                    print(f"run {r + 1}  {n} node(s): {seconds:6.2f} s  {rate:7.1f} docs/s")
                    data = json.loads(fs.cat_file(f"{url.split('://', 1)[1]}/stats.json"))
                    traffic[n] = data["cluster"]["bucket_bytes"]
                    got = output_bytes(fs, url)
                    if reference is None:
                        reference = got
                    elif got != reference:
                        sys.exit(f"output with {n} node(s) differs from the first run's")
        finally:
            ray.shutdown()
            cluster.shutdown()
            server.terminate()
            server.wait(timeout=30)

    print(f"load average after: {_load()}")
    print("outputs: byte-identical across all runs")
    base, best_base = statistics.median(rates[counts[0]]), max(rates[counts[0]])
    one_spin = statistics.median(spins[counts[0]])
    print(f"{'':>8}  {'median':>12}  {'best':>12}  {'x 1 node (median, best)':>24}  ceiling")
    for n in counts:
        med, best = statistics.median(rates[n]), max(rates[n])
        # spins: wall seconds per task of the loop, so their ratio is the loop's throughput's.
        ceiling = one_spin / statistics.median(spins[n])
        print(
            f"{n:>2} node{'s' if n > 1 else ' '}  {med:7.1f} docs/s  {best:7.1f} docs/s  "
            f"{med / base:11.2f}x {best / best_base:11.2f}x  {ceiling:6.2f}x"
        )
    print(
        "ceiling: a pure-Python loop (no I/O), 2 tasks per node, run on the same cluster right "
        "after each run: its throughput with n nodes over 1 node (median)"
    )
    last = traffic[counts[-1]]
    print(f"bytes through the bucket per phase ({counts[-1]} node(s); the same for any count):")
    print(f"{'phase':>26}  {'up':>10}  {'down':>10}")
    for phase, moved in last.items():
        print(f"{phase:>26}  {_mb(moved['up']):>10}  {_mb(moved['down']):>10}")
    up = sum(m["up"] for m in last.values())
    down = sum(m["down"] for m in last.values())
    print(f"{'total':>26}  {_mb(up):>10}  {_mb(down):>10}")


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
