"""Run counters: what came in, what was kept, what was dropped and why, and where time went.

Each shard fills its own `Stats`; the executor merges them in shard order, so the merged figures do
not depend on the worker count. ``check()`` enforces the ledger invariant ``input == kept + rejected``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gharbal.errors import GharbalError


class InvariantError(GharbalError):
    """The ledger does not balance: a document was lost or counted twice (a bug in gharbal)."""


@dataclass(slots=True)
class Stats:
    input: int = 0
    kept: int = 0
    rejected: int = 0
    removed_lines: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    removed_lines_by_reason: Counter[str] = field(default_factory=Counter)
    step_seconds: dict[str, float] = field(default_factory=dict)
    unreadable_files: list[dict[str, str]] = field(default_factory=list)
    # Input files that gave no document at all (see `gharbal.readers.read_shard`).
    files_without_documents: list[str] = field(default_factory=list)
    # Entries of input directories not read, and why (`gharbal.readers.SkippedInput`): symlinked
    # directories, FIFOs, dangling links, the run's own output. Set by the driver from the plan.
    skipped_inputs: list[dict[str, str]] = field(default_factory=list)

    def add_time(self, step: str, seconds: float) -> None:
        self.step_seconds[step] = self.step_seconds.get(step, 0.0) + seconds

    def merge(self, other: Stats) -> None:
        self.input += other.input
        self.kept += other.kept
        self.rejected += other.rejected
        self.removed_lines += other.removed_lines
        self.rejected_by_reason.update(other.rejected_by_reason)
        self.removed_lines_by_reason.update(other.removed_lines_by_reason)
        for step, seconds in other.step_seconds.items():
            self.add_time(step, seconds)
        self.unreadable_files.extend(other.unreadable_files)
        self.files_without_documents.extend(other.files_without_documents)
        self.skipped_inputs.extend(other.skipped_inputs)

    def check(self) -> None:
        if self.input != self.kept + self.rejected:
            raise InvariantError(
                f"ledger does not balance: input {self.input} != kept {self.kept} + "
                f"rejected {self.rejected}"
            )
        if sum(self.rejected_by_reason.values()) != self.rejected:
            raise InvariantError("rejected_by_reason does not sum to rejected")
        if sum(self.removed_lines_by_reason.values()) != self.removed_lines:
            raise InvariantError("removed_lines_by_reason does not sum to removed_lines")

    def to_json(self) -> dict[str, Any]:
        """The ``stats.json`` form: counts are integers, reasons sorted, times rounded."""
        return {
            "input": self.input,
            "kept": self.kept,
            "rejected": self.rejected,
            "removed_lines": self.removed_lines,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "removed_lines_by_reason": dict(sorted(self.removed_lines_by_reason.items())),
            "step_seconds": {k: round(v, 3) for k, v in self.step_seconds.items()},
            "unreadable_files": self.unreadable_files,
            "files_without_documents": self.files_without_documents,
            "skipped_inputs": self.skipped_inputs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stats:
        return cls(
            input=int(data["input"]),
            kept=int(data["kept"]),
            rejected=int(data["rejected"]),
            removed_lines=int(data["removed_lines"]),
            rejected_by_reason=Counter(data["rejected_by_reason"]),
            removed_lines_by_reason=Counter(data["removed_lines_by_reason"]),
            step_seconds=dict(data.get("step_seconds", {})),
            unreadable_files=list(data.get("unreadable_files", [])),
            files_without_documents=list(data.get("files_without_documents", [])),
            skipped_inputs=list(data.get("skipped_inputs", [])),
        )
