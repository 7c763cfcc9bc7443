"""The report's plots: matplotlib figures rendered to inline SVG (no script, no network, no pyplot
state). Text is kept as SVG ``<text>`` (escaped by matplotlib's XML writer) and mathtext parsing is
off, so a label taken from the data is shown as written and can never be read as markup or math."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KEPT, DROPPED, ACCENT, GRID = "#2a7f62", "#c8553d", "#3b6ea5", "#d9d9d9"
_RC: dict[Any, Any] = {  # matplotlib types keys as a Literal of every rcParam
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
}
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def label(text: str, limit: int = 40) -> str:
    """A data value made fit for an axis label: one line, at most ``limit`` characters."""
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(width: float, height: float, constrained: bool = True) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained" if constrained else None)


def _svg(fig: Figure, name: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"gharbal-{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = _METADATA.sub("", _PROLOG.sub("", buf.getvalue(), count=1), count=1)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{name} plot" ', 1)


def funnel(stages: Sequence[tuple[str, int, int]], total: int) -> str:
    """Documents remaining after each stage (``(stage, dropped, remaining)``), dropped ones stacked."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(7.5, 0.45 * (len(stages) + 2) + 0.6)
        ax = fig.subplots()
        names = ["input", *[label(s[0]) for s in stages]]
        remaining = [total, *[s[2] for s in stages]]
        dropped = [0, *[s[1] for s in stages]]
        y = list(range(len(names)))
        ax.barh(y, remaining, color=KEPT, label="remaining")
        ax.barh(y, dropped, left=remaining, color=DROPPED, label="dropped here")
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel("documents")
        ax.grid(axis="y", visible=False)
        for yi, (r, d) in enumerate(zip(remaining, dropped, strict=True)):
            pct = f" ({100 * r / total:.1f}%)" if total else ""
            ax.text(r + d, yi, f" {r:,}{pct}", va="center", fontsize=8)
        ax.set_xlim(0, max(total, 1) * 1.25)
        fig.legend(loc="outside upper center", ncols=2, frameon=False, fontsize=8)
        return _svg(fig, "funnel")


def bars(items: Sequence[tuple[str, float]], xlabel: str, name: str, color: str = ACCENT) -> str:
    """Horizontal bars, largest first, each labelled with its value."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(6.5, 0.28 * len(items) + 0.9)
        ax = fig.subplots()
        y = list(range(len(items)))
        values = [v for _, v in items]
        ax.barh(y, values, color=color)
        ax.set_yticks(y, [label(k, 24) for k, _ in items])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        top = max(values, default=1) or 1
        for yi, v in enumerate(values):
            ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=7.5)
        ax.set_xlim(0, top * 1.18)
        return _svg(fig, name)


def log_histogram(edges: Sequence[float], counts: Sequence[int], xlabel: str, name: str) -> str:
    """A histogram over logarithmic bins (edges from `LogHistogram.edges`)."""
    import matplotlib
    from matplotlib.ticker import FuncFormatter, NullFormatter

    with matplotlib.rc_context(_RC):
        fig = _figure(6.5, 2.6)
        ax = fig.subplots()
        ax.stairs(counts, edges, fill=True, color=ACCENT, alpha=0.85)
        ax.set_xscale("log")
        # The default log labels are mathtext ("$10^{3}$"), which is switched off: plain numbers.
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(xlabel)
        ax.set_ylabel("documents")
        ax.grid(axis="x", visible=False)
        return _svg(fig, name)


def small_histograms(series: Sequence[tuple[str, Sequence[float]]], name: str) -> str:
    """One small histogram per named series (quality scores), in a grid of up to four columns."""
    import matplotlib
    import numpy as np

    with matplotlib.rc_context(_RC):
        cols = min(4, max(len(series), 1))
        rows = -(-len(series) // cols)
        width, height = 2.4 * cols + 0.4, 1.9 * rows + 0.2
        # Fixed margins (in inches, turned into figure fractions): a grid of many small plots is
        # where constrained layout costs most (half of the report's rendering time), and these
        # plots all have the same short labels.
        fig = _figure(width, height, constrained=False)
        fig.subplots_adjust(
            left=0.45 / width,
            right=1 - 0.1 / width,
            bottom=0.3 / height,
            top=1 - 0.3 / height,
            wspace=0.35,
            hspace=0.32 * 1.9 / 1.3,
        )
        axes: list[Axes] = list(np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel())
        for ax, (title, values) in zip(axes, series, strict=False):
            data = np.asarray(values, dtype=float)
            lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
            if hi <= lo:
                lo, hi = lo - 0.5, hi + 0.5
            counts, edges = np.histogram(data, bins=30, range=(lo, hi))
            # One filled outline per plot, not a patch per bin (``hist``): much faster to draw.
            ax.stairs(counts, edges, fill=True, color=ACCENT, alpha=0.85)
            ax.set_title(label(title, 44), fontsize=7.5, loc="left")
            ax.tick_params(labelsize=7)
            ax.locator_params(axis="both", nbins=4)
            ax.grid(axis="x", visible=False)
        for ax in axes[len(series) :]:
            ax.set_visible(False)
        return _svg(fig, name)
