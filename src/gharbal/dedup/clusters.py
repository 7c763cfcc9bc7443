"""Clusters from candidate pairs: connected components by a vectorised union-find, and the survivor
of each cluster.

The union-find is *hook and compress* over numpy arrays: every pass over the edges hooks the larger
of two different roots under the smaller (``np.minimum.at``), then pointer jumping makes every node
point at its root; passes repeat until no edge joins two roots. Pointers only ever go down, so a
component's root is its smallest member and the result does not depend on the order of the edges.
It holds one integer per document (4 bytes below 2**31 documents) and streams the edges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Parent = npt.NDArray[Any]  # int32 or int64
EdgeSource = Callable[[], Iterable[tuple[Ints, Ints]]]


def _compress(parent: Parent) -> None:
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return
        parent[:] = grand


def _find(parent: Parent, nodes: Ints) -> Ints:
    roots: Ints = parent[nodes].astype(np.int64)
    while True:
        up = parent[roots].astype(np.int64)
        if np.array_equal(up, roots):
            return roots
        roots = up


def connected_components(n: int, edges: EdgeSource, max_passes: int = 64) -> Parent:
    """``parent`` with ``parent[x]`` the smallest node of ``x``'s component; ``edges()`` yields
    ``(a, b)`` arrays of node numbers in ``range(n)`` and may be called once per pass."""
    dtype = np.int32 if n < 2**31 else np.int64
    parent = np.arange(n, dtype=dtype)
    for _ in range(max_passes):
        changed = False
        for a, b in edges():
            if not len(a):
                continue
            ra, rb = _find(parent, a), _find(parent, b)
            differ = ra != rb
            if differ.any():
                lo = np.minimum(ra[differ], rb[differ]).astype(dtype)
                hi = np.maximum(ra[differ], rb[differ])
                np.minimum.at(parent, hi, lo)
                changed = True
        _compress(parent)
        if not changed:
            return parent
    raise RuntimeError(f"union-find did not converge in {max_passes} passes")  # pragma: no cover


def survivors(
    members: Ints,
    roots: Ints,
    rank: npt.NDArray[np.uint64],
    idh: npt.NDArray[np.uint64],
    texth: npt.NDArray[np.uint64],
) -> tuple[Ints, npt.NDArray[np.uint64], Ints]:
    """For each member (the arrays are aligned with ``members``): ``(survivor node, smallest id
    hash, size)`` of its cluster; the survivor is the member with the smallest
    ``(rank, idh, texth, node)``."""
    order = np.lexsort((members, texth, idh, rank, roots))
    r = roots[order]
    start = np.ones(len(r), dtype=bool)
    start[1:] = r[1:] != r[:-1]
    heads = np.flatnonzero(start)
    group = np.cumsum(start) - 1
    survivor_sorted = members[order][heads][group]
    min_idh_sorted = np.minimum.reduceat(idh[order], heads)[group] if len(heads) else idh[:0]
    size_sorted = np.diff(np.append(heads, len(r)))[group]
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return survivor_sorted[back], min_idh_sorted[back], size_sorted[back].astype(np.int64)
