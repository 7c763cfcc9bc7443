"""Which node a task runs on, for the one line that names a failure (set by the Ray executor in
its workers; None elsewhere: a local run has one machine, which needs no naming)."""

from __future__ import annotations

_NAME: str | None = None


def name() -> str | None:
    """``"10.0.0.5 (3f2a9c01)"`` (IP, start of the node id) inside a Ray task, else None."""
    return _NAME


def set_name(label: str | None) -> str | None:
    """Set the node's label; returns the previous one."""
    global _NAME
    previous, _NAME = _NAME, label
    return previous


__all__ = ["name", "set_name"]
