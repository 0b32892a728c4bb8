"""The one label matcher: label/value pairs and checkbox statements, whatever
wraps them (``label`` + value, ``th``/``td`` row, ``dt``/``dd``, or a known label
in any element followed by its value)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from lxml import etree

from atlas_crawler.extract.text import clean, label_key, nodes_text, text_of

Part = etree._Element | str


@dataclass
class Pair:
    """A label and the markup of its value (elements and loose text, in order)."""

    label: str
    parts: list[Part] = field(default_factory=list)

    @property
    def key(self) -> str:
        return label_key(self.label)

    @property
    def raw_text(self) -> str:
        """The value's text; a colon left outside the label (``<b>Titre</b> : …``) is dropped."""
        text = nodes_text(self.parts).lstrip()
        return text[1:] if text.startswith(":") else text

    @property
    def elements(self) -> list[etree._Element]:
        return [p for p in self.parts if not isinstance(p, str)]


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def siblings_after(el: etree._Element, stop: set[str]) -> list[Part]:
    """Tail text and following siblings of ``el`` up to the next one whose tag
    is in ``stop``."""
    parts: list[Part] = [el.tail] if el.tail and el.tail.strip() else []
    for sib in el.itersiblings():
        if not isinstance(sib.tag, str):
            continue
        if _tag(sib) in stop:
            break
        parts.append(sib)
        if sib.tail and sib.tail.strip():
            parts.append(sib.tail)
    return parts


def checkbox_labels(root: etree._Element) -> dict[str, bool]:
    """``{statement: checked}`` for every checkbox statement on the page."""
    found: dict[str, bool] = {}
    labels_for = {lab.get("for"): lab for lab in root.iter("label") if lab.get("for")}
    for box in root.iter("input"):
        if (box.get("type") or "").lower() != "checkbox":
            continue
        label = labels_for.get(box.get("id")) if box.get("id") else None
        if label is None:
            label = next((a for a in box.iterancestors("label")), None)
        text = text_of(label) if label is not None else None
        if not text:
            text = clean(nodes_text(siblings_after(box, {"input", "br"})))
        if text:
            found[text] = box.get("checked") is not None
    return found


def _is_checkbox_label(label: etree._Element, checkbox_ids: set[str]) -> bool:
    if label.get("for") in checkbox_ids or label.find(".//input") is not None:
        return True
    prev = label.getprevious()
    return prev is not None and _tag(prev) == "input" and (prev.get("type") or "") == "checkbox"


def find_pairs(root: etree._Element, known: Mapping[str, str] | None = None) -> list[Pair]:
    """Every label/value pair on the page, label-shaped ones in document order.
    ``known`` (label key -> field) labels are also looked for in elements that
    are not label-shaped, for the fields no label-shaped pair gave."""
    checkbox_ids = {i.get("id") for i in root.iter("input") if (i.get("type") or "").lower() == "checkbox"}
    checkbox_ids.discard(None)
    pairs: list[Pair] = []
    used: set[etree._Element] = set()
    for el in root.iter("dt", "th", "label"):
        pair = _structural_pair(el, checkbox_ids)
        if pair is not None:
            pairs.append(pair)
            used.add(el)
            used.update(pair.elements)
    known = known or {}
    found = {known.get(p.key) for p in pairs}
    known_keys = {key for key, field in known.items() if field not in found}
    if known_keys:
        pairs.extend(_known_label_pairs(root, known_keys, used))
    pairs.extend(_colon_label_pairs(root, used, {p.key for p in pairs}))
    return pairs


def _colon_label_pairs(root: etree._Element, used: set[etree._Element], seen: set[str]) -> Iterator[Pair]:
    """Any other short text ending in a colon (``<span>Référence :</span> …``,
    ``<td>Référence :</td><td>…</td>``) labels what follows it, up to the next
    section: so an unknown label in any markup still reaches ``extra``."""
    for el in root.iter():
        if el in used or not _is_colon_label(el):
            continue
        label = text_of(el)
        if not label or label_key(label) in seen or any(a in used for a in el.iterancestors()):
            continue
        pair = Pair(label, _value_parts(el, label, _is_colon_label))
        if not clean(pair.raw_text):
            continue
        seen.add(pair.key)
        used.add(el)
        used.update(pair.elements)
        yield pair


def _structural_pair(el: etree._Element, checkbox_ids: set[str]) -> Pair | None:
    tag = _tag(el)
    if tag == "dt":
        parts = siblings_after(el, {"dt"})
    elif tag == "th":
        row = el.getparent()
        cells = [c for c in row if _tag(c) in ("th", "td")] if row is not None else []
        if not cells or cells[0] is not el or not any(_tag(c) == "td" for c in cells[1:]):
            return None
        parts = list(cells[1:])
    elif _is_checkbox_label(el, checkbox_ids):
        return None
    else:
        parts = siblings_after(el, {"label"})
    label = text_of(el)
    return Pair(label, parts) if label else None


_NOT_LABELS = frozenset({"html", "body", "option", "th", "script", "style", "title", "head"})


def _known_label_pairs(root: etree._Element, keys: set[str], used: set[etree._Element]) -> Iterator[Pair]:
    """Known labels in any element (``<p><b>Titre :</b> …</p>``, ``<h4>Contexte</h4>…``,
    ``<li>Titre : …</li>``)."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el in used or _tag(el) in _NOT_LABELS:
            continue
        own = el.text
        if not own:
            continue
        if (pair := _inline_pair(el, own, keys)) is not None:
            if not any(a in used for a in el.iterancestors()):
                keys.discard(pair.key)
                used.add(el)
                yield pair
            continue
        if len(el) > 2 or len(own) > 160 or label_key(own) not in keys:
            continue
        text = text_of(el)
        if not text or label_key(text) not in keys:
            continue
        if any(a in used for a in el.iterancestors()):
            continue
        parts = _value_parts(el, text, lambda d: label_key(text_of(d)) in keys)
        keys.discard(label_key(text))
        pair = Pair(text, parts)
        used.add(el)
        used.update(pair.elements)
        yield pair


def _inline_pair(el: etree._Element, own: str, keys: set[str]) -> Pair | None:
    """A known label and its value in one element's text: ``Titre : Un titre``."""
    label, colon, rest = own.partition(":")
    if not colon or len(label) > 160 or label_key(label) not in keys:
        return None
    parts: list[Part] = [rest]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(child)
        if child.tail:
            parts.append(child.tail)
    if not clean(nodes_text(parts)):
        return None  # ``Titre :`` alone: its value follows the element
    return Pair(label.strip(), parts)


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SECTIONS = frozenset({"table", "fieldset", "form", "dl"})


def _value_stops(anchor: etree._Element) -> set[str]:
    """Where a label's value ends: the next heading (for a heading label) or section."""
    return _SECTIONS | _HEADINGS if _tag(anchor) in _HEADINGS else set(_SECTIONS)


def _is_colon_label(el: etree._Element) -> bool:
    """A leaf whose short text ends in a colon: ``<span>Référence :</span>``."""
    own = el.text
    return (
        bool(own)
        and not len(el)
        and isinstance(el.tag, str)
        and len(own) <= 80
        and own.rstrip().endswith(":")
        and _tag(el) not in _NOT_LABELS
    )


def _value_parts(label: etree._Element, text: str, is_label: Callable[[etree._Element], bool]) -> list[Part]:
    """What follows a label up to the next section or the next element that is
    or holds a label; a label alone in its wrapper (``<p><b>Titre</b></p>``)
    is followed from the wrapper."""
    anchor = label
    while True:
        parts: list[Part] = []
        for part in siblings_after(anchor, _value_stops(anchor)):
            if not isinstance(part, str) and any(is_label(d) for d in part.iter() if isinstance(d.tag, str)):
                break
            parts.append(part)
        parent = anchor.getparent()
        if parts or parent is None or text_of(parent) != text:
            return parts
        anchor = parent
