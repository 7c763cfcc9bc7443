"""``OUT/report.html``: one self-contained file, built from ``stats.json`` and the ledger.

1. read ``stats.json`` (the authoritative counts) and ``recipe.yaml``;
2. summarise the part files in one streaming pass (`gharbal.report.collect`);
3. lay out the funnel, the reasons, the distributions, the sites and the page viewer;
4. write the file atomically.

Everything taken from a page (text, titles, urls, ids, details) is escaped for HTML, and the pages for
the viewer are embedded as JSON with ``<``, ``>`` and ``&`` escaped, which the viewer only ever puts
in the page as text. A Content-Security-Policy allows the one script of the report (by its hash) and
nothing else: no other script, no event handler attribute, no request to any address.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gharbal.errors import ConfigError
from gharbal.report import plots
from gharbal.report.collect import (
    DEFAULT_MAX_PAGES,
    NO_LANG,
    Limits,
    PageSample,
    Summary,
    collect,
)
from gharbal.report.pages import REMOVE, TITLE, reconstruct, text_direction
from gharbal.report.site import NO_SITE

# The order stages run in; a stage gharbal does not know yet is placed by its steps' order.
CANONICAL_STAGES = (
    "read",
    "decode",
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
TOP_SITES = 50
CHROME_PER_SITE = 5
TOP_LANGS = 25
MAX_SCORE_PLOTS = 24
_VERDICT_CODE = {"keep": "k", TITLE: "t", REMOVE: "r"}


def esc(value: object) -> str:
    """Text for HTML (element content or a quoted attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(ch, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _n(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _stage(reason: str) -> str:
    return reason.split(".", 1)[0]


def _doc_link(doc_id: str, shown: set[str]) -> str:
    """The id, linked to the page viewer when the page is in its sample."""
    code = f'<code dir="auto">{esc(doc_id)}</code>'
    if doc_id in shown:
        return f'<a href="#doc={esc(quote(doc_id, safe=""))}">{code}</a>'
    return code


# --- the funnel -------------------------------------------------------------------------------------


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
    reason_stages = list(dict.fromkeys(_stage(r) for r in [*rejected, *removed]))

    def owner(step: str) -> str:
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
        row.dropped = sum(n for r, n in rejected.items() if _stage(r) == row.name)
        row.removed_lines = sum(n for r, n in removed.items() if _stage(r) == row.name)
        row.remaining = remaining = remaining - row.dropped
        row.seconds = sum(float(seconds[s]) for s in row.steps) if row.steps else None
    return out


def _funnel_section(stats: dict[str, Any]) -> str:
    total = int(stats.get("input", 0))
    rows = funnel_rows(stats)
    all_seconds = sum(float(v) for v in (stats.get("step_seconds") or {}).values())
    body = [
        '<tr data-stage="input"><td>input</td><td class="n"></td><td class="n"></td>'
        f'<td class="n" data-value="{total}">{_n(total)}</td><td class="n">100.0%</td>'
        '<td class="n"></td><td class="n"></td><td class="n"></td></tr>'
    ]
    for row in rows:
        secs = "" if row.seconds is None else f"{row.seconds:.3f}"
        share = "" if row.seconds is None else _pct(row.seconds, all_seconds)
        body.append(
            f'<tr data-stage="{esc(row.name)}"><td><code>{esc(row.name)}</code></td>'
            f'<td class="n" data-value="{row.entered}">{_n(row.entered)}</td>'
            f'<td class="n dropped" data-value="{row.dropped}">{_n(row.dropped)}</td>'
            f'<td class="n" data-value="{row.remaining}">{_n(row.remaining)}</td>'
            f'<td class="n">{_pct(row.remaining, total)}</td>'
            f'<td class="n" data-value="{row.removed_lines}">{_n(row.removed_lines)}</td>'
            f'<td class="n">{secs}</td><td class="n">{share}</td></tr>'
        )
    kept = int(stats.get("kept", 0))
    body.append(
        '<tr class="total" data-stage="kept"><td>kept</td><td class="n"></td><td class="n"></td>'
        f'<td class="n" data-value="{kept}">{_n(kept)}</td><td class="n">{_pct(kept, total)}</td>'
        f'<td class="n" data-value="{int(stats.get("removed_lines", 0))}">'
        f"{_n(int(stats.get('removed_lines', 0)))}</td>"
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


# --- reasons ----------------------------------------------------------------------------------------


def _reasons_section(stats: dict[str, Any], s: Summary, shown: set[str]) -> str:
    total = int(stats.get("input", 0))
    rejected: dict[str, int] = dict(stats.get("rejected_by_reason") or {})
    removed: dict[str, int] = dict(stats.get("removed_lines_by_reason") or {})
    for reason, n in s.rejected_by_reason.items():
        rejected.setdefault(reason, n)
    for reason, n in s.removed_by_reason.items():
        removed.setdefault(reason, n)
    lines_total = s.lines_total
    removed_total = sum(removed.values())

    doc_rows = []
    for reason, n in sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0])):
        sample = s.rejected_examples.get(reason)
        examples = "".join(
            f"<li>{_doc_link(e['id'], shown)}"
            + (f' <span class="detail" dir="auto">{esc(e["detail"])}</span>' if e["detail"] else "")
            + "</li>"
            for e in (sample.values() if sample else [])
        )
        doc_rows.append(
            f'<tr data-reason="{esc(reason)}"><td><code>{esc(reason)}</code></td>'
            f'<td class="n" data-value="{n}">{_n(n)}</td><td class="n">{_pct(n, total)}</td>'
            f'<td><ul class="examples">{examples}</ul></td></tr>'
        )
    line_rows = []
    for reason, n in sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])):
        sample = s.removed_examples.get(reason)
        examples = "".join(
            f'<li><span class="ex-text" dir="auto">{esc(e["text"])}</span> '
            f'<span class="muted">{_doc_link(e["id"], shown)}:{esc(e["line_no"])}</span>'
            + (f' <span class="detail" dir="auto">{esc(e["detail"])}</span>' if e["detail"] else "")
            + "</li>"
            for e in (sample.values() if sample else [])
        )
        line_rows.append(
            f'<tr data-reason="{esc(reason)}"><td><code>{esc(reason)}</code></td>'
            f'<td class="n" data-value="{n}">{_n(n)}</td>'
            f'<td class="n">{_pct(n, removed_total)}</td><td class="n">{_pct(n, lines_total)}</td>'
            f'<td><ul class="examples">{examples}</ul></td></tr>'
        )
    docs_table = (
        '<table id="rejected-reasons"><thead><tr><th>reason</th><th class="n">documents</th>'
        '<th class="n">% of input</th><th>examples</th></tr></thead>'
        f"<tbody>{''.join(doc_rows)}</tbody></table>"
        if doc_rows
        else '<p class="muted">No document was rejected.</p>'
    )
    lines_table = (
        '<table id="removed-reasons"><thead><tr><th>reason</th><th class="n">lines</th>'
        '<th class="n">% of removed</th><th class="n">% of all lines</th><th>examples</th>'
        f"</tr></thead><tbody>{''.join(line_rows)}</tbody></table>"
        if line_rows
        else '<p class="muted">No line was removed.</p>'
    )
    return (
        '<section id="reasons"><h2>Reasons</h2>'
        '<p class="lead">Every reason recorded in the ledger, with a few examples (a deterministic '
        "sample, at most one line per document; an underlined id opens the page viewer).</p>"
        f"<h3>Rejected documents</h3>{docs_table}<h3>Removed lines</h3>{lines_table}</section>"
    )


# --- distributions ----------------------------------------------------------------------------------


def _distributions_section(s: Summary) -> str:
    parts = ['<section id="distributions"><h2>Languages, lengths and scores</h2>']
    parts.append(
        '<p class="lead">Over kept documents (the ledger keeps no text of rejected ones).</p>'
    )
    if set(s.langs) == {NO_LANG}:
        parts.append(
            '<h3>Languages</h3><p class="hint" id="no-languages">No document has a language label '
            "(no language identification step ran).</p>"
        )
    elif s.langs:
        top = s.langs.most_common(TOP_LANGS)
        chars_total = sum(s.lang_chars.values())
        rows = "".join(
            f'<tr><td><code dir="ltr">{esc(lang)}</code></td><td class="n">{_n(n)}</td>'
            f'<td class="n">{_pct(n, s.kept)}</td>'
            f'<td class="n">{_pct(s.lang_chars[lang], chars_total)}</td></tr>'
            for lang, n in top
        )
        more = len(s.langs) - len(top)
        parts.append(
            '<h3>Languages</h3><div class="plots">'
            f'<div class="plot">{plots.bars(top, "documents", "languages")}</div>'
            '<table id="languages"><thead><tr><th>language</th><th class="n">documents</th>'
            '<th class="n">% of kept</th><th class="n">% of text</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
            + (f'<p class="hint">{more} more languages not shown.</p>' if more > 0 else "")
        )
    if s.lengths.count:
        edges, counts = s.lengths.edges()
        plot = (
            plots.log_histogram(edges, counts, "characters of kept text", "lengths")
            if edges
            else ""
        )
        q = s.lengths.quantile
        parts.append(
            "<h3>Document length</h3>"
            f"<p>{_n(s.lengths.count)} documents; mean {s.lengths.total / s.lengths.count:,.0f} "
            f"characters; median about {q(0.5):,.0f}, 10% under {q(0.1):,.0f}, "
            f"10% over {q(0.9):,.0f}.</p>"
            f'<div class="plot">{plot}</div>'
        )
    if s.score_moments:
        names = sorted(s.score_moments)
        sample = s.score_sample.values()
        series = [(name, [sc[name] for sc in sample if name in sc]) for name in names]
        series = [(name, vals) for name, vals in series if vals][:MAX_SCORE_PLOTS]
        rows = "".join(
            f'<tr><td><code>{esc(name)}</code></td><td class="n">{_n(m.count)}</td>'
            f'<td class="n">{m.lo:.4g}</td><td class="n">{m.mean:.4g}</td>'
            f'<td class="n">{m.hi:.4g}</td></tr>'
            for name in names
            for m in [s.score_moments[name]]
        )
        note = (
            f"Histograms from a deterministic sample of {len(sample):,} documents; "
            "count, min, mean and max over all."
            if len(sample) < s.kept
            else "Over all kept documents."
        )
        parts.append(
            "<h3>Scores</h3>"
            f'<p class="hint">{note}</p>'
            f'<div class="plot">{plots.small_histograms(series, "scores")}</div>'
            '<table id="scores"><thead><tr><th>score</th><th class="n">documents</th>'
            '<th class="n">min</th><th class="n">mean</th><th class="n">max</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append("</section>")
    return "".join(parts)


# --- sites ------------------------------------------------------------------------------------------


def _sites_section(s: Summary) -> str:
    if not s.sites:
        return ""
    top = sorted(s.sites.items(), key=lambda kv: (-kv[1].pages, kv[0]))[:TOP_SITES]
    wanted = {name for name, _ in top}
    chrome: dict[str, list[tuple[str, int]]] = {}
    for (site, text), n in s.chrome.most_common():
        if site in wanted and n > 1 and len(chrome.setdefault(site, [])) < CHROME_PER_SITE:
            chrome[site].append((text, n))
    approx = "≥ " if s.chrome.error else ""
    rows = []
    for name, st in top:
        lines = "".join(
            f'<li><span class="ex-text" dir="auto">{esc(text)}</span> '
            f'<span class="muted">× {approx}{n:,}</span></li>'
            for text, n in chrome.get(name, [])
        )
        share = st.removed / st.lines if st.lines else 0.0
        rows.append(
            f'<tr><td dir="auto">{esc(name)}</td><td class="n">{_n(st.pages)}</td>'
            f'<td class="n">{_n(st.kept)}</td><td class="n">{_n(st.lines)}</td>'
            f'<td class="n">{_n(st.removed)}</td><td class="n">{_pct(st.removed, st.lines)} '
            f'<span class="bar" style="width:{round(60 * share)}px"></span></td>'
            f'<td><ul class="examples">{lines}</ul></td></tr>'
        )
    more = len(s.sites) - len(top)
    notes = []
    if s.detailed_docs < s.removed_docs:
        notes.append(
            f"Frequent lines are counted in the removed lines of a deterministic sample of "
            f"{s.detailed_docs:,} of the {s.removed_docs:,} pages that had any (page, line and "
            "removed counts are over all pages)."
        )
    if s.chrome.error:
        notes.append(
            "Counts of repeated lines are lower bounds: there were more distinct removed lines "
            "than the report tracks, so rare ones were dropped from the count."
        )
    note = " ".join(notes)
    return (
        '<section id="sites"><h2>Sites</h2>'
        '<p class="lead">The site of a page is its <code>site</code> field, else the registered '
        f"domain of its url. {_n(len(s.sites))} sites"
        f"{f'; the {len(top)} with most pages are shown' if more > 0 else ''}. "
        "Removed lines are the lines the cleaner took out as chrome (menus, share buttons, "
        "footers...), whatever the reason; the most frequent are listed with how many times they "
        f"were removed across the site's pages.</p>"
        f"{f'<p class=hint>{esc(note)}</p>' if note else ''}"
        '<table id="sites-table"><thead><tr><th>site</th><th class="n">pages</th>'
        '<th class="n">kept</th><th class="n">lines</th><th class="n">removed</th>'
        '<th class="n">% removed</th><th>most frequent removed lines</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


# --- the page viewer --------------------------------------------------------------------------------


def viewer_pages(s: Summary) -> list[dict[str, Any]]:
    """The sampled pages, put back together, as the viewer's JSON: kept ones by id, then rejected
    ones by reason and id."""
    samples: list[PageSample] = sorted(s.kept_pages.values(), key=lambda p: p.id)
    seen = {p.id for p in samples}
    for reason in sorted(s.rejected_pages):
        for p in sorted(s.rejected_pages[reason].values(), key=lambda p: p.id):
            if p.id not in seen:
                seen.add(p.id)
                samples.append(p)
    out = []
    for p in samples:
        lines, notes = reconstruct(p.text, p.title, p.line_map, p.removed)
        if p.truncated:
            notes.append(f"The text is cut at {s.limits.page_chars:,} characters in this report.")
        if p.removed_dropped:
            notes.append(f"{p.removed_dropped:,} more removed lines are not shown.")
        sample = "\n".join(ln.text for ln in lines if ln.verdict != REMOVE) or "\n".join(
            ln.text for ln in lines
        )
        out.append(
            {
                "id": p.id,
                "status": p.status,
                "reason": p.reason,
                "detail": p.detail,
                "url": p.url,
                "title": p.title,
                "lang": p.lang,
                "site": p.site if p.site != NO_SITE else None,
                "shard": p.shard,
                "dir": text_direction(p.lang, sample),
                "scores": p.scores,
                "metadata": p.metadata,
                "notes": notes,
                "lines": [
                    [ln.no, _VERDICT_CODE[ln.verdict], ln.text, ln.reason, ln.detail]
                    for ln in lines
                ],
            }
        )
    return out


def _viewer_section(pages: list[dict[str, Any]], s: Summary) -> str:
    kept = sum(p["status"] == "kept" for p in pages)
    return (
        '<section id="viewer"><h2>Page viewer</h2>'
        f'<p class="lead">{kept:,} kept pages (of {s.kept:,}: the {s.limits.max_pages:,} with the '
        f"smallest id hash, the same sample on every rebuild) and {len(pages) - kept:,} rejected "
        f"pages (up to {s.limits.rejected_per_reason} per reason). Each page is shown as it was "
        "read: kept lines plain, removed lines struck through with their reason. Any other "
        "document: <code>gharbal explain OUT ID</code>.</p>"
        '<div class="viewer"><div class="picker">'
        '<input id="doc-filter" type="search" placeholder="filter by id, title, url, reason, '
        'language" aria-label="filter pages">'
        '<div class="opts"><span id="doc-count"></span> · <label><input type="checkbox" '
        'id="show-removed" checked> show removed lines</label></div>'
        '<select id="doc-select" size="20" aria-label="pages"></select></div>'
        '<div id="page" aria-live="polite"></div></div></section>'
    )


# --- the whole page ---------------------------------------------------------------------------------


def _summary_section(stats: dict[str, Any], s: Summary, problems: Sequence[str]) -> str:
    total = int(stats.get("input", 0))
    cards = [
        ("input", total, "documents read"),
        ("kept", int(stats.get("kept", 0)), _pct(int(stats.get("kept", 0)), total) + " of input"),
        (
            "rejected",
            int(stats.get("rejected", 0)),
            _pct(int(stats.get("rejected", 0)), total) + " of input",
        ),
        (
            "removed_lines",
            int(stats.get("removed_lines", 0)),
            _pct(int(stats.get("removed_lines", 0)), s.lines_total) + " of all lines",
        ),
    ]
    html_cards = "".join(
        f'<div class="card" data-key="{k}"><div class="v" data-value="{v}">{_n(v)}</div>'
        f'<div class="k">{k.replace("_", " ")} · {esc(note)}</div></div>'
        for k, v, note in cards
    )
    known = {
        "input",
        "kept",
        "rejected",
        "removed_lines",
        "rejected_by_reason",
        "removed_lines_by_reason",
        "step_seconds",
        "unreadable_files",
    }
    others = [
        (k, v)
        for k, v in stats.items()
        if k not in known and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    other_html = (
        "<table id='other-counts'><tbody>"
        + "".join(
            f'<tr><td><code>{esc(k)}</code></td><td class="n">{_n(v)}</td></tr>' for k, v in others
        )
        + "</tbody></table>"
        if others
        else ""
    )
    unreadable = stats.get("unreadable_files") or []
    unreadable_html = (
        '<div class="warn"><strong>Unreadable input files</strong><ul>'
        + "".join(
            f'<li><code dir="auto">{esc(u.get("path"))}</code> ({esc(u.get("reason"))})</li>'
            for u in unreadable
            if isinstance(u, dict)
        )
        + "</ul></div>"
        if unreadable
        else ""
    )
    problems_html = (
        '<div class="warn" id="report-problems"><strong>The report found problems</strong><ul>'
        + "".join(f"<li>{esc(p)}</li>" for p in problems)
        + "</ul></div>"
        if problems
        else ""
    )
    return (
        f'<section id="summary"><div class="cards">{html_cards}</div>'
        f"{other_html}{unreadable_html}{problems_html}</section>"
    )


def _problems(stats: dict[str, Any] | None, s: Summary) -> list[str]:
    out = list(s.problems)
    if stats is None:
        out.append(
            "stats.json is missing (the run did not finish): counts below come from the parts."
        )
        return out
    for key, mine in (
        ("kept", s.kept),
        ("rejected", s.rejected),
        ("removed_lines", s.removed_lines),
    ):
        if int(stats.get(key, 0)) != mine:
            out.append(
                f"stats.json says {key} = {int(stats.get(key, 0)):,} but the part files hold "
                f"{mine:,} (parts missing, damaged or from another run)."
            )
    for path, n in sorted(s.bad_records.items()):
        out.append(f"{path}: {n:,} record(s) that are not JSON objects were skipped.")
    if s.unmatched_removed:
        out.append(f"{s.unmatched_removed:,} removed line(s) belong to no document of their shard.")
    return out


def _static(name: str) -> str:
    return (files("gharbal.report") / "static" / name).read_text(encoding="utf-8")


def render(out: Path, stats: dict[str, Any] | None, s: Summary, recipe: str | None) -> str:
    """The report as one HTML document."""
    problems = _problems(stats, s)
    if stats is None:
        stats = {
            "input": s.kept + s.rejected,
            "kept": s.kept,
            "rejected": s.rejected,
            "removed_lines": s.removed_lines,
            "rejected_by_reason": dict(s.rejected_by_reason),
            "removed_lines_by_reason": dict(s.removed_by_reason),
        }
    pages = viewer_pages(s)
    shown = {p["id"] for p in pages}
    script = _static("report.js")
    if "</script" in script.lower():  # pragma: no cover - a guard on our own file
        raise RuntimeError("report.js must not contain </script")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'"
    )
    recipe_html = (
        '<details class="recipe"><summary>The resolved recipe (<code>recipe.yaml</code>)</summary>'
        f"<pre>{esc(recipe)}</pre></details>"
        if recipe
        else ""
    )
    from gharbal import __version__

    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en" dir="ltr"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>gharbal report: {esc(out.resolve().name)}</title>",
            f"<style>{_static('report.css')}</style></head><body>",
            '<header class="top"><h1>gharbal report</h1>',
            f'<span class="muted" dir="auto">{esc(out.resolve().name)} · gharbal {esc(__version__)} · ',
            f"{s.shards:,} shard(s)</span>",
            '<nav><a href="#funnel">funnel</a><a href="#reasons">reasons</a>',
            '<a href="#distributions">distributions</a><a href="#sites">sites</a>',
            '<a href="#viewer">page viewer</a></nav></header><main>',
            _summary_section(stats, s, problems),
            _funnel_section(stats),
            _reasons_section(stats, s, shown),
            _distributions_section(s),
            _sites_section(s),
            _viewer_section(pages, s),
            f'<section id="run"><h2>Run</h2>{recipe_html}</section>',
            "</main>",
            f'<script type="application/json" id="gharbal-pages">{script_json(pages)}</script>',
            f"<script>{script}</script></body></html>\n",
        ]
    )


def load_stats(out: Path) -> dict[str, Any] | None:
    path = out / "stats.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object")
    return data


def build_report(
    out: str | Path,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    output: str | Path | None = None,
    workers: int = 1,
    on_shard: Callable[[int], object] | None = None,
) -> Path:
    """Build ``OUT/report.html`` (or ``output``) from the output directory ``out``; returns its path.

    Raises `ConfigError` when ``out`` is not a gharbal output directory."""
    out = Path(out)
    stats = load_stats(out)
    if stats is None and not any((out / k).is_dir() for k in ("documents", "rejected")):
        raise ConfigError(f"{out} is not a gharbal output directory (no stats.json, no parts)")
    summary = collect(
        out,
        Limits(max_pages=max_pages),
        workers=workers,
        on_shard=on_shard,
        stats=stats,
    )
    recipe_path = out / "recipe.yaml"
    recipe = recipe_path.read_text(encoding="utf-8") if recipe_path.is_file() else None
    document = render(out, stats, summary, recipe)
    target = Path(output) if output is not None else out / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(document, encoding="utf-8")
    os.replace(tmp, target)
    return target
