"""Mutation harness for "never silently wrong" (issue 17): generated pages
(``tests/markup_gen.py``) rewritten in layouts the reading rules were not built
for, and each parse judged **exact**, **doubted** or a **silent error**.

A mutation rewrites the parsed tree of a page without changing what a person
reads on it: the same words (wrapped, renamed, hidden text added, whitespace),
or the same words where a reader still pairs them (columns reordered, labels
laid out across, a table's title moved), or page furniture a reader skips
(chrome, result banners, an empty table's placeholder row). So the page's record
stays the expected one, and a parse that is not exact must carry doubts
(``item["doubts"]``, ``atlas_crawler/extract/doubts.py``); the unmutated page
must carry none. Each mutation declares what it does to the words a reader sees
(``Mutation.reads``) and ``tests/test_mutations.py`` holds it to that.

    .venv/bin/python -m tests.mutations --examples 2000 --seed 1 [--show 20] [--save-failures DIR]
"""

from __future__ import annotations

import argparse
import html.entities
import itertools
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import lxml.html
from lxml import etree
from scrapy.http import HtmlResponse

from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from atlas_crawler.replica.world import WORDS
from tests.markup_gen import Chooser, Page, RandomChooser, collectivity_page, project_page

T = TypeVar("T")
Element = lxml.html.HtmlElement
Node = etree._Element  # an element or a comment
Slot = tuple[Node, str]  # a run of text: a node's "text" or its "tail"

# --- what a reader knows (the harness' own words, not the parser's) ----------------------
LABELS = (
    "Titre",
    "Année de première signature de la convention",
    "Thématique d'intervention",
    "Sous-thématique d'intervention",
    "Sous-sous-thématique d'intervention",
    "Année de début du partenariat",
    "Le partenariat est",
    "Date de fin du partenariat",
    "Contexte",
    "Historique",
    "Objectif du partenariat",
    "Description détaillée du partenariat",
    "Votre partenariat prend la forme d'un(e)",
    "Maître(s) d'œuvre",
    "Maître(s) d'ouvrage",
    "Bénéficiaire(s)",
    "Autres partenaires du partenariat dans le(s) pays partenaire(s)",
    "Nom",
    "Nom de la collectivité",
    "Type de collectivité",
    "Pays",
    "Région",
    "Département",
    "Site internet",
    "Site web",
)
STATEMENTS = (
    "Le partenariat est triennal",
    "Une communication a été engagée en France",
    "Une communication a été engagée dans les pays partenaires",
    "Une politique d'évaluation a été engagée",
)
#: How the titles of the known tables start (a title carries no data).
TABLE_TITLES = (
    "Autres thématiques",
    "Partenaires étrangers",
    "Contacts dans les partenaires étrangers",
    "Collectivités territoriales partenaires",
    "Financement",
    "Volontaires",
    "Projets de la collectivité",
)
#: The embassy block's heading: it names the post, so it is data, never only a ``summary``.
BLOCK_TITLE = "Contacts dans le poste diplomatique"

BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "center", "dd", "div", "dl", "dt", "fieldset"}
    | {"figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "legend", "li", "main"}
    | {"nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)
#: Elements that may hold blocks: a new block inside one keeps the page valid.
FLOW = frozenset(
    {"div", "section", "article", "td", "th", "dd", "li", "body", "form", "fieldset", "address", "aside"}
    | {"main", "header", "footer", "caption"}
)
#: Elements whose text is no run a mutation may touch (raw text, options, the head).
RAW = frozenset({"textarea", "option", "select", "script", "style", "title", "pre", "head"})
_UNSEEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
_HIDES = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
_CLASS = re.compile(r"\.([A-Za-z_][\w-]*)")
_WORD = re.compile(r"\S+")
_GAP = re.compile(r"[\s\u00a0]+")
GLYPHS = frozenset({"✔", "✘", "☑", "☐", "✓", "✗", "[X]", "[x]", "[ ]", "[]"})


def norm(text: str) -> str:
    """Text as a reader compares it: case, accents, ligatures, apostrophes, spaces,
    a trailing colon and a required field's asterisk do not matter."""
    text = text.replace("’", "'").replace("œ", "oe").replace("Œ", "OE")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(text.casefold().split()).rstrip(" :*")


_KNOWN_TITLES = tuple(norm(t) for t in TABLE_TITLES)
_BLOCK_KEY = norm(BLOCK_TITLE)


@lru_cache(maxsize=512)
def _phrase(phrase: str) -> re.Pattern[str]:
    """A label as pages spell it: any case, either apostrophe, any spaces between
    words; whole words (``Thématique`` is no label in ``Sous-thématique``)."""
    words = [re.escape(word).replace("'", "['’]") for word in phrase.split()]
    return re.compile(r"(?<![\w-])" + r"[\s\u00a0]+".join(words) + r"(?![\w-])", re.IGNORECASE)


# --- the tree ---------------------------------------------------------------------------
@dataclass
class Tree:
    """A page being mutated: its document, the element holding the record's content
    (``#contenu``, held because a mutation may rename its id) and the expected record
    (it names the unknown labels and tables)."""

    root: Element
    content: Element
    record: dict[str, Any]

    def extra_names(self, tables: bool) -> list[str]:
        """The record's unknown tables (``tables``) or unknown labels and statements."""
        return [k for k, v in self.record.get("extra", {}).items() if isinstance(v, list) == tables]


def tree_of(page: Page) -> tuple[Tree, str]:
    """A page to mutate, and the encoding it came in."""
    root, encoding = document(page)
    return Tree(root, root.get_element_by_id("contenu", root.body), page.record), encoding


def document(page: Page) -> tuple[Element, str]:
    """A page's document as a browser builds it, and the encoding it came in."""
    response = HtmlResponse(page.url, body=page.body, headers=page.headers)
    return lxml.html.document_fromstring(response.text), response.encoding


_REFERENCE = re.compile(rb"&#(\d+);")
_CONTENT_TYPE = "content-type"
_HELD = "x-held-content-type"


def serialize(root: Element, encoding: str, references: Chooser | None = None) -> bytes:
    """The document as page bytes in its encoding; with ``references``, every
    non-ASCII character as a decimal, hexadecimal or named character reference."""
    # libxml2 leaves out a <meta http-equiv="Content-Type"> when it writes a page: held under another name
    metas = [
        (m, m.get("http-equiv")) for m in root.iter("meta") if (m.get("http-equiv") or "").lower() == _CONTENT_TYPE
    ]
    for meta, _ in metas:
        meta.set("http-equiv", _HELD)
    text = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    for meta, value in metas:
        meta.set("http-equiv", value)
        text = text.replace(f'http-equiv="{_HELD}"', f'http-equiv="{value}"', 1)
    if references is None:
        return text.encode(encoding, "xmlcharrefreplace")
    c = references

    def reference(found: re.Match[bytes]) -> bytes:
        code = int(found.group(1))
        form = c.choice(["decimal", "hex", "name"])
        if form == "name" and code in html.entities.codepoint2name:
            return f"&{html.entities.codepoint2name[code]};".encode()
        return f"&#x{code:X};".encode() if form == "hex" else found.group()

    return _REFERENCE.sub(reference, text.encode("ascii", "xmlcharrefreplace"))


def _is_element(node: Node) -> bool:
    return isinstance(node.tag, str)


def _el(tag: str, text: str | None = None, **attrs: str) -> Element:
    """A new element (``class_`` for ``class``)."""
    el = lxml.html.Element(tag, {k.rstrip("_"): v for k, v in attrs.items()})
    el.text = text
    return el


def _sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    el = _el(tag, text, **attrs)
    parent.append(el)
    return el


def _get(slot: Slot) -> str:
    node, where = slot
    return (node.text if where == "text" else node.tail) or ""


def _set(slot: Slot, text: str) -> None:
    node, where = slot
    if where == "text":
        node.text = text
    else:
        node.tail = text


def _place(slot: Slot, before: str, node: Node, after: str) -> None:
    """Make the slot's text ``before``, then ``node``, then ``after``."""
    owner, where = slot
    node.tail = after
    if where == "text":
        owner.text = before
        owner.insert(0, node)
    else:
        owner.tail = before
        owner.addnext(node)


def _insert_before(el: Node, node: Node) -> None:
    """Insert ``node`` right before ``el``, spaces around it (text touching ``el`` must not touch it)."""
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + "\n"
    else:
        el.getparent().text = (el.getparent().text or "") + "\n"
    node.tail = "\n"
    el.addprevious(node)


def _insert_after(el: Node, node: Node) -> None:
    """Insert ``node`` right after ``el``, spaces around it."""
    node.tail, el.tail = "\n" + (el.tail or ""), "\n"
    el.addnext(node)


def _wrap(el: Node, outer: Element, inner: Element) -> None:
    """Put ``el`` inside ``inner`` (``outer`` or inside it) where ``el`` was."""
    outer.tail, el.tail = el.tail, None
    el.getparent().replace(el, outer)
    inner.append(el)


def _move_content(source: Element, target: Element) -> None:
    """Move the text and children of ``source`` to the end of ``target``."""
    if source.text:
        if len(target):
            target[-1].tail = (target[-1].tail or "") + source.text
        else:
            target.text = (target.text or "") + source.text
    source.text = None
    for child in list(source):
        target.append(child)


def _has_words(text: str | None) -> bool:
    return bool(text and text.strip())


def _shuffled(c: Chooser, items: Sequence[T]) -> list[T]:
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = c.integer(0, i)
        out[i], out[j] = out[j], out[i]
    return out


# --- what a reader sees ------------------------------------------------------------------
def hiding_classes(root: Element) -> frozenset[str]:
    """Classes a ``<style>`` rule of the page hides."""
    names: set[str] = set()
    for style in root.iter("style"):
        for selectors, body in _RULE.findall(style.text or ""):
            if _HIDES.search(body):
                names.update(_CLASS.findall(selectors))
    return frozenset(names)


def _hides_itself(el: Element, classes: frozenset[str]) -> bool:
    if el.get("hidden") is not None or _HIDES.search(el.get("style") or ""):
        return True
    if el.tag == "input" and (el.get("type") or "").lower() == "hidden":
        return True
    return bool(classes) and not classes.isdisjoint((el.get("class") or "").split())


def is_hidden(el: Element, classes: frozenset[str]) -> bool:
    """Whether a reader cannot see ``el`` (it or an ancestor is hidden)."""
    return any(_hides_itself(node, classes) for node in (el, *el.iterancestors()))


def visible_text(el: Element, classes: frozenset[str]) -> str:
    """The text of ``el`` a reader sees, a space at every block and line break."""
    parts: list[str] = []

    def walk(node: Element) -> None:
        if node.tag in _UNSEEN or _hides_itself(node, classes):
            return
        block = node.tag in BLOCKS or node.tag == "br"
        if block:
            parts.append(" ")
        if node.tag == "input":
            if (node.get("type") or "text").lower() in ("text", "button", "submit", "reset"):
                parts.append(node.get("value") or "")
        elif node.text:
            parts.append(node.text)
        for child in node:
            if _is_element(child):
                walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")

    walk(el)
    return "".join(parts)


def _slots(tree: Tree) -> list[Slot]:
    """The runs of text with words in the content that a reader sees."""
    classes = hiding_classes(tree.root)

    def seen(el: Element) -> bool:
        return el.tag not in RAW and not is_hidden(el, classes)

    out: list[Slot] = []
    for node in tree.content.iter():
        if _is_element(node) and _has_words(node.text) and seen(node):
            out.append((node, "text"))
        if node is not tree.content and _has_words(node.tail) and seen(node.getparent()):
            out.append((node, "tail"))
    return out


def _visible_elements(tree: Tree, *tags: str) -> list[Element]:
    classes = hiding_classes(tree.root)
    return [el for el in tree.content.iter(*tags) if _is_element(el) and not is_hidden(el, classes)]


# --- tables ------------------------------------------------------------------------------
def _cells(row: Element) -> list[Element]:
    return [c for c in row if _is_element(c) and c.tag in ("td", "th")]


def _colspan(cell: Element) -> int:
    value = (cell.get("colspan") or "").strip()
    return int(value) if value.isdigit() else 1


def own_rows(table: Element) -> list[Element]:
    """A table's rows, not those of tables inside it."""
    rows: list[Element] = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if r.tag == "tr")
    return rows


@dataclass
class Titled:
    """A table with a title a reader sees: where the title is (``form``: caption,
    row, legend or before), the element that shows it and what a title before the
    table stands before (the table or its wrapper)."""

    table: Element
    kind: str  # "known" (a known table), "unknown" (named in ``extra``), "block" (the embassy's)
    form: str
    holder: Element
    anchor: Element
    classes: frozenset[str]  # the page's hiding classes

    def rows(self) -> list[Element]:
        """The visible rows under the title."""
        rows = [r for r in own_rows(self.table) if not is_hidden(r, self.classes)]
        return rows[1:] if self.form == "row" else rows

    def header(self) -> Element | None:
        """The header row: a data table's first row; a block's only when it is of ``th`` cells."""
        rows = self.rows()
        if not rows or (self.kind == "block" and not all(c.tag == "th" for c in _cells(rows[0]))):
            return None
        return rows[0] if len(_cells(rows[0])) > 1 else None

    def body(self) -> list[Element]:
        """The rows under the header that fill every column (no placeholder row)."""
        header = self.header()
        if header is None:
            return []
        return [r for r in self.rows()[1:] if len(_cells(r)) == len(_cells(header))]


def _title_kind(text: str, unknown: set[str]) -> str | None:
    key = norm(text)
    if not key or len(key) > 300:
        return None
    if key.startswith(_BLOCK_KEY):
        return "block"
    if key.startswith(_KNOWN_TITLES):
        return "known"
    return "unknown" if key in unknown else None


def titled_tables(tree: Tree) -> list[Titled]:
    """The visible tables whose title a reader sees, in page order."""
    classes = hiding_classes(tree.root)
    unknown = {norm(name) for name in tree.extra_names(tables=True)}
    found: list[Titled] = []
    for table in tree.content.iter("table"):
        if not is_hidden(table, classes) and (titled := _titled(tree, table, unknown, classes)) is not None:
            found.append(titled)
    return found


_TITLE_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6", "p", "div", "section", "b", "strong", "span", "font", "label"})


def _title_like(el: Node) -> bool:
    """An element that may show a title: a heading, a paragraph, a bold text; one
    line (no table, list or paragraph inside)."""
    return (
        _is_element(el)
        and el.tag in _TITLE_TAGS
        and next(el.iterdescendants("table", "ul", "ol", "dl", "p", "br"), None) is None
    )


def _titled(tree: Tree, table: Element, unknown: set[str], classes: frozenset[str]) -> Titled | None:
    def kind_of(el: Element) -> str | None:
        return _title_kind(visible_text(el, classes), unknown)

    caption = table.find("caption")
    if caption is not None and (kind := kind_of(caption)):
        return Titled(table, kind, "caption", caption, table, classes)
    rows = own_rows(table)
    if len(rows) > 1 and len(_cells(rows[0])) == 1 and not is_hidden(rows[0], classes) and (kind := kind_of(rows[0])):
        return Titled(table, kind, "row", rows[0], table, classes)
    fieldset = next(table.iterancestors("fieldset"), None)
    if fieldset is not None and len(fieldset.findall(".//table")) == 1:
        legend = fieldset.find("legend")
        if legend is not None and (kind := kind_of(legend)):
            anchor = table
            while anchor.getparent() is not fieldset:
                anchor = anchor.getparent()
            return Titled(table, kind, "legend", legend, anchor, classes)
    anchor = table
    while True:
        previous = anchor.getprevious()
        if previous is not None:
            if _title_like(previous) and not _has_words(previous.tail) and (kind := kind_of(previous)):
                return Titled(table, kind, "before", previous, anchor, classes)
            return None
        parent = anchor.getparent()
        if parent is tree.content or parent.tag not in ("div", "section", "article", "td") or _has_words(parent.text):
            return None
        anchor = parent


# --- mutations ---------------------------------------------------------------------------
SAME, REORDERED, ADDED, REMOVED = "same", "reordered", "added", "removed"


@dataclass(frozen=True)
class Mutation:
    """A layout change: ``apply`` rewrites the tree in place and returns it, or returns
    None (the tree untouched) when the page has nothing it applies to. ``reads`` is what
    it does to the words a reader sees: the same words in the same order, reordered,
    words added (page furniture) or removed (a title only in ``summary``);
    ``references`` writes the page with character references."""

    name: str
    apply: Callable[[Tree, Chooser], Tree | None]
    reads: str
    references: bool = False


def _inline_chain(c: Chooser, link_ok: bool) -> tuple[Element, Element]:
    """One or two nested inline elements that change nothing on screen: (outer, inner)."""
    chain: list[Element] = []
    for _ in range(c.choice([1, 1, 2])):
        tag = c.choice(["span", "font", "a"] if link_ok and not any(e.tag == "a" for e in chain) else ["span", "font"])
        attrs = {"span": [{}, {"class_": "texte"}], "font": [{}, {"face": "Arial"}, {"color": "#333333"}], "a": [{}]}
        chain.append(_el(tag, **c.choice(attrs[tag])))
    for outer, inner in itertools.pairwise(chain):
        outer.append(inner)
    return chain[0], chain[-1]


def _block_chain(c: Chooser) -> tuple[Element, Element]:
    chain = [_el(c.choice(["div", "section", "div"])) for _ in range(c.choice([1, 1, 2]))]
    for outer, inner in itertools.pairwise(chain):
        outer.append(inner)
    return chain[0], chain[-1]


def _in_link(node: Element) -> bool:
    return node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())


def wrap_inline(tree: Tree, c: Chooser) -> Tree | None:
    """Words (of a value or a label) or an inline element put inside span, font or
    a link without ``href``, once or nested twice."""
    inline = _visible_elements(tree, "label", "b", "strong", "span", "a", "img", "input", "em", "i", "font")
    if not _slots(tree):
        return None
    for _ in range(c.integer(1, 3)):
        if inline and c.chance(0.3):
            el = c.choice(inline)
            outer, inner = _inline_chain(c, not _in_link(el) and el.find(".//a") is None)
            _wrap(el, outer, inner)
            continue
        slot = c.choice(_slots(tree))
        text = _get(slot)
        words = list(_WORD.finditer(text))
        first = c.integer(0, len(words) - 1)
        start, end = (0, len(text)) if c.chance(0.3) else (words[first].start(), c.choice(words[first:]).end())
        container = slot[0] if slot[1] == "text" else slot[0].getparent()
        outer, inner = _inline_chain(c, not _in_link(container))
        inner.text = text[start:end]
        _place(slot, text[:start], outer, text[end:])
    return tree


def _alone_on_its_line(el: Element) -> bool:
    """Nothing shares the line of ``el``: a block around it moves nothing."""
    if el.tag in BLOCKS:
        return True
    previous, following = el.getprevious(), el.getnext()
    before = previous.tail if previous is not None else el.getparent().text
    if _has_words(before) or _has_words(el.tail):
        return False
    return (previous is None or (_is_element(previous) and (previous.tag in BLOCKS or previous.tag == "br"))) and (
        following is None or (_is_element(following) and following.tag in BLOCKS)
    )


_NOT_WRAPPED = frozenset(
    {"li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "legend", "option", "col"}
    | {"colgroup", "br"}
)


def wrap_block(tree: Tree, c: Chooser) -> Tree | None:
    """The content of a block (a value cell, a label cell, a pair), or an element
    alone on its line, put inside one or two new ``div``/``section``: lines stay lines."""
    classes = hiding_classes(tree.root)
    elements = [el for el in tree.content.iter() if _is_element(el) and not is_hidden(el, classes)]
    holders = [el for el in elements if el.tag in FLOW - {"fieldset"} and (len(el) or _has_words(el.text))]
    alone = [
        el
        for el in elements
        if el is not tree.content
        and el.tag not in _NOT_WRAPPED
        and el.getparent().tag in FLOW
        and (el.getparent().tag != "fieldset" or el.tag != "legend")
        and _alone_on_its_line(el)
    ]
    if not holders and not alone:
        return None
    for _ in range(c.integer(1, 2)):
        outer, inner = _block_chain(c)
        if alone and (not holders or c.chance(0.5)):
            _wrap(c.choice(alone), outer, inner)
        else:
            holder = c.choice(holders)
            _move_content(holder, inner)
            holder.append(outer)
    return tree


LOOKALIKES = {
    "b": ("strong",),
    "strong": ("b",),
    "i": ("em",),
    "em": ("i",),
    "div": ("section", "article"),
    "section": ("div", "article"),
    "article": ("div", "section"),
}


def lookalike_tags(tree: Tree, c: Chooser) -> Tree | None:
    """Tags swapped for ones that look the same: b/strong, i/em, div/section/article."""
    elements = list(tree.content.iter(*LOOKALIKES))
    if not elements:
        return None
    for el in [el for el in elements if c.chance(0.5)] or [c.choice(elements)]:
        el.tag = c.choice(LOOKALIKES[el.tag])
    return tree


CLASS_POOL = ("row", "col-md-6", "col-sm-12", "clearfix", "fr-grid-row", "fr-col-12", "zone", "encadre", "mt-2")


def _new_name(c: Chooser) -> str:
    return c.choice([*CLASS_POOL, f"x{c.integer(0, 99999)}", f"bloc-{c.integer(0, 999)}"])


def classes_and_ids(tree: Tree, c: Chooser) -> Tree | None:
    """Classes renamed, dropped or added and ids renamed (``label for`` kept pointing
    at them) or dropped: no style of the page depends on them, except the classes a
    ``<style>`` rule hides, which stay."""
    protected = hiding_classes(tree.root)
    elements = [el for el in tree.root.body.iter() if _is_element(el)]
    names = sorted({n for el in elements for n in (el.get("class") or "").split()} - protected)
    renamed = {n: _new_name(c) for n in names if c.chance(0.4)}
    dropped = {n for n in names if n not in renamed and c.chance(0.3)}
    labelled = {el.get("for") for el in elements if el.get("for")}
    ids: dict[str, str] = {}
    changed = False
    for el in elements:
        old = (el.get("class") or "").split()
        new = [renamed.get(n, n) for n in old if n not in dropped] + ([_new_name(c)] if c.chance(0.08) else [])
        if new != old:
            changed = True
            if new:
                el.set("class", " ".join(new))
            else:
                del el.attrib["class"]
        ident = el.get("id")
        if ident and c.chance(0.5):
            changed = True
            if ident in labelled or c.chance(0.5):
                ids[ident] = f"{c.choice(['champ', 'f', 'id'])}{c.integer(0, 10**6)}"
                el.set("id", ids[ident])
            else:
                del el.attrib["id"]
    for el in elements:
        if el.get("for") in ids:
            el.set("for", ids[el.get("for")])
    return tree if changed else None


# hidden text ------------------------------------------------------------------------------
HIDING_STYLES = ("display:none", "display: none;", "DISPLAY:NONE", "color:#000; display:none", "visibility:hidden")


def _words(c: Chooser, low: int, high: int) -> str:
    text = " ".join(c.choice(WORDS) for _ in range(c.integer(low, high)))
    return text[0].upper() + text[1:]


def _decoy(c: Chooser) -> str:
    """Text that would change the record if it were read: a label and a value, words,
    a state, an amount, an address."""
    kind = c.integer(0, 4)
    if kind == 0:
        return f"{c.choice(LABELS)} : {_words(c, 1, 4)}"
    if kind == 1:
        return _words(c, 2, 6)
    if kind == 2:
        return c.choice(["Oui", "Non", "✔", "☐", "[X]"])
    if kind == 3:
        return f"{c.integer(1, 99)} {c.integer(100, 999)} €"
    return f"contact{c.integer(1, 99)}@exemple.fr"


def _hiding_class(tree: Tree, c: Chooser) -> str:
    existing = sorted(hiding_classes(tree.root))
    if existing and c.chance(0.5):
        return c.choice(existing)
    name = f"{c.choice(['masque', 'cache', 'invisible', 'd-none', 'js-hide'])}{c.integer(1, 99)}"
    rule = c.choice(
        [f".{name}{{display:none}}", f".{name} {{ display: none !important; }}", f".{name}{{visibility:hidden}}"]
    )
    _sub(tree.root.head, "style", rule, type="text/css")
    return name


def _hide(tree: Tree, c: Chooser, how: str, el: Element) -> Element:
    if how == "style":
        el.set("style", c.choice(HIDING_STYLES))
    elif how == "attr":
        el.set("hidden", c.choice(["", "hidden"]))
    else:
        el.set("class", _hiding_class(tree, c))
    return el


def _hidden_node(tree: Tree, c: Chooser, how: str, block: bool) -> Node:
    """Hidden text: a hidden element (inline, or a block that may look like a pair),
    a hidden ``input`` or a comment."""
    text = _decoy(c)
    if how == "comment":
        return etree.Comment(f" {text} ")
    if how == "input":
        return _el("input", type="hidden", name=f"h{c.integer(0, 999)}", value=text)
    if block and c.chance(0.5):
        el = _el("div")
        _sub(el, "label", f"{c.choice(LABELS)} :").tail = " "
        _sub(el, "span", _words(c, 1, 4))
    else:
        el = _el(c.choice(["div", "p"]) if block else "span", text)
    return _hide(tree, c, how, el)


def _hide_once(tree: Tree, c: Chooser, how: str, where: str) -> bool:
    """Hidden text at one place: inside a text (a value or a label), at either end of a
    table cell, between blocks (between pairs) or as a table row."""
    if where == "text":
        slots = _slots(tree)
        if not slots:
            return False
        slot = c.choice(slots)
        text = _get(slot)
        offset = c.choice([*(w.start() for w in _WORD.finditer(text)), len(text)])
        _place(slot, text[:offset], _hidden_node(tree, c, how, block=False), text[offset:])
        return True
    if where == "cell":
        cells = _visible_elements(tree, "td", "th")
        if not cells:
            return False
        cell = c.choice(cells)
        node = _hidden_node(tree, c, how, block=False)
        if c.chance(0.5):
            _place((cell, "text"), "", node, cell.text or "")
        elif len(cell):
            _place((cell[-1], "tail"), cell[-1].tail or "", node, "")
        else:
            _place((cell, "text"), cell.text or "", node, "")
        return True
    if where == "between":
        blocks = [
            el
            for el in _visible_elements(tree, "div", "p", "table", "dl", "ul", "h3", "h4", "fieldset", "section")
            if el is not tree.content and el.getparent().tag in FLOW
        ]
        if not blocks:
            return False
        target = c.choice(blocks)
        (_insert_before if c.chance(0.5) else _insert_after)(target, _hidden_node(tree, c, how, block=True))
        return True
    rows = [r for r in _visible_elements(tree, "tr") if _cells(r)]
    if not rows:
        return False
    row = c.choice(rows)
    if how == "comment":
        node: Node = etree.Comment(f" {_decoy(c)} ")
    else:
        node = _hide(tree, c, how, _el("tr"))
        for cell in _cells(row):
            _sub(node, cell.tag, _decoy(c), **({"colspan": cell.get("colspan")} if cell.get("colspan") else {}))
    (_insert_before if c.chance(0.5) else _insert_after)(row, node)
    return True


def _hider(how: str) -> Callable[[Tree, Chooser], Tree | None]:
    places = ["text", "cell", "between"] + ([] if how == "input" else ["row"])

    def hide(tree: Tree, c: Chooser) -> Tree | None:
        done = [_hide_once(tree, c, how, c.choice(places)) for _ in range(c.integer(1, 3))]
        return tree if any(done) else None

    hide.__doc__ = f"Hidden text ({how}) inside values and labels, in cells, between pairs, as rows."
    return hide


# titles -----------------------------------------------------------------------------------
def _take_title(titled: Titled) -> Element:
    """Remove a table's title from the page; its content, in a loose element."""
    box = _el("div")
    holder = titled.holder
    _move_content(_cells(holder)[0] if titled.form == "row" else holder, box)
    if titled.form == "legend":
        fieldset = holder.getparent()
        holder.drop_tree()
        fieldset.drop_tag()
    else:
        holder.drop_tree()
    return box


def _width(table: Element) -> int:
    return max((sum(_colspan(c) for c in _cells(r)) for r in own_rows(table)), default=1)


def _put_title(titled: Titled, form: str, box: Element, c: Chooser) -> None:
    table = titled.table
    if form == "caption":
        caption = _el("caption")
        _move_content(box, caption)
        table.insert(0, caption)
    elif form == "row":
        row = _el("tr")
        cell = _sub(row, c.choice(["th", "td"]), colspan=str(_width(table)))
        _move_content(box, _sub(cell, "b") if cell.tag == "td" else cell)
        rows = own_rows(table)
        if rows:
            rows[0].addprevious(row)
        else:
            table.append(row)
    elif form == "legend":
        fieldset = _el("fieldset", class_="tableau")
        _move_content(box, _sub(fieldset, "legend"))
        _wrap(titled.anchor, fieldset, fieldset)
    else:
        el = _el(c.choice(["h3", "h4", "p", "div", "b"]))
        _move_content(box, _sub(el, c.choice(["b", "strong"])) if el.tag in ("p", "div") and c.chance(0.5) else el)
        _insert_before(titled.anchor, el)


def move_title(tree: Tree, c: Chooser) -> Tree | None:
    """A table's title moved: from a heading before it into its ``caption``, its
    fieldset's ``legend``, a first row spanning it, or the reverse."""
    candidates = []
    for titled in titled_tables(tree):
        forms = ["row"]
        if titled.form == "caption" or titled.table.find("caption") is None:
            forms.append("caption")
        if titled.form in ("before", "legend") or titled.anchor.getparent().tag in FLOW:
            forms += ["legend", "before"]
        candidates += [(titled, form) for form in forms if form != titled.form]
    if not candidates:
        return None
    titled, form = c.choice(candidates)
    _put_title(titled, form, _take_title(titled), c)
    return tree


def title_in_summary(tree: Tree, c: Chooser) -> Tree | None:
    """A known table's title only in its ``summary`` attribute (read aloud, not shown):
    its columns still say which table it is."""
    known = [t for t in titled_tables(tree) if t.kind == "known"]
    if not known:
        return None
    titled = c.choice(known)
    title = " ".join(visible_text(titled.holder, hiding_classes(tree.root)).split())
    _take_title(titled)
    titled.table.set("summary", title)
    return tree


# box images -------------------------------------------------------------------------------
_BOX_NAME = frozenset({"box", "case", "checkbox", "check", "checked", "unchecked", "coche", "cochee"})
_UNTICKED = frozenset({"unchecked", "off", "vide", "non", "empty", "not", "decochee"})
_TICKED = frozenset({"checked", "on", "coche", "cochee", "ticked"})
BOX_NAMES = {
    True: (
        "caseCochee.gif",
        "case-cochee.png",
        "checked_box.gif",
        "checkbox_on.png",
        "CheckboxChecked.png",
        "box-checked.svg",
        "ico_case_cochee_16.gif",
        "checkbox-checked@2x.png",
    ),
    False: (
        "caseNonCochee.gif",
        "case-non-cochee.png",
        "unchecked_box.gif",
        "checkbox_off.png",
        "CheckboxUnchecked.png",
        "box-unchecked.svg",
        "checkbox-not-checked.png",
        "case_decochee.gif",
        "caseVide.png",
    ),
}


def box_state(src: str | None) -> bool | None:
    """The state a box image's file name shows to a reader of names (a negation
    wins: ``case_non_cochee`` is empty), None for an image that is no box."""
    name = (src or "").split("?")[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()))
    if not words & _BOX_NAME:
        return None
    if words & _UNTICKED:
        return False
    return True if words & _TICKED else None


def box_image_names(tree: Tree, c: Chooser) -> Tree | None:
    """Box images renamed: camelCase, kebab-case, snake_case, French or English, other folders."""
    images = [img for img in _visible_elements(tree, "img") if box_state(img.get("src")) is not None]
    if not images:
        return None
    for img in [img for img in images if c.chance(0.7)] or [c.choice(images)]:
        folder = c.choice(["/cncdext/img/", "../images/", "/static/icons/", "img/"])
        name = c.choice(BOX_NAMES[bool(box_state(img.get("src")))])
        img.set("src", folder + name + c.choice(["", "", "?v=2"]))
    return tree


# reordering -------------------------------------------------------------------------------
def _column_order(c: Chooser, keys: list[str]) -> list[int] | None:
    """A new column order, columns of the same name keeping theirs (a list field
    such as the 1% amounts is read in column order); None when there is no other."""
    for _ in range(5):
        drawn = _shuffled(c, range(len(keys)))
        same: dict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            same[key].append(i)
        order = [same[keys[i]].pop(0) for i in drawn]
        if order != sorted(order):
            return order
    return None


def reorder_columns(tree: Tree, c: Chooser) -> Tree | None:
    """A table's columns in another order, the header and every full row alike."""
    classes = hiding_classes(tree.root)
    tables = []
    for titled in titled_tables(tree):
        header = titled.header()
        if header is not None and all(_colspan(cell) == 1 for cell in _cells(header)):
            tables.append((titled, header))
    if not tables:
        return None
    titled, header = c.choice(tables)
    keys = [norm(visible_text(cell, classes)) for cell in _cells(header)]
    order = _column_order(c, keys)
    if order is None:
        return None
    for row in titled.rows():
        cells = _cells(row)
        if len(cells) != len(keys) or any(_colspan(cell) != 1 for cell in cells):
            continue
        places = [row.index(cell) for cell in cells]
        for cell in cells:
            row.remove(cell)
        for place, column in zip(places, order, strict=True):
            row.insert(place, cells[column])
    return tree


def _is_box(el: Element, classes: frozenset[str]) -> bool:
    """An element that only shows a box: a checkbox, a box image, a glyph."""
    if el.tag == "input":
        return (el.get("type") or "").lower() == "checkbox"
    if el.tag == "img":
        return box_state(el.get("src")) is not None
    words = visible_text(el, classes).split()
    boxes = [b for b in el.iter("input", "img") if _is_box(b, classes)]
    return (" ".join(words) in GLYPHS and not boxes) or (not words and len(boxes) == 1)


def swap_box_side(tree: Tree, c: Chooser) -> Tree | None:
    """A statement and its box (cells, spans, blocks, ``label for``) swapped: a box
    before or after its statement reads the same."""
    classes = hiding_classes(tree.root)
    pairs = []
    for el in _visible_elements(tree):
        if len(el) != 2 or not all(_is_element(k) for k in el) or _has_words(el.text) or _has_words(el[0].tail):
            continue
        boxes = [_is_box(k, classes) for k in el]
        if boxes.count(True) == 1 and len(visible_text(el[boxes.index(False)], classes).split()) > 1:
            pairs.append(el)
    if not pairs:
        return None
    for el in [el for el in pairs if c.chance(0.5)] or [c.choice(pairs)]:
        first, second = el[0], el[1]
        first.tail, second.tail = second.tail, first.tail
        el.remove(second)
        el.insert(0, second)
    return tree


# labels -----------------------------------------------------------------------------------
def _label_matches(tree: Tree, alone: bool) -> list[tuple[Slot, re.Match[str]]]:
    """Labels and statements of two words or more in the visible texts; only those
    that are the whole text of their element when ``alone`` (a line break in a label
    among text lines would make one line two)."""
    classes = hiding_classes(tree.root)
    phrases = [p for p in (*LABELS, *STATEMENTS, *tree.extra_names(tables=False)) if len(p.split()) > 1]
    found = []
    for slot in _slots(tree):
        text = _get(slot)
        container = slot[0] if slot[1] == "text" else slot[0].getparent()
        for phrase in phrases:
            for match in _phrase(phrase).finditer(text):
                if not alone or norm(visible_text(container, classes)) == norm(match.group()):
                    found.append((slot, match))
    return found


def _gaps(found: re.Match[str]) -> list[tuple[int, int]]:
    return [(found.start() + g.start(), found.start() + g.end()) for g in _GAP.finditer(found.group())]


def label_br(tree: Tree, c: Chooser) -> Tree | None:
    """A label or statement that is its element's whole text broken over two lines
    (``<th>Année de<br>début du partenariat</th>``)."""
    if not _label_matches(tree, alone=True):
        return None
    for _ in range(c.integer(1, 2)):
        matches = _label_matches(tree, alone=True)
        if not matches:
            break
        slot, found = c.choice(matches)
        text = _get(slot)
        start, end = c.choice(_gaps(found))
        _place(slot, text[:start], _el("br"), c.choice(["", "\n", " "]) + text[end:])
    return tree


def label_spans(tree: Tree, c: Chooser) -> Tree | None:
    """A label or statement split over inline elements (``<span>Année de</span> <span>début</span>``)."""
    matches = _label_matches(tree, alone=False)
    if not matches:
        return None
    slot, found = c.choice(matches)
    text = _get(slot)
    gaps = _gaps(found)
    cuts = sorted(_shuffled(c, gaps)[: c.integer(1, min(2, len(gaps)))])
    starts = [found.start(), *(end for _, end in cuts)]
    ends = [*(start for start, _ in cuts), found.end()]
    tails = [*(text[start:end] for start, end in cuts), text[found.end() :]]
    pieces = [_el(c.choice(["span", "span", "font"]), text[a:b]) for a, b in zip(starts, ends, strict=True)]
    _place(slot, text[: found.start()], pieces[0], tails[0])
    for previous, piece, tail in zip(pieces, pieces[1:], tails[1:], strict=False):
        piece.tail = tail
        previous.addnext(piece)
    return tree


def pairs_across(tree: Tree, c: Chooser) -> Tree | None:
    """Label/value pairs laid out across: a row of label cells above a row of value
    cells (table rows of pairs, or a ``dl``)."""
    classes = hiding_classes(tree.root)
    labels = {norm(p) for p in (*LABELS, *tree.extra_names(tables=False))}

    def label(el: Element) -> bool:
        return norm(visible_text(el, classes)) in labels

    def pair(row: Element) -> bool:
        """A label cell and a value cell that is no label's words (``Région``: a
        label over it would read as two labels)."""
        cells = _cells(row)
        return (
            len(cells) == 2
            and all(_colspan(cell) == 1 for cell in cells)
            and not is_hidden(row, classes)
            and label(cells[0])
            and not label(cells[1])
        )

    runs: list[list[Element]] = []
    for table in _visible_elements(tree, "table"):
        if any(len(cells) > 1 and all(map(label, cells)) for cells in map(_cells, own_rows(table))):
            continue  # already across
        run: list[Element] = []
        for row in [*own_rows(table), None]:
            if row is not None and pair(row) and (not run or row.getprevious() is run[-1]):
                run.append(row)
                continue
            if run:
                runs.append(run)
            run = [row] if row is not None and pair(row) else []
    lists = []
    for dl in _visible_elements(tree, "dl"):
        kids = list(dl)
        if (
            len(kids) >= 2
            and len(kids) % 2 == 0
            and all(_is_element(k) and k.tag == ("dt", "dd")[n % 2] for n, k in enumerate(kids))
            and all(label(dt) and not label(dd) for dt, dd in zip(kids[::2], kids[1::2], strict=True))
        ):
            lists.append(dl)
    if not runs and not lists:
        return None
    if lists and (not runs or c.chance(0.5)):
        dl = c.choice(lists)
        table = _el("table")
        heads, values = _sub(table, "tr"), _sub(table, "tr")
        kids = list(dl)
        for dt, dd in zip(kids[::2], kids[1::2], strict=True):
            _move_content(dt, _sub(heads, c.choice(["th", "td"])))
            _move_content(dd, _sub(values, "td"))
        table.tail = dl.tail
        dl.getparent().replace(dl, table)
        return tree
    run = c.choice(runs)
    first = c.integer(0, len(run) - 1)
    chosen = run[first : first + c.integer(1, min(4, len(run) - first))]
    heads, values = _el("tr"), _el("tr")
    for row in chosen:
        head, value = _cells(row)
        heads.append(head)
        values.append(value)
    chosen[0].addprevious(heads)
    chosen[0].addprevious(values)
    for row in chosen:
        row.drop_tree()
    return tree


# furniture --------------------------------------------------------------------------------
CHROME = {
    "cookies": (
        ("body start", "body end"),
        (
            '<div id="bandeau-cookies" role="dialog"><p>Ce site utilise des cookies pour mesurer son audience. '
            '<a href="/cncdext/dyn/public/cookies.html">En savoir plus</a></p>'
            '<button type="button">Tout accepter</button> <button type="button">Tout refuser</button></div>',
            '<div class="cookie-banner"><span>En poursuivant votre navigation, vous acceptez les cookies.</span> '
            '<a href="#" class="fermer">OK</a></div>',
        ),
    ),
    "feedback": (
        ("content end", "after content", "body end"),
        (
            '<p class="avis"><a href="/cncdext/dyn/public/contact.html">Donnez votre avis sur cette page</a></p>',
            '<div class="feedback"><a href="mailto:atlas@diplomatie.gouv.fr">Signaler une erreur sur cette fiche</a></div>',
        ),
    ),
    "buttons": (
        ("after heading", "content end"),
        (
            '<div class="boutons"><a href="javascript:history.back()">Retour</a> '
            '<a href="javascript:window.print()">Imprimer</a></div>',
            '<p class="actions"><input type="button" value="Retour" onclick="history.back()"> '
            '<input type="button" value="Imprimer" onclick="window.print()"></p>',
            '<div class="barre-outils"><button type="button">« Retour à la liste</button> '
            '<button type="button">Imprimer la fiche</button></div>',
        ),
    ),
    "notice": (
        ("before content", "after content"),
        (
            '<p class="avertissement">Les informations de l\'atlas sont déclarées par les collectivités elles-mêmes.</p>',
            '<div class="bandeau-info"><p>Dernière mise à jour : 12 mars 2024</p></div>',
            '<p class="notice">Atlas mis à jour chaque semaine. Contact : atlas.cncd@diplomatie.gouv.fr</p>',
        ),
    ),
}


def page_chrome(tree: Tree, c: Chooser) -> Tree | None:
    """Page furniture outside the record's content: a cookie banner, a feedback link,
    a Retour/Imprimer bar, a notice in the header or footer."""
    body, content = tree.root.body, tree.content
    for _ in range(c.integer(1, 2)):
        places, snippets = CHROME[c.choice(list(CHROME))]
        node = lxml.html.fragment_fromstring(c.choice(snippets))
        place = c.choice(places)
        heading = content.find(".//h1")
        if place == "after heading" and heading is not None:
            _insert_after(heading, node)
        elif place in ("before content", "after content") and content is not body:
            (_insert_before if place == "before content" else _insert_after)(content, node)
        elif place in ("body start", "before content", "after heading"):
            (content if place == "after heading" else body).insert(0, node)
            node.tail = "\n"
        else:
            (content if place == "content end" else body).append(node)
    return tree


def _banner(tree: Tree, c: Chooser, make: Callable[[Chooser, int], str]) -> Tree | None:
    """A banner made for a table's row count, between the table's title and the table
    (or after the table)."""
    tables = [t for t in titled_tables(tree) if t.kind != "block" and t.header() is not None]
    if not tables:
        return None
    titled = c.choice(tables)
    node = lxml.html.fragment_fromstring(make(c, len(titled.body())))
    (_insert_before if c.chance(0.7) else _insert_after)(titled.anchor, node)
    return tree


def _results(c: Chooser, rows: int) -> str:
    if rows == 0:
        text = "Aucun élément trouvé."
    elif rows == 1:
        text = "Un élément trouvé."
    else:
        text = c.choice(
            [f"{rows} éléments trouvés, affichage de 1 à {rows}.", f"{rows} éléments trouvés, tous affichés."]
        )
    tag = c.choice(["span", "div"])
    return f'<{tag} class="pagebanner">{text}</{tag}>'


def _pager(c: Chooser, rows: int) -> str:
    links = c.choice(
        ["[Premier/Préc] <strong>1</strong> [Suiv/Dernier]", "[Premier/Préc] 1 [Suiv/Dernier]", "<strong>1</strong>"]
    )
    return f'<span class="pagelinks">{links}</span>'


def results_banner(tree: Tree, c: Chooser) -> Tree | None:
    """A displaytag results banner (``3 éléments trouvés, affichage de 1 à 3.``) by a
    table: the count is the table's own, all on this page."""
    return _banner(tree, c, _results)


def empty_pager(tree: Tree, c: Chooser) -> Tree | None:
    """A displaytag pager with no page beyond the first
    (``[Premier/Préc] 1 [Suiv/Dernier]``) by a table."""
    return _banner(tree, c, _pager)


PLACEHOLDERS = ("Aucun élément à afficher.", "Aucun élément trouvé.", "Nothing found to display.", "Aucune donnée")


def empty_placeholder(tree: Tree, c: Chooser) -> Tree | None:
    """The placeholder row of an empty table (``Aucun élément à afficher.``)."""
    empty = [
        (t, h) for t in titled_tables(tree) if t.kind != "block" and (h := t.header()) is not None and not t.body()
    ]
    if not empty:
        return None
    titled, header = c.choice(empty)
    row = _el("tr", class_=c.choice(["empty", "vide", "impair"]))
    _sub(row, "td", c.choice(PLACEHOLDERS), colspan=str(sum(_colspan(cell) for cell in _cells(header))))
    if header.getparent().tag == "thead":
        body = titled.table.find("tbody")
        if body is None:
            body = _el("tbody")
            header.getparent().addnext(body)
        body.insert(0, row)
    else:
        _insert_after(header, row)
    return tree


# noise ------------------------------------------------------------------------------------
RUNS = (" ", "  ", "\n", "\t", "\n\t\t", " \n    ", "\r\n  ")
_ASCII_RUN = re.compile(r"[ \t\r\n]+")


def whitespace(tree: Tree, c: Chooser) -> Tree | None:
    """Runs of spaces rewritten as tabs, newlines, several spaces, a non-breaking
    space (inside text only: between elements it would be text)."""
    changed = False
    for node in tree.root.body.iter():
        for where in ("text", "tail"):
            slot = (node, where)
            container = node if where == "text" else node.getparent()
            if (where == "text" and not _is_element(node)) or container is None or container.tag in RAW:
                continue
            text = _get(slot)
            if not text or not c.chance(0.3):
                continue
            words = _has_words(text)
            new = _ASCII_RUN.sub(
                lambda run, words=words: "\u00a0" if words and run.group() == " " and c.chance(0.3) else c.choice(RUNS),
                text,
            )
            if new != text:
                _set(slot, new)
                changed = True
    return tree if changed else None


def references(tree: Tree, c: Chooser) -> Tree:
    """Every non-ASCII character written as a character reference (``&eacute;``,
    ``&#xE9;``, ``&#233;``, ``&nbsp;``): the tree is unchanged, the bytes are not."""
    return tree


def layout_tables(tree: Tree, c: Chooser) -> Tree | None:
    """The content (or the whole body) inside one to three nested layout tables,
    with empty spacer cells."""
    target = tree.content if c.chance(0.7) else tree.root.body
    top = table = _el("table", width="100%", cellpadding="0", cellspacing="0", border="0")
    levels = c.integer(1, 3)
    for level in range(levels):
        row = _sub(table, "tr")
        if c.chance(0.4):
            _sub(row, "td", c.choice(["\u00a0", None]), width="10")
        cell = _sub(row, "td", valign="top")
        if c.chance(0.3):
            _sub(_sub(row, "td"), "img", src="/cncdext/img/pixel.gif", width="1", height="1", alt="")
        if level < levels - 1:
            table = _sub(cell, "table", width="100%")
    _move_content(target, cell)
    target.text = "\n"
    target.append(top)
    return tree


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("wrap_inline", wrap_inline, SAME),
    Mutation("wrap_block", wrap_block, SAME),
    Mutation("lookalike_tags", lookalike_tags, SAME),
    Mutation("classes_and_ids", classes_and_ids, SAME),
    Mutation("hidden_style", _hider("style"), SAME),
    Mutation("hidden_attribute", _hider("attr"), SAME),
    Mutation("hidden_class", _hider("class"), SAME),
    Mutation("hidden_input", _hider("input"), SAME),
    Mutation("comment", _hider("comment"), SAME),
    Mutation("move_title", move_title, REORDERED),
    Mutation("title_in_summary", title_in_summary, REMOVED),
    Mutation("box_image_names", box_image_names, SAME),
    Mutation("reorder_columns", reorder_columns, REORDERED),
    Mutation("swap_box_side", swap_box_side, REORDERED),
    Mutation("label_br", label_br, SAME),
    Mutation("label_spans", label_spans, SAME),
    Mutation("pairs_across", pairs_across, REORDERED),
    Mutation("page_chrome", page_chrome, ADDED),
    Mutation("results_banner", results_banner, ADDED),
    Mutation("empty_pager", empty_pager, ADDED),
    Mutation("empty_placeholder", empty_placeholder, ADDED),
    Mutation("whitespace", whitespace, SAME),
    Mutation("references", references, SAME, references=True),
    Mutation("layout_tables", layout_tables, SAME),
)


@dataclass(frozen=True)
class Mutated:
    """A mutated page and the mutations that made it, in order."""

    names: tuple[str, ...]
    page: Page


def apply_mutations(page: Page, mutations: Sequence[Mutation], c: Chooser, count: int | None = None) -> Mutated | None:
    """``mutations`` tried in order on ``page`` (at most ``count`` applied); None when none applies."""
    tree, encoding = tree_of(page)
    applied = []
    for mutation in mutations:
        if mutation.apply(tree, c) is not None:
            applied.append(mutation)
            if len(applied) == count:
                break
    if not applied:
        return None
    body = serialize(tree.root, encoding, c if any(m.references for m in applied) else None)
    return Mutated(tuple(m.name for m in applied), Page(page.record, page.url, body, page.headers))


def mutate(page: Page, c: Chooser) -> Mutated | None:
    """One to three mutations drawn at random, composed."""
    return apply_mutations(page, _shuffled(c, MUTATIONS), c, count=c.choice([1, 1, 2, 3]))


# --- judging -----------------------------------------------------------------------------
EXACT, DOUBTED, SILENT, CRASHED = "exact", "doubted", "silent", "crashed"
VERDICTS = (EXACT, DOUBTED, SILENT, CRASHED)
#: Read from the page's address, which no mutation touches: not counted in field accuracy.
ADDRESS_FIELDS = frozenset({"type", "id", "url"})


@dataclass(frozen=True)
class Outcome:
    """How one parse compares with the expected record."""

    verdict: str
    differences: dict[str, dict[str, Any]]
    doubts: list[dict[str, Any]]
    fields: int
    exact_fields: int
    record: dict[str, Any] | None = None


def parse(page: Page) -> dict[str, Any]:
    """The page's record as a crawl reads it, doubts included, ``crawled_at`` left out."""
    response = HtmlResponse(page.url, body=page.body, headers=page.headers)
    item = parse_project(response).item if page.record["type"] == "project" else parse_collectivity(response)
    record = dict(item)
    record.pop("crawled_at", None)
    return record


def classify(record: dict[str, Any], expected: dict[str, Any]) -> Outcome:
    """Exact (equal to ``expected``, doubts aside), doubted (not exact, with doubts)
    or silent (not exact, no doubt)."""
    got = dict(record)
    doubts = got.pop("doubts", None) or []
    differences = {k: {"got": got.get(k), "expected": v} for k, v in expected.items() if got.get(k) != v}
    fields = [k for k in expected if k not in ADDRESS_FIELDS]
    verdict = EXACT if not differences else DOUBTED if doubts else SILENT
    return Outcome(verdict, differences, doubts, len(fields), sum(k not in differences for k in fields), got)


def judge(page: Page) -> Outcome:
    """Parse and classify a page; a parser exception is a crash (loud, but a failure)."""
    try:
        record = parse(page)
    except Exception as error:  # any exception: the page must still be judged
        fields = sum(k not in ADDRESS_FIELDS for k in page.record)
        return Outcome(CRASHED, {"(parse)": {"got": repr(error), "expected": "a record"}}, [], fields, 0)
    return classify(record, page.record)


@dataclass(frozen=True)
class Failure:
    """A mutated page parsed wrong without a doubt (or crashed)."""

    seed: int
    kind: str
    names: tuple[str, ...]
    verdict: str
    differences: dict[str, dict[str, Any]]


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Summary:
    """Counts per mutation (a page counts under each mutation it had), field accuracy
    over the mutated pages, false doubts on the unmutated ones, the failures."""

    examples: int
    seed: int
    rows: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    wrong_fields: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mutated: Counter[str] = field(default_factory=Counter)
    unmutated: Counter[str] = field(default_factory=Counter)
    fields: int = 0
    exact_fields: int = 0
    false_doubts: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)
    #: Mutated pages left unjudged: their unmutated page already parses wrong.
    not_judged: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def silent(self) -> int:
        """Silent errors, on mutated and unmutated pages."""
        return self.mutated[SILENT] + self.unmutated[SILENT]

    @property
    def crashed(self) -> int:
        return self.mutated[CRASHED] + self.unmutated[CRASHED]

    @property
    def field_accuracy(self) -> float:
        return self.exact_fields / self.fields if self.fields else 1.0

    def add(self, seed: int, mutated: Mutated, outcome: Outcome) -> None:
        self.mutated[outcome.verdict] += 1
        self.fields += outcome.fields
        self.exact_fields += outcome.exact_fields
        for name in mutated.names:
            self.rows[name][outcome.verdict] += 1
            if outcome.verdict in (SILENT, CRASHED):
                self.wrong_fields[name].update(list(outcome.differences))
                if len(mutated.names) == 1:
                    self.rows[name][f"{outcome.verdict} alone"] += 1
        if outcome.verdict in (SILENT, CRASHED):
            kind = mutated.page.record["type"]
            self.failures.append(Failure(seed, kind, mutated.names, outcome.verdict, outcome.differences))

    def table(self) -> str:
        head = f"{'mutation':20} {'pages':>6} {'exact':>6} {'doubted':>7} {'silent':>6} {'alone':>5} {'crashed':>7}"
        lines = [head + "  fields wrong on silent pages", "-" * (len(head) + 30)]

        def line(name: str, counts: Counter[str], wrong: Counter[str] | None = None) -> str:
            pages = sum(counts[v] for v in VERDICTS)
            top = ", ".join(f"{f} {n}" for f, n in wrong.most_common(4)) if wrong else ""
            return (
                f"{name:20} {pages:6} {counts[EXACT]:6} {counts[DOUBTED]:7} {counts[SILENT]:6}"
                f" {counts[f'{SILENT} alone']:5} {counts[CRASHED]:7}  {top}"
            )

        lines += [line(m.name, self.rows[m.name], self.wrong_fields[m.name]) for m in MUTATIONS if m.name in self.rows]
        lines += [
            "-" * (len(head) + 30),
            line("all mutated pages", self.mutated),
            line("unmutated pages", self.unmutated),
        ]
        lines += [
            f"field accuracy on mutated pages: {self.field_accuracy:.4f} ({self.exact_fields}/{self.fields})",
            f"silent errors: {self.silent} ({self.unmutated[SILENT]} on unmutated pages)"
            f"   false doubts (on exact unmutated pages): {len(self.false_doubts)}   crashes: {self.crashed}",
            f"{self.examples} examples, seed {self.seed}; mutated pages not judged (their unmutated page is"
            f" not exact): {self.not_judged}",
        ]
        return "\n".join(lines)

    def shown(self, count: int) -> str:
        """The first failures: of unmutated pages (a quarter at most), then of one
        mutation alone, a mutation at a time, then of composed ones; the first false doubts."""
        alone: dict[str, list[Failure]] = defaultdict(list)
        for failure in self.failures:
            if len(failure.names) == 1:
                alone[failure.names[0]].append(failure)
        picked = [f for f in self.failures if not f.names][: count // 4]
        while len(picked) < count and any(alone.values()):
            for name in [m.name for m in MUTATIONS]:
                if alone[name] and len(picked) < count:
                    picked.append(alone[name].pop(0))
        picked += [f for f in self.failures if len(f.names) > 1][: count - len(picked)]
        lines = []
        for f in picked:
            lines.append(f"[{f.verdict}] seed {f.seed} ({f.kind}): {' + '.join(f.names) or 'unmutated'}")
            lines += [
                f"    {name}: got {_short(d['got'])}\n    {' ' * len(name)}  expected {_short(d['expected'])}"
                for name, d in list(f.differences.items())[:3]
            ]
        for seed, doubts in self.false_doubts[:count]:
            lines.append(f"[false doubt] seed {seed}: {_short(doubts, 300)}")
        return "\n".join(lines)

    def report(self, show: int = 0) -> str:
        return self.table() + ("\n\n" + self.shown(show) if show else "")


def example(seed: int) -> tuple[Page, Mutated | None]:
    """Example ``seed``: a project page (even seeds) or a collectivity page (odd), and
    its mutation (choices drawn apart from the page's, reproducibly)."""
    make = project_page if seed % 2 == 0 else collectivity_page
    page = make(RandomChooser(2 * seed))
    return page, mutate(page, RandomChooser(2 * seed + 1))


def _save(folder: Path, original: Page, mutated: Mutated, outcome: Outcome, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page = mutated.page
    (folder / "page.html").write_bytes(page.body)
    (folder / "original.html").write_bytes(original.body)
    (folder / "expected.json").write_text(json.dumps(page.record, ensure_ascii=False, indent=1), "utf-8")
    (folder / "got.json").write_text(json.dumps(outcome.record, ensure_ascii=False, indent=1, default=str), "utf-8")
    meta = {
        "seed": seed,
        "mutations": mutated.names,
        "verdict": outcome.verdict,
        "url": page.url,
        "headers": page.headers,
        "wrong_fields": sorted(outcome.differences),
        "parse": f"python -m atlas_crawler.parse {folder / 'page.html'} --url '{page.url}'"
        f" --content-type '{page.headers.get('Content-Type', '')}'",
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")


def run(examples: int, seed: int, save_failures: Path | None = None) -> Summary:
    """``examples`` generated pages, each parsed as it is (a doubt on an exact parse is
    a false doubt) and mutated (judged exact, doubted, silent or crashed)."""
    summary = Summary(examples, seed)
    for i in range(examples):
        s = seed * 1_000_003 + i
        original, mutated = example(s)
        base = judge(original)
        summary.unmutated[base.verdict] += 1
        if base.verdict == EXACT and base.doubts:
            summary.false_doubts.append((s, base.doubts))
        if base.verdict in (SILENT, CRASHED):
            summary.failures.append(Failure(s, original.record["type"], (), base.verdict, base.differences))
        if base.verdict != EXACT:  # what the mutation did could not be told from what the page did
            summary.not_judged += mutated is not None
            continue
        if mutated is None:
            continue
        outcome = judge(mutated.page)
        summary.add(s, mutated, outcome)
        if save_failures is not None and outcome.verdict in (SILENT, CRASHED):
            _save(save_failures / f"{s}-{'+'.join(mutated.names)}", original, mutated, outcome, s)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutations", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=1000, help="generated pages (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=0, help="print this many failures (and false doubts)")
    parser.add_argument("--save-failures", type=Path, help="write each failing page (page.html, expected.json, …) here")
    args = parser.parse_args(argv)
    summary = run(args.examples, args.seed, args.save_failures)
    print(summary.report(args.show))
    return 1 if summary.silent or summary.false_doubts or summary.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
