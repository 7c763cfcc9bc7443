"""Output to fsspec URLs, with no network: fsspec's in-memory filesystem (an object store: no
rename, objects appear whole), ``file://`` (a filesystem with renames), and ``s3://`` against moto's
S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

import gharbal
from gharbal import Recipe
from gharbal.writers.output import Output, default_staging
from tests.pipelines import (
    PARTS,
    Stopper,
    StopRunError,
    make_corpus,
    stats_of,
    with_site_count,
)


@pytest.fixture
def memory_url() -> Iterator[str]:
    root = f"memory://gharbal-test-{uuid.uuid4().hex[:8]}/out"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root.split("/out")[0]):
        fs.rm(root.split("/out")[0], recursive=True)


def remote_files(url: str) -> dict[str, bytes]:
    fs, root = fsspec.core.url_to_fs(url)
    found = {}
    for path in sorted(fs.find(root)):
        rel = path[len(root.rstrip("/")) + 1 :]
        found[rel] = fs.cat_file(path)
    return found


def assert_same_as_local(url: str, local: Path) -> None:
    remote = remote_files(url)
    for kind in PARTS:
        names = sorted(p.name for p in (local / kind).iterdir())
        assert names, kind
        for name in names:
            assert remote[f"{kind}/{name}"] == (local / kind / name).read_bytes(), name
    assert remote["plan.json"] == (local / "plan.json").read_bytes()
    markers = sorted(r for r in remote if r.startswith("shards/"))
    assert markers == sorted(f"shards/{p.name}" for p in (local / "shards").iterdir())
    stats = json.loads(remote["stats.json"])
    stats.pop("step_seconds")
    assert stats == stats_of(local)
    assert not [r for r in remote if r.rsplit("/", 1)[-1].startswith(".")], "temporary objects"


def test_memory_output_two_workers(tmp_path: Path, memory_url: str) -> None:
    inputs = make_corpus(tmp_path / "in", files=4, docs=3)
    local = tmp_path / "local"
    gharbal.run(inputs, local, build=with_site_count)
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "notes.txt").write_text("the user's own file")
    stats = gharbal.run(
        inputs, memory_url, Recipe(workers=2), staging=staging, build=with_site_count
    )
    assert stats.input == 4 * 3 + 1
    assert_same_as_local(memory_url, local)
    assert (staging / "notes.txt").is_file()  # neither removed nor uploaded
    remote = remote_files(memory_url)
    assert "notes.txt" not in remote
    assert b"<html" in remote["report.html"]  # built in staging from its parts, then uploaded
    # What a resume needs stays in staging; the uploaded parts do not.
    assert (staging / "stages" / "01-site_count" / "sites.json").is_file()
    assert not (staging / "documents").exists()


@pytest.mark.parametrize(
    ("keep_staging", "fmt"), [(True, "jsonl"), (False, "jsonl"), (False, "parquet")]
)
def test_resume_into_memory(tmp_path: Path, memory_url: str, keep_staging: bool, fmt: str) -> None:
    """Interrupted after 3 shards, then resumed with the same staging directory or a new one
    (the machine was lost): the shards already uploaded are not redone either way."""
    inputs = make_corpus(tmp_path / "in", files=6, docs=2)
    recipe = Recipe.from_dict({"output": {"format": fmt}})
    local = tmp_path / "local"
    gharbal.run(inputs, local, recipe)
    staging = tmp_path / "staging"
    with pytest.raises(StopRunError):
        # Site statistics (on by default) observe the 6 shards, then 3 are written and uploaded.
        gharbal.run(inputs, memory_url, recipe, staging=staging, on_progress=Stopper(6 + 3))
    fs, root = fsspec.core.url_to_fs(memory_url)
    uploaded = sorted(fs.ls(f"{root}/shards", detail=False))
    assert len(uploaded) == 3
    assert not fs.exists(f"{root}/stats.json")
    before = {p: fs.cat_file(p) for p in uploaded}
    new_staging = staging if keep_staging else tmp_path / "other-staging"
    gharbal.run(inputs, memory_url, recipe, staging=new_staging, resume=True)
    assert_same_as_local(memory_url, local)
    # The report was built from every part, the earlier process's uploads included.
    report = remote_files(memory_url)["report.html"]
    assert all(f'"d{n}"'.encode() in report for n in range(12)), "pages missing from the viewer"
    assert {p: fs.cat_file(p) for p in uploaded} == before  # markers (with timings) untouched


def test_file_url_output_uses_rename(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path / "in", files=3, docs=2)
    local = tmp_path / "local"
    gharbal.run(inputs, local)
    url = (tmp_path / "remote").as_uri()
    gharbal.run(inputs, url, Recipe(workers=2), staging=tmp_path / "staging")
    assert_same_as_local(url, local)
    assert not Output(url, tmp_path / "s")._direct  # file:// is written by put + rename


def test_cli_memory_output_and_default_staging(
    tmp_path: Path, memory_url: str, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    inputs = make_corpus(tmp_path / "in", files=2, docs=2)
    result = cli("run", *inputs, "-o", memory_url)
    assert result.exit_code == 0, result.output
    assert memory_url in result.output
    local = tmp_path / "local"
    gharbal.run(inputs, local)
    assert_same_as_local(memory_url, local)
    staging = default_staging(memory_url)
    assert staging.is_relative_to(tmp_path / "cache" / "gharbal" / "staging")
    assert (staging / "plan.json").is_file()
    result = cli("run", *inputs, "-o", memory_url, "--resume")
    assert result.exit_code == 0, result.output


def test_staging_is_for_urls_only(tmp_path: Path, cli: Callable[..., Any]) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=1)
    result = cli("run", *inputs, "-o", str(tmp_path / "out"), "--staging", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert "staging" in result.output


def test_unknown_protocol_is_a_config_error(tmp_path: Path, cli: Callable[..., Any]) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=1)
    result = cli("run", *inputs, "-o", "nosuchproto://bucket/out")
    assert result.exit_code == 2
    assert "nosuchproto" in result.output


def test_resume_ignores_staging_of_another_run(tmp_path: Path, memory_url: str) -> None:
    first = make_corpus(tmp_path / "a", files=4, docs=2)
    second = make_corpus(tmp_path / "b", files=5, docs=3)
    with pytest.raises(StopRunError):  # run A, staged in X, interrupted
        gharbal.run(first, memory_url, staging=tmp_path / "x", on_progress=Stopper(2))
    with pytest.raises(StopRunError):  # run B, afresh into the same URL, staged in Y, interrupted
        gharbal.run(second, memory_url, staging=tmp_path / "y", on_progress=Stopper(2))
    # B resumed with A's staging: A's markers must not be taken for B's.
    gharbal.run(second, memory_url, staging=tmp_path / "x", resume=True)
    local = tmp_path / "local"
    gharbal.run(second, local)
    assert_same_as_local(memory_url, local)


def test_failed_upload_stops_the_run(
    tmp_path: Path, memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_corpus(tmp_path / "in", files=8, docs=1)
    publish = Output.publish

    def failing(self: Output, rels: list[str]) -> None:
        if any(r.startswith("documents/part-00001") for r in rels):
            raise PermissionError("access denied")
        publish(self, rels)

    monkeypatch.setattr(Output, "publish", failing)
    with pytest.raises(gharbal.StageError, match=r"uploading .* failed: PermissionError: access"):
        gharbal.run(inputs, memory_url, staging=tmp_path / "s")  # exit 4 and one line in the CLI
    fs, root = fsspec.core.url_to_fs(memory_url)
    assert not fs.exists(f"{root}/stats.json")
    monkeypatch.setattr(Output, "publish", publish)
    gharbal.run(inputs, memory_url, staging=tmp_path / "s", resume=True)
    local = tmp_path / "local"
    gharbal.run(inputs, local)
    assert_same_as_local(memory_url, local)


def test_plan_fingerprints_url_inputs(memory_url: str) -> None:
    """What ``--resume`` compares of an input URL: what its filesystem reports."""
    from gharbal.readers import InputFile, Shard
    from gharbal.runner.shards import plan_record

    fs = fsspec.filesystem("memory")
    url = f"{memory_url}-in/a.jsonl"
    fs.pipe(url, b'{"text": "a"}\n')
    shard = Shard(0, (InputFile(url, None, "jsonl"),))
    (row,) = plan_record([shard], [])["shards"]
    assert row["files"][0]["path"] == url
    assert row["files"][0]["size"] == 14
    fs.pipe(url, b'{"text": "ab"}\n')
    (changed,) = plan_record([shard], [])["shards"]
    assert changed != row
    fs.rm(url)


def test_url_inputs_to_url_output(tmp_path: Path, memory_url: str) -> None:
    """Inputs read through fsspec (the readers' URL support), output uploaded, then resumed."""
    pytest.importorskip("gharbal.readers.location", reason="needs the readers' URL support")
    fs = fsspec.filesystem("memory")
    inputs = make_corpus(tmp_path / "in", files=4, docs=2)
    urls = []
    for path in inputs:
        url = f"{memory_url}-in/{Path(path).name}"
        fs.pipe(url, Path(path).read_bytes())
        urls.append(url)
    local = tmp_path / "local"
    gharbal.run(inputs, local)
    with pytest.raises(StopRunError):
        gharbal.run(urls, memory_url, staging=tmp_path / "s", on_progress=Stopper(2))
    gharbal.run(urls, memory_url, staging=tmp_path / "s", resume=True)
    remote = remote_files(memory_url)
    for kind in ("documents", "removed_lines"):  # rejected/ names the input, local or URL
        for part in (local / kind).iterdir():
            assert remote[f"{kind}/{part.name}"] == part.read_bytes()
    stats = json.loads(remote["stats.json"])
    assert stats["input"] == stats_of(local)["input"]
    fs.rm(f"{memory_url}-in", recursive=True)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server in a thread on the loopback interface (no credentials, no network)."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    keys = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    saved = {k: os.environ.get(k) for k in (*keys, "AWS_DEFAULT_REGION")}
    os.environ.update(keys, AWS_DEFAULT_REGION="us-east-1")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_s3_output_interrupted_and_resumed(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3_endpoint})
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    bucket = f"gharbal-{uuid.uuid4().hex[:8]}"
    fs.mkdir(bucket)
    url = f"s3://{bucket}/corpus"
    inputs = make_corpus(tmp_path / "in", files=5, docs=2)
    local = tmp_path / "local"
    gharbal.run(inputs, local, build=with_site_count)
    staging = tmp_path / "staging"
    with pytest.raises(StopRunError):
        gharbal.run(
            inputs,
            url,
            Recipe(workers=2),
            staging=staging,
            on_progress=Stopper(7),  # 5 shards observed, then 2 written and uploaded
            build=with_site_count,
        )
    assert len(fs.ls(f"{bucket}/corpus/shards")) == 2
    gharbal.run(inputs, url, staging=staging, resume=True, build=with_site_count)
    assert_same_as_local(url, local)


def _bucket_run(inputs: list[str], url: str, recipe: Recipe, **kwargs: Any) -> gharbal.Stats:
    """A run whose "nodes" share only the bucket, tasks inline (memory:// is this process's)."""
    from gharbal.executors.local import LocalExecutor

    with LocalExecutor(1) as here:
        return gharbal.run(inputs, url, recipe, executor=here, bucket_only=True, **kwargs)


def test_bucket_only_stages_nothing_outside_the_bucket(
    tmp_path: Path, memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gharbal.runner.nodes` without a cluster: every task fetches what it needs from the bucket and
    publishes what it made; the output is the local run's, the driver and the nodes keep
    nothing; interrupted, it is resumed from the bucket alone."""
    import tempfile

    recipe = Recipe.from_dict({"dedup": {"exact": {"enabled": True}, "near": {"enabled": True}}})
    inputs = make_corpus(tmp_path / "in", files=5, docs=4)
    local = tmp_path / "local"
    gharbal.run(inputs, local, recipe)
    nodes, driver = tmp_path / "node", tmp_path / "driver-tmp"
    driver.mkdir()
    monkeypatch.setenv("GHARBAL_NODE_STAGING", str(nodes))
    monkeypatch.setattr(tempfile, "tempdir", str(driver))
    with pytest.raises(StopRunError):  # 3 phases of 5 shards (site stats, exact, near) and 2
        _bucket_run(inputs, memory_url, recipe, on_progress=Stopper(3 * 5 + 2))
    assert not list(driver.iterdir())
    fs, root = fsspec.core.url_to_fs(memory_url)
    assert len(fs.ls(f"{root}/shards")) == 2
    stats = _bucket_run(inputs, memory_url, recipe, resume=True)
    assert stats.rejected_by_reason["dedup.exact"] + stats.rejected_by_reason["dedup.near"] > 0
    remote = remote_files(memory_url)
    cluster = json.loads(remote["stats.json"])["cluster"]
    assert set(cluster["bucket_bytes"]) == {"4-write", "report"}  # only the rest was redone
    stats_json = json.loads(remote["stats.json"])
    stats_json.pop("cluster")  # the one key a bucket-only run adds: compared with the local run's
    fs.pipe(f"{root}/stats.json", json.dumps(stats_json).encode())
    assert_same_as_local(memory_url, local)
    for rel in remote_files(memory_url):
        assert "/docs/" not in rel, rel
    assert any(r.startswith("stages/03-dedup_near/decisions/") for r in remote)
    assert not [p for p in nodes.rglob("*") if p.is_file()], "files left on the node"
    assert not list(driver.iterdir())


def test_bucket_only_needs_an_output_url(tmp_path: Path, memory_url: str) -> None:
    inputs = make_corpus(tmp_path / "in", files=1, docs=1)
    with pytest.raises(gharbal.ConfigError, match="output URL"):
        gharbal.run(inputs, tmp_path / "out", bucket_only=True)
    with pytest.raises(gharbal.ConfigError, match="stages on each node"):
        gharbal.run(inputs, memory_url, staging=tmp_path / "s", bucket_only=True)
