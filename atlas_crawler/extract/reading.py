"""A page read once by its words: what a page type knows (``Vocabulary``) is
looked for in the page's reading order (``flow.Flow``), and the page comes out as
label values, statement states, tables and blocks (``Reading``), plus what the
page says that the vocabulary does not know (``extra``)."""

from __future__ import annotations

from bisect import bisect_right
from itertools import chain
from typing import TypeVar

from lxml import etree

from atlas_crawler.extract.accounting import Claims, account, chrome_tokens
from atlas_crawler.extract.across import pair_layouts, read_across
from atlas_crawler.extract.blocks import read_block
from atlas_crawler.extract.doubts import AMBIGUOUS, IMPLAUSIBLE, Doubt
from atlas_crawler.extract.flow import BOX, BREAK, NEWLINE, TEXT, Flow
from atlas_crawler.extract.flow import TABLE as TABLE_TOKEN
from atlas_crawler.extract.labels import (
    BLOCK,
    HEADING,
    LABEL,
    LABEL_TAGS,
    SECTION,
    STATEMENT,
    TABLE,
    TITLE,
    UNKNOWN,
    Mark,
    classify,
    element_text,
    first_word,
    glyph_state,
    has_colon,
    in_value_place,
    in_value_slot,
    known_mark,
    label_element,
    pair_root,
    signature,
    tag,
    unknown_label,
    value_range,
    value_slot,
    value_text,
    whole_element,
    word_state,
)
from atlas_crawler.extract.statements import read_states, unknown_statements
from atlas_crawler.extract.tables import (
    CHROME,
    Table,
    Tables,
    assign,
    collect_tables,
    place_pagers,
)
from atlas_crawler.extract.text import BLOCK_TAGS, clean, label_key, text_of
from atlas_crawler.extract.visible import visible_root
from atlas_crawler.extract.vocabulary import Reading, Vocabulary

_MAX_TITLE = 250
T = TypeVar("T", str, bool)


def read_page(root: etree._Element, vocabulary: Vocabulary) -> Reading:
    """Read a page: tables first (their content is no label's), then the flow;
    the marks the page's words make, in order: titles and headings, known labels
    and statements, states paired with statements, unknown statements and
    labels; then every value, up to the next mark."""
    root = visible_root(root)
    tables = _data_tables(root, vocabulary)
    flow = Flow(root, [t.element for t in tables])
    place_pagers(flow, tables)
    navigation, controls = chrome_tokens(flow, root)
    marks = _structure_marks(flow, tables, vocabulary)
    taken = {i for m in marks if m.kind in (TITLE, CHROME) for i in range(m.at, m.end)}
    marks += _text_marks(flow, vocabulary, taken)
    marks.sort(key=lambda m: m.at)
    marks = _blocks_take_tables(flow, marks, tables, vocabulary)
    assign(tables, vocabulary.tables)
    marks, across = read_across(flow, marks, vocabulary)
    taken.update(across)  # rows of labels and of their values: no unknown label or statement
    marks = _values_are_not_labels(flow, marks, vocabulary)
    claimed = read_states(flow, marks)
    taken.update(m.at for m in marks)
    taken.update(navigation | controls)  # a menu's or a button's words are no unknown label
    marks += unknown_statements(flow, marks, claimed, taken)
    marks.sort(key=lambda m: m.at)
    marks += _unknown_labels(flow, marks, claimed, taken)
    marks = _numbers_after_labels(flow, marks, tables)
    start, end = _content(flow, marks, tables)
    marks = sorted((m for m in marks if m.field or start <= m.at < end), key=lambda m: m.at)  # a notice is chrome
    reading = Reading(tables=tables)
    claims = Claims(flow)
    claims.claim(claimed, "state")
    _read_values(flow, marks, claimed | controls, reading, claims)
    content = (start, max(end, max(claims.owners, default=0) + 1))
    chrome = navigation | controls | _page_titles(flow, marks)
    reading.doubts += account(flow, claims, content, chrome, reading, marks, vocabulary)
    return reading


def _data_tables(root: etree._Element, vocabulary: Vocabulary) -> Tables:
    """The page's data tables, forms laid out across taken out (their cells are
    labels and values). A pager beside a table is placed among the tables as
    found, forms included (one beside a form goes with it): when forms are taken
    out, on a flow made of them all; else on the reader's flow (``place_pagers``)."""
    tables = collect_tables(root, vocabulary.tables)
    forms = pair_layouts(tables, vocabulary)
    if forms and tables.beside:
        place_pagers(Flow(root, [t.element for t in tables]), tables)
    tables[:] = [table for table in tables if not any(table is form for form in forms)]
    return tables


def _page_titles(flow: Flow, marks: list[Mark]) -> set[int]:
    """Headings before the first thing the page names: the page's title (``Fiche
    projet n° 2431``), not a value."""
    first = next((m.at for m in marks if m.kind != HEADING), len(flow))
    return {i for m in marks if m.kind == HEADING and m.at < first for i in range(*flow.span(flow.owners[m.at]))}


def _content(flow: Flow, marks: list[Mark], tables: list[Table]) -> tuple[int, int]:
    """The record's content, as a token range: the smallest element that holds
    everything the page type knows on the page, and the unknown labels and
    statements of the same block of the page's body or laid out as its known
    labels (what stands around it is the page's chrome: menus, breadcrumb, a
    notice beside the content, the footer)."""
    known_tables = {flow.table_at[t.element] for t in tables if t.spec is not None or t.block is not None}
    known = [m for m in marks if m.field or m.kind in (SECTION, TITLE) or (m.kind == TABLE and m.at in known_tables)]
    if not known:  # nothing this page type knows: all of it is said, for extra (or a broken page)
        return 0, len(flow)
    top = _common(flow, known)
    while (parent := top.getparent()) is not None and tag(parent) not in ("body", "html"):
        top = parent
    start, end = flow.span(top)
    layouts = {signature(m.element) for m in known if m.kind == LABEL and m.element is not None}
    unknown = [
        m
        for m in marks
        if m.kind in (UNKNOWN, STATEMENT)
        and (
            start <= m.at < end
            or m.value_span is not None  # in a row of labels with known ones
            or (m.element is not None and signature(m.element) in layouts)
        )
    ]
    return flow.span(_common(flow, known + unknown))


def _common(flow: Flow, marks: list[Mark]) -> etree._Element:
    """The smallest element that holds every one of ``marks``."""
    first, last = flow.owners[min(m.at for m in marks)], flow.owners[max(m.at for m in marks)]
    around = {first, *first.iterancestors()}
    return next(el for el in (last, *last.iterancestors()) if el in around)


def _structure_marks(flow: Flow, tables: list[Table], vocabulary: Vocabulary) -> list[Mark]:
    """Heading elements, tables, their banners and pagers, and the titles just
    before tables (and their banners and pagers) that hold none (a block's
    heading is no table's title)."""
    marks = [Mark(HEADING, start) for start in flow.headings]
    chrome = {i for table in tables for start, end in table.chrome for i in range(start, end)}
    for table in tables:
        at = flow.table_at[table.element]
        marks.append(Mark(TABLE, at))
        above = _past_page_number(flow, table, vocabulary, chrome)
        title = _title_before(flow, above, vocabulary, chrome) if above is not None else None
        marks += [Mark(CHROME, start, end=end) for start, end in table.chrome]
        if title is None or label_key(title.text).startswith(tuple(vocabulary.blocks)):
            continue
        if table.title is None:
            table.title = title.text
        elif label_key(title.text) != label_key(table.title) and tag(flow.owners[title.at]) != "legend":
            continue  # the table names itself; the text before it is something else
        marks.append(title)
    return marks


def _past_page_number(flow: Flow, table: Table, vocabulary: Vocabulary, chrome: set[int]) -> int | None:
    """Where a table's title is looked for: above its banners and pagers, and
    above page numbers alone right over it (displaytag's one-page pager,
    ``<strong>1</strong>``), which are its chrome, unless they are the value of
    the text before them (``_a_value_of``: then nowhere). An unknown label found
    later may still take them as its value (``_numbers_after_labels``)."""
    start = table.zone[0] if table.zone else flow.table_at[table.element]
    if table.page_number is None:
        return start
    numbers = table.page_number
    before = _block_before(flow, numbers[0])
    if before is not None and _a_value_of(flow, numbers, before, vocabulary):
        return None
    table.chrome = sorted([*table.chrome, numbers])
    chrome.update(range(*numbers))
    return numbers[0]


def _a_value_of(flow: Flow, numbers: tuple[int, int], before: tuple[int, int, str], vocabulary: Vocabulary) -> bool:
    """Whether page numbers alone are the value of the text block before them:
    not after a known table's title; yes when they fill a block paired with it
    (``<dt>…</dt><dd>12</dd>``, ``<label>Population</label><div>800</div>``), or
    share its block after a label (``<span>Population :</span> <span>800</span>``)."""
    start, _, text = before
    if any(spec.titled(label_key(text)) for spec in vocabulary.tables):
        return False
    own, theirs = _block_of(flow.owners[numbers[0]]), _block_of(flow.owners[start])
    if own is theirs:
        owner = flow.owners[start]  # the label's element, or a piece of it (``<label>Population<span>*</span>``)
        element = next((e for e in (owner, *owner.iterancestors()) if tag(e) in LABEL_TAGS | BLOCK_TAGS), owner)
        label = classify(text, vocabulary.labels, {}) is not None or tag(element) in LABEL_TAGS
        return label or text.endswith(":")
    a, b = flow.span(own)
    filled = not flow.has_content(a, numbers[0]) and not flow.has_content(numbers[1], b)
    return filled and own.getparent() in (theirs, theirs.getparent())


def _block_of(el: etree._Element) -> etree._Element:
    """The nearest block element around ``el`` (itself if it is one)."""
    return next((e for e in (el, *el.iterancestors()) if tag(e) in BLOCK_TAGS), el)


def _block_before(flow: Flow, at: int) -> tuple[int, int, str] | None:
    """The text block just before token ``at`` (the element that holds the last
    text before it, else that text's line, up to ``at``) as ``(start, end,
    text)``; None when a table or a box comes first."""
    j = at - 1
    while j >= 0 and not flow.content[j]:
        if flow.kinds[j] == TABLE_TOKEN:
            return None
        j -= 1
    if j < 0 or flow.kinds[j] != TEXT:
        return None
    element = whole_element(flow, j)
    start, end = flow.span(element) if element is not None else flow.line_of(j)
    end = min(end, at)  # the line may go on with the table's banner or pager
    text = clean(flow.text(range(start, end)))
    return (start, end, text) if text else None


def _title_before(flow: Flow, at: int, vocabulary: Vocabulary, chrome: set[int]) -> Mark | None:
    """The text block just before a table, as its title: short, no checkbox
    statement, and a block of its own (not the last line of a text run; a
    banner or pager of the table before ends none) or a known table's title."""
    block = _block_before(flow, at)
    if block is None:
        return None
    start, end, text = block
    if len(text) > _MAX_TITLE or _names_another_thing(flow, start, end, text, vocabulary):
        return None
    k = start - 1
    while k >= 0 and not flow.content[k] and flow.kinds[k] != BREAK:
        k -= 1
    titled = any(spec.titled(label_key(text)) for spec in vocabulary.tables)
    own_block = flow.kinds[start] == BREAK  # ``<p>Documents joints</p>``, whatever inline text ends before it
    if k >= 0 and flow.kinds[k] not in (BREAK, TABLE_TOKEN) and k not in chrome and not titled and not own_block:
        return None  # the last line of a run of lines
    return Mark(TITLE, start, text, end=end)


def _names_another_thing(flow: Flow, start: int, end: int, text: str, vocabulary: Vocabulary) -> bool:
    """No table's title: a checkbox statement or its state (a known statement's
    words in it, a box, a glyph, ``Oui``/``Non`` at either end or alone: ``Non``
    in the block after its statement), a known label with its value (``Nom :
    Région de Kayes``)."""
    words = text.split()
    ends = (words[0], words[-1])
    if BOX in flow.kinds[start:end] or glyph_state(text) is not None or any(word_state(w) is not None for w in ends):
        return True
    key = label_key(text)
    if any(statement in key for statement in vocabulary.statements):
        return True
    mark = classify(text, vocabulary.labels, {})
    return mark is not None and mark.rest is not None


def _blocks_take_tables(flow: Flow, marks: list[Mark], tables: list[Table], vocabulary: Vocabulary) -> list[Mark]:
    """A table right after a block's heading, or titled with it, holds the block's
    lines (its body cells, one per line): it is no data table of the page."""
    by_token = {flow.table_at[t.element]: t for t in tables}
    held: dict[int, Table] = {}
    for mark in marks:
        if mark.kind == BLOCK:
            j = next((j for j in range(mark.end, len(flow)) if flow.content[j]), None)
            if j is not None and j in by_token:
                by_token[j].block = mark.field
                held[j] = by_token[j]
    blocks: list[Mark] = []
    for at, table in by_token.items():
        key = label_key(table.title)
        words = next((w for w in vocabulary.blocks if key.startswith(w)), None) if table.block is None else None
        if words is not None:  # the heading is the table's own title: the block starts at the table
            table.block = vocabulary.blocks[words]
            held[at] = table
            blocks.append(Mark(BLOCK, at, table.title or "", table.block, end=at, words=words))
    for at, table in held.items():
        columns = vocabulary.block_columns.get(table.block or "", ())
        cells = (row[n] for row in table.rows for n in _line_order(table.header_keys, columns, len(row)))
        flow.table_lines[at] = "\n".join(text for cell in cells if (text := text_of(cell)))
    return sorted([m for m in marks if not (m.kind == TABLE and m.at in held)] + blocks, key=lambda m: m.at)


def _line_order(keys: list[str], columns: tuple[tuple[str, ...], ...], width: int) -> list[int]:
    """The order in which a block reads a row's ``width`` cells: by the words its
    header gives each column (``Nom``, ``Courriel``…), in the order of
    ``columns``; columns it does not name keep their place after them."""

    def rank(n: int) -> int:
        key = keys[n] if n < len(keys) else ""
        return next((r for r, words in enumerate(columns) if key and key.startswith(words)), len(columns))

    return sorted(range(width), key=rank)


def _text_marks(flow: Flow, vocabulary: Vocabulary, taken: set[int]) -> list[Mark]:
    """Known labels, statements, block headings and section titles, by their words
    (a label over lines or inline pieces takes its element's tokens)."""
    marks: list[Mark] = []
    for i, kind in enumerate(flow.kinds):
        if kind != TEXT or not flow.content[i] or i in taken:
            continue
        text = flow.texts[i]
        if first_word(text) not in vocabulary.first_words:
            continue
        mark, element, after = known_mark(flow, i, vocabulary.labels, vocabulary.statements)
        if mark is not None and (line_end := _label_in_a_line(flow, mark, i, element, after, vocabulary)) is None:
            mark = None
        elif mark is not None:
            after = line_end
        if mark is None and len(text) <= _MAX_TITLE:
            key = label_key(text)
            if key in vocabulary.sections:
                mark = Mark(SECTION, i)
            elif words := next((p for p in vocabulary.blocks if key.startswith(p)), None):
                start, end = flow.line_of(i)
                text = clean(flow.text(range(start, end))) or ""
                mark = Mark(BLOCK, i, text, vocabulary.blocks[words], end=end, words=words)
        if mark is None:
            continue
        mark.at = i
        mark.end = max(mark.end, after)
        if mark.kind != BLOCK and mark.rest is None:  # an element holding label and value is no label's element
            mark.element = element
        taken.update(range(i + 1, after))  # the rest of the label's element
        marks.append(mark)
    return marks


def _label_in_a_line(
    flow: Flow, mark: Mark, at: int, element: etree._Element | None, after: int, vocabulary: Vocabulary
) -> int | None:
    """Where a known label's words end (``after`` as found), or None when they are
    no label: in a run of text (no element of their own, no colon) with other words
    before or after them on their line, the line is one text (``Région <a>de</a>
    Kayes``, a name; ``Du texte <i>et</i> titre``), as a label is its element's
    whole text. A required field's asterisk or a colon closing the line is the
    label's: it then ends with its line; a colon then a value keeps it a label."""
    if mark.kind != LABEL or element is not None or mark.rest is not None:
        return after
    start, end = flow.line_of(at)
    if flow.has_content(start, at):
        return None
    if not flow.has_content(after, end):
        return after
    line = classify(flow.text(range(at, end)), vocabulary.labels, vocabulary.statements)
    if line is None or line.field != mark.field:
        return None
    return end if line.rest is None else after  # ``Titre <b>: Un titre</b>``: its value follows


def _values_are_not_labels(flow: Flow, marks: list[Mark], vocabulary: Vocabulary) -> list[Mark]:
    """A known label's text standing in the value place of a label whose values
    may be such words, with nothing between them, is that value (``Type de
    collectivité`` ``Région``); a label's words closing the line of the previous
    label's value are words of that value."""
    kept: list[Mark] = []
    previous: Mark | None = None
    for n, mark in enumerate(marks):
        if mark.kind == LABEL and previous is not None and previous.kind == LABEL:
            next_at = marks[n + 1].at if n + 1 < len(marks) else len(flow)
            if previous.field in vocabulary.value_words and _stands_for_value(flow, previous, mark, next_at):
                continue
            if _ends_a_value_line(flow, previous, mark):
                continue
        kept.append(mark)
        if mark.kind != HEADING:
            previous = mark
    return kept


def _stands_for_value(flow: Flow, previous: Mark, mark: Mark, next_at: int) -> bool:
    """Words right after a label, in the place of its value, with no colon and
    no value of their own: the previous label's value, not a label (a label laid
    out across has its value under it)."""
    if previous.value_span is not None or mark.value_span is not None:
        return False
    if flow.has_content(previous.end, mark.at) or has_colon(mark.element, mark.text) or mark.rest is not None:
        return False
    return not _has_own_value(flow, mark, next_at) and in_value_slot(flow, previous, mark.at)


def _has_own_value(flow: Flow, mark: Mark, next_at: int) -> bool:
    """Whether a label-like text is followed by a value of its own: text right
    after its element, or a value element after it that is not another label
    (a label cell, a colon, a pair of its own)."""
    if mark.element is None:  # a run of text: the rest of its element, up to the next mark
        return flow.has_content(mark.end, min(next_at, flow.span(flow.owners[mark.at])[1]))
    root = pair_root(flow, mark.element)
    after = flow.ends.get(root, 0)
    if after < len(flow) and flow.tails[after] and flow.content[after]:
        return True
    slot = value_slot(flow, mark)
    if slot is None:
        return False
    start, end = flow.span(slot)
    content = [j for j in range(start, min(end, next_at)) if flow.content[j]]
    if not content:
        return False
    first = whole_element(flow, content[0])
    if first is None:  # a label over inline pieces (``<label>Population<span>*</span></label>``) is one too
        joined = label_element(flow, content[0])
        if joined is None:
            return True
        label, end = joined
        return tag(label) not in LABEL_TAGS and not has_colon(label, element_text(flow, content[0], end))
    if tag(first) in LABEL_TAGS or has_colon(first, flow.texts[content[0]]):
        return False  # the next label
    following = whole_element(flow, content[1]) if len(content) > 1 else first
    return following is not None and _alike(following, first)  # one value, or a list; else a pair of its own


def _ends_a_value_line(flow: Flow, previous: Mark, mark: Mark) -> bool:
    """A label's words closing the line where the previous label's value runs
    (``Titre : Un <em>titre</em>``) are words of that value."""
    start, end = flow.line_of(previous.at)
    if not start <= mark.at < end:
        return False
    valued = bool(previous.rest and previous.rest.strip(" :\u00a0")) or flow.has_content(previous.end, mark.at)
    return valued and not flow.has_content(mark.at + 1, end)


def _unknown_labels(flow: Flow, marks: list[Mark], claimed: set[int], taken: set[int]) -> list[Mark]:
    """Labels the vocabulary does not know: see ``labels.unknown_label``. Not in
    the text of a block, and not where the previous label's value goes."""
    signatures = {
        signature(m.element)
        for m in marks
        if m.kind == LABEL
        and m.element is not None
        and m.value_span is None  # a row of labels is no layout of a label and its value
        and not has_colon(m.element, m.text)
        and not _lines_around(flow, m)
    }  # the layouts of known labels without a colon (with one, an unknown label needs one too; a block of
    # text lines that holds only a label is no layout of labels)
    kinds = {sig[0] for sig in signatures}
    checkbox_ids = {flow.owners[i].get("id") for i in flow.states if flow.owners[i].get("id")}
    positions = [m.at for m in marks]
    blocks = [(m.end, _next_at(marks, positions, m, len(flow))) for m in marks if m.kind == BLOCK]
    slots = [slot for m in marks if m.kind == LABEL and (slot := value_slot(flow, m)) is not None]
    found: list[Mark] = []
    for i, kind in enumerate(flow.kinds):
        if kind != TEXT or not flow.content[i] or i in taken or i in claimed or (found and i < found[-1].end):
            continue
        text = flow.texts[i]
        if len(text) > 120 and ":" not in text[:70]:
            continue  # too long for a label, no ``Label : value`` start
        if any(start <= i < end for start, end in blocks):
            continue  # a line of a block
        unknown = unknown_label(flow, i, signatures, checkbox_ids, kinds)
        if unknown is None:
            continue
        mark, weak = unknown
        if weak and any(_inside_value(flow, slot, mark) for slot in slots):
            continue
        k = bisect_right(positions, i)
        previous = marks[k - 1] if k > 0 else None
        if found and (previous is None or found[-1].at > previous.at):
            previous = found[-1]
        next_at = marks[k].at if k < len(marks) else len(flow)
        if (
            previous is not None
            and previous.kind in (LABEL, UNKNOWN)
            and _stands_for_value(flow, previous, mark, next_at)
        ):
            continue  # the previous label's value
        found.append(mark)
    return found


def _numbers_after_labels(flow: Flow, marks: list[Mark], tables: list[Table]) -> list[Mark]:
    """Page numbers alone right above a table, sharing the block of the text before
    them, taken for the table's one-page pager because that text was no label by
    its words, its tag or a colon (``_a_value_of``), are the value of a label the
    reader found since in that text, when they fill the place of its value (an
    unknown label laid out as the page's known labels: ``<span>Pays</span>
    <span>Mali</span>``, then ``<span>Population</span> <span>800</span>``): a value
    follows its label. They leave the table's chrome. Sorts ``marks``."""
    marks.sort(key=lambda m: m.at)
    undecided = {t.page_number: t for t in tables if t.page_number is not None and t.page_number in t.chrome}
    if not undecided:  # most pages: no page number alone above a table, or one decided already
        return marks
    kept: list[Mark] = []
    for mark in marks:
        span = (mark.at, mark.end)
        if mark.kind == CHROME and span in undecided and kept and _value_of(flow, kept[-1], span):
            undecided[span].chrome.remove(span)
            continue
        kept.append(mark)
    return kept


def _value_of(flow: Flow, label: Mark, numbers: tuple[int, int]) -> bool:
    """Whether page numbers alone fill the value place of the label right before
    them, in the label's block (in a block of their own, ``_a_value_of`` decided)."""
    if not in_value_place(flow, label, numbers) or label.element is None:
        return False
    first = next(j for j in range(*numbers) if flow.content[j])
    return _block_of(flow.owners[first]) is _block_of(label.element)


def _lines_around(flow: Flow, mark: Mark) -> bool:
    """A line break in a label's element before or after its words (a block of
    text lines that holds only a label); a label over lines has its own."""
    start, end = flow.span(mark.element)
    return NEWLINE in flow.kinds[start : mark.at] or NEWLINE in flow.kinds[mark.end : end]


def _inside_value(flow: Flow, slot: etree._Element, mark: Mark) -> bool:
    """A line or list item inside a known label's value element (``<dd><ul><li>``,
    ``<td>Un titre : « projet »</td>``), not the label of a pair that fills that
    element (``<p><b>Référence</b> CNCD-12</p>``): whether the element itself is a
    label is for ``_stands_for_value`` to say."""
    start, end = flow.span(slot)
    if not start <= mark.at < end:
        return False
    if mark.rest is not None:
        return True
    if mark.element is slot:
        return False
    content = [j for j in range(start, end) if flow.content[j]]
    if content[0] != mark.at or len(content) < 2:
        return True
    after = whole_element(flow, content[1])  # a label and its value fill the element, not a list of alike lines
    return after is not None and _alike(after, mark.element)


def _alike(a: etree._Element, b: etree._Element | None) -> bool:
    """Two elements of a list: same tag, same class, same parent."""
    return b is not None and a.tag == b.tag and a.get("class") == b.get("class") and a.getparent() is b.getparent()


def _next_at(marks: list[Mark], positions: list[int], mark: Mark, end: int) -> int:
    """Where the next mark after ``mark`` starts (``end`` after the last)."""
    k = bisect_right(positions, mark.at)
    return marks[k].at if k < len(marks) else end


def _read_values(flow: Flow, marks: list[Mark], skip: set[int], reading: Reading, claims: Claims) -> None:
    """The value of every label and block, the states of statements; every
    token read is claimed by what read it (``skip``: box states and controls)."""
    positions = [m.at for m in marks]
    others = _named_at(marks)
    for mark in marks:
        if mark.kind in (TITLE, SECTION, TABLE, CHROME):
            claims.claim(range(mark.at, mark.end), mark.kind)
            continue
        if mark.kind == STATEMENT:
            owner = mark.field or f"extra:{extra_key(mark.text)}"
            claims.claim(range(mark.at, mark.end), owner)
            if mark.field is None:
                reading.extra.setdefault(extra_key(mark.text), bool(mark.state))
            elif mark.state is not None:
                _once(reading, reading.states, mark.field, mark.state, mark.text)
            continue
        if mark.kind not in (LABEL, UNKNOWN, BLOCK):
            continue
        start, end = value_range(flow, mark, _next_at(marks, positions, mark, len(flow)), others)
        text = value_text(flow, mark, start, end, skip)
        value = clean(text) if mark.kind == UNKNOWN else None
        owner = f"extra:{extra_key(mark.text)}" if mark.kind == UNKNOWN else mark.field or "block"
        # an unknown label without a value is kept nowhere (``extra`` holds values): its words stay unclaimed
        named = range(mark.at, mark.end) if mark.kind != UNKNOWN or value is not None else range(0)
        claims.claim((i for i in chain(named, range(start, end)) if i not in skip), owner)
        claims.names.update(range(mark.at, mark.end))
        if mark.kind == LABEL and mark.field:
            _once(reading, reading.values, mark.field, text, mark.text)
        elif mark.kind == UNKNOWN:
            if value is not None:
                reading.extra.setdefault(extra_key(mark.text), value)
                if flow.after_words_on_its_line(mark.at):  # labels start lines: these words end a sentence's colon
                    reading.doubts.append(Doubt(IMPLAUSIBLE, f"an unknown label in the middle of a line: {mark.text}"))
        elif mark.field and mark.field not in reading.blocks:
            reading.blocks[mark.field] = read_block(mark.text, mark.words, text)


def _once(reading: Reading, found: dict[str, T], name: str, value: T, label: str) -> None:
    """A field's first value is kept; another one the page shows for it is a
    doubt (one field, one place: the second is the reading's mistake or the page's)."""
    if name not in found:
        found[name] = value
    elif value != found[name] and (not isinstance(value, str) or clean(value) not in (None, clean(found[name]))):
        reading.doubts.append(Doubt(AMBIGUOUS, f"{label} shown twice: {clean(str(value))}", name))


def _named_at(marks: list[Mark]) -> list[int]:
    """Where the page names something (headings aside), sorted."""
    return sorted(m.at for m in marks if m.kind != HEADING)


def extra_key(label: str) -> str:
    """Where ``extra`` keeps an unknown label or statement: its cleaned text
    without the trailing colon."""
    return clean(label.rstrip(": \u00a0")) or label
