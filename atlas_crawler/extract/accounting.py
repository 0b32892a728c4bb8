"""The page's accounting: after a page is read, each visible text must be
claimed by a field, by ``extra``, by a title, or by page chrome; what nothing
claims, what two claim, and readings that contradict the vocabulary become
doubts (``extract.doubts``). A parse that says nothing is then a parse that
explained its whole page.

Chrome is what a reader skips: anything before the record's first named thing
or outside the smallest element that holds everything the page names (menus,
breadcrumb, header, footer), navigation elements and controls wherever they
stand (``nav``, ``header``, ``footer``, ``aside``, ``button``, ARIA roles),
pagers and result banners (by their words), and the texts a page type declares
(the site's title, ``Retour``, ``Imprimer``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice

from lxml import etree

from atlas_crawler.extract.doubts import AMBIGUOUS, CLAIMED_TWICE, IMPLAUSIBLE, MISPLACED, UNCLAIMED, Doubt
from atlas_crawler.extract.flow import HEADINGS, TEXT, Flow
from atlas_crawler.extract.labels import (
    HEADING,
    LABEL,
    LABEL_TAGS,
    STATEMENT,
    Mark,
    first_word,
    has_colon,
    in_value_slot,
    tag,
    value_slot,
    whole_element,
    without_glyphs,
)
from atlas_crawler.extract.tables import Table, is_banner_or_pager
from atlas_crawler.extract.text import clean, fold, label_key, text_of
from atlas_crawler.extract.visible import elements_of
from atlas_crawler.extract.vocabulary import Reading, Vocabulary
from atlas_crawler.urls import page_params

#: Elements whose text is navigation, a banner or a notice, wherever they stand.
_NAVIGATION_TAGS = ("nav", "header", "footer", "aside", "menu")
_NAVIGATION_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar", "alert", "status", "dialog"}
)
#: Controls: their captions are no part of any value.
_CONTROL_ROLES = frozenset({"button", "link"})
#: One XPath for both (an XPath of ten comparisons costs ten times more than a plain
#: test), by the role attributes (``elements_of``).
_ROLES_AND_BUTTONS = etree.XPath("//@role | //button")


_LONGEST_LABEL = 250
_SENTENCES = re.compile(r"(?<=[.!])\s+")
_COUNTED = re.compile(r"[\d<>«»‹›]")
_STEPS = re.compile(r"\s[>›»/]\s|\s[>›»]$")
_LONGEST_TITLE = 120
#: A box drawn in text before a statement: ``[X]``, ``[ ]``, ``(x)``.
_BOX_MARK = re.compile(r"^\s*[\[(]\s*[xX✓✔✗✘]?\s*[\])]")
#: Elements made to hold a value (a table's rows and cells, a term's description).
_VALUE_ELEMENTS = frozenset({"tr", "td", "th", "dd"})
#: Labels whose next element is their value's place whatever it is (``<h3>Nom</h3><p>…``).
_LABEL_ELEMENTS = HEADINGS | LABEL_TAGS
#: Owners that are no field (titles, states, tables, sections, chrome).
_NOT_FIELDS = frozenset({"title", "state", "table", "section", "chrome", "block"})


@dataclass
class Claims:
    """Who claimed each token of the flow (a field, ``extra:<key>``, ``title``,
    ``chrome``…), and each token claimed by two owners."""

    flow: Flow
    owners: dict[int, str] = field(default_factory=dict)
    twice: list[tuple[int, str, str]] = field(default_factory=list)
    #: Tokens that name something (a label, a statement, a block's heading), not a value.
    names: set[int] = field(default_factory=set)

    def claim(self, indices: Iterable[int], owner: str) -> None:
        content = self.flow.content
        for i in indices:
            if not content[i]:
                continue
            first = self.owners.setdefault(i, owner)
            if first != owner:
                self.twice.append((i, first, owner))


def chrome_tokens(flow: Flow, root: etree._Element) -> tuple[set[int], set[int]]:
    """Tokens inside navigation elements, and tokens inside controls."""
    navigation: list[etree._Element] = list(root.iter(_NAVIGATION_TAGS))
    controls: list[etree._Element] = []
    for el in elements_of(_ROLES_AND_BUTTONS(root)):
        role = el.get("role")
        if role in _NAVIGATION_ROLES:
            navigation.append(el)
        elif role in _CONTROL_ROLES or (role is None and el.tag == "button"):
            controls.append(el)
    return _tokens_in(flow, navigation), _tokens_in(flow, controls)


def _tokens_in(flow: Flow, elements: list[etree._Element]) -> set[int]:
    tokens: set[int] = set()
    for el in elements:
        tokens.update(range(*flow.span(el)))
    return tokens


def chrome_text(text: str, declared: frozenset[str]) -> bool:
    """Whether a line reads as chrome: a pager, a results banner, a breadcrumb,
    or a text the page type declares (folded)."""
    key = fold(text).strip(" :.!")
    return not key or key in declared or _breadcrumb(key, declared) or is_banner_or_pager(text)


def _breadcrumb(key: str, declared: frozenset[str]) -> bool:
    """``Accueil > Atlas > Fiche projet``: short steps between arrows, one of them
    a declared text (the home page) or left empty by an unresolved key."""
    steps = [step.rsplit(":", 1)[-1].strip() for step in _STEPS.split(key)]  # ``Vous êtes ici :`` before
    return len(steps) > 1 and all(len(step) <= 50 for step in steps) and any(not s or s in declared for s in steps)


def account(
    flow: Flow,
    claims: Claims,
    content: tuple[int, int],
    chrome: set[int],
    reading: Reading,
    marks: list[Mark],
    vocabulary: Vocabulary,
) -> list[Doubt]:
    """The doubts a read page leaves: texts claimed twice, tables whose words
    contradict the vocabulary, implausible values, known words read as unknown
    labels, and visible text inside the record's content (``content``, a token
    range) that nothing claims."""
    doubts = [
        Doubt(CLAIMED_TWICE, f"{flow.texts[i].strip()} ({first} / {second})", second)
        for i, first, second in claims.twice
    ]
    for table in reading.tables:
        doubts += table_doubts(table, vocabulary)
    doubts += [  # a link to a further page of a table nobody can name: rows may be missing
        Doubt(AMBIGUOUS, f"a pager tied to no one table: {text_of(link) or link.get('href')}")
        for link in reading.tables.orphan_pagers
        if any(number > 1 for number in page_params(link.get("href", "")).values())
    ]
    doubts += _implausible(reading.values, vocabulary)
    doubts += _vocabulary_in_values(flow, claims, vocabulary)
    doubts += _known_words_in_extra(reading.extra, vocabulary)
    doubts += [
        Doubt(IMPLAUSIBLE, f"a statement without its box: {m.text}", m.field)
        for m in marks
        if m.kind == STATEMENT and m.field and m.state is None
    ]
    doubts += _labels_in_value_places(flow, marks, vocabulary)
    doubts += _unclaimed(flow, claims, content, chrome, vocabulary.chrome)
    return doubts


def _labels_in_value_places(flow: Flow, marks: list[Mark], vocabulary: Vocabulary) -> list[Doubt]:
    """A known label that read no value, and right after it, where that value goes,
    another known label with no colon that a person may read as that value: in the
    value's place of a label whose values may be a label's words (``value_words``:
    ``<h3>Type de collectivité</h3><div>Région</div>``), or opening the table row
    or cell of any label's value (``_opens_the_value_place``). Both labels claim
    their own words (the atlas shows its labels even empty), so no unclaimed text
    would tell that a value may have vanished. An empty value has its own place (an
    empty cell or ``div``): no label stands there."""
    doubts: list[Doubt] = []
    previous: Mark | None = None
    for mark in marks:
        if mark.kind == HEADING:  # a heading element is a mark of its own, its words a label's too
            continue
        if (
            previous is not None
            and previous.kind == LABEL == mark.kind
            and previous.value_span is None
            and mark.value_span is None
            and not (previous.rest or "").strip(" :\u00a0")
            and mark.rest is None
            and not flow.has_content(previous.end, mark.at)
            and not has_colon(mark.element, mark.text)
            and (
                (previous.field in vocabulary.value_words and in_value_slot(flow, previous, mark.at))
                or _opens_the_value_place(flow, previous, mark)
            )
        ):
            text = f"a label where the value of {previous.text} goes: {mark.text}"
            doubts.append(Doubt(AMBIGUOUS, text, previous.field))
        previous = mark
    return doubts


def _opens_the_value_place(flow: Flow, previous: Mark, mark: Mark) -> bool:
    """A label's element opening the table row or cell, or the ``dd``, where the
    previous label's value goes, the rest of its line running text after it
    (``<tr><td>Nom :</td></tr><tr><td><a>Région</a> de Kayes</td></tr>``): a name
    that starts with a label's words, or a label and its value in one value element
    (a table or a list of terms gives each its own), or the element after a heading
    or a label element; either may be what the page says. Elsewhere, a pair of its
    own on its line is a layout of its own (``<li><span>Titre</span> Un titre</li>``
    after ``<p><b>Objectif</b> :</p>``)."""
    slot = value_slot(flow, previous)
    if slot is None or mark.element is None:
        return False
    if tag(slot) not in _VALUE_ELEMENTS and tag(previous.element) not in _LABEL_ELEMENTS:
        return False
    start, end = flow.span(slot)
    if next((j for j in range(start, end) if flow.content[j]), None) != mark.at:
        return False
    line_end = flow.line_of(mark.at)[1]
    following = next((j for j in range(mark.end, min(end, line_end)) if flow.content[j]), None)
    return following is not None and flow.tails[following]


def _unclaimed(
    flow: Flow, claims: Claims, content: tuple[int, int], chrome: set[int], declared: frozenset[str]
) -> list[Doubt]:
    """Runs of content tokens on one line that nothing claims and no reader skips."""
    doubts: list[Doubt] = []
    for run in _free_runs(flow, claims, content, chrome):
        if (text := clean(flow.text(run))) is not None and not _chrome_run(flow, run, text, declared):
            doubts.append(Doubt(UNCLAIMED, text))
    return doubts


def _free_runs(flow: Flow, claims: Claims, content: tuple[int, int], chrome: set[int]) -> list[list[int]]:
    """The text tokens of ``content`` with something to read that nothing claims
    and no reader skips (few: found first), in runs that only spaces part."""
    owners, kinds, has_content = claims.owners, flow.kinds, flow.content
    free = [i for i in range(*content) if has_content[i] and kinds[i] == TEXT and i not in owners and i not in chrome]
    runs: list[list[int]] = []
    for i in free:
        if runs and all(kinds[j] == TEXT and not has_content[j] for j in range(runs[-1][-1] + 1, i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _chrome_run(flow: Flow, run: list[int], text: str, declared: frozenset[str]) -> bool:
    """A run read as chrome whole, or made of pieces that each are: the texts of
    its elements, or its sentences."""
    if chrome_text(text, declared):
        return True
    pieces: dict[etree._Element, list[int]] = {}
    for i in run:
        pieces.setdefault(flow.owners[i], []).append(i)
    if len(pieces) > 1 and all(chrome_text(clean(flow.text(p)) or "", declared) for p in pieces.values()):
        return True
    sentences = _SENTENCES.split(text)  # two tables' banners in one text: ``Aucun élément trouvé. Une ligne trouvée.``
    return len(sentences) > 1 and all(chrome_text(sentence, declared) for sentence in sentences)


def table_doubts(table: Table, vocabulary: Vocabulary) -> list[Doubt]:
    """A known table's columns it does not know (their cells are read by no
    field); in any table, a label's words as a header or a statement as its
    title; an unknown table with the columns of a known one."""
    doubts: list[Doubt] = []
    if table.block is not None:
        return doubts
    keys = table.header_keys
    if (title := label_key(table.title)) and title in vocabulary.statements:
        doubts.append(Doubt(MISPLACED, f"statement as a table's title: {table.title}"))
    labels = [h for h, k in zip(table.headers, keys, strict=True) if k in vocabulary.labels and not _column(table, k)]
    if len(labels) >= 2 or (labels and len(labels) == len([k for k in keys if k])):
        doubts.append(Doubt(MISPLACED, f"labels as a table's header: {' | '.join(labels)}"))  # pairs laid out across
    if table.spec is not None and table.spec.whole_rows:
        return doubts
    if table.spec is not None:
        spanning = [text for row in table.rows for cell in row if _spans(cell) and (text := text_of(cell))]
        if spanning and len(keys) > 1:  # its words went to one column, or the row is no data
            doubts.append(Doubt(MISPLACED, f"a cell across columns: {' | '.join(spanning[:3])}", table.spec.field))
        for n, (header, key) in enumerate(zip(table.headers, keys, strict=True)):
            if table.spec.column(key) is not None:
                continue
            shown = (text for row in table.rows if n < len(row) and (text := _cell_text(row[n])))
            cells = list(islice(shown, 3))  # three show the column: the others are not read
            if header or cells:
                doubts.append(Doubt(UNCLAIMED, f"column {header or n + 1}: {' | '.join(cells)}", table.spec.field))
        width = len(keys)
        extra = [text for row in table.rows for cell in row[width:] if (text := text_of(cell))]
        if extra:
            doubts.append(Doubt(UNCLAIMED, f"cells beyond the header: {' | '.join(extra[:3])}", table.spec.field))
        return doubts
    for spec in vocabulary.tables:
        known = {spec.column(key) for key in keys if key} - {None}
        if len(known) >= 2 or (spec.titled(title) and table.rows):
            doubts.append(Doubt(MISPLACED, f"a table like {spec.field} that fits no spec: {' | '.join(table.headers)}"))
            break
    return doubts


def _known_words_in_extra(extra: Mapping[str, object], vocabulary: Vocabulary) -> list[Doubt]:
    """An unknown label or statement that is a known one with its words run
    together (``lepartenariat est triennal``) or a piece of one (``convention``
    of ``Année de première signature de la convention``): a label the reading
    missed, whose field is then empty. Or one without a letter: no label at all."""
    doubts: list[Doubt] = []
    for key in extra:
        folded = label_key(key)
        if folded and (field_name := vocabulary.resembles(folded)) is not None:
            doubts.append(Doubt(MISPLACED, f"a known label read as an unknown one: {key}", field_name))
        elif not any(c.isalpha() for c in key):  # "1" of « 1 sur 1 »: a page number, a date, no label
            doubts.append(Doubt(IMPLAUSIBLE, f"an unknown label without a word: {key}"))
    return doubts


def _chrome_line(text: str) -> str | None:
    """The first line of a value that reads as a pager or a results banner, with
    a number or an arrow in it (``Fin.`` may end a text as well as a pager)."""
    lines = (line.strip() for line in text.split("\n") if len(line) <= 100)
    return next((line for line in lines if _COUNTED.search(line) and is_banner_or_pager(line)), None)


def _statement_line(text: str, vocabulary: Vocabulary) -> str | None:
    """A line of a value that is a known statement, its box aside (``[X] Le partenariat
    est triennal``): the statement's state went into the value instead of its field."""
    lines = (line.strip() for line in text.split("\n") if len(line) <= _LONGEST_LABEL)
    statements = vocabulary.statements
    return next((line for line in lines if label_key(_BOX_MARK.sub(" ", without_glyphs(line))) in statements), None)


def _vocabulary_in_values(flow: Flow, claims: Claims, vocabulary: Vocabulary) -> list[Doubt]:
    """A known table's title or a section title standing whole in its own
    element inside a field's value: the value ran over what the page names."""
    doubts: list[Doubt] = []
    title_words = vocabulary.title_words
    for i, owner in claims.owners.items():
        if owner in _NOT_FIELDS or owner.startswith("extra:") or flow.kinds[i] != TEXT or i in claims.names:
            continue
        text = flow.texts[i]
        if len(text) > _LONGEST_TITLE or first_word(text) not in title_words:
            continue
        key = label_key(text)
        named = key in vocabulary.sections or any(spec.titled(key) for spec in vocabulary.tables)
        if named and whole_element(flow, i) is not None:
            doubts.append(Doubt(MISPLACED, f"a title inside a value: {text.strip()}", owner))
    return doubts


def _cell_text(cell: etree._Element) -> str | None:
    """``text_of`` a cell; None at once for a cell with no word and no form field
    in it (an icon's column: its elements are not visited)."""
    if next(cell.iter("input"), None) is None and not any(text.strip() for text in cell.itertext()):
        return None
    return text_of(cell)


def _spans(cell: etree._Element) -> bool:
    span = (cell.get("colspan") or "1").strip()
    return span.isdigit() and int(span) > 1


def _column(table: Table, key: str) -> str | None:
    return table.spec.column(key) if table.spec is not None else None


def _implausible(values: Mapping[str, str], vocabulary: Vocabulary) -> list[Doubt]:
    """A value that is another label's words, a statement or a section title;
    a one-line value over several lines (the value ran into something else).
    Raw texts are looked at first: cleaning every value twice costs."""
    doubts: list[Doubt] = []
    known = (vocabulary.labels, vocabulary.statements, vocabulary.sections)
    for name, text in values.items():
        stripped = text.strip()
        if name in vocabulary.one_line and "\n" in stripped and "\n" in (value := clean(text) or ""):
            doubts.append(Doubt(IMPLAUSIBLE, f"one-line value over several lines: {value}", name))
        if (chrome := _chrome_line(stripped)) is not None:
            doubts.append(Doubt(IMPLAUSIBLE, f"a pager or banner as a value: {chrome}", name))
        if (statement := _statement_line(stripped, vocabulary)) is not None:
            doubts.append(Doubt(IMPLAUSIBLE, f"a statement as a value: {statement}", name))
        if name in vocabulary.value_words or not stripped or len(stripped) > _LONGEST_LABEL:
            continue
        words_of_a_label = any(label_key(stripped) in words for words in known)
        if words_of_a_label and (value := clean(text)) and any(label_key(value) in words for words in known):
            doubts.append(Doubt(IMPLAUSIBLE, f"a label's words as a value: {value}", name))
    return doubts
