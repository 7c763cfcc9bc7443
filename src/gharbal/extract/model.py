"""The trained line classifier: two stages of gradient-boosted trees over `gharbal.extract.features`.

Stage 1 scores every line from its own features and its neighbours'; stage 2 sees the same features
plus stage 1's scores of the surrounding lines and where the page's main block lies (stacked
sequential learning: the context a CRF would give, with plain trees). The model is trained with
LightGBM by ``scripts/train_lines.py`` and shipped as JSON (``gharbal/data/models/<name>.json``:
flat arrays of tree nodes, the chrome lexicon, the decision threshold); it loads offline without
pickle or LightGBM, and trees are evaluated for all lines of a page at once: in C
(`gharbal.extract._trees`, built at install time) or, where no compiler was found, with numpy; both
add in the same order and give the same bits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import numpy.typing as npt

from gharbal.extract.dom import DOM_FEATURES
from gharbal.extract.features import FEATURE_NAMES, log1p32, shifted, window_mean
from gharbal.native import optional_extension

# The C evaluator (`gharbal.extract._trees`), or None where it was not built.
_native = optional_extension("gharbal.extract._trees")
NATIVE_TREES = _native is not None

FORMAT = "gharbal-line-model"
DEFAULT_MODEL = "lines_gbt_v2"
STAGE2_OFFSETS = (-3, -2, -1, 1, 2, 3)
STAGE2_NAMES = (
    "s1",
    *(f"s1@{off:+d}" for off in STAGE2_OFFSETS),
    "p1_mean_3",
    "p1_mean_10",
    "p1_page_mean",
    "p1_page_share",
    "before_first",
    "after_last",
    "log_dist_kept_before",
    "log_dist_kept_after",
)
_EDGE_SCORE = -8.0

Floats = npt.NDArray[np.float64]


def logistic(x: float) -> float:
    """``1 / (1 + exp(-x))`` of one score, with the C library's ``exp`` (see `_sigmoid`)."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # exp(-x) past a double's range: the C path's 1 / (1 + inf) is 0
        return 0.0


def _sigmoid(x: npt.NDArray[np.float64] | npt.NDArray[np.float32]) -> Floats:
    """``1 / (1 + exp(-x))`` in double precision with the C library's ``exp`` (the one `math.exp`
    and ``_trees.stage2`` call), never numpy's: its exp kernels differ in the last bit between
    versions and CPUs (see `features.log1p32`)."""
    return np.fromiter(map(logistic, x.tolist()), dtype=np.float64, count=x.shape[0])


def sigmoid32(s: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """`_sigmoid` rounded once to float32 (stage 2's inputs, as ``_trees.stage2`` makes them)."""
    return _sigmoid(s).astype(np.float32)


def stage2_features(scores: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Context features from stage-1 raw scores of a page's lines (rows in line order)."""
    s = np.asarray(scores, dtype=np.float32)
    n = s.shape[0]
    p = sigmoid32(s)
    cols = [s]
    cols.extend(shifted(s, off, _EDGE_SCORE) for off in STAGE2_OFFSETS)
    cols.append(window_mean(p, 3))
    cols.append(window_mean(p, 10))
    kept = np.flatnonzero(p >= 0.5)
    idx = np.arange(n)
    # The page's mean, added left to right in double precision (as the C path adds it).
    cols.append(np.full(n, float(np.cumsum(p, dtype=np.float64)[-1]) / n if n else 0.0, np.float32))
    cols.append(np.full(n, kept.size / n if n else 0.0, np.float32))
    if kept.size:
        cols.append((idx < kept[0]).astype(np.float32))
        cols.append((idx > kept[-1]).astype(np.float32))
        pos = np.searchsorted(kept, idx)
        before = np.where(pos > 0, idx - kept[np.maximum(pos - 1, 0)], n + 1)
        pos_after = np.searchsorted(kept, idx, side="right")
        after = np.where(
            pos_after < kept.size, kept[np.minimum(pos_after, kept.size - 1)] - idx, n + 1
        )
        cols.append(log1p32(before))
        cols.append(log1p32(after))
    else:
        cols.extend([np.ones(n, np.float32), np.ones(n, np.float32)])
        cols.extend([np.full(n, math.log1p(n + 1), np.float32)] * 2)
    return np.stack(cols, axis=1).astype(np.float32)


def with_stage2(
    x: npt.NDArray[np.float32], s1: Floats, native: bool = True
) -> npt.NDArray[np.float32]:
    """``x`` with the stage-2 features of the stage-1 scores ``s1`` appended to each row (in C
    when the extension is built, else `stage2_features`: the same bits)."""
    if native and _native is not None:
        xc = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty((xc.shape[0], xc.shape[1] + len(STAGE2_NAMES)), dtype=np.float32)
        _native.stage2(np.ascontiguousarray(s1, dtype=np.float64), xc, xc.shape[1], out)
        return out
    return np.concatenate([x, stage2_features(s1)], axis=1)


@dataclass(frozen=True, slots=True)
class Forest:
    """A sum of binary trees in flat arrays: node ``k`` tests ``x[feature[k]] <= threshold[k]``
    and goes to ``left[k]`` or ``right[k]``; a leaf has ``feature[k] == -1``. ``value[k]`` is a
    leaf's output, or an inner node's mean output (used to explain decisions)."""

    feature: npt.NDArray[np.int32]
    threshold: Floats
    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    value: Floats
    roots: npt.NDArray[np.int32]
    depth: int
    _heap: _Heap | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Forest:
        return cls(
            feature=np.asarray(d["feature"], dtype=np.int32),
            threshold=np.asarray(d["threshold"], dtype=np.float64),
            left=np.asarray(d["left"], dtype=np.int32),
            right=np.asarray(d["right"], dtype=np.int32),
            value=np.asarray(d["value"], dtype=np.float64),
            roots=np.asarray(d["roots"], dtype=np.int32),
            depth=int(d["depth"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": self.value.tolist(),
        }

    def __post_init__(self) -> None:
        object.__setattr__(self, "_heap", _Heap.of(self))

    def _compiled(self) -> _Heap:
        assert self._heap is not None
        return self._heap

    def raw_score(self, x: npt.NDArray[np.float32], native: bool = True) -> Floats:
        """Sum of the trees' leaf values for every row of ``x`` (added in tree order).

        ``native``: use the C evaluator when it is built (same bits as numpy, a test checks)."""
        heap = self._compiled()
        if native and _native is not None and heap.trees:
            xc = np.ascontiguousarray(x, dtype=np.float32)
            out = np.empty(xc.shape[0], dtype=np.float64)
            _native.walk(heap.nodes, heap.leaf_value, heap.depth, xc, xc.shape[1], out)
            return out
        leaves = heap.walk(x)
        return _sum_in_order(heap.leaf_value[leaves])

    def contributions(self, x: npt.NDArray[np.float32]) -> Floats:
        """Per-feature contributions to each row's raw score (Saabas: along each tree's path, the
        change of the node's mean value is credited to the feature split on), shape (rows, features);
        with the trees' root values (the bias) they add up to the raw score (to float32 precision:
        see `_Heap.leaf_contributions`)."""
        return self.explain(x)[1]

    def explain(
        self,
        x: npt.NDArray[np.float32],
        native: bool = True,
        group_of: npt.NDArray[np.int64] | None = None,
        groups: int | None = None,
    ) -> tuple[Floats, Floats]:
        """(raw scores, contributions) in one walk down the trees: each row adds, tree by tree, the
        contributions of the leaf it reaches (`_Heap.leaf_contributions`). With ``group_of`` (the
        group of each column, ``groups`` of them) the contributions are summed per group: shape
        (rows, groups) instead of (rows, features)."""
        heap = self._compiled()
        n, width = x.shape
        if group_of is None:
            group_of, groups = np.arange(width, dtype=np.int64), width
        cols = int(groups if groups is not None else width)
        group_of = np.ascontiguousarray(group_of, dtype=np.int64)
        if group_of.shape != (width,):
            raise ValueError(f"group_of must give each of the {width} columns a group")
        if n == 0 or heap.depth == 0 or not heap.trees:
            return self.raw_score(x, native), np.zeros((n, cols), dtype=np.float64)
        table = heap.leaf_contributions(group_of, cols)
        if native and _native is not None:
            xc = np.ascontiguousarray(x, dtype=np.float32)
            raw = np.empty(n, dtype=np.float64)
            out = np.empty(n * cols, dtype=np.float64)
            _native.explain(
                heap.nodes, heap.leaf_value, heap.depth, xc, width, raw, out, table, cols,
            )  # fmt: skip
            return raw, out.reshape(n, cols)
        leaves = heap.walk(x)
        contrib = np.empty((n, cols), dtype=np.float64)
        # A few hundred rows at a time: (rows, trees, cols) values are added along the trees.
        for start in range(0, n, 256):
            part = table.reshape(-1, cols)[leaves[start : start + 256]]
            contrib[start : start + 256] = np.cumsum(part, axis=1, dtype=np.float64)[:, -1]
        return _sum_in_order(heap.leaf_value[leaves]), contrib


def _sum_in_order(values: Floats) -> Floats:
    """Row sums added left to right (``cumsum``; numpy's ``sum`` adds pairwise, in another order),
    as the C evaluator adds them: both paths give the same bits."""
    if values.shape[1] == 0:
        return np.zeros(values.shape[0], dtype=np.float64)
    total: Floats = np.cumsum(values, axis=1)[:, -1]
    return total


@dataclass(frozen=True, slots=True)
class _Heap:
    """The trees as complete binary trees of equal depth in heap order (children of ``k`` at
    ``2k+1``, ``2k+2``), so that all trees advance one level per numpy step. A leaf above the
    bottom is continued by pass-through nodes (threshold +inf: always left, same value)."""

    depth: int
    feature: npt.NDArray[np.int64]  # (trees * inner,) feature of each inner heap node
    threshold: npt.NDArray[np.float32]  # (trees * inner,) rounded down to float32
    node_value: Floats  # (trees * nodes,) mean value of every heap node
    leaf_value: Floats  # (trees * leaves,) indexable by the global leaf index
    # (trees * inner,) the C evaluator's inner nodes: feature << 32 | the float32 threshold's bits
    nodes: npt.NDArray[np.uint64]
    # leaf_contributions, made once per grouping of the features (key: the grouping's bytes).
    _tables: dict[bytes, npt.NDArray[np.float32]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, forest: Forest) -> _Heap:
        depth = forest.depth
        inner, leaves = (1 << depth) - 1, 1 << depth
        nodes = inner + leaves
        trees = forest.roots.size
        feature = np.zeros((trees, max(inner, 1)), dtype=np.int64)
        threshold = np.full((trees, max(inner, 1)), np.inf)
        node_value = np.zeros((trees, nodes))
        for t, root in enumerate(forest.roots.tolist()):
            stack = [(int(root), 0)]
            while stack:
                k, pos = stack.pop()
                node_value[t, pos] = forest.value[k]
                if pos >= inner:
                    continue
                if forest.feature[k] >= 0:
                    feature[t, pos] = forest.feature[k]
                    threshold[t, pos] = forest.threshold[k]
                    stack.append((int(forest.left[k]), 2 * pos + 1))
                    stack.append((int(forest.right[k]), 2 * pos + 2))
                else:
                    stack.append((k, 2 * pos + 1))  # pass-through: +inf threshold goes left
                    stack.append((k, 2 * pos + 2))
        # Features are float32: ``x <= t`` for a float64 ``t`` is ``x <= t32`` with ``t32`` the
        # largest float32 not above ``t``, so comparisons stay exact in single precision.
        t32 = threshold.ravel().astype(np.float32)
        above = t32.astype(np.float64) > threshold.ravel()
        t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
        packed = (feature.ravel().astype(np.uint64) << np.uint64(32)) | t32.view(np.uint32).astype(
            np.uint64
        )
        packed.setflags(write=False)
        return cls(
            depth=depth,
            feature=feature.ravel(),
            threshold=t32,
            nodes=packed,
            node_value=node_value.ravel(),
            leaf_value=node_value[:, inner:].ravel(),
        )

    @property
    def trees(self) -> int:
        return self.leaf_value.size >> self.depth

    def leaf_contributions(
        self, group_of: npt.NDArray[np.int64], cols: int
    ) -> npt.NDArray[np.float32]:
        """(trees * leaves * cols,) what reaching each leaf contributes to each group: along the
        path from the root, the change of the node's mean value credited to the group of the
        feature split on (Saabas), added in path order, stored as float32 (half the memory: the
        table is read at random, one row a tree and a line; explanations only compare groups, and
        rounding changed no reason on the 1,892 development pages). Rows add them in double
        precision. Read-only, made once per grouping."""
        key = group_of.tobytes() + cols.to_bytes(8, "little")
        table = self._tables.get(key)
        if table is None:
            if group_of.size and not 0 <= group_of.min() <= group_of.max() < cols:
                raise ValueError(f"group_of must give every column a group below {cols}")
            depth, trees = self.depth, self.trees
            inner, leaves = (1 << depth) - 1, 1 << depth
            values = self.node_value.reshape(trees, inner + leaves)
            features = self.feature.reshape(trees, max(inner, 1))
            out = np.zeros((trees, leaves, cols), dtype=np.float64)
            tree = np.arange(trees)[:, None]
            leaf = np.arange(leaves)[None, :]
            pos = np.zeros((trees, leaves), dtype=np.int64)
            for d in range(depth):
                nxt = 2 * pos + 1 + ((leaf >> (depth - 1 - d)) & 1)
                group = group_of[features[tree, pos]]
                out[tree, leaf, group] += values[tree, nxt] - values[tree, pos]
                pos = nxt
            table = out.ravel().astype(np.float32)
            table.setflags(write=False)
            self._tables[key] = table
        return table

    def walk(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Global leaf index reached by every (row, tree)."""
        n, width = x.shape
        inner, leaves = (1 << self.depth) - 1, 1 << self.depth
        trees = self.leaf_value.size // leaves
        xflat = np.ascontiguousarray(x, dtype=np.float32).ravel()
        row_base = (np.arange(n, dtype=np.int64) * width)[:, None]
        inner_base = (np.arange(trees, dtype=np.int64) * inner)[None, :]
        pos = np.zeros((n, trees), dtype=np.int64)
        for _ in range(self.depth):
            at = inner_base + pos
            right = xflat[row_base + self.feature[at]] > self.threshold[at]
            pos = 2 * pos + 1 + right
        leaf: npt.NDArray[np.int64] = (np.arange(trees, dtype=np.int64) * leaves)[None, :] + (
            pos - inner
        )
        return leaf


@dataclass(frozen=True, slots=True)
class LineModel:
    name: str
    threshold: float
    feature_names: tuple[str, ...]
    stage2_names: tuple[str, ...]
    lexicon: dict[str, float]
    stage1: Forest
    stage2: Forest

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineModel:
        if d.get("format") != FORMAT or d.get("version") != 1:
            raise ValueError(f"not a {FORMAT} v1 file")
        model = cls(
            name=str(d["name"]),
            threshold=float(d["threshold"]),
            feature_names=tuple(d["feature_names"]),
            stage2_names=tuple(d["stage2_names"]),
            lexicon={str(k): float(v) for k, v in d["lexicon"].items()},
            stage1=d["stage1"]
            if isinstance(d["stage1"], Forest)
            else Forest.from_dict(d["stage1"]),
            stage2=d["stage2"]
            if isinstance(d["stage2"], Forest)
            else Forest.from_dict(d["stage2"]),
        )
        if (
            model.feature_names not in (FEATURE_NAMES, FEATURE_NAMES + DOM_FEATURES)
            or model.stage2_names != STAGE2_NAMES
        ):
            raise ValueError(f"model {model.name} was trained on other features than this gharbal")
        return model

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "name": self.name,
                "threshold": self.threshold,
                "feature_names": list(self.feature_names),
                "stage2_names": list(self.stage2_names),
                "lexicon": dict(sorted(self.lexicon.items())),
                "stage1": self.stage1.to_dict(),
                "stage2": self.stage2.to_dict(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @property
    def reads_dom(self) -> bool:
        """Whether the model needs the DOM features of the lines (`gharbal.extract.dom`): a model
        for HTML input."""
        return len(self.feature_names) > len(FEATURE_NAMES)

    @property
    def stage1_bias(self) -> float:
        """Stage 1's score before any split (the sum of its trees' root values)."""
        return float(self.stage1.value[self.stage1.roots].sum())

    def scores(
        self, x: npt.NDArray[np.float32], s1: Floats | None = None, native: bool = True
    ) -> tuple[Floats, npt.NDArray[np.float32]]:
        """(stage-2 raw scores, stage-2 matrix) for the feature matrix ``x`` of one page
        (``s1``: stage-1 raw scores, if already computed)."""
        if s1 is None:
            s1 = self.stage1.raw_score(x, native)
        return self.stage2.raw_score(x2 := with_stage2(x, s1, native), native), x2

    def predict_proba(self, x: npt.NDArray[np.float32]) -> Floats:
        """Probability that each line (row of ``x``, one page) is main content."""
        return _sigmoid(self.scores(x)[0])


@cache
def load_model(name: str = DEFAULT_MODEL) -> LineModel:
    """The model shipped in the package under ``name`` (read once per process)."""
    text = (files("gharbal") / "data" / "models" / f"{name}.json").read_text(encoding="utf-8")
    return LineModel.from_dict(json.loads(text))


def average_forests(forests: Sequence[Forest]) -> Forest:
    """One forest scoring the mean of ``forests``' raw scores: their trees side by side, leaf (and
    inner) values divided by their number. (Bagging over seeds: a model retrained with another
    seed moves less; `scripts/train_lines.py --bag`.)"""
    n = len(forests)
    if n == 1:
        return forests[0]
    offsets = np.cumsum([0] + [len(f.feature) for f in forests[:-1]])

    def shifted(nodes: list[npt.NDArray[np.int32]]) -> npt.NDArray[np.int32]:
        # Node indices moved by their forest's offset (a leaf points to itself: moved alike).
        return np.concatenate([a + o for a, o in zip(nodes, offsets, strict=True)]).astype(np.int32)

    return Forest(
        feature=np.concatenate([f.feature for f in forests]),
        threshold=np.concatenate([f.threshold for f in forests]),
        left=shifted([f.left for f in forests]),
        right=shifted([f.right for f in forests]),
        value=np.concatenate([f.value for f in forests]) / n,
        roots=shifted([f.roots for f in forests]),
        depth=max(f.depth for f in forests),
    )


def export_lightgbm(booster: Any) -> Forest:
    """Flatten a trained LightGBM binary booster into a `Forest` (numerical splits only)."""
    dump = booster.dump_model()
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    depth = 0

    def add(node: dict[str, Any], level: int) -> int:
        nonlocal depth
        k = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(k)
        right.append(k)
        value.append(0.0)
        if "leaf_value" in node:
            value[k] = float(node["leaf_value"])
            depth = max(depth, level)
            return k
        value[k] = float(node["internal_value"])
        if node["decision_type"] != "<=":
            raise ValueError(f"unsupported split {node['decision_type']}")
        feature[k] = int(node["split_feature"])
        threshold[k] = float(node["threshold"])
        left[k] = add(node["left_child"], level + 1)
        right[k] = add(node["right_child"], level + 1)
        return k

    for tree in dump["tree_info"]:
        roots.append(add(tree["tree_structure"], 0))
    return Forest(
        feature=np.asarray(feature, dtype=np.int32),
        threshold=np.asarray(threshold, dtype=np.float64),
        left=np.asarray(left, dtype=np.int32),
        right=np.asarray(right, dtype=np.int32),
        value=np.asarray(value, dtype=np.float64),
        roots=np.asarray(roots, dtype=np.int32),
        depth=depth,
    )
