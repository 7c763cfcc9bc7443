"""The shipped line model: loads offline from JSON, trees evaluate as written, explanations add up."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest

from gharbal.extract.features import FEATURE_NAMES
from gharbal.extract.model import (
    DEFAULT_MODEL,
    FORMAT,
    Forest,
    LineModel,
    average_forests,
    load_model,
)


def _forest() -> Forest:
    # tree 0: x0 <= 1 ? (x1 <= 0 ? -1 : 2) : 3        tree 1: x1 <= 5 ? 0.5 : -0.5
    return Forest.from_dict(
        {
            "depth": 2,
            "roots": [0, 5],
            "feature": [0, 1, -1, -1, -1, 1, -1, -1],
            "threshold": [1.0, 0.0, 0, 0, 0, 5.0, 0, 0],
            "left": [1, 2, 2, 3, 4, 6, 6, 7],
            "right": [4, 3, 2, 3, 4, 7, 6, 7],
            "value": [1.0, 0.5, -1.0, 2.0, 3.0, 0.0, 0.5, -0.5],
        }
    )


def test_forest_sums_leaves() -> None:
    x = np.array([[0, 0], [0, 1], [2, 9], [1, 5]], dtype=np.float32)
    assert _forest().raw_score(x).tolist() == [-0.5, 2.5, 2.5, 2.5]
    assert _forest().raw_score(np.zeros((0, 2), dtype=np.float32)).shape == (0,)


def test_contributions_add_up_to_the_score() -> None:
    forest = _forest()
    x = np.array([[0, 0], [0, 1], [2, 9]], dtype=np.float32)
    contrib = forest.contributions(x)
    bias = forest.value[forest.roots].sum()
    assert np.allclose(contrib.sum(axis=1) + bias, forest.raw_score(x))
    assert contrib[2, 0] == 2.0  # x0 > 1 took tree 0 from 1.0 to 3.0


def test_an_averaged_forest_scores_the_mean_of_its_forests() -> None:
    one = _forest()
    # The same trees with other leaves: tree 0 negated, tree 1 doubled.
    other = Forest.from_dict({**one.to_dict(), "value": [-1.0, -0.5, 1.0, -2.0, -3.0, 0, 1, -1]})
    bag = average_forests([one, other, one])
    x = np.array([[0, 0], [0, 1], [2, 9], [1, 5]], dtype=np.float32)
    want = (2 * one.raw_score(x) + other.raw_score(x)) / 3
    assert np.allclose(bag.raw_score(x), want)
    assert len(bag.roots) == 6
    # Explanations stay exact: contributions plus the roots' values give the score.
    contrib = bag.contributions(x)
    assert np.allclose(contrib.sum(axis=1) + bag.value[bag.roots].sum(), bag.raw_score(x))
    assert average_forests([one]) is one


def test_shipped_model_loads_without_pickle_and_matches_features() -> None:
    path = files("gharbal") / "data" / "models" / f"{DEFAULT_MODEL}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT
    model = load_model()
    assert model.feature_names == FEATURE_NAMES
    assert 0 < model.threshold < 1
    assert model.lexicon, "the chrome lexicon ships with the model"
    # A lexicon of words, not of sites: no entry looks like a domain name.
    assert not [w for w in model.lexicon if "." in w]
    x = np.zeros((3, len(FEATURE_NAMES)), dtype=np.float32)
    proba = model.predict_proba(x)
    assert proba.shape == (3,)
    assert np.all((proba >= 0) & (proba <= 1))


def test_model_from_other_features_is_refused() -> None:
    data = json.loads(load_model().to_json())
    data["feature_names"] = data["feature_names"][:-1]
    with pytest.raises(ValueError, match="other features"):
        LineModel.from_dict(data)
    with pytest.raises(ValueError, match="not a"):
        LineModel.from_dict({"format": "pickle"})
