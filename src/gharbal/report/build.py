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
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from gharbal.errors import ConfigError, StageError
from gharbal.report.collect import DEFAULT_MAX_PAGES, Limits, Summary, collect
from gharbal.report.funnel import funnel_section
from gharbal.report.html import esc, script_json
from gharbal.report.sections import (
    distributions_section,
    find_problems,
    reasons_section,
    sites_section,
    summary_section,
    viewer_pages,
    viewer_section,
)
from gharbal.step import Executor
from gharbal.version import __version__
from gharbal.writers.atomic import output_file
from gharbal.writers.ledger import write_text_atomic


def _static(name: str) -> str:
    return (files("gharbal.report") / "static" / name).read_text(encoding="utf-8")


def render(out: Path, stats: dict[str, Any] | None, s: Summary, recipe: str | None) -> str:
    """The report as one HTML document."""
    problems = find_problems(stats, s)
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
            summary_section(stats, s, problems),
            funnel_section(stats),
            reasons_section(stats, s, shown),
            distributions_section(s),
            sites_section(s),
            viewer_section(pages, s),
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
    executor: Executor | None = None,
    parts: dict[int, dict[str, list[Path]]] | None = None,
) -> Path:
    """Build ``OUT/report.html`` (or ``output``) from the output directory ``out``; returns its path.

    Raises `ConfigError` when ``out`` is not a gharbal output directory, `StageError` when the
    report cannot be written (a full disk: nothing is left behind). ``parts``: see `collect`."""
    out = Path(out)
    stats = load_stats(out)
    has_parts = parts is not None or any((out / k).is_dir() for k in ("documents", "rejected"))
    if stats is None and not has_parts:
        raise ConfigError(f"{out} is not a gharbal output directory (no stats.json, no parts)")
    summary = collect(
        out,
        Limits(max_pages=max_pages),
        workers=workers,
        on_shard=on_shard,
        stats=stats,
        executor=executor,
        shard_files=parts,
    )
    recipe_path = out / "recipe.yaml"
    recipe = recipe_path.read_text(encoding="utf-8") if recipe_path.is_file() else None
    document = render(out, stats, summary, recipe)
    target = output_file(output) if output is not None else out / "report.html"
    try:
        write_text_atomic(target, document)  # the temporary file goes if writing fails
    except OSError as exc:  # a full disk: one line and exit 4 from the CLI, not a traceback
        raise StageError(f"writing {target} failed: {type(exc).__name__}: {exc}") from exc
    return target
