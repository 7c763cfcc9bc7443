"""gharbal's optional C extensions, built by ``setup.py`` when the install finds a C compiler:
``gharbal.extract._scan`` (measuring a page's lines), ``gharbal.extract._trees`` (evaluating the line
model) and ``gharbal.normalise._pieces`` (folding mostly-ASCII text piece by piece). Where one is
missing the same results come from Python and numpy, slower; CI sets ``GHARBAL_REQUIRE_NATIVE=1`` so
that its tests fail instead of silently measuring the fallback."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_extension(name: str) -> ModuleType | None:
    """The extension module ``name`` (dotted, e.g. ``gharbal.extract._scan``) if it was built,
    else None."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the install
        return None
