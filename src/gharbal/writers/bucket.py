"""The output URL's bucket as the only storage a run's nodes share: files go up and come down by
their names relative to the output URL (``stages/02-dedup_exact/hashes/part-00003-000.npy``).

A `Bucket` is small and picklable (the URL only): each process opens the filesystem itself, with
the credentials and settings of its own environment (``AWS_*``, ``FSSPEC_S3_*``...). Every upload is
atomic: object stores (S3, GCS, Azure, the in-memory filesystem) publish an object whole or not at
all, so it is put under its final name (many at once, concurrently where the filesystem can); other
filesystems (``file://``, SFTP) get a temporary name and a rename. Uploads and downloads return the
bytes they moved, for the run's ``stats.json`` (``cluster.bucket_bytes``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gharbal.writers.output import OBJECT_STORES, _filesystem


@dataclass(frozen=True)
class Bucket:
    """Files under ``url``, by relative name (see the module docstring)."""

    url: str
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict[str, str]:
        return {"url": self.url}  # the filesystem is opened again wherever it is unpickled

    def __setstate__(self, state: dict[str, str]) -> None:
        object.__setattr__(self, "url", state["url"])
        object.__setattr__(self, "_cache", {})

    def _fs(self) -> tuple[Any, str, bool]:
        if "fs" not in self._cache:
            fs, root = _filesystem(self.url.rstrip("/"))
            protocols = fs.protocol
            protocols = set(protocols) if isinstance(protocols, tuple | list) else {protocols}
            self._cache.update(fs=fs, root=root.rstrip("/"), direct=bool(protocols & OBJECT_STORES))
        return self._cache["fs"], self._cache["root"], self._cache["direct"]

    def path(self, rel: str) -> str:
        return f"{self._fs()[1]}/{rel}"

    def find(self, rel_dir: str) -> dict[str, int]:
        """Every file under ``rel_dir`` (recursively): relative name -> size. Temporary names
        (``.name.tmp``) are left out."""
        fs, root, _ = self._fs()
        base = f"{root}/{rel_dir}".rstrip("/")
        fs.invalidate_cache(base)
        try:
            found = fs.find(base, detail=True)
        except FileNotFoundError:
            return {}
        out: dict[str, int] = {}
        for path, info in found.items():
            rel = str(path)[len(root) + 1 :]
            if info.get("type", "file") == "file" and not rel.rsplit("/", 1)[-1].startswith("."):
                out[rel] = int(info.get("size") or 0)
        return out

    def read_text(self, rel: str) -> str | None:
        fs, _, _ = self._fs()
        try:
            data: bytes = fs.cat_file(self.path(rel))
        except FileNotFoundError:
            return None
        return data.decode("utf-8")

    def get(self, rels: Iterable[str], local: Path) -> int:
        """Download ``rels`` into ``local`` (same relative names); returns the bytes."""
        rels = list(rels)
        if not rels:
            return 0
        fs, _, _ = self._fs()
        targets = [local / rel for rel in rels]
        for t in {t.parent for t in targets}:
            t.mkdir(parents=True, exist_ok=True)
        fs.get([self.path(r) for r in rels], [str(t) for t in targets])
        return sum(t.stat().st_size for t in targets)

    def put(self, local: Path, rels: Iterable[str]) -> int:
        """Upload the files ``local/rel``, each atomically (see the module docstring), all of them
        before this returns; returns the bytes. Upload a marker in a call of its own, after what
        it stands for."""
        rels = list(rels)
        if not rels:
            return 0
        fs, _, direct = self._fs()
        sizes = sum((local / rel).stat().st_size for rel in rels)
        for parent in sorted({self.path(r).rsplit("/", 1)[0] for r in rels}):
            fs.makedirs(parent, exist_ok=True)
        if direct:
            fs.put([str(local / r) for r in rels], [self.path(r) for r in rels])
        else:
            for rel in rels:
                dest = self.path(rel)
                parent, name = dest.rsplit("/", 1)
                tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
                fs.put_file(str(local / rel), tmp)
                fs.mv(tmp, dest)
        return sizes

    def remove(self, rels: Iterable[str]) -> None:
        rels = list(rels)
        if rels:
            fs, _, _ = self._fs()
            fs.rm([self.path(r) for r in rels])

    def remove_dirs(self, rel_dirs: Iterable[str]) -> None:
        fs, _, _ = self._fs()
        for d in rel_dirs:
            files = list(self.find(d))
            if files:
                fs.rm([self.path(r) for r in files])
            if fs.exists(self.path(d)):  # a filesystem with real directories
                fs.rm(self.path(d), recursive=True)


def local_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: relative name -> (size, modification time in ns)."""
    out: dict[str, tuple[int, int]] = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


__all__ = ["Bucket", "local_files"]
