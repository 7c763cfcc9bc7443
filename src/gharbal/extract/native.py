"""The optional C extensions of extraction, built by ``setup.py`` when the install finds a C
compiler: ``_scan`` (measuring a page's lines) and ``_trees`` (evaluating the line model). Where one
is missing the same results come from Python and numpy, slower; CI sets ``GHARBAL_REQUIRE_NATIVE=1``
so that its tests fail instead of silently measuring the fallback."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_extension(name: str) -> ModuleType | None:
    """``gharbal.extract.<name>`` if it was built, else None."""
    try:
        return importlib.import_module(f"gharbal.extract.{name}")
    except ImportError:  # pragma: no cover - depends on the install
        return None
