"""The one table reader: data tables found by their title (``<caption>``, the
``<legend>`` of their fieldset, or a heading just before them), read by header."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from atlas_crawler.extract.text import label_key, text_of
from atlas_crawler.urls import page_params

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "legend"})


_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_PAGE_LINKS = etree.XPath("//a[contains(@href, '-p=')]")  # compiled once: pages are many
_HAS_TEXT = etree.XPath("boolean(.//text()[normalize-space()])")
_HAS_PLAIN_TEXT = etree.XPath("boolean(.//text()[normalize-space()][not(ancestor::b or ancestor::strong)])")


@dataclass
class Table:
    """A data table: its title, its header texts (repeats kept, in order) and
    its body rows as lists of cell elements aligned with the headers."""

    title: str | None
    headers: list[str]
    rows: list[list[etree._Element]]
    element: etree._Element
    page_links: list[etree._Element] = field(default_factory=list)

    @property
    def key(self) -> str:
        return label_key(self.title)  # cached by label_key

    def records(self) -> list[list[tuple[str, etree._Element]]]:
        """Rows as ``[(header, cell), …]`` (a list, since headers may repeat)."""
        return [list(zip(self.headers, row, strict=False)) for row in self.rows]

    def page_param(self) -> str | None:
        """The displaytag parameter (``d-1342871-p``) of this table's pagination."""
        for link in self.page_links:
            params = page_params(link.get("href", ""))
            if params:
                return next(iter(params))
        return None


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if _tag(c) in ("td", "th")]


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """Rows of this table, not of tables nested in it."""
    return [row for part in (table, *(c for c in table if _tag(c) in _SECTIONS)) for row in part if _tag(row) == "tr"]


def _title(table: etree._Element) -> str | None:
    caption = table.find("caption")
    if caption is not None and (text := text_of(caption)):
        return text
    fieldset = next(table.iterancestors("fieldset"), None)
    if fieldset is not None and len(fieldset.findall(".//table")) == 1:
        legend = fieldset.find("legend")
        if legend is not None and (text := text_of(legend)):
            return text
    anchor = table
    while anchor is not None:
        prev = anchor.getprevious()
        while prev is not None and not isinstance(prev.tag, str):
            prev = prev.getprevious()
        if prev is not None:
            text = text_of(prev)
            if _tag(prev) in _HEADINGS and text and len(text) <= 250 and prev.find(".//table") is None:
                return text
            return None
        anchor = anchor.getparent()
        if anchor is None or _tag(anchor) in ("body", "form") or text_of(anchor) != text_of(table):
            return None
    return None


def read_tables(root: etree._Element) -> list[Table]:
    """Every data table of the page (a table with a header row), in order,
    each with the pagination links that follow it."""
    tables: list[Table] = []
    for table in root.iter("table"):
        rows = _own_rows(table)
        title_row = None
        if len(rows) > 1 and len(_cells(rows[0])) == 1 and len(_cells(rows[1])) > 1:
            title_row, rows = rows[0], rows[1:]  # a title in one cell spanning the table
        head = table.find("thead")
        first_head_row = next((r for r in rows if r.getparent() is head), None) if head is not None else None
        if first_head_row is not None:
            header_row = first_head_row
        elif rows and _is_header_row(_cells(rows[0]), bold_counts=len(rows) > 1):
            header_row = rows[0]
        else:
            continue
        headers = [text_of(c) or "" for c in _cells(header_row)]
        body = [
            cells
            for r in rows
            if r is not header_row and _tag(r.getparent()) != "thead"
            for cells in [_cells(r)]
            if cells and not all(_tag(c) == "th" for c in cells) and _has_content(cells)
        ]
        title = text_of(title_row) if title_row is not None else None
        tables.append(Table(title or _title(table), headers, body, table))
    _attach_page_links(root, tables)
    return tables


def _is_header_row(cells: list[etree._Element], bold_counts: bool) -> bool:
    """A first row of two or more header cells: ``th``, or (above other rows)
    ``td`` whose whole text is bold (``<td><b>Année</b></td>``), as hand-styled
    tables have."""
    return len(cells) > 1 and all(_tag(c) == "th" or (bold_counts and _all_bold(c)) for c in cells)


def _all_bold(cell: etree._Element) -> bool:
    return bool(_HAS_TEXT(cell)) and not _HAS_PLAIN_TEXT(cell)


def _has_content(cells: list[etree._Element]) -> bool:
    """A row with any text (template keys aside) or any link."""
    for cell in cells:
        raw = "".join(cell.itertext()).strip()
        if (raw and "." not in raw and "?" not in raw) or (raw and text_of(cell)) or cell.find(".//a") is not None:
            return True
    return False


def _attach_page_links(root: etree._Element, tables: list[Table]) -> None:
    """A pagination link belongs to the one table of its fieldset, else to the
    table it sits in, else to the nearest table before it in the page."""
    by_element = {t.element: t for t in tables}
    for link in _PAGE_LINKS(root):
        if not page_params(link.get("href", "")):
            continue
        owner = _fieldset_table(link, by_element) or _table_before(link, by_element)
        if owner is not None:
            owner.page_links.append(link)


def _fieldset_table(link: etree._Element, by_element: dict[etree._Element, Table]) -> Table | None:
    fieldset = next(link.iterancestors("fieldset"), None)
    if fieldset is None:
        return None
    inside = [by_element[t] for t in fieldset.iter("table") if t in by_element]
    return inside[0] if len(inside) == 1 else None


def _table_before(link: etree._Element, by_element: dict[etree._Element, Table]) -> Table | None:
    """The data table that holds ``link``, or the last one before it."""
    node = link
    while node is not None:
        if node in by_element:
            return by_element[node]
        for sibling in node.itersiblings(preceding=True):
            found = [by_element[t] for t in sibling.iter("table") if t in by_element]
            if found:
                return found[-1]
        node = node.getparent()
    return None
