"""The page as it reads: one flat run of tokens in reading order (text runs,
line breaks, checkbox states, data tables), walked once.

Labels, statements and blocks are found in this run by their words, and a value
is simply the tokens between its label and the next thing the page names,
whatever elements hold either. Each element keeps the span of tokens it holds,
so the markup still bounds a value where it groups a label with its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from lxml import etree, html

from atlas_crawler.extract.boxes import image_state
from atlas_crawler.extract.text import BLOCK_TAGS, line_break

TEXT, BREAK, NEWLINE, BOX, TABLE = range(5)

_SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "option"})
_PREFORMATTED = frozenset({"pre", "textarea"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPECIAL = frozenset({"br", "input", "select", "img"})
_UNCHOSEN_RADIOS = etree.XPath("//input[translate(@type, 'RADIO', 'radio')='radio'][not(@checked)]")
_ANY_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
#: A token with something to read (not only spaces, colons or dashes).
_CONTENT = re.compile(r"[^\s\u00a0\u2007\u202f\u200b\ufeff:;,.\-–—|/]")


class TooDeepError(ValueError):
    """A page nested as deep as the HTML parser builds trees: libxml2 stops there
    and drops the rest of the page, so what is left would make a partial record."""


@cache
def parser_depth_limit() -> int | None:
    """How many levels of nested elements the HTML parser builds (libxml2 as parsel
    calls it: ``recover``, ``huge_tree``; 2,048 with libxml2 2.14) before it stops
    reading, found once by parsing a deeper page; None when it has no such limit.
    Measured, not written down: the limit is libxml2's and changes with it."""
    probe = 10_000
    parser = html.HTMLParser(recover=True, huge_tree=True)
    el = etree.fromstring(b"<html><body>" + b"<div>" * probe + b"</body></html>", parser)
    depth = 1
    while len(el):
        el = el[-1]
        depth += 1
    return depth if depth < probe else None


def check_depth(root: etree._Element) -> None:
    """Raise ``TooDeepError`` when the parser stopped at its depth limit while
    building ``root``'s tree. It stops reading there, so the document's last
    element is that deep: one look down the last children, wherever on the page
    (a table cell included) the nesting was."""
    limit = parser_depth_limit()
    if limit is None:
        return
    el, depth = root.getroottree().getroot(), 1
    while len(el):
        el = el[-1]
        depth += 1
    if depth >= limit:
        raise TooDeepError(
            f"page not read: its elements nest {limit} levels deep, as deep as the HTML parser "
            "(libxml2) reads; it stopped there and dropped the rest of the page"
        )


class Flow:
    """A page's tokens in reading order.

    ``kinds[i]`` is TEXT, BREAK (a block starts or ends), NEWLINE (``br``), BOX
    (a checkbox or box image; ``states[i]`` its state) or TABLE (a data table,
    read elsewhere, its content not in the flow). ``owners[i]`` is the element
    whose own text, tail's parent, box or table the token is; ``starts``/``ends``
    give each element's span ``[start, end)``."""

    def __init__(self, root: etree._Element, tables: Iterable[etree._Element] = ()) -> None:
        self.kinds: list[int] = []
        self.texts: list[str] = []
        self.owners: list[etree._Element] = []
        self.tails: list[bool] = []  # TEXT tokens that are an element's tail
        self.content: list[bool] = []  # tokens with something to read (or a box, a table)
        self.states: dict[int, bool] = {}
        self.starts: dict[etree._Element, int] = {}
        self.ends: dict[etree._Element, int] = {}
        self.table_at: dict[etree._Element, int] = {}
        self.headings: list[int] = []  # where each heading element (``h1``-``h6``) starts
        self.labels: list[etree._Element] = []  # the ``label`` elements, in order
        self.table_lines: dict[int, str] = {}  # a block's table token -> its cells, one per line
        self._tables = set(tables)
        #: Unchosen radio buttons' labels (``( ) Non``) are no part of what the page says.
        self._unchosen = {r.get("id") for r in _UNCHOSEN_RADIOS(root) if r.get("id")}
        check_depth(root)
        body = root.find("body") if root.tag == "html" else None
        self._build(body if body is not None else root)

    # --- building ---------------------------------------------------------
    def _build(self, top: etree._Element) -> None:
        """Walk the page once (local names: this runs for every element of every page)."""
        kinds, texts, owners, tails, content = self.kinds, self.texts, self.owners, self.tails, self.content
        starts, ends, tables, unchosen = self.starts, self.ends, self._tables, self._unchosen
        search = _CONTENT.search

        def add(kind: int, owner: etree._Element, text: str = "") -> int:
            """A token that is no text run: a break, a line break, a box, a table."""
            kinds.append(kind)
            texts.append(text)
            owners.append(owner)
            tails.append(False)
            content.append(kind in (BOX, TABLE))
            return len(kinds) - 1

        def add_text(text: str, owner: etree._Element, tail: bool = False) -> int:
            kinds.append(TEXT)
            texts.append(text)
            owners.append(owner)
            tails.append(tail)
            content.append(text != " " and search(text) is not None)  # not only spaces, colons or dashes
            return len(kinds) - 1

        # An explicit stack, not recursion: a page may nest elements deeper than Python's
        # recursion limit (about 1,000 frames; libxml2 builds trees 2,048 deep). An entry is
        # (element, parent) on the way in, (element, parent, block) on the way out, where
        # ``block`` says whether the element's end is a BREAK.
        stack: list[tuple] = [(top, top.getparent())]
        pop, push = stack.pop, stack.append
        while stack:
            entry = pop()
            el, parent = entry[0], entry[1]
            if len(entry) == 3:  # leaving an element: its closing break, its span, its tail
                if entry[2]:
                    add(BREAK, el)
                ends[el] = len(kinds)
                if (tail := el.tail) and parent is not None:
                    add_text(" " if tail.isspace() else _spaces(tail), parent, True)
                continue
            tag = el.tag
            tag = tag.lower() if isinstance(tag, str) else ""
            if tag == "input" and (el.get("type") or "").lower() == "radio" and el.get("checked") is None:
                continue  # an unchosen option: neither it nor the words after it are said
            if tag == "label":
                if unchosen and el.get("for") in unchosen:
                    continue
                self.labels.append(el)
            if not tag or tag in _SKIPPED:
                if (tail := el.tail) and parent is not None:
                    add_text(" " if tail.isspace() else _spaces(tail), parent, True)
                continue
            starts[el] = len(kinds)
            if el in tables:
                self.table_at[el] = add(TABLE, el)
                push((el, parent, False))
                continue
            block = tag in BLOCK_TAGS
            if block:
                if tag in HEADINGS:
                    self.headings.append(len(kinds))
                add(BREAK, el)
            if tag in _SPECIAL:
                self._special(el, tag, add, add_text)
            elif (text := el.text) is not None:
                if tag in _PREFORMATTED:
                    add_text(text.replace("\r\n", "\n").replace("\r", "\n"), el)
                elif text:
                    add_text(" " if text.isspace() else _spaces(text), el)
            push((el, parent, block))
            if tag != "select" and len(el):
                stack.extend([(child, el) for child in reversed(el)])

    def _special(self, el: etree._Element, tag: str, add: Callable[..., int], add_text: Callable[..., int]) -> None:
        """Elements that show something else than their text: a line break, a
        checkbox or a read-only field, a select's chosen option, a box image."""
        if tag == "br":
            add(NEWLINE, el, "\n")
        elif tag == "input":
            kind = (el.get("type") or "text").lower()
            if kind == "checkbox":
                self.states[add(BOX, el)] = el.get("checked") is not None
            elif kind == "text" and el.get("value"):
                add_text(_spaces(el.get("value")), el)
        elif tag == "select":  # a read-only choice shows its chosen option
            options = list(el.iter("option"))
            chosen = next((o for o in options if o.get("selected") is not None), options[0] if options else None)
            if chosen is not None and chosen.text:
                add_text(_spaces(chosen.text), el)
        elif tag == "img" and (state := image_state(el)) is not None:
            self.states[add(BOX, el)] = state

    # --- reading ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.kinds)

    def span(self, el: etree._Element) -> tuple[int, int]:
        return self.starts.get(el, 0), self.ends.get(el, 0)

    def text(self, indices: Iterable[int]) -> str:
        """The raw text of some tokens (in order), with line breaks where the page
        shows them: ``br``, and block boundaries (``<p>a</p><p>b</p>`` is two lines,
        not a blank line between). A data table is a line break, or its lines
        when a block holds it (``table_lines``)."""
        parts: list[str] = []
        for i in indices:
            kind = self.kinds[i]
            if kind == TEXT:
                parts.append(self.texts[i])
            elif kind == NEWLINE:
                parts.append("\n")
            elif kind in (BREAK, TABLE):
                line_break(parts)
                if i in self.table_lines:
                    parts.append(self.table_lines[i])
                    line_break(parts)
        return "".join(parts)

    def line_of(self, i: int) -> tuple[int, int]:
        """The span of the line token ``i`` is on (between line breaks)."""
        a = i
        while a > 0 and self.kinds[a - 1] in (TEXT, BOX):
            a -= 1
        b = i + 1
        while b < len(self.kinds) and self.kinds[b] in (TEXT, BOX):
            b += 1
        return a, b

    def has_content(self, a: int, b: int) -> bool:
        return any(self.content[a:b])

    def after_words_on_its_line(self, i: int) -> bool:
        """True when something to read stands before token ``i`` on its line."""
        return self.has_content(self.line_of(i)[0], i)


def _spaces(text: str) -> str:
    """Markup whitespace (source line breaks, tabs) is a space; runs of spaces and
    non-breaking spaces are left to the cleaner (a fast path: most runs have none)."""
    if "\n" in text or "\r" in text or "\t" in text:
        return _ANY_WHITESPACE.sub(" ", text)
    return text
