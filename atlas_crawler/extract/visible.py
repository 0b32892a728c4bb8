"""The page as a reader sees it: elements no browser shows are left out before
anything is read, so hidden text never becomes a value (nor a doubt), and
comments or hidden inputs never split a text in two.

Hidden is what the page itself says is hidden: the ``hidden`` attribute, an
inline style (``display: none``, ``visibility: hidden``, off-screen or clipped
to nothing, as screen-reader-only text is), a rule of the page's own ``<style>``
blocks, or one of the class names that every CSS framework hides. Stylesheets
the page links to are not read (a parse is a function of the page alone): a
class hidden only there is read as visible, and the accounting's doubts are
what catches what that puts in a record.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

#: Declarations that hide an element (inline or in a ``<style>`` rule).
_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?:\.0+)?(?:px|em|rem|pt|%)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)|clip\s*:\s*rect\(\s*0[a-z]*[\s,]+0|clip-path\s*:\s*inset\(\s*50%"
    r"|(?:text-indent|left|top|margin-left)\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
#: Class names that frameworks and hand-written sites hide (Bootstrap's ``sr-only``
#: and ``d-none``, WordPress' ``screen-reader-text``, Drupal's ``element-invisible``…).
_HIDDEN_CLASSES = frozenset(
    {
        "hidden",
        "hide",
        "d-none",
        "invisible",
        "sr-only",
        "visually-hidden",
        "visuallyhidden",
        "screen-reader-text",
        "screenreader-only",
        "element-invisible",
        "offscreen",
        "off-screen",
        "a11y-hidden",
        "masque",
        "masquer",
    }
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_RULE = re.compile(r"([^{}@]+)\{([^{}]*)\}")
_AT_BLOCK = re.compile(r"@[^{}]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}")


def visible_root(root: etree._Element) -> etree._Element:
    """``root`` without its hidden elements (their tails kept), or ``root``
    itself when nothing is hidden (the common case: one pass, no copy). The
    page's own tree is left whole: its links are still followed."""
    hidden = _hidden(root)
    if not hidden:
        return root
    twin = copy.deepcopy(root)
    for el in [copy_el for el, copy_el in zip(root.iter(), twin.iter(), strict=True) if el in hidden]:
        _drop(el)
    return twin


#: Elements that may hide themselves by attribute or style, by their attributes
#: (``elements_of``); classes are looked at only when a hidden one is named.
_SELF_HIDING = etree.XPath("//@hidden | //@style | //dialog")
#: What never shows and only splits the text around it into pieces: comments,
#: processing instructions, hidden inputs (``<td><!-- champ -->Région</td>``).
_SPLITTERS = etree.XPath("//comment() | //processing-instruction() | //input[@type='hidden' or @type='HIDDEN']")
_WITH_CLASS = etree.XPath("//*[@class]")
_CLASSES = etree.XPath("//@class", smart_strings=False)


def elements_of(found: list[Any]) -> list[etree._Element]:
    """The elements an XPath found, and those of the attributes it found, once
    each, in page order: the XPath engine finds ``//@role`` many times faster
    than ``//*[@role]``."""
    return list(dict.fromkeys(item.getparent() if isinstance(item, str) else item for item in found))


def _hidden(root: etree._Element) -> set[etree._Element]:
    """Elements the page hides (by attribute, inline style, class or ``<style>`` rule)."""
    hidden = {el for el in elements_of(_SELF_HIDING(root)) if _hides_itself(el)}
    hidden.update(_SPLITTERS(root))
    named = " ".join(_CLASSES(root)).lower()
    if any(name in named for name in _HIDDEN_CLASSES):
        hidden.update(el for el in _WITH_CLASS(root) if _hides_itself(el))
    if root.find(".//style") is not None:
        hidden.update(_styled_hidden(root))
    return hidden


def _hides_itself(el: etree._Element) -> bool:
    """The ``hidden`` attribute, a closed ``dialog``, a hiding inline style, or a hidden class."""
    if el.get("hidden") is not None or (el.tag.lower() == "dialog" and el.get("open") is None):
        return True
    style, classes = el.get("style"), el.get("class")
    if style and _HIDING.search(style):
        return True
    return bool(classes) and not _HIDDEN_CLASSES.isdisjoint(classes.lower().split())


def _styled_hidden(root: etree._Element) -> list[etree._Element]:
    """Elements a rule of the page's own ``<style>`` blocks hides (rules inside
    ``@media`` and other at-blocks are left out: print styles hide menus)."""
    found: list[etree._Element] = []
    for style in root.iter("style"):
        css = _AT_BLOCK.sub("", _CSS_COMMENT.sub("", style.text or ""))
        for selectors, declarations in _CSS_RULE.findall(css):
            if not _HIDING.search(declarations):
                continue
            for selector in (s.strip() for s in selectors.split(",")):
                if not selector or ":" in selector:  # :hover, ::before: not what the page shows at rest
                    continue
                try:
                    found.extend(CSSSelector(selector)(root))
                except (SelectorError, etree.XPathError):
                    continue
    return found


def _drop(el: etree._Element) -> None:
    """Remove an element, keeping its tail text where it stood."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)
