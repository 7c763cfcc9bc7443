"""Bounded-memory sorting: records (numpy structured arrays) are buffered up to a byte budget, sorted
and spilled to disk as *runs*, then read back merged, a chunk at a time (a k-way merge).

All files are ``.npy`` (``numpy.load`` opens any of them for inspection). Records are ordered by a
list of fields (lexicographically, first field first); the merge is stable: equal records come out
in the order of the runs given, and in file order within a run.

The merge keeps one pending, sorted array: it loads a chunk from the run whose last loaded record is
the smallest (the *bound*), emits every pending record not greater than the bound (no run can still
hold a smaller one), and repeats. It holds at most about one chunk per run, and the only Python
work is per chunk, never per record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from gharbal.writers.atomic import AtomicOutput, temporary_name

Records = npt.NDArray[Any]

_HEADER_BYTES = 256  # fixed, so that the header can be rewritten once the length is known


def sort_records(records: Records, order: Sequence[str]) -> Records:
    if len(records) <= 1:
        return records
    index = np.lexsort([records[name] for name in reversed(order)])
    sorted_records: Records = records[index]
    return sorted_records


def _header(dtype: np.dtype[Any], shape: tuple[int, ...]) -> bytes:
    descr = np.lib.format.dtype_to_descr(dtype)
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    head = b"\x93NUMPY\x01\x00"
    room = _HEADER_BYTES - len(head) - 2
    if len(text) + 1 > room:
        raise ValueError(f"dtype too wide for a {_HEADER_BYTES}-byte npy header: {dtype}")
    body = text.ljust(room - 1).encode("latin1") + b"\n"
    return head + len(body).to_bytes(2, "little") + body


class NpyAppender(AtomicOutput):
    """Appends rows to a ``.npy`` file whose length is not known in advance (written atomically:
    a temporary name, renamed on close)."""

    def __init__(self, path: Path, dtype: np.dtype[Any], row_shape: tuple[int, ...] = ()) -> None:
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), row_shape
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary_name(path)
        self._f: BinaryIO = self.tmp.open("wb")
        self._f.write(_header(self.dtype, (0, *row_shape)))
        self.rows = 0

    def write(self, rows: Records) -> None:
        if len(rows) == 0:
            return
        arr = np.ascontiguousarray(rows, dtype=self.dtype)
        if arr.shape[1:] != self.row_shape:
            raise ValueError(f"row shape {arr.shape[1:]} != {self.row_shape}")
        self._f.write(arr.tobytes())
        self.rows += len(arr)

    def close(self) -> None:
        self._f.seek(0)
        self._f.write(_header(self.dtype, (self.rows, *self.row_shape)))
        self._f.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)


def save_npy(path: Path, records: Records) -> None:
    """``numpy.save``, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        np.save(f, records, allow_pickle=False)
    os.replace(tmp, path)


class NpyReader:
    """Reads a ``.npy`` file sequentially, ``count`` rows at a time, without mapping it whole (the
    file is opened for each read, so an abandoned reader holds no file open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            self._at = f.tell()
        if fortran:
            raise ValueError(f"{path}: Fortran-ordered arrays are not supported")
        self.dtype: np.dtype[Any] = dtype
        self.rows: int = shape[0] if shape else 0
        self.row_shape: tuple[int, ...] = tuple(shape[1:])
        self.remaining = self.rows

    def read(self, count: int) -> Records:
        n = min(count, self.remaining)
        items = n * _prod(self.row_shape)
        with self.path.open("rb") as f:
            f.seek(self._at)
            data: Records = np.fromfile(f, dtype=self.dtype, count=items)
        if len(data) != items:
            raise ValueError(f"{self.path}: file is shorter than its header says")
        self._at += items * self.dtype.itemsize
        self.remaining -= n
        return data.reshape((n, *self.row_shape))

    def __iter__(self) -> Iterator[Records]:
        while self.remaining:
            yield self.read(1 << 16)


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def read_npy(path: Path) -> Records:
    """A whole (small) ``.npy`` file."""
    arr: Records = np.load(path, allow_pickle=False)
    return arr


class SortedRuns:
    """Buffers records and writes them as sorted runs ``{prefix}-NNN.npy`` under ``directory`` each
    time the buffer exceeds ``budget`` bytes (and once more on `close`)."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        dtype: np.dtype[Any],
        order: Sequence[str],
        budget: int,
    ) -> None:
        self.directory, self.prefix = directory, prefix
        self.dtype, self.order = np.dtype(dtype), list(order)
        self.limit = max(budget // self.dtype.itemsize, 16)
        self._parts: list[Records] = []
        self._buffered = 0
        self.paths: list[Path] = []

    @property
    def buffered_bytes(self) -> int:
        return self._buffered * self.dtype.itemsize

    def add(self, records: Records) -> None:
        if len(records) == 0:
            return
        self._parts.append(records)
        self._buffered += len(records)
        if self._buffered >= self.limit:
            self.spill()

    def spill(self) -> None:
        if not self._buffered:
            return
        records = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        self._parts, self._buffered = [], 0
        path = self.directory / f"{self.prefix}-{len(self.paths):03d}.npy"
        save_npy(path, sort_records(records, self.order))
        self.paths.append(path)

    def close(self) -> list[Path]:
        self.spill()
        return self.paths


class SpilledRuns:
    """Like `SortedRuns`, but records go straight to an unsorted file on disk as they come; `close`
    sorts that file into runs of at most ``budget`` bytes (so memory does not grow with the input,
    and several of these can be open at once: one per LSH band)."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        dtype: np.dtype[Any],
        order: Sequence[str],
        budget: int,
    ) -> None:
        self.directory, self.prefix = directory, prefix
        self.dtype, self.order = np.dtype(dtype), list(order)
        # A run is read, then sorted into a copy with an 8-byte index per record.
        self.limit = max(budget // (2 * self.dtype.itemsize + 8), 16)
        self._unsorted = directory / f"{prefix}.unsorted.npy"
        self._out = NpyAppender(self._unsorted, self.dtype)

    def add(self, records: Records) -> None:
        self._out.write(records)

    def close(self) -> list[Path]:
        self._out.close()
        reader = NpyReader(self._unsorted)
        paths: list[Path] = []
        while reader.remaining:
            path = self.directory / f"{self.prefix}-{len(paths):03d}.npy"
            save_npy(path, sort_records(reader.read(self.limit), self.order))
            paths.append(path)
        self._unsorted.unlink()
        return paths


def _less_equal(records: Records, bound: Records, order: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Vectorised ``record <= bound`` in the lexicographic order of ``order``."""
    less = np.zeros(len(records), dtype=bool)
    equal = np.ones(len(records), dtype=bool)
    for name in order:
        col, b = records[name], bound[name]
        less |= equal & (col < b)
        equal &= col == b
    result: npt.NDArray[np.bool_] = less | equal
    return result


def merge_runs(paths: Sequence[Path], order: Sequence[str], budget: int) -> Iterator[Records]:
    """The records of sorted runs ``paths``, merged: yields sorted chunks whose concatenation is
    sorted; holds about ``budget`` bytes of records."""
    readers = [r for r in map(NpyReader, paths) if r.rows]
    if not readers:
        return
    dtype = readers[0].dtype
    # Pending records (up to one chunk per run) are sorted into a copy, with an 8-byte index each.
    chunk = max(budget // ((2 * dtype.itemsize + 8) * (len(readers) + 1)), 16)
    last: list[Records] = [np.empty(0, dtype)] * len(readers)
    loaded: list[Records] = []
    for i, reader in enumerate(readers):
        part = reader.read(chunk)
        last[i] = part[-1:]
        loaded.append(part)
    pending = sort_records(np.concatenate(loaded), order)
    while True:
        active = [i for i, r in enumerate(readers) if r.remaining]
        if not active:
            if len(pending):
                yield pending
            return
        tails = np.concatenate([last[i] for i in active])
        smallest = active[int(sort_index(tails, order)[0])]
        n = int(np.count_nonzero(_less_equal(pending, last[smallest][0], order)))
        if n:
            yield pending[:n]
            pending = pending[n:]
        part = readers[smallest].read(chunk)
        last[smallest] = part[-1:]
        pending = sort_records(np.concatenate([pending, part]), order)


def sort_index(records: Records, order: Sequence[str]) -> npt.NDArray[np.intp]:
    index: npt.NDArray[np.intp] = np.lexsort([records[name] for name in reversed(order)])
    return index


def group_starts(keys: Sequence[Records]) -> npt.NDArray[np.bool_]:
    """``True`` where a row starts a new group of equal ``keys`` (columns of a sorted array)."""
    n = len(keys[0])
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for col in keys:
            start[1:] |= col[1:] != col[:-1]
    return start


def whole_groups(chunks: Iterator[Records], key_fields: Sequence[str]) -> Iterator[Records]:
    """Re-cut sorted chunks so that no group of equal ``key_fields`` is split between two chunks
    (the last group of a chunk is held back and joined to the next; one group must fit in memory)."""
    held: Records | None = None
    for chunk in chunks:
        if held is not None and len(held):
            chunk = np.concatenate([held, chunk])
        if not len(chunk):
            continue
        start = group_starts([chunk[f] for f in key_fields])
        cut = int(np.flatnonzero(start)[-1])
        if cut:
            yield chunk[:cut]
        held = chunk[cut:]
    if held is not None and len(held):
        yield held
