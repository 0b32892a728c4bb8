"""The one table reader: a data table is recognised by its header row, the first
row whose cells are known column names (whatever the tag: ``th``, ``td``, bold
or not, in ``thead`` or not) or that is styled as a header (``th`` cells, bold
cells, ``thead``); its columns are read by name. Its title (``caption``, a
row spanning the table, the ``legend`` of its fieldset, its ``summary``
attribute, else the text block just before it) tells two tables with the same
columns apart and names unknown tables.

What a reader skips as the table's furniture is no data, no title and no value:
its title row, blank rows, the placeholder row of an empty table (one short
text spanning every column), and the results banners and pagers beside it
(``12 éléments trouvés``, ``[Premier/Préc] 1, 2 [Suiv/Dernier]``), known by
their words. A pager's links belong to the table they stand beside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

from lxml import etree

from atlas_crawler.extract.flow import BOX, BREAK, TEXT, Flow
from atlas_crawler.extract.text import BLOCK_TAGS, clean, fold, label_key, node_text, text_of
from atlas_crawler.urls import canonicalize, page_params

#: The kind of mark a table's banner or pager makes in a page's reading (``reading``).
CHROME = "chrome"
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_PAGE_LINKS = etree.XPath("//a[contains(@href, '-p=')]")  # compiled once: pages are many
_HAS_TEXT = etree.XPath("boolean(.//text()[normalize-space()])")
_HAS_PLAIN_TEXT = etree.XPath("boolean(.//text()[normalize-space()][not(ancestor::b or ancestor::strong)])")
#: How many rows may come before the header row (a title row, a blank row).
_HEADER_SEARCH = 3
#: The longest text of a placeholder row (``Aucun élément à afficher.``).
_MAX_PLACEHOLDER = 120
#: The longest banner or pager: characters, and words and numbers.
_MAX_CHROME = 250
_MAX_CHROME_TOKENS = 40

#: Words (folded) of a results banner: something found, shown, results.
_FOUND = frozenset(
    {"trouve", "trouvee", "trouves", "trouvees", "found", "affichage", "affiche", "affichee", "affiches"}
    | {"affichees", "afficher", "affichant", "displaying", "displayed", "display", "showing", "shown"}
)
_RESULTS = frozenset({"resultat", "resultats", "result", "results"})
#: Words that count: none, one.
_COUNTS = frozenset({"aucun", "aucune", "pas", "no", "zero", "un", "une", "one"})
#: A pager's words (first, previous, next, last, page) and a table's export links' (displaytag's).
_PAGE_WORDS = frozenset(
    {"premier", "premiere", "first", "prec", "precedent", "precedente", "previous", "prev", "suiv", "suivant"}
    | {"suivante", "next", "dernier", "derniere", "last", "debut", "fin", "page", "pages", "aller", "go"}
    | {"export", "exporter", "options", "csv", "excel", "xls", "xml", "pdf", "rtf"}
)
#: Words that say nothing on their own (and the ``(s)``, ``(e)`` of ``trouvé(e)(s)``).
_FILLER = frozenset(
    {"de", "des", "du", "d", "a", "au", "aux", "sur", "les", "le", "la", "l", "sont", "est", "tous", "toutes"}
    | {"tout", "en", "par", "of", "to", "the", "all", "are", "is", "from", "total", "et", "and", "voir", "s", "e"}
)
_CHROME_WORDS = _FOUND | _RESULTS | _COUNTS | _PAGE_WORDS | _FILLER
#: Numbers (``1 250`` is one), words, arrows.
_CHROME_TOKEN = re.compile(r"\d{1,3}(?: \d{3})+(?!\d)|\d+|[^\W\d_]+|[<>«»‹›←→⇐⇒◄►◀▶]")


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

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        """Worked out once: the cached look-ups below hash their spec on every call."""
        return hash((self.field, self.titles, self.columns, self.link_key, self.whole_rows))

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
    #: The row that names the columns.
    header_row: etree._Element | None = None
    #: Rows that hold no data: a title row, blank rows, further header rows, the
    #: placeholder row of an empty table (``Aucun élément à afficher.``).
    chrome_rows: list[etree._Element] = field(default_factory=list)
    #: The results banners and pagers beside the table, above it or below it
    #: (token spans of the page's flow, see ``find_chrome``).
    chrome: list[tuple[int, int]] = field(default_factory=list)
    #: The span of the flow around the table that holds nothing but its banners
    #: and pagers: from the end of what comes before it (its title) to the start
    #: of what comes after it.
    zone: tuple[int, int] | None = None
    #: Page numbers alone right above the table, no banner or pager beyond them
    #: (displaytag's one-page pager, ``<strong>1</strong>``): its pager's, unless
    #: they are a label's value (the reader tells).
    page_number: tuple[int, int] | None = None

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
    name = el.tag  # read once: lxml makes the string anew each time
    return name.lower() if isinstance(name, str) else ""


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


class Tables(list[Table]):
    """The data tables of a page, in order, and the pagination links tied to no
    one table (``orphan_pagers``: whose further pages they show cannot be told)."""

    def __init__(self, tables: list[Table]) -> None:
        super().__init__(tables)
        self.orphan_pagers: list[etree._Element] = []
        #: Pagination links outside every table and its fieldset, not yet placed:
        #: where they stand in the page's flow tells whose they are (``place_pagers``).
        self.beside: list[etree._Element] = []


def find_tables(root: etree._Element, specs: tuple[TableSpec, ...] | list[TableSpec]) -> Tables:
    """Every data table of the page, in order (a table with a header row), with
    its title when the table holds one and its pagination links; ``assign`` later
    matches them to specs. A pager beside its table is placed on a flow made for
    it (the reader, which makes a flow anyway, calls ``collect_tables`` and
    ``place_pagers`` on its own)."""
    tables = collect_tables(root, specs)
    if tables.beside:
        place_pagers(Flow(root, [t.element for t in tables]), tables)
    return tables


def collect_tables(root: etree._Element, specs: tuple[TableSpec, ...] | list[TableSpec]) -> Tables:
    """The page's data tables, with the pagination links inside them or their
    fieldsets; the links beside them wait in ``Tables.beside`` for ``place_pagers``."""
    tables = Tables([table for element in root.iter("table") if (table := _read(element, specs)) is not None])
    _attach_page_links(root, tables)
    return tables


def place_pagers(flow: Flow, tables: Tables) -> None:
    """The banners and pagers around each table in ``flow`` (made of ``tables``:
    ``find_chrome``), then the pagination links beside the tables, by where they
    stand among them (``_attach_beside``)."""
    find_chrome(flow, tables)
    if tables.beside:
        links, tables.beside = tables.beside, []
        _attach_beside(flow, tables, links)


def _read(element: etree._Element, specs: tuple[TableSpec, ...] | list[TableSpec]) -> Table | None:
    rows = _own_rows(element)
    head = element.find("thead")
    title: str | None = None
    header_at: int | None = None
    chrome: list[etree._Element] = []
    for n, row in enumerate(rows[:_HEADER_SEARCH]):
        cells = _cells(row)
        if len(cells) > 1 and ((head is not None and row.getparent() is head) or all(_tag(c) == "th" for c in cells)):
            header_at = n  # styled as a header: no need to read its words
            break
        keys = [label_key(node_text(c)) for c in cells]
        known = any(spec.fits(keys) is not None for spec in specs)
        if len(cells) == 1 and not known and n + 1 < len(rows):  # a title spanning the table, or a blank row
            title = title or text_of(cells[0])
            chrome.append(row)
            continue
        if (head is not None and row.getparent() is head) or known or (len(cells) > 1 and _styled(cells)):
            header_at = n
        break
    if header_at is None:
        return None
    header_row = rows[header_at]
    header = _cells(header_row)
    heads = [text_of(c) for c in header]
    caption = element.find("caption")
    if caption is not None and (text := text_of(caption)):
        title = text
    title = title or _legend(element) or clean(element.get("summary"))  # a name no reader sees: the last one
    body, skipped = _body(rows[header_at + 1 :], header, heads)
    table = Table(element, [text or "" for text in heads], body, title, header_row=header_row)
    table.chrome_rows = chrome + skipped
    return table


def _body(
    rows: list[etree._Element], header: list[etree._Element], heads: list[str | None]
) -> tuple[list[list[etree._Element]], list[etree._Element]]:
    """The data rows after the header row (as cells), and the rows that hold no
    data: further header rows, blank rows, a repeat of the header (``heads``:
    its cells' texts), the placeholder row of an empty table. A row of ``th``
    cells with other words is neither (the accounting tells it)."""
    data: list[list[etree._Element]] = []
    chrome: list[etree._Element] = []
    for row in rows:
        cells = _cells(row)
        if _tag(row.getparent()) == "thead" or not cells or not _has_content(cells):
            chrome.append(row)
        elif all(_tag(c) == "th" for c in cells):
            if [text_of(c) for c in cells] == heads:
                chrome.append(row)
        else:
            data.append(cells)
    if len(data) == 1 and _placeholder(data[0], header):
        chrome.append(data.pop()[0].getparent())
    return data, chrome


def _placeholder(cells: list[etree._Element], header: list[etree._Element]) -> bool:
    """The row an empty table shows in place of its rows, whatever its words
    (``Aucun élément à afficher.``, ``Aucune donnée``): the only body row, one
    cell spanning every column, a short text and no link."""
    columns = sum(max(_span(c), 1) for c in header)
    span = _span(cells[0]) if len(cells) == 1 else 1
    if columns < 2 or (span != 0 and span < columns):
        return False
    text = text_of(cells[0])
    # a link leads somewhere: a row with one is a row; an <a> without href is no link
    return text is not None and len(text) <= _MAX_PLACEHOLDER and cells[0].find(".//a[@href]") is None


def _span(cell: etree._Element) -> int:
    """How many columns a cell spans (``colspan="0"``: to the last one, as HTML 4 said)."""
    value = (cell.get("colspan") or "1").strip()
    return int(value) if value.isdigit() else 1


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


def _attach_page_links(root: etree._Element, tables: Tables) -> None:
    """A pagination link belongs to the one table of its fieldset, else to the
    table it sits in, else (later: ``place_pagers``) to the table it stands beside."""
    by_element = {t.element: t for t in tables}
    for link in _PAGE_LINKS(root):
        if not page_params(link.get("href", "")):
            continue
        owner = _fieldset_table(link, by_element) or _holding_table(link, by_element)
        (owner.page_links if owner is not None else tables.beside).append(link)


def _fieldset_table(link: etree._Element, by_element: dict[etree._Element, Table]) -> Table | None:
    fieldset = next(link.iterancestors("fieldset"), None)
    if fieldset is None:
        return None
    inside = [by_element[t] for t in fieldset.iter("table") if t in by_element]
    return inside[0] if len(inside) == 1 else None


def _holding_table(link: etree._Element, by_element: dict[etree._Element, Table]) -> Table | None:
    return next((by_element[t] for t in link.iterancestors("table") if t in by_element), None)


def _attach_beside(flow: Flow, tables: Tables, links: list[etree._Element]) -> None:
    """Links outside tables: each belongs to the table whose banners and pagers
    it stands among, above or below it (``Table.zone``). Between two tables with
    nothing else between, to the table of another link of the same pagination,
    else to the nearer one, else to the one on the side where the page's other
    pagers stand; else to none (an orphan pager)."""
    between: list[tuple[etree._Element, int, Table, Table]] = []
    for link in links:
        at = flow.starts.get(link)
        near = [t for t in tables if at is not None and t.zone is not None and t.zone[0] <= at < t.zone[1]]
        if len(near) == 1:
            near[0].page_links.append(link)
        elif len(near) == 2 and at is not None:
            between.append((link, at, near[0], near[1]))
        else:
            tables.orphan_pagers.append(link)
    for link, at, before, after in between:
        owner = (
            _same_pagination(link, before, after)
            or _nearer(flow, at, before, after)
            or _usual_side(flow, tables, before, after)
        )
        (owner.page_links if owner is not None else tables.orphan_pagers).append(link)


def _same_pagination(link: etree._Element, before: Table, after: Table) -> Table | None:
    """The one of two tables that another link of the same page parameter belongs to."""
    param = next(iter(page_params(link.get("href", ""))))
    owners = [t for t in (before, after) if any(param in page_params(o.get("href", "")) for o in t.page_links)]
    return owners[0] if len(owners) == 1 else None


def _nearer(flow: Flow, at: int, before: Table, after: Table) -> Table | None:
    """Of two tables with only banners and pagers between them, the one they
    stand closer to: fewer block boundaries between (a pager in its table's
    wrapper is nearer to it than to the next table)."""
    start, end = flow.table_at[before.element], flow.table_at[after.element]
    content = [i for i in range(start + 1, end) if flow.content[i]] or [at]
    up, down = flow.kinds[start + 1 : content[0]].count(BREAK), flow.kinds[content[-1] + 1 : end].count(BREAK)
    return before if up < down else after if down < up else None


def _usual_side(flow: Flow, tables: Tables, before: Table, after: Table) -> Table | None:
    """The table on the side where the page's other pagers stand, the more
    often: below their table (then ``before``) or above it (then ``after``)."""
    above = below = 0
    for table in tables:
        at = flow.table_at.get(table.element)
        for position in (flow.starts.get(link) for link in table.page_links):
            if at is not None and position is not None:  # links inside their table have no side
                above += position < at
                below += position > at
    return after if above > below else before if below > above else None


# --- banners and pagers ---------------------------------------------------------
@lru_cache(maxsize=4096)  # the texts around tables (their titles, their pagers) repeat from page to page
def is_banner_or_pager(text: str) -> bool:
    """Whether a text is a results banner or a pager, by its words: a count of
    what was found or shown, with at most one noun (``12 éléments trouvés,
    affichage de 1 à 5``, ``Une ligne trouvée``, ``Aucun élément à afficher``,
    ``Résultats 1 à 10 sur 45``), or nothing but page words, arrows and page
    numbers (``[Premier/Préc] 1, 2 [Suiv/Dernier]``, ``<< < 1 2 > >>``, ``Page 1
    sur 3``, ``1, 2, 3``). A lone number is neither."""
    tokens = _CHROME_TOKEN.findall(fold(text))
    if not tokens or len(tokens) > _MAX_CHROME_TOKENS:
        return False
    words = [t for t in tokens if t.isalpha()]
    nouns = {w.rstrip("sx") for w in words if w not in _CHROME_WORDS}
    if len(nouns) > 1:
        return False
    numbers = [int(t.replace(" ", "")) for t in tokens if t[0].isdigit()]
    if any(w in _FOUND for w in words):
        return bool(numbers) or any(w in _COUNTS for w in words)
    if any(w in _RESULTS for w in words):  # a count before them (``12 résultats``), or a range
        first = next(n for n, t in enumerate(tokens) if t in _RESULTS)
        return any(t[0].isdigit() or t in _COUNTS for t in tokens[:first]) or len(numbers) > 1
    if nouns:
        return False
    arrows = len(words) + len(numbers) < len(tokens)
    return arrows or any(w in _PAGE_WORDS for w in words) or _page_numbers(numbers)


def _page_numbers(numbers: list[int]) -> bool:
    """Page numbers alone: two or more, rising, two of them in a row, no year among them."""
    pairs = list(pairwise(numbers))
    return bool(pairs) and max(numbers) < 1000 and all(a < b for a, b in pairs) and any(b == a + 1 for a, b in pairs)


def find_chrome(flow: Flow, tables: list[Table]) -> None:
    """The banners and pagers right above and right below each table, and the
    zone they make around it (``Table.chrome``, ``Table.zone``, spans of ``flow``)."""
    for table in tables:
        at = flow.table_at.get(table.element)
        if at is None:
            continue
        start, above, table.page_number = _chrome_side(flow, at, -1)
        end, below, _ = _chrome_side(flow, at, 1)
        table.chrome = sorted(above + below)
        table.zone = (start, end)


def _chrome_side(flow: Flow, at: int, step: int) -> tuple[int, list[tuple[int, int]], tuple[int, int] | None]:
    """The banner and pager lines (or their ends towards the table) on one side
    of token ``at`` (``step``: -1 above, 1 below), where the zone they make ends
    on that side (at what comes next), and page numbers alone left undecided.
    Page numbers alone are a pager's below the table (a value follows its label,
    never a table); above it, when a banner or pager goes on past them or they
    make one together (``<li>1</li><li>2</li><li>»</li>``); else undecided."""
    spans: list[tuple[int, int]] = []
    numbers: list[tuple[int, int]] = []  # page numbers alone, not yet known for a pager's
    edge = at if step < 0 else at + 1
    while (i := _next_content(flow, edge, step)) is not None and flow.kinds[i] == TEXT:
        a, b = flow.line_of(i)
        parts = _parts(flow, a, i + 1)[::-1] if step < 0 else _parts(flow, i, b)
        runs = _runs(flow, parts)
        if n := _chrome_run(flow, runs):
            piece = _hull(parts[:n])
            spans += [*numbers, piece]
            numbers = []
        elif n := _numbers_run(flow, parts, runs):
            piece = _hull(parts[:n])
            numbers.append(piece)
            if step > 0 or is_banner_or_pager(" ".join(flow.text(range(*p)) for p in sorted(numbers))):
                spans += numbers
                numbers = []
        else:
            break
        edge = piece[0] if step < 0 else piece[1]
    if numbers:
        undecided = _hull(numbers)
        return (undecided[1] if step < 0 else undecided[0]), spans, undecided
    if i is None:
        return (0 if step < 0 else len(flow)), spans, None
    return (i + 1 if step < 0 else i), spans, None


def _hull(spans: list[tuple[int, int]]) -> tuple[int, int]:
    return min(s for s, _ in spans), max(e for _, e in spans)


def _next_content(flow: Flow, edge: int, step: int) -> int | None:
    """The first content token before ``edge`` (``step`` -1) or from it on (1)."""
    k = edge - 1 if step < 0 else edge
    while 0 <= k < len(flow) and not flow.content[k]:
        k += step
    return k if 0 <= k < len(flow) else None


def _parts(flow: Flow, a: int, b: int) -> list[tuple[int, int]]:
    """The pieces of a line ``[a, b)`` a banner or a pager may start or end at:
    the largest inline elements inside it, and loose text runs."""
    parts: list[tuple[int, int]] = []
    i = a
    while i < b:
        el, end = flow.owners[i], i + 1
        while el is not None and _tag(el) not in BLOCK_TAGS and a <= flow.starts.get(el, -1) < flow.ends[el] <= b:
            end = flow.ends[el]
            el = el.getparent()
        parts.append((i, end))
        i = end
    return parts


#: Parts of a line read together (``_runs``): their cleaned text and their token
#: span, None when a box is among them.
Run = tuple[str, int, int] | None


def _runs(flow: Flow, parts: list[tuple[int, int]]) -> list[Run]:
    """``parts[:n]`` (nearest the table first) read together, for n = 1, 2…, up
    to the first longer than any banner or pager. Read once for both tests: a
    line holds only text runs and boxes (whose text is empty), so each run's
    text is the one before it and its new part's, on the side away from the table."""
    runs: list[Run] = []
    forward = len(parts) < 2 or parts[0][0] < parts[1][0]
    raw, boxed = "", False
    start, end = parts[0]  # a line has one part at least
    for a, b in parts:
        piece = "".join(flow.texts[a:b])
        raw = raw + piece if forward else piece + raw
        text = clean(raw) or ""
        if len(text) > _MAX_CHROME:
            break
        start, end = min(start, a), max(end, b)
        boxed = boxed or BOX in flow.kinds[a:b]
        runs.append(None if boxed else (text, start, end))
    return runs


def _chrome_run(flow: Flow, runs: list[Run]) -> int:
    """How many parts (nearest the table first), read together, are a banner
    or a pager: the most that are, 0 for none (page numbers alone are a pager's
    when they hold a page link)."""
    return _longest_run(
        runs,
        lambda text, start, end: (
            is_banner_or_pager(text) or (_page_numbers_only(text) and _holds_page_link(flow, start, end))
        ),
    )


def _numbers_run(flow: Flow, parts: list[tuple[int, int]], runs: list[Run]) -> int:
    """How many of ``parts`` (nearest the table first) are page numbers alone
    (none when the markup splits a number: ``154 <b>804</b>``)."""
    n = _longest_run(runs, lambda text, start, end: _page_numbers_only(text))
    if 0 < n < len(parts):
        beyond = flow.text(range(*parts[n])).strip()
        if (beyond[-1:] if parts[n][0] < parts[0][0] else beyond[:1]).isdigit():
            return 0
    return n


def _longest_run(runs: list[Run], test: Callable[[str, int, int], bool]) -> int:
    """The most parts whose text passes ``test``, 0 for none."""
    best = 0
    for n, run in enumerate(runs, 1):
        if run is not None and test(*run):
            best = n
    return best


@lru_cache(maxsize=4096)
def _page_numbers_only(text: str) -> bool:
    """Page numbers and nothing else (``1``, ``1 2 3``, ``[2]``)."""
    tokens = _CHROME_TOKEN.findall(fold(text))
    return bool(tokens) and all(t.isdigit() and int(t) < 1000 for t in tokens)


def _holds_page_link(flow: Flow, start: int, end: int) -> bool:
    """Whether a page link (``…&d-1342871-p=2``) shows some of tokens ``[start, end)``."""
    owners = {el for i in range(start, end) for el in (flow.owners[i], *flow.owners[i].iterancestors("a"))}
    return any(_tag(el) == "a" and page_params(el.get("href", "")) for el in owners)
