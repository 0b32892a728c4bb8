"""Labels laid out across: a row of labels over a row of values, in a table
(``th`` or ``td`` cells, bold or not) or in a grid of blocks, as a form shows
several short fields side by side.

A row is a row of labels when it has two cells or more, all short texts and
nothing outside them, at least one a known label, known labels and texts ending
in a colon outnumbering the other texts (unknown labels too, for ``extra``), no
statement or section title among them, and no label whose values may be labels'
words right before a known label (``Type de collectivité`` ``Région`` is a label
and its value, laid out down). The value of the label in columns ``[a, b)``
(colspans respected) is the cells of the next row that start in those columns;
the next row is a row of values when it holds no label, statement or section
title, but a value a known label's words under a label whose values may be such
words. A row of labels with no row of values under it has empty labels, never
the next label for a value.

A table whose rows are such rows (and single cells, and rows a known label
starts) is no data table, even when its first row looks like a header: a header
row of known labels over one row of values is a form, over several rows a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, pairwise

from lxml import etree

from atlas_crawler.extract.flow import Flow
from atlas_crawler.extract.labels import (
    LABEL,
    SECTION,
    STATEMENT,
    UNKNOWN,
    Mark,
    classify,
    has_colon,
    label_words,
    pair_root,
    tag,
)
from atlas_crawler.extract.tables import Table
from atlas_crawler.extract.text import label_key, node_text
from atlas_crawler.extract.vocabulary import Vocabulary

#: More cells than this: a page's blocks, no row of labels.
_MAX_CELLS = 12
#: More elements than this in a cell (tokens of the flow, for a first test): no label
#: (a label is a few words, a few inline pieces).
_MAX_CELL_NODES = 8
_MAX_CELL_TOKENS = 3 * _MAX_CELL_NODES
#: Longest label text, known (as ``labels`` looks them up) or not (as ``unknown_label``).
_MAX_LABEL = 200
_MAX_UNKNOWN = 100
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
#: Cells of one kind in a row.
_CELL_KINDS = {"th": "td"}
#: Elements whose items stand one under the other: no row.
_LISTS = frozenset({"ul", "ol", "dl", "menu"})


@dataclass
class Across:
    """A row of labels: each label cell with its text, its field (None for an
    unknown label) and the cells of the row of values under it (none without one)."""

    row: etree._Element
    value_row: etree._Element | None
    labels: list[tuple[etree._Element, str, str | None, list[etree._Element]]]


def labels_across(row: etree._Element, vocabulary: Vocabulary) -> Across | None:
    """``row`` as a row of labels laid out across, None when it is not one."""
    cells = _cells(row)
    if cells is None or not 2 <= len(cells) <= _MAX_CELLS:
        return None
    labels = _label_cells(cells, vocabulary)
    if labels is None:
        return None
    value_row = _next_row(row)
    values = _value_cells(value_row, labels, cells, vocabulary) if value_row is not None else None
    if values is None:
        value_row = None
    columns = _columns(cells)
    starts = list(zip(_columns(values), values, strict=True)) if values else []
    found = []
    for cell, first, (text, field) in zip(cells, columns, labels, strict=True):
        last = first + _colspan(cell)
        found.append((cell, text, field, [value for column, value in starts if first <= column < last]))
    return Across(row, value_row, found)


def read_across(flow: Flow, marks: list[Mark], vocabulary: Vocabulary) -> tuple[list[Mark], set[int]]:
    """The rows of labels among the rows that hold known labels: each label of
    them becomes a mark whose value is the cells under it (``value_span``, an
    empty one without a row of values); the marks found in such a row or its row
    of values give way (a value row's words are values). Returns the marks and
    the tokens of those rows (no unknown label or statement is looked for there)."""
    rows: dict[etree._Element, set[etree._Element]] = {}  # row -> the cells known labels fill
    for m in marks:
        if m.kind == LABEL and m.element is not None:
            cell = pair_root(flow, m.element)
            if (row := cell.getparent()) is not None:
                rows.setdefault(row, set()).add(cell)
    found: list[Mark] = []
    owned: list[tuple[int, int]] = []
    for row, known in rows.items():
        if not _may_be_labels(flow, row, known) or any(start <= flow.span(row)[0] < end for start, end in owned):
            continue  # no row of labels, or a row of values already read
        across = labels_across(row, vocabulary)
        if across is None or (new := _marks(flow, across)) is None:
            continue
        found += new
        owned += [flow.span(el) for el in (row, across.value_row) if el is not None]
    if not found:
        return marks, set()
    kept = [m for m in marks if not any(start <= m.at < end for start, end in owned)]
    return sorted(kept + found, key=lambda m: m.at), {i for start, end in owned for i in range(start, end)}


def _may_be_labels(flow: Flow, row: etree._Element, known: set[etree._Element]) -> bool:
    """A cheap first test of a row of labels (most rows that hold a known label
    are a label and its value): the cells known labels fill, and the other few
    that might end in a colon, must outnumber the rest."""
    cells = _cells(row)
    if cells is None or not 2 <= len(cells) <= _MAX_CELLS:
        return False
    labels = 0
    for cell in cells:
        start, end = flow.span(cell)
        if cell in known or (end - start <= _MAX_CELL_TOKENS and any(":" in flow.texts[j] for j in range(start, end))):
            labels += 1
    return 2 * labels > len(cells)


def pair_layout(table: etree._Element, vocabulary: Vocabulary) -> bool:
    """Whether a table found by its header row is a form laid out across: its
    first row of several cells is a row of labels (known labels' very words, not
    column names that start like them), and every row of several cells is a row
    of labels, the row of values under one, or a row a known label starts (label
    and value laid out down)."""
    rows = _own_rows(table)
    header = next((row for row in rows if len(_cells(row) or ()) > 1), None)
    if header is None or labels_across(header, vocabulary) is None:
        return False
    values: set[etree._Element] = set()
    for row in rows:
        cells = _cells(row) or []
        if len(cells) < 2 or row in values:
            continue
        across = labels_across(row, vocabulary)
        if across is None:
            if _known(cells[0], vocabulary) is None:
                return False  # a row of data
        elif across.value_row is not None:
            values.add(across.value_row)
    return True


def pair_layouts(tables: list[Table], vocabulary: Vocabulary) -> list[Table]:
    """The page's data tables that are forms laid out across: their cells are
    labels and values (only a table whose header holds a known label's words
    may be one)."""
    return [table for table in tables if _names_a_label(table, vocabulary) and pair_layout(table.element, vocabulary)]


def _names_a_label(table: Table, vocabulary: Vocabulary) -> bool:
    return any(len(text) <= _MAX_LABEL and label_key(label_words(text)) in vocabulary.labels for text in table.headers)


def _marks(flow: Flow, across: Across) -> list[Mark] | None:
    """A mark for each label of a row of labels (None when one of them shows
    nothing in the flow)."""
    marks: list[Mark] = []
    for cell, text, field, values in across.labels:
        start, end = flow.span(cell)
        at = next((j for j in range(start, end) if flow.content[j]), None)
        if at is None:
            return None
        span = (flow.span(values[0])[0], flow.span(values[-1])[1]) if values else (end, end)
        marks.append(Mark(LABEL if field else UNKNOWN, at, text, field, element=cell, end=end, value_span=span))
    return marks


def _cells(row: etree._Element) -> list[etree._Element] | None:
    """A row's cells: its child elements (line breaks aside), all of one kind
    (``td`` and ``th`` alike); None when some text stands outside them (``<p><b>Titre</b>
    Un titre</p>``), when they are blocks of several kinds stacked (a heading, a
    paragraph, a list) or the items of a list (shown one under the other)."""
    if tag(row) in _LISTS or (row.text and row.text.strip()):
        return None
    cells: list[etree._Element] = []
    kinds: set[str] = set()
    for child in row:
        if child.tail and child.tail.strip():
            return None
        if (name := tag(child)) and name != "br":
            kinds.add(_CELL_KINDS.get(name, name))
            if len(kinds) > 1:
                return None
            cells.append(child)
    return cells


def _label_cells(cells: list[etree._Element], vocabulary: Vocabulary) -> list[tuple[str, str | None]] | None:
    """The text and field of each cell of a row of labels, None for another row."""
    found: list[tuple[str, str | None]] = []
    labels = others = 0
    for cell in cells:
        text = _label_text(cell)
        if text is None:
            return None
        mark = classify(text, vocabulary.labels, vocabulary.statements)
        if (mark is not None and (mark.kind == STATEMENT or mark.rest is not None)) or label_key(
            text
        ) in vocabulary.sections:
            return None  # a statement, a section title, a label with its value (``Titre : Un titre``)
        field = mark.field if mark is not None else None
        if field is None and len(text) > _MAX_UNKNOWN:
            return None
        found.append((text, field))
        if field is not None or has_colon(cell, text):
            labels += 1
        else:
            others += 1
    fields = [field for _, field in found]
    if not any(fields) or labels <= others:
        return None
    if any(f in vocabulary.value_words and after for f, after in pairwise(fields)):
        return None  # a label whose values may be labels' words, and such a value
    return found


def _label_text(cell: etree._Element) -> str | None:
    """A cell's text as a label's (``label_words``), None for a cell empty, or too
    big or too long for a label."""
    if next(islice(cell.iter(), _MAX_CELL_NODES, None), None) is not None:
        return None
    text = label_words(node_text(cell))
    return text if text and len(text) <= _MAX_LABEL else None


def _value_cells(
    row: etree._Element,
    labels: list[tuple[str, str | None]],
    label_cells: list[etree._Element],
    vocabulary: Vocabulary,
) -> list[etree._Element] | None:
    """The cells of a row of values under ``label_cells``, None when ``row`` is
    none: it names something (a label's words are a value only under a label
    whose values may be such words)."""
    cells = _cells(row)
    if not cells:
        return None
    above = [
        (first, first + _colspan(cell), field)
        for first, cell, (_, field) in zip(_columns(label_cells), label_cells, labels, strict=True)
    ]
    for column, cell in zip(_columns(cells), cells, strict=True):
        known = _known(cell, vocabulary)
        field = next((field for first, last, field in above if first <= column < last), None)
        if known is not None and (known != LABEL or field not in vocabulary.value_words):
            return None
    return cells


def _known(cell: etree._Element, vocabulary: Vocabulary) -> str | None:
    """What the page type knows a cell's text as (``_kind``)."""
    text = _label_text(cell)
    return _kind(label_key(text), vocabulary) if text is not None else None


def _kind(key: str, vocabulary: Vocabulary) -> str | None:
    """A label, a statement or a section title, by its words."""
    if key in vocabulary.labels:
        return LABEL
    if key in vocabulary.statements:
        return STATEMENT
    return SECTION if key in vocabulary.sections else None


def _columns(cells: Iterable[etree._Element]) -> list[int]:
    """The column each cell starts in (colspans respected)."""
    columns, column = [], 0
    for cell in cells:
        columns.append(column)
        column += _colspan(cell)
    return columns


def _colspan(cell: etree._Element) -> int:
    span = cell.get("colspan") or "1"
    return max(1, int(span)) if span.isdigit() else 1


def _next_row(row: etree._Element) -> etree._Element | None:
    """The row after ``row``, alike (same tag): its next sibling, or the first
    row of the next group of a table (``thead`` then ``tbody``)."""
    after = _next_element(row)
    parent = row.getparent()
    if after is None and parent is not None and tag(parent) in _ROW_GROUPS:
        group = _next_element(parent)
        after = next((r for r in group if tag(r) == "tr"), None) if group is not None else None
    return after if after is not None and tag(after) == tag(row) else None


def _next_element(el: etree._Element) -> etree._Element | None:
    after = el.getnext()
    while after is not None and not isinstance(after.tag, str):
        after = after.getnext()
    return after


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """A table's rows, not those of the tables nested in it."""
    return [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
