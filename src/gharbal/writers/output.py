"""Where a run's output goes: a local directory, or an fsspec URL (``s3://``, ``gs://``, ``memory://``).

Workers always write to a local directory, ``Output.local``: the output directory itself for a local
run, and a *staging* directory for a URL. For a URL, each finished shard's parts are then uploaded,
its completion marker (``shards/part-NNNNN.stats.json``) last, and at the end of the run the top-level
files (``stats.json``, ``recipe.yaml``, ...). Every upload is atomic: object stores (S3, GCS, Azure,
the in-memory filesystem) publish an object whole or not at all, so a part is put under its final
name; other filesystems get a temporary name and a rename. So a reader of the destination never sees a
half-written part, and a shard whose marker is there is complete.

The staging directory keeps what a resume needs (intermediate documents between phases, the
aggregations' work directories and the completion markers of every phase); by default it is
``$XDG_CACHE_HOME/gharbal/staging/<hash of the URL>`` so that ``--resume`` finds it again. On a
cluster it is either on a filesystem every node sees (as the output directory must be for a local
path), or there is none: each node stages on its own and the bucket is all they share
(`gharbal.runner.nodes`, `gharbal.writers.bucket`). fsspec is imported only when a URL is given.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from gharbal.errors import ConfigError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

OBJECT_STORES = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oci", "oss", "memory"}
)
"""Protocols whose writes become visible whole or not at all (no rename needed)."""


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and bool(_URL.match(location))


def default_staging(url: str) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return cache / "gharbal" / "staging" / digest


class Output:
    """The destination of a run (see the module docstring)."""

    def __init__(self, location: str | Path, staging: str | Path | None = None) -> None:
        self.url: str | None = None
        self._fs: Any = None
        self._root = ""
        self._direct = True
        self._made: set[str] = set()
        self._lock = threading.Lock()
        if is_url(location):
            self.url = str(location).rstrip("/")
            self._fs, self._root = _filesystem(self.url)
            protocols = self._fs.protocol
            protocols = set(protocols) if isinstance(protocols, tuple | list) else {protocols}
            self._direct = bool(protocols & OBJECT_STORES)
            self.local = Path(staging) if staging is not None else default_staging(self.url)
        else:
            if staging is not None:
                raise ConfigError("a staging directory is only used with an output URL")
            self.local = Path(location)

    @property
    def remote(self) -> bool:
        return self.url is not None

    def __str__(self) -> str:
        return self.url or str(self.local)

    def _path(self, rel: str) -> str:
        return f"{self._root.rstrip('/')}/{rel}"

    def read_text(self, rel: str) -> str | None:
        """The destination's file ``rel`` (None if it does not exist)."""
        if self._fs is None:
            path = self.local / rel
            return path.read_text(encoding="utf-8") if path.is_file() else None
        self._fs.invalidate_cache(self._path(rel))  # listings cached by another run (S3)
        try:
            with self._fs.open(self._path(rel), "rb") as f:
                data: bytes = f.read()
        except FileNotFoundError:
            return None
        return data.decode("utf-8")

    def names(self, rel_dir: str) -> set[str]:
        """Names of the files in the destination's directory ``rel_dir`` (empty if none)."""
        if self._fs is None:
            path = self.local / rel_dir
            return {p.name for p in path.iterdir() if p.is_file()} if path.is_dir() else set()
        self._fs.invalidate_cache(self._path(rel_dir))
        try:
            found = self._fs.ls(self._path(rel_dir), detail=False)
        except FileNotFoundError:
            return set()
        return {str(p).rstrip("/").rsplit("/", 1)[-1] for p in found}

    def publish(self, rels: list[str]) -> None:
        """Upload the local files ``rels`` (relative to ``local``), in order, each atomically."""
        if self._fs is None:
            return
        for rel in rels:
            dest = self._path(rel)
            parent = dest.rsplit("/", 1)[0]
            # Made under the lock: an upload thread that finds the directory listed as made must
            # not put a file there before it exists (it raced here once, on a local file:// URL).
            with self._lock:
                if parent not in self._made:
                    self._fs.makedirs(parent, exist_ok=True)
                    self._made.add(parent)
            if self._direct:
                self._fs.put_file(str(self.local / rel), dest)
            else:
                tmp = f"{parent}/.{rel.rsplit('/', 1)[-1]}.{uuid.uuid4().hex}.tmp"
                self._fs.put_file(str(self.local / rel), tmp)
                self._fs.mv(tmp, dest)

    def fetch_missing(self, dirs: tuple[str, ...]) -> int:
        """Download the destination's files in ``dirs`` that staging lacks (shards an earlier
        process uploaded, when a resume started with another staging directory); returns how many."""
        if self._fs is None:
            return 0
        fetched = 0
        for d in dirs:
            local = self.local / d
            have = {p.name for p in local.iterdir()} if local.is_dir() else set()
            for name in sorted(self.names(d) - have):
                if name.startswith("."):
                    continue
                local.mkdir(parents=True, exist_ok=True)
                self._fs.get_file(self._path(f"{d}/{name}"), str(local / name))
                fetched += 1
        return fetched

    def clear(self, dirs: tuple[str, ...], files: tuple[str, ...], remote: bool = True) -> None:
        """Remove the directories and files of an earlier run before a fresh one, locally (output
        or staging directory: nothing else in it is touched) and at the destination."""
        for d in dirs:
            shutil.rmtree(self.local / d, ignore_errors=True)
        for f in files:
            (self.local / f).unlink(missing_ok=True)
        if self._fs is None or not remote:
            return
        for d in dirs:
            if self._fs.exists(self._path(d)):
                self._fs.rm(self._path(d), recursive=True)
        for f in files:
            if self._fs.exists(self._path(f)):
                self._fs.rm(self._path(f))


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec.core
    except ImportError:  # pragma: no cover - fsspec is a dependency
        raise ConfigError("output URLs need fsspec: pip install fsspec") from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot write to {url!r}: {exc}") from None
    return fs, str(root)


__all__ = ["OBJECT_STORES", "Output", "default_staging", "is_url"]
