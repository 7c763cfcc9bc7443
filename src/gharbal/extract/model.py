"""The trained line classifier: two stages of gradient-boosted trees over `gharbal.extract.features`.

Stage 1 scores every line from its own features and its neighbours'; stage 2 sees the same features
plus stage 1's scores of the surrounding lines and where the page's main block lies (stacked
sequential learning: the context a CRF would give, with plain trees). The model is trained with
LightGBM by ``scripts/train_lines.py`` and shipped as JSON (``gharbal/data/models/<name>.json``:
flat arrays of tree nodes, the chrome lexicon, the decision threshold); it loads offline without
pickle or LightGBM, and trees are evaluated with numpy for all lines of a page at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import numpy.typing as npt

from gharbal.extract.features import FEATURE_NAMES, shifted, window_mean

FORMAT = "gharbal-line-model"
DEFAULT_MODEL = "lines_gbt_v1"
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


def _sigmoid(x: Floats) -> Floats:
    out: Floats = 1.0 / (1.0 + np.exp(-x))
    return out


def stage2_features(scores: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Context features from stage-1 raw scores of a page's lines (rows in line order)."""
    s = np.asarray(scores, dtype=np.float32)
    n = s.shape[0]
    p = (1.0 / (1.0 + np.exp(-s.astype(np.float64)))).astype(np.float32)
    cols = [s]
    cols.extend(shifted(s, off, _EDGE_SCORE) for off in STAGE2_OFFSETS)
    cols.append(window_mean(p, 3))
    cols.append(window_mean(p, 10))
    kept = np.flatnonzero(p >= 0.5)
    idx = np.arange(n)
    cols.append(np.full(n, p.mean() if n else 0.0, np.float32))
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
        cols.append(np.log1p(before).astype(np.float32))
        cols.append(np.log1p(after).astype(np.float32))
    else:
        cols.extend([np.ones(n, np.float32), np.ones(n, np.float32)])
        cols.extend([np.full(n, math.log1p(n + 1), np.float32)] * 2)
    return np.stack(cols, axis=1).astype(np.float32)


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

    def raw_score(self, x: npt.NDArray[np.float32]) -> Floats:
        """Sum of the trees' leaf values for every row of ``x``."""
        n = x.shape[0]
        if n == 0:
            return np.zeros(0, dtype=np.float64)
        xd = x.astype(np.float64)
        node = np.broadcast_to(self.roots, (n, self.roots.size)).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            feat = self.feature[node]
            leaf = feat < 0
            if leaf.all():
                break
            go_left = xd[rows, np.maximum(feat, 0)] <= self.threshold[node]
            nxt = np.where(go_left, self.left[node], self.right[node])
            node = np.where(leaf, node, nxt)
        total: Floats = self.value[node].sum(axis=1)
        return total

    def contributions(self, x: npt.NDArray[np.float32]) -> Floats:
        """Per-feature contributions to each row's raw score (Saabas: along each tree's path, the
        change of the node's mean value is credited to the feature split on), shape (rows, features)."""
        n, width = x.shape
        out = np.zeros(n * width, dtype=np.float64)
        if n == 0:
            return out.reshape(n, width)
        xd = x.astype(np.float64)
        node = np.broadcast_to(self.roots, (n, self.roots.size)).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            feat = self.feature[node]
            leaf = feat < 0
            if leaf.all():
                break
            safe = np.maximum(feat, 0)
            go_left = xd[rows, safe] <= self.threshold[node]
            nxt = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))
            delta = np.where(leaf, 0.0, self.value[nxt] - self.value[node])
            out += np.bincount((rows * width + safe).ravel(), delta.ravel(), minlength=n * width)
            node = nxt
        return out.reshape(n, width)


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
        if model.feature_names != FEATURE_NAMES or model.stage2_names != STAGE2_NAMES:
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

    def scores(self, x: npt.NDArray[np.float32]) -> tuple[Floats, npt.NDArray[np.float32]]:
        """(stage-2 raw scores, stage-2 matrix) for the feature matrix ``x`` of one page."""
        s1 = self.stage1.raw_score(x)
        x2 = np.concatenate([x, stage2_features(s1)], axis=1)
        return self.stage2.raw_score(x2), x2

    def predict_proba(self, x: npt.NDArray[np.float32]) -> Floats:
        """Probability that each line (row of ``x``, one page) is main content."""
        return _sigmoid(self.scores(x)[0])


@cache
def load_model(name: str = DEFAULT_MODEL) -> LineModel:
    """The model shipped in the package under ``name`` (read once per process)."""
    text = (files("gharbal") / "data" / "models" / f"{name}.json").read_text(encoding="utf-8")
    return LineModel.from_dict(json.loads(text))


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
