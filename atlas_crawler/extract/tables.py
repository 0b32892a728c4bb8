"""The one table reader: a data table is recognised by its header row, the first
row whose cells are known column names (whatever the tag: ``th``, ``td``, bold
or not, in ``thead`` or not) or that is styled as a header (``th`` cells, bold
cells, ``thead``); its columns are read by name. Its title (``caption``, the
``legend`` of its fieldset, a row spanning the table, or the text block just
before it) tells two tables with the same columns apart and names unknown
tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from atlas_crawler.extract.text import label_key, node_text, text_of
from atlas_crawler.urls import canonicalize, page_params

_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_PAGE_LINKS = etree.XPath("//a[contains(@href, '-p=')]")  # compiled once: pages are many
_HAS_TEXT = etree.XPath("boolean(.//text()[normalize-space()])")
_HAS_PLAIN_TEXT = etree.XPath("boolean(.//text()[normalize-space()][not(ancestor::b or ancestor::strong)])")
#: How many rows may come before the header row (a title row, a blank row).
_HEADER_SEARCH = 3


@dataclass(frozen=True)
class TableSpec:
    """A known table: the record field it fills, its title prefixes (label keys)
    and its column names (header key prefix -> row key; a row key ending in
    ``[]`` collects every column it matches, in order). ``link_key`` keeps the
    first link of each row."""

    field: str
    titles: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    link_key: str | None = None
    #: Each row is one value (the record keeps its link), so every cell of it is read.
    whole_rows: bool = False

    def column(self, key: str) -> str | None:
        """The row key of a header (by its label key): exact name first, then prefix."""
        return _column(self, key)

    def titled(self, key: str) -> bool:
        return bool(key) and key.startswith(self.titles)

    def fits(self, keys: list[str]) -> int | None:
        """How well a header row fits these columns (named cells that match minus
        those that do not), None when it is not this table's header."""
        return _fits(self, tuple(keys))


@lru_cache(maxsize=4096)  # header rows repeat from page to page
def _column(spec: TableSpec, key: str) -> str | None:
    if not key:
        return None
    for name, row_key in spec.columns:
        if key == name:
            return row_key
    for name, row_key in spec.columns:
        if key.startswith(name):
            return row_key
    return None


@lru_cache(maxsize=4096)
def _fits(spec: TableSpec, keys: tuple[str, ...]) -> int | None:
    named = [k for k in keys if k]
    hits = {_column(spec, k) for k in named} - {None}
    misses = sum(1 for k in named if _column(spec, k) is None)
    distinct = len({row_key for _, row_key in spec.columns})
    if len(hits) < min(2, distinct) or len(named) - misses <= misses:
        return None
    return len(named) - 2 * misses


@dataclass
class Table:
    """A data table: its title, header texts (repeats kept, in order), body rows
    as cell elements aligned with the headers, and the spec it was matched to."""

    element: etree._Element
    headers: list[str]
    rows: list[list[etree._Element]]
    title: str | None = None
    spec: TableSpec | None = None
    page_links: list[etree._Element] = field(default_factory=list)
    #: The block (field) whose lines this table holds, when it stands right after a block's heading.
    block: str | None = None

    @property
    def header_keys(self) -> list[str]:
        return [label_key(h) for h in self.headers]

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


def rows_of(table: Table, base_url: str) -> list[dict[str, Any]]:
    """The body rows of a matched table as raw row dicts (cell text by row key,
    ``key[]`` cells as lists, the row's first link under the spec's ``link_key``)."""
    spec = table.spec
    if spec is None:
        return []
    keys = [spec.column(k) for k in table.header_keys]
    rows: list[dict[str, Any]] = []
    for cells in table.rows:
        row: dict[str, Any] = {}
        for key, cell in zip(keys, cells, strict=False):
            if key is None:
                continue
            if key.endswith("[]"):
                row.setdefault(key[:-2], []).append(node_text(cell))
            else:
                row[key] = node_text(cell)
        if spec.link_key:
            row[spec.link_key] = first_link(cells, base_url)
        rows.append(row)
    return rows


def first_link(cells: list[etree._Element], base_url: str, param: str | None = None) -> str | None:
    """The first link of some cells (holding ``param`` when given), canonical."""
    for cell in cells:
        for a in cell.iter("a"):
            href = a.get("href")
            if href and (param is None or param in href):
                return canonicalize(href, base_url)
    return None


def as_extra(table: Table) -> list[dict[str, str | None]]:
    """An unknown table, kept whole: one ``{header: cell}`` object per row."""
    return [{h or f"colonne {i + 1}": text_of(c) for i, (h, c) in enumerate(row)} for row in table.records()]


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if _tag(c) in ("td", "th")]


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """Rows of this table in page order, not those of tables nested in it."""
    rows: list[etree._Element] = []
    for child in table:
        kind = _tag(child)
        if kind == "tr":
            rows.append(child)
        elif kind in _SECTIONS:
            rows.extend(row for row in child if _tag(row) == "tr")
    return rows


def find_tables(root: etree._Element, specs: tuple[TableSpec, ...] | list[TableSpec]) -> list[Table]:
    """Every data table of the page, in order (a table with a header row), with
    its title when the table holds one; ``assign`` later matches them to specs."""
    tables: list[Table] = []
    for element in root.iter("table"):
        table = _read(element, specs)
        if table is not None:
            tables.append(table)
    _attach_page_links(root, tables)
    return tables


def _read(element: etree._Element, specs: tuple[TableSpec, ...] | list[TableSpec]) -> Table | None:
    rows = _own_rows(element)
    head = element.find("thead")
    title: str | None = None
    header_at: int | None = None
    for n, row in enumerate(rows[:_HEADER_SEARCH]):
        cells = _cells(row)
        if len(cells) > 1 and ((head is not None and row.getparent() is head) or all(_tag(c) == "th" for c in cells)):
            header_at = n  # styled as a header: no need to read its words
            break
        keys = [label_key(node_text(c)) for c in cells]
        known = any(spec.fits(keys) is not None for spec in specs)
        if len(cells) == 1 and not known and n + 1 < len(rows):  # a title spanning the table, or a blank row
            title = title or text_of(cells[0])
            continue
        if (head is not None and row.getparent() is head) or known or (len(cells) > 1 and _styled(cells)):
            header_at = n
        break
    if header_at is None:
        return None
    header_row = rows[header_at]
    caption = element.find("caption")
    if caption is not None and (text := text_of(caption)):
        title = text
    elif title is None:
        title = _legend(element)
    body = [
        cells
        for r in rows[header_at + 1 :]
        if _tag(r.getparent()) != "thead"
        for cells in [_cells(r)]
        if cells and not all(_tag(c) == "th" for c in cells) and _has_content(cells)
    ]
    return Table(element, [text_of(c) or "" for c in _cells(header_row)], body, title)


def _legend(table: etree._Element) -> str | None:
    """The legend of the fieldset that holds this table alone."""
    fieldset = next(table.iterancestors("fieldset"), None)
    if fieldset is None or len(fieldset.findall(".//table")) != 1:
        return None
    legend = fieldset.find("legend")
    return text_of(legend) if legend is not None else None


def assign(tables: list[Table], specs: tuple[TableSpec, ...] | list[TableSpec]) -> None:
    """Match each table to a spec: by its column names, its title telling apart
    tables whose columns fit several specs, then by its title alone; each spec
    takes the first table that fits it."""
    taken: set[str] = set()
    for table in tables:
        if table.block is not None:
            continue
        keys = table.header_keys
        title_key = label_key(table.title)
        scored = [(spec.fits(keys), spec) for spec in specs if spec.field not in taken]
        fitting = [(score, spec) for score, spec in scored if score is not None]
        titled = [(score, spec) for score, spec in fitting if spec.titled(title_key)]
        pool = titled or fitting
        if pool:
            table.spec = max(pool, key=lambda pair: pair[0])[1]
        else:
            table.spec = next((spec for _, spec in scored if spec.titled(title_key)), None)
        if table.spec is not None:
            taken.add(table.spec.field)


def _styled(cells: list[etree._Element]) -> bool:
    """A row styled as a header: every cell a ``th``, or every cell with text bold."""
    if all(_tag(c) == "th" for c in cells):
        return True
    texts = [c for c in cells if _HAS_TEXT(c)]
    return len(texts) > 1 and not any(_HAS_PLAIN_TEXT(c) for c in texts)


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
