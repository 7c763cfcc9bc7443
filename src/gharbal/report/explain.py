"""``gharbal explain OUT ID``: why one document was dropped, or which of its lines were removed and why.

The document is looked up in the ledger without loading it: first in the small parts of every shard
(``rejected/`` and the ``lines/`` maps), then, for a page that has no line map (HTML), in
``documents/``. Each line of a part is matched against the id as the writer encoded it before it is
parsed, so a lookup costs about one decompression of the parts it reads.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gharbal.errors import ConfigError, GharbalError
from gharbal.report.pages import KEEP, REJECTED_TEXT_HINT, REMOVE, TITLE, PageLine, reconstruct
from gharbal.report.parts import iter_raw_lines, iter_records, parquet_available, shard_parts
from gharbal.terminal import printable


class UnknownDocumentError(GharbalError, LookupError):
    """No document with this id is in the output directory."""


@dataclass(slots=True)
class Explanation:
    """What the ledger knows about one document."""

    id: str
    shard: int
    status: str  # "kept" or "rejected"
    record: dict[str, Any]  # its documents/ or rejected/ record
    removed: list[dict[str, Any]] = field(default_factory=list)
    line_map: dict[str, Any] | None = None
    lines: list[PageLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shard": self.shard,
            "status": self.status,
            "record": self.record,
            "lines": [
                {"line_no": ln.no, "verdict": ln.verdict, "text": ln.text, "reason": ln.reason}
                | ({"detail": ln.detail} if ln.detail else {})
                for ln in self.lines
            ],
            "notes": self.notes,
        }


def _find(paths: list[Path], doc_id: str, needle: bytes) -> Iterator[dict[str, Any]]:
    """Records of ``paths`` whose ``id`` is ``doc_id``."""
    for path in paths:
        if path.name.endswith(".parquet"):
            if parquet_available():
                yield from (r for r in iter_records(path) if r.get("id") == doc_id)
            continue
        for raw in iter_raw_lines(path):
            if needle in raw:
                try:
                    rec = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and rec.get("id") == doc_id:
                    yield rec


def explain(out: str | Path, doc_id: str) -> Explanation:
    """Everything the ledger of ``out`` says about document ``doc_id``.

    Raises `UnknownDocumentError` when no such document is there, `ConfigError` when ``out`` is not
    an output directory."""
    out = Path(out)
    parts = shard_parts(out)
    if not parts:
        raise ConfigError(f"{out} is not a gharbal output directory (no part files)")
    needle = orjson.dumps(doc_id)

    def finish(shard: int, status: str, record: dict[str, Any]) -> Explanation:
        kinds = parts[shard]
        exp = Explanation(doc_id, shard, status, record)
        exp.removed = list(_find(kinds.get("removed_lines", []), doc_id, needle))
        exp.line_map = next(_find(kinds.get("lines", []), doc_id, needle), None)
        # A rejected record has a text when the run's recipe said output.rejected_text: true.
        text = record.get("text")
        exp.lines, exp.notes = reconstruct(
            text if isinstance(text, str) else None,
            record.get("title") if isinstance(record.get("title"), str) else None,
            exp.line_map,
            exp.removed,
        )
        # With a line map, reconstruct says how many kept lines are not shown, if any; a document
        # rejected while reading has no decoded text to keep.
        stage = record.get("stage") or str(record.get("reason")).split(".", 1)[0]
        no_text = status == "rejected" and not isinstance(text, str) and exp.line_map is None
        if no_text and stage != "read":
            exp.notes.append(
                f"the text of this rejected document is not kept ({REJECTED_TEXT_HINT})"
            )
        return exp

    for shard, kinds in parts.items():  # the small parts first
        rejected = next(_find(kinds.get("rejected", []), doc_id, needle), None)
        if rejected is not None:
            return finish(shard, "rejected", rejected)
        if next(_find(kinds.get("lines", []), doc_id, needle), None) is not None:
            kept = next(_find(kinds.get("documents", []), doc_id, needle), None)
            if kept is not None:
                return finish(shard, "kept", kept)
    for shard, kinds in parts.items():  # pages without a line map
        kept = next(_find(kinds.get("documents", []), doc_id, needle), None)
        if kept is not None:
            return finish(shard, "kept", kept)
    raise UnknownDocumentError(
        f"no document with id {doc_id!r} in {out} ({len(parts)} shard(s) searched); ids are "
        "matched exactly, as in the documents/ and rejected/ parts"
    )


def _clip(text: str, width: int | None) -> str:
    """``text`` (from the input: control characters shown, see `gharbal.terminal`) cut to
    ``width``."""
    text = printable(text)
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 1, 1)] + "…"


def explanation_lines(
    exp: Explanation, *, full: bool = False, removed_only: bool = False
) -> Iterator[tuple[str, str]]:
    """The explanation as ``(kind, text)`` lines, ``kind`` one of ``head``, ``field``, ``keep``,
    ``title``, ``remove``, ``detail``, ``note`` (the CLI colours by kind). Every value from the
    ledger is shown with its control characters made visible (`gharbal.terminal.printable`): the
    lines are safe to print on a terminal."""
    rec = exp.record
    width = None if full else max(shutil.get_terminal_size((120, 24)).columns - 20, 40)
    shard = f"part-{exp.shard:05d}"
    if exp.status == "rejected":
        reason = str(rec.get("reason"))
        stage = rec.get("stage") or reason.split(".", 1)[0]
        yield "head", printable(f"{exp.id}: REJECTED at stage {stage}: {reason}  ({shard})")
        for key in ("detail", "url", "source", "title"):
            if rec.get(key):
                yield "field", f"  {key:<7} {printable(str(rec[key]))}"
    else:
        yield "head", f"{printable(exp.id)}: KEPT  ({shard})"
        for key in ("title", "url", "lang"):
            if rec.get(key):
                yield "field", f"  {key:<7} {printable(str(rec[key]))}"
        scores = rec.get("scores")
        if isinstance(scores, dict) and scores:
            text = ", ".join(f"{k}={v}" for k, v in sorted(scores.items()))
            yield "field", f"  scores  {_clip(text, width)}"
    counts = Counter(ln.verdict for ln in exp.lines)
    by_reason = Counter(str(ln.reason) for ln in exp.lines if ln.verdict == REMOVE)
    yield (
        "field",
        f"  lines   {counts[KEEP]} kept, {counts[REMOVE]} removed"
        + (f", {counts[TITLE]} title" if counts[TITLE] else ""),
    )
    for why, n in by_reason.most_common():
        yield "field", f"          {n:>4} x {printable(why)}"
    for note in exp.notes:
        yield "note", f"  note: {printable(note)}"
    if not exp.lines:
        return
    yield "head", ""
    for ln in exp.lines:
        if removed_only and ln.verdict != REMOVE:
            continue
        no = "" if ln.no is None else str(ln.no)
        tag = {KEEP: "kept", TITLE: "TITLE", REMOVE: "REMOVED"}[ln.verdict]
        yield ln.verdict, f"{no:>6}  {tag:<7}  {_clip(ln.text, width)}"
        if ln.verdict == REMOVE:
            why = str(ln.reason) + (f": {ln.detail}" if ln.detail else "")
            yield "detail", f"{'':>6}  {'':<7}  -> {_clip(why, width)}"


def format_explanation(exp: Explanation, *, full: bool = False, removed_only: bool = False) -> str:
    """The explanation as plain text."""
    return "\n".join(t for _, t in explanation_lines(exp, full=full, removed_only=removed_only))
