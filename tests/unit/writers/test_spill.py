"""Bounded-memory sorting: sorted runs on disk and their k-way merge; union-find clusters."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from gharbal.dedup.clusters import connected_components, survivors
from gharbal.writers.spill import (
    NpyAppender,
    NpyReader,
    SortedRuns,
    merge_runs,
    sort_records,
    whole_groups,
)

REC = np.dtype([("k", "<u8"), ("v", "<u8"), ("i", "<u4")])
ORDER = ("k", "v", "i")


def _records(rng: np.random.Generator, n: int, keys: int) -> np.ndarray:
    rec = np.empty(n, dtype=REC)
    rec["k"] = rng.integers(0, keys, n)
    rec["v"] = rng.integers(0, 3, n)
    rec["i"] = np.arange(n)
    return rec


@pytest.mark.parametrize(("n", "keys"), [(0, 5), (1, 5), (5000, 50), (5000, 100000)])
def test_runs_merge_to_the_full_sort(tmp_path: Path, n: int, keys: int) -> None:
    rng = np.random.default_rng(n + keys)
    data = _records(rng, n, keys)
    runs = SortedRuns(tmp_path, "part", REC, ORDER, budget=1024 * REC.itemsize)
    for s in range(0, n, 700):
        runs.add(data[s : s + 700])
    paths = runs.close()
    assert (len(paths) > 1) == (n > 1024)  # spilled in several runs
    assert bool(paths) == bool(n)
    for p in paths:  # every run is a valid, sorted .npy file
        run = np.load(p)
        assert np.array_equal(run, sort_records(run, ORDER))
    # A tiny merge budget: many chunks, each load re-merged.
    chunks = list(merge_runs(paths, ORDER, budget=2048 * REC.itemsize))
    merged = np.concatenate(chunks) if chunks else np.empty(0, REC)
    assert np.array_equal(merged, sort_records(data, ORDER))
    grouped = list(whole_groups(iter(chunks), ("k",)))
    assert sum(len(c) for c in grouped) == n
    for a, b in itertools.pairwise(grouped):
        assert a["k"][-1] != b["k"][0]  # no key is split between chunks


def test_merge_is_stable_across_runs(tmp_path: Path) -> None:
    """Equal records come out in the order of the runs given."""
    first = np.array([(1, 0, 7), (2, 0, 7)], dtype=REC)
    second = np.array([(1, 0, 7), (1, 0, 7)], dtype=REC)
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(a, first)
    np.save(b, second)
    out = np.concatenate(list(merge_runs([a, b], ("k",), budget=1)))
    assert out["k"].tolist() == [1, 1, 1, 2]


def test_npy_appender_and_reader(tmp_path: Path) -> None:
    path = tmp_path / "sig.npy"
    with NpyAppender(path, np.dtype(np.uint32), (4,)) as out:
        out.write(np.arange(8, dtype=np.uint32).reshape(2, 4))
        out.write(np.empty((0, 4), dtype=np.uint32))
        out.write(np.arange(4, dtype=np.uint32).reshape(1, 4))
    arr = np.load(path)
    assert arr.shape == (3, 4)
    assert arr[2].tolist() == [0, 1, 2, 3]
    reader = NpyReader(path)
    assert (reader.rows, reader.row_shape) == (3, (4,))
    assert [reader.read(2).shape, reader.read(2).shape, reader.read(2).shape] == [
        (2, 4),
        (1, 4),
        (0, 4),
    ]
    with (
        pytest.raises(ValueError, match="row shape"),
        NpyAppender(tmp_path / "bad.npy", np.dtype(np.uint32), (4,)) as bad,
    ):
        bad.write(np.zeros((1, 3), dtype=np.uint32))
    assert not (tmp_path / "bad.npy").exists()


def _reference_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(x) for x in range(n)]


@pytest.mark.parametrize("seed", range(5))
def test_union_find_matches_a_reference(seed: int) -> None:
    rng = random.Random(seed)
    n = 500
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 600))]
    edges += [(i, i + 1) for i in range(100, 300)]  # a long chain

    def source() -> list[tuple[np.ndarray, np.ndarray]]:
        shuffled = edges[:]
        random.Random(seed).shuffle(shuffled)
        a = np.array([e[0] for e in shuffled], dtype=np.int64)
        b = np.array([e[1] for e in shuffled], dtype=np.int64)
        return [(a[:50], b[:50]), (a[50:], b[50:])]

    parent = connected_components(n, source)
    assert parent.tolist() == _reference_components(n, edges)


def test_survivors_pick_the_smallest_rank() -> None:
    members = np.array([3, 4, 7, 9, 10], dtype=np.int64)
    roots = np.array([3, 3, 3, 9, 9], dtype=np.int64)
    rank = np.array([5, 1, 1, 0, 0], dtype=np.uint64)
    idh = np.array([9, 8, 2, 4, 3], dtype=np.uint64)
    texth = np.zeros(5, dtype=np.uint64)
    survivor, min_idh, size = survivors(members, roots, rank, idh, texth)
    assert survivor.tolist() == [7, 7, 7, 10, 10]  # rank 1 tie broken by id hash
    assert min_idh.tolist() == [2, 2, 2, 3, 3]
    assert size.tolist() == [3, 3, 3, 2, 2]
