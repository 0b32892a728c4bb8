"""Text of HTML nodes and the one cleaner every string goes through.

HTML semantics: whitespace in the markup (source newlines included) is one space,
``<br>`` and block boundaries are line breaks; then lines are stripped, blank runs
fold to one blank line, unresolved template keys disappear.
"""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

BLOCK_TAGS = frozenset(
    "address article aside blockquote caption center dd div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr legend li main nav ol p pre section table tbody "
    "td tfoot th thead tr ul".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})

_SPACES = re.compile(r"[^\S\n]+|[\u00a0\u2007\u202f\u200b\ufeff]+")
_ANY_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
_UNRESOLVED_KEY = re.compile(r"\?\?\?[^?\s]*\?\?\?")
#: A bare i18n key: dotted lower-camel identifiers (``pagination.page.precedent``).
_BARE_KEY = re.compile(r"^[a-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
#: Dotted strings that are real values: host names end with a known top-level domain.
_TLDS = frozenset(
    "fr com org net eu int info gouv gov edu asso biz coop museum name pro tv io".split()
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def node_text(node: etree._Element | str | None) -> str:
    """Raw text of a node with line breaks where the page shows them."""
    if node is None:
        return ""
    if isinstance(node, str):
        return _ANY_WHITESPACE.sub(" ", node)
    parts: list[str] = []
    _collect(node, parts, top=True)
    return "".join(parts)


def _collect(node: etree._Element, parts: list[str], top: bool = False) -> None:
    tag = node.tag if isinstance(node.tag, str) else None
    if tag is not None and tag not in _SKIPPED_TAGS:
        tag = tag.lower()
        block = tag in BLOCK_TAGS and not top
        if block:
            parts.append("\n")
        if tag == "br":
            parts.append("\n")
        elif node.text:
            parts.append(_ANY_WHITESPACE.sub(" ", node.text))
        for child in node:
            _collect(child, parts)
        if block:
            parts.append("\n")
    if not top and node.tail:
        parts.append(_ANY_WHITESPACE.sub(" ", node.tail))


def is_template_key(token: str) -> bool:
    """True for an unresolved i18n key such as ``commun.ico.loupe.alter``;
    false for host names (``www.evry.fr``), e-mails and abbreviations (``S.A.N.``)."""
    if not _BARE_KEY.match(token) or token.startswith("www."):
        return False
    last = token.rsplit(".", 1)[-1]
    return not (len(last) == 2 or last.lower() in _TLDS)


def strip_template_keys(line: str) -> str:
    line = _UNRESOLVED_KEY.sub(" ", line)
    if "." in line:
        line = " ".join(t for t in line.split(" ") if not is_template_key(t))
    return line


def clean(value: str | None) -> str | None:
    """The cleaner: fold spaces, drop template keys, strip lines, fold blank
    runs. Returns None for what is left empty, never ``""``."""
    if value is None:
        return None
    lines = [
        _SPACES.sub(" ", strip_template_keys(_SPACES.sub(" ", line))).strip()
        for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
    return text or None


def clean_line(value: str | None) -> str | None:
    """The cleaner for single-line values: line breaks become spaces."""
    text = clean(value)
    return _ANY_WHITESPACE.sub(" ", text) if text else None


def text_of(node: etree._Element | str | None) -> str | None:
    """Cleaned text of a node, None when empty."""
    return clean(node_text(node))


def label_key(label: str | None) -> str:
    """A label's comparison key: case, accents, ligatures, apostrophes, spaces and
    trailing colons/asterisks do not matter (``Maître(s) d’œuvre :`` ==
    ``maitre(s) d'oeuvre``)."""
    if not label:
        return ""
    text = label.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’‘`´]", "'", text).casefold()
    text = _ANY_WHITESPACE.sub(" ", text)
    return text.strip().rstrip(":*").strip()
