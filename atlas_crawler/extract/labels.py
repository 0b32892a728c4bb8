"""The one label matcher: labels are found by their words in the page's reading
order (``flow.Flow``), wherever they stand, and a label's value is what follows
it up to the next thing the page names.

- A known label's visible text is a label in any element, with or without a
  colon, in any case, with any spaces (``Titre``, ``TITRE :``, ``Titre : Un titre``).
  A label is the whole text of its element: one broken over lines or split over
  inline elements (``Année de<br>début``, ``<span>Année de</span> <b>début</b>``,
  ``Titre<span>*</span>``) is read as one line, a required field's asterisk aside.
  In a run of text a label is its line's whole text (a colon or an asterisk may
  close it): words that open or close a longer line are words of that line
  (``Région <a>de</a> Kayes``); see ``reading``.
- Its value is the text after it in reading order, up to the next mark (label,
  statement, block heading, section title, table or its title, heading element),
  within the smallest element around the label that holds anything after it (so
  a wrapper that pairs a label with its value bounds the value).
- A known label's text standing where the previous label's value goes, with no value
  of its own, is that value when that field's values may be such words (``Type de
  collectivité`` then ``Région`` in the value's cell); see ``reading``.
- Labels laid out across (a row of labels over a row of values) take the cells
  under them as their value (``Mark.value_span``); see ``across``.
- Unknown labels (for ``extra``) are the elements that say they are labels
  (``label``, ``dt``, a ``th`` before ``td`` cells), short texts ending in a colon
  in inline elements or cells, and elements laid out as the page's known labels.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from atlas_crawler.extract.flow import BOX, BREAK, HEADINGS, NEWLINE, TEXT, Flow
from atlas_crawler.extract.text import fold, label_key

#: Kinds of marks.
LABEL, UNKNOWN, STATEMENT, BLOCK, SECTION, TITLE, HEADING, TABLE = (
    "label",
    "unknown",
    "statement",
    "block",
    "section",
    "title",
    "heading",
    "table",
)
#: Longest text looked up as a label, and longest label part before a colon.
_MAX_LABEL = 200
_MAX_INLINE = 120
_GLYPHS = {"✔": True, "✓": True, "☑": True, "☒": True, "✅": True, "✘": False, "✗": False, "☐": False, "❌": False}
#: And typed boxes: ``[X]``, ``[ ]`` (any spaces inside, non-breaking ones too).
_GLYPH_RUN = re.compile("[" + "".join(_GLYPHS) + "]|\\[[\\s\u00a0]*[xX]?[\\s\u00a0]*\\]")

_LEADING = " \u00a0\t\n" + "".join(_GLYPHS)
_WORD_STATES = {"oui": True, "non": False, "yes": True, "no": False}
#: Elements whose short text ending in a colon labels what follows.
_INLINE_LABELS = frozenset({"span", "b", "strong", "em", "i", "font", "label", "td", "th", "dt", *HEADINGS})
#: Blocks that may hold ``Label : value`` as one line.
_LINE_BLOCKS = frozenset({"li", "p", "div", "td", "dd", "span"})
#: Elements that are labels whatever their words (a ``th`` only before ``td`` cells).
LABEL_TAGS = frozenset({"label", "dt", "th"})
#: Tags that look alike on screen, one layout for the label matcher's comparisons.
_KIND = {"strong": "b", "em": "i", **{f"h{n}": "h" for n in range(1, 7)}}
#: The most tokens a label's element may span (a few words, inline pieces, line breaks).
_MAX_LABEL_TOKENS = 16
#: Elements that hold nothing by nature: no value's place.
_VOID = frozenset({"br", "hr", "img", "wbr"})
#: A required field's asterisk closing a label (``Titre *``, ``Titre* :``).
_REQUIRED = re.compile(r"\s*\*+(?=\s*:?\s*$)")


@dataclass
class Mark:
    """Something the page names at token ``at`` of the flow: a label (known or
    not), a statement, a block heading, a section title, a table or its title, a
    heading element."""

    kind: str
    at: int
    text: str = ""
    field: str | None = None
    #: The label's element when the label is the whole text of one element.
    element: etree._Element | None = None
    #: The value's start in the same text (``Titre : Un titre``).
    rest: str | None = None
    #: A statement's state, when the same text shows it (``☑ …``, ``… : Oui``).
    state: bool | None = None
    #: The vocabulary's words that named a block (its heading's start).
    words: str = ""
    end: int = -1  # the first token after the mark (its value's start)
    #: The value's tokens ``[start, end)`` when they are not what follows the mark
    #: (a label laid out across: the cell under it); ``value_range`` reads it.
    value_span: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = self.at + 1


def tag(el: etree._Element | None) -> str:
    name = el.tag if el is not None else None  # read once: lxml makes the string anew each time
    return name.lower() if isinstance(name, str) else ""


def glyph_state(text: str) -> bool | None:
    """The state a ✔/✘/☑/☐ glyph (or a typed ``[X]``/``[ ]``) in ``text`` shows, None without one."""
    match = _GLYPH_RUN.search(text)
    if match is None:
        return None
    return _GLYPHS.get(match.group(), "x" in match.group().lower())


def without_glyphs(text: str) -> str:
    return _GLYPH_RUN.sub(" ", text)


@lru_cache(maxsize=4096)  # every short text of a page is tried as a state: they repeat from page to page
def word_state(text: str) -> bool | None:
    """``Oui``/``Non`` (a colon or glyph around allowed) -> True/False."""
    key = label_key(text.strip(" :\u00a0"))
    if key in _WORD_STATES:
        return _WORD_STATES[key]
    return glyph_state(text) if text.strip() and not _GLYPH_RUN.sub("", text).strip(" :\u00a0") else None


def indicator_state(flow: Flow, i: int) -> bool | None:
    """The state token ``i`` shows on its own: a box, a glyph, Oui/Non."""
    if flow.kinds[i] == BOX:
        return flow.states[i]
    if flow.kinds[i] == TEXT and len(flow.texts[i]) <= 20:
        return word_state(flow.texts[i])
    return None


@lru_cache(maxsize=8192)  # first words repeat from page to page
def _folded_word(word: str) -> str:
    return fold(word).rstrip("*")


def first_word(text: str) -> str:
    """The first word of a text as words compare (glyphs, colon and what follows
    it aside): a cheap test before a text is looked up as a label."""
    head = text.lstrip(_LEADING)
    if head.startswith("["):  # a typed box: ``[X] Une communication…``
        head = without_glyphs(head[:5]) + head[5:]
    words = head.split(None, 1)
    return _folded_word(words[0].split(":", 1)[0]) if words else ""


def classify(text: str, labels: Mapping[str, str], statements: Mapping[str, str]) -> Mark | None:
    """What a text run names: a known label or statement (alone, or with its
    value or state in the same text), else None; a required field's asterisk
    after a label is no part of it."""
    stripped = text.strip()
    if not stripped:
        return None
    if len(stripped) <= _MAX_LABEL:
        glyph = glyph_state(stripped)
        words = _REQUIRED.sub("", _GLYPH_RUN.sub("", stripped) if glyph is not None else stripped)
        key = label_key(words)
        if key in statements:
            return Mark(STATEMENT, 0, words.strip(), statements[key], state=glyph)
        if key in labels:
            return Mark(LABEL, 0, words.strip(), labels[key])
        head, _, last = key.rpartition(" ")
        if last in _WORD_STATES and head.rstrip(" :") in statements:  # ``… engagée Oui``
            return Mark(STATEMENT, 0, stripped, statements[head.rstrip(" :")], state=_WORD_STATES[last])
    colon = text.find(":")
    if 0 < colon <= _MAX_INLINE + len(text) - len(text.lstrip()):
        before, after = _REQUIRED.sub("", text[:colon]), text[colon + 1 :]
        key = label_key(_GLYPH_RUN.sub("", before))
        if key in statements and (state := word_state(after) if after.strip() else glyph_state(before)) is not None:
            return Mark(STATEMENT, 0, before.strip(), statements[key], state=state)
        if key in labels and after.strip():
            return Mark(LABEL, 0, before.strip(), labels[key], rest=after)
    return None


def whole_element(flow: Flow, i: int) -> etree._Element | None:
    """The element whose whole text is token ``i`` (``<label>Titre</label>``), or None
    when the token is a run of text among others."""
    if flow.tails[i]:
        return None
    owner, content = flow.owners[i], flow.content
    start, end = flow.span(owner)
    return owner if not any(content[start:i]) and not any(content[i + 1 : end]) else None


def label_element(flow: Flow, i: int) -> tuple[etree._Element, int] | None:
    """The smallest element whose text starts at token ``i`` and holds more text
    after it, in inline pieces and line breaks only (``Année de<br>début``,
    ``<span>Année de</span> <b>début</b>``, ``Titre<span>*</span>``), and its end;
    None when that element holds a block, a box or a table, or is longer than a
    label (so a page's long texts cost a few steps)."""
    el: etree._Element | None = flow.owners[i]
    starts, ends, content = flow.starts, flow.ends, flow.content  # local names: this runs for most texts
    while el is not None:
        start, end = starts.get(el, 0), ends.get(el, 0)
        if end - start > _MAX_LABEL_TOKENS or any(content[start:i]):
            return None
        if any(content[i + 1 : end]):
            kinds, owners = flow.kinds, flow.owners
            inline = all(
                kinds[j] in (TEXT, NEWLINE) or (kinds[j] == BREAK and owners[j] is el) for j in range(start, end)
            )
            return (el, end) if inline else None
        el = el.getparent()
    return None


def element_text(flow: Flow, start: int, end: int) -> str:
    """A label's words over its element's lines and inline pieces (``label_words``)."""
    kinds, texts = flow.kinds, flow.texts
    return label_words("".join(" " if kinds[j] == NEWLINE else texts[j] for j in range(start, end)))


def label_words(raw: str) -> str:
    """A label's raw text as one line (any spaces one space), a required field's
    asterisk aside."""
    return _REQUIRED.sub("", " ".join(raw.split()))


def known_mark(
    flow: Flow, i: int, labels: Mapping[str, str], statements: Mapping[str, str]
) -> tuple[Mark | None, etree._Element | None, int]:
    """What token ``i`` names (``classify``), the element whose whole text names
    it and the token after that: the whole text of the short element it starts
    first (a label over lines or inline pieces), else the token alone; else a
    label over inline pieces up to a colon, its value after it in the same
    element (``<font>Nom de la</font> collectivité : Kayes``: no label's element)."""
    joined = label_element(flow, i)
    pieces, end = None, i + 1
    if joined is not None:
        element, end = joined
        pieces = classify(element_text(flow, i, end), labels, statements)
        if pieces is not None and pieces.rest is None:
            return pieces, element, end
    mark = classify(flow.texts[i], labels, statements)
    if mark is None and pieces is not None and pieces.kind == LABEL and ":" not in flow.texts[i]:
        colon = next((j for j in range(i + 1, end) if flow.kinds[j] == TEXT and ":" in flow.texts[j]), None)
        if colon is not None:  # a colon closing the line leaves no value in it: the next line may hold it
            rest = flow.texts[colon].split(":", 1)[1]
            pieces.rest = rest if rest.strip(" \u00a0") else None
            return pieces, None, colon + 1
    return mark, whole_element(flow, i), i + 1


def signature(el: etree._Element) -> tuple[object, ...]:
    """How an element is laid out: its kind of tag and class, its parent's tag and
    class, and whether it comes first when the parent is a small group (a row of
    two cells: the label first, its value second; line breaks aside)."""
    kind = (_KIND.get(tag(el), tag(el)), el.get("class"))
    parent = el.getparent()
    if parent is None:
        return (*kind, "", None, None)
    siblings = [c for c in parent if isinstance(c.tag, str) and c.tag != "br"]
    first = siblings[0] is el if len(siblings) <= 3 else None
    return (*kind, tag(parent), parent.get("class"), first)


def pair_root(flow: Flow, el: etree._Element) -> etree._Element:
    """The outermost element that holds nothing but ``el`` (``<td><b>Titre</b></td>``); an
    empty element beside the label is its value's place, so it stops the climb."""
    while (parent := el.getparent()) is not None and tag(parent) not in ("body", "html"):
        if any(isinstance(c.tag, str) and c is not el for c in parent):
            break
        start, end = flow.span(parent)
        own_start, own_end = flow.span(el)
        if any(flow.content[start:own_start]) or any(flow.content[own_end:end]):
            break
        el = parent
    return el


def in_value_slot(flow: Flow, label: Mark, i: int) -> bool:
    """Whether token ``i`` stands where ``label``'s value goes: the text right after
    the label's element, or the whole of the element right after it (a ``dd``, the
    next cell, the value ``div``), laid out differently from the label."""
    if label.element is None or label.rest is not None:
        return _next_line(flow, label, i)
    root = pair_root(flow, label.element)
    if flow.tails[i] and i == flow.ends.get(root):  # ``<b>Type</b> Région``
        return True
    slot = value_slot(flow, label)
    if slot is None:
        return False
    start, end = flow.span(slot)
    if not start <= i < end or any(flow.content[j] for j in range(start, end) if j != i):
        return False  # not there, or the next element holds more: a pair of its own
    candidate = whole_element(flow, i)
    if candidate is None:
        return flow.owners[i] is slot
    return pair_root(flow, candidate) is slot and signature(candidate) != signature(label.element)


def in_value_place(flow: Flow, label: Mark, span: tuple[int, int]) -> bool:
    """Whether tokens ``span`` come right after ``label`` (nothing between) in the
    place of its value: the text right after its element on its line, or all that
    the element after it (``value_slot``) holds."""
    if label.kind not in (LABEL, UNKNOWN) or label.element is None or label.rest is not None:
        return False
    first = next((j for j in range(*span) if flow.content[j]), None)
    if label.value_span is not None or first is None or flow.has_content(label.end, first):
        return False
    if flow.tails[first] and first == flow.ends.get(pair_root(flow, label.element)):  # ``<b>Population</b> 800``
        return flow.line_of(first)[0] <= label.at  # on the label's line: a block's tail is a line of its own
    slot = value_slot(flow, label)
    if slot is None:
        return False
    start, end = flow.span(slot)
    return start <= first < end and span[1] <= end and not flow.has_content(span[1], end)


def value_slot(flow: Flow, label: Mark) -> etree._Element | None:
    """The element right after a label's element (or the wrapper that holds only
    the label): where its value goes in pair layouts (``dd``, next cell, value ``div``)."""
    if label.element is None or label.rest is not None:
        return None
    slot = pair_root(flow, label.element).getnext()
    while slot is not None and not isinstance(slot.tag, str):
        slot = slot.getnext()
    return slot


def _next_line(flow: Flow, label: Mark, i: int) -> bool:
    """In a run of text lines, the line right after a label (no blank line between);
    a label over inline pieces ends in the run (``<span>Type</span> <font>de</font>
    <span>collectivité</span> :<br>Région``: its colon and the next line are the
    block's own text, its first word a span's)."""
    if label.rest is not None:
        return False
    breaks = [flow.kinds[j] for j in range(label.end, i) if flow.kinds[j] != TEXT]
    return breaks == [NEWLINE] and flow.owners[i] in (flow.owners[label.at], flow.owners[label.end - 1])


def boundary(flow: Flow, mark: Mark, others: list[int] | None = None) -> int:
    """Where a mark's value must end at the latest: the end of the smallest element
    around it that holds anything after it, or of the first one that holds other
    marks (``others``, sorted): a label with nothing after it in its group of
    labels has an empty value, it does not reach into the page's footer."""
    el = mark.element if mark.element is not None else flow.owners[mark.at]
    if mark.rest is not None and mark.rest.strip(" :\u00a0"):  # the element of the colon's text
        return flow.span(flow.owners[mark.end - 1])[1]
    while el is not None:
        start, end = flow.span(el)
        if end > start:
            if any(flow.content[mark.end : end]):
                return end
            if others and bisect_left(others, end) - bisect_left(others, start) > 1:
                return end
        el = el.getparent()
    return len(flow)


def value_range(flow: Flow, mark: Mark, stop: int, others: list[int]) -> tuple[int, int]:
    """The tokens of a mark's value: its ``value_span``, else what follows it up to
    ``stop`` (the next mark) within its ``boundary``, and no further than the
    element right after the label when that element is empty: the label's value
    place, which a reader sees empty (``<div class="col-8"></div>``), not the next
    pair a label the reader missed starts."""
    if mark.value_span is not None:
        return mark.value_span
    end = min(stop, boundary(flow, mark, others))
    slot = value_slot(flow, mark)
    if slot is not None and tag(slot) not in _VOID:
        start, slot_end = flow.span(slot)
        if start >= mark.end and not flow.has_content(mark.end, slot_end):
            end = min(end, slot_end)
    return mark.end, end


def value_text(flow: Flow, mark: Mark, start: int, end: int, skip: set[int]) -> str:
    """The raw text of a mark's value: its inline rest, then tokens ``[start, end)``
    (claimed box states left out); a colon left after the label goes."""
    indices = [i for i in range(start, end) if i not in skip]
    text = flow.text(indices)
    if mark.rest is not None:
        text = mark.rest + text
    text = text.lstrip()
    return text[1:] if text.startswith(":") else text


def unknown_label(
    flow: Flow, i: int, signatures: set[tuple[object, ...]], checkbox_ids: set[str], kinds: set[object]
) -> tuple[Mark, bool] | None:
    """Token ``i`` as an unknown label, and whether it is so by weak evidence
    (which a known label's value element overrules): an element that says it is
    a label; a short text followed by a colon (in or right after it) in an
    inline element, a cell, or the first of two blocks in a row; weaker, a block
    starting with ``Label : value``, an element laid out as the page's known
    labels (``signatures``; ``kinds``, their kinds of tag, a cheap first test), or
    a colon's element after other words on its line (``_mid_line``).
    The label is its element's whole text: the token's own element, else the
    short element of inline pieces and line breaks it starts (``label_element``),
    with no colon but at its end, on strong evidence only (laid out as a label,
    several lines or pieces may as well be a value)."""
    el = whole_element(flow, i)
    if el is not None:
        text = _REQUIRED.sub("", flow.texts[i].strip())
        if (said := _said_label(el, i, i + 1, text, checkbox_ids)) is not None:
            return said, _mid_line(flow, i, el)
        if tag(el) in _LINE_BLOCKS and (inline := inline_unknown(flow.texts[i])) is not None:
            return Mark(UNKNOWN, i, inline[0], rest=inline[1]), True
        if len(text) <= 100 and _KIND.get(tag(el), tag(el)) in kinds and signature(el) in signatures:
            return Mark(UNKNOWN, i, text, element=el), True
    joined = label_element(flow, i)
    if joined is None:
        return None
    el, end = joined
    text = element_text(flow, i, end)
    if ":" in text.rstrip(" :\u00a0"):
        return None  # ``Label : value`` in one element: no label's element
    said = _said_label(el, i, end, text, checkbox_ids)
    return (said, _mid_line(flow, i, el)) if said is not None else None


def _mid_line(flow: Flow, i: int, el: etree._Element) -> bool:
    """A label by its colon only (no label element), after other words on its line
    (``Agriculture eau <font>élus territoire</font> : « projet »``): weak evidence,
    as a reader sees one line of text where a wrapper he does not see begins."""
    return tag(el) not in LABEL_TAGS and flow.after_words_on_its_line(i)


def _said_label(el: etree._Element, at: int, end: int, text: str, checkbox_ids: set[str]) -> Mark | None:
    """An element whose whole text is ``text`` as an unknown label by strong
    evidence: it says it is a label, or a short text with a colon in an inline
    element, a cell, or the first of two blocks in a row."""
    if len(text) > 100:
        return None
    kind = tag(el)
    if (kind in LABEL_TAGS and _says_label(el, checkbox_ids)) or (
        has_colon(el, text) and len(text) <= 80 and (kind in _INLINE_LABELS or _first_of_two(el))
    ):
        return Mark(UNKNOWN, at, text, element=el, end=end)
    return None


def _first_of_two(el: etree._Element) -> bool:
    """The first of two blocks in a row (``<div class="row"><div>Label :</div><div>…``)."""
    parent = el.getparent()
    siblings = [c for c in parent if isinstance(c.tag, str) and c.tag != "br"] if parent is not None else []
    return len(siblings) == 2 and siblings[0] is el


def has_colon(el: etree._Element | None, text: str) -> bool:
    """A label's colon: at the end of its text or right after its element."""
    return text.rstrip().endswith(":") or (el is not None and (el.tail or "").lstrip(" \t\n\r\u00a0").startswith(":"))


def _says_label(el: etree._Element, checkbox_ids: set[str]) -> bool:
    kind = tag(el)
    if kind == "label":
        return el.get("for") not in checkbox_ids and el.find(".//input") is None
    if kind == "th":
        return any(tag(s) == "td" for s in el.itersiblings())
    return True


def inline_unknown(text: str) -> tuple[str, str] | None:
    """``Référence : CNCD-12`` in a run of text: a short label, then its value."""
    stripped = text.strip()
    colon = stripped.find(":")
    if not 1 < colon <= 60:
        return None
    label, rest = stripped[:colon].strip(), stripped[colon + 1 :]
    if not label[0].isalpha() or any(c in label for c in '.;!?()«»"') or not rest.strip():
        return None
    return label, rest
