"""What the HTML says about each line of its rendering: the DOM features of the line classifier.

A page given as HTML is rendered to WET-like lines (`gharbal.extract.html.html_to_lines`, the text a
crawler's WET record shows); this module walks the page's tree once and gives each rendered line the
facts the DOM knows and the text does not (`DOM_FEATURES`):

- the elements around the line's text: ``nav``, ``header``, ``footer``, ``aside``, ``article`` or
  ``main``, ``form``, list item, table cell, heading (``h1`` apart), paragraph, figure or caption,
  quotation, ``pre``/``code``, buttons and labels, definition lists;
- class and id names of its ancestors by family (navigation, footer, header, sidebar, sharing,
  related or most-read lists, comments, advertising, meta lines (bylines, dates, tags), captions and
  credits, content, hidden), matched on the names' parts (``site-footer``: footer; ``postContent``:
  content; ``address``: none), as how many levels up the nearest such ancestor is (-1: none), so
  that the innermost name wins (comments inside a ``post-content`` wrapper, or an article in a
  ``discussion`` one); never the names on ``<body>`` and ``<html>``, which name the page, nor
  tokens that style or state rather than name (``margin-bottom``, ``hidden-xs``, ``no-sidebar``,
  BEM modifiers, WordPress's ``category-news`` on a post: `_naming_parts`), nor words that only
  start like a family word (``commentary``, ``screenshot``); and how much of the page the
  innermost chrome-named ancestor holds (a "comments" wrapper around the whole thread of a forum
  names the page, not a block in it);
- how much of the line is link text, and the same for the block container around it (the nearest
  ``div``/``section``/``ul``/``td``...: its characters, link share and paragraph share);
- whether the line lies in the page's main container: the deepest element holding at least half
  (and at least 80%) of the page's paragraph text outside links, as readability-style extractors
  look for it;
- its depth, and whether the lines before and after share its container (block boundaries).

**Alignment.** resiliparse's renderer is a C function that gives text only, so the lines are
matched back to the tree's text nodes: the text nodes' characters, all whitespace and zero-width
characters removed, are joined into one string, and each line (the same characters removed) is
looked up in it from where the previous line ended. A line that is not found (text the renderer
adds or changes; 0.05% of the development pages' lines) gets ``dom_known = 0`` and the other
columns -1. The search window is bounded (`_WINDOW`, at most `_FAR_SEARCHES` unbounded searches a
page, and a budget of characters read linear in the text), so the work stays linear.

Everything is counts and ratios of integers (IEEE division, rounded once to float32), no
transcendental function, so the numbers are the same on every machine. The tree is selectolax's
(lexbor, the HTML5 parser resiliparse uses too, so the same tree): walking it from Python costs
about 0.5 µs a node, where resiliparse's node objects cost 4 µs (3.9 ms a development page in all,
parse and alignment included, against 10 ms). The walk itself is written here: no library gives
per-line facts of a rendering.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from gharbal.extract.html import NOT_RENDERED

Matrix = npt.NDArray[np.float32]

# Element flags inherited by every descendant (bit per name).
_TAG_FLAGS: dict[str, str] = {
    "nav": "nav",
    "header": "header",
    "footer": "footer",
    "aside": "aside",
    "article": "article",
    "main": "article",
    "form": "form",
    "li": "li",
    "td": "table",
    "th": "table",
    "caption": "table",
    "h1": "h1",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "p": "p",
    "figure": "figure",
    "figcaption": "figure",
    "blockquote": "quote",
    "q": "quote",
    "pre": "code",
    "code": "code",
    "button": "control",
    "label": "control",
    "select": "control",
    "option": "control",
    "dt": "dl",
    "dd": "dl",
    "a": "a",
    "time": "time",
}
TAG_NAMES = (
    "nav", "header", "footer", "aside", "article", "form", "li", "table", "h1", "heading", "p",
    "figure", "quote", "code", "control", "dl", "time",
)  # fmt: skip
_TAG_BIT = {name: 1 << i for i, name in enumerate((*TAG_NAMES, "a"))}
_A_BIT = _TAG_BIT["a"]
_TAG_BITS = np.asarray([_TAG_BIT[name] for name in TAG_NAMES], dtype=np.int64)
_P_BIT = _TAG_BIT["p"]

# Class and id name families. A name matches when one of its parts (split at anything but a
# letter or digit, and at lower-to-upper case changes) starts with one of the words.
CLASS_FAMILIES: dict[str, tuple[str, ...]] = {
    "nav": ("nav", "menu", "breadcrumb", "topbar", "navbar", "pagination", "pager", "toc"),
    "footer": ("footer", "copyright", "colophon", "bottom"),
    "header": ("header", "masthead", "banner", "branding", "logo"),
    "side": ("sidebar", "side", "widget", "aside", "rail"),
    "share": ("share", "sharing", "social", "follow", "sns"),
    "related": ("related", "recommend", "popular", "trending", "most", "more", "also", "latest",
                "teaser", "ticker", "breaking", "headlines", "outbrain", "taboola"),
    "comment": ("comment", "disqus", "reply", "respond", "discussion"),
    "ad": ("ad", "ads", "advert", "adsense", "dfp", "sponsor", "promo", "commercial", "gpt"),
    "meta": ("meta", "byline", "author", "date", "time", "tag", "tags", "category", "info",
             "published", "dateline", "views", "stats"),
    "caption": ("caption", "credit", "photo", "image", "img", "media", "figure", "gallery"),
    "content": ("article", "content", "main", "post", "entry", "story", "body", "text", "prose",
                "blog", "detail", "news"),
    "hidden": ("hidden", "hide", "sr", "screen", "visually", "offscreen", "modal", "popup",
               "cookie", "newsletter", "subscribe", "signup", "login", "register", "paywall"),
}  # fmt: skip
CLASS_NAMES = tuple(CLASS_FAMILIES)
_CLASS_BIT = {name: 1 << (32 + i) for i, name in enumerate(CLASS_NAMES)}
_NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PART_FAMILY: dict[str, int] = {}
for _family, _words in CLASS_FAMILIES.items():
    for _w in _words:
        _PART_FAMILY[_w] = _PART_FAMILY.get(_w, 0) | _CLASS_BIT[_family]
_EXACT = frozenset(["ad", "ads", "sr", "gpt", "sns", "toc", "img", "tag", "dfp", "screen"])
_PREFIX_FAMILY = {w: b for w, b in _PART_FAMILY.items() if len(w) >= 3 and w not in _EXACT}
_PREFIX_LENGTHS = sorted({len(w) for w in _PREFIX_FAMILY})
# Words that start like a family word and mean something else: matched only as themselves (a
# ``commentary`` is an opinion piece, a ``commented`` post is the article, a ``shared`` layout
# names nothing; ``screen`` is exact: ``screenshot``).
_NOT_PREFIXED = frozenset(
    [
        "commentary", "commentaries", "commented", "commentator", "commentators", "shared",
        "shareholder", "shareholders", "sides", "sideways", "promoted", "infobox", "information",
        "informations", "mostly", "moreover",
    ]
)  # fmt: skip
# Class tokens that style or state, not name, a block: CSS utilities (``margin-bottom``,
# ``overflow-hidden``, ``hidden-xs``: hidden on phones only), negated or optional features
# (``no-sidebar``, ``has-ads``, ``with-right-rail``), BEM modifiers (``o-section--has-ads``,
# ``field--label-hidden``: the part after ``--`` goes) and WordPress's ``post_class()`` taxonomy
# (``category-news status-publish`` on the post itself).
_UTILITY_PARTS = frozenset(
    ["margin", "padding", "overflow", "border", "float", "align", "xs", "sm", "md", "lg", "xl",
     "xxl"]
)  # fmt: skip
_NEGATED = re.compile(r"(?:no|has|with|without|not)[-_]")
_WP_POST = re.compile(r"hentry|type-[a-z_-]+|post-[0-9]+|status-publish(?:ed)?")
_WP_TAXONOMY = re.compile(r"(?:category|tag|status|format|post-format|type)-")

# Containers: the block around a line, whose totals describe it.
_CONTAINERS = frozenset(
    [
        "body",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "nav",
        "header",
        "footer",
        "ul",
        "ol",
        "dl",
        "table",
        "tbody",
        "tr",
        "td",
        "th",
        "form",
        "figure",
        "blockquote",
        "details",
        "fieldset",
        "center",
    ]
)
_PAGE_ELEMENTS = frozenset(["body", "html"])
_NO_ATTRIBUTES: dict[str, str | None] = {}
# Not rendered: scripts, and what `gharbal.extract.html` leaves out (a formula's TeX source, ruby
# readings).
_SKIP = frozenset(
    ["script", "style", "noscript", "template", "head", "title", "svg", *NOT_RENDERED]
)

DOM_FEATURES = (
    "dom_known",
    "dom_link_share",
    "dom_depth",
    *(f"dom_in_{name}" for name in TAG_NAMES),
    *(f"dom_class_{name}" for name in CLASS_NAMES),  # levels up to the nearest, -1 none
    "dom_box_chars",
    "dom_box_link_share",
    "dom_box_p_share",
    "dom_box_page_share",
    "dom_main50",
    "dom_main80",
    "dom_same_box_prev",
    "dom_same_box_next",
    "dom_chrome_page_share",  # share of the page's text under the innermost chrome name, -1 none
)
_NCOL = len(DOM_FEATURES)
_CHROME_FAMILY = np.asarray([name != "content" for name in CLASS_NAMES])
_FLAG0 = 3  # first tag flag column
_CLASS0 = _FLAG0 + len(TAG_NAMES)
_BOX0 = _CLASS0 + len(CLASS_NAMES)

# Characters left out on both sides of the alignment: whitespace (the renderer collapses it) and
# zero-width characters (the development set's rendering turned them into spaces).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WINDOW = 200_000
"""A line is looked for at most this many characters past the end of the previous one..."""
_FAR_SEARCHES = 8
"""...and this many times a page anywhere after it (text the renderer left out, e.g. hidden)."""


def _squeeze(text: str) -> str:
    squeezed = "".join(text.split())
    if squeezed.isascii():
        return squeezed
    return unicodedata.normalize("NFC", squeezed.translate(_INVISIBLE))  # as the rendering is


def _nearer(near: tuple[int, ...], bits: int, element: int) -> tuple[int, ...]:
    """``near`` with the families of ``bits`` named by ``element``."""
    return tuple(
        element if bits & _CLASS_BIT[name] else d for name, d in zip(CLASS_NAMES, near, strict=True)
    )


def _naming_parts(names: str) -> list[str]:
    """The lower-cased parts (`_NAME_PARTS`) of the tokens of a ``class`` and ``id`` value that
    name a block: not CSS utilities, negated features, BEM modifiers nor WordPress's post taxonomy
    (`_UTILITY_PARTS`)."""
    tokens = names.split()
    wordpress = any(_WP_POST.fullmatch(t.lower()) for t in tokens)
    out: list[str] = []
    for token in tokens:
        token = token.split("--", 1)[0]
        low = token.lower()
        if not low or _NEGATED.match(low) or (wordpress and _WP_TAXONOMY.match(low)):
            continue
        parts = [p.lower() for p in _NAME_PARTS.findall(token)]
        if len(parts) > 1 and any(p in _UTILITY_PARTS for p in parts):
            continue
        out.extend(parts)
    return out


@lru_cache(maxsize=4096)
def _class_bits(names: str) -> int:
    """The class families of a ``class`` and ``id`` value: a part of a naming token
    (`_naming_parts`) matches a word it equals or, for words of 3 letters or more (but `_EXACT`)
    and parts not in `_NOT_PREFIXED`, starts with."""
    bits = 0
    for part in _naming_parts(names):
        bits |= _PART_FAMILY.get(part, 0)
        if part in _NOT_PREFIXED:
            continue
        for n in _PREFIX_LENGTHS:
            if n >= len(part):
                break
            bits |= _PREFIX_FAMILY.get(part[:n], 0)
    return bits


class _Walk:
    """The text nodes of a tree in document order: where each starts in the squeezed text, its
    flags and its container; and each container's totals."""

    __slots__ = (
        "box_chars", "box_links", "box_p", "boxes_of", "depth_of", "flags", "named", "near",
        "parent", "starts", "text",
    )  # fmt: skip

    def __init__(self, root: Any) -> None:
        chunks: list[str] = []
        self.starts: list[int] = []
        self.flags: list[int] = []
        self.boxes_of: list[int] = []  # the node's container
        # Containers: parent container, chars, link chars, paragraph chars outside links (subtree
        # totals).
        self.parent: list[int] = [-1]
        self.box_chars: list[int] = [0]
        self.box_links: list[int] = [0]
        self.box_p: list[int] = [0]
        self.depth_of: list[int] = []
        # Per text node: the nearest named ancestor of each class family (-1: none), an index
        # in `named`: [its depth, the characters of its subtree (filled in when it closes)].
        self.near: list[tuple[int, ...]] = []
        self.named: list[list[int]] = []
        named = self.named
        none = (-1,) * len(CLASS_NAMES)
        pos = 0
        # (node, inherited flags, container, depth, nearest names); a None node closes a
        # container (flags 0) or a named element (flags -1, its index for the container). A node's
        # next sibling is pushed when the node is taken (under its subtree), so no child lists.
        stack: list[tuple[Any, int, int, int, tuple[int, ...]]] = [(root, 0, 0, 0, none)]
        tag_flags = {t: _TAG_BIT[f] for t, f in _TAG_FLAGS.items()}
        parent, box_chars, box_links, box_p = (
            self.parent,
            self.box_chars,
            self.box_links,
            self.box_p,
        )
        push, pop = stack.append, stack.pop
        while stack:
            node, flags, box, depth, near = pop()
            if node is None and flags < 0:  # leaving named element `box`: its totals
                named[box][1] = pos - named[box][1]
                continue
            if node is None:  # leaving container `box`: add its totals to its parent's
                up = parent[box]
                if up >= 0:
                    box_chars[up] += box_chars[box]
                    box_links[up] += box_links[box]
                    box_p[up] += box_p[box]
                continue
            if depth:
                sibling = node.next
                if sibling is not None:
                    push((sibling, flags, box, depth, near))
            tag = node.tag
            if tag == "-text":
                squeezed = _squeeze(node.text_content or "")
                if squeezed:
                    chunks.append(squeezed)
                    self.starts.append(pos)
                    self.flags.append(flags)
                    self.boxes_of.append(box)
                    self.depth_of.append(depth)
                    self.near.append(near)
                    n = len(squeezed)
                    pos += n
                    box_chars[box] += n
                    if flags & _A_BIT:
                        box_links[box] += n
                    elif flags & _P_BIT:  # paragraph text outside links
                        box_p[box] += n
                continue
            if not tag or tag[0] == "-" or tag in _SKIP:  # comments, doctype, other nodes
                continue
            flags |= tag_flags.get(tag, 0)
            # (Not the page's own classes on <body> and <html>: they name the page, not a block,
            # and some sites list dozens of feature flags there: "f_ad_timeout_on ...".)
            attrs = node.attributes if tag not in _PAGE_ELEMENTS else _NO_ATTRIBUTES
            names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if len(names) > 1:
                bits = _class_bits(names[:512])
                if bits:
                    flags |= bits
                    near = _nearer(near, bits, len(named))
                    named.append([depth, pos])
                    push((None, -1, len(named) - 1, depth, near))
            if tag in _CONTAINERS:
                parent.append(box)
                box = len(parent) - 1
                box_chars.append(0)
                box_links.append(0)
                box_p.append(0)
                push((None, 0, box, depth, near))
            child = node.child
            if child is not None:
                push((child, flags, box, depth + 1, near))
        self.text = "".join(chunks)


def _main_box(walk: _Walk, share: float) -> int:
    """The deepest container holding at least ``share`` of the page's paragraph text outside
    links (-1 if the page has none)."""
    p_text = walk.box_p
    total = p_text[0]
    if total <= 0:
        return -1
    best, best_depth = 0, 0
    depth = [0] * len(walk.parent)
    for b in range(1, len(walk.parent)):
        depth[b] = depth[walk.parent[b]] + 1
        if p_text[b] >= share * total and depth[b] > best_depth:
            best, best_depth = b, depth[b]
    return best


def _within(walk: _Walk, target: int) -> list[bool]:
    """For each container, whether it is ``target`` or lies inside it (containers are numbered
    in document order, a parent before its children: one pass)."""
    inside = [False] * len(walk.parent)
    if target >= 0:
        inside[0] = target == 0
        for b in range(1, len(inside)):
            inside[b] = b == target or inside[walk.parent[b]]
    return inside


def dom_features(html: str, lines: Sequence[str]) -> Matrix:
    """The `DOM_FEATURES` of each of ``lines`` (the page's rendering), one row a line.

    The page must have been checked not to nest deeper than ``extract.html.max_depth``
    (`gharbal.extract.html.too_deep`, as `html_to_lines_bounded` does): selectolax's parser takes
    time quadratic in the depth (20,000 nested ``<div>``: 0.45 s; 256: nothing)."""
    from selectolax.lexbor import LexborHTMLParser

    out = unknown_dom(len(lines))
    if not lines:
        return out
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return out
    walk = _Walk(root)
    text, starts = walk.text, walk.starts
    if not starts:
        return out
    page_chars = max(walk.box_chars[0], 1)
    in50, in80 = _within(walk, _main_box(walk, 0.5)), _within(walk, _main_box(walk, 0.8))
    ends = [*starts[1:], len(text)]
    boxes: list[int] = []  # each line's container (-1: not found)
    rows: list[int] = []  # the lines found, their text node speaking for them, their link share
    nodes: list[int] = []
    link_share: list[float] = []
    ptr, far = 0, _FAR_SEARCHES
    # Characters the failed searches may read in all, so that a page whose lines are not in its
    # text nodes costs linear time: then the remaining lines stay unknown.
    budget = 16 * len(text) + 1_000_000
    for i, line in enumerate(lines):
        s = _squeeze(line)
        if not s or budget < 0:
            boxes.append(-1)
            continue
        at = text.find(s, ptr, ptr + _WINDOW + len(s))
        if at < 0:
            budget -= min(_WINDOW, len(text) - ptr)
            if far > 0:
                far -= 1
                budget -= len(text) - ptr
                at = text.find(s, ptr)
        if at < 0:
            boxes.append(-1)
            continue
        end = at + len(s)
        ptr = end
        # The text nodes the line covers; the one giving most characters speaks for the line.
        k = bisect_right(starts, at) - 1
        links = 0
        best_n, best = -1, k
        while k < len(starts) and starts[k] < end:
            n = min(end, ends[k]) - max(at, starts[k])
            if n > 0:
                if walk.flags[k] & _A_BIT:
                    links += n
                if n > best_n:
                    best_n, best = n, k
            k += 1
        boxes.append(walk.boxes_of[best])
        rows.append(i)
        nodes.append(best)
        link_share.append(links / len(s))
    if not rows:
        return out
    # The found lines' columns, all at once (ratios in double precision, rounded once to float32).
    r = np.asarray(rows, dtype=np.intp)
    node = np.asarray(nodes, dtype=np.intp)
    flags = np.asarray(walk.flags, dtype=np.int64)[node]
    box = np.asarray(walk.boxes_of, dtype=np.intp)[node]
    out[r, 0] = 1.0
    out[r, 1] = np.asarray(link_share, dtype=np.float64)
    out[r, 2] = np.asarray(walk.depth_of, dtype=np.float64)[node]
    out[r, _FLAG0:_CLASS0] = (flags[:, None] & _TAG_BITS[None, :]) != 0
    # Levels up to the nearest ancestor of each class family (-1: none): the innermost name
    # says what the block is ("comments" inside a "post-content" wrapper, or the reverse).
    near = np.asarray([walk.near[k] for k in nodes], dtype=np.intp).reshape(-1, len(CLASS_NAMES))
    element = np.asarray(walk.named, dtype=np.int64).reshape(-1, 2)
    said = near >= 0
    of_name = np.where(said, near, 0)
    depth_of = np.asarray(walk.depth_of, dtype=np.float64)[node]
    named_depth = element[:, 0].astype(np.float64) if len(element) else np.zeros(1)
    out[r, _CLASS0:_BOX0] = np.where(said, depth_of[:, None] - named_depth[of_name], -1.0)
    chars = np.asarray(walk.box_chars, dtype=np.float64)[box]
    per = np.maximum(chars, 1.0)
    out[r, _BOX0] = chars
    out[r, _BOX0 + 1] = np.asarray(walk.box_links, dtype=np.float64)[box] / per
    out[r, _BOX0 + 2] = np.asarray(walk.box_p, dtype=np.float64)[box] / per
    out[r, _BOX0 + 3] = chars / float(page_chars)
    out[r, _BOX0 + 4] = np.asarray(in50, dtype=np.bool_)[box]
    out[r, _BOX0 + 5] = np.asarray(in80, dtype=np.bool_)[box]
    # Whether the lines before and after lie in the same container (unknown lines in none).
    of = np.asarray(boxes, dtype=np.intp)
    prev = np.concatenate([[-2], of[:-1]])
    nxt = np.concatenate([of[1:], [-2]])
    out[r, _BOX0 + 6] = prev[r] == of[r]
    out[r, _BOX0 + 7] = nxt[r] == of[r]
    # How much of the page the innermost chrome-named ancestor holds: a chrome name on the
    # element that wraps most of the page names the page (an ``<article class="... commented">``,
    # a Blogger ``widget Blog``, a forum's ``replies``), not a block of chrome in it.
    if len(element):
        chrome = said & _CHROME_FAMILY[None, :]
        held = element[:, 1][of_name].astype(np.float64) / float(max(len(text), 1))
        share = np.where(chrome, held, np.inf).min(axis=1)
        out[r, _BOX0 + 8] = np.where(np.isfinite(share), share, -1.0)
    return out


_HEADLINE_COLS = [_FLAG0 + TAG_NAMES.index(t) for t in ("h1", "heading")]
_BODY_COLS = [_FLAG0 + TAG_NAMES.index(t) for t in ("li", "table", "p")]


def body_block(dom: Matrix, i: int) -> bool:
    """Whether line ``i`` lies in a list item, a table cell or a paragraph and not in a heading:
    a line of a body, not a headline."""
    row = dom[i]
    if row[0] <= 0 or row[_HEADLINE_COLS].max() > 0:
        return False
    return bool(row[_BODY_COLS].max() > 0)


def h1_lines(dom: Matrix, before: int) -> list[int]:
    """The rows of ``dom`` before ``before`` whose line lies inside an ``<h1>``."""
    return np.flatnonzero(dom[:before, _FLAG0 + TAG_NAMES.index("h1")] == 1).tolist()


def unknown_dom(n: int) -> Matrix:
    """DOM features of ``n`` lines with no HTML: every column unknown."""
    out = np.full((n, _NCOL), -1.0, dtype=np.float32)
    out[:, 0] = 0.0
    return out


# What a removed line's detail names (``extract.chrome.markup``), in this order.
_SAID_TAGS = ("nav", "header", "footer", "aside", "form", "control", "figure", "time")
_SAID_CLASSES = tuple(name for name in CLASS_NAMES if name != "content")


def describe(row: npt.NDArray[np.float32]) -> str:
    """The DOM facts of one line a person can check in the page's HTML: the chrome elements and
    class names around it, its link share, and whether it lies outside the main container."""
    if row[0] <= 0:
        return "not found in the HTML"
    facts = [
        f"<{tag}>" for j, tag in enumerate(TAG_NAMES) if tag in _SAID_TAGS and row[_FLAG0 + j] > 0
    ]
    classes = [n for j, n in enumerate(CLASS_NAMES) if n in _SAID_CLASSES and row[_CLASS0 + j] >= 0]
    if classes:
        facts.append("class " + "/".join(classes))
    if row[1] >= 0.5:
        facts.append(f"links {row[1]:.0%}")
    if row[_BOX0 + 4] == 0:
        facts.append("outside the main container")
    return ", ".join(facts) or "its place in the page's markup"


__all__ = [
    "CLASS_FAMILIES",
    "DOM_FEATURES",
    "TAG_NAMES",
    "body_block",
    "describe",
    "dom_features",
    "h1_lines",
    "unknown_dom",
]
