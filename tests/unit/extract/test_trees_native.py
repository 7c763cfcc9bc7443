"""The C tree evaluator (`gharbal.extract._trees`) gives the numpy evaluator's results bit for bit.

It is optional (built when the install finds a C compiler); CI sets ``GHARBAL_REQUIRE_NATIVE=1`` so
that a build that silently fell back to numpy fails here instead of passing slower.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from gharbal.extract.features import measure_page
from gharbal.extract.model import (
    NATIVE_TREES,
    STAGE2_NAMES,
    Forest,
    export_lightgbm,
    load_model,
    with_stage2,
)
from gharbal.step import split_lines

if not NATIVE_TREES:
    if os.environ.get("GHARBAL_REQUIRE_NATIVE") == "1":
        raise RuntimeError("gharbal.extract._trees was not built (GHARBAL_REQUIRE_NATIVE=1)")
    pytest.skip("the C tree evaluator is not built here", allow_module_level=True)

PAGE = """Home | News | Sport | Contact
Breaking: markets fall again
The central bank said on Tuesday that it would keep its main rate unchanged, citing inflation.
Analysts had expected the decision, which follows two cuts earlier this year.
Share on Facebook
© 2024 Example Media. All rights reserved.
"""


class _Dumped:
    """Stands in for a LightGBM booster: `export_lightgbm` reads only ``dump_model()``."""

    def __init__(self, trees: list[dict[str, Any]]) -> None:
        self.trees = trees

    def dump_model(self) -> dict[str, Any]:
        return {"tree_info": [{"tree_structure": t} for t in self.trees]}


def _random_forest(rng: np.random.Generator, trees: int, depth: int, width: int) -> Forest:
    """A forest of ``trees`` random trees (some leaves above the bottom level), written as
    LightGBM dumps them and flattened by the exporter the shipped model went through."""

    def node(level: int) -> dict[str, Any]:
        value = float(rng.normal())
        if level < depth and (level == 0 or rng.random() < 0.8):
            return {
                "internal_value": value,
                "decision_type": "<=",
                "split_feature": int(rng.integers(width)),
                "threshold": float(rng.normal()),
                "left_child": node(level + 1),
                "right_child": node(level + 1),
            }
        return {"leaf_value": value}

    return export_lightgbm(_Dumped([node(0) for _ in range(trees)]))


def _same(forest: Forest, x: np.ndarray) -> None:
    assert np.array_equal(forest.raw_score(x, native=True), forest.raw_score(x, native=False))
    raw_c, contrib_c = forest.explain(x, native=True)
    raw_np, contrib_np = forest.explain(x, native=False)
    assert np.array_equal(raw_c, raw_np)
    assert np.array_equal(contrib_c, contrib_np)
    assert np.array_equal(raw_c, forest.raw_score(x, native=True))


@pytest.mark.parametrize(
    ("trees", "depth", "width", "rows"), [(1, 0, 3, 4), (7, 3, 5, 50), (40, 8, 12, 200)]
)
def test_random_forests_same_bits(trees: int, depth: int, width: int, rows: int) -> None:
    rng = np.random.default_rng(trees * 100 + depth)
    forest = _random_forest(rng, trees, depth, width)
    x = rng.normal(size=(rows, width)).astype(np.float32)
    x[::7, 0] = np.nan  # NaN compares false: goes left in both
    _same(forest, x)
    _same(forest, x[:0])


def test_every_row_count_walks_the_same() -> None:
    """Rows go 16 at a time, the last few of each 64-row block 4 at a time: every count of rows
    around those sizes gives each row its own result."""
    rng = np.random.default_rng(3)
    forest = _random_forest(rng, 5, 4, 6)
    x = rng.normal(size=(140, 6)).astype(np.float32)
    whole = forest.raw_score(x, native=False)
    for rows in range(0, 140, 1):
        _same(forest, x[:rows])
        assert np.array_equal(forest.raw_score(x[:rows], native=True), whole[:rows])


def test_shipped_model_same_bits_on_a_page() -> None:
    model = load_model()
    x = measure_page(split_lines(PAGE), model.lexicon).matrix
    _same(model.stage1, x)
    _, x2 = model.scores(x)
    _same(model.stage2, x2)
    # Not a C-contiguous float32 matrix: converted, same result.
    _same(model.stage1, np.asfortranarray(x.astype(np.float64)))


def test_damaged_input_is_refused_not_read_out_of_bounds() -> None:
    from gharbal.extract import _trees

    forest = _random_forest(np.random.default_rng(1), 3, 2, 4)
    heap = forest._compiled()
    x = np.zeros((2, 4), dtype=np.float32)
    out = np.empty(2, dtype=np.float64)
    damaged = heap.nodes.copy()
    damaged[0] = (damaged[0] & np.uint64(0xFFFFFFFF)) | (np.uint64(99) << np.uint64(32))
    negative = heap.nodes.copy()  # feature -1 as the high half of a uint64
    negative[0] |= np.uint64(0xFFFFFFFF) << np.uint64(32)
    for bad in (damaged, negative):
        with pytest.raises(ValueError, match="out of range"):
            _trees.walk(bad, heap.leaf_value, heap.depth, x, 4, out)
    with pytest.raises(ValueError, match="wrong size"):
        _trees.walk(heap.nodes, heap.leaf_value, heap.depth, x, 4, out[:1])
    with pytest.raises(ValueError, match="wrong size"):
        _trees.walk(heap.nodes[:-1], heap.leaf_value, heap.depth, x, 4, out)
    with pytest.raises(ValueError, match="wrong size of alignment"):
        _trees.walk(
            heap.nodes, heap.leaf_value, heap.depth, x, 4, memoryview(bytearray(17))[1:]
        )  # fmt: skip
    groups = np.zeros(4, dtype=np.int64)
    table = heap.leaf_contributions(groups, 2)
    contrib = np.empty(4)
    for bad_table, bad_out, cols in ((table[:-1], contrib, 2), (table, contrib[:-1], 2),
                                     (table, contrib, 3), (table, contrib, 0)):  # fmt: skip
        with pytest.raises(ValueError, match=r"wrong size"):
            _trees.explain(
                heap.nodes, heap.leaf_value, heap.depth, x, 4, out, bad_out, bad_table, cols,
            )  # fmt: skip
    with pytest.raises(ValueError, match="group"):
        forest.explain(x, group_of=np.array([0, 1, 2, 2]), groups=2)
    # An output sharing memory with an input (the walk writes it while reading the nodes it
    # checked), and a misaligned contribution table, are refused.
    nodes = heap.nodes.copy()
    with pytest.raises(ValueError, match="shares memory"):
        _trees.walk(nodes, heap.leaf_value, heap.depth, x, 4, nodes.view(np.float64)[:2])
    shared = np.empty(5)
    with pytest.raises(ValueError, match="shares memory"):
        _trees.explain(
            heap.nodes, heap.leaf_value, heap.depth, x, 4, shared[:2], shared[1:5], table, 2
        )  # fmt: skip
    leaf = heap.leaf_value.copy()
    with pytest.raises(ValueError, match="shares memory"):
        _trees.walk(heap.nodes, leaf, heap.depth, x, 4, leaf[:2])
    misaligned = memoryview(bytearray(table.nbytes + 1))[1:]
    with pytest.raises(ValueError, match="alignment"):
        _trees.explain(
            heap.nodes, heap.leaf_value, heap.depth, x, 4, out, contrib, misaligned, 2
        )  # fmt: skip


@pytest.mark.parametrize("rows", [0, 1, 2, 5, 40])
def test_stage2_features_same_bits(rows: int) -> None:
    """Stage 2's inputs (neighbours' scores, window and page means, main-block position) from C
    and from numpy, with scores on both sides of the cut, extreme ones, and none kept at all."""
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, 7)).astype(np.float32)
    for scores in (
        rng.normal(scale=4.0, size=rows),
        np.full(rows, -3.0),  # no line kept
        np.concatenate([[40.0, -40.0, 1e-9, -1e-9, 0.0][:rows], rng.normal(size=max(rows - 5, 0))]),
    ):
        c = with_stage2(x, scores, native=True)
        py = with_stage2(x, scores, native=False)
        assert c.shape == (rows, 7 + len(STAGE2_NAMES))
        assert c.tobytes() == py.tobytes()


def test_explanations_per_group_same_bits() -> None:
    """Contributions summed per group of columns as they are made (how the reasons use them): the
    same bits in C and numpy, and the per-feature contributions summed per group come close (each
    leaf's table is stored in float32)."""
    model = load_model()
    x = measure_page(split_lines(PAGE * 3), model.lexicon).matrix
    rng = np.random.default_rng(5)
    group_of = np.asarray(rng.integers(0, 6, size=x.shape[1]), dtype=np.int64)
    raw_c, c = model.stage1.explain(x, native=True, group_of=group_of, groups=6)
    raw_py, py = model.stage1.explain(x, native=False, group_of=group_of, groups=6)
    assert c.shape == (x.shape[0], 6)
    assert c.tobytes() == py.tobytes()
    assert raw_c.tobytes() == raw_py.tobytes()
    per_feature = model.stage1.contributions(x)
    summed = np.stack([per_feature[:, group_of == g].sum(axis=1) for g in range(6)], axis=1)
    assert np.allclose(summed, c, rtol=1e-5, atol=1e-5)


def test_overflowing_sizes_are_refused() -> None:
    from gharbal.extract import _trees

    with pytest.raises(ValueError, match="wrong size"):
        _trees.walk(
            np.array([10**9], np.uint64), np.zeros(2), 1, np.zeros(0, np.float32), 2**62,
            np.zeros(1),
        )  # fmt: skip
    with pytest.raises(ValueError, match="wrong sizes"):
        _trees.stage2(np.zeros(2), np.zeros(0, np.float32), 2**61, np.zeros(30, np.float32))


def test_sum_of_negative_zero_leaves_keeps_its_sign() -> None:
    """Scores are added as numpy's cumsum adds them, from the first tree's value: trees whose
    leaves are all -0.0 give -0.0 on both paths."""
    forest = Forest.from_dict(
        {
            "depth": 1,
            "roots": [0, 3],
            "feature": [0, -1, -1, 0, -1, -1],
            "threshold": [0.5, 0.0, 0.0, 0.5, 0.0, 0.0],
            "left": [1, 1, 2, 4, 4, 5],
            "right": [2, 1, 2, 5, 4, 5],
            "value": [-0.0] * 6,
        }
    )
    x = np.array([[0.0], [1.0]], dtype=np.float32)
    c, py = forest.raw_score(x, native=True), forest.raw_score(x, native=False)
    assert c.tobytes() == py.tobytes()
    assert np.signbit(c).all()
    assert (
        forest.explain(x, native=True)[0].tobytes() == forest.explain(x, native=False)[0].tobytes()
    )
