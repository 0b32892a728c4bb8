"""Text of HTML nodes and the one cleaner every string goes through.

HTML semantics: whitespace in the markup (source newlines included) is one space,
``<br>`` and block boundaries are line breaks; then lines are stripped, blank runs
fold to one blank line, unresolved template keys disappear.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})
_PREFORMATTED = frozenset({"pre", "textarea"})  # their line breaks are the page's
#: Elements whose text is not simply their ``.text`` (the leaf fast path skips them).
_SPECIAL_LEAVES = _SKIPPED_TAGS | _PREFORMATTED | {"br", "input"}

_SPACES = re.compile(r"[^\S\n]+|[\u00a0\u2007\u202f\u200b\ufeff]+")
#: Control characters and bidirectional overrides (``U+202E`` turns text around on
#: screen): never part of what a page says, so never part of a record.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ANY_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
_UNRESOLVED_KEY = re.compile(r"\?\?\?[^?\s]*\?\?\?")
#: A bare i18n key: dotted lower-camel identifiers (``pagination.page.precedent``).
_BARE_KEY = re.compile(r"^[a-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
#: Dotted strings that are real values: host names end with a known top-level domain.
_TLDS = frozenset(
    [
        "fr",
        "com",
        "org",
        "net",
        "eu",
        "int",
        "info",
        "gouv",
        "gov",
        "edu",
        "asso",
        "biz",
        "coop",
        "museum",
        "name",
        "pro",
        "tv",
        "io",
    ]
)
_KEY_NAMESPACES = frozenset(["commun", "pagination", "menu", "atlas", "erreur", "message", "libelle", "bouton"])
_AT_TOKEN = re.compile(r"^[\[(]at[\])]$|@", re.IGNORECASE)
_DOTTED_TOKEN = re.compile(r"(?<!\S)[a-z][A-Za-z0-9_]*\.[A-Za-z]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_EDGES = re.compile(r" ?\n ?")  # spaces already folded: at most one each side


def node_text(node: etree._Element | str | None) -> str:
    """Raw text of a node with line breaks where the page shows them."""
    if node is None or isinstance(node, str):
        return nodes_text([node] if node else [])
    if not len(node) and isinstance(name := node.tag, str) and name not in _SPECIAL_LEAVES:
        return _ANY_WHITESPACE.sub(" ", node.text) if node.text else ""  # a leaf, the common case
    parts: list[str] = []
    _collect(node, parts)
    return "".join(parts)


def nodes_text(nodes: Iterable[etree._Element | str]) -> str:
    """Raw text of a run of elements and loose strings (a value made of several
    siblings); a block element among them sits on its own lines."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(_ANY_WHITESPACE.sub(" ", node))
        else:
            _collect(node, parts, block=isinstance(node.tag, str) and node.tag.lower() in BLOCK_TAGS)
    return "".join(parts)


def _collect(node: etree._Element, parts: list[str], block: bool = False, tail: bool = False) -> None:
    """The text of ``node`` (and its tail when ``tail``) into ``parts``. An explicit
    stack, not recursion: a page may nest elements deeper than Python's recursion
    limit. An entry is (node, block, tail) on the way in, (node, block, tail, True)
    on the way out."""
    stack: list[tuple] = [(node, block, tail)]
    pop, push = stack.pop, stack.append
    while stack:
        entry = pop()
        node, block, tail = entry[0], entry[1], entry[2]
        if len(entry) == 4:  # leaving an element: its closing line break, its tail
            if block:
                line_break(parts)
            if tail and node.tail:
                parts.append(_ANY_WHITESPACE.sub(" ", node.tail))
            continue
        tag = node.tag
        tag = tag.lower() if isinstance(tag, str) else None
        if tag is None or tag in _SKIPPED_TAGS:
            if tail and node.tail:
                parts.append(_ANY_WHITESPACE.sub(" ", node.tail))
            continue
        if block:
            line_break(parts)
        if tag == "br":
            parts.append("\n")
        elif tag == "input":  # a read-only form field shows its value
            if (node.get("type") or "text").lower() == "text" and node.get("value"):
                parts.append(_ANY_WHITESPACE.sub(" ", node.get("value")))
        elif node.text:
            parts.append(node.text if tag in _PREFORMATTED else _ANY_WHITESPACE.sub(" ", node.text))
        push((node, block, tail, True))
        for child in reversed(node):
            child_tag = child.tag
            child_tag = child_tag.lower() if isinstance(child_tag, str) else ""
            push((child, child_tag in BLOCK_TAGS, True))


def line_break(parts: list[str]) -> None:
    """A block boundary ends the current line, unless the line is still empty
    (so ``<p>a</p><p>b</p>`` is two lines, not a blank line between, and a text
    never starts with one)."""
    for part in reversed(parts):
        if "\n" in part:
            if part[part.rindex("\n") + 1 :].strip():
                break
            return
        if part.strip():
            break
    if parts:
        parts.append("\n")


def is_template_key(token: str) -> bool:
    """True for an unresolved i18n key such as ``commun.ico.loupe.alter``:
    three or more dotted identifiers, or two under a known key namespace.
    False for host names (``www.evry.fr``), names (``marie.diop``) and
    abbreviations (``S.A.N.``)."""
    if not _BARE_KEY.match(token) or token.startswith("www."):
        return False
    segments = token.split(".")
    if len(segments) < 3 and segments[0] not in _KEY_NAMESPACES:
        return False
    return not (len(segments[-1]) == 2 or segments[-1].lower() in _TLDS)


def may_hold_template_key(text: str) -> bool:
    """A quick test: ``???`` or a dotted identifier token somewhere in ``text``."""
    return "???" in text or _DOTTED_TOKEN.search(text) is not None


def strip_template_keys(line: str) -> str:
    line = _UNRESOLVED_KEY.sub(" ", line)
    if "." not in line:
        return line
    tokens = line.split(" ")
    return " ".join(t for n, t in enumerate(tokens) if not is_template_key(t) or _near_at(tokens, n))


def _near_at(tokens: list[str], n: int) -> bool:
    """A token beside ``[at]`` is half an obfuscated e-mail address, not a key."""
    return any(_AT_TOKEN.match(t) for t in tokens[max(0, n - 1) : n + 2])


#: Texts this long or shorter (labels, titles, column names, pagers) repeat from
#: page to page: each is cleaned once (``_clean_short``).
_SHORT = 120


def clean(value: str | None) -> str | None:
    """The cleaner: fold spaces, drop template keys, strip lines, fold blank
    runs. Returns None for what is left empty, never ``""``."""
    if value is None:
        return None
    return _clean_short(value) if len(value) <= _SHORT else _clean(value)


@lru_cache(maxsize=8192)
def _clean_short(value: str) -> str | None:
    return _clean(value)


def _clean(value: str) -> str | None:
    value = _INVISIBLE.sub("", value)
    if "\n" not in value and "\r" not in value:  # the common case, single line
        line = _SPACES.sub(" ", value)
        if _has_key(line):
            line = _SPACES.sub(" ", strip_template_keys(line))
        return line.strip() or None
    text = _SPACES.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    if _has_key(text):
        text = _SPACES.sub(" ", "\n".join(strip_template_keys(line) for line in text.split("\n")))
    text = _BLANK_RUNS.sub("\n\n", _LINE_EDGES.sub("\n", text)).strip()
    return text or None


def _has_key(text: str) -> bool:
    """Whether ``strip_template_keys`` may change a text whose spaces are folded
    (a sentence's full stop holds no key: only a dotted token or ``???`` may be one)."""
    return ("?" in text or "." in text) and may_hold_template_key(text)


def clean_line(value: str | None) -> str | None:
    """The cleaner for single-line values: line breaks become spaces."""
    text = clean(value)
    return _ANY_WHITESPACE.sub(" ", text) if text and "\n" in text else text


def text_of(node: etree._Element | str | None) -> str | None:
    """Cleaned text of a node, None when empty."""
    return clean(node_text(node))


def _fold_char(char: str) -> str:
    """One character as words compare: ligatures spelt out, accents dropped."""
    char = {"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "’": "'", "‘": "'", "`": "'", "´": "'"}.get(char, char)
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


#: ``_fold_char`` of every character up to the end of the Latin and punctuation
#: blocks, as one table: ``str.translate`` folds a text in one pass, some twenty
#: times faster than normalising it (labels are looked up on every short text).
_FOLD_END = "\u2100"
_FOLD_TABLE = {n: f for n in range(0x80, ord(_FOLD_END)) if (f := _fold_char(chr(n))) != chr(n)}
_FOLD_TABLE.update({ord("`"): "'", 0x200B: " ", 0xFEFF: " "})  # zero-width spaces: spaces for ``split``
#: Characters beyond the table, folded one by one (a page with one ✔ or → in it
#: must not send its whole text through the normalisation).
_BEYOND_TABLE = re.compile(f"[{_FOLD_END}-\U0010ffff]")


def fold(text: str) -> str:
    """Text as words compare: case, accents, ligatures, apostrophes and runs of
    spaces do not matter (``Maître(s) d’œuvre`` -> ``maitre(s) d'oeuvre``)."""
    text = text.translate(_FOLD_TABLE)
    if text and max(text) >= _FOLD_END:  # beyond the table (rare): those characters alone
        text = _BEYOND_TABLE.sub(lambda found: _fold_char(found.group()), text)
    return " ".join(text.casefold().split())


@lru_cache(maxsize=8192)
def label_key(label: str | None) -> str:
    """A label's comparison key: ``fold`` without trailing colons/asterisks
    (``Maître(s) d’œuvre :`` == ``maitre(s) d'oeuvre``). Cached: labels repeat
    on every page (so never call it on a whole page's text; use ``fold``)."""
    if not label:
        return ""
    return fold(label).rstrip(":*").strip()
