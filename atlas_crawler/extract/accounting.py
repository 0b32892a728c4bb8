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
from typing import TYPE_CHECKING

from lxml import etree

from atlas_crawler.extract.doubts import CLAIMED_TWICE, IMPLAUSIBLE, MISPLACED, UNCLAIMED, Doubt
from atlas_crawler.extract.flow import TEXT, Flow
from atlas_crawler.extract.tables import Table
from atlas_crawler.extract.text import clean, fold, label_key, text_of

if TYPE_CHECKING:  # the reader calls the accounting: only its type is needed here
    from atlas_crawler.extract.reading import Vocabulary

#: Elements whose text is navigation, a banner or a notice, wherever they stand.
_NAVIGATION_TAGS = ("nav", "header", "footer", "aside", "menu")
_NAVIGATION_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar", "alert", "status", "dialog"}
)
#: Controls: their captions are no part of any value.
_CONTROL_ROLES = frozenset({"button", "link"})
#: One XPath for both (an XPath of ten comparisons costs ten times more than a plain test).
_ROLES_AND_BUTTONS = etree.XPath("//*[@role] | //button")


#: A pager's words: page numbers, arrows, first/previous/next/last (unresolved keys are cleaned away).
_PAGER_WORDS = re.compile(
    r"^(?:[\d\s.,;:|/<>«»‹›\[\]()…\-–—]|premier(?:e)?|prec(?:edent(?:e)?)?|suiv(?:ant(?:e)?)?|dernier(?:e)?"
    r"|page|pages|sur|de|a|first|prev(?:ious)?|next|last|of|to|go|aller)+$"
)
#: What tells a pager from a lone number: arrows, brackets, its words, or two numbers.
_PAGER_SIGNS = re.compile(r"[<>«»‹›\[\]]|[a-z]{2,}|\d\D+\d")
#: A results banner: ``12 éléments trouvés, affichage de 1 à 5``, ``Aucun projet trouvé``, ``Une ligne trouvée``.
_BANNER = re.compile(
    r"^(?:\d[\d\s.]*|aucun(?:e)?|une?|pas de)\s+[^\W\d]+(?:\(s\)|s)?(?:\s+[^\W\d]+){0,2}\s+trouve"
    r"|^affichage (?:de|des elements?) \d+ a \d+"
    r"|^(?:resultats?|elements?|lignes?) \d+ a \d+"
)


_LONGEST_LABEL = 250


@dataclass
class Claims:
    """Who claimed each token of the flow (a field, ``extra:<key>``, ``title``,
    ``chrome``…), and each token claimed by two owners."""

    flow: Flow
    owners: dict[int, str] = field(default_factory=dict)
    twice: list[tuple[int, str, str]] = field(default_factory=list)

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
    for el in _ROLES_AND_BUTTONS(root):
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
    """Whether a line reads as chrome: a pager, a results banner, or a text the
    page type declares (folded)."""
    key = fold(text).strip(" :.!")
    if not key or key in declared:
        return True
    if _BANNER.search(key):
        return True
    return bool(_PAGER_WORDS.match(key)) and bool(_PAGER_SIGNS.search(key))


def account(
    flow: Flow,
    claims: Claims,
    content: tuple[int, int],
    chrome: set[int],
    tables: list[Table],
    values: Mapping[str, str],
    vocabulary: Vocabulary,
) -> list[Doubt]:
    """The doubts a read page leaves: texts claimed twice, tables whose words
    contradict the vocabulary, implausible values, and visible text inside the
    record's content (``content``, a token range) that nothing claims."""
    doubts = [
        Doubt(CLAIMED_TWICE, f"{flow.texts[i].strip()} ({first} / {second})", second)
        for i, first, second in claims.twice
    ]
    for table in tables:
        doubts += table_doubts(table, vocabulary)
    doubts += _implausible(values, vocabulary)
    doubts += _unclaimed(flow, claims, content, chrome, vocabulary.chrome)
    return doubts


def _unclaimed(
    flow: Flow, claims: Claims, content: tuple[int, int], chrome: set[int], declared: frozenset[str]
) -> list[Doubt]:
    """Runs of content tokens on one line that nothing claims and no reader skips."""
    doubts: list[Doubt] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            text = clean(flow.text(run))
            if text is not None and not chrome_text(text, declared):
                doubts.append(Doubt(UNCLAIMED, text))
            run.clear()

    owners, kinds, has_content = claims.owners, flow.kinds, flow.content
    for i in range(*content):
        if kinds[i] == TEXT and not has_content[i]:
            continue  # spaces between things
        if kinds[i] == TEXT and i not in owners and i not in chrome:
            run.append(i)
        else:
            flush()
    flush()
    return doubts


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
        for n, (header, key) in enumerate(zip(table.headers, keys, strict=True)):
            if table.spec.column(key) is not None:
                continue
            cells = [text for row in table.rows if n < len(row) and (text := text_of(row[n]))]
            if header or cells:
                doubts.append(Doubt(UNCLAIMED, f"column {header or n + 1}: {' | '.join(cells[:3])}", table.spec.field))
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
        if name in vocabulary.value_words or not stripped or len(stripped) > _LONGEST_LABEL:
            continue
        words_of_a_label = any(label_key(stripped) in words for words in known)
        if words_of_a_label and (value := clean(text)) and any(label_key(value) in words for words in known):
            doubts.append(Doubt(IMPLAUSIBLE, f"a label's words as a value: {value}", name))
    return doubts
