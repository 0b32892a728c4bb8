"""Box images by their words: an image shows a ticked or an empty box when its
``alt``/``title`` text, else its file name, says so, in any word style
(``caseCochee.gif``, ``case-non-cochee.png``, ``unchecked_box.gif``,
``cb-checked-16.png``, ``btnUnchecked.png``, ``casenoncochee.gif``).

Names are cut into words at separators, digits and case changes, and a word
glued from box words (``uncheckedbox``) is read as those words. A file name is
a box's when one of its words names a box or its mark (``case``, ``checkbox``,
``coche``, ``checked``), whatever else it says (``ico``, ``btn``, ``16``); an
``alt``/``title`` text only when all its words are a box's (``Case cochée``, ``Oui``,
not ``Non disponible``). A negation anywhere wins: ``non``, ``not``, ``off``,
``vide``, or ``un``/``dé`` glued before the mark (``unchecked``, ``décoché``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lxml import etree

#: Words that name a box.
_BOXES = frozenset({"box", "checkbox", "case", "cb", "chk", "cbx"})
#: A box's mark: it shows a ticked box, and that there is a box.
_MARKS = frozenset({"check", "checked", "coche", "cochee", "coches", "cochees", "tick", "ticked"})
#: Words that say yes or no, of a box only beside a word of the two above (``checkbox_on``).
_YES = frozenset({"on", "oui", "yes", "true", "ok", "plein", "pleine", "full", "selected", "valide", "validee"})
_NO = frozenset({"off", "non", "no", "not", "pas", "sans", "vide", "empty", "blank", "false"})
#: Glued before another word (never alone), they undo it: ``uncheck``, ``decoche``.
_UNDO = frozenset({"un", "de"})
#: Words that say nothing of a state: kinds of image, and the filler of an ``alt`` sentence.
_NEUTRAL = frozenset(
    {"ico", "icon", "icone", "img", "image", "btn", "bouton", "button", "picto", "la", "le", "est", "a", "ete"}
    | {"gif", "png", "jpg", "jpeg", "svg", "webp", "bmp"}
)
_KNOWN = _BOXES | _MARKS | _YES | _NO | _NEUTRAL
_LONGEST = max(map(len, _KNOWN | _UNDO))
#: A word of a name: a run of capitals not followed by lower case (``CB`` in
#: ``CBChecked``), or a run of lower case after at most one capital.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def image_state(img: etree._Element) -> bool | None:
    """The state a box image shows (its ``alt`` or ``title`` text, else its file
    name), None for any other image (a logo, a magnifying glass, a bullet)."""
    return _state(img.get("alt"), img.get("title"), img.get("src"))


@lru_cache(maxsize=1024)  # the same few images on every page
def _state(alt: str | None, title: str | None, src: str | None) -> bool | None:
    for text in (alt, title):
        if text and (found := _box_words(text)) is not None and (state := _said(found)) is not None:
            return state
    name = (src or "").rsplit("/", 1)[-1]
    found = _box_words(name, partial=True)
    return _said(found) if found and found & (_BOXES | _MARKS) else None


def _said(words: frozenset[str]) -> bool | None:
    """A negation wins over a mark or a yes."""
    if words & _NO:
        return False
    return True if words & (_MARKS | _YES) else None


def _box_words(text: str, partial: bool = False) -> frozenset[str] | None:
    """The box words of a name (an undoing prefix read as ``non``); None when a
    word is none and ``partial`` is not allowed."""
    found: set[str] = set()
    for word in _words(text):
        parts = _parts(word)
        if parts is None:
            if not partial:
                return None
            continue
        found.update("non" if part in _UNDO else part for part in parts)
    return frozenset(found)


def _words(text: str) -> list[str]:
    """Words cut at separators, digits and case changes, lower case, accents aside."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [word.lower() for word in _WORD.findall(plain)]


@lru_cache(maxsize=1024)
def _parts(word: str) -> tuple[str, ...] | None:
    """A word as known words: itself, or known words glued (``casenoncochee``,
    ``uncheck``), the longest first; None when it is no such word. Each ending of
    the word is cut once, the shortest first (no recursion: an ``alt`` text may glue
    thousands of words); ``after[i]`` is where the first part of ``word[i:]`` ends."""
    n = len(word)
    after: list[int | None] = [None] * n
    for i in range(n - 1, -1, -1):
        if n - i <= _LONGEST and word[i:] in _KNOWN:
            after[i] = n
            continue
        for cut in range(min(n - 1, i + _LONGEST), i, -1):  # a proper head, the longest first
            head = word[i:cut]
            if (head in _KNOWN or head in _UNDO) and after[cut] is not None:
                after[i] = cut
                break
    if not n or after[0] is None:
        return None
    parts: list[str] = []
    i = 0
    while i < n:
        end = after[i]
        assert end is not None  # every part's ending was cut
        parts.append(word[i:end])
        i = end
    return tuple(parts)
