"""HTML pages: the whole page rendered to lines for gharbal's line classifier (the default), or main
content by resiliparse (the fastest) or trafilatura (optional extra).

Work per page is bounded. Parsing and rendering to lines are linear in the page's nodes, but
resiliparse's main-content pass walks from every node up to ``<body>``: its time grows with the
sum of the nodes' depths (10,000 nested ``<div>`` take 1.9 s, 20,000 take 9.9 s, 1,000,000 would
take days). So before that pass `too_deep` looks for an element nested more than
``extract.html.max_depth`` levels (256; the 1,892 development pages nest 68 at most), and such a
page is rejected (``extract.html.too_deep``). Under the limit the pass costs at most about 7 s per
MB of HTML (a page of 200,000 paragraphs inside 256 ``<div>``; flat pages 0.5 s per MB).

The parse itself is not linear on every page: the HTML5 parser re-opens the formatting elements still
in effect (``<b>``, ``<font>``, ...) after every element that closed them, so 229 KB of
``<div><b id=N>x</div>`` make 50 million elements (48 s, gigabytes), and long attributes on them
are copied into every copy. `too_complex` bounds that work from the raw text before the parse
(``extract.html.max_elements``, ``extract.html.too_complex``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

# resiliparse is imported on the first HTML page, not with gharbal: runs over plain text never
# load it (a few MB in every worker).

MAX_DEPTH = 256
"""Default of ``extract.html.max_depth``: elements nested deeper make a page ``too_deep``."""

MAX_ELEMENTS = 2_500_000
"""Default of ``extract.html.max_elements``: a page whose `too_complex` estimate is higher is
refused before it is parsed."""


_DESCEND = 65_536
"""How far `too_deep` follows a page down past the limit to say how deep it goes (0.3 s at most)."""


# --- too_complex: a pre-scan bounding the HTML5 parser's work -------------------------------------
#
# The parser keeps a list of the formatting elements in effect (a, b, big, code, em, font, i, nobr,
# s, small, strike, strong, tt, u) and, when an element that closed them has gone, re-opens every
# one of them at the next text run or start tag ("reconstruct the active formatting elements");
# lexbor also compares each new one with the list, and copies the attributes into every element it
# re-opens. So a few hundred KB can make tens of millions of elements, or gigabytes of attribute
# copies. `too_complex` bounds that work from the raw text, tag by tag, without building a tree.

_WS = "\\t\\n\\f\\r "
# A start or end tag after its name, read as the HTML5 tokenizer reads it: a quote opens a value
# only right after "=" (a quote elsewhere is a character of a name or of an unquoted value), so
# that a ">" or "</b>" inside a quoted value never ends the tag or looks like a tag. The first
# branch is the common shape (names and ="..." values), the second any shape.
_TAG_REST = (
    rf"(?>(?>[{_WS}/]*+[^{_WS}/>\"'=]++(?:=\"[^\"]*+\")?)*+[{_WS}/]*+>"
    rf"|(?>[{_WS}/]++|[^{_WS}/>][^{_WS}/=>]*+"
    rf"(?>[{_WS}]*+=[{_WS}]*+(?>\"[^\"]*+\"|'[^']*+'|[^{_WS}>\"'][^{_WS}>]*+)?)?)*+>)"
)
_FORMATTING = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
]  # fmt: skip
# Elements that bound a formatting element's "scope": an end tag of a formatting element opened
# before one of these is ignored while it is open (and a marker keeps it from being re-opened
# inside: td, th, caption, applet, marquee, object, template). select is here to be safe.
_SCOPES = ["table", "td", "th", "caption", "applet", "marquee", "object", "template", "select"]
_FOREIGN = ["svg", "math"]  # content parsed as foreign elements (raw text elements are not raw)
_INTEGRATION = ["foreignobject", "desc", "mi", "mo", "mn", "ms", "mtext", "annotation-xml"]
_RAW = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"]
_FMT, _SCOPE, _FOREIGN_K, _INTEG, _RAW_K, _COL = range(6)
_KIND = {
    **dict.fromkeys(_FORMATTING, _FMT),
    **dict.fromkeys(_SCOPES, _SCOPE),
    **dict.fromkeys(_FOREIGN, _FOREIGN_K),
    **dict.fromkeys(_INTEGRATION, _INTEG),
    **dict.fromkeys(_RAW, _RAW_K),
    "col": _COL,  # in a <template>, a column group ignores every other tag (raw text ones too)
    "colgroup": _COL,
}
# an end tag of table (template) closes the open cells, captions... (and tables) above it
_THROUGH = {
    "table": frozenset(["td", "th", "caption", "applet", "marquee", "object", "select"]),
    "template": frozenset(
        ["table", "td", "th", "caption", "applet", "marquee", "object", "select"]
    ),
}


def _trie(words: list[str]) -> str:
    """A regex alternation of ``words`` factored on common prefixes (much faster in ``re``)."""
    tree: dict[str, dict[str, Any]] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


def _next_token(pairs: list[str], plain: bool) -> re.Pattern[str]:
    """Text up to the next token the estimate reads: a start or end tag of a formatting, scope,
    foreign, integration-point or raw text element, or the start of a comment, a CDATA section or
    a bogus comment (``<!``, ``<?``, ``</`` without a name). Other tags are skipped whole, as are
    formatting elements of ``pairs`` holding only text (``<b>x</b>``: opened and closed with
    nothing re-opened in between). ``plain`` (outside svg, math and raw elements): comments and
    bogus comments, end tags of raw elements (no-ops there) and table cells with none of these
    tokens inside are skipped too."""
    names = _trie(list(_KIND))
    d = rf"(?=[{_WS}/>])"
    # (one branch per name: a back reference inside the repeat trips a bug in re)
    pair = "|".join(
        rf"{re.escape(p)}{d}{_TAG_REST}[^<]*+</{re.escape(p)}{d}{_TAG_REST}" for p in pairs
    )
    items = [r"[^<]++", f"<(?:{pair})"] if pairs else [r"[^<]++"]
    items.append(rf"</?(?!{names}{d})[a-zA-Z][^{_WS}/>]*+{_TAG_REST}")
    if plain:
        items += [
            r"<!--(?:-?>|(?s:.*?)--!?>)",  # a comment ends at the first --> or --!>
            r"<!(?!--)[^>]*+>|<\?[^>]*+>|</(?![a-zA-Z])[^>]*+>",  # bogus comments
            rf"</(?:{_trie(_RAW)}){d}{_TAG_REST}",
        ]
    items.append(r"<(?![a-zA-Z!?/])")
    inner = "|".join(items)
    if plain:  # a table cell holding none of the tokens (after the others: it is the rarest)
        cells = "|".join(
            rf"<{c}{d}{_TAG_REST}(?:{inner})*+</{c}{d}{_TAG_REST}" for c in ("td", "th")
        )
        inner = f"{inner}|{cells}"
    return re.compile(
        rf"(?:{inner})*+"
        rf"(?P<tok><(?P<end>/?)(?P<name>{names}){d}{_TAG_REST}"
        rf"|(?P<comment><!--)|(?P<cdata><!\[CDATA\[)|<[!?]|</(?![a-zA-Z]))?",
        re.ASCII | re.IGNORECASE,
    )


@functools.cache
def _next_tokens() -> tuple[tuple[re.Pattern[str], ...], ...]:
    """`_next_token` patterns by [plain][an ``<a>`` open] (compiled on the first HTML page: 0.3 s)."""
    pairs = [n for n in _FORMATTING if n != "nobr"]  # a <nobr> start runs the adoption agency
    no_a = [n for n in pairs if n != "a"]  # while an <a> is open (a new one closes it)
    return tuple(tuple(_next_token(p, plain) for p in (pairs, no_a)) for plain in (False, True))


# (every pattern starts with a literal "<" or "-": re then skips ahead to it quickly)
_RAW_END = {n: re.compile(rf"</(?i:{n})(?=[{_WS}/>])", re.ASCII) for n in _RAW if n != "script"}
# script data: "<!--" escapes it, and inside an escape "<script" makes "</script" not end it
_SCRIPT_STATES = [
    re.compile(rf"<(?:(!--)|/(?i:script)(?=[{_WS}/>]))", re.ASCII),
    re.compile(rf"(-->)|<(?:/(?i:script)(?=[{_WS}/>])|((?i:script)(?=[{_WS}/>])))", re.ASCII),
    re.compile(rf"(-->)|(</(?i:script)(?=[{_WS}/>]))", re.ASCII),
]


def _raw_end(html: str, name: str, pos: int) -> int:
    """Where the end tag that closes raw text element ``name`` starts (its content from ``pos``),
    or -1 if it runs to the end of the page."""
    if name != "script":
        m = _RAW_END[name].search(html, pos)
        return -1 if m is None else m.start()
    state = 0  # 0 script data, 1 escaped, 2 double escaped
    while True:
        m = _SCRIPT_STATES[state].search(html, pos)
        if m is None:
            return -1
        if state == 0:
            if m.group(1) is None:
                return m.start()
            state, pos = 1, m.start() + 2  # "<!-->" ends the escape at once
        elif state == 1:
            if m.group(1) is not None:
                state, pos = 0, m.end()
            elif m.group(2) is not None:
                state, pos = 2, m.end()
            else:
                return m.start()
        else:
            state, pos = (0, m.end()) if m.group(1) is not None else (1, m.end())


def too_complex(html: str, limit: int = MAX_ELEMENTS) -> int | None:
    """None if the parser's work on ``html`` is within ``limit``, else an estimate of it, at least
    ``limit + 1`` (the scan stops there).

    The estimate, in elements (an element with a start tag of more than 128 characters counts one
    more per 128, for the attributes copied into every copy of it), is the sum over the page's tags
    of 1 (the tag's element) plus the weight of the formatting elements that may be in effect after
    it (re-opened at most once per tag: a re-opened element stays open until a later tag closes it;
    lexbor also compares each new one with them), plus the adoption agency's copies at the end tag
    of a formatting element (4 per block it crosses, up to 8).

    A formatting element is in effect from its start tag until an end tag that certainly removes
    it. Tags are read as the tokenizer reads them (quoted attribute values, comments, and raw text
    elements: script with its escapes, style, textarea, title, ..., are not tags), and an end tag
    is not trusted across an element that bounds its scope opened since (table, td, object,
    template, select, svg, math...: the parser ignores the end tag there), nor past 7 tags (the
    adoption agency gives up after 8 blocks). Inside svg and math, where style and script are
    ordinary elements, those are read as tags, with no end tag trusted in comments or CDATA
    sections that may be text. Elements the parser implies (head, body; tbody, tr, colgroup: at
    most 2 for a tag) are not counted; otherwise the estimate can only be too high: markers, the
    3-copy limit and the end tags not trusted would all lower the true count.

    Cost: about 1.2 ms for a development page (140 KB), 3 times the parse. A page too small to
    exceed ``limit`` whatever it holds (tags * (1 + 9 * (tags + characters / 128)) within it: a few
    hundred tags) is let through unscanned."""
    n = len(html)
    tags = html.count("<")
    # At most every start tag is a formatting element, of at most n // 128 extra weight in all:
    # a page this small cannot exceed the limit whatever it holds.
    if tags * (1 + 9 * (tags + n // 128)) <= limit:
        return None
    total = _estimate(html, limit)
    return total if total > limit else None


def _estimate(html: str, limit: int) -> int:
    """The `too_complex` estimate of ``html``, or the first partial sum over ``limit``."""
    n = len(html)
    total = 0
    weight = 0  # of the formatting elements that may be in effect
    seen = 0  # tags so far
    open_fmt: dict[str, list[tuple[int, int, int]]] = {}  # name: [(scope id, seen at start, w)]
    # open scope, foreign, integration-point and raw elements: [name, kind, id, dirty]
    scopes: list[list[Any]] = []
    bottom = top = 0  # id of the innermost one (bottom: none)
    next_id = 1
    foreign = raw = 0  # foreign (svg, math) and raw elements among them
    distrust_to = -1  # end tags before this position may be text: trust none
    trapped = False  # raw text start tags may be ignored (so their content read as tags)
    # from where on "-->", "--!>", ">" and "]]>" are known to be absent (each searched once)
    no_close = no_bang = no_gt = no_cdata = n + 1
    patterns = _next_tokens()
    pos = 0
    while True:
        plain = not (foreign or raw or trapped) and pos >= distrust_to
        m = patterns[plain][bool(open_fmt.get("a"))].match(html, pos)
        assert m is not None  # (everything in the pattern is optional)
        at = m.start("tok")
        stop = m.end() if at < 0 else at
        k = html.count("<", pos, stop)
        guard = scopes[-1] if scopes and scopes[-1][1] >= _INTEG else None
        if k:
            seen += k
            total += k * (1 + weight)
            if guard is not None:
                guard[3] = True
            if total > limit:
                return total
        if at < 0:
            return total  # end of the page, or a tag that never ends (the rest is inside it)
        seen += 1
        end = m.end()
        name = m.group("name")
        if name is not None:
            name = name.lower()
            closing = m.group("end") == "/"
            kind = _KIND[name]
            if guard is not None and not (closing and guard[0] == name):
                guard[3] = True
            if kind == _FMT:
                if not closing:
                    stack = open_fmt.setdefault(name, [])
                    if name == "a" and stack and stack[-1][0] == top:
                        # a new <a> closes the open one: adoption agency, then removed
                        old = stack.pop()
                        total += min(8, seen - stack[0][1] if stack else seen - old[1]) * weight
                        weight -= old[2]
                    w = 1 + (end - at) // 128
                    stack.append((top, seen, w))
                    weight += w
                elif at >= distrust_to and open_fmt.get(name):
                    stack = open_fmt[name]
                    last = stack[-1]
                    inside = seen - stack[0][1] - 1  # tags since the oldest one opened
                    if inside > 0:
                        total += min(8, inside) * weight
                    if last[0] == top and seen - last[1] <= 8:
                        stack.pop()
                        weight -= last[2]
            elif kind == _COL:
                if not closing and any(s[0] == "template" for s in scopes):
                    trapped = True
            elif not closing:
                if kind == _RAW_K and not foreign and not trapped:
                    total += 1 + weight
                    if name == "plaintext":
                        return total
                    pos = _raw_end(html, name, end)
                    if pos < 0:
                        return total
                    continue
                scopes.append([name, kind, next_id, False])
                top = next_id
                next_id += 1
                if len(scopes) > 4096:  # forget the outermost half: never closed, in effect
                    del scopes[:2048]
                    bottom = -1
                if kind == _FOREIGN_K:
                    foreign += 1
                elif kind == _RAW_K:
                    raw += 1
            elif at >= distrust_to and scopes:
                if name in _THROUGH:
                    through = _THROUGH[name]
                    i = len(scopes) - 1
                    floor = max(-1, i - 64)
                    while i > floor and scopes[i][1] == _SCOPE and scopes[i][0] in through:
                        i -= 1
                    if i > floor and scopes[i][0] == name and scopes[i][1] == _SCOPE:
                        del scopes[i:]
                else:
                    last_scope = scopes[-1]
                    if last_scope[0] == name and not (last_scope[1] >= _INTEG and last_scope[3]):
                        scopes.pop()
                        if last_scope[1] == _FOREIGN_K:
                            foreign -= 1
                        elif last_scope[1] == _RAW_K:
                            raw -= 1
                top = scopes[-1][2] if scopes else bottom
            total += 1 + weight
            if total > limit:
                return total
            pos = end
            continue
        # a comment, CDATA section or bogus comment
        if guard is not None:
            guard[3] = True
        total += 1 + weight
        if total > limit:
            return total
        if m.group("comment") is not None:
            if html.startswith(">", end) or html.startswith("->", end):
                close = html.index(">", end) + 1
            else:
                a = html.find("-->", end) if end < no_close else -1
                if a < 0:
                    no_close = min(no_close, end)
                b = html.find("--!>", end, a if a >= 0 else n) if end < no_bang or a >= 0 else -1
                if b < 0 and a < 0:
                    no_bang = min(no_bang, end)
                close = b + 4 if b >= 0 else a + 3 if a >= 0 else -1
        elif m.group("cdata") is not None and foreign:
            q = html.find("]]>", end) if end < no_cdata else -1
            if q < 0:
                no_cdata = min(no_cdata, end)
            close = q + 3 if q >= 0 else -1
            if close < 0:
                close = n
            distrust_to = max(distrust_to, close)  # text in foreign content, else a bogus comment
            pos = end
            continue
        else:
            g = html.find(">", end) if end < no_gt else -1
            if g < 0:
                no_gt = min(no_gt, end)
            close = g + 1 if g >= 0 else -1
        if raw or at < distrust_to:
            # inside an svg <style> or <script>, or a CDATA section, this may be text: read on,
            # trusting no end tag
            distrust_to = max(distrust_to, n if close < 0 else close)
            pos = end
            continue
        if close < 0:
            return total  # the rest of the page is a comment
        pos = close


# Elements the parser closes only at their own end tag or an ancestor's (never implicitly, as it does
# <p>, <li>, <td>, or <a> at the next <a>): left open, each nests the rest of the page one deeper.
_CONTAINERS = (
    "div", "ul", "ol", "dl", "section", "article", "blockquote", "nav", "aside", "header",
    "footer", "main", "form", "fieldset", "figure", "center", "table",
)  # fmt: skip
_CONTAINER_TAG = re.compile(r"<(/?)(" + "|".join(_CONTAINERS) + r")(?=[\s/>])")


def open_containers(html: str, limit: int) -> int | None:
    """None, or at least how deep the containers left open nest ``html`` (over ``limit``), found
    before parsing: some deep nestings (lists of links, ``<ul><li><a>`` repeated) make the HTML5
    parser itself quadratic (80,000 levels: 8 s; a page at the record limit: hours), before
    `too_deep` can look at the tree.

    The parser's cost comes from ``<a>`` elements left open inside containers (the adoption agency
    runs at each new one, over every level between): first four ``str.count`` (``<a`` and ``</a>``
    in both cases, 0.1 ms for a development page, which closes nearly every link it opens; ``<a``
    also counts ``<abbr>``, ``<aside>``... so the gate can only let through too few pages, never
    too many). Only where more than ``limit`` may be left open, a scan keeping the stack of open
    containers, an end tag closing its element and every container opened inside it (as the
    parser does); tags inside comments and scripts count too, so the depth may be overestimated:
    hence a limit well above `MAX_DEPTH` (a real page of the unlabelled set reaches 536)."""
    opened = html.count("<a") + html.count("<A")
    if opened - html.count("</a>") - html.count("</A>") <= limit:
        return None
    low = html.lower()
    stack: list[str] = []
    depth: dict[str, int] = {}  # open elements of each name
    for m in _CONTAINER_TAG.finditer(low):
        name = m.group(2)
        if not m.group(1):
            stack.append(name)
            depth[name] = depth.get(name, 0) + 1
            if len(stack) > limit:
                return len(stack)
        elif depth.get(name):
            while True:  # close it and every container opened inside it
                top = stack.pop()
                depth[top] -= 1
                if top == name:
                    break
    return None


def parse_html(html: str) -> Any:
    """The parsed tree of ``html`` (resiliparse's ``HTMLTree``)."""
    from resiliparse.parse.html import HTMLTree

    return HTMLTree.parse(html)


def _depth_selector(depth: int) -> str:
    # Child combinators only: lexbor matches right to left and each step has one candidate (the
    # parent), so a test costs one step per ancestor, at most ``depth`` (descendant combinators
    # would backtrack).
    return " > ".join(["*"] * depth)


def too_deep(tree: Any, limit: int = MAX_DEPTH) -> int | None:
    """None if no element of ``tree`` has more than ``limit`` element ancestors; else how deep the
    page goes at least: the first element nested ``limit + 1`` deep (``<html>`` is 1), followed down
    its first element children for at most `_DESCEND` levels (4 µs a level in Python).

    The test costs one step per element and ancestor up to ``limit`` (about 0.2 ms for a 1,500-node
    page: 13% of resiliparse extraction), and stops at the first element too deep (in a chain of a
    million ``<div>`` it is found in 1 ms)."""
    if tree.document is None:
        return None
    found = tree.document.query_selector(_depth_selector(limit + 1))
    if found is None:
        return None
    from resiliparse.parse.html import NodeType

    element = NodeType.ELEMENT
    depth, node = limit + 1, found
    for _ in range(_DESCEND):
        child = node.first_child
        while child is not None and child.type is not element:
            child = child.next
        if child is None:
            break
        depth, node = depth + 1, child
    return depth


def _main_text(tree: Any) -> tuple[str | None, str]:
    from resiliparse.extract.html2text import extract_plain_text

    title = (tree.title or "").strip() or None
    text: str = extract_plain_text(
        tree, main_content=True, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=False,
    )  # fmt: skip
    return title, text.strip()


def html_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) of ``html`` by resiliparse; the title comes from ``<title>``. Unbounded on
    deep pages: `extract_page` checks `too_deep` first."""
    return _main_text(parse_html(html))


def html_main_text_bounded(html: str, max_depth: int = MAX_DEPTH) -> tuple[str | None, str] | int:
    """`html_main_text`, or, for a page nested more than ``max_depth`` levels (`too_deep`), how
    deep it goes at least (the main-content pass would take time quadratic in that depth)."""
    tree = parse_html(html)
    depth = too_deep(tree, max_depth)
    return _main_text(tree) if depth is None else depth


def html_to_lines(html: str) -> tuple[str | None, str]:
    """(title, the whole page as WET-like text): every block on its own line, boilerplate included,
    rendered as Common Crawl's WET records and the development set's ``page_text`` are. Linear in
    the page's nodes however deep they nest (1,000,000 nested ``<div>``: 0.8 s)."""
    return _lines_of(parse_html(html))


def html_to_lines_bounded(html: str, max_depth: int = MAX_DEPTH) -> tuple[str | None, str] | int:
    """`html_to_lines`, or, for a page nested more than ``max_depth`` levels (`too_deep`), how deep
    it goes at least: for extractor ``dom``, whose DOM walk parses the page again with selectolax,
    whose parser is quadratic in the depth (10,000 nested ``<div>`` 0.12 s, 20,000 0.45 s,
    1,000,000 would take hours; 256 levels cost nothing)."""
    tree = parse_html(html)
    depth = too_deep(tree, max_depth)
    return _lines_of(tree) if depth is None else depth


def _lines_of(tree: Any) -> tuple[str | None, str]:
    from resiliparse.extract.html2text import extract_plain_text

    title = (tree.title or "").strip() or None
    text: str = extract_plain_text(
        tree, main_content=False, preserve_formatting=True, list_bullets=False, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=True,
        skip_elements=list(NOT_RENDERED),
    )  # fmt: skip
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.replace("\u00ad", ""))
    lines = (" ".join(line.split()) for line in text.splitlines())  # spaces and NBSP collapsed
    return title, "\n".join(line for line in lines if line)


NOT_RENDERED = ("annotation", "rt", "rp")
"""Not in the rendering: a MathML formula's source (``<annotation>``: its TeX, beside the formula
itself) and ruby readings (``<rt>``, ``<rp>``: the furigana over Japanese text, which would cut
its words). Soft hyphens go too, and the text is NFC: a word reads as the same characters whether
the page hyphenated or decomposed it. (`gharbal.extract.dom` skips the same elements.)"""


def trafilatura_main_text(html: str) -> tuple[str | None, str]:
    """(title, main text) by trafilatura (``pip install 'gharbal[trafilatura]'``), comments off."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "extract.html.extractor 'trafilatura' needs gharbal[trafilatura]"
        ) from exc
    text = trafilatura.extract(html, include_comments=False, fast=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None and meta.title else None
    return title, text.strip()
