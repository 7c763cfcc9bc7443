"""The report's sections after the funnel: reasons, distributions, sites, the page viewer, and the
summary at the top. Each returns an HTML fragment; page text only ever goes through `esc` or, for the
viewer, into the JSON that `script_json` escapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gharbal.readers import NO_DOCUMENTS_HINT
from gharbal.report import plots
from gharbal.report.collect import NO_LANG, PageSample, Summary
from gharbal.report.html import doc_link, esc, num, pct
from gharbal.report.pages import REMOVE, TITLE, reconstruct, text_direction
from gharbal.site import NO_SITE

TOP_SITES = 50
CHROME_PER_SITE = 5
TOP_LANGS = 25
MAX_SCORE_PLOTS = 24
_VERDICT_CODE = {"keep": "k", TITLE: "t", REMOVE: "r"}


# --- reasons ----------------------------------------------------------------------------------------


def reasons_section(stats: dict[str, Any], s: Summary, shown: set[str]) -> str:
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
            f"<li>{doc_link(e['id'], shown)}"
            + (f' <span class="detail" dir="auto">{esc(e["detail"])}</span>' if e["detail"] else "")
            + "</li>"
            for e in (sample.values() if sample else [])
        )
        doc_rows.append(
            f'<tr data-reason="{esc(reason)}"><td><code>{esc(reason)}</code></td>'
            f'<td class="n" data-value="{n}">{num(n)}</td><td class="n">{pct(n, total)}</td>'
            f'<td><ul class="examples">{examples}</ul></td></tr>'
        )
    line_rows = []
    for reason, n in sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])):
        sample = s.removed_examples.get(reason)
        examples = "".join(
            f'<li><span class="ex-text" dir="auto">{esc(e["text"])}</span> '
            f'<span class="muted">{doc_link(e["id"], shown)}:{esc(e["line_no"])}</span>'
            + (f' <span class="detail" dir="auto">{esc(e["detail"])}</span>' if e["detail"] else "")
            + "</li>"
            for e in (sample.values() if sample else [])
        )
        line_rows.append(
            f'<tr data-reason="{esc(reason)}"><td><code>{esc(reason)}</code></td>'
            f'<td class="n" data-value="{n}">{num(n)}</td>'
            f'<td class="n">{pct(n, removed_total)}</td><td class="n">{pct(n, lines_total)}</td>'
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


def distributions_section(s: Summary) -> str:
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
            f'<tr><td><code dir="ltr">{esc(lang)}</code></td><td class="n">{num(n)}</td>'
            f'<td class="n">{pct(n, s.kept)}</td>'
            f'<td class="n">{pct(s.lang_chars[lang], chars_total)}</td></tr>'
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
            f"<p>{num(s.lengths.count)} documents; mean {s.lengths.total / s.lengths.count:,.0f} "
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
            f'<tr><td><code>{esc(name)}</code></td><td class="n">{num(m.count)}</td>'
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


def sites_section(s: Summary) -> str:
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
            f'<tr><td dir="auto">{esc(name)}</td><td class="n">{num(st.pages)}</td>'
            f'<td class="n">{num(st.kept)}</td><td class="n">{num(st.lines)}</td>'
            f'<td class="n">{num(st.removed)}</td><td class="n">{pct(st.removed, st.lines)} '
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
        f"domain of its url. {num(len(s.sites))} sites"
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


def viewer_section(pages: list[dict[str, Any]], s: Summary) -> str:
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


def summary_section(stats: dict[str, Any], s: Summary, problems: Sequence[str]) -> str:
    total = int(stats.get("input", 0))
    cards = [
        ("input", total, "documents read"),
        ("kept", int(stats.get("kept", 0)), pct(int(stats.get("kept", 0)), total) + " of input"),
        (
            "rejected",
            int(stats.get("rejected", 0)),
            pct(int(stats.get("rejected", 0)), total) + " of input",
        ),
        (
            "removed_lines",
            int(stats.get("removed_lines", 0)),
            pct(int(stats.get("removed_lines", 0)), s.lines_total) + " of all lines",
        ),
    ]
    html_cards = "".join(
        f'<div class="card" data-key="{k}"><div class="v" data-value="{v}">{num(v)}</div>'
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
        "files_without_documents",
    }
    others = [
        (k, v)
        for k, v in stats.items()
        if k not in known and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    other_html = (
        "<table id='other-counts'><tbody>"
        + "".join(
            f'<tr><td><code>{esc(k)}</code></td><td class="n">{num(v)}</td></tr>' for k, v in others
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
    empty = [p for p in stats.get("files_without_documents") or [] if isinstance(p, str)]
    empty_html = (
        '<div class="warn" id="files-without-documents"><strong>Input files without any document'
        f"</strong> ({esc(NO_DOCUMENTS_HINT)})<ul>"
        + "".join(f'<li><code dir="auto">{esc(p)}</code></li>' for p in empty)
        + "</ul></div>"
        if empty
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
        f"{other_html}{unreadable_html}{empty_html}{problems_html}</section>"
    )


def find_problems(stats: dict[str, Any] | None, s: Summary) -> list[str]:
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
