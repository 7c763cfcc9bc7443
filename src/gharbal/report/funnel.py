"""The funnel: input -> each stage -> kept, from ``stats.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gharbal.report import plots
from gharbal.report.html import esc, num, pct, stage_of

# The order stages run in; a stage gharbal does not know yet is placed by its steps' order.
CANONICAL_STAGES = (
    "read",
    "decode",
    "render_html",  # HTML rendered to lines (extractors dom and lines), before site statistics
    "site_stats",
    "extract",
    "normalise",
    "normalize",
    "identify",
    "lang",
    "score",
    "quality",
    "decide",
    "filter",
    "dedup",
    "pii",
    "write",
)


@dataclass(slots=True)
class StageRow:
    name: str
    steps: list[str] = field(default_factory=list)
    entered: int = 0
    dropped: int = 0
    remaining: int = 0
    removed_lines: int = 0
    seconds: float | None = None


def funnel_rows(stats: dict[str, Any]) -> list[StageRow]:
    """input -> each stage -> kept: one row per stage that dropped documents or lines or took time.

    A step is counted under a stage when its name is the stage's or starts with it (``dedup_near``
    under ``dedup``); stages are ordered as gharbal runs them, new ones by their steps' order."""
    rejected: dict[str, int] = stats.get("rejected_by_reason") or {}
    removed: dict[str, int] = stats.get("removed_lines_by_reason") or {}
    seconds: dict[str, float] = stats.get("step_seconds") or {}
    reason_stages = list(dict.fromkeys(stage_of(r) for r in [*rejected, *removed]))

    def owner(step: str) -> str:
        if step.endswith(".finalize"):  # an aggregation's finalize: under the aggregation
            return owner(step.removesuffix(".finalize"))
        for st in reason_stages:
            if step == st or any(step.startswith(st + sep) for sep in "._-"):
                return st
        return step

    rows: dict[str, StageRow] = {}
    for step in seconds:
        rows.setdefault(owner(step), StageRow(owner(step))).steps.append(step)
    for st in reason_stages:
        rows.setdefault(st, StageRow(st))

    step_pos = {s: i for i, s in enumerate(seconds)}
    write_at = CANONICAL_STAGES.index("write")

    def order(row: StageRow) -> tuple[float, int, str]:
        if row.name in CANONICAL_STAGES:
            return (CANONICAL_STAGES.index(row.name), 0, row.name)
        if not row.steps:
            return (write_at - 0.5, 0, row.name)
        first = min(step_pos[s] for s in row.steps)
        before = [
            CANONICAL_STAGES.index(r.name)
            for r in rows.values()
            if r.name in CANONICAL_STAGES and r.steps and min(step_pos[s] for s in r.steps) < first
        ]
        return (max(before, default=-1) + 0.5, first, row.name)

    remaining = int(stats.get("input", 0))
    out = sorted(rows.values(), key=order)
    for row in out:
        row.entered = remaining
        row.dropped = sum(n for r, n in rejected.items() if stage_of(r) == row.name)
        row.removed_lines = sum(n for r, n in removed.items() if stage_of(r) == row.name)
        row.remaining = remaining = remaining - row.dropped
        row.seconds = sum(float(seconds[s]) for s in row.steps) if row.steps else None
    return out


def funnel_section(stats: dict[str, Any]) -> str:
    total = int(stats.get("input", 0))
    rows = funnel_rows(stats)
    all_seconds = sum(float(v) for v in (stats.get("step_seconds") or {}).values())
    body = [
        '<tr data-stage="input"><td>input</td><td class="n"></td><td class="n"></td>'
        f'<td class="n" data-value="{total}">{num(total)}</td><td class="n">100.0%</td>'
        '<td class="n"></td><td class="n"></td><td class="n"></td></tr>'
    ]
    for row in rows:
        secs = "" if row.seconds is None else f"{row.seconds:.3f}"
        share = "" if row.seconds is None else pct(row.seconds, all_seconds)
        body.append(
            f'<tr data-stage="{esc(row.name)}"><td><code>{esc(row.name)}</code></td>'
            f'<td class="n" data-value="{row.entered}">{num(row.entered)}</td>'
            f'<td class="n dropped" data-value="{row.dropped}">{num(row.dropped)}</td>'
            f'<td class="n" data-value="{row.remaining}">{num(row.remaining)}</td>'
            f'<td class="n">{pct(row.remaining, total)}</td>'
            f'<td class="n" data-value="{row.removed_lines}">{num(row.removed_lines)}</td>'
            f'<td class="n">{secs}</td><td class="n">{share}</td></tr>'
        )
    kept = int(stats.get("kept", 0))
    body.append(
        '<tr class="total" data-stage="kept"><td>kept</td><td class="n"></td><td class="n"></td>'
        f'<td class="n" data-value="{kept}">{num(kept)}</td><td class="n">{pct(kept, total)}</td>'
        f'<td class="n" data-value="{int(stats.get("removed_lines", 0))}">'
        f"{num(int(stats.get('removed_lines', 0)))}</td>"
        f'<td class="n">{all_seconds:.3f}</td><td class="n"></td></tr>'
    )
    stages = [(r.name, r.dropped, r.remaining) for r in rows if r.dropped or r.name != "write"]
    plot = plots.funnel(stages, total) if total else ""
    docs_per_s = f"{total / all_seconds:,.0f} documents/s over all steps" if all_seconds else ""
    return (
        '<section id="funnel"><h2>Funnel</h2>'
        '<p class="lead">Every input document is counted once: it is dropped at one stage or kept. '
        "Seconds are summed over shards (with several workers, more than the wall-clock time)"
        f"{'; ' + docs_per_s if docs_per_s else ''}.</p>"
        '<table id="funnel-table"><thead><tr><th>stage</th><th class="n">in</th>'
        '<th class="n">dropped</th><th class="n">remaining</th><th class="n">% of input</th>'
        '<th class="n">lines removed</th><th class="n">seconds</th><th class="n">% of time</th>'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<div class="plot">{plot}</div></section>'
    )
