"""Distillation data helpers of ``scripts/distil_labels.py`` / ``scripts/train_lines.py``: the
teacher agreement rule and the page-text line cleaning (no teacher, no development data)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _load(name: str) -> ModuleType:
    path = SCRIPTS / f"{name}.py"
    if not path.exists():
        pytest.skip("scripts/ not in this checkout")
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(f"{name}_under_test", path)
        assert spec is not None
        assert spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(SCRIPTS))
    return mod


@pytest.fixture(scope="module")
def train_lines() -> ModuleType:
    return _load("train_lines")


@pytest.fixture(scope="module")
def distil_labels() -> ModuleType:
    pytest.importorskip("resiliparse")
    return _load("distil_labels")


def test_agree_rules(train_lines: ModuleType) -> None:
    prec = [1, 1, 0, 0, 1]
    rec = [1, 1, 1, 0, 0]
    res = [1, 0, 1, 1, 1]
    assert train_lines.agree(prec, rec, res, "traf") == [1, 1, -1, 0, -1]
    assert train_lines.agree(prec, rec, res, "all") == [1, -1, -1, -1, -1]
    assert train_lines.agree(prec, rec, res, "traf+res-content") == [1, -1, -1, 0, -1]


def test_clean_lines(distil_labels: ModuleType) -> None:
    text = "  a\xa0 b \n\n\t\nc\u200b\u200bd  e\n日\u3000本 \n"
    # no-break and zero-width spaces collapse like spaces; the ideographic space is kept
    assert distil_labels.clean_lines(text) == "a b\nc d e\n日\u3000本"


def test_render_is_page_text(distil_labels: ModuleType) -> None:
    html = "<html><body><nav>Home</nav><p>One&nbsp; two.</p><ul><li>Item</li></ul></body></html>"
    lines = distil_labels.render(html).split("\n")
    assert lines == ["Home", "One two.", "Item"]
