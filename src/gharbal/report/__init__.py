"""The report: what a run did, page by page (``OUT/report.html``), and ``gharbal explain``.

- `build_report` reads ``stats.json`` and the ledger in one streaming pass and writes one
  self-contained HTML file: the funnel, every reason with examples, language/length/score plots,
  per-site chrome and a viewer of a deterministic sample of pages;
- `explain` finds one document in the ledger and puts its page back together line by line.

Modules: ``parts`` (reading the ledger back), ``collect`` (the streaming pass) into ``summary``
(bounded, mergeable, with ``sketch``'s samples and counters), ``pages`` (a page put back together),
``site``, ``plots`` (matplotlib to inline SVG), ``html``, ``funnel`` and ``sections`` (the fragments),
``build`` (the file), ``explain``; ``static/`` holds the viewer's script and the style sheet.
matplotlib is imported only when a report is built, so importing gharbal stays light.
"""

from gharbal.report.build import build_report
from gharbal.report.collect import Limits
from gharbal.report.explain import (
    Explanation,
    UnknownDocumentError,
    explain,
    explanation_lines,
    format_explanation,
)

__all__ = [
    "Explanation",
    "Limits",
    "UnknownDocumentError",
    "build_report",
    "explain",
    "explanation_lines",
    "format_explanation",
]
